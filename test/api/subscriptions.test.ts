import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStatus } from '../../src/schema/enums';
import { topics } from '../../src/runs/pubsub';
import { DB_KINDS, engineAvailable } from '../helpers/db';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

describe.each(DB_KINDS)('subscriptions on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let t: TestServer;
    let cohortId: string;
    beforeAll(async () => {
      t = await startTestServer(kind);
      cohortId = (await seedCohort(t.server.services)).id;
    });
    afterAll(() => t?.stop());

    const startRun = async () =>
      (await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { cohortId, contrast: 'DIXON', preset: 'SMOKE' } }))
        .startPretraining.id as string;

    it('runProgress delivers the status change a cancelRun mutation publishes', async () => {
      const runId = await startRun();
      const ws = await t.ws();
      const sub = ws.subscribe(`subscription($id: ID!) { runProgress(runId: $id) { runId status phase epoch epochs metrics { name value } at } }`, {
        id: runId,
      });
      await t.pubsub.waitForSubscribers(topics.run(runId));
      await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
      const event = await sub.waitForNext();
      expect(event.runProgress).toMatchObject({ runId, status: RunStatus.CANCELLED, epoch: 0, metrics: [] });
      expect(new Date(event.runProgress.at).getTime()).toBeGreaterThan(0);
      sub.unsubscribe();
    });

    it('runEvents filters by sweep and cohort', async () => {
      const ws = await t.ws();
      const subscribersBefore = t.pubsub.subscriberCount(topics.allRuns);
      const all = ws.subscribe(`subscription { runEvents { runId status } }`);
      const otherCohort = ws.subscribe(`subscription { runEvents(cohortId: "00000000-0000-4000-8000-000000000000") { runId } }`);
      const sweepEvents = ws.subscribe(`subscription($c: ID!) { runEvents(cohortId: $c) { runId status } }`, { c: cohortId });
      await t.pubsub.waitForSubscribers(topics.allRuns, subscribersBefore + 3);
      const runId = await startRun();
      expect((await all.waitForNext((e) => e.runEvents.runId === runId)).runEvents.status).toBe('QUEUED');
      expect((await sweepEvents.waitForNext((e) => e.runEvents.runId === runId)).runEvents.status).toBe('QUEUED');
      await t.ok(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
      expect((await all.waitForNext((e) => e.runEvents.runId === runId)).runEvents.status).toBe('CANCELLED');
      expect(otherCohort.events).toEqual([]);
    });

    it('answers NOT_FOUND when subscribing to an unknown run', async () => {
      const ws = await t.ws();
      const sub = ws.subscribe(`subscription { runProgress(runId: "00000000-0000-4000-8000-000000000000") { runId } }`);
      const error = (await sub.waitForError()) as { extensions?: { code?: string } }[] | { extensions?: { code?: string } };
      const first = Array.isArray(error) ? error[0] : error;
      expect(first.extensions?.code).toBe('NOT_FOUND');
    });

    it('stops cleanly with a subscription open (graceful shutdown)', async () => {
      const other = await startTestServer(kind);
      const ws = await other.ws();
      const sub = ws.subscribe(`subscription { runEvents { runId } }`);
      await other.pubsub.waitForSubscribers(topics.allRuns);
      await other.server.stop();
      await sub.waitForEnd();
      expect(other.server.dataSource.isInitialized).toBe(false);
      await other.stop();
    });
  });
});
