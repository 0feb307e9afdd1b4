/**
 * The server's one BlobStore, chosen from where its database lives:
 * - PostgreSQL → PgBlobStore over the DataSource (the `blob` table), so every machine sharing the database sees
 *   the same series, constraint maps and checkpoints;
 * - PGlite on disk → FileBlobStore under NEPHRON_DATA_DIR/blobs (beside `pglite/`): hundreds of MB of pixels
 *   stay out of the single-session embedded database;
 * - in-memory PGlite (tests) → PgBlobStore over the PGlite, so nothing is written to disk.
 * BlobAliases names blobs whose content is not known in advance (caches, checkpoints) in the database.
 */
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { NephronDataSource } from '../db/data-source';
import { BlobNotFoundError, CorruptBlobError, FileBlobStore, PgBlobStore, type BlobStore } from '../data/blob-store';
import { BlobAlias } from '../schema/blob-alias.entity';

export function createBlobStore(ds: NephronDataSource): BlobStore {
  const target = ds.target;
  if (target.engine === 'pglite' && target.dataDir) return new FileBlobStore(path.join(path.dirname(target.dataDir), 'blobs'));
  return new PgBlobStore((sql, params) => ds.query(sql, params));
}

export class BlobAliases {
  constructor(
    private readonly ds: DataSource,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The blob named `name` (key and bytes), or null when unnamed, when its blob has gone (e.g. removed by hand) or when
   * its bytes no longer match their hash: a corrupt cache entry is removed, so the caller rebuilds it (constraint
   * maps) instead of failing on it every time. Reads the bytes once: callers use them rather than reading again.
   */
  async read(name: string): Promise<{ key: string; bytes: Uint8Array } | null> {
    const row = await this.ds.getRepository(BlobAlias).findOneBy({ name });
    if (!row) return null;
    try {
      return { key: row.blobKey, bytes: await this.blobs.get(row.blobKey) };
    } catch (e) {
      if (e instanceof BlobNotFoundError) return null;
      if (!(e instanceof CorruptBlobError)) throw e;
      await this.blobs.delete?.(row.blobKey);
      await this.ds.getRepository(BlobAlias).delete({ name });
      return null;
    }
  }

  /** Stores the bytes and names them; a concurrent writer of the same name wins or loses harmlessly (same inputs). */
  async put(name: string, bytes: Uint8Array): Promise<string> {
    const key = await this.blobs.put(bytes);
    await this.ds.createQueryBuilder().insert().into(BlobAlias).values({ name, blobKey: key }).orUpdate(['blobKey'], ['name']).execute();
    return key;
  }
}
