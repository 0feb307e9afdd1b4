/**
 * Hyper-parameters of the method (../shared/docs/method.md), named in one place.
 *
 * A run's stored `config` is `resolveConfig(kind, preset, overrides)` (./resolveConfig.ts): the preset's numbers
 * with the user's overrides merged in, every key validated. PAPER is exactly method.md; QUICK is the same protocol scaled for a
 * 2-core CPU; SMOKE finishes in seconds for tests. Nothing here imports GraphQL or the database.
 */

export type PresetName = 'PAPER' | 'QUICK' | 'SMOKE';
export type RunKindName = 'PRETRAIN' | 'FINETUNE';

export interface ImageConfig {
  /** In-plane size the slices are resampled to (square); U-Net depth = log2(size / 8) + 1. */
  size: number;
}

export interface ModelConfig {
  /** Encoder filters per level; only the first `levels` are used. */
  filters: number[];
  /** GroupNorm groups = filters / groupDivisor. */
  groupDivisor: number;
  /** Global head: dense units then projection size (pretraining only). */
  globalDense: number;
  globalProjection: number;
  /** Local head channels (pretraining only). */
  localChannels: number;
}

export interface ConstraintConfig {
  components: number;
  clusters: number;
  denoise: boolean;
  /** Total-variation (ROF) denoising weight and iterations, used when `denoise` is on. */
  tvWeight: number;
  tvIterations: number;
  /** Mask components with a kidney bounding box from the labels. Leaks labels into pretraining: off by default. */
  maskWithLabels: boolean;
  kmeansIterations: number;
  /**
   * 'each' rescales every PCA component to [0, 1] (method.md); 'joint' uses one min/max over all components (the
   * reference code). 'each' stretches the low-variance, noise-dominated components: keep denoising on with it.
   */
  componentScaling: 'each' | 'joint';
  clipLowPercentile: number;
  clipHighPercentile: number;
}

export interface PlateauConfig {
  /** Multiply the lr by `factor` when the validation loss has not improved for `patience` epochs. */
  factor: number;
  patience: number;
  minLr: number;
}

export interface GlobalConfig {
  epochs: number;
  partitions: number;
  /** Volumes per batch; each contributes one slice per partition and two augmented views. */
  volumesPerBatch: number;
  tau: number;
  lr: number;
  brightness: number;
  contrastMin: number;
  contrastMax: number;
  cropMin: number;
  /** Cap on batches per epoch (0 = the whole training set). */
  maxBatchesPerEpoch: number;
}

export interface ClcConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  tau: number;
  topK: number;
  anchors: number;
  patchSize: number;
  plateau: PlateauConfig;
  maxBatchesPerEpoch: number;
  /** Validate on at most this many (slice, channel) images, a fixed evenly spread subset (0 = all). */
  maxValidationImages: number;
}

export interface AugmentConfig {
  translate: number;
  scaleMin: number;
  scaleMax: number;
  intensityProbability: number;
  brightness: number;
  contrastMin: number;
  contrastMax: number;
}

export interface FinetuneConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Focal Tversky: per-class alpha (weights false negatives), class weights, gamma, smoothing. */
  alpha: number[];
  weights: number[];
  gamma: number;
  smooth: number;
  plateau: PlateauConfig;
  augment: AugmentConfig;
  maxBatchesPerEpoch: number;
  /** Validate on at most this many (slice, channel) images, a fixed evenly spread subset (0 = all). */
  maxValidationImages: number;
}

export interface PretrainConfig {
  image: ImageConfig;
  model: ModelConfig;
  constraints: ConstraintConfig;
  global: GlobalConfig;
  clc: ClcConfig;
}

export interface FinetuneRunConfig {
  image: ImageConfig;
  model: ModelConfig;
  finetune: FinetuneConfig;
}

export type RunConfig = PretrainConfig | FinetuneRunConfig;

const PAPER_MODEL: ModelConfig = {
  filters: [16, 32, 64, 128, 128, 128],
  groupDivisor: 4,
  globalDense: 1024,
  globalProjection: 128,
  localChannels: 64,
};

const PAPER_CONSTRAINTS: ConstraintConfig = {
  components: 4,
  clusters: 20,
  denoise: true,
  tvWeight: 0.1,
  tvIterations: 50,
  maskWithLabels: false,
  kmeansIterations: 50,
  componentScaling: 'each',
  clipLowPercentile: 0.01,
  clipHighPercentile: 99.9,
};

const PAPER_PLATEAU: PlateauConfig = { factor: 0.5, patience: 10, minLr: 1e-7 };

const PAPER: PretrainConfig & FinetuneRunConfig = {
  image: { size: 256 },
  model: PAPER_MODEL,
  constraints: PAPER_CONSTRAINTS,
  global: {
    epochs: 10,
    partitions: 4,
    volumesPerBatch: 4,
    tau: 0.1,
    lr: 1e-4,
    brightness: 0.3,
    contrastMin: 0.7,
    contrastMax: 1.3,
    cropMin: 0.7,
    maxBatchesPerEpoch: 0,
  },
  clc: {
    epochs: 150,
    batchSize: 16,
    lr: 1e-4,
    tau: 0.1,
    topK: 100,
    anchors: 20,
    patchSize: 4,
    plateau: PAPER_PLATEAU,
    maxBatchesPerEpoch: 0,
    maxValidationImages: 0,
  },
  finetune: {
    epochs: 200,
    batchSize: 20,
    lr: 1e-3,
    alpha: [0.5, 0.7, 0.7],
    weights: [0.1, 1, 1],
    gamma: 4 / 3,
    smooth: 1,
    plateau: PAPER_PLATEAU,
    augment: {
      translate: 0.15,
      scaleMin: 0.9,
      scaleMax: 1.0,
      intensityProbability: 0.3,
      brightness: 0.3,
      contrastMin: 0.7,
      contrastMax: 1.3,
    },
    maxBatchesPerEpoch: 0,
    maxValidationImages: 0,
  },
};

/**
 * QUICK: the same protocol at 64² with few, capped epochs: a fine-tuning run is 15 × 5 steps of 16 images, a
 * pretraining run 2 × 4 global and 10 × 5 CLC steps plus its constraint maps; validation uses a fixed spread subset
 * of 64 images. Measured on 2 CPU cores with two runner slots: ~3.5 min per fine-tuning run, ~5 min per pretraining
 * run, ~80 min for `nephron reproduce --preset QUICK` (5 contrasts × (1 pretraining + N {2, 4, 8, 20} × 2 inits)).
 * Steps per epoch are capped, so every N trains for the same number of steps: larger N means more varied data,
 * not more training.
 */
const QUICK = mergeDeep(PAPER, {
  image: { size: 64 },
  global: { epochs: 2, maxBatchesPerEpoch: 4 },
  clc: { epochs: 10, batchSize: 16, topK: 50, plateau: { patience: 3 }, maxBatchesPerEpoch: 5, maxValidationImages: 64 },
  finetune: { epochs: 15, batchSize: 16, plateau: { patience: 4 }, maxBatchesPerEpoch: 5, maxValidationImages: 64 },
}) as PretrainConfig & FinetuneRunConfig;

/** SMOKE: a tiny network and a couple of short epochs; exercises every code path in seconds. */
const SMOKE = mergeDeep(PAPER, {
  image: { size: 32 },
  model: { filters: [4, 8, 16], globalDense: 32, globalProjection: 16, localChannels: 8 },
  constraints: { clusters: 6, denoise: false, componentScaling: 'joint', kmeansIterations: 10 },
  global: { epochs: 1, volumesPerBatch: 2, maxBatchesPerEpoch: 2 },
  clc: { epochs: 2, batchSize: 4, topK: 10, anchors: 4, maxBatchesPerEpoch: 2 },
  finetune: { epochs: 2, batchSize: 4, maxBatchesPerEpoch: 2 },
}) as PretrainConfig & FinetuneRunConfig;

export const PRESETS: Record<PresetName, PretrainConfig & FinetuneRunConfig> = { PAPER, QUICK, SMOKE };

/** Number of U-Net levels for an input size: log2(size / 8) + 1 (256 → 6, 128 → 5, 64 → 4). */
export function unetLevels(size: number): number {
  return Math.log2(size / 8) + 1;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeDeep(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = mergeDeep(base[k], v);
  return out;
}
