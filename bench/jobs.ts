/**
 * Runner jobs benchmark (by hand, never in CI): wall time of a QUICK fine-tuning job (RANDOM init, N labelled
 * subjects) and of a QUICK pretraining job, run through `runJob` with an in-memory JobIO on a phantom cohort
 * generated in memory. Prints every epoch as it ends (phase, seconds, metrics) and a per-phase summary.
 *
 *   npx tsx bench/jobs.ts [--subjects=79] [--size=128] [--contrast=DWI] [--n=8] [--only=finetune|pretrain]
 *
 * NEPHRON_BACKEND / NEPHRON_WASM_THREADS choose the backend as in a runner.
 */
import { initBackend } from '../src/ml/backend';
import { resolveConfig } from '../src/ml/resolve-config';
import type { ContrastKindName } from '../src/data/volume';
import type { JobSpec, SubjectEvaluation } from '../src/runs/job';
import { runJob } from '../src/runners/jobs';
import { jobSpec, memoryCohort, memoryIO, type MemoryCohort } from '../test/runners/jobs-fixture';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const subjects = Number(args.get('subjects') ?? 79);
const size = Number(args.get('size') ?? 128);
const contrast = (args.get('contrast') ?? 'DWI') as ContrastKindName;
const n = Number(args.get('n') ?? 8);
const only = args.get('only');

async function timed(name: string, cohort: MemoryCohort, spec: JobSpec): Promise<void> {
  const t0 = performance.now();
  let last = t0;
  const phaseStart = new Map<string, number>();
  const io = memoryIO(cohort.blobs, (r) => {
    const now = performance.now();
    const m = Object.entries(r.metrics)
      .map(([k, v]) => `${k}=${v.toPrecision(4)}`)
      .join(' ');
    console.log(`  ${r.phase} epoch ${r.epoch}/${r.epochs}: ${((now - last) / 1000).toFixed(1)} s  ${m}`);
    last = now;
  });
  const phase = io.phase;
  io.phase = (p, e) => {
    const now = performance.now();
    phaseStart.set(p, now);
    console.log(`  phase ${p} at ${((now - t0) / 1000).toFixed(1)} s`);
    last = now;
    phase(p, e);
  };
  const result = await runJob(spec, io);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${name}: ${seconds.toFixed(1)} s on ${result.device}`);
  if (result.evaluation) {
    const mean = (f: (e: SubjectEvaluation) => number) => result.evaluation!.reduce((s, e) => s + f(e), 0) / result.evaluation!.length;
    console.log(
      `  TEST Dice right ${mean((e) => e.dice.right).toFixed(3)} left ${mean((e) => e.dice.left).toFixed(3)} over ${result.evaluation.length} subjects`,
    );
  }
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.log(`backend ${backend.device}; cohort ${subjects} subjects at ${size}², ${contrast}`);
  const t0 = performance.now();
  const cohort = memoryCohort({ subjects, size, contrast });
  const s = cohort.subjects;
  console.log(
    `cohort generated in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${s.filter((x) => x.split === 'TRAIN').length}/${s.filter((x) => x.split === 'VALIDATION').length}/${s.filter((x) => x.split === 'TEST').length}, ${s[0].slices} slices × ${s[0].channels} channels`,
  );
  if (only !== 'pretrain') {
    await timed(
      `QUICK fine-tune N=${n}`,
      cohort,
      jobSpec(cohort, { kind: 'FINETUNE', contrast, config: resolveConfig('FINETUNE', 'QUICK'), initialization: 'RANDOM', nLabeled: n }),
    );
  }
  if (only !== 'finetune') {
    await timed('QUICK pretrain', cohort, jobSpec(cohort, { kind: 'PRETRAIN', contrast, config: resolveConfig('PRETRAIN', 'QUICK') }));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
