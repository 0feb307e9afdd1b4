/**
 * Content-addressed blob storage for pixel data and checkpoints: the key of a blob is the sha256 (hex) of its bytes.
 * `put` of the same bytes twice stores them once; `get` re-hashes what it read and throws `CorruptBlobError` when
 * the bytes no longer match their key.
 *
 * - `FileBlobStore(dir)`: files under dir/ab/cd/<key>, written to a temporary file in the same directory and renamed
 *   (atomic on POSIX), so a crash never leaves a partial blob under its final name.
 * - `PgBlobStore(query)`: rows of `blob(key text primary key, data bytea not null, size int not null,
 *   created_at timestamptz not null default now())`, inserted with ON CONFLICT DO NOTHING; `query` is any
 *   `(sql, params) => rows` function (TypeORM's DataSource.query, a pg Pool, PGlite wrapped to return rows).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { sha256Hex } from './encoding';

export interface BlobStore {
  /** Stores the bytes (once) and returns their sha256 hex key. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes of a key; throws BlobNotFoundError or CorruptBlobError. */
  get(key: string): Promise<Uint8Array>;
  has(key: string): Promise<boolean>;
  /** Removes a blob; resolves false when it did not exist. */
  delete?(key: string): Promise<boolean>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class CorruptBlobError extends Error {
  constructor(
    readonly key: string,
    readonly actual: string,
    where: string,
  ) {
    super(`blob ${key} is corrupt: its bytes hash to ${actual} (${where})`);
    this.name = 'CorruptBlobError';
  }
}

/**
 * The disk (or the database's disk) has no room for a blob: ENOSPC/EDQUOT on files, SQLSTATE 53100 (disk_full) on
 * PostgreSQL. Nothing of the blob is stored. The message names no path (it is shown to API callers); `where` does.
 */
export class BlobStoreFullError extends Error {
  readonly code = 'ENOSPC';
  constructor(
    readonly bytes: number,
    readonly where: string,
    options?: { cause?: unknown },
  ) {
    super(`the blob store is full (no space left on device): a blob of ${bytes} bytes could not be stored; free disk space and try again`, options);
    this.name = 'BlobStoreFullError';
  }
}

const FULL_FS = new Set(['ENOSPC', 'EDQUOT']);

const KEY_RE = /^[0-9a-f]{64}$/;

export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || !KEY_RE.test(key)) throw new RangeError(`invalid blob key ${JSON.stringify(key)}: expected 64 lowercase hex digits`);
}

function verified(key: string, bytes: Uint8Array, where: string): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== key) throw new CorruptBlobError(key, actual, where);
  return bytes;
}

export class FileBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  /** dir/ab/cd/<key>. */
  pathOf(key: string): string {
    assertBlobKey(key);
    return path.join(this.dir, key.slice(0, 2), key.slice(2, 4), key);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = sha256Hex(bytes);
    const file = this.pathOf(key);
    if (await this.has(key)) return key;
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(tmp, bytes, { flag: 'wx' });
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      if (FULL_FS.has((e as NodeJS.ErrnoException).code ?? '')) throw new BlobStoreFullError(bytes.byteLength, this.dir, { cause: e });
      throw e;
    }
    return key;
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(key);
      throw e;
    }
    return verified(key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await fs.unlink(this.pathOf(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }
}

export type QueryFn = (sql: string, params?: unknown[]) => Promise<any[]>;

/** DDL of the table PgBlobStore expects (the server's migration creates it; tests use this). */
export const BLOB_TABLE_DDL =
  'CREATE TABLE IF NOT EXISTS blob (key text PRIMARY KEY, data bytea NOT NULL, size int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())';

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value; // pg returns Buffer, PGlite Uint8Array
  if (typeof value === 'string' && value.startsWith('\\x')) return new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  throw new TypeError(`unexpected bytea value of type ${typeof value}`);
}

export class PgBlobStore implements BlobStore {
  constructor(
    private readonly query: QueryFn,
    private readonly table = 'blob',
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new RangeError(`invalid table name ${table}`);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = sha256Hex(bytes);
    try {
      await this.query(`INSERT INTO ${this.table} (key, data, size) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, [
        key,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        bytes.byteLength,
      ]);
    } catch (e) {
      // pg puts the SQLSTATE on the error, TypeORM on its driverError; the INSERT is atomic, nothing half-stored
      const err = e as { code?: string; driverError?: { code?: string } };
      if ((err.driverError?.code ?? err.code) === '53100') throw new BlobStoreFullError(bytes.byteLength, `table ${this.table}`, { cause: e });
      throw e;
    }
    return key;
  }

  async get(key: string): Promise<Uint8Array> {
    assertBlobKey(key);
    const rows = await this.query(`SELECT data FROM ${this.table} WHERE key = $1`, [key]);
    if (rows.length === 0) throw new BlobNotFoundError(key);
    return verified(key, toBytes(rows[0].data), `table ${this.table}`);
  }

  async has(key: string): Promise<boolean> {
    assertBlobKey(key);
    const rows = await this.query(`SELECT 1 AS one FROM ${this.table} WHERE key = $1`, [key]);
    return rows.length > 0;
  }

  async delete(key: string): Promise<boolean> {
    assertBlobKey(key);
    // A CTE so the command is a SELECT: TypeORM returns [rows, count] for a bare DELETE.
    const rows = await this.query(`WITH d AS (DELETE FROM ${this.table} WHERE key = $1 RETURNING key) SELECT count(*)::int AS n FROM d`, [key]);
    return Number(rows[0]?.n ?? 0) > 0;
  }
}
