/**
 * Acquisition variability of the phantom, generation 2 (issue 12): what differs between two scans of the same
 * protocol on different days and patients.
 * - SNR 5–40 on the first image of each contrast (per subject, median ~20; ×2 for the 3D Dixon; ±20% per contrast), coil-sensitivity
 *   bias with an amplitude 0.1–0.5, median 0.2 (./fields.ts biasField);
 * - per-subject jitter of every TE, TI and b-value around the protocol (a common factor ±4% per list and ±1.5% per
 *   value; b = 0 stays 0): the channels keep their nominal names, the series protocol stores the acquired values;
 * - breathing: each contrast is acquired at its own respiratory position (organs ±14 mm head–feet, ±4 mm
 *   antero-posterior), so the contrasts of one subject are misregistered like breath-holds are;
 * - EPI (DWI and BOLD): geometric distortion along the phase-encoding direction (image y), a smooth displacement of
 *   2–8 mm RMS, and a Nyquist (N/2) ghost of 2–10% of the signal;
 * - DWI: the fat suppression fails in 15% of subjects (residual fat 30–80% instead of 5%);
 * - DIXON: a water–fat swap in a smooth region (or the whole volume) in 12% of series, and an incomplete water–fat
 *   separation (10–35% of each leaking into the other: "failed fat suppression" of the water image) in 15%.
 */
import { Rng } from '../random';
import type { ContrastKindName } from '../volume';
import { randomField, sampleField, type SmoothField } from './fields';
import { BOLD_ECHO_TIMES_MS, DIXON_TE_IP_MS, DIXON_TE_OP_MS, DWI_B_VALUES, T1_INVERSION_TIMES_MS, T2_ECHO_TIMES_MS } from './protocol';
import type { SequenceTimings } from './signal';
import type { Breathing, Grid } from './voxelise';

export interface ContrastAcquisition {
  snr: number;
  biasAmplitude: number;
  breathing: Breathing;
  /** EPI only: RMS distortion (mm) along phase encoding and the N/2 ghost level; null otherwise. */
  epi: { distortionMm: number; ghost: number; field: SmoothField } | null;
  /** DIXON only. */
  dixon: { swap: { threshold: number; field: SmoothField } | null; leak: number } | null;
}

export interface SubjectAcquisition {
  timings: SequenceTimings;
  baseSnr: number;
  dwiFatSuppressionFailed: boolean;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export function drawSubjectAcquisition(rng: Rng): SubjectAcquisition {
  const jitter = (values: number[]) => {
    const common = rng.uniform(0.96, 1.04);
    return values.map((v) => round2(v * common * rng.uniform(0.985, 1.015)));
  };
  const failed = rng.chance(0.15);
  const timings: SequenceTimings = {
    tiMs: jitter(T1_INVERSION_TIMES_MS),
    t2TeMs: jitter(T2_ECHO_TIMES_MS),
    boldTeMs: jitter(BOLD_ECHO_TIMES_MS),
    bValues: jitter(DWI_B_VALUES),
    dixonTeOpMs: round2(DIXON_TE_OP_MS * rng.uniform(0.97, 1.03)),
    dixonTeIpMs: round2(DIXON_TE_IP_MS * rng.uniform(0.97, 1.03)),
    dwiTeMs: round2(60 * rng.uniform(0.93, 1.07)),
    dwiFatResidual: failed ? rng.uniform(0.3, 0.8) : 0.05,
  };
  // SNR 5–40, median ~20 and one subject in ten below ~8.5: 5 · 8^(u^0.6)
  return { timings, baseSnr: 5 * 8 ** (rng.next() ** 0.6), dwiFatSuppressionFailed: failed };
}

/**
 * SNR relative to the subject's: the 3D Dixon (hundreds of phase encodes over a 3D slab, short TE) has about twice
 * the SNR of the 2D single-shot and inversion-recovery acquisitions at the same voxel size.
 */
const SNR_FACTOR: Record<ContrastKindName, number> = { DIXON: 2, T1_MAP: 1, T2_MAP: 1, BOLD: 1, DWI: 1 };

const EPI: ReadonlySet<ContrastKindName> = new Set(['DWI', 'BOLD']);

export function drawContrastAcquisition(rng: Rng, contrast: ContrastKindName, subject: SubjectAcquisition): ContrastAcquisition {
  const breathing = { dy: rng.clippedNormal(0, 7, 2), dz: rng.clippedNormal(0, 2, 2) };
  const snr = Math.min(40, Math.max(5, subject.baseSnr * SNR_FACTOR[contrast] * rng.uniform(0.8, 1.2)));
  // up to 0.5, most scans moderate (median 0.2): 0.1 + 0.4·u²
  const biasAmplitude = 0.1 + 0.4 * rng.next() ** 2;
  // wavelengths ≥ 250 mm keep the local stretch (1 + ∂d/∂y) within about ±10%, as on B0-shimmed abdominal EPI
  const epi = EPI.has(contrast) ? { distortionMm: rng.uniform(2, 8), ghost: rng.uniform(0.02, 0.1), field: randomField(rng, 4, 250, 600) } : null;
  let dixon: ContrastAcquisition['dixon'] = null;
  if (contrast === 'DIXON') {
    const swap = rng.chance(0.12) ? { threshold: rng.chance(0.25) ? -Infinity : rng.uniform(0.3, 1.2), field: randomField(rng, 4, 100, 300) } : null;
    dixon = { swap, leak: rng.chance(0.15) ? rng.uniform(0.1, 0.35) : 0 };
  }
  return { snr, biasAmplitude, breathing, epi, dixon };
}

/** Per-voxel phase-encoding displacement (mm) of an EPI acquisition, or null. */
export function peShift(acq: ContrastAcquisition, grid: Grid): Float32Array | null {
  if (!acq.epi) return null;
  const f = sampleField(acq.epi.field, grid.xs, grid.ys, grid.zs);
  // randomField has unit RMS (each term's variance is 1/terms): scale to the drawn RMS
  for (let i = 0; i < f.length; i++) f[i] *= acq.epi.distortionMm;
  return f;
}

/** Adds the N/2 ghost in place: each slice's image shifted by half the FOV along phase encoding, times `level`. */
export function addNyquistGhost(img: Float32Array, off: number, w: number, h: number, level: number, tmp: Float32Array): void {
  tmp.set(img.subarray(off, off + w * h));
  const half = h >> 1;
  for (let y = 0; y < h; y++) {
    const src = ((y + half) % h) * w;
    const dst = off + y * w;
    for (let x = 0; x < w; x++) img[dst + x] += level * tmp[src + x];
  }
}

/** Water–fat errors of a Dixon series in place: channels 2 (water) and 3 (fat), `nvox` voxels each. */
export function dixonErrors(data: Float32Array, nvox: number, acq: ContrastAcquisition, grid: Grid): void {
  const d = acq.dixon;
  if (!d) return;
  const w = 2 * nvox;
  const f = 3 * nvox;
  if (d.leak > 0) {
    for (let i = 0; i < nvox; i++) {
      const water = data[w + i];
      const fat = data[f + i];
      data[w + i] = water + d.leak * fat;
      data[f + i] = fat + d.leak * water;
    }
  }
  if (d.swap) {
    const region = d.swap.threshold === -Infinity ? null : sampleField(d.swap.field, grid.xs, grid.ys, grid.zs);
    for (let i = 0; i < nvox; i++) {
      if (region && region[i] <= d.swap.threshold) continue;
      const t = data[w + i];
      data[w + i] = data[f + i];
      data[f + i] = t;
    }
  }
}
