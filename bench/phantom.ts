/**
 * Phantom throughput and storage: generates N subjects of the default cohort plan (seed 2093) at 128², encodes
 * every series as stored ('noise' quantisation + deflate, masks deflated) and prints time and bytes per subject
 * and the projection for the default 79-subject cohort.
 *   npx tsx bench/phantom.ts [subjects=8] [quantization=noise|range16]
 */
import { encodeMask, encodeVolume, type Quantization } from '../src/data/encoding';
import { generateSubject, planCohort } from '../src/data/phantom';

const n = Number(process.argv[2] ?? 8);
const quantization = (process.argv[3] ?? 'noise') as Quantization;
const plan = planCohort({ seed: 2093 }).slice(0, n);
generateSubject({ ...plan[0], size: 128 }); // warm-up (JIT)
let gen = 0;
let enc = 0;
let bytes = 0;
let slices = 0;
let raw = 0;
for (const p of plan) {
  const t0 = performance.now();
  const s = generateSubject({ ...p, size: 128 });
  const t1 = performance.now();
  for (const v of s.series) {
    bytes += encodeVolume(v, { quantization }).bytes.length + encodeMask(v.mask!, v).length;
    raw += v.data.byteLength + v.mask!.byteLength;
  }
  gen += t1 - t0;
  enc += performance.now() - t1;
  slices += s.series[0].slices;
}
const perGen = gen / n / 1000;
const perEnc = enc / n / 1000;
const perBytes = bytes / n;
console.log(`subjects ${n}, mean slices ${(slices / n).toFixed(1)}, quantization ${quantization}`);
console.log(`generate ${perGen.toFixed(3)} s/subject, encode+hash ${perEnc.toFixed(3)} s/subject (single thread)`);
console.log(`stored ${(perBytes / 1e6).toFixed(2)} MB/subject (raw Float32 ${(raw / n / 1e6).toFixed(1)} MB)`);
console.log(
  `default cohort (79): ${((79 * (perGen + perEnc)) / 2).toFixed(1)} s on 2 threads, ${(79 * (perGen + perEnc)).toFixed(1)} s on 1; ${((79 * perBytes) / 1e6).toFixed(0)} MB stored`,
);
