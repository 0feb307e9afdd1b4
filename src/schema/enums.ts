import { registerEnumType } from 'type-graphql';
import { RUN_STATUSES } from '../api/run-status';
import { CONTRAST_KINDS, SUBJECT_GROUPS } from '../data/volume';

/** GraphQL enums of api.md. Values are stored as text in the database under the same names. */
export enum ContrastKind {
  DIXON = 'DIXON',
  T1_MAP = 'T1_MAP',
  T2_MAP = 'T2_MAP',
  BOLD = 'BOLD',
  DWI = 'DWI',
}
export enum SubjectGroup {
  HEALTHY = 'HEALTHY',
  PROSTATE_CANCER = 'PROSTATE_CANCER',
  NEUROENDOCRINE_TUMOR = 'NEUROENDOCRINE_TUMOR',
  OTHER = 'OTHER',
}
export enum Split {
  TRAIN = 'TRAIN',
  VALIDATION = 'VALIDATION',
  TEST = 'TEST',
}
export enum RunKind {
  PRETRAIN = 'PRETRAIN',
  FINETUNE = 'FINETUNE',
}
export enum RunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
export enum Initialization {
  RANDOM = 'RANDOM',
  CLC = 'CLC',
}
export enum Preset {
  PAPER = 'PAPER',
  STUDY = 'STUDY',
  QUICK = 'QUICK',
  SMOKE = 'SMOKE',
}
export enum Role {
  VIEWER = 'VIEWER',
  OPERATOR = 'OPERATOR',
  ADMIN = 'ADMIN',
}

// The data layer and the clients' src/api name the same enums; a mismatch is a programming error caught at import.
for (const [name, mine, theirs] of [
  ['ContrastKind', Object.values(ContrastKind), CONTRAST_KINDS],
  ['SubjectGroup', Object.values(SubjectGroup), SUBJECT_GROUPS],
  ['RunStatus', Object.values(RunStatus), RUN_STATUSES],
] as const) {
  if (mine.join() !== [...theirs].join()) throw new Error(`${name} differs from src/data/volume.ts or src/api/run-status.ts`);
}

registerEnumType(ContrastKind, { name: 'ContrastKind' });
registerEnumType(SubjectGroup, { name: 'SubjectGroup' });
registerEnumType(Split, { name: 'Split' });
registerEnumType(RunKind, { name: 'RunKind' });
registerEnumType(RunStatus, { name: 'RunStatus' });
registerEnumType(Initialization, { name: 'Initialization' });
registerEnumType(Preset, { name: 'Preset' });
registerEnumType(Role, { name: 'Role', description: 'VIEWER reads and subscribes; OPERATOR also starts and cancels work; ADMIN also manages tokens' });
