/** Downsampling of metric points in the database keeps exactly the points of the reference rule `downsample`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NephronDataSource } from '../../src/db/data-source';
import { createRng } from '../../src/ml/random';
import { InProcessPubSub } from '../../src/runs/pubsub';
import { createServices, type Services } from '../../src/services';
import { downsample } from '../../src/services/metrics.service';
import { DB_KINDS, engineAvailable, testDataSource } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';

describe.each(DB_KINDS)('metric downsampling in SQL on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let ds: NephronDataSource;
    let close: () => Promise<void>;
    let services: Services;
    let runId: string;
    // series of several lengths, with ties (values rounded to 1 decimal) so the first-extreme rule matters
    const LENGTHS: Record<string, number> = { one: 1, three: 3, five: 5, fifty: 50, long: 201 };
    const values = new Map<string, number[]>();
    beforeAll(async () => {
      ({ ds, close } = await testDataSource(kind));
      services = createServices(ds, new InProcessPubSub());
      const cohortId = (await seedCohort(services, 'downsample', 4)).id;
      runId = (await services.runs.startPretraining({ cohortId, contrast: 'DIXON' as never, preset: 'SMOKE' as never, seed: 0 })).id;
      const rng = createRng(7);
      for (const [name, n] of Object.entries(LENGTHS))
        values.set(
          name,
          Array.from({ length: n }, () => Math.round(rng() * 10) / 10),
        );
      await ds.query(
        `INSERT INTO metric_point ("runId", name, epoch, value, at)
         SELECT $1, x.name, x.epoch, x.value, now() FROM unnest($2::text[], $3::int[], $4::float8[]) AS x(name, epoch, value)`,
        [
          runId,
          [...values].flatMap(([name, vs]) => vs.map(() => name)),
          [...values].flatMap(([, vs]) => vs.map((_, i) => i + 1)),
          [...values].flatMap(([, vs]) => vs),
        ],
      );
    });
    afterAll(async () => {
      await services?.close();
      await close?.();
    });

    it('keeps the same epochs as the reference rule for every length and maxPoints', async () => {
      for (const maxPoints of [2, 3, 4, 5, 7, 10, 49, 50, 300]) {
        const rows = await services.metrics.points([runId], null, maxPoints);
        for (const [name, vs] of values) {
          const expected = downsample(
            vs.map((value, i) => ({ epoch: i + 1, value })),
            maxPoints,
          ).map((p) => p.epoch);
          const got = rows.filter((r) => r.name === name).map((r) => Number(r.epoch));
          expect(got, `${name} (n = ${vs.length}), maxPoints ${maxPoints}`).toEqual(expected);
        }
      }
    });

    it('reads values and timestamps back exactly (series travel as JSON arrays)', async () => {
      const awkward = [0.1 + 0.2, 1e-300, -123456789.12345679, Number.MAX_VALUE, 5e-324, 1 / 3];
      const at = [
        '2026-11-25T21:00:00.123456Z',
        '1999-12-31T23:59:59.999999Z',
        '2026-01-01T00:00:00Z',
        '2026-11-25T21:00:00.5Z',
        '2030-06-01T12:00:00.001Z',
        '2026-11-25T21:00:00.999Z',
      ];
      await ds.query(
        `INSERT INTO metric_point ("runId", name, epoch, value, at)
         SELECT $1, 'exact', x.epoch, x.value, x.at FROM unnest($2::int[], $3::float8[], $4::timestamptz[]) AS x(epoch, value, at)`,
        [runId, awkward.map((_, i) => i + 1), awkward, at],
      );
      // what the driver gives row by row is the reference
      const reference: { value: number; at: Date }[] = await ds.query(
        `SELECT value, at FROM metric_point WHERE "runId" = $1 AND name = 'exact' ORDER BY epoch`,
        [runId],
      );
      for (const maxPoints of [undefined, 300]) {
        const rows = await services.metrics.points([runId], ['exact'], maxPoints);
        expect(rows.map((r) => r.value)).toEqual(awkward);
        expect(rows.map((r) => r.at.getTime())).toEqual(reference.map((r) => new Date(r.at).getTime()));
      }
    });

    it('returns every point without maxPoints', async () => {
      const rows = await services.metrics.points([runId], ['long']);
      expect(rows.map((r) => Number(r.epoch))).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    });
  });
});
