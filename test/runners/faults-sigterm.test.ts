/**
 * SIGTERM to `nephron serve` (embedded PGlite on disk, the default set-up) while a run trains: the process exits 0
 * within 10 s, measured; the run goes back to the queue with the checkpoint of its last finished epoch (the epoch in
 * progress is dropped: see README, Runners); a second `nephron serve` on the same data directory resumes it from that
 * checkpoint, not from scratch, and the finished run has exactly one point per epoch and metric, the points written
 * before the signal untouched. (test/runners/processes.test.ts does the same for `nephron worker` on PostgreSQL.)
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNephron, type NephronProcess } from '../helpers/processes';
import { connectWs, type TestWsClient } from '../helpers/ws';

const EPOCHS = 20;

/** `nephron serve` from the sources on `dataDir` (embedded PGlite), with one runner. */
function serve(dataDir: string): NephronProcess {
  return startNephron('serve', { DATABASE_URL: '', NEPHRON_DATA_DIR: dataDir, NEPHRON_LEASE_SECONDS: '30', NEPHRON_ANSWER_CACHE_MS: '0' });
}

async function gql(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

const PROGRESS = `subscription($id: ID!) { runProgress(runId: $id) { status epoch metrics { name } } }`;

describe('SIGTERM to nephron serve while a run trains', () => {
  const children: NephronProcess[] = [];
  const clients: TestWsClient[] = [];
  let dataDir: string;
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });
  const start = async () => {
    const s = serve(dataDir);
    children.push(s);
    const url = (await s.waitForLog((l) => l.msg === 'nephron listening')).url as string;
    const ws = await connectWs(url.replace(/^http/, 'ws'));
    clients.push(ws);
    return { s, url, ws };
  };

  it('exits within 10 s, gives the run back at its last finished epoch; the next server resumes it there', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'nephron-sigterm-'));
    const a = await start();
    const { id: cohortId } = (
      await gql(a.url, `mutation { createSyntheticCohort(input: { name: "sigterm", subjects: 5, seed: 4, size: 32, slices: 4 }) { id } }`)
    ).createSyntheticCohort;
    const { id } = (
      await gql(a.url, `mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, {
        i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 41, initialization: 'RANDOM', nLabeled: 1, overrides: { finetune: { epochs: EPOCHS } } },
      })
    ).startFineTuning;
    const seen = await a.ws.subscribe(PROGRESS, { id }).waitForNext((e) => e.runProgress.metrics.length > 0 && e.runProgress.epoch >= 3);

    const sent = Date.now();
    a.s.child.kill('SIGTERM');
    const { code } = await a.s.exited;
    const exitedAt = Date.now();
    const took = exitedAt - sent;
    console.log(`[faults-sigterm] nephron serve exited ${took} ms after SIGTERM`);
    expect(code).toBe(0);
    expect(took).toBeLessThan(10_000);
    const given = a.s.logs.find((l) => l.msg === 'run given back to the queue (shutdown)' && l.runId === id);
    expect(given?.resumeFrom).toBeGreaterThanOrEqual(seen.runProgress.epoch);
    expect(given?.resumeFrom).toBeLessThan(EPOCHS);

    const b = await start();
    const done = b.ws.subscribe(PROGRESS, { id });
    const started = await b.s.waitForLog((l) => l.msg === 'run started' && l.runId === id);
    expect(started).toMatchObject({ resumeFrom: given!.resumeFrom, attempt: 1 }); // the shutdown did not count as an attempt
    expect((await done.waitForNext((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runProgress.status))).runProgress.status).toBe('SUCCEEDED');

    const { run } = await gql(b.url, `query($id: ID!) { run(id: $id) { status epoch metrics { name points { epoch at } } } }`, { id });
    expect(run).toMatchObject({ status: 'SUCCEEDED', epoch: EPOCHS });
    expect(run.metrics.map((m: { name: string }) => m.name).sort()).toEqual(['lr', 'train_loss', 'val_dice_left', 'val_dice_right', 'val_loss']);
    for (const m of run.metrics as { name: string; points: { epoch: number; at: string }[] }[]) {
      expect(m.points.map((p) => p.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      // the epochs finished by the first server were not trained again
      for (const p of m.points) expect(Date.parse(p.at) < exitedAt).toBe(p.epoch <= given!.resumeFrom);
    }
    expect(b.s.child.kill('SIGTERM')).toBe(true);
    expect((await b.s.exited).code).toBe(0);
  }, 55_000);
});
