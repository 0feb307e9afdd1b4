/**
 * What building a cohort needs beside the rows: the blob store, the worker pool, and the bookkeeping that makes a
 * failed build leave nothing behind (blobs written by this attempt and referenced by no series are removed again;
 * the rows go in one transaction at the end, so a crash or restart mid-way leaves no half cohort).
 */
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { cohortFingerprint } from '../data/encoding';
import type { BlobStore } from '../data/blob-store';
import { badInput, conflict } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import type { ContrastKind } from '../schema/enums';
import type { NewSeries } from './new-cohort';
import type { WorkerPool } from './workers/pool';
import type { EncodedSeries } from './workers/tasks';

export interface CohortDataDeps {
  ds: DataSource;
  blobs: BlobStore;
  pool: WorkerPool;
  config: Pick<Config, 'importRoot'>;
  log?: Logger;
}

/** Names are unique and shown everywhere: 1–100 printable characters. Throws BAD_USER_INPUT or CONFLICT. */
export async function checkCohortName(ds: DataSource, name: string): Promise<string> {
  const trimmed = (name ?? '').trim();
  if (!trimmed || trimmed.length > 100 || /[\u0000-\u001f]/.test(trimmed)) {
    throw badInput('name must be 1–100 printable characters', 'input.name');
  }
  if (await ds.getRepository(Cohort).existsBy({ name: trimmed })) throw conflict(`a cohort named ${JSON.stringify(trimmed)} already exists`);
  return trimmed;
}

/** Blob writes of one cohort build: skips blobs already stored, remembers the new ones for `discard`. */
export class BlobBatch {
  private readonly created: string[] = [];
  constructor(private readonly deps: Pick<CohortDataDeps, 'ds' | 'blobs'>) {}

  async put(key: string, bytes: Uint8Array): Promise<string> {
    if (await this.deps.blobs.has(key)) return key;
    const stored = await this.deps.blobs.put(bytes);
    this.created.push(stored);
    return stored;
  }

  /** Stores a series' data and mask blobs; returns the row to insert. */
  async series(s: EncodedSeries): Promise<NewSeries> {
    const dataBlobKey = await this.put(s.dataKey, s.data);
    const maskBlobKey = s.mask && s.maskKey ? await this.put(s.maskKey, s.mask) : null;
    return {
      contrast: s.contrast as ContrastKind,
      channels: s.channelNames,
      width: s.width,
      height: s.height,
      slices: s.slices,
      spacingMm: s.spacingMm,
      orientation: s.orientation,
      affine: s.affine,
      dtype: 'float32',
      dataBlobKey,
      maskBlobKey,
      kidneyVolumesMl: s.kidneyVolumesMl,
    };
  }

  /** After a failure: removes the blobs this batch created that no stored series uses (another cohort may share one). */
  async discard(): Promise<void> {
    if (!this.created.length || !this.deps.blobs.delete) return;
    const used: { key: string }[] = await this.deps.ds.query(
      `SELECT k AS key FROM unnest($1::text[]) AS k WHERE EXISTS (SELECT 1 FROM series s WHERE s."dataBlobKey" = k OR s."maskBlobKey" = k)`,
      [this.created],
    );
    const keep = new Set(used.map((r) => r.key));
    for (const key of this.created) if (!keep.has(key)) await this.deps.blobs.delete(key).catch(() => false);
  }
}

/** Runs `fn` over items with at most `limit` in flight, in order of start; the first error stops new starts. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane);
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return out;
}

/** The fingerprint of a cohort from its encoded series (subject code, contrast, value hashes). */
export function fingerprintOf(subjects: { code: string; series: Pick<EncodedSeries, 'contrast' | 'dataHash' | 'maskHash'>[] }[]): string {
  return cohortFingerprint(
    subjects.flatMap((s) => s.series.map((x) => ({ subject: s.code, contrast: x.contrast, dataHash: x.dataHash, maskHash: x.maskHash }))),
  );
}
