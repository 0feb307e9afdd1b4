import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStatus } from '../../src/schema/enums';
import { Run } from '../../src/schema/run.entity';
import { topics } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

describe.each(DB_KINDS)('cancelSweep on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let cohortId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      cohortId = (await seedCohort(t.server.services, 'sweeps', 4)).id;
    });
    afterAll(() => t?.stop());

    const start = async (name: string) =>
      (
        await t.ok(`mutation($input: SweepInput!) { startSweep(input: $input) { id runs { id kind } } }`, {
          input: { name, cohortId, contrasts: ['DIXON'], nLabeled: [2], initializations: ['RANDOM', 'CLC'], seeds: [1], preset: 'SMOKE' },
        })
      ).startSweep;

    it('cancels what is not finished, keeps what is, and publishes each cancellation', async () => {
      const sweep = await start('cancel-me');
      expect(sweep.runs).toHaveLength(3); // one PRETRAIN, two FINETUNE
      const done = sweep.runs.find((r: any) => r.kind === 'PRETRAIN');
      await t.server.dataSource.getRepository(Run).update(done.id, { status: RunStatus.SUCCEEDED });
      const ws = await t.ws();
      const events = ws.subscribe(`subscription($id: ID) { runEvents(sweepId: $id) { runId status } }`, { id: sweep.id });
      await t.pubsub.waitForSubscribers(topics.allRuns);
      const { cancelSweep } = await t.ok(`mutation($id: ID!) { cancelSweep(id: $id) { status done total runs { id status } } }`, { id: sweep.id });
      expect(cancelSweep.total).toBe(3);
      const statuses = Object.fromEntries(cancelSweep.runs.map((r: any) => [r.id, r.status]));
      for (const r of sweep.runs) expect(statuses[r.id]).toBe(r.id === done.id ? 'SUCCEEDED' : 'CANCELLED');
      const seen = [(await events.waitForNext()).runEvents, (await events.waitForNext()).runEvents];
      expect(seen.every((e) => e.status === 'CANCELLED')).toBe(true);
      expect(new Set(seen.map((e) => e.runId))).toEqual(new Set(sweep.runs.filter((r: any) => r.id !== done.id).map((r: any) => r.id)));
    });

    it('answers CONFLICT when nothing is left and NOT_FOUND for an unknown sweep', async () => {
      const sweep = await start('twice');
      await t.ok(`mutation($id: ID!) { cancelSweep(id: $id) { id } }`, { id: sweep.id });
      const again = await t.gql(`mutation($id: ID!) { cancelSweep(id: $id) { id } }`, { id: sweep.id });
      expect(again.errors?.[0].extensions.code).toBe('CONFLICT');
      const unknown = await t.gql(`mutation { cancelSweep(id: "00000000-0000-4000-8000-000000000000") { id } }`);
      expect(unknown.errors?.[0].extensions.code).toBe('NOT_FOUND');
    });
  });
});
