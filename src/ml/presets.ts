/**
 * Hyper-parameters of the method (../shared/docs/method.md), named in one place.
 *
 * A run's stored `config` is `resolveConfig(kind, preset, overrides)` (./resolve-config.ts): the preset's numbers
 * with the user's overrides merged in, every key validated. PAPER is exactly method.md; STUDY is the protocol that can
 * see CLC's effect (issue 13: the reference code's lr, a real pretraining budget, fine-tuning by steps); QUICK is the
 * same protocol scaled for a 2-core CPU; SMOKE finishes in seconds for tests. Nothing here imports GraphQL or the
 * database.
 *
 * Step budgets: an epoch capped by `maxBatchesPerEpoch` always has exactly that many batches (the training data
 * cycles, reshuffled each pass), so a phase's step budget is epochs × maxBatchesPerEpoch for every N; an epoch is
 * also the unit of validation, the plateau schedule and checkpoints.
 */
import type { ModelConfig, ConstraintConfig, PlateauConfig, PretrainConfig, FinetuneRunConfig } from './run-config';

export type PresetName = 'PAPER' | 'STUDY' | 'QUICK' | 'SMOKE';
export const PRESET_NAMES: readonly PresetName[] = ['PAPER', 'STUDY', 'QUICK', 'SMOKE'];
export type RunKindName = 'PRETRAIN' | 'FINETUNE';

// The config types are defined in ./run-config; callers import them from here, beside the presets.
export type * from './run-config';

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
  kidneyBox: 'OFF',
  kidneyBoxMargin: 5,
  kmeansIterations: 50,
  componentScaling: 'each',
  clipLowPercentile: 0.01,
  clipHighPercentile: 99.9,
};

const PAPER_PLATEAU: PlateauConfig = { factor: 0.5, patience: 10, minLr: 1e-7 };

/**
 * PAPER: the abstract's numbers (method.md): pretraining lr 1e-4, 10 global + 150 CLC epochs. Both reference codes
 * pretrain at lr 1e-3 (lunastra26/multi-contrast-contrastive-learning config/pretrain_config.py line 23,
 * `lr_pretrain = 1e-3`); STUDY uses that.
 */
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
    plateau: null,
  },
  clc: {
    epochs: 150,
    batchSize: 16,
    lr: 1e-4,
    tau: 0.1,
    topKFraction: 0.025,
    anchors: 20,
    patchSize: 4,
    anchorSampling: 'UNIFORM',
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
    crossEntropyWeight: 0,
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
  // lr 1e-2: a 1×1 head on frozen random features barely leaves the focal-Tversky plateau in 100 steps at 1e-3
  // (VALIDATION Dice 0.07 / 0.03 on phantom DWI 64², N = 2) and reads out 0.13 / 0.14 at 1e-2; weighted CE 0.09 / 0.10.
  probe: { steps: 100, nLabeled: 2, batchSize: 16, lr: 1e-2, maxValidationImages: 0 },
};

/**
 * STUDY (issue 13): a protocol that can see what pretraining gives.
 * - Pretraining at the reference code's lr 1e-3 with its own plateau schedule per stage: 20 × 25 = 500 global
 *   warm-up steps, 60 × 25 = 1,500 CLC steps of 16 images, anchors on the body, patch size and k scaled with the
 *   image (2-px patches at 128², k = 2.5% of the patches), then the frozen-body probe.
 * - Fine-tuning by steps, the same budget for every N: 16 × 25 = 400 steps of 16 images at lr 1e-3, validation every
 *   25 steps on a fixed spread of 96 VALIDATION images, best checkpoint kept (Trainer).
 * - 128² (train at 128² where the engine affords it). Measured on the 2 shared cores (wasm): a 128²×16 fine-tuning
 *   step takes ~5–6.5 s (BENCHMARKS.md), so one 400-step run is ~40 min there; `image.size: 64` (then patchSize
 *   resolves to 1 and kidneyBoxMargin should be 1) is the override for this machine.
 * Sweep: N ∈ {2, 4, 8, 20, 58}, RI and CLC, seeds 1–5 for N ≤ 4 and 1–3 above (src/cli/reproduce.ts).
 */
const STUDY = mergeDeep(PAPER, {
  image: { size: 128 },
  constraints: { kidneyBoxMargin: 3 },
  global: { epochs: 20, maxBatchesPerEpoch: 25, lr: 1e-3, plateau: { factor: 0.5, patience: 4, minLr: 1e-6 } },
  clc: { epochs: 60, lr: 1e-3, patchSize: 0, maxBatchesPerEpoch: 25, maxValidationImages: 96, plateau: { patience: 6, minLr: 1e-6 } },
  finetune: { epochs: 16, batchSize: 16, lr: 1e-3, plateau: { patience: 4 }, maxBatchesPerEpoch: 25, maxValidationImages: 96 },
  probe: { steps: 100, nLabeled: 2, batchSize: 16, maxValidationImages: 96 },
}) as PretrainConfig & FinetuneRunConfig;

/**
 * QUICK: the same protocol at 64² with few, capped epochs: a fine-tuning run is 15 × 5 steps of 16 images, a
 * pretraining run 2 × 4 global and 10 × 5 CLC steps plus its constraint maps and a 50-step probe; validation uses a
 * fixed spread subset of 64 images. It runs the pipeline end to end on a laptop; it is too short to measure CLC's
 * effect (issue 13: 50 CLC steps barely move the weights) — use STUDY for that. Measured on 2 CPU cores with two
 * runner slots (before the probe): ~3.5 min per fine-tuning run, ~5 min per pretraining run, ~80 min for
 * `nephron reproduce --preset QUICK`.
 */
const QUICK = mergeDeep(PAPER, {
  image: { size: 64 },
  constraints: { kidneyBoxMargin: 1 },
  global: { epochs: 2, maxBatchesPerEpoch: 4 },
  clc: { epochs: 10, batchSize: 16, patchSize: 0, plateau: { patience: 3 }, maxBatchesPerEpoch: 5, maxValidationImages: 64 },
  finetune: { epochs: 15, batchSize: 16, plateau: { patience: 4 }, maxBatchesPerEpoch: 5, maxValidationImages: 64 },
  probe: { steps: 50, maxValidationImages: 64 },
}) as PretrainConfig & FinetuneRunConfig;

/** SMOKE: a tiny network and a couple of short epochs; exercises every code path in seconds. */
const SMOKE = mergeDeep(PAPER, {
  image: { size: 32 },
  model: { filters: [4, 8, 16], globalDense: 32, globalProjection: 16, localChannels: 8 },
  constraints: { clusters: 6, denoise: false, componentScaling: 'joint', kmeansIterations: 10, kidneyBoxMargin: 1 },
  global: { epochs: 1, volumesPerBatch: 2, maxBatchesPerEpoch: 2 },
  clc: { epochs: 2, batchSize: 4, topKFraction: 0.1, anchors: 4, patchSize: 2, maxBatchesPerEpoch: 2 },
  finetune: { epochs: 2, batchSize: 4, maxBatchesPerEpoch: 2 },
  probe: { steps: 2, batchSize: 4, maxValidationImages: 8 },
}) as PretrainConfig & FinetuneRunConfig;

export const PRESETS: Record<PresetName, PretrainConfig & FinetuneRunConfig> = { PAPER, STUDY, QUICK, SMOKE };

/** Patch side for an image size when `clc.patchSize` is 0: max(1, size / 64), a 64 × 64 patch grid (PAPER: 4 at 256²). */
export function autoPatchSize(size: number): number {
  return Math.max(1, Math.floor(size / 64));
}

/** k of the CLC neighbourhood for an image of `patches` patches: round(fraction · patches), at least 1. */
export function clcTopK(fraction: number, patches: number): number {
  return Math.max(1, Math.round(fraction * patches));
}

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

/**
 * How many epochs a PRETRAIN run reports progress over: the global warm-up's, the CLC stage's, and one for the
 * frozen-body probe when it runs. The job and the run's stored `epochs` both count with this, so a run that
 * SUCCEEDED always ends at epoch == epochs.
 */
export function pretrainProgressEpochs(cfg: { global: { epochs: number }; clc: { epochs: number }; probe?: { steps: number } }): number {
  return cfg.global.epochs + cfg.clc.epochs + ((cfg.probe?.steps ?? 0) > 0 ? 1 : 0);
}
