/**
 * The default synthetic cohort, phantom generation 2 (issue 12), measured by hand:
 *   npx tsx bench/phantom.ts [--only=generation,prior,volumes,constraints] [--score=TEST|VALIDATION]
 *                            [--constraint-subjects=6] [--quantization=noise]
 * - generation: time to generate and encode (as stored) every subject of synthetic-79 on one thread, stored bytes;
 * - prior: location prior (plurality of K TRAIN masks, ./phantom-stats.ts) built from K = 20 and K = 2 TRAIN subjects
 *   (five seeded draws each), mean kidney Dice on the `--score` split, per contrast;
 * - volumes: kidney volumes (mL) of the DIXON masks of every subject, per kidney;
 * - constraints: constraint-map informativeness per contrast on the first `--constraint-subjects` VALIDATION
 *   subjects (label-free maps, PAPER settings, native 128²).
 * - curve (only when asked: `--only=curve`, ~40 min on 2 shared cores): the RI learning curve of
 *   bench/phantom-curve.ts on DWI and T1_MAP, one process per contrast side by side, with `--curve-args`
 *   (default "--epochs=10 --batches=10 --batch=8": 100 steps of 8 images at 64² for every N).
 */
import { spawn } from 'node:child_process';
import { encodeMask, encodeVolume, type Quantization } from '../src/data/encoding';
import { generateSubject, planCohort, type GeneratedSubject } from '../src/data/phantom';
import { Rng } from '../src/data/random';
import { CONTRAST_KINDS, kidneyVolumesMl } from '../src/data/volume';
import { constraintInformativeness, locationPrior, mean, priorDice, sd } from './phantom-stats';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const only = new Set((args.get('only') ?? 'generation,prior,volumes,constraints').split(','));
const scoreSplit = args.get('score') ?? 'TEST';
const constraintSubjects = Number(args.get('constraint-subjects') ?? 6);
const quantization = (args.get('quantization') ?? 'noise') as Quantization;

const plan = planCohort({ seed: 2093 });
const subjects = new Map<string, GeneratedSubject>();
const get = (p: (typeof plan)[number]) => {
  if (!subjects.has(p.code)) subjects.set(p.code, generateSubject({ ...p, size: 128 }));
  return subjects.get(p.code)!;
};
const of = (split: string) => plan.filter((p) => p.split === split).map(get);

if (only.has('generation')) {
  let genMs = 0;
  let encMs = 0;
  let bytes = 0;
  generateSubject({ ...plan[0], size: 32 }); // warm-up (JIT)
  for (const p of plan) {
    const t0 = performance.now();
    const s = get(p);
    const t1 = performance.now();
    for (const v of s.series) bytes += encodeVolume(v, { quantization }).bytes.length + encodeMask(v.mask!, v).length;
    genMs += t1 - t0;
    encMs += performance.now() - t1;
  }
  const n = plan.length;
  console.log(`## generation (${n} subjects at 128², one thread, ${quantization} quantisation)`);
  console.log(
    `generate ${(genMs / 1000).toFixed(1)} s (${(genMs / n).toFixed(0)} ms/subject), encode+hash ${(encMs / 1000).toFixed(1)} s; stored ${(bytes / 1e6).toFixed(0)} MB (${(bytes / n / 1e6).toFixed(2)} MB/subject)`,
  );
}

if (only.has('prior')) {
  const train = of('TRAIN');
  const scored = of(scoreSplit);
  console.log(`## location prior: plurality of K TRAIN masks, mean kidney Dice on ${scored.length} ${scoreSplit} subjects (mean ± SD over 5 draws)`);
  for (const contrast of CONTRAST_KINDS) {
    const row: string[] = [];
    for (const k of [20, 2]) {
      const draws = [0, 1, 2, 3, 4].map((d) => {
        const chosen = Rng.from(2093, 'prior', d)
          .shuffle([...train])
          .slice(0, k);
        const prior = locationPrior(chosen.map((s) => s.series.find((v) => v.contrast === contrast)!));
        return mean(
          scored.map((s) =>
            priorDice(
              prior,
              s.series.find((v) => v.contrast === contrast)!,
            ),
          ),
        );
      });
      row.push(`K=${k}: ${mean(draws).toFixed(3)} ± ${sd(draws).toFixed(3)}`);
    }
    console.log(`${contrast.padEnd(7)} ${row.join('   ')}`);
  }
}

if (only.has('volumes')) {
  const vols: number[] = [];
  const rights: number[] = [];
  const lefts: number[] = [];
  let cut = 0;
  for (const s of plan.map(get)) {
    const v = kidneyVolumesMl(s.series[0].mask!, s.series[0].spacingMm);
    rights.push(v.right);
    lefts.push(v.left);
    vols.push(v.right, v.left);
    if (s.truth.anatomy.slabCutMm > 0) cut++;
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.round(p * (xs.length - 1))];
  console.log(`## kidney volumes (DIXON masks, ${plan.length} subjects; ${cut} slabs cut a kidney)`);
  console.log(
    `all kidneys: mean ${mean(vols).toFixed(0)} ± ${sd(vols).toFixed(0)} mL, min ${q(vols, 0).toFixed(0)}, 5% ${q(vols, 0.05).toFixed(0)}, median ${q(vols, 0.5).toFixed(0)}, 95% ${q(vols, 0.95).toFixed(0)}, max ${q(vols, 1).toFixed(0)}`,
  );
  console.log(`right ${mean(rights).toFixed(0)} ± ${sd(rights).toFixed(0)} mL, left ${mean(lefts).toFixed(0)} ± ${sd(lefts).toFixed(0)} mL`);
}

if (only.has('constraints')) {
  const chosen = of('VALIDATION').slice(0, constraintSubjects);
  console.log(`## constraint maps: share of kidney pixels in kidney-majority clusters (PAPER settings, 128², ${chosen.length} VALIDATION subjects)`);
  for (const contrast of CONTRAST_KINDS) {
    const r = chosen.map((s) => constraintInformativeness(s.series.find((v) => v.contrast === contrast)!));
    const shares = r.map((x) => x.share);
    console.log(
      `${contrast.padEnd(7)} mean ${mean(shares).toFixed(2)} (min ${Math.min(...shares).toFixed(2)}, ≥ 0.5 in ${shares.filter((x) => x >= 0.5).length}/${shares.length}), ` +
        `purest cluster ${mean(r.map((x) => x.bestPurity)).toFixed(2)}, ${(mean(r.map((x) => x.ms)) / 1000).toFixed(1)} s/map`,
    );
  }
}

if (only.has('curve')) {
  const extra = (args.get('curve-args') ?? '--epochs=10 --batches=10 --batch=8').split(' ');
  for (const contrast of ['DWI', 'T1_MAP']) {
    const child = spawn('npx', ['tsx', 'bench/phantom-curve.ts', `--contrast=${contrast}`, ...extra], {
      stdio: 'inherit',
      env: { ...process.env, NEPHRON_WASM_THREADS: '1' },
    });
    child.on('exit', (code) => console.log(`curve ${contrast} exited with ${code}`));
  }
}
