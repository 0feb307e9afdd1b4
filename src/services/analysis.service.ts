import { In, type DataSource } from 'typeorm';
import { labelEfficiencyTable, type EvaluatedRun, type Kidney } from '../analysis/label-efficiency';
import { blandAltman } from '../analysis/stats';
import type { BlobStore } from '../data/blob-store';
import { badInput, conflict, isUuid, notFound } from '../errors';
import { RunKind, RunStatus, type ContrastKind } from '../schema/enums';
import { SubjectScoreRecord } from '../schema/evaluation.entity';
import { Run } from '../schema/run.entity';
import { Subject } from '../schema/subject.entity';
import { Sweep } from '../schema/sweep.entity';
import type { BlandAltman, LabelEfficiency } from '../schema/analysis-types';
import { MaskBaselineCache } from './analysis-baselines';

/** The study's statistics over stored evaluations (src/analysis does the arithmetic). */
export class AnalysisService {
  private readonly baselines: MaskBaselineCache | null;

  /** Without a blob store the mask-based baselines (ceiling, location prior) are null. */
  constructor(
    private readonly ds: DataSource,
    blobs?: BlobStore,
  ) {
    this.baselines = blobs ? new MaskBaselineCache(ds, blobs) : null;
  }

  /** Table 2 with CIs, the annotation reductions and the baselines of a sweep, from its SUCCEEDED fine-tuning runs. */
  async labelEfficiency(sweepId: string, referenceN: number): Promise<LabelEfficiency> {
    if (!Number.isInteger(referenceN) || referenceN < 1) throw badInput(`referenceN must be a positive integer, got ${referenceN}`, 'referenceN');
    if (!isUuid(sweepId) || !(await this.ds.getRepository(Sweep).existsBy({ id: sweepId }))) throw notFound('sweep', sweepId);
    const runs = await this.ds.getRepository(Run).find({
      select: { id: true, contrast: true, nLabeled: true, initialization: true, seed: true, cohortId: true, config: true },
      where: { sweepId, kind: RunKind.FINETUNE, status: RunStatus.SUCCEEDED },
    });
    const scores = runs.length
      ? await this.ds.getRepository(SubjectScoreRecord).find({
          select: { runId: true, subjectId: true, diceRight: true, diceLeft: true, trainingSizeDiceRight: true, trainingSizeDiceLeft: true },
          where: { runId: In(runs.map((r) => r.id)) },
        })
      : [];
    const scoresOf = new Map<string, SubjectScoreRecord[]>();
    for (const s of scores) scoresOf.get(s.runId)?.push(s) ?? scoresOf.set(s.runId, [s]);
    const evaluated: EvaluatedRun[] = runs.map((r) => ({
      contrast: r.contrast,
      nLabeled: r.nLabeled!,
      initialization: r.initialization as 'RANDOM' | 'CLC',
      seed: r.seed,
      scores: (scoresOf.get(r.id) ?? []).map((s) => ({
        subjectId: s.subjectId,
        dice: { right: s.diceRight, left: s.diceLeft },
        trainingSizeDice:
          s.trainingSizeDiceRight === null || s.trainingSizeDiceLeft === null ? null : { right: s.trainingSizeDiceRight, left: s.trainingSizeDiceLeft },
      })),
    }));
    const table = labelEfficiencyTable(evaluated, referenceN);
    const baselines = await Promise.all(
      table.spreads.map(async ({ contrast, riSeedSd }) => {
        const run = runs.find((r) => r.contrast === contrast);
        const size = (run?.config as { image?: { size?: number } } | undefined)?.image?.size ?? null;
        // a mask blob that cannot be read leaves the mask baselines empty; Table 2 itself does not depend on them
        const none = { ceilingDice: null, locationPriorDice: null };
        const masks = run && size && this.baselines ? await this.baselines.get(run.cohortId, contrast as ContrastKind, size).catch(() => none) : none;
        return { contrast: contrast as ContrastKind, trainingSize: size, riSeedSd, ...masks };
      }),
    );
    return {
      rows: table.rows.map((row) => ({ ...row, contrast: row.contrast as ContrastKind })),
      reductions: table.reductions.map((r) => ({ ...r, contrast: r.contrast as ContrastKind })),
      baselines,
    };
  }

  /** Bland–Altman agreement of predicted against manual kidney volumes over a run's test subjects. */
  async blandAltman(runId: string, kidney: string): Promise<BlandAltman> {
    if (kidney !== 'right' && kidney !== 'left') throw badInput(`kidney must be "right" or "left", got ${JSON.stringify(kidney)}`, 'kidney');
    const run = isUuid(runId) ? await this.ds.getRepository(Run).findOneBy({ id: runId }) : null;
    if (!run) throw notFound('run', runId);
    const scores = await this.ds.getRepository(SubjectScoreRecord).findBy({ runId });
    if (scores.length < 2) {
      throw conflict(`run ${runId} has ${scores.length ? 'one evaluated subject' : 'no evaluation'}: Bland–Altman needs at least two`);
    }
    const subjects = await this.ds.getRepository(Subject).findBy({ id: In(scores.map((s) => s.subjectId)) });
    const byId = new Map(subjects.map((s) => [s.id, s]));
    const side = kidney as Kidney;
    const pred = scores.map((s) => (side === 'right' ? s.volumeRightMl : s.volumeLeftMl));
    const truth = scores.map((s) => (side === 'right' ? s.trueVolumeRightMl : s.trueVolumeLeftMl));
    const agreement = blandAltman(pred, truth);
    return {
      ...agreement,
      points: scores
        .map((s, i) => ({ subject: byId.get(s.subjectId)!, mean: (pred[i] + truth[i]) / 2, difference: pred[i] - truth[i] }))
        .sort((a, b) => (a.subject.code < b.subject.code ? -1 : 1)),
    };
  }
}
