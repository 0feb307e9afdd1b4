import { ApiToken } from './api-token.entity';
import { Blob } from './blob.entity';
import { BlobAlias } from './blob-alias.entity';
import { Cohort } from './cohort.entity';
import { EvaluationRecord, SubjectScoreRecord } from './evaluation.entity';
import { MetricPoint, MetricSummary } from './metric.entity';
import { Run } from './run.entity';
import { Segmentation } from './segmentation.entity';
import { Series } from './series.entity';
import { Subject } from './subject.entity';
import { Sweep } from './sweep.entity';

export * from './enums';
export * from './types';
export { ApiToken, Blob, BlobAlias, Cohort, EvaluationRecord, MetricPoint, MetricSummary, Run, Segmentation, Series, Subject, SubjectScoreRecord, Sweep };
export type { StoredContrast } from './cohort.entity';

/** Every TypeORM entity, listed explicitly (no globs). */
export const ENTITIES = [
  Cohort,
  Subject,
  Series,
  Run,
  Sweep,
  MetricPoint,
  MetricSummary,
  EvaluationRecord,
  SubjectScoreRecord,
  ApiToken,
  Blob,
  BlobAlias,
  Segmentation,
];
