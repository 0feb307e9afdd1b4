/**
 * Smooth random fields for the phantom: tissue texture, bowel loops and coil-sensitivity (bias) fields.
 * A field is a sum of separable products of cosines with random wavelengths and phases, so evaluating it on a
 * grid costs one multiply-add per term per voxel (1D tables per axis).
 */
import { Rng } from '../random';

export interface FieldTerm {
  amp: number;
  k: [number, number, number];
  phase: [number, number, number];
}

export interface SmoothField {
  terms: FieldTerm[];
}

/** A field with zero mean and unit-ish RMS; wavelengths (mm) drawn in [minMm, maxMm] on each axis. */
export function randomField(rng: Rng, terms: number, minMm: number, maxMm: number): SmoothField {
  const out: FieldTerm[] = [];
  for (let i = 0; i < terms; i++) {
    const k = (): number => (2 * Math.PI) / rng.uniform(minMm, maxMm);
    out.push({
      amp: rng.normal() * Math.sqrt(8 / terms),
      k: [k(), k(), k()],
      phase: [rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)],
    });
  }
  return { terms: out };
}

/** Evaluates the field at every grid point (xs fastest, then ys, then zs) — layout of one 3D image. */
export function sampleField(field: SmoothField, xs: Float64Array, ys: Float64Array, zs: Float64Array): Float32Array {
  const nx = xs.length;
  const ny = ys.length;
  const nz = zs.length;
  const out = new Float32Array(nx * ny * nz);
  const fx = new Float64Array(nx);
  const fy = new Float64Array(ny);
  for (const t of field.terms) {
    for (let i = 0; i < nx; i++) fx[i] = Math.cos(t.k[0] * xs[i] + t.phase[0]);
    for (let j = 0; j < ny; j++) fy[j] = Math.cos(t.k[1] * ys[j] + t.phase[1]);
    for (let s = 0; s < nz; s++) {
      const az = t.amp * Math.cos(t.k[2] * zs[s] + t.phase[2]);
      for (let j = 0; j < ny; j++) {
        const ayz = az * fy[j];
        const row = (s * ny + j) * nx;
        for (let i = 0; i < nx; i++) out[row + i] += ayz * fx[i];
      }
    }
  }
  return out;
}

/**
 * Coil sensitivity (bias) field on the grid: exp(amplitude × smooth field) × a posterior/anterior receive-coil
 * gradient along the slice axis; normalised to mean 1. Amplitude ~0.2 gives ±20–30% smooth shading.
 */
export function biasField(rng: Rng, xs: Float64Array, ys: Float64Array, zs: Float64Array, amplitude: number): Float32Array {
  const f = sampleField(randomField(rng, 4, 350, 900), xs, ys, zs);
  const zMid = (zs[0] + zs[zs.length - 1]) / 2;
  const zGrad = rng.uniform(-0.004, 0.004);
  const nxy = xs.length * ys.length;
  let sum = 0;
  for (let i = 0; i < f.length; i++) {
    const s = Math.floor(i / nxy);
    const v = Math.exp(amplitude * f[i] + zGrad * (zs[s] - zMid));
    f[i] = v;
    sum += v;
  }
  const mean = sum / f.length;
  for (let i = 0; i < f.length; i++) f[i] /= mean;
  return f;
}
