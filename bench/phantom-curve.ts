/**
 * RI learning curve on the default synthetic cohort (issue 12): does N = 20 labelled subjects beat N = 2?
 *   NEPHRON_WASM_THREADS=1 npx tsx bench/phantom-curve.ts [--contrast=DWI] [--seeds=1,2] [--n=2,20]
 *                                                        [--epochs=20] [--batches=10] [--batch=16]
 *                                                        [--preset=QUICK|STUDY] [--hide-test] [--ce=W]
 * `--preset=STUDY` fine-tunes with the STUDY preset's fine-tuning settings at 64² (96 VALIDATION images, lr 1e-3);
 * `--ce=W` sets finetune.crossEntropyWeight (default: the preset's);
 * `--hide-test` prints the per-epoch VALIDATION Dice only and never the TEST Dice: the way to choose a step budget
 * without looking at TEST (issue 13: settings are chosen on VALIDATION).
 * Runs the real FINETUNE job (src/runners/jobs/finetune.ts) in this process, from RANDOM initialisation, on
 * synthetic-79 generated and encoded as the server stores it, with an in-memory blob store: QUICK preset (64²),
 * with the step budget fixed at epochs × batches per epoch for every N (batches capped per epoch; the N = 2 subset
 * has enough images for that many batches). Prints the mean TEST Dice (mean of right and left kidney per subject,
 * then over the 15 TEST subjects) per (N, seed), and the mean over seeds per N.
 */
import { createHash } from 'node:crypto';
import { encodeMask, encodeVolume } from '../src/data/encoding';
import { generateSubject, planCohort } from '../src/data/phantom';
import type { ContrastKindName } from '../src/data/volume';
import { PRESETS, type FinetuneRunConfig } from '../src/ml/presets';
import type { JobIO, JobSpec, JobSubject } from '../src/runs/job';
import { finetuneJob } from '../src/runners/jobs/finetune';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const contrast = (args.get('contrast') ?? 'DWI') as ContrastKindName;
const seeds = (args.get('seeds') ?? '1,2').split(',').map(Number);
const ns = (args.get('n') ?? '2,20').split(',').map(Number);
const epochs = Number(args.get('epochs') ?? 20);
const batches = Number(args.get('batches') ?? 10);
const batch = Number(args.get('batch') ?? 16);
const preset = PRESETS[(args.get('preset') ?? 'QUICK') as 'QUICK' | 'STUDY'];
const hideTest = args.has('hide-test');

const blobs = new Map<string, Uint8Array>();
const put = (bytes: Uint8Array) => {
  const key = createHash('sha256').update(bytes).digest('hex');
  blobs.set(key, bytes);
  return key;
};

const t0 = performance.now();
const subjects: JobSubject[] = planCohort({ seed: 2093 }).map((p) => {
  const v = generateSubject({ ...p, size: 128 }).series.find((s) => s.contrast === contrast)!;
  return {
    id: p.code,
    code: p.code,
    split: p.split,
    seriesId: `${p.code}/${contrast}`,
    width: v.width,
    height: v.height,
    slices: v.slices,
    channels: v.channels,
    spacingMm: v.spacingMm,
    dataBlobKey: put(encodeVolume(v, { quantization: 'noise' }).bytes),
    maskBlobKey: put(encodeMask(v.mask!, v)),
  };
});
console.log(`${contrast}: synthetic-79 generated and encoded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const config: FinetuneRunConfig = {
  image: { ...preset.image, size: 64 },
  model: preset.model,
  finetune: {
    ...preset.finetune,
    epochs,
    maxBatchesPerEpoch: batches,
    batchSize: batch,
    ...(args.has('ce') ? { crossEntropyWeight: Number(args.get('ce')) } : {}),
  },
};
const named = new Map<string, string>();
const io = (label: string): JobIO => ({
  getBlob: async (key) => {
    const b = blobs.get(key);
    if (!b) throw new Error(`no blob ${key}`);
    return b;
  },
  putBlob: async (bytes) => put(bytes),
  findNamed: async (name) => named.get(name) ?? null,
  putNamed: async (name, bytes) => {
    const key = put(bytes);
    named.set(name, key);
    return key;
  },
  phase: () => undefined,
  epochEnd: async (r) => {
    const m = r.metrics;
    const f = (k: string) => (m[k] === undefined ? '-' : m[k].toFixed(3));
    console.log(`${label} epoch ${r.epoch}/${r.epochs}: train ${f('train_loss')} val ${f('val_loss')} dice R ${f('val_dice_right')} L ${f('val_dice_left')}`);
  },
  signal: new AbortController().signal,
  log: () => undefined,
});

async function main(): Promise<void> {
  const results = new Map<number, number[]>();
  for (const n of ns) {
    for (const seed of seeds) {
      const label = `${contrast} N=${n} seed=${seed}`;
      const started = performance.now();
      const spec: JobSpec = {
        runId: label,
        kind: 'FINETUNE',
        contrast,
        seed,
        config,
        initialization: 'RANDOM',
        nLabeled: n,
        pretrainedWeightsKey: null,
        subjects,
        resumeCheckpointKey: null,
      };
      const r = await finetuneJob(spec, io(label));
      if (hideTest) {
        console.log(`RESULT ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s on ${r.device} (TEST Dice hidden)`);
        continue;
      }
      const dice = r.evaluation!.map((e) => (e.dice.right + e.dice.left) / 2);
      const mean = dice.reduce((a, b) => a + b, 0) / dice.length;
      results.set(n, [...(results.get(n) ?? []), mean]);
      console.log(
        `RESULT ${label}: TEST Dice ${mean.toFixed(3)} (${dice.length} subjects), ${((performance.now() - started) / 1000).toFixed(0)} s on ${r.device}`,
      );
    }
  }
  console.log(`cross-entropy weight ${config.finetune.crossEntropyWeight ?? 0}`);
  console.log(`budget: ${epochs} epochs × ${batches} batches of ${batch} = ${epochs * batches} steps at ${config.image.size}², lr ${config.finetune.lr}`);
  if (hideTest) return;
  for (const [n, xs] of results)
    console.log(
      `SUMMARY ${contrast} N=${n}: mean TEST Dice ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)} over seeds ${seeds.join(',')} (${xs.map((x) => x.toFixed(3)).join(', ')})`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
