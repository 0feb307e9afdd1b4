/**
 * CLC pilot (by hand, never in CI; issue 13): on a phantom cohort generated in memory, with the TEST subjects left
 * out of every job (VALIDATION only, nothing is tuned on TEST):
 * 1. anchors: the share of body-mask anchor candidates among the patches, and the share of drawn anchors that land
 *    on a kidney (UNIFORM vs STRATIFIED; the kidney masks are read for this measurement only);
 * 2. a PRETRAIN job with the STUDY protocol scaled by the flags (lr 1e-3, CLC steps, global warm-up steps): its
 *    CLC losses, the relative kernel change per U-Net level, and the frozen-body probe (CLC vs RI Dice on VALIDATION);
 * 3. the wall time of one STUDY-sized fine-tuning job (400 steps of 16 images at the given size, validation every
 *    25 steps), RANDOM init, N = --n.
 *
 *   npx tsx bench/clc-pilot.ts [--subjects=24] [--size=64] [--contrast=DWI] [--clc-steps=200] [--global-steps=0]
 *       [--lr=1e-3] [--n=2] [--only=anchors|pretrain|finetune]
 */
import { createRng } from '../src/ml/random';
import { drawAnchors } from '../src/ml/losses';
import { autoPatchSize, type PretrainConfig } from '../src/ml/presets';
import { initBackend } from '../src/ml/backend';
import { resolveConfig } from '../src/ml/resolve-config';
import type { ContrastKindName } from '../src/data/volume';
import type { JobSpec } from '../src/runs/job';
import { runJob } from '../src/runners/jobs';
import { subjectPatches } from '../src/runners/jobs/constraints';
import { SubjectLoader, splitSubjects } from '../src/runners/jobs/dataset';
import { buildConstraintMaps } from '../src/ml/constraint-maps';
import { jobSpec, memoryCohort, memoryIO, type MemoryCohort } from '../test/runners/jobs-fixture';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const subjects = Number(args.get('subjects') ?? 24);
const size = Number(args.get('size') ?? 64);
const contrast = (args.get('contrast') ?? 'DWI') as ContrastKindName;
const clcSteps = Number(args.get('clc-steps') ?? 200);
const globalSteps = Number(args.get('global-steps') ?? 0);
const lr = Number(args.get('lr') ?? 1e-3);
const n = Number(args.get('n') ?? 2);
const only = args.get('only');
const STEPS_PER_EPOCH = 25;

function withoutTest(cohort: MemoryCohort): MemoryCohort {
  return { ...cohort, subjects: cohort.subjects.filter((s) => s.split !== 'TEST') };
}

async function anchors(cohort: MemoryCohort): Promise<void> {
  const loader = new SubjectLoader(memoryIO(cohort.blobs), size);
  const train = await loader.loadAll(splitSubjects(cohort.subjects, 'TRAIN'));
  const p = autoPatchSize(size);
  const hp = size / p;
  const perImage = hp * hp;
  let candidates = 0;
  let patches = 0;
  const onKidney = { ALL: 0, UNIFORM: 0, STRATIFIED: 0 };
  let drawn = 0;
  const rng = createRng(1);
  for (const s of train) {
    const map = buildConstraintMaps(s.volume, { ...(resolveConfig('PRETRAIN', 'STUDY', { image: { size } }) as PretrainConfig).constraints, seed: 0 }).maps;
    const sp = subjectPatches(s, map, p);
    candidates += sp.candidates.reduce((a, b) => a + b, 0);
    patches += sp.candidates.length;
    for (let z = 0; z < s.volume.slices; z++) {
      const labels = sp.labels.subarray(z * perImage, (z + 1) * perImage);
      const cand = sp.candidates.subarray(z * perImage, (z + 1) * perImage);
      const kidney = (i: number) => {
        const py = Math.floor(i / hp);
        const px = i % hp;
        let k = 0;
        for (let dy = 0; dy < p; dy++) for (let dx = 0; dx < p; dx++) k += s.labels![(z * size + py * p + dy) * size + px * p + dx] > 0 ? 1 : 0;
        return 2 * k >= p * p;
      };
      for (const mode of ['ALL', 'UNIFORM', 'STRATIFIED'] as const) {
        // ALL: uniform over every patch, as the old "above the image minimum" foreground (100% of the patches)
        const a = mode === 'ALL' ? drawAnchors(labels, null, 20, 'UNIFORM', rng) : drawAnchors(labels, cand, 20, mode, rng);
        onKidney[mode] += a.filter(kidney).length;
        if (mode === 'UNIFORM') drawn += a.length;
      }
    }
  }
  console.log(`anchors at ${size}² (patch ${p} px, ${perImage} patches per image): body candidates ${((100 * candidates) / patches).toFixed(1)}% of patches`);
  console.log(
    `  anchors on kidney: every patch (the old foreground) ${((100 * onKidney.ALL) / drawn).toFixed(1)}%, body UNIFORM ${((100 * onKidney.UNIFORM) / drawn).toFixed(1)}%, body STRATIFIED ${((100 * onKidney.STRATIFIED) / drawn).toFixed(1)}% (${drawn} anchors each, 20 per slice image, ${train.length} TRAIN subjects)`,
  );
}

async function timed(name: string, cohort: MemoryCohort, spec: JobSpec): Promise<void> {
  const t0 = performance.now();
  let last = t0;
  const io = memoryIO(cohort.blobs, (r) => {
    const now = performance.now();
    const m = Object.entries(r.metrics)
      .map(([k, v]) => `${k}=${v.toPrecision(4)}`)
      .join(' ');
    console.log(`  ${r.phase} epoch ${r.epoch}/${r.epochs}: ${((now - last) / 1000).toFixed(1)} s  ${m}`);
    last = now;
  });
  const log = io.log;
  io.log = (m) => {
    if (!m.startsWith('constraint map')) console.log(`  log: ${m}`);
    log(m);
  };
  const result = await runJob(spec, io);
  console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s on ${result.device}`);
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const cohort = withoutTest(memoryCohort({ subjects, size, contrast }));
  const s = cohort.subjects;
  console.log(
    `backend ${backend.device}; ${contrast} at ${size}²; TRAIN ${s.filter((x) => x.split === 'TRAIN').length}, VALIDATION ${s.filter((x) => x.split === 'VALIDATION').length}, TEST left out`,
  );
  if (!only || only === 'anchors') await anchors(cohort);
  if (!only || only === 'pretrain') {
    const config = resolveConfig('PRETRAIN', 'STUDY', {
      image: { size },
      constraints: { kidneyBoxMargin: Math.max(1, Math.round((5 * size) / 256)) },
      global: { epochs: Math.ceil(globalSteps / STEPS_PER_EPOCH), lr },
      clc: { epochs: Math.ceil(clcSteps / STEPS_PER_EPOCH), lr },
    });
    await timed(`PRETRAIN (${clcSteps} CLC steps at lr ${lr}, ${globalSteps} global)`, cohort, jobSpec(cohort, { kind: 'PRETRAIN', config }));
  }
  if (!only || only === 'finetune') {
    const config = resolveConfig('FINETUNE', 'STUDY', { image: { size } });
    await timed(
      `FINETUNE STUDY-sized (400 steps of 16 at ${size}², N = ${n}, RANDOM)`,
      cohort,
      jobSpec(cohort, { kind: 'FINETUNE', config, initialization: 'RANDOM', nLabeled: n }),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
