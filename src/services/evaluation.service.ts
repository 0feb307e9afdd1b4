import { In, type DataSource } from 'typeorm';
import { isUuid } from '../errors';
import { EvaluationRecord, SubjectScoreRecord } from '../schema/evaluation.entity';
import { Subject } from '../schema/subject.entity';
import type { Evaluation } from '../schema/types';

export class EvaluationService {
  constructor(private readonly ds: DataSource) {}

  /** Evaluations of many runs with their subject scores and subjects (three statements, whatever the count). */
  async byRunIds(runIds: readonly string[]): Promise<Map<string, Evaluation>> {
    const ids = runIds.filter(isUuid);
    const out = new Map<string, Evaluation>();
    if (!ids.length) return out;
    const evaluations = await this.ds.getRepository(EvaluationRecord).findBy({ runId: In(ids) });
    if (!evaluations.length) return out;
    const scores = await this.ds.getRepository(SubjectScoreRecord).findBy({ runId: In(evaluations.map((e) => e.runId)) });
    const subjects = scores.length ? await this.ds.getRepository(Subject).findBy({ id: In([...new Set(scores.map((s) => s.subjectId))]) }) : [];
    const subjectById = new Map(subjects.map((s) => [s.id, s]));
    const scoresOf = new Map<string, SubjectScoreRecord[]>();
    for (const s of scores) scoresOf.get(s.runId)?.push(s) ?? scoresOf.set(s.runId, [s]);
    for (const e of evaluations) {
      out.set(e.runId, {
        meanDice: { right: e.meanDiceRight, left: e.meanDiceLeft },
        subjects: (scoresOf.get(e.runId) ?? [])
          .map((s) => ({
            subject: subjectById.get(s.subjectId)!,
            dice: { right: s.diceRight, left: s.diceLeft },
            trainingSizeDice:
              s.trainingSizeDiceRight === null || s.trainingSizeDiceLeft === null ? null : { right: s.trainingSizeDiceRight, left: s.trainingSizeDiceLeft },
            volumeMl: { right: s.volumeRightMl, left: s.volumeLeftMl },
            trueVolumeMl: { right: s.trueVolumeRightMl, left: s.trueVolumeLeftMl },
          }))
          .sort((a, b) => (a.subject.code < b.subject.code ? -1 : 1)),
      });
    }
    return out;
  }
}
