import { createHash } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { NephronDataSource } from '../../src/db/data-source';
import { ContrastKind, Split, SubjectGroup } from '../../src/schema/enums';
import { InProcessPubSub } from '../../src/runs';
import { openNephron } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Services } from '../../src/services';
import { freshDatabaseEnv, type DbKind } from './db';

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

export interface SeededDatabase {
  ds: NephronDataSource;
  services: Services;
  cohortId: string;
}

/**
 * For one describe block: a fresh database of `kind` opened as `nephron serve` opens it (src/app.ts, no runners), with services and a `seedCohort`
 * cohort, opened before its tests
 * and closed after them (the vitest hooks are registered here). The fields are set once the hooks have run.
 */
export function useSeededDatabase(kind: DbKind): SeededDatabase {
  const db = {} as SeededDatabase;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const { env, cleanup } = await freshDatabaseEnv(kind);
    const config = loadConfig({ LOG_LEVEL: 'warn', NEPHRON_RUNNERS: '0', ...env });
    const nephron = await openNephron(config, { pubsub: new InProcessPubSub() });
    close = async () => {
      await nephron.close();
      await cleanup();
    };
    ({ dataSource: db.ds, services: db.services } = nephron);
    db.cohortId = (await seedCohort(db.services)).id;
  });
  afterAll(async () => {
    await close?.();
  });
  return db;
}
