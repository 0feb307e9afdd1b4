import { afterAll, describe, expect, it } from 'vitest';
import { buildDataSource, type NephronDataSource } from '../../src/db/data-source';
import { migrate } from '../../src/db/migrate';
import { engineAvailable } from '../helpers/db';
import { freshPostgresDatabase } from '../helpers/postgres';

describe.skipIf(!engineAvailable('postgres'))('migrations on PostgreSQL', () => {
  const opened: NephronDataSource[] = [];
  let drop = async () => {};
  afterAll(async () => {
    await Promise.all(opened.map((ds) => ds.destroy()));
    await drop();
  });

  it('run once when four processes start together on a fresh database (serve, workers, the CLI)', async () => {
    const db = await freshPostgresDatabase();
    drop = db.drop;
    for (let i = 0; i < 4; i++) opened.push(buildDataSource({ DATABASE_URL: db.url }));
    await Promise.all(opened.map((ds) => ds.initialize()));
    // without the lock two of them run the same CREATE TABLE, and one fails on a duplicate key
    const results = await Promise.allSettled(opened.map((ds) => migrate(ds)));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
    const applied = results.map((r) => (r as PromiseFulfilledResult<{ name: string }[]>).value.length);
    const total = opened[0].migrations.length;
    expect(applied.filter((n) => n === total)).toHaveLength(1); // one process applied them all, the others nothing
    expect(applied.filter((n) => n === 0)).toHaveLength(3);
    const rows: { name: string }[] = await opened[0].query('SELECT name FROM typeorm_migrations ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(opened[0].migrations.map((m) => m.name));
    // the lock is given back: a later start finds nothing to do and does not wait
    expect(await migrate(opened[1])).toEqual([]);
  });
});
