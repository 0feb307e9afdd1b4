/** preparedQuery: a named prepared statement on PostgreSQL, a plain query on PGlite; same rows, counted once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NephronDataSource } from '../../src/db/data-source';
import { preparedQuery } from '../../src/db/prepared';
import { DB_KINDS, engineAvailable, testDataSource } from '../helpers/db';

const SELF = `SELECT name FROM pg_prepared_statements WHERE name LIKE 'nephron\\_%' AND statement = $1`;

describe.each(DB_KINDS)('preparedQuery on %s', (kind) => {
  describe.skipIf(!engineAvailable(kind))('', () => {
    let ds: NephronDataSource;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ ds, close } = await testDataSource(kind));
    });
    afterAll(async () => close?.());

    it('answers the rows a plain query answers, and counts as one statement', async () => {
      const sql = `SELECT g AS n, g * 0.5::float8 AS half, ARRAY[g, g + 1] AS pair FROM generate_series(1, $1::int) g ORDER BY g`;
      const before = ds.queryCounter.count;
      const got = await preparedQuery(ds, sql, [5]);
      expect(ds.queryCounter.count - before).toBe(1);
      expect(got).toEqual(await ds.query(sql, [5]));
    });

    it(kind === 'postgres' ? 'runs as a named prepared statement' : 'runs as a plain statement', async () => {
      // the statement finds itself among its session's prepared statements only when it was prepared under a name
      const rows = await preparedQuery<{ name: string }>(ds, SELF, [SELF]);
      if (kind === 'postgres') expect(rows.map((r) => r.name)).toEqual([expect.stringMatching(/^nephron_[0-9a-f]{16}$/)]);
      else expect(rows).toEqual([]);
    });
  });
});
