/**
 * ml engine benchmark (by hand, never in CI): ms per training step of the PAPER U-Net on the backend that
 * initBackend picks (NEPHRON_BACKEND and NEPHRON_THREADS, or its alias NEPHRON_WASM_THREADS, are honoured).
 *
 *   npx tsx bench/ml.ts [steps=4] [--profile] [--threads=1,2] [--torch] [--write] [--study=400]
 *
 * Rows: fine-tuning step (forward + backward + Adam, focal Tversky) at 64²×16, 128²×8, 128²×16; CLC pretraining step
 * (local model + clcLoss, PAPER τ/topK/anchors, random patch labels of 20 clusters) at 64²×16; global warm-up step
 * (encoder + global head + G^D loss, 4 partitions × 4 slices) at 64²×16. Each row: 2 warm-up steps, then the median
 * of `steps`; the 1-minute load average (the machine is shared) follows each row. --profile prints the top kernels of
 * one step per row; --threads=1,2 runs the rows once per thread count, each in its own process (NEPHRON_THREADS);
 * --torch runs bench/torch_unet.py (Debian's /usr/bin/python3) right after each thread count on the same shapes and
 * prints the ratios; --write replaces the "ml engine" section of BENCHMARKS.md with the table. --study=N times
 * N fine-tuning steps at 64²×16 through Trainer.run with augmentation (a STUDY-sized run is 400) instead.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/ml/backend';
import { clcLoss, focalTversky, globalContrastiveLoss } from '../src/ml/losses';
import { PRESETS } from '../src/ml/presets';
import { createRng } from '../src/ml/random';
import { Trainer, finetuneLoss, segmentationBatch, type LossFn, type SegmentationBatch } from '../src/ml/train';
import { buildGlobalPretrainModel, buildLocalPretrainModel, buildSegmentationModel, type UnetOptions } from '../src/ml/unet';

interface Row {
  name: string;
  ms: number[];
  /** CPU time of the process per step (all its threads): less sensitive than wall time to a shared machine's load. */
  cpuMs: number[];
  kernels?: string;
}

type Batch = Record<string, tf.Tensor>;

async function measure(
  name: string,
  build: (o: UnetOptions) => tf.LayersModel,
  size: number,
  makeBatch: () => Batch,
  loss: LossFn<Batch>,
  steps: number,
  profile: boolean,
): Promise<Row> {
  const model = build({ size, model: PRESETS.PAPER.model, seed: 1 });
  const trainer = new Trainer<Batch>({ model, loss, train: () => [], epochs: 1, lr: 1e-4, seed: 1 });
  const batch = makeBatch();
  const ctx = (i: number) => ({ epoch: 0, batch: i, seed: i, training: true });
  for (let i = 0; i < 2; i++) await trainer.step(batch, ctx(i));
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await trainer.step(batch, ctx(i + 2));
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  let kernels: string | undefined;
  if (profile) {
    const info = await tf.profile(() => trainer.step(batch, ctx(99)));
    const byKernel = new Map<string, number>();
    for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    kernels = [...byKernel]
      .filter(([k]) => !k.endsWith('__op') && k !== 'unnamed scope')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
  }
  tf.dispose(Object.values(batch));
  trainer.dispose();
  model.dispose();
  const row = { name, ms, cpuMs, kernels };
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `${name.padEnd(34)} median ${median(ms).toFixed(0)} ms  (${ms.map((m) => m.toFixed(0)).join(', ')})  cpu ${median(cpuMs).toFixed(0)} ms  load ${load}${kernels ? `\n    ${kernels}` : ''}`,
  );
  return row;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function segBatch(size: number, batch: number): () => Batch {
  return () => {
    const rng = createRng(7);
    const labels = Int32Array.from({ length: batch * size * size }, () => Math.floor(rng() * 3));
    return {
      images: tf.tensor4d(
        Float32Array.from({ length: batch * size * size }, () => rng()),
        [batch, size, size, 1],
      ),
      oneHot: tf.cast(tf.oneHot(tf.tensor3d(labels, [batch, size, size], 'int32'), 3), 'float32'),
    };
  };
}

const finetune: LossFn<Batch> = (model, b) => focalTversky(b.oneHot, model.apply(b.images, { training: true }) as tf.Tensor);

function clcBatch(size: number, batch: number): () => Batch {
  return () => {
    const rng = createRng(8);
    const p = PRESETS.PAPER.clc.patchSize;
    const n = batch * (size / p) * (size / p);
    return {
      images: tf.tensor4d(
        Float32Array.from({ length: batch * size * size }, () => rng()),
        [batch, size, size, 1],
      ),
      patchLabels: tf.tensor3d(
        Int32Array.from({ length: n }, () => Math.floor(rng() * 20)),
        [batch, size / p, size / p],
        'int32',
      ),
    };
  };
}

const clc: LossFn<Batch> = (model, b, ctx) => {
  const c = PRESETS.PAPER.clc;
  const features = model.apply(b.images, { training: true }) as tf.Tensor;
  return clcLoss(features, b.patchLabels, { tau: c.tau, topK: 100, anchors: c.anchors, patchSize: c.patchSize, seed: ctx.seed });
};

const PARTITIONS = Int32Array.from({ length: 16 }, (_, i) => i % 4);
const global: LossFn<Batch> = (model, b) =>
  globalContrastiveLoss(model.apply(b.images, { training: true }) as tf.Tensor, PARTITIONS, { tau: PRESETS.PAPER.global.tau });

function writeSection(runs: { device: string; rows: Row[] }[], steps: number, threads: string | undefined): void {
  const file = path.join(__dirname, '..', 'BENCHMARKS.md');
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '## ml engine',
    '',
    `\`npx tsx bench/ml.ts ${steps}${threads ? ` --threads=${threads}` : ''} --write\` — ms per training step of the PAPER U-Net`,
    '(filters 16-32-64-128-128-128, GroupNorm, depth from the size), forward + backward + Adam through `Trainer.step`;',
    `median of ${steps} timed steps after 2 warm-up steps (all runs in brackets). ${os.cpus().length} shared cores, ${date}.`,
    '',
    `| step | ${runs.map((r) => `\`${r.device}\``).join(' | ')} |`,
    `|---|${runs.map(() => '---|').join('')}`,
    ...runs[0].rows.map(
      (row, i) =>
        `| ${row.name} | ${runs.map((r) => `${median(r.rows[i].ms).toFixed(0)} (${r.rows[i].ms.map((m) => m.toFixed(0)).join(', ')})`).join(' | ')} |`,
    ),
    '',
  ];
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf('## ml engine');
  let next = start >= 0 ? text.indexOf('\n## ', start + 1) : -1;
  if (next >= 0) next += 1;
  const section = lines.join('\n');
  const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next >= 0 ? `\n${text.slice(next)}` : ''}`;
  fs.writeFileSync(file, updated.endsWith('\n') ? updated : `${updated}\n`);
  console.log(`wrote the "ml engine" section of ${file}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const steps = Number(args.find((a) => /^\d+$/.test(a)) ?? 4);
  const profile = args.includes('--profile');
  const threads = args.find((a) => a.startsWith('--threads='))?.slice('--threads='.length);
  if (threads) {
    const runs = threads.split(',').map((t) => {
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, String(steps), '--json', ...(profile ? ['--profile'] : [])], {
        env: { ...process.env, NEPHRON_THREADS: t },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      process.stdout.write(
        out
          .split('\n')
          .filter((l) => !l.startsWith('{'))
          .join('\n'),
      );
      const run = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) as string) as { device: string; rows: Row[] };
      if (args.includes('--torch')) compareWithTorch(run.rows, steps, t);
      return run;
    });
    if (args.includes('--write')) writeSection(runs, steps, threads);
    return;
  }
  const info = await initBackend();
  console.log(
    `backend ${info.device}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const study = args.find((a) => a.startsWith('--study'));
  if (study) {
    await studyRun(Number(study.split('=')[1] ?? 400), info.device);
    return;
  }
  const rows: Row[] = [];
  rows.push(await measure('fine-tune 64²×16', buildSegmentationModel, 64, segBatch(64, 16), finetune, steps, profile));
  rows.push(await measure('fine-tune 128²×8', buildSegmentationModel, 128, segBatch(128, 8), finetune, steps, profile));
  rows.push(await measure('fine-tune 128²×16', buildSegmentationModel, 128, segBatch(128, 16), finetune, steps, profile));
  rows.push(await measure('CLC pretrain 64²×16 (topK 100)', buildLocalPretrainModel, 64, clcBatch(64, 16), clc, steps, profile));
  rows.push(await measure('global warm-up 64²×16', buildGlobalPretrainModel, 64, clcBatch(64, 16), global, steps, profile));
  if (args.includes('--json')) console.log(JSON.stringify({ device: info.device, rows }));
  else if (args.includes('--write')) writeSection([{ device: info.device, rows }], steps, undefined);
}

/** Run bench/torch_unet.py on the same fine-tuning shapes right after, and print this backend's ratio to it. */
function compareWithTorch(rows: Row[], steps: number, threads: string): void {
  const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'torch_unet.py'), String(steps), `--threads=${threads}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(out);
  for (const line of out.split('\n')) {
    const m = /fine-tune (\d+)²×(\d+)\s+median (\d+) ms .* cpu (\d+) ms/.exec(line);
    const row = m && rows.find((r) => r.name === `fine-tune ${m[1]}²×${m[2]}`);
    if (m && row) {
      const wall = (median(row.ms) / Number(m[3])).toFixed(2);
      const cpu = (median(row.cpuMs) / Number(m[4])).toFixed(2);
      console.log(`ratio ${row.name} @${threads}t: ${wall}× PyTorch (wall), ${cpu}× (cpu time)  load ${os.loadavg()[0].toFixed(1)}`);
    }
  }
}

/** Wall time of `steps` fine-tuning steps at 64²×16 through Trainer.run (augmentation on), as a STUDY run takes them. */
async function studyRun(steps: number, device: string): Promise<void> {
  const size = 64;
  const batch = 16;
  const model = buildSegmentationModel({ size, model: PRESETS.PAPER.model, seed: 1 });
  const train = function* ({ rng }: { rng: () => number }): Generator<SegmentationBatch> {
    for (let i = 0; i < steps; i++) {
      const images = Float32Array.from({ length: batch * size * size }, () => rng());
      const labels = Int32Array.from({ length: batch * size * size }, () => Math.floor(rng() * 3));
      yield segmentationBatch(images, labels, batch, size);
    }
  };
  const trainer = new Trainer<SegmentationBatch>({ model, loss: finetuneLoss(PRESETS.PAPER.finetune), train, epochs: 1, lr: 1e-4, seed: 1 });
  const load = os.loadavg()[0];
  const t0 = performance.now();
  await trainer.run();
  const s = (performance.now() - t0) / 1000;
  console.log(
    `study fine-tune ${steps} steps 64²×16 on ${device}: ${s.toFixed(0)} s (${((s * 1000) / steps).toFixed(0)} ms/step)  load ${load.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`,
  );
  trainer.dispose();
  model.dispose();
}

void main();
