/**
 * The default cohort synthetic-79 (phantom generation 2, issue 12) as the server generates it: every subject
 * generated, encoded and hashed in two data workers. Same seed → same bytes, checked against the fingerprint this
 * generation recorded (any change to the generator's output must change it on purpose, with a new generation);
 * and fast enough: ≤ 60 s on the 2 cores. Timing-sensitive: on a loaded machine rerun once before suspecting a
 * regression (BRIEF: never loosen the bound).
 */
import { describe, expect, it } from 'vitest';
import { planCohort } from '../../src/data/phantom';
import { fingerprintOf, mapLimit } from '../../src/services/cohort-data';
import { WorkerPool } from '../../src/services/workers/pool';

/** Fingerprint of synthetic-79 (seed 2093, 128²) from phantom generation 2. */
export const SYNTHETIC_79_GEN2_FINGERPRINT = '9a90607024848c27f6e0010d6f45f7814f4fbc816dfcf583a39d54e0bba5d7d5';

describe('default cohort synthetic-79', () => {
  it('is generated in ≤ 60 s on two worker threads, with the recorded fingerprint (same seed, same bytes)', async () => {
    const pool = new WorkerPool(2);
    try {
      const plan = planCohort({ seed: 2093 });
      const t0 = performance.now();
      const hashes = await mapLimit(plan, 2, async (p) => {
        const s = await pool.run('synthSubject', { seed: p.seed, code: p.code, group: p.group, size: 128 });
        return { code: s.code, series: s.series.map(({ contrast, dataHash, maskHash }) => ({ contrast, dataHash, maskHash })) };
      });
      const seconds = (performance.now() - t0) / 1000;
      console.log(`synthetic-79: ${seconds.toFixed(1)} s on 2 workers`);
      expect(fingerprintOf(hashes)).toBe(SYNTHETIC_79_GEN2_FINGERPRINT);
      expect(seconds).toBeLessThanOrEqual(60);
    } finally {
      await pool.close();
    }
  }, 300_000);
});
