import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataSource, type NephronDataSource } from '../../src/db/data-source';
import { Cohort } from '../../src/schema/cohort.entity';
import { DB_KINDS, engineAvailable, testDataSource } from '../helpers/db';

describe.each(DB_KINDS)('database on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let ds: NephronDataSource;
    let close: () => Promise<void>;
    beforeAll(async () => ({ ds, close } = await testDataSource(kind)));
    afterAll(() => close?.());

    it('isolates concurrent transactions: a rollback leaves nothing while another commits', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let inserted!: () => void;
      const insertedSignal = new Promise<void>((r) => (inserted = r));
      const failing = ds
        .transaction(async (m) => {
          await m.getRepository(Cohort).insert({ name: 'rolled-back', source: 's', fingerprint: 'f' });
          inserted();
          await gate;
          throw new Error('abort');
        })
        .catch((e: Error) => e.message);
      await insertedSignal;
      // the other transaction starts while the first is open (on PGlite it waits for the session)
      const committing = ds.transaction(async (m) => {
        await m.getRepository(Cohort).insert({ name: 'committed', source: 's', fingerprint: 'f' });
      });
      release();
      expect(await failing).toBe('abort');
      await committing;
      const names = (await ds.getRepository(Cohort).find()).map((c) => c.name);
      expect(names).toContain('committed');
      expect(names).not.toContain('rolled-back');
    });

    it('entities and migrations agree (the schema builder has nothing to change)', async () => {
      const log = await ds.driver.createSchemaBuilder().log();
      expect(log.upQueries.map((q) => q.query)).toEqual([]);
    });

    it('keeps int8 and count(*) as strings on both engines, like pg', async () => {
      const [row] = await ds.query('SELECT count(*) AS n, 5::int8 AS i');
      expect(row).toEqual({ n: '1', i: '5' });
    });
  });
});

describe('PGlite on disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-disk-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { NEPHRON_DATA_DIR: dir };

  it('keeps its data after close and reopen', async () => {
    const first = buildDataSource(env);
    await first.initialize();
    await first.runMigrations();
    await first.getRepository(Cohort).insert({ name: 'persisted', source: 's', fingerprint: 'f' });
    await first.destroy();
    expect(fs.existsSync(path.join(dir, 'nephron.lock'))).toBe(false);

    const second = buildDataSource(env);
    await second.initialize();
    expect(await second.showMigrations()).toBe(false);
    expect((await second.getRepository(Cohort).find()).map((c) => c.name)).toEqual(['persisted']);
    await second.destroy();
  });

  it('refuses a second opener of the same directory with a clear error', async () => {
    const first = buildDataSource(env);
    await first.initialize();
    try {
      const second = buildDataSource(env);
      await expect(second.initialize()).rejects.toThrow(/in use by process \d+.*NEPHRON_DATA_DIR/);
    } finally {
      await first.destroy();
    }
  });

  it('refuses another process while the lock is held', async () => {
    const { spawn } = await import('node:child_process');
    const lock = path.join(dir, 'nephron.lock');
    // a live process that is not us holds the lock
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(lock, `${child.pid}\n`);
      const ds = buildDataSource(env);
      await expect(ds.initialize()).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill();
      fs.rmSync(lock, { force: true });
    }
  });

  it('takes over a stale lock left by a dead process', async () => {
    fs.writeFileSync(path.join(dir, 'nephron.lock'), '999999999\n');
    const ds = buildDataSource(env);
    await ds.initialize();
    expect(fs.readFileSync(path.join(dir, 'nephron.lock'), 'utf8').trim()).toBe(String(process.pid));
    await ds.destroy();
  });
});
