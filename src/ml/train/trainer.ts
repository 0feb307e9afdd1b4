/**
 * The epoch loop shared by pretraining and fine-tuning: custom training steps (tf.variableGrads → Adam
 * applyGradients), a validation pass per epoch, reduce-on-plateau on the monitored loss (validation loss, or the
 * training loss when there is no validation source), best-checkpoint keeping, a callback per epoch, cancellation
 * between batches, and a state that can be exported after any epoch and restored in a fresh process.
 *
 * Determinism: epoch e's data source receives an Rng seeded with deriveSeed(seed, "epoch:e"), and step (e, b) a
 * seed deriveSeed(seed, "step:e:b") (augmentation, anchor sampling); so a run resumed after epoch e continues
 * exactly as an uninterrupted one on the same backend.
 *
 * Memory: each step and validation batch runs inside tf.tidy; the loop takes ownership of the tensors in the
 * batches a data source yields and disposes them after use.
 *
 * Reads: the loop reads the loss once per step and the weights when it keeps the best; on WebGPU (which reads only
 * asynchronously) those reads are awaited, and a loss that reads inside its forward pass runs under replayReads
 * (../reads.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, deriveSeed } from '../random';
import { replayReads, whenReadable } from '../reads';
import { decodeBundle, encodeBundle, exportWeights, loadWeights, type NamedArray } from '../weights';
import { disposeTensors, intTensors } from './dispose-tensors';
import { ReduceLrOnPlateau, type PlateauState } from './plateau';
import { adamBetaPowers, bytesToFloat32, decodePlateau, encodePlateau, float32ToBytes } from './state-codec';

import type { EpochMetrics, StepContext, TrainerControls, TrainerOptions, TrainResult, TrainStatus } from './types';

export * from './types';
export { disposeTensors } from './dispose-tensors';

const STATE_FORMAT = 'nephron-trainer-state/1';

export class Trainer<B> implements TrainerControls {
  readonly model: tf.LayersModel;
  /** Epochs completed. */
  epoch = 0;
  readonly history: EpochMetrics[] = [];
  private optimizer: tf.AdamOptimizer;
  private readonly plateau: ReduceLrOnPlateau | null;
  private lr: number;
  private bestLoss = Infinity;
  private bestEpoch = 0;
  private best: Uint8Array | null = null;
  private readonly vars: tf.Variable[];
  private stopRequested = false;

  constructor(private readonly opts: TrainerOptions<B>) {
    this.model = opts.model;
    this.lr = opts.lr;
    this.optimizer = tf.train.adam(opts.lr);
    this.plateau = opts.plateau ? new ReduceLrOnPlateau(opts.plateau, opts.lr) : null;
    this.vars = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Learning rate for the next epoch. */
  /** Weights (checkpoint bytes) of the best monitored loss so far, or null before the first epoch. */
  bestWeights(): Uint8Array | null {
    return this.best;
  }

  /** Train from the current epoch to `epochs`. Resolves with status 'cancelled' when the signal fires. */
  async run(): Promise<TrainResult> {
    this.stopRequested = false;
    while (this.epoch < this.opts.epochs) {
      const metrics = await this.runEpoch();
      if (!metrics) return this.result('cancelled');
      await this.opts.onEpoch?.(metrics, this);
      if (this.cancelled()) return this.result('cancelled');
      if (this.stopRequested) return this.result('stopped');
    }
    return this.result('completed');
  }

  /** One epoch (training + validation + schedule + best keeping); null when cancelled mid-epoch. */
  async runEpoch(): Promise<EpochMetrics | null> {
    const started = performance.now();
    const e = this.epoch;
    const lrUsed = this.lr;
    this.setOptimizerLr(lrUsed);
    const epochSeed = deriveSeed(this.opts.seed, `epoch:${e}`);
    const max = this.opts.maxBatchesPerEpoch || Infinity;

    let trainSum = 0;
    let trainCount = 0;
    for await (const batch of limit(this.opts.train({ epoch: e, seed: epochSeed, rng: createRng(epochSeed) }), max)) {
      if (this.cancelled()) {
        disposeTensors(batch);
        return null;
      }
      const ctx: StepContext = { epoch: e, batch: trainCount, seed: deriveSeed(this.opts.seed, `step:${e}:${trainCount}`), training: true };
      let loss: number;
      try {
        loss = await this.step(batch, ctx);
      } finally {
        disposeTensors(batch);
      }
      if (!Number.isFinite(loss)) throw new Error(`training loss is ${loss} at epoch ${e + 1}, batch ${trainCount + 1}`);
      trainSum += loss;
      trainCount += 1;
      this.opts.onBatch?.({ epoch: e, batch: ctx.batch, loss });
      await yieldToEventLoop();
    }
    if (trainCount === 0) throw new Error(`epoch ${e + 1}: the training data source yielded no batch`);
    const trainLoss = trainSum / trainCount;

    let valLoss: number | null = null;
    const extra: Record<string, number> = {};
    if (this.opts.validation) {
      const valSeed = deriveSeed(this.opts.seed, `val:${e}`);
      let sum = 0;
      let count = 0;
      const sums: Record<string, number> = {};
      for await (const batch of this.opts.validation({ epoch: e, seed: valSeed, rng: createRng(valSeed) })) {
        if (this.cancelled()) {
          disposeTensors(batch);
          return null;
        }
        const ctx: StepContext = { epoch: e, batch: count, seed: deriveSeed(valSeed, `${count}`), training: false };
        try {
          await whenReadable(intTensors(batch));
          const value = await replayReads(() => tf.tidy(() => this.opts.loss(this.model, batch, ctx)));
          sum += (await value.data())[0];
          value.dispose();
          const metrics = this.opts.validationMetrics;
          const m = metrics ? await replayReads(() => metrics(this.model, batch, ctx)) : {};
          for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v;
        } finally {
          disposeTensors(batch);
        }
        count += 1;
        await yieldToEventLoop();
      }
      if (count === 0) throw new Error(`epoch ${e + 1}: the validation data source yielded no batch`);
      valLoss = sum / count;
      for (const [k, v] of Object.entries(sums)) extra[k] = v / count;
    }

    const monitored = valLoss ?? trainLoss;
    const improved = monitored < this.bestLoss;
    if (improved) {
      this.bestLoss = monitored;
      this.bestEpoch = e + 1;
      if (this.opts.keepBest !== false) {
        await whenReadable(this.model.weights.map((w) => w.read()));
        this.best = exportWeights(this.model, { epoch: e + 1, loss: monitored });
      }
    }
    if (this.plateau) this.lr = this.plateau.step(monitored);
    this.epoch = e + 1;
    const metrics: EpochMetrics = {
      ...extra,
      epoch: this.epoch,
      train_loss: trainLoss,
      val_loss: valLoss,
      lr: lrUsed,
      next_lr: this.lr,
      best_loss: this.bestLoss,
      best_epoch: this.bestEpoch,
      improved,
      batches: trainCount,
      seconds: (performance.now() - started) / 1000,
    };
    this.history.push(metrics);
    return metrics;
  }

  /** One optimisation step on a batch; resolves to the loss before the update. */
  async step(batch: B, ctx: StepContext): Promise<number> {
    // integer inputs (labels) are read on the CPU by the losses: fetch them before the step, not by replaying it
    await whenReadable(intTensors(batch));
    const value = await replayReads(() =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => this.opts.loss(this.model, batch, ctx), this.vars);
        const named = this.vars.map((v) => {
          const g = grads[v.name];
          if (!g) throw new Error(`no gradient for ${v.name}: is every weight of the model used by the loss?`);
          return { name: v.name, tensor: g };
        });
        this.optimizer.applyGradients(named);
        return value;
      }),
    );
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  }

  /**
   * Everything needed to resume after this epoch: weights, Adam moments and step count, the schedule, the best
   * weights and loss, the epoch and seed, the history.
   */
  async exportState(): Promise<Uint8Array> {
    const arrays: NamedArray[] = [];
    await whenReadable(this.model.weights.map((w) => w.read()));
    for (const w of this.model.weights) {
      const t = w.read();
      arrays.push({ name: `w/${w.originalName}`, shape: t.shape, values: t.dataSync() as Float32Array });
    }
    const optWeights = await this.optimizer.getWeights();
    await whenReadable([...optWeights.map((nt) => nt.tensor), ...adamBetaPowers(this.optimizer)]);
    optWeights.forEach((nt, i) => arrays.push({ name: `opt/${i}`, shape: nt.tensor.shape, values: Float32Array.from(nt.tensor.dataSync()) }));
    // getWeights() makes a fresh scalar for the iteration count (the moments are the optimiser's own variables).
    optWeights.filter((nt) => nt.name === 'iter').forEach((nt) => nt.tensor.dispose());
    // Adam's running β powers: setWeights recomputes them with pow(), which differs in the last bits from the
    // running product; store them so that a resumed run is bit-identical.
    const betas = adamBetaPowers(this.optimizer);
    arrays.push({ name: 'opt/betaPowers', shape: [2], values: Float32Array.from([betas[0].dataSync()[0], betas[1].dataSync()[0]]) });
    if (this.best) {
      const packed = bytesToFloat32(this.best);
      arrays.push({ name: 'best', shape: [packed.length], values: packed });
    }
    const meta = {
      format: STATE_FORMAT,
      epoch: this.epoch,
      seed: this.opts.seed,
      lr: this.lr,
      plateau: this.plateau ? encodePlateau(this.plateau.state()) : null,
      bestLoss: Number.isFinite(this.bestLoss) ? this.bestLoss : null,
      bestEpoch: this.bestEpoch,
      bestBytes: this.best?.length ?? 0,
      optimizer: optWeights.length,
      history: this.history,
    };
    return encodeBundle(arrays, meta);
  }

  /** Restore a state written by `exportState` (same model architecture; a fresh process is fine). */
  async restoreState(bytes: Uint8Array): Promise<void> {
    const { meta, arrays } = decodeBundle(bytes);
    if (meta.format !== STATE_FORMAT) throw new Error(`restoreState: not a trainer state (format ${String(meta.format)})`);
    if (meta.seed !== this.opts.seed) throw new Error(`restoreState: state has seed ${String(meta.seed)}, trainer ${this.opts.seed}`);
    const weights = arrays.filter((a) => a.name.startsWith('w/')).map((a) => ({ ...a, name: a.name.slice(2) }));
    loadWeights(this.model, encodeBundle(weights));
    const n = meta.optimizer as number;
    const opt: { name: string; tensor: tf.Tensor }[] = [];
    for (let i = 0; i < n; i++) {
      const a = arrays.find((x) => x.name === `opt/${i}`);
      if (!a) throw new Error(`restoreState: optimiser entry ${i} missing`);
      opt.push({ name: `opt/${i}`, tensor: tf.tensor(a.values, a.shape) });
    }
    this.optimizer.dispose();
    this.optimizer = tf.train.adam(meta.lr as number);
    if (n > 0) await this.optimizer.setWeights(opt);
    tf.dispose(opt.map((o) => o.tensor));
    const powers = arrays.find((a) => a.name === 'opt/betaPowers');
    if (powers) {
      const [b1, b2] = adamBetaPowers(this.optimizer);
      tf.tidy(() => {
        b1.assign(tf.scalar(powers.values[0]));
        b2.assign(tf.scalar(powers.values[1]));
      });
    }
    this.lr = meta.lr as number;
    if (this.plateau && meta.plateau) this.plateau.restore(decodePlateau(meta.plateau as PlateauState));
    this.epoch = meta.epoch as number;
    this.bestLoss = (meta.bestLoss as number | null) ?? Infinity;
    this.bestEpoch = meta.bestEpoch as number;
    const best = arrays.find((a) => a.name === 'best');
    this.best = best ? float32ToBytes(best.values as Float32Array, meta.bestBytes as number) : null;
    this.history.splice(0, this.history.length, ...(meta.history as EpochMetrics[]));
  }

  /** End the run after the current epoch (early stopping, e.g. from onEpoch). */
  stop(): void {
    this.stopRequested = true;
  }

  /** Free the optimiser's state (the model stays the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }

  private setOptimizerLr(lr: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  private cancelled(): boolean {
    const s = this.opts.signal;
    if (!s) return false;
    return typeof s === 'function' ? s() : s.aborted;
  }

  private result(status: TrainStatus): TrainResult {
    return { status, epochs: this.epoch, bestLoss: this.bestLoss, bestEpoch: this.bestEpoch, history: [...this.history] };
  }
}

async function* limit<B>(source: Iterable<B> | AsyncIterable<B>, max: number): AsyncGenerator<B> {
  if (max <= 0) return;
  let n = 0;
  for await (const b of source) {
    yield b;
    if (++n >= max) return;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
