/**
 * The state of the runs being watched, fed by snapshots (queries) and RunProgress events, and its two renderings:
 * live bars redrawn in place on a TTY (one per RUNNING run: phase, epoch/epochs, loss, Dice, ETA), or one plain line
 * per event when stdout is a pipe or a file.
 */
import { duration, fixed } from './text';
import type { RunFields } from '../api/run-fields';
import { isFinishedStatus, SUMMARY_ORDER } from '../api/run-status';

export interface RunInfo extends RunFields {
  startedAt: string | null;
  error: string | null;
}

export interface ProgressEvent {
  runId: string;
  status: string;
  phase: string;
  epoch: number;
  epochs: number;
  metrics: { name: string; value: number }[];
  at: string;
}

export interface RunState extends RunInfo {
  phase: string;
  loss?: number;
  dice?: number;
}

const LOSSES = ['train_loss', 'clc_loss', 'global_loss'];

export function runLabel(r: Pick<RunInfo, 'kind' | 'contrast' | 'initialization' | 'nLabeled' | 'seed'>): string {
  return r.kind === 'PRETRAIN' ? `${r.contrast} PRETRAIN seed ${r.seed}` : `${r.contrast} ${r.initialization} N=${r.nLabeled} seed ${r.seed}`;
}

/** "  on <device>" once a runner has claimed the run. */
function onDevice(r: Pick<RunInfo, 'device'>): string {
  return r.device ? `  on ${r.device}` : '';
}

export class Progress {
  readonly runs = new Map<string, RunState>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly title: string,
    private readonly now: () => number = Date.now,
  ) {}

  private liveLines = 0;

  /** A query's view of a run: adopted unless it would move a finished run back or an epoch backwards. */
  snapshot(info: RunInfo): void {
    const cur = this.runs.get(info.id);
    if (!cur) {
      this.runs.set(info.id, { ...info, phase: info.status === 'QUEUED' ? 'queue' : info.status.toLowerCase() });
      return;
    }
    cur.device = info.device ?? cur.device; // set when a runner claims the run (events do not carry it)
    if (isFinishedStatus(cur.status)) return;
    if (isFinishedStatus(info.status)) this.finish(cur, info.status, info.error);
    else if (info.epoch >= cur.epoch)
      Object.assign(cur, { status: info.status, epoch: info.epoch, epochs: info.epochs, startedAt: cur.startedAt ?? info.startedAt });
  }

  /** A RunProgress event; returns false for a run this watch does not know. */
  event(e: ProgressEvent): boolean {
    const r = this.runs.get(e.runId);
    if (!r) return false;
    if (isFinishedStatus(r.status)) return true;
    const metric = (n: string) => e.metrics.find((m) => m.name === n)?.value;
    const loss = LOSSES.map(metric).find((v) => v !== undefined);
    const right = metric('val_dice_right');
    const left = metric('val_dice_left');
    if (loss !== undefined) r.loss = loss;
    if (right !== undefined && left !== undefined) r.dice = (right + left) / 2;
    if (e.status === 'RUNNING' && !r.startedAt) r.startedAt = e.at;
    if (e.epoch >= r.epoch) Object.assign(r, { epoch: e.epoch, epochs: e.epochs || r.epochs, phase: e.phase });
    if (isFinishedStatus(e.status)) this.finish(r, e.status, null);
    else {
      const changed = r.status !== e.status;
      r.status = e.status;
      if (!this.tty && (changed || e.metrics.length)) this.line(`${this.describe(r)}`);
    }
    this.draw();
    return true;
  }

  private finish(r: RunState, status: string, error: string | null): void {
    r.status = status;
    r.error = error ?? r.error;
    this.line(
      `${status.padEnd(9)} ${runLabel(r)}  ${r.id}${r.dice !== undefined && status === 'SUCCEEDED' ? `  val Dice ${fixed(r.dice)}` : ''}${onDevice(r)}${r.error ? `  ${r.error}` : ''}`,
    );
  }

  /** Sets the device of a run (the events do not carry it; the caller asks the API). */
  setDevice(id: string, device: string | null): void {
    const r = this.runs.get(id);
    if (r && device) r.device = device;
  }

  /** Sets the error of a finished run (the event does not carry it; the caller asks the API). */
  setError(id: string, error: string | null): void {
    const r = this.runs.get(id);
    if (r) r.error = error;
  }

  get done(): boolean {
    return this.runs.size > 0 && [...this.runs.values()].every((r) => isFinishedStatus(r.status));
  }

  count(status: string): number {
    return [...this.runs.values()].filter((r) => r.status === status).length;
  }

  summary(): string {
    const n = this.runs.size;
    const parts = SUMMARY_ORDER.map((s) => [s, this.count(s)] as const).filter(([, c]) => c > 0);
    return `${this.title}: ${n} run${n === 1 ? '' : 's'}, ${parts.map(([s, c]) => `${c} ${s.toLowerCase()}`).join(', ')}`;
  }

  private eta(r: RunState): string {
    if (!r.startedAt || r.epoch <= 0) return '—';
    const elapsed = this.now() - Date.parse(r.startedAt);
    return duration((elapsed / r.epoch) * (r.epochs - r.epoch));
  }

  describe(r: RunState): string {
    const metrics = `${r.loss !== undefined ? ` loss ${fixed(r.loss, 4)}` : ''}${r.dice !== undefined ? ` Dice ${fixed(r.dice)}` : ''}`;
    return `${r.status.padEnd(9)} ${runLabel(r)}  ${r.phase} ${r.epoch}/${r.epochs}${metrics}${r.status === 'RUNNING' ? ` ETA ${this.eta(r)}` : ''}  ${r.id}${onDevice(r)}`;
  }

  private bar(r: RunState, width = 20): string {
    const filled = r.epochs > 0 ? Math.round((Math.min(r.epoch, r.epochs) / r.epochs) * width) : 0;
    const metrics = `${r.loss !== undefined ? ` loss ${fixed(r.loss, 4)}` : ''}${r.dice !== undefined ? ` Dice ${fixed(r.dice)}` : ''}`;
    return `${runLabel(r).padEnd(34)} ${r.phase.padEnd(8)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(r.epoch).padStart(3)}/${r.epochs}${metrics} ETA ${this.eta(r)}${onDevice(r)}`;
  }

  /** A permanent line: above the live block on a TTY. */
  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.draw();
  }

  private clear(): void {
    if (!this.tty || this.liveLines === 0) return;
    this.out.write(`\x1b[${this.liveLines}A\x1b[J`);
    this.liveLines = 0;
  }

  /** Redraws the live block (TTY only): the summary and one bar per RUNNING run. */
  draw(): void {
    if (!this.tty) return;
    this.clear();
    const running = [...this.runs.values()].filter((r) => r.status === 'RUNNING');
    // a line wider than the terminal would wrap and throw off the cursor-up count of the next redraw
    const columns = (this.out as NodeJS.WriteStream).columns || Infinity;
    const lines = [this.summary(), ...running.map((r) => `  ${this.bar(r)}`)].map((l) =>
      [...l].length < columns ? l : `${[...l].slice(0, columns - 2).join('')}…`,
    );
    this.out.write(`${lines.join('\n')}\n`);
    this.liveLines = lines.length;
  }

  /** Ends the live block: leaves the last summary on screen. */
  close(): void {
    this.clear();
  }
}
