import type { NephronDataSource } from '../db/data-source';
import type { Config } from '../config';
import type { BlobStore } from '../data/blob-store';
import type { PubSub } from '../runs';
import { AnalysisService } from './analysis.service';
import { BlobAliases, createBlobStore } from './blob-aliases';
import { CohortService } from './cohort.service';
import { ConstraintMapService } from './constraint-maps.service';
import { SegmentationService } from './segmentation.service';
import { SeriesDataService } from './series-data.service';
import { Segmenter } from './workers/segmenter';
import { WorkerPool } from './workers/pool';
import { EvaluationService } from './evaluation.service';
import { MetricsService } from './metrics.service';
import { RunService } from './run.service';
import { SweepService } from './sweep.service';
import { TokenService } from './token.service';

/** Every service, sharing one DataSource and one PubSub. Services own transactions; resolvers call them. */
export interface Services {
  cohorts: CohortService;
  runs: RunService;
  sweeps: SweepService;
  metrics: MetricsService;
  evaluations: EvaluationService;
  tokens: TokenService;
  /** Table 2 and Bland–Altman over stored evaluations. */
  analysis: AnalysisService;
  /** The server's one content-addressed store (series, constraint maps; later checkpoints): ./blob-aliases.ts. */
  blobs: BlobStore;
  /** Names for blobs whose content is not known in advance (caches). */
  blobAliases: BlobAliases;
  /** Worker threads for CPU-heavy data work (generation, NIfTI, constraint maps, PNGs). */
  pool: WorkerPool;
  constraintMaps: ConstraintMapService;
  seriesData: SeriesDataService;
  /** Segmenting scans with trained fine-tuning runs, in their own worker thread. */
  segmentations: SegmentationService;
  /** Lets the server wait for background work (e.g. the default cohort) before it closes the database. */
  background(work: Promise<unknown>): void;
  /** Stops the worker pool (running work fails and cleans up), waits for background work; call before closing the database. */
  close(): Promise<void>;
}

export function createServices(
  ds: NephronDataSource,
  pubsub: PubSub,
  config: Pick<Config, 'importRoot'> & Partial<Pick<Config, 'backend' | 'segmentMaxMb'>> = { importRoot: undefined },
): Services {
  const runs = new RunService(ds, pubsub);
  const blobs = createBlobStore(ds);
  const blobAliases = new BlobAliases(ds, blobs);
  const pool = new WorkerPool();
  const constraintMaps = new ConstraintMapService(blobs, blobAliases, pool);
  const pending = new Set<Promise<unknown>>();
  const segmenter = new Segmenter((key) => blobs.get(key), config.backend);
  return {
    cohorts: new CohortService(ds, { ds, blobs, pool, config }),
    blobs,
    blobAliases,
    pool,
    constraintMaps,
    seriesData: new SeriesDataService(ds, blobs, pool, constraintMaps),
    segmentations: new SegmentationService(ds, blobs, pool, segmenter, config.segmentMaxMb ?? 512),
    background(work) {
      const p = work.catch(() => {}).finally(() => pending.delete(p));
      pending.add(p);
    },
    async close() {
      await Promise.all([pool.close(), segmenter.close()]);
      await Promise.allSettled([...pending]);
    },
    runs,
    sweeps: new SweepService(ds, pubsub, runs),
    metrics: new MetricsService(ds),
    evaluations: new EvaluationService(ds),
    tokens: new TokenService(ds, pubsub),
    analysis: new AnalysisService(ds, blobs),
  };
}

export { CohortService, EvaluationService, MetricsService, RunService, SegmentationService, SweepService, TokenService };
