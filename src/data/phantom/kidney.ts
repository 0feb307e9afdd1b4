/**
 * One kidney of the phantom (generation 2): a bean (an ellipsoid minus a medial hilar notch) whose surface is
 * deformed by a smooth random function of direction (broad asymmetry plus fine fetal lobulation), so no two kidneys
 * share an analytic shape; inside, a cortical shell, medullary pyramids (cones whose papillae point at the sinus), a
 * renal sinus of fat with a fluid-filled pelvis and calyces, and (mostly patients) cysts or an atrophic pole.
 *
 * Size: length 9–13 cm and volume 155 ± 34 mL per kidney (left +6 mL), after adult norms: pole-to-pole length
 * 108.5 ± 12.2 mm (right) and 111.3 ± 12.6 mm (left) in 1,040 adults ("Normal kidney size and its influencing
 * factors – a 64-slice MDCT study of 1.040 asymptomatic patients", BMC Urology 2009;9:19); MRI volume of the right
 * kidney, median (IQR), 138 (121–156) mL in women and 174 (154–197) mL in men, 5th percentiles 99 and 126 mL, in 1,815
 * adults ("Age- and sex-specific reference values for renal volume … an MRI-based study", J Clin Med 2024;13:769);
 * MRI disc summation gives larger volumes than the ellipsoid formula (Cheong B et al., ISMRM 2006, abstract 2224).
 * Orientation: the long axis tilts with its upper pole medial (coronal tilt 0–30°), the hilum faces
 * antero-medially (10–40°) and the lower pole lies anterior to the upper one (−5–20°).
 */
import { Rng } from '../random';
import type { SubjectGroupName } from '../volume';
import { Tissue } from './tissues';

export type Vec3 = [number, number, number];

export const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

export interface Pyramid {
  dir: Vec3;
  t0: number;
  t1: number;
  tan: number;
}

/** One term of the surface deformation: amp · cos(freq · π · (n · q̂) + phase), q̂ the unit direction. */
export interface ShapeTerm {
  n: Vec3;
  freq: number;
  phase: number;
  amp: number;
}

export interface KidneyModel {
  label: 1 | 2;
  center: Vec3;
  /** Semi-axes in mm: u (medial–lateral width), v (long axis), w (antero-posterior thickness). */
  semi: Vec3;
  /** Local axes in world coordinates: u points medially (to the hilum), v inferiorly along the long axis. */
  axes: [Vec3, Vec3, Vec3];
  shape: ShapeTerm[];
  cortexMm: number;
  pyramids: Pyramid[];
  /** Cysts in local mm coordinates; a cyst may bulge out of the kidney (exophytic). */
  cysts: Array<{ c: Vec3; r: number }>;
  /** Atrophic pole: the part with sign·q_v > cut (normalised) is lost (replaced by fat). */
  atrophy: { sign: 1 | -1; cut: number } | null;
  perirenalMm: number;
}

export function inNotch(qu: number, qv: number, qw: number): boolean {
  const a = (qu - 1.0) / 0.45;
  const b = qv / 0.36;
  const c = qw / 0.62;
  return a * a + b * b + c * c < 1;
}

/** Fraction of the unit ellipsoid left after the hilar notch (computed once on a 48³ grid). */
let BEAN_FRACTION = 0;
function beanFraction(): number {
  if (BEAN_FRACTION) return BEAN_FRACTION;
  let inE = 0;
  let inBean = 0;
  const n = 48;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++) {
        const q: Vec3 = [((i + 0.5) / n) * 2 - 1, ((j + 0.5) / n) * 2 - 1, ((k + 0.5) / n) * 2 - 1];
        if (dot(q, q) > 1) continue;
        inE++;
        if (!inNotch(q[0], q[1], q[2])) inBean++;
      }
  return (BEAN_FRACTION = inBean / inE);
}

function unit(rng: Rng): Vec3 {
  const v: Vec3 = [rng.normal(), rng.normal(), rng.normal()];
  const l = Math.hypot(...v) || 1;
  return [v[0] / l, v[1] / l, v[2] / l];
}

/** Relative radius of the deformed surface in direction q̂ (1 = the ellipsoid). */
export function surfaceRadius(shape: ShapeTerm[], qu: number, qv: number, qw: number, r: number): number {
  if (r === 0) return 1;
  let d = 0;
  for (const t of shape) d += t.amp * Math.cos(t.freq * Math.PI * ((t.n[0] * qu + t.n[1] * qv + t.n[2] * qw) / r) + t.phase);
  return 1 + Math.max(-0.2, Math.min(0.2, d));
}

export function drawKidney(rng: Rng, label: 1 | 2, group: SubjectGroupName, sideSign: number, center: Vec3, perirenalMm: number): KidneyModel {
  const patient = group !== 'HEALTHY';
  let atrophy: KidneyModel['atrophy'] = null;
  let lossFraction = 0;
  if (patient && rng.chance(0.1)) {
    const cut = rng.uniform(0.5, 0.75);
    atrophy = { sign: rng.chance(0.5) ? 1 : -1, cut };
    // Volume of the unit-ball cap beyond `cut`: π(1−h)²(2+h)/3 over 4π/3.
    lossFraction = ((1 - cut) * (1 - cut) * (2 + cut)) / 4;
  }
  // Volume (mL) and length (mm) drawn together: a bigger kidney is mostly longer.
  const volumeMl = Math.max(105, Math.min(245, rng.clippedNormal(155 + (label === 2 ? 6 : 0), 34, 2.6)));
  const length = Math.max(92, Math.min(128, 111 * Math.cbrt(volumeMl / 155) * rng.uniform(0.93, 1.07)));
  const ellipsoidMm3 = (volumeMl * 1000) / beanFraction() / (1 - lossFraction);
  const widthOverThickness = rng.uniform(1.1, 1.4);
  const wt = (ellipsoidMm3 * 6) / (Math.PI * length);
  const thickness = Math.sqrt(wt / widthOverThickness);
  const semi: Vec3 = [(thickness * widthOverThickness) / 2, length / 2, thickness / 2];
  const medial = -sideSign; // right kidney (X<0) has its medial side towards +X
  const th = (rng.uniform(0, 30) * Math.PI) / 180;
  const ph = (rng.uniform(10, 40) * Math.PI) / 180;
  const ps = (rng.uniform(-5, 20) * Math.PI) / 180;
  let u: Vec3 = [medial * Math.cos(th), Math.sin(th), 0];
  let v: Vec3 = [-medial * Math.sin(th), Math.cos(th), 0];
  let w: Vec3 = [0, 0, 1];
  const comb = (a: Vec3, ca: number, b: Vec3, cb: number): Vec3 => [a[0] * ca + b[0] * cb, a[1] * ca + b[1] * cb, a[2] * ca + b[2] * cb];
  [u, w] = [comb(u, Math.cos(ph), w, -Math.sin(ph)), comb(u, Math.sin(ph), w, Math.cos(ph))];
  [v, w] = [comb(v, Math.cos(ps), w, -Math.sin(ps)), comb(v, Math.sin(ps), w, Math.cos(ps))];

  // Broad asymmetry (1–2 waves over the kidney, ±6–10%) plus fetal lobulation (4–7 waves, ±2%).
  const shape: ShapeTerm[] = [];
  for (let i = 0; i < 5; i++) shape.push({ n: unit(rng), freq: rng.uniform(0.6, 2), phase: rng.uniform(0, 2 * Math.PI), amp: rng.normal(0, 0.045) });
  const lobulated = rng.chance(0.35);
  for (let i = 0; i < 4; i++) {
    // drawn in this order (normal, frequency, phase, amplitude): the cohort's bytes depend on it
    const n = unit(rng);
    const freq = rng.uniform(4, 7);
    const phase = rng.uniform(0, 2 * Math.PI);
    shape.push({ n, freq, phase, amp: lobulated ? rng.normal(0, 0.02) : rng.normal(0, 0.006) });
  }

  const pyramids: Pyramid[] = [];
  for (const g0 of [-100, -65, -30, 5, 40, 75, 110, -135, 140]) {
    for (const b0 of [-40, 0, 40]) {
      if (b0 === 0 && rng.chance(0.5)) continue;
      const g = ((g0 + rng.uniform(-10, 10)) * Math.PI) / 180;
      const b = ((b0 + rng.uniform(-10, 10)) * Math.PI) / 180;
      const dir: Vec3 = [-Math.cos(g) * Math.cos(b), Math.sin(g) * Math.cos(b), Math.sin(b)];
      pyramids.push({ dir, t0: rng.uniform(0.12, 0.22), t1: 0.95, tan: Math.tan((rng.uniform(15, 21) * Math.PI) / 180) });
    }
  }
  // Simple renal cysts: common after 50 (patients), occasional in the healthy volunteers.
  const cysts: KidneyModel['cysts'] = [];
  if (rng.chance(patient ? 0.35 : 0.1)) {
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) {
      const r = rng.uniform(5, 18);
      const dirQ = unit(rng);
      const rad = rng.uniform(0.45, 1.05);
      cysts.push({ c: [dirQ[0] * rad * semi[0], dirQ[1] * rad * semi[1], dirQ[2] * rad * semi[2]], r });
    }
  }
  return {
    label,
    center,
    semi,
    axes: [u, v, w],
    shape,
    cortexMm: patient && rng.chance(0.2) ? rng.uniform(3.5, 5) : rng.uniform(5, 7.5),
    pyramids,
    cysts,
    atrophy,
    perirenalMm,
  };
}

/** Half-extent of a (rotated, deformed ≤ 20%) kidney along world axis `axis` (0 = X, 1 = Y, 2 = Z). */
export function halfExtent(k: KidneyModel, axis: number): number {
  return 1.1 * Math.sqrt(k.axes.reduce((acc, ax, i) => acc + (ax[axis] * k.semi[i]) ** 2, 0));
}

/** Tissue codes of `kidneyTissue`: KIDNEY_NONE = not this kidney; ≥ INSIDE = labelled kidney (tissue + INSIDE). */
export const KIDNEY_NONE = -1;
export const INSIDE = 100;

// a local copy of the imported enum: tsx compiles the import to a getter that would run on every voxel (voxelise.ts)
const T = Tissue;

/** Tissue at world point (X, Y, Z) for kidney `k` (centre already moved by breathing). */
export function kidneyTissue(k: KidneyModel, X: number, Y: number, Z: number): number {
  const dx = X - k.center[0];
  const dy = Y - k.center[1];
  const dz = Z - k.center[2];
  const [u, v, w] = k.axes;
  const lu = dx * u[0] + dy * u[1] + dz * u[2];
  const lv = dx * v[0] + dy * v[1] + dz * v[2];
  const lw = dx * w[0] + dy * w[1] + dz * w[2];
  const qu = lu / k.semi[0];
  const qv = lv / k.semi[1];
  const qw = lw / k.semi[2];
  const r2 = qu * qu + qv * qv + qw * qw;
  const pr = 1.2 + k.perirenalMm / k.semi[1];
  if (r2 > pr * pr * 1.4) return KIDNEY_NONE;
  const r = Math.sqrt(r2);
  const R = surfaceRadius(k.shape, qu, qv, qw, r);
  const inBean = r <= R && !inNotch(qu / R, qv / R, qw / R) && !(k.atrophy && k.atrophy.sign * qv > k.atrophy.cut);
  for (const c of k.cysts) {
    const a = lu - c.c[0];
    const b = lv - c.c[1];
    const d = lw - c.c[2];
    if (a * a + b * b + d * d < c.r * c.r) return inBean ? INSIDE + T.CYST : T.CYST;
  }
  // Pelvis and calyces (fluid), extending out of the hilum.
  const pel = ((qu - 0.52) / 0.26) ** 2 + ((qv - 0.02) / 0.19) ** 2 + (qw / 0.26) ** 2;
  const calU = ((qu - 0.28) / 0.1) ** 2 + ((qv + 0.3) / 0.16) ** 2 + (qw / 0.13) ** 2;
  const calL = ((qu - 0.28) / 0.1) ** 2 + ((qv - 0.32) / 0.16) ** 2 + (qw / 0.13) ** 2;
  if (pel < 1 || calU < 1 || calL < 1) {
    if (inBean) return INSIDE + T.URINE;
    if (r2 < 1.6) return T.URINE;
  }
  if (!inBean) {
    // Perirenal fat (inside Gerota's fascia) and hilar fat.
    const g = k.perirenalMm;
    const a = lu / (k.semi[0] * R + g * (lu < 0 ? 0.9 : 0.5) + 1);
    const b = lv / (k.semi[1] * R + g * 1.4 + 1);
    const d = lw / (k.semi[2] * R + g * (lw > 0 ? 1.1 : 0.6) + 1);
    return a * a + b * b + d * d < 1 ? T.FAT : KIDNEY_NONE;
  }
  const sin = ((qu - 0.42) / 0.4) ** 2 + (qv / 0.5) ** 2 + (qw / 0.44) ** 2;
  if (sin < 1) return INSIDE + T.FAT;
  // Cortex shell: distance to the deformed outer surface ≈ |l|·(R/r − 1).
  const lenMm = Math.sqrt(lu * lu + lv * lv + lw * lw);
  if (lenMm * (R / r - 1) < k.cortexMm) return INSIDE + T.CORTEX;
  const pu = qu - 0.3;
  const p2 = pu * pu + qv * qv + qw * qw;
  for (const p of k.pyramids) {
    const t = pu * p.dir[0] + qv * p.dir[1] + qw * p.dir[2];
    if (t < p.t0 || t > p.t1 * R) continue;
    const perp2 = p2 - t * t;
    const lim = (t - p.t0) * p.tan;
    if (perp2 < lim * lim) return INSIDE + T.MEDULLA;
  }
  return INSIDE + T.CORTEX; // columns of Bertin
}
