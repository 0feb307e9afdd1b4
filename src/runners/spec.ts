/**
 * The JobSpec of a claimed run: its stored config, the cohort's subjects that have a series of the run's contrast
 * (by code), the pretraining run's weights for CLC fine-tuning, and the checkpoint to resume from (the verified one
 * of ./checkpoints.ts resumePoint, which may be earlier than the run's latest when that one is corrupt).
 */
import type { DataSource } from 'typeorm';
import type { ContrastKindName } from '../data/volume';
import { parseRunConfig } from '../ml/resolve-config';
import { Initialization, RunKind, RunStatus } from '../schema/enums';
import { Run } from '../schema/run.entity';
import type { JobSpec, JobSplit, JobSubject } from '../runs/job';

interface SubjectRow {
  id: string;
  code: string;
  split: JobSplit;
  seriesId: string;
  width: number;
  height: number;
  slices: number;
  channels: string[];
  spacingMm: number[];
  dataBlobKey: string;
  maskBlobKey: string | null;
}

export async function buildJobSpec(ds: DataSource, run: Run, resumeCheckpointKey: string | null): Promise<JobSpec> {
  const rows: SubjectRow[] = await ds.query(
    `SELECT s.id, s.code, s.split, se.id AS "seriesId", se.width, se.height, se.slices, se.channels, se."spacingMm",
            se."dataBlobKey", se."maskBlobKey"
     FROM subject s JOIN series se ON se."subjectId" = s.id AND se.contrast = $2
     WHERE s."cohortId" = $1 ORDER BY s.code`,
    [run.cohortId, run.contrast],
  );
  const subjects: JobSubject[] = rows.map((r) => ({
    id: r.id,
    code: r.code,
    split: r.split,
    seriesId: r.seriesId,
    width: r.width,
    height: r.height,
    slices: r.slices,
    channels: r.channels.length,
    spacingMm: [r.spacingMm[0], r.spacingMm[1], r.spacingMm[2]],
    dataBlobKey: r.dataBlobKey,
    maskBlobKey: r.maskBlobKey,
  }));
  let pretrainedWeightsKey: string | null = null;
  if (run.kind === RunKind.FINETUNE && run.initialization === Initialization.CLC) {
    const pretrain = await ds.getRepository(Run).findOneBy({ id: run.pretrainRunId ?? '' });
    if (pretrain?.status !== RunStatus.SUCCEEDED || !pretrain.weightsBlobKey) {
      throw new Error(`pretraining run ${run.pretrainRunId} has no weights to start from (it is ${pretrain?.status ?? 'gone'})`);
    }
    pretrainedWeightsKey = pretrain.weightsBlobKey;
  }
  return {
    runId: run.id,
    kind: run.kind,
    contrast: run.contrast as ContrastKindName,
    seed: run.seed,
    // the stored config, checked again: a row edited by hand fails its run with the key that is wrong
    config: parseRunConfig(run.kind, run.config),
    initialization: run.initialization,
    nLabeled: run.nLabeled,
    pretrainedWeightsKey,
    subjects,
    resumeCheckpointKey,
  };
}
