import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_TABLE_DDL, BlobNotFoundError, type BlobStore, CorruptBlobError, FileBlobStore, PgBlobStore } from '../../src/data/blob-store';
import { sha256Hex } from '../../src/data/encoding';

function contract(name: string, make: () => BlobStore, corrupt: (key: string) => Promise<void>) {
  describe(name, () => {
    it('round-trips bytes under their sha256 key and stores the same bytes once', async () => {
      const store = make();
      const bytes = new Uint8Array(10000).map((_, i) => (i * 31) & 0xff);
      const key = await store.put(bytes);
      expect(key).toBe(sha256Hex(bytes));
      expect(await store.has(key)).toBe(true);
      expect(Buffer.from(await store.get(key)).equals(Buffer.from(bytes))).toBe(true);
      expect(await store.put(Uint8Array.from(bytes))).toBe(key);
      const empty = await store.put(new Uint8Array(0));
      expect((await store.get(empty)).length).toBe(0);
    });

    it('reports missing keys and rejects malformed ones', async () => {
      const store = make();
      const missing = sha256Hex('never stored');
      expect(await store.has(missing)).toBe(false);
      await expect(store.get(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('../../etc/passwd')).rejects.toThrow(/invalid blob key/);
    });

    it('detects corrupt blobs', async () => {
      const store = make();
      const key = await store.put(new TextEncoder().encode(`corrupt me ${name}`));
      await corrupt(key);
      await expect(store.get(key)).rejects.toBeInstanceOf(CorruptBlobError);
      await expect(store.get(key)).rejects.toThrow(key);
    });

    it('deletes', async () => {
      const store = make();
      const key = await store.put(new TextEncoder().encode(`delete me ${name}`));
      expect(await store.delete!(key)).toBe(true);
      expect(await store.has(key)).toBe(false);
      expect(await store.delete!(key)).toBe(false);
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'nephron-blobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = new FileBlobStore(dir);
contract('FileBlobStore', () => files, async (key) => writeFileSync(files.pathOf(key), 'tampered'));

describe('FileBlobStore layout', () => {
  it('shards as ab/cd/<key> and leaves no temporary files', async () => {
    const key = await files.put(new TextEncoder().encode('layout'));
    expect(files.pathOf(key)).toBe(path.join(dir, key.slice(0, 2), key.slice(2, 4), key));
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.dirname(files.pathOf(key))).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

// PostgreSQL: a fresh database per run on the local server; skipped (visibly) when none is reachable, except in CI.
const ADMIN_URL = process.env.NEPHRON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `nephron_blob_${process.pid}_${Date.now().toString(36)}`;
let admin: Client | null = null;
let client: Client | null = null;
let pgError: string | null = null;

beforeAll(async () => {
  try {
    admin = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    client = new Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(BLOB_TABLE_DDL);
  } catch (e) {
    pgError = (e as Error).message;
    await admin?.end().catch(() => undefined);
    admin = null;
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI: ${pgError}`);
    console.warn(`SKIPPING PgBlobStore tests: PostgreSQL at ${ADMIN_URL} unreachable (${pgError})`);
  }
});

afterAll(async () => {
  await client?.end();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
});

const query = async (sql: string, params?: unknown[]) => (await client!.query(sql, params as unknown[])).rows;
describe('PgBlobStore (fresh PostgreSQL database; skipped with a warning when unreachable, required in CI)', () => {
  const guard = (f: () => Promise<void>) => async (ctx: { skip: () => void }) => {
    if (!client) return ctx.skip();
    await f();
  };
  const store = () => new PgBlobStore(query);
  it('round trip, dedup, size column', guard(async () => {
    const bytes = new TextEncoder().encode('pg round trip');
    const key = await store().put(bytes);
    await store().put(bytes);
    const rows = await query('SELECT size FROM blob WHERE key = $1', [key]);
    expect(rows).toEqual([{ size: bytes.length }]);
    expect(Buffer.from(await store().get(key)).toString()).toBe('pg round trip');
    expect(await store().has(key)).toBe(true);
  }));
  it('missing and corrupt blobs', guard(async () => {
    await expect(store().get(sha256Hex('nope'))).rejects.toBeInstanceOf(BlobNotFoundError);
    const key = await store().put(new TextEncoder().encode('pg corrupt'));
    await query('UPDATE blob SET data = $2 WHERE key = $1', [key, Buffer.from('tampered')]);
    await expect(store().get(key)).rejects.toBeInstanceOf(CorruptBlobError);
  }));
  it('delete', guard(async () => {
    const key = await store().put(new TextEncoder().encode('pg delete'));
    expect(await store().delete(key)).toBe(true);
    expect(await store().has(key)).toBe(false);
    expect(await store().delete(key)).toBe(false);
  }));
});
