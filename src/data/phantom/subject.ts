/**
 * Assembles one synthetic subject (phantom generation 2, issue 12): anatomy → per-contrast acquisition (breathing
 * position, EPI distortion) → voxelisation, so each contrast's mask follows the anatomy as seen in it → signal table
 * at the subject's acquired timings × tissue texture → in-plane partial-volume blur → coil bias field → EPI ghost →
 * complex Gaussian noise, magnitude (Rician) at the contrast's SNR → Dixon water–fat errors.
 *
 * Deterministic: every random draw comes from `Rng` streams seeded by (seed, purpose), so the same seed gives
 * bit-identical Float32 data on every run.
 */
import { gaussianTable, Rng } from '../random';
import { CONTRAST_KINDS, type ContrastKindName, type SeriesVolume, type SubjectGroupName } from '../volume';
import { addNyquistGhost, dixonErrors, drawContrastAcquisition, drawSubjectAcquisition, peShift, type ContrastAcquisition, type SubjectAcquisition } from './acquisition';
import { drawAnatomy, type Anatomy } from './anatomy';
import { gridOf, voxelise } from './voxelise';
import { biasField, randomField, sampleField } from './fields';
import { DEFAULT_PROTOCOLS, acquiredProtocol } from './protocol';
import { componentCount, signalTable } from './signal';
import { drawDisease, drawTissueParams, type DiseasePattern } from './tissues';

/** The phantom generation this code draws; stored in every series' protocol and in the cohort's source. */
export const PHANTOM_GENERATION = 2;

export interface SubjectSpec {
  seed: number;
  code: string;
  group: SubjectGroupName;
  /** In-plane matrix (square), default 128. */
  size?: number;
  /** Number of 5 mm coronal slices; default: 12–16, enough to cover both kidneys. */
  slices?: number;
}

/** Ground truth of the simulation (not stored with the series; useful for tests and documentation). */
export interface SubjectTruth {
  snr: Record<ContrastKindName, number>;
  noiseSigma: Record<ContrastKindName, number>;
  acquisition: Record<ContrastKindName, ContrastAcquisition>;
  subjectAcquisition: SubjectAcquisition;
  disease: DiseasePattern;
  anatomy: Anatomy;
}

export interface GeneratedSubject {
  code: string;
  group: SubjectGroupName;
  series: SeriesVolume[];
  truth: SubjectTruth;
}

/** In-place separable [1 2 1]/4 blur of one width×height image (edges replicated): in-plane partial volume. */
function blur121(img: Float32Array, off: number, w: number, h: number, tmp: Float32Array): void {
  for (let y = 0; y < h; y++) {
    const r = off + y * w;
    for (let x = 0; x < w; x++) {
      const l = img[r + (x > 0 ? x - 1 : x)];
      const c = img[r + x];
      const rr = img[r + (x < w - 1 ? x + 1 : x)];
      tmp[y * w + x] = 0.25 * l + 0.5 * c + 0.25 * rr;
    }
  }
  for (let y = 0; y < h; y++) {
    const u = (y > 0 ? y - 1 : y) * w;
    const m = y * w;
    const d = (y < h - 1 ? y + 1 : y) * w;
    for (let x = 0; x < w; x++) img[off + m + x] = 0.25 * tmp[u + x] + 0.5 * tmp[m + x] + 0.25 * tmp[d + x];
  }
}

export function generateSubject(spec: SubjectSpec): GeneratedSubject {
  const size = spec.size ?? 128;
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`generateSubject: size must be an integer ≥ 16, got ${size}`);
  if (spec.slices !== undefined && (!Number.isInteger(spec.slices) || spec.slices < 1)) {
    throw new RangeError(`generateSubject: slices must be a positive integer, got ${spec.slices}`);
  }
  const seed = spec.seed >>> 0;
  const anatomy = drawAnatomy(Rng.from(seed, 'anatomy'), spec.group, size, spec.slices);
  const disease = drawDisease(Rng.from(seed, 'disease'), spec.group);
  const tissues = drawTissueParams(Rng.from(seed, 'tissues'), disease);
  const subjectAcq = drawSubjectAcquisition(Rng.from(seed, 'acquisition'));
  const grid = gridOf(anatomy, size);
  const nvox = size * size * anatomy.slices;
  const texture = sampleField(randomField(Rng.from(seed, 'texture'), 16, 6, 30), grid.xs, grid.ys, grid.zs);
  for (let i = 0; i < nvox; i++) texture[i] = 1 + 0.04 * texture[i];
  const gauss = gaussianTable();
  const spacingMm: [number, number, number] = [anatomy.pixelMm, anatomy.pixelMm, anatomy.sliceMm];
  const truth: SubjectTruth = { snr: {} as never, noiseSigma: {} as never, acquisition: {} as never, subjectAcquisition: subjectAcq, disease, anatomy };
  const series: SeriesVolume[] = [];
  const tmp = new Float32Array(size * size);

  for (const contrast of CONTRAST_KINDS) {
    const crng = Rng.from(seed, 'contrast', contrast);
    const acq = drawContrastAcquisition(crng, contrast, subjectAcq);
    const bias = biasField(crng, grid.xs, grid.ys, grid.zs, acq.biasAmplitude);
    const { tissue, label } = voxelise(anatomy, grid, { breathing: acq.breathing, peShiftMm: peShift(acq, grid) });
    const table = signalTable(contrast, tissues, subjectAcq.timings);
    const nc = componentCount(contrast);
    const comps = new Float32Array(nvox * nc);
    for (let c = 0; c < nc; c++) {
      const off = c * nvox;
      for (let i = 0; i < nvox; i++) comps[off + i] = table[tissue[i] * nc + c] * texture[i];
      for (let s = 0; s < anatomy.slices; s++) blur121(comps, off + s * size * size, size, size, tmp);
      for (let i = 0; i < nvox; i++) comps[off + i] *= bias[i];
      if (acq.epi) for (let s = 0; s < anatomy.slices; s++) addNyquistGhost(comps, off + s * size * size, size, size, acq.epi.ghost, tmp);
    }
    // Noise level from the first component's mean kidney signal (b = 0 / first echo / in-phase).
    let ref = 0;
    let nk = 0;
    for (let i = 0; i < nvox; i++) {
      if (label[i]) {
        ref += Math.abs(comps[i]);
        nk++;
      }
    }
    const sigma = (nk ? ref / nk : 100) / acq.snr;
    const nrng = Rng.from(seed, 'noise', contrast);
    const channels = DEFAULT_PROTOCOLS[contrast].channelNames.length;
    const data = new Float32Array(nvox * channels);
    if (contrast === 'DIXON') {
      for (let i = 0; i < nvox; i++) {
        const r1 = nrng.uint32();
        const r2 = nrng.uint32();
        const ar = comps[i] + sigma * gauss[r1 & 0xffff];
        const ai = sigma * gauss[r1 >>> 16];
        const br = comps[nvox + i] + sigma * gauss[r2 & 0xffff];
        const bi = sigma * gauss[r2 >>> 16];
        data[i] = Math.sqrt(ar * ar + ai * ai);
        data[nvox + i] = Math.sqrt(br * br + bi * bi);
        data[2 * nvox + i] = 0.5 * Math.sqrt((ar + br) ** 2 + (ai + bi) ** 2);
        data[3 * nvox + i] = 0.5 * Math.sqrt((ar - br) ** 2 + (ai - bi) ** 2);
      }
      dixonErrors(data, nvox, acq, grid);
    } else {
      for (let i = 0; i < comps.length; i++) {
        const r = nrng.uint32();
        const re = comps[i] + sigma * gauss[r & 0xffff];
        const im = sigma * gauss[r >>> 16];
        data[i] = Math.sqrt(re * re + im * im);
      }
    }
    const proto = DEFAULT_PROTOCOLS[contrast];
    series.push({
      contrast,
      width: size,
      height: size,
      slices: anatomy.slices,
      channels,
      data,
      channelNames: [...proto.channelNames],
      spacingMm: [...spacingMm],
      protocol: {
        ...proto.params,
        matrix: [size, size],
        slices: anatomy.slices,
        spacingMm: [...spacingMm],
        sliceThicknessMm: anatomy.sliceMm,
        orientation: 'coronal',
        phantomGeneration: PHANTOM_GENERATION,
        acquired: acquiredProtocol(contrast, subjectAcq.timings),
      },
      mask: label,
    });
    truth.snr[contrast] = acq.snr;
    truth.noiseSigma[contrast] = sigma;
    truth.acquisition[contrast] = acq;
  }
  return { code: spec.code, group: spec.group, series, truth };
}
