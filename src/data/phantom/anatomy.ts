/**
 * Anatomy of one synthetic subject, in millimetres, and its voxelisation.
 *
 * World frame (mm): X towards the patient's LEFT, Y towards the FEET (inferior), Z towards the BACK (posterior);
 * origin on the midline at the level of the renal hila. Images are a CORONAL slab: image x = X (so image left is the
 * patient's right, radiological convention), image y = Y (head at the top), slices = Z from anterior to posterior.
 * The slab is planned on the kidneys (coronal-oblique along their long axes, like a renal protocol), 5 mm slices.
 *
 * Each kidney is a bean: an ellipsoid minus a medial hilar notch, with a cortical shell, medullary pyramids (cones
 * whose papillae point at the sinus), a renal sinus of fat with a fluid-filled pelvis and calyces, and (patients)
 * cysts or an atrophic pole. The mask label of a voxel is the kidney whose bean contains the voxel's centre
 * (sinus and intrarenal pelvis included, the extrarenal pelvis and perirenal fat excluded).
 */
import { Rng } from '../random';
import type { SubjectGroupName } from '../volume';
import { LABEL_LEFT_KIDNEY, LABEL_RIGHT_KIDNEY } from '../volume';
import { randomField, sampleField, type SmoothField } from './fields';
import { Tissue } from './tissues';

type Vec3 = [number, number, number];

export interface Pyramid {
  dir: Vec3;
  t0: number;
  t1: number;
  tan: number;
}

export interface KidneyModel {
  label: 1 | 2;
  center: Vec3;
  /** Semi-axes in mm: u (medial–lateral width), v (long axis), w (antero-posterior thickness). */
  semi: Vec3;
  /** Local axes in world coordinates: u points medially (to the hilum), v inferiorly along the long axis. */
  axes: [Vec3, Vec3, Vec3];
  cortexMm: number;
  pyramids: Pyramid[];
  /** Cysts in local mm coordinates. */
  cysts: Array<{ c: Vec3; r: number }>;
  /** Atrophic pole: the part with sign·q_v > cut (normalised) is lost (replaced by fat). */
  atrophy: { sign: 1 | -1; cut: number } | null;
  perirenalMm: number;
}

export interface Anatomy {
  group: SubjectGroupName;
  bodyX: number;
  bodyZ: number;
  subcutMm: number;
  wallMm: number;
  vertebraZ: number;
  vertebraPhase: number;
  diaphragmY: number;
  kidneys: [KidneyModel, KidneyModel];
  liver: { c: Vec3; s: Vec3 };
  spleen: { c: Vec3; s: Vec3 };
  bowel: SmoothField;
  bowelKind: SmoothField;
  colonR: number;
  /** Slab: Z of the first slice centre and slice spacing. */
  slabZ0: number;
  slices: number;
  sliceMm: number;
  pixelMm: number;
  iliacCrestY: number;
  fovCenter: [number, number];
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Fraction of the unit ellipsoid left after the hilar notch (computed once on a 48³ grid). */
function beanFraction(): number {
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
  return inBean / inE;
}

function inNotch(qu: number, qv: number, qw: number): boolean {
  const a = (qu - 1.0) / 0.45;
  const b = qv / 0.36;
  const c = qw / 0.62;
  return a * a + b * b + c * c < 1;
}

let BEAN_FRACTION = 0;

function drawKidney(rng: Rng, label: 1 | 2, group: SubjectGroupName, sideSign: number, center: Vec3, volumeMl: number): KidneyModel {
  if (!BEAN_FRACTION) BEAN_FRACTION = beanFraction();
  const patient = group !== 'HEALTHY';
  let atrophy: KidneyModel['atrophy'] = null;
  let lossFraction = 0;
  if (patient && rng.chance(0.15)) {
    const cut = rng.uniform(0.45, 0.7);
    atrophy = { sign: rng.chance(0.5) ? 1 : -1, cut };
    // Volume of the unit-ball cap beyond `cut`: π(1−h)²(2+h)/3 over 4π/3.
    lossFraction = ((1 - cut) * (1 - cut) * (2 + cut)) / 4;
  }
  const wl = rng.uniform(0.46, 0.56);
  const tl = rng.uniform(0.36, 0.43);
  const ellipsoidMl = volumeMl / BEAN_FRACTION / (1 - lossFraction);
  // V = π/6 · L · W · T (mm³ → mL / 1000)
  const length = Math.cbrt((ellipsoidMl * 1000 * 6) / (Math.PI * wl * tl));
  const semi: Vec3 = [(length * wl) / 2, length / 2, (length * tl) / 2];
  // Orientation: upper pole medial (coronal tilt), hilum facing antero-medially, lower pole slightly anterior.
  const medial = -sideSign; // right kidney (X<0) has its medial side towards +X
  const th = (rng.uniform(6, 20) * Math.PI) / 180;
  const ph = (rng.uniform(8, 25) * Math.PI) / 180;
  const ps = (rng.uniform(-4, 8) * Math.PI) / 180;
  let u: Vec3 = [medial * Math.cos(th), Math.sin(th), 0];
  let v: Vec3 = [-medial * Math.sin(th), Math.cos(th), 0];
  let w: Vec3 = [0, 0, 1];
  const comb = (a: Vec3, ca: number, b: Vec3, cb: number): Vec3 => [a[0] * ca + b[0] * cb, a[1] * ca + b[1] * cb, a[2] * ca + b[2] * cb];
  [u, w] = [comb(u, Math.cos(ph), w, -Math.sin(ph)), comb(u, Math.sin(ph), w, Math.cos(ph))];
  [v, w] = [comb(v, Math.cos(ps), w, -Math.sin(ps)), comb(v, Math.sin(ps), w, Math.cos(ps))];

  const pyramids: Pyramid[] = [];
  const gammas = [-100, -65, -30, 5, 40, 75, 110, -135, 140];
  for (const g0 of gammas) {
    for (const b0 of [-40, 0, 40]) {
      if (b0 === 0 && rng.chance(0.5)) continue;
      const g = ((g0 + rng.uniform(-8, 8)) * Math.PI) / 180;
      const b = ((b0 + rng.uniform(-8, 8)) * Math.PI) / 180;
      const dir: Vec3 = [-Math.cos(g) * Math.cos(b), Math.sin(g) * Math.cos(b), Math.sin(b)];
      pyramids.push({ dir, t0: rng.uniform(0.12, 0.2), t1: 0.95, tan: Math.tan((rng.uniform(16, 20) * Math.PI) / 180) });
    }
  }
  const cysts: KidneyModel['cysts'] = [];
  if (patient && rng.chance(0.3)) {
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) {
      const r = rng.uniform(5, 16);
      const dirQ: Vec3 = [rng.uniform(-1, 0.3), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const len = Math.hypot(...dirQ) || 1;
      const rad = rng.uniform(0.5, 1.0);
      cysts.push({ c: [(dirQ[0] / len) * rad * semi[0], (dirQ[1] / len) * rad * semi[1], (dirQ[2] / len) * rad * semi[2]], r });
    }
  }
  return {
    label,
    center,
    semi,
    axes: [u, v, w],
    cortexMm: patient && rng.chance(0.2) ? rng.uniform(3.5, 5) : rng.uniform(5, 7.5),
    pyramids,
    cysts,
    atrophy,
    perirenalMm: rng.uniform(8, 22),
  };
}

/** Draws a subject's anatomy; `slices` undefined → enough 5 mm slices (12–16) to cover both kidneys. */
export function drawAnatomy(rng: Rng, group: SubjectGroupName, size: number, slices?: number): Anatomy {
  let bodyX = rng.uniform(138, 178);
  let bodyZ = rng.uniform(100, 130);
  const subcutMm = rng.uniform(8, 32);
  const vertebraZ = bodyZ - subcutMm * 0.6 - rng.uniform(78, 90);
  const kidneyZ = vertebraZ + rng.uniform(10, 20);
  const vol = () => rng.uniform(112, 205);
  const asym = rng.uniform(-6, 6);
  const rightY = rng.uniform(-5, 12) + 8;
  const leftY = rightY - rng.uniform(8, 25);
  const right = drawKidney(rng, LABEL_RIGHT_KIDNEY, group, -1, [-rng.uniform(58, 72) + asym, rightY, kidneyZ + rng.uniform(-4, 4)], vol());
  const left = drawKidney(rng, LABEL_LEFT_KIDNEY, group, 1, [rng.uniform(58, 72) + asym, leftY, kidneyZ + rng.uniform(-4, 4)], vol());

  // A posterior kidney must not poke through the muscular wall (it would lose voxels to muscle and fat, and its
  // volume would leave the 100–220 mL range): widen the body until both kidneys fit. Draws no random numbers.
  [bodyX, bodyZ] = fitBodyAroundKidneys(bodyX, bodyZ, subcutMm, [right, left]);

  // Slab: cover both kidneys' antero-posterior extent.
  let zMin = Infinity;
  let zMax = -Infinity;
  for (const k of [right, left]) {
    const half = Math.sqrt(k.axes.reduce((acc, ax, i) => acc + (ax[2] * k.semi[i]) ** 2, 0));
    zMin = Math.min(zMin, k.center[2] - half);
    zMax = Math.max(zMax, k.center[2] + half);
  }
  const sliceMm = 5;
  const n = slices ?? Math.max(12, Math.min(16, Math.ceil((zMax - zMin + 8) / sliceMm)));
  const slabCenter = (zMin + zMax) / 2 + rng.uniform(-2, 2);
  const diaphragmY = Math.min(right.center[1], left.center[1]) - rng.uniform(95, 120);
  const fov = rng.uniform(345, 385);
  return {
    group,
    bodyX,
    bodyZ,
    subcutMm,
    wallMm: rng.uniform(6, 12),
    vertebraZ,
    vertebraPhase: rng.uniform(0, 36),
    diaphragmY,
    kidneys: [right, left],
    liver: { c: [-rng.uniform(60, 80), diaphragmY + rng.uniform(80, 95), kidneyZ - rng.uniform(35, 50)], s: [rng.uniform(90, 110), rng.uniform(85, 105), rng.uniform(85, 105)] },
    spleen: { c: [rng.uniform(80, 95), diaphragmY + rng.uniform(50, 65), kidneyZ + rng.uniform(0, 15)], s: [rng.uniform(26, 34), rng.uniform(48, 62), rng.uniform(32, 42)] },
    bowel: randomField(rng, 10, 25, 70),
    bowelKind: randomField(rng, 6, 40, 120),
    colonR: rng.uniform(15, 22),
    slabZ0: slabCenter - ((n - 1) * sliceMm) / 2,
    slices: n,
    sliceMm,
    pixelMm: fov / size,
    fovCenter: [rng.uniform(-8, 8), rng.uniform(-12, 5)],
    iliacCrestY: Math.max(right.center[1] + right.semi[1], left.center[1] + left.semi[1]) + rng.uniform(15, 40),
  };
}

/** Half-extent of a (rotated) kidney ellipsoid along world axis `axis` (0 = X, 2 = Z). */
function halfExtent(k: KidneyModel, axis: number): number {
  return Math.sqrt(k.axes.reduce((acc, ax, i) => acc + (ax[axis] * k.semi[i]) ** 2, 0));
}

/**
 * Smallest body (semi-axes, grown in 2 mm steps) whose inner wall, at its narrowest waist and thickest wall,
 * contains every kidney's X–Z outline with a 3 mm margin.
 */
function fitBodyAroundKidneys(bodyX: number, bodyZ: number, subcutMm: number, kidneys: KidneyModel[]): [number, number] {
  const MAX_WALL = 12;
  const MARGIN = 3;
  const MIN_WAIST = 0.93;
  const fits = (bx: number, bz: number) =>
    kidneys.every((k) => {
      const hx = halfExtent(k, 0) + MARGIN;
      const hz = halfExtent(k, 2) + MARGIN;
      const ix = bx * MIN_WAIST - subcutMm - MAX_WALL;
      const iz = bz - subcutMm * 0.8 - MAX_WALL;
      for (let t = 0; t < 32; t++) {
        const x = k.center[0] + hx * Math.cos((t * Math.PI) / 16);
        const z = k.center[2] + hz * Math.sin((t * Math.PI) / 16);
        if ((x / ix) ** 2 + (z / iz) ** 2 >= 1) return false;
      }
      return true;
    });
  for (let i = 0; i < 200 && !fits(bodyX, bodyZ); i++) {
    bodyX += 2;
    bodyZ += 1;
  }
  return [bodyX, bodyZ];
}

export interface Grid {
  xs: Float64Array;
  ys: Float64Array;
  zs: Float64Array;
}

export function gridOf(a: Anatomy, size: number): Grid {
  const xs = new Float64Array(size);
  const ys = new Float64Array(size);
  const zs = new Float64Array(a.slices);
  for (let i = 0; i < size; i++) {
    xs[i] = a.fovCenter[0] + (i - (size - 1) / 2) * a.pixelMm;
    ys[i] = a.fovCenter[1] + (i - (size - 1) / 2) * a.pixelMm;
  }
  for (let s = 0; s < a.slices; s++) zs[s] = a.slabZ0 + s * a.sliceMm;
  return { xs, ys, zs };
}

/** Breathing displacement of one acquisition (mm): organs move with the diaphragm, spine and body wall do not. */
export interface Breathing {
  dy: number;
  dz: number;
}

// Tissue codes returned while voxelising a kidney; KIDNEY_NONE means "not in this kidney".
const KIDNEY_NONE = -1;

function kidneyTissue(k: KidneyModel, X: number, Y: number, Z: number): number {
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
  const pr = 1 + k.perirenalMm / k.semi[1];
  if (r2 > pr * pr * 1.3) return KIDNEY_NONE;
  const inBean = r2 <= 1 && !inNotch(qu, qv, qw) && !(k.atrophy && k.atrophy.sign * qv > k.atrophy.cut);
  // Cysts (fluid) — labelled kidney only inside the bean.
  for (const c of k.cysts) {
    const a = lu - c.c[0];
    const b = lv - c.c[1];
    const d = lw - c.c[2];
    if (a * a + b * b + d * d < c.r * c.r) return inBean ? 100 + Tissue.CYST : Tissue.CYST;
  }
  // Pelvis and calyces (fluid), extending out of the hilum.
  const pel = ((qu - 0.52) / 0.26) ** 2 + ((qv - 0.02) / 0.19) ** 2 + (qw / 0.26) ** 2;
  const calU = ((qu - 0.28) / 0.1) ** 2 + ((qv + 0.3) / 0.16) ** 2 + (qw / 0.13) ** 2;
  const calL = ((qu - 0.28) / 0.1) ** 2 + ((qv - 0.32) / 0.16) ** 2 + (qw / 0.13) ** 2;
  if (pel < 1 || calU < 1 || calL < 1) {
    if (inBean) return 100 + Tissue.URINE;
    if (r2 < 1.6) return Tissue.URINE;
  }
  if (!inBean) {
    // Perirenal fat (inside Gerota's fascia) and hilar fat.
    const g = k.perirenalMm;
    const a = lu / (k.semi[0] + g * (lu < 0 ? 0.9 : 0.5));
    const b = lv / (k.semi[1] + g * 1.4);
    const d = lw / (k.semi[2] + g * (lw > 0 ? 1.1 : 0.6));
    if (a * a + b * b + d * d < 1) return Tissue.FAT;
    return KIDNEY_NONE;
  }
  // Sinus fat.
  const sin = ((qu - 0.42) / 0.4) ** 2 + (qv / 0.5) ** 2 + (qw / 0.44) ** 2;
  if (sin < 1) return 100 + Tissue.FAT;
  // Cortex shell: distance to the outer surface ≈ |l|·(1/r − 1).
  const r = Math.sqrt(r2);
  const lenMm = Math.sqrt(lu * lu + lv * lv + lw * lw);
  if (lenMm * (1 / r - 1) < k.cortexMm) return 100 + Tissue.CORTEX;
  // Pyramids: cones from the sinus centre (0.3, 0, 0).
  const pu = qu - 0.3;
  const p2 = pu * pu + qv * qv + qw * qw;
  for (const p of k.pyramids) {
    const t = pu * p.dir[0] + qv * p.dir[1] + qw * p.dir[2];
    if (t < p.t0 || t > p.t1) continue;
    const perp2 = p2 - t * t;
    const lim = (t - p.t0) * p.tan;
    if (perp2 < lim * lim) return 100 + Tissue.MEDULLA;
  }
  return 100 + Tissue.CORTEX; // columns of Bertin
}

function inEllipsoid(X: number, Y: number, Z: number, c: Vec3, s: Vec3): boolean {
  const a = (X - c[0]) / s[0];
  const b = (Y - c[1]) / s[1];
  const d = (Z - c[2]) / s[2];
  return a * a + b * b + d * d < 1;
}

function distToSegment2(X: number, Y: number, Z: number, a: Vec3, b: Vec3): number {
  const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const ap: Vec3 = [X - a[0], Y - a[1], Z - a[2]];
  const t = Math.max(0, Math.min(1, dot(ap, ab) / dot(ab, ab)));
  const dx = ap[0] - t * ab[0];
  const dy = ap[1] - t * ab[1];
  const dz = ap[2] - t * ab[2];
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Voxelises the anatomy for one acquisition: tissue class per voxel and the kidney labels (0/1/2).
 * `bowel`/`bowelKind` are the bowel fields sampled on the breathing-shifted grid.
 */
export function voxelise(a: Anatomy, grid: Grid, breathing: Breathing): { tissue: Uint8Array; label: Uint8Array } {
  const { xs, ys, zs } = grid;
  const nx = xs.length;
  const ny = ys.length;
  const nz = zs.length;
  const tissue = new Uint8Array(nx * ny * nz);
  const label = new Uint8Array(nx * ny * nz);
  const organDy = breathing.dy;
  const kidDy = breathing.dy * 0.7;
  const kidDz = breathing.dz;
  const bowelYs = new Float64Array(ny);
  for (let j = 0; j < ny; j++) bowelYs[j] = ys[j] - organDy * 0.5;
  const bowel = sampleField(a.bowel, xs, bowelYs, zs);
  const bowelKind = sampleField(a.bowelKind, xs, bowelYs, zs);
  const [kr, kl] = a.kidneys;
  const canalZ = a.vertebraZ + 17 + 11;
  const aortaZ = a.vertebraZ - 28;
  const ivc: Vec3 = [-24, 0, aortaZ + 2];
  const aorta: Vec3 = [10, 0, aortaZ];
  const hilum = (k: KidneyModel): Vec3 => {
    const p = k.axes[0];
    const d = k.semi[0] * 1.05;
    return [k.center[0] + p[0] * d, k.center[1] + p[1] * d + kidDy, k.center[2] + p[2] * d + kidDz];
  };
  const veinR: [Vec3, Vec3] = [hilum(kr), [ivc[0], kr.center[1] - 8 + kidDy, ivc[2]]];
  const veinL: [Vec3, Vec3] = [hilum(kl), [ivc[0], kl.center[1] - 5 + kidDy, ivc[2]]];
  const artR: [Vec3, Vec3] = [hilum(kr), [aorta[0], kr.center[1] - 18 + kidDy, aorta[2]]];
  const artL: [Vec3, Vec3] = [hilum(kl), [aorta[0], kl.center[1] - 14 + kidDy, aorta[2]]];
  const shiftedKidney = (k: KidneyModel): KidneyModel => ({ ...k, center: [k.center[0], k.center[1] + kidDy, k.center[2] + kidDz] });
  const kidneys = [shiftedKidney(kr), shiftedKidney(kl)];
  const psoasStart = Math.min(kr.center[1], kl.center[1]) - 45;
  const liverC: Vec3 = [a.liver.c[0], a.liver.c[1] + organDy, a.liver.c[2]];
  const spleenC: Vec3 = [a.spleen.c[0], a.spleen.c[1] + organDy, a.spleen.c[2]];

  for (let s = 0; s < nz; s++) {
    const Z = zs[s];
    const zb = Z / a.bodyZ;
    const bodyHalfZ = zb * zb;
    for (let j = 0; j < ny; j++) {
      const Y = ys[j];
      const waist = 1 - 0.07 * Math.exp(-(((Y - 70) / 60) ** 2));
      const bx = a.bodyX * waist;
      const diaphragm = (X: number) => a.diaphragmY + organDy + 0.0035 * (Math.abs(X) - 70) ** 2 + (X < 0 ? -10 : 0);
      const vertPhase = (((Y - a.vertebraPhase) % 36) + 36) % 36;
      const inDisc = vertPhase < 8;
      for (let i = 0; i < nx; i++) {
        const X = xs[i];
        const idx = (s * ny + j) * nx + i;
        const xb = X / bx;
        const rBody = xb * xb + bodyHalfZ;
        if (rBody >= 1) continue; // air
        // Subcutaneous fat and the muscular body wall.
        const xi = X / (bx - a.subcutMm);
        const zi = Z / (a.bodyZ - a.subcutMm * 0.8);
        if (xi * xi + zi * zi >= 1) {
          tissue[idx] = Tissue.FAT;
          continue;
        }
        const xw = X / (bx - a.subcutMm - a.wallMm);
        const zw = Z / (a.bodyZ - a.subcutMm * 0.8 - a.wallMm);
        if (xw * xw + zw * zw >= 1) {
          tissue[idx] = Tissue.MUSCLE;
          continue;
        }
        // Kidneys, sinus, pelvis and perirenal fat (they move with breathing).
        let t = -1;
        for (const k of kidneys) {
          const kt = kidneyTissue(k, X, Y, Z);
          if (kt === KIDNEY_NONE) continue;
          if (kt >= 100) {
            t = kt - 100;
            label[idx] = k.label;
          } else t = kt;
          break;
        }
        if (t >= 0) {
          tissue[idx] = t;
          continue;
        }
        // Spine: vertebral bodies and discs, canal, posterior elements.
        const ax = Math.abs(X);
        const vb = (X / 22) ** 2 + ((Z - a.vertebraZ) / 17) ** 2;
        if (vb < 1) {
          tissue[idx] = inDisc ? Tissue.DISC : Tissue.MARROW;
          continue;
        }
        const cz = Z - canalZ;
        const canal = (X / 9) ** 2 + (cz / 8) ** 2;
        if (canal < 1) {
          tissue[idx] = Tissue.CSF;
          continue;
        }
        if (!inDisc && ((X / 19) ** 2 + (cz / 14) ** 2 < 1 || (ax < 5 && cz > 0 && cz < 34) || (ax < 40 && Math.abs(cz) < 5 && vertPhase > 18 && vertPhase < 28))) {
          tissue[idx] = Tissue.MARROW;
          continue;
        }
        // Back muscles: erector spinae, quadratus lumborum; psoas.
        if (((ax - 36) / 24) ** 2 + ((cz - 26) / 20) ** 2 < 1) {
          tissue[idx] = Tissue.MUSCLE;
          continue;
        }
        if (Y > psoasStart - 20 && Y < a.iliacCrestY + 10 && ((ax - 60) / 20) ** 2 + ((cz + 2) / 14) ** 2 < 1) {
          tissue[idx] = Tissue.MUSCLE;
          continue;
        }
        if (Y > psoasStart) {
          const dy = Y - psoasStart;
          const pr = Math.min(24, 8 + 0.16 * dy);
          const px = 24 + pr * 0.8 + 0.1 * dy;
          const pz = a.vertebraZ + 6 - 0.1 * dy;
          if (((ax - px) / pr) ** 2 + ((Z - pz) / (pr * 0.9)) ** 2 < 1) {
            tissue[idx] = Tissue.MUSCLE;
            continue;
          }
        }
        // Iliac wings (bone marrow) with the iliacus muscle on their inner side, below the iliac crest.
        if (Y > a.iliacCrestY) {
          const dy = Y - a.iliacCrestY;
          const wingX = bx - a.subcutMm - a.wallMm - 12 - 0.35 * dy;
          if (ax > wingX - 9 && ax < wingX && Z > a.vertebraZ - 30 && Z < a.vertebraZ + 55) {
            tissue[idx] = Tissue.MARROW;
            continue;
          }
          if (ax > wingX - 9 - Math.min(30, 0.5 * dy + 8) && ax <= wingX - 9 && Z > a.vertebraZ - 25 && Z < a.vertebraZ + 45) {
            tissue[idx] = Tissue.MUSCLE;
            continue;
          }
        }
        // Great vessels and renal vessels (flowing blood).
        if (((X - aorta[0]) / 11) ** 2 + ((Z - aorta[2]) / 11) ** 2 < 1 || ((X - ivc[0]) / 13) ** 2 + ((Z - ivc[2]) / 10) ** 2 < 1) {
          tissue[idx] = Tissue.BLOOD;
          continue;
        }
        if (
          distToSegment2(X, Y, Z, veinR[0], veinR[1]) < 20 ||
          distToSegment2(X, Y, Z, veinL[0], veinL[1]) < 25 ||
          distToSegment2(X, Y, Z, artR[0], artR[1]) < 9 ||
          distToSegment2(X, Y, Z, artL[0], artL[1]) < 9
        ) {
          tissue[idx] = Tissue.BLOOD;
          continue;
        }
        // Above the diaphragm: lung bases (mediastinum/spine in the middle).
        const dY = diaphragm(X);
        if (Y < dY) {
          tissue[idx] = ax < 28 ? Tissue.MUSCLE : Tissue.LUNG;
          continue;
        }
        if (Y < dY + 6) {
          tissue[idx] = Tissue.MUSCLE; // diaphragm
          continue;
        }
        if (X < 15 && inEllipsoid(X, Y, Z, liverC, a.liver.s)) {
          tissue[idx] = Tissue.LIVER;
          continue;
        }
        if (inEllipsoid(X, Y, Z, spleenC, a.spleen.s)) {
          tissue[idx] = Tissue.SPLEEN;
          continue;
        }
        // Colon along both flanks.
        const colonY = Y - organDy * 0.5;
        const cxR = -bx + a.subcutMm + a.wallMm + a.colonR + 8;
        const cxL = bx - a.subcutMm - a.wallMm - a.colonR - 6;
        const colonZ = a.vertebraZ + 5;
        if (
          (colonY > kr.center[1] - 10 && ((X - cxR) / a.colonR) ** 2 + ((Z - colonZ) / (a.colonR * 1.2)) ** 2 < 1) ||
          (colonY > a.spleen.c[1] + 20 && ((X - cxL) / a.colonR) ** 2 + ((Z - colonZ - 12) / (a.colonR * 1.1)) ** 2 < 1)
        ) {
          tissue[idx] = bowelKind[idx] > 0.9 ? Tissue.BOWEL_AIR : Tissue.BOWEL_CONTENT;
          continue;
        }
        // Bowel loops in front of the retroperitoneum; retroperitoneal/mesenteric fat elsewhere.
        if (Z < a.vertebraZ + 8 && Y > dY + 30 && bowel[idx] > 0.2) {
          const kind = bowelKind[idx];
          tissue[idx] = kind > 1.2 ? Tissue.BOWEL_AIR : kind > -0.4 ? Tissue.BOWEL_FLUID : Tissue.BOWEL_CONTENT;
          continue;
        }
        tissue[idx] = Z < a.vertebraZ + 8 && bowel[idx] > -0.1 ? Tissue.BOWEL_CONTENT : Tissue.FAT;
      }
    }
  }
  return { tissue, label };
}
