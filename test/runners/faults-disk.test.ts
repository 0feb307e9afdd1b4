/**
 * A full disk under the blob store (embedded PGlite on disk; its blobs directory on a small tmpfs filled up while a
 * run trains): the run FAILS saying the disk is full, keeping its last stored checkpoint; no half-written blob is
 * left under a final name (nor a temporary file), no row points to a missing blob, the API keeps answering; a
 * cohort created on the full disk answers INTERNAL_SERVER_ERROR (reason DISK_FULL) with no stack trace and stores
 * nothing; once space is freed, the same cohort is created.
 *
 * The tmpfs needs `mount` (root). Without it the test injects ENOSPC at the fs layer instead (fs.promises.writeFile
 * under the blob directory only), which checks the same outcomes with a simulated disk; it says which it used.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobStoreFullError, PgBlobStore } from '../../src/data/blob-store';
import type { RunnerHost } from '../../src/runners/host';
import { Run } from '../../src/schema/run.entity';
import type { RunProgress } from '../../src/schema/types';
import { topics } from '../../src/runs/pubsub';
import { startTestServer, type TestServer } from '../helpers/server';

const fs = nodeFs.promises;

/** Files under dir, relative, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** A tmpfs of `mb` megabytes at dir, or null when this machine does not let us mount one. */
function mountTmpfs(dir: string, mb: number): (() => void) | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return () => execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    return null;
  }
}

describe('a full disk under the file blob store', () => {
  let t: TestServer;
  let host: RunnerHost;
  let root: string;
  let blobDir: string;
  let unmount: (() => void) | null = null;
  let cohortId: string;
  /** Fills the blob store's disk; returns the function that frees it again. */
  let fillDisk: () => Promise<() => Promise<void>>;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'nephron-disk-'));
    blobDir = path.join(root, 'blobs');
    await fs.mkdir(blobDir);
    unmount = mountTmpfs(blobDir, 16);
    if (unmount) {
      console.log('[faults-disk] blobs on a real 16 MB tmpfs');
      fillDisk = async () => {
        const filler = path.join(blobDir, 'filler');
        const handle = await fs.open(filler, 'w');
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) await handle.write(chunk); // until ENOSPC
        } catch (e) {
          expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
        // what a partial last chunk left over
        for (const size of [4096, 512, 1]) {
          try {
            for (;;) await handle.write(Buffer.alloc(size));
          } catch {
            continue;
          }
        }
        await handle.close();
        return () => fs.rm(filler);
      };
    } else {
      console.log('[faults-disk] mount unavailable: ENOSPC injected at fs.promises.writeFile (simulated full disk)');
      fillDisk = async () => {
        const real = fs.writeFile.bind(fs);
        const spy = vi.spyOn(fs, 'writeFile').mockImplementation(async (file, ...rest) => {
          if (String(file).startsWith(blobDir)) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
          return real(file, ...(rest as [never]));
        });
        return async () => spy.mockRestore();
      };
    }
    t = await startTestServer(
      'pglite',
      { DATABASE_URL: '', NEPHRON_DATA_DIR: root, NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '5', NEPHRON_WASM_THREADS: '1' },
      { runners: { pollMs: 200 } },
    );
    host = t.server.runners!;
    cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "disk", subjects: 5, seed: 4, size: 32, slices: 4 }) { id } }`))
      .createSyntheticCohort.id;
  }, 40_000);
  afterAll(async () => {
    await t?.stop();
    unmount?.();
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Every blob file is complete (its bytes hash to its name); no temporary file is left. */
  const expectOnlyWholeBlobs = async () => {
    const files = (await filesUnder(blobDir)).filter((f) => path.basename(f) !== 'filler');
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    for (const f of files)
      expect(
        createHash('sha256')
          .update(await fs.readFile(f))
          .digest('hex'),
      ).toBe(path.basename(f));
    return files;
  };
  /** No row names a blob that is not stored. */
  const expectNoDanglingKeys = async () => {
    const keys: { key: string; what: string }[] = await t.server.dataSource.query(
      `SELECT "dataBlobKey" AS key, 'series data' AS what FROM series UNION ALL SELECT "maskBlobKey", 'series mask' FROM series
       UNION ALL SELECT "checkpointBlobKey", 'checkpoint' FROM run UNION ALL SELECT "previousCheckpointBlobKey", 'previous checkpoint' FROM run
       UNION ALL SELECT "bestCheckpointBlobKey", 'best checkpoint' FROM run UNION ALL SELECT "weightsBlobKey", 'weights' FROM run
       UNION ALL SELECT "predictionBlobKey", 'prediction' FROM subject_score UNION ALL SELECT "blobKey", 'alias' FROM blob_alias`,
    );
    const missing = [];
    for (const k of keys.filter((x) => x.key)) if (!(await t.server.services.blobs.has(k.key))) missing.push(k);
    expect(missing).toEqual([]);
  };

  it('a run whose checkpoint cannot be written fails saying the disk is full; nothing dangles; the API answers', async () => {
    const run = (
      await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, {
        i: { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 31, initialization: 'RANDOM', nLabeled: 1, overrides: { finetune: { epochs: 40 } } },
      })
    ).startFineTuning as { id: string };
    const settled = new Promise<string>((resolve) => host.on('settled', (id: string, how: string) => id === run.id && resolve(how)));
    const events = t.server.pubsub.subscribe<RunProgress>(topics.run(run.id));
    for await (const e of events) if (e.epoch >= 2) break;
    await events.return?.();
    const free = await fillDisk();
    try {
      expect(await settled).toBe('failed');
      const r = await t.server.dataSource.getRepository(Run).findOneByOrFail({ id: run.id });
      expect(r.status).toBe('FAILED');
      expect(r.error).toMatch(
        /^the blob store is full \(no space left on device\): a \d+-byte blob of this run could not be stored, so it stopped at its last stored epoch\. Free disk space, then start the run again$/,
      );
      expect(r.error).not.toMatch(/\n\s+at |\/tmp\//); // no stack trace, no path
      expect(r.epoch).toBeGreaterThanOrEqual(2);
      expect(r.epoch).toBeLessThan(40);
      expect(await t.server.services.blobs.get(r.checkpointBlobKey!)).toBeInstanceOf(Uint8Array);
      await expectOnlyWholeBlobs();
      await expectNoDanglingKeys();
      // the API keeps answering, over GraphQL and /healthz
      const { run: seen } = await t.ok(`query($id: ID!) { run(id: $id) { status error epoch } }`, { id: run.id });
      expect(seen).toMatchObject({ status: 'FAILED', epoch: r.epoch });
      expect((await t.http().get('/healthz')).status).toBe(200);
    } finally {
      await free();
    }
  }, 40_000);

  it('a cohort created on a full disk: a clear error without a stack trace, nothing stored; it works once space is freed', async () => {
    const before = await expectOnlyWholeBlobs();
    const create = `mutation { createSyntheticCohort(input: { name: "full", subjects: 4, seed: 9, size: 32, slices: 4 }) { id subjectCount } }`;
    const free = await fillDisk();
    let res;
    try {
      res = await t.gql(create);
    } finally {
      await free();
    }
    expect(res.data?.createSyntheticCohort ?? null).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].message).toMatch(
      /^the blob store is full \(no space left on device\): a blob of \d+ bytes could not be stored; free disk space and try again$/,
    );
    expect(res.errors![0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'DISK_FULL' });
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|\s+at \w|\/tmp\//);
    // nothing of it stored: no rows, no new blob files (those written before the disk filled were removed again)
    expect((await t.ok(`{ cohorts { name } }`)).cohorts.map((c: { name: string }) => c.name)).toEqual(['disk']);
    expect((await expectOnlyWholeBlobs()).sort()).toEqual([...before].sort());
    await expectNoDanglingKeys();

    expect((await t.ok(create)).createSyntheticCohort.subjectCount).toBe(4);
    await expectNoDanglingKeys();
  }, 40_000);
});

describe('a full disk under the PostgreSQL blob table', () => {
  // simulated: filling a PostgreSQL server's disk is out of a test's reach; its error is SQLSTATE 53100 (disk_full)
  it('disk_full on the INSERT becomes the same BlobStoreFullError (the INSERT stored nothing)', async () => {
    const diskFull = Object.assign(new Error('could not extend file "base/16384/16410": No space left on device'), { code: '53100' });
    const pg = new PgBlobStore(async () => Promise.reject(diskFull));
    const typeorm = new PgBlobStore(async () => Promise.reject(Object.assign(new Error('query failed'), { driverError: diskFull })));
    for (const store of [pg, typeorm]) {
      const err = await store.put(new Uint8Array(100)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlobStoreFullError);
      expect(err).toMatchObject({ bytes: 100, where: 'table blob', cause: expect.anything() });
    }
    // any other failure is not a full disk
    const other = new PgBlobStore(async () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })));
    await expect(other.put(new Uint8Array(1))).rejects.toThrow('connection refused');
  });
});
