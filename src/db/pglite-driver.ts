/**
 * A `pg`-compatible module backed by one embedded PGlite, for TypeORM's postgres driver (`options.driver`).
 *
 * PGlite is a single PostgreSQL session. TypeORM gives every query runner its own "connection" from the pool and
 * expects them to be isolated; sharing the one session (as the public typeorm-pglite shim does) mixes concurrent
 * transactions: one runner's ROLLBACK undoes another's inserts. Here the pool hands the session to one connection at
 * a time (a FIFO mutex held from `pool.connect()` until `release()`), so a query runner owns the session for its
 * whole transaction and the others wait. A connection released inside an open transaction is rolled back first.
 *
 * Consequence: inside a transaction, every query must go through that transaction's EntityManager. A query through
 * the DataSource's global manager would wait for the session the transaction holds; it fails after
 * `sessionTimeoutMs` with a message saying so instead of hanging.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { PGlite, types, type PGliteOptions, type Results } from '@electric-sql/pglite';
import { acquireLockFile } from './lock-file';
import { Mutex } from './mutex';
import { createMemoryPGlite } from './pglite-template';

export interface PGliteDriverOptions {
  /** PostgreSQL data directory on disk; omit for an in-memory database. */
  dataDir?: string;
  /** Lock file taken while the database is open (on-disk databases); defaults to `<dataDir>/../nephron.lock`. */
  lockFile?: string;
  /** How long a connection waits for the session before failing (default 30 s). */
  sessionTimeoutMs?: number;
}

type Callback<T> = (err: Error | null, value?: T) => void;

/** pg returns int8 and numeric as strings; PGlite parses them to numbers. Match pg so both engines behave alike. */
const PG_COMPATIBLE_PARSERS = {
  [types.INT8]: (v: string) => v,
  [types.NUMERIC]: (v: string) => v,
};

interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: { name: string; dataTypeID: number }[];
}

function toPg(r: Results | undefined): PgResult {
  if (!r) return { rows: [], rowCount: 0, command: '', fields: [] };
  return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length, command: r.command ?? '', fields: r.fields };
}

const TX_START = /^\s*(begin|start\s+transaction)\b/i;
const TX_END = /^\s*(commit|rollback|end|abort)\b(?!\s+to\b)/i;

/** The session as one query runner sees it while it holds the lock. */
class PGliteConnection extends EventEmitter {
  inTransaction = false;
  released = false;

  constructor(private readonly db: PGlite) {
    super();
  }

  query(text: unknown, params?: unknown, callback?: unknown): Promise<PgResult> | undefined {
    if (typeof params === 'function') {
      callback = params;
      params = undefined;
    }
    const sql = typeof text === 'string' ? text : (text as { text: string }).text;
    const values = (typeof text === 'object' && text ? (text as { values?: unknown[] }).values : undefined) ?? (params as unknown[] | undefined);
    const promise = this.run(sql, values);
    if (typeof callback === 'function') {
      promise.then(
        (r) => (callback as Callback<PgResult>)(null, r),
        (e) => (callback as Callback<PgResult>)(e as Error),
      );
      return undefined;
    }
    return promise;
  }

  private async run(sql: string, values: unknown[] | undefined): Promise<PgResult> {
    if (this.released) throw new Error('PGlite connection used after release');
    let result: PgResult;
    if (values && values.length > 0) {
      result = toPg(await this.db.query(sql, values));
    } else {
      // like pg: no parameters → simple query protocol, which allows several statements (migrations)
      const all = await this.db.exec(sql);
      result = toPg(all[all.length - 1]);
    }
    if (TX_START.test(sql)) this.inTransaction = true;
    else if (TX_END.test(sql)) this.inTransaction = false;
    return result;
  }
}

/** The `pg` module surface TypeORM's postgres driver uses: `new Pool(opts)`, `pool.connect(cb)`, `pool.end(cb)`. */
export interface PGliteDriverModule {
  Pool: new (options?: unknown) => PGlitePool;
  defaults: Record<string, unknown>;
  /** The live PGlite of the open pool (tests and tools); undefined before connect or after end. */
  current(): PGlite | undefined;
  /** Total statements executed (for tests that count queries). */
  readonly options: PGliteDriverOptions;
}

export class PGlitePool extends EventEmitter {
  private db?: Promise<PGlite>;
  private releaseLock?: () => void;
  private readonly mutex = new Mutex();
  private ended = false;

  constructor(
    private readonly options: PGliteDriverOptions,
    private readonly onOpen: (db: PGlite | undefined) => void,
  ) {
    super();
  }

  private open(): Promise<PGlite> {
    this.db ??= (async () => {
      const pgOptions: PGliteOptions = { parsers: PG_COMPATIBLE_PARSERS };
      let db: PGlite;
      if (this.options.dataDir) {
        const dir = path.resolve(this.options.dataDir);
        this.releaseLock = acquireLockFile(this.options.lockFile ?? path.join(path.dirname(dir), 'nephron.lock'));
        try {
          db = await PGlite.create(dir, pgOptions);
        } catch (e) {
          this.releaseLock();
          throw e;
        }
      } else {
        db = await createMemoryPGlite(pgOptions);
      }
      this.onOpen(db);
      return db;
    })();
    this.db.catch(() => (this.db = undefined));
    return this.db;
  }

  connect(callback?: (err: Error | null, client?: PGliteConnection, release?: (err?: unknown) => void) => void): Promise<PGliteConnection> | undefined {
    const promise = (async () => {
      if (this.ended) throw new Error('the PGlite pool has been closed');
      const db = await this.open();
      const unlock = await this.mutex.acquire(
        this.options.sessionTimeoutMs ?? 30_000,
        'PGlite session (is a query running outside the EntityManager of an open transaction?)',
      );
      const conn = new PGliteConnection(db);
      const release = () => {
        if (conn.released) return;
        conn.released = true;
        if (conn.inTransaction) {
          // never hand an open transaction to the next holder
          db.exec('ROLLBACK').finally(unlock);
        } else {
          unlock();
        }
      };
      (conn as unknown as { release: () => void }).release = release;
      return { conn, release };
    })();
    if (callback) {
      promise.then(
        ({ conn, release }) => callback(null, conn, release),
        (e) => callback(e as Error),
      );
      return undefined;
    }
    return promise.then(({ conn }) => conn);
  }

  /** pool.query(): one statement on a briefly borrowed session. */
  async query(text: string, params?: unknown[]): Promise<PgResult> {
    const { conn, release } = await new Promise<{ conn: PGliteConnection; release: () => void }>((ok, fail) =>
      this.connect((err, conn, release) => (err ? fail(err) : ok({ conn: conn!, release: release! }))),
    );
    try {
      return (await conn.query(text, params))!;
    } finally {
      release();
    }
  }

  end(callback?: (err?: Error) => void): Promise<void> | undefined {
    this.ended = true;
    const promise = (async () => {
      if (!this.db) return;
      const db = await this.db.catch(() => undefined);
      if (!db) return;
      // wait for the current holder to finish
      const unlock = await this.mutex.acquire(0);
      try {
        await db.close();
      } finally {
        unlock();
        this.releaseLock?.();
        this.db = undefined;
        this.onOpen(undefined);
      }
    })();
    if (callback) {
      promise.then(
        () => callback(),
        (e) => callback(e as Error),
      );
      return undefined;
    }
    return promise;
  }
}

/** Builds a `pg`-compatible module whose pools open the given PGlite database. */
export function createPGliteDriver(options: PGliteDriverOptions = {}): PGliteDriverModule {
  let live: PGlite | undefined;
  const onOpen = (db: PGlite | undefined) => (live = db);
  class Pool extends PGlitePool {
    constructor() {
      super(options, onOpen);
    }
  }
  return { Pool, defaults: {}, current: () => live, options };
}
