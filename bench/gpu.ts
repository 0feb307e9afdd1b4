/**
 * The GPU check (by hand, never in CI): one command that says what a machine's GPU gives nephron on
 * NEPHRON_BACKEND=webgpu.
 *
 *   npx tsx bench/gpu.ts [--sizes=128,256] [--batch=16] [--steps=5] [--smoke-size=32] [--no-sweep]
 *
 * 1. the adapters Dawn sees and the one chosen (the device string runs store);
 * 2. ms per training step of the PAPER U-Net through `Trainer.step` (median of --steps after 2 warm-up steps) at
 *    size² × batch: fine-tuning (focal Tversky) and CLC (PAPER τ/topK/anchors, random patch labels of 20 clusters);
 *    for CLC also the forward pass alone and how many reruns replayReads made (src/ml/reads.ts): each rerun is one
 *    more forward pass, which is what moving the neighbourhood selection onto the GPU would save;
 * 3. a SMOKE sweep through the server (in-process, PGlite on disk; one runner per adapter): DIXON, N 2, RANDOM and
 *    CLC, seed 1; wall time and each run's device.
 *
 * Without a GPU it runs on SwiftShader (a CPU emulator: its figures say nothing about a GPU), with tiny shapes:
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     npx tsx bench/gpu.ts --sizes=16 --batch=2 --steps=2 --smoke-size=16
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config';
import { initBackend } from '../src/ml/backend';
import { clcLoss, focalTversky } from '../src/ml/losses';
import { PRESETS } from '../src/ml/presets';
import { createRng } from '../src/ml/random';
import { replayCounts } from '../src/ml/reads';
import { Trainer, type LossFn } from '../src/ml/train';
import { buildLocalPretrainModel, buildSegmentationModel, type UnetOptions } from '../src/ml/unet';
import { listAdapters, loadDawn } from '../src/ml/webgpu/dawn';
import { createLogger } from '../src/logger';
import { openNephron } from '../src/app';
import { createNephronServer } from '../src/server/server';
import { gql, machineLine } from './common';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const sizes = (args.get('sizes') ?? '128,256').split(',').map(Number);
const batchSize = Number(args.get('batch') ?? 16);
const steps = Number(args.get('steps') ?? 5);
const smokeSize = Number(args.get('smoke-size') ?? 32);
process.env.NEPHRON_BACKEND ??= 'webgpu'; // the runner threads of the sweep read it too

type Batch = Record<string, tf.Tensor>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function images(size: number, rng: () => number): tf.Tensor4D {
  return tf.tensor4d(
    Float32Array.from({ length: batchSize * size * size }, () => rng()),
    [batchSize, size, size, 1],
  );
}

const finetune: LossFn<Batch> = (model, b) => focalTversky(b.oneHot, model.apply(b.images, { training: true }) as tf.Tensor);
const clc: LossFn<Batch> = (model, b, ctx) => {
  const c = PRESETS.PAPER.clc;
  return clcLoss(model.apply(b.images, { training: true }) as tf.Tensor, b.patchLabels, {
    tau: c.tau,
    topK: 100,
    anchors: c.anchors,
    patchSize: c.patchSize,
    seed: ctx.seed,
  });
};

async function stepMs(
  build: (o: UnetOptions) => tf.LayersModel,
  size: number,
  batch: Batch,
  loss: LossFn<Batch>,
): Promise<{ step: number; forward: number; reruns: number }> {
  const model = build({ size, model: PRESETS.PAPER.model, seed: 1 });
  const trainer = new Trainer<Batch>({ model, loss, train: () => [], epochs: 1, lr: 1e-4, seed: 1 });
  const ctx = (i: number) => ({ epoch: 0, batch: i, seed: i, training: true });
  for (let i = 0; i < 2; i++) await trainer.step(batch, ctx(i));
  const ms: number[] = [];
  const before = replayCounts.reruns;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await trainer.step(batch, ctx(i + 2));
    ms.push(performance.now() - t0);
  }
  const reruns = (replayCounts.reruns - before) / steps;
  const fwd: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const out = tf.tidy(() => tf.sum(model.apply(batch.images, { training: true }) as tf.Tensor));
    await out.data();
    out.dispose();
    fwd.push(performance.now() - t0);
  }
  trainer.dispose();
  model.dispose();
  return { step: median(ms), forward: median(fwd), reruns };
}

async function stepTable(): Promise<void> {
  console.log(`\n${'step'.padEnd(28)} ${'ms/step'.padStart(9)} ${'forward ms'.padStart(11)} ${'reruns/step'.padStart(12)}`);
  for (const size of sizes) {
    const rng = createRng(size);
    const labels = tf.tensor3d(
      Int32Array.from({ length: batchSize * size * size }, () => Math.floor(rng() * 3)),
      [batchSize, size, size],
      'int32',
    );
    const seg = { images: images(size, rng), oneHot: tf.cast(tf.oneHot(labels, 3), 'float32') };
    labels.dispose();
    const f = await stepMs(buildSegmentationModel, size, seg, finetune);
    console.log(
      `${`fine-tuning ${size}²×${batchSize}`.padEnd(28)} ${f.step.toFixed(1).padStart(9)} ${f.forward.toFixed(1).padStart(11)} ${f.reruns.toFixed(1).padStart(12)}`,
    );
    tf.dispose(Object.values(seg));
    const g = size / PRESETS.PAPER.clc.patchSize;
    const local = {
      images: images(size, rng),
      patchLabels: tf.tensor3d(
        Int32Array.from({ length: batchSize * g * g }, () => Math.floor(rng() * 20)),
        [batchSize, g, g],
        'int32',
      ),
    };
    const c = await stepMs(buildLocalPretrainModel, size, local, clc);
    console.log(
      `${`CLC ${size}²×${batchSize}`.padEnd(28)} ${c.step.toFixed(1).padStart(9)} ${c.forward.toFixed(1).padStart(11)} ${c.reruns.toFixed(1).padStart(12)}` +
        `   (reruns ≈ ${((100 * c.reruns * c.forward) / c.step).toFixed(0)}% of the step: the gain of a GPU-side neighbourhood selection)`,
    );
    tf.dispose(Object.values(local));
  }
}

async function smokeSweep(runners: number): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-gpu-'));
  const config = loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NEPHRON_DEFAULT_COHORT: 'off',
    NEPHRON_RUNNERS: String(runners),
    NEPHRON_DATA_DIR: dataDir,
  });
  const server = await createNephronServer(await openNephron(config, { log: createLogger(config.logLevel) }));
  const url = await server.listen();
  const gq = `${url}/graphql`;
  try {
    console.log(`\nSMOKE sweep at ${smokeSize}² through the server, ${runners} runner(s): ${server.runners?.devices().join('; ')}`);
    // cohorts are 32² at least; the runs resample to --smoke-size
    const cohort = await server.services.cohorts.createSynthetic({ name: 'gpu', subjects: 8, seed: 1, size: Math.max(32, smokeSize) });
    const overrides = smokeSize === 32 ? {} : { pretrainOverrides: { image: { size: smokeSize } }, finetuneOverrides: { image: { size: smokeSize } } };
    const t0 = performance.now();
    const input = {
      name: 'gpu check',
      cohortId: cohort.id,
      contrasts: ['DIXON'],
      nLabeled: [2],
      initializations: ['RANDOM', 'CLC'],
      seeds: [1],
      preset: 'SMOKE',
      ...overrides,
    };
    const { startSweep } = await gql(gq, `mutation($i: SweepInput!) { startSweep(input: $i) { id total } }`, { i: input });
    for (;;) {
      const { sweep } = await gql(
        gq,
        `query($id: ID!) { sweep(id: $id) { status done total runs { id kind initialization status device error startedAt finishedAt } } }`,
        { id: startSweep.id },
      );
      if (sweep.done === sweep.total) {
        console.log(`${sweep.status}: ${sweep.total} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        for (const r of sweep.runs) {
          const s = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
          console.log(
            `  ${r.kind.padEnd(8)} ${(r.initialization ?? '').padEnd(6)} ${r.status.padEnd(9)} ${s.toFixed(1)} s  ${r.device}${r.error ? `  ${r.error}` : ''}`,
          );
        }
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(machineLine());
  const listed = await listAdapters(await loadDawn());
  console.log(`Dawn adapters: ${listed.length ? listed.map((a) => `${a.name} (${a.backend})`).join(', ') : 'none'}`);
  const info = await initBackend({ backend: 'webgpu' });
  console.log(`chosen: ${info.device}${/swiftshader/i.test(info.device) ? '  ← a CPU emulator: these figures say nothing about a GPU' : ''}`);
  await stepTable();
  if (!args.has('no-sweep')) await smokeSweep(Number(process.env.NEPHRON_RUNNERS ?? info.adapters ?? 1));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
