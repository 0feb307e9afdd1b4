/**
 * Reduce-on-plateau learning-rate schedule (as Keras' ReduceLROnPlateau, mode "min", cooldown 0, min_delta 0):
 * after each epoch, if the monitored loss is lower than the best so far it becomes the best and the wait resets;
 * otherwise the wait grows, and when it reaches `patience` the rate becomes max(lr · factor, minLr) and the wait
 * resets. Method.md: factor 0.5, patience 10 on the validation loss.
 */
import type { PlateauConfig } from '../presets';

export interface PlateauState {
  lr: number;
  best: number;
  wait: number;
}

export class ReduceLrOnPlateau {
  private s: PlateauState;

  constructor(
    private readonly cfg: PlateauConfig,
    initialLr: number,
  ) {
    this.s = { lr: initialLr, best: Infinity, wait: 0 };
  }

  get lr(): number {
    return this.s.lr;
  }

  /** Record an epoch's monitored loss; returns the learning rate for the next epoch. */
  step(loss: number): number {
    if (loss < this.s.best) {
      this.s.best = loss;
      this.s.wait = 0;
    } else {
      this.s.wait += 1;
      if (this.s.wait >= this.cfg.patience) {
        this.s.lr = Math.max(this.s.lr * this.cfg.factor, this.cfg.minLr);
        this.s.wait = 0;
      }
    }
    return this.s.lr;
  }

  state(): PlateauState {
    return { ...this.s };
  }

  restore(state: PlateauState): void {
    this.s = { ...state };
  }
}
