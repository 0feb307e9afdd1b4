/** The sections of a run's config (./presets.ts holds the values, ./resolve-config.ts checks them); method.md names each. */
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
  /**
   * PER_SLICE: the renal code's as-published arm, the PCA components multiplied by each slice's kidney bounding box
   * plus `kidneyBoxMargin` px (src/ml/constraint-maps/index.ts). It uses the manual labels: OFF (label-free) by default.
   */
  kidneyBox: 'OFF' | 'PER_SLICE';
  /** Margin of the kidney box in pixels at `image.size` (the renal code's 5 px at 256², scaled). */
  kidneyBoxMargin: number;
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
  /** 0 turns the warm-up off (CLC then starts from the seeded initialisation). */
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
  /** Reduce-on-plateau on the epoch's training loss (the warm-up has no validation loss); null = constant lr. */
  plateau: PlateauConfig | null;
}

export interface ClcConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  tau: number;
  /**
   * Neighbourhood size k as a fraction of an image's patches: k = round(topKFraction · patches) (the reference's
   * k = 100 of 4,096 patches at 256² with 4-px patches is 2.44%); resolved at the loss (`clcTopK`).
   */
  topKFraction: number;
  anchors: number;
  /** Patch side in pixels; 0 = from the image size (`autoPatchSize`: max(1, size / 64), a 64 × 64 patch grid). */
  patchSize: number;
  /** Anchor draw: UNIFORM (the reference) or STRATIFIED over constraint clusters (src/ml/losses/clc-anchors.ts). */
  anchorSampling: 'UNIFORM' | 'STRATIFIED';
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
  /**
   * Weight of a pixel-wise cross-entropy added to the focal Tversky loss (src/ml/losses/cross-entropy.ts, the renal
   * code's Tversky + CE); 0 = the paper's focal Tversky alone. Absent from configs stored before 2026-12-03: 0.
   */
  crossEntropyWeight?: number;
  plateau: PlateauConfig;
  augment: AugmentConfig;
  maxBatchesPerEpoch: number;
  /** Validate on at most this many (slice, channel) images, a fixed evenly spread subset (0 = all). */
  maxValidationImages: number;
}

/**
 * The frozen-body probe that ends a PRETRAIN run (src/runners/jobs/probe.ts): only the segmentation head trains, for
 * `steps` steps on `nLabeled` labelled TRAIN subjects, from the pretrained encoder-decoder and from the RI one; Dice
 * on the VALIDATION subjects. 0 steps turns it off. Its lr is a head's (1e-2), not a network's.
 */
export interface ProbeConfig {
  steps: number;
  nLabeled: number;
  batchSize: number;
  lr: number;
  /** VALIDATION images scored (a fixed spread subset; 0 = all). */
  maxValidationImages: number;
}

export interface PretrainConfig {
  image: ImageConfig;
  model: ModelConfig;
  constraints: ConstraintConfig;
  global: GlobalConfig;
  clc: ClcConfig;
  probe: ProbeConfig;
}

export interface FinetuneRunConfig {
  image: ImageConfig;
  model: ModelConfig;
  finetune: FinetuneConfig;
}

export type RunConfig = PretrainConfig | FinetuneRunConfig;
