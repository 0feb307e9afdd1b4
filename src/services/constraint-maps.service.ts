/**
 * Constraint maps of a stored series, computed once in the worker pool and cached in the BlobStore under a name
 * derived from (series data blob key, resolved parameters): the image overlay uses it now, the CLC pretraining
 * runner should use the same `get` so a cohort's maps are computed once per parameter set, on any machine.
 * Stored as an encoded mask blob of cluster id + 1.
 */
import { decodeMask, sha256Hex } from '../data/encoding';
import type { BlobStore } from '../data/blob-store';
import type { ConstraintMapOptions } from '../ml/constraint-maps';
import { PRESETS, type ConstraintConfig } from '../ml/presets';
import type { BlobAliases } from './blob-aliases';
import { transferOf, type WorkerPool } from './workers/pool';

/** Bump when the algorithm's output changes for the same parameters: old cache entries are then ignored. */
const CACHE_VERSION = 1;

export type ResolvedConstraintParams = ConstraintConfig & { seed: number };

export interface CachedConstraintMaps {
  width: number;
  height: number;
  slices: number;
  /** Cluster id per voxel, (slice · height + y) · width + x; −1 = not clustered. */
  maps: Int32Array;
  /** Blob key of the stored maps (an encoded mask of id + 1). */
  blobKey: string;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** PAPER defaults (method.md) overridden by `options`; the labels' hash joins the key with kidneyBox PER_SLICE (OFF by default). */
export function resolveConstraintParams(options: Partial<ConstraintConfig> & { seed?: number } = {}): ResolvedConstraintParams {
  return { ...PRESETS.PAPER.constraints, ...options, seed: options.seed ?? 0 };
}

export class ConstraintMapService {
  private readonly inFlight = new Map<string, Promise<{ key: string; bytes: Uint8Array }>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly aliases: BlobAliases,
    private readonly pool: WorkerPool,
  ) {}

  /** The cache name of a series' maps under these parameters. */
  cacheName(dataBlobKey: string, params: ResolvedConstraintParams): string {
    return `constraint-maps:v${CACHE_VERSION}:${dataBlobKey}:${sha256Hex(stableJson(params)).slice(0, 32)}`;
  }

  /** The maps' blob (key and encoded bytes), computed and stored on a miss (concurrent callers share one computation). */
  async blob(
    series: { dataBlobKey: string },
    options: Partial<ConstraintConfig> & { seed?: number } = {},
    labels?: Uint8Array,
  ): Promise<{ key: string; bytes: Uint8Array }> {
    const params = resolveConstraintParams(options);
    const withLabels = params.kidneyBox === 'PER_SLICE';
    if (withLabels && !labels) throw new RangeError('constraint maps with kidneyBox PER_SLICE need the series labels');
    const name = this.cacheName(series.dataBlobKey, params) + (withLabels && labels ? `:labels=${sha256Hex(labels).slice(0, 16)}` : '');
    const cached = await this.aliases.read(name);
    if (cached) return cached;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = (async () => {
        const data = await this.blobs.get(series.dataBlobKey);
        const opts: ConstraintMapOptions = { ...params, labels: labels ?? null };
        const out = await this.pool.run('constraintMaps', { data, options: opts }, transferOf(data));
        return { key: await this.aliases.put(name, out.bytes), bytes: out.bytes };
      })().finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  /** The maps as cluster ids (what the CLC loss consumes). */
  async get(series: { dataBlobKey: string }, options: Partial<ConstraintConfig> & { seed?: number } = {}, labels?: Uint8Array): Promise<CachedConstraintMaps> {
    const { key: blobKey, bytes } = await this.blob(series, options, labels);
    const m = decodeMask(bytes);
    return { width: m.width, height: m.height, slices: m.slices, maps: Int32Array.from(m.mask, (v) => v - 1), blobKey };
  }
}
