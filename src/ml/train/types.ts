/** The Trainer's contract: what a data source, a loss and a metrics function look like, and what an epoch reports. */
import type * as tf from '@tensorflow/tfjs';
import type { PlateauConfig } from '../presets';
import type { Rng } from '../random';

export interface StepContext {
  /** 0-based epoch and batch index. */
  epoch: number;
  batch: number;
  /** Seed for this step's randomness (augmentation, anchor draws). */
  seed: number;
  training: boolean;
}

export interface EpochContext {
  epoch: number;
  seed: number;
  rng: Rng;
}

/** The batches of one epoch; tensors inside the batches become the loop's to dispose. */
export type DataSource<B> = (ctx: EpochContext) => Iterable<B> | AsyncIterable<B>;
/** Scalar loss of a batch; called inside tf.variableGrads during training, inside tf.tidy for validation. */
export type LossFn<B> = (model: tf.LayersModel, batch: B, ctx: StepContext) => tf.Scalar;
/** Extra validation metrics of a batch (numbers, averaged over the batches of the epoch). Runs under replayReads (../reads.ts). */
export type MetricsFn<B> = (model: tf.LayersModel, batch: B, ctx: StepContext) => Record<string, number>;

export interface EpochMetrics {
  /** Epochs completed so far (1-based). */
  epoch: number;
  train_loss: number;
  val_loss: number | null;
  /** Learning rate used during this epoch, and the one chosen for the next. */
  lr: number;
  next_lr: number;
  best_loss: number;
  best_epoch: number;
  improved: boolean;
  batches: number;
  seconds: number;
  [metric: string]: number | boolean | null;
}

/** What an epoch's callback may do with its Trainer (./trainer.ts): save its state, read its best weights, stop it. */
export interface TrainerControls {
  /** The full training state (weights, optimiser, scheduler, RNG), to resume from. */
  exportState(): Promise<Uint8Array>;
  /** The weights of the best monitored loss so far, or null before the first validation. */
  bestWeights(): Uint8Array | null;
  /** End the run after the current epoch (early stopping). */
  stop(): void;
}

export interface TrainerOptions<B> {
  model: tf.LayersModel;
  loss: LossFn<B>;
  train: DataSource<B>;
  validation?: DataSource<B>;
  validationMetrics?: MetricsFn<B>;
  epochs: number;
  lr: number;
  /** Reduce-on-plateau; constant learning rate when absent. */
  plateau?: PlateauConfig;
  seed: number;
  /** Stop an epoch after this many batches (0 or absent: all). */
  maxBatchesPerEpoch?: number;
  /** Keep the weights of the best monitored loss (default true). */
  keepBest?: boolean;
  onEpoch?: (metrics: EpochMetrics, trainer: TrainerControls) => void | Promise<void>;
  onBatch?: (info: { epoch: number; batch: number; loss: number }) => void;
  /** Checked between batches; an aborted signal (or a function returning true) stops the run. */
  signal?: AbortSignal | (() => boolean);
}

/** completed: all epochs; stopped: `stop()` was called (early stopping); cancelled: the signal fired. */
export type TrainStatus = 'completed' | 'stopped' | 'cancelled';

export interface TrainResult {
  status: TrainStatus;
  epochs: number;
  bestLoss: number;
  bestEpoch: number;
  history: EpochMetrics[];
}
