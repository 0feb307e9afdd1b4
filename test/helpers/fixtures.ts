import { createHash } from 'node:crypto';
import { ContrastKind, Split, SubjectGroup } from '../../src/schema/enums';
import type { Services } from '../../src/services';

const key = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A small cohort stored directly through CohortService.insert (the generator is another issue): `train` TRAIN
 * subjects, 1 VALIDATION, 2 TEST, with DIXON and T1_MAP series (blob keys are made-up hashes; nothing reads them).
 */
export async function seedCohort(services: Services, name = 'test-cohort', train = 8) {
  const splits = [...Array(train).fill(Split.TRAIN), Split.VALIDATION, Split.TEST, Split.TEST] as Split[];
  return services.cohorts.insert({
    name,
    source: 'synthetic',
    fingerprint: key(name),
    contrasts: [
      { kind: ContrastKind.DIXON, channels: ['in-phase', 'opposed-phase', 'water', 'fat'], protocol: { matrix: [64, 64] } },
      { kind: ContrastKind.T1_MAP, channels: ['TI=100ms', 'TI=1000ms'], protocol: { ti: [100, 1000] } },
    ],
    subjects: splits.map((split, i) => ({
      code: `S${String(i + 1).padStart(3, '0')}`,
      group: i % 4 === 0 ? SubjectGroup.HEALTHY : SubjectGroup.PROSTATE_CANCER,
      split,
      series: [ContrastKind.DIXON, ContrastKind.T1_MAP].map((contrast) => ({
        contrast,
        channels: contrast === ContrastKind.DIXON ? ['in-phase', 'opposed-phase', 'water', 'fat'] : ['TI=100ms', 'TI=1000ms'],
        width: 64,
        height: 64,
        slices: 12,
        spacingMm: [2.5, 2.5, 5],
        dataBlobKey: key(`${name}/${i}/${contrast}`),
        maskBlobKey: split === Split.TEST || contrast === ContrastKind.DIXON ? key(`${name}/${i}/${contrast}/mask`) : null,
        kidneyVolumesMl: { right: 150 + i, left: 140 + i },
      })),
    })),
  });
}
