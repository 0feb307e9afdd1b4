/**
 * Anatomy of one synthetic subject, in millimetres (its voxelisation is ./voxelise.ts).
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
import { randomField, type SmoothField } from './fields';

export type Vec3 = [number, number, number];

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

export const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

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

export function inNotch(qu: number, qv: number, qw: number): boolean {
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
