/**
 * Anatomy of one synthetic subject, generation 2 (issue 12), in millimetres; its voxelisation is ./voxelise.ts and
 * the kidneys are ./kidney.ts.
 *
 * World frame (mm): X towards the patient's LEFT, Y towards the FEET (inferior), Z towards the BACK (posterior);
 * origin on the midline at the level of the renal hila. Images are a CORONAL slab: image x = X (image left is the
 * patient's right, radiological convention), image y = Y (head at the top), slices = Z from anterior to posterior,
 * 5 mm slices. The body lies rotated in the coronal plane by ±10° about the origin.
 *
 * What varies between subjects, and how much (the causes of a location prior's failure on purpose):
 * - body habitus (lean to obese): body width and depth, subcutaneous and perirenal fat;
 * - FOV centre ±35 mm in both in-plane directions, FOV 340–400 mm;
 * - each kidney independently: ±18 mm medio-laterally and ±20 mm cranio-caudally (the right kidney lies ~15 mm lower
 *   on average), ±8 mm antero-posteriorly, its own tilt, size and shape (./kidney.ts);
 * - the slab: 12–16 slices planned on the kidneys, placed up to ±8 mm off within its margin; one subject in four has a slab that
 *   misses 5–15 mm of one side, cutting the anterior or posterior part of a pole;
 * - neighbours that touch the kidneys: liver on the right upper pole, spleen on the left, bowel loops on the anterior
 *   surface, hepatic cysts, and in patients perirenal metastases / nodes with kidney-like relaxation times.
 */
import { Rng } from '../random';
import type { SubjectGroupName } from '../volume';
import { LABEL_LEFT_KIDNEY, LABEL_RIGHT_KIDNEY } from '../volume';
import { randomField, type SmoothField } from './fields';
import { drawKidney, halfExtent, type KidneyModel, type Vec3 } from './kidney';
import { Tissue } from './tissues';

export { dot, inNotch, type KidneyModel, type Vec3 } from './kidney';

/** An extra organ or lesion: an ellipsoid of one tissue (moves with breathing unless fixed). */
export interface Blob {
  kind: 'bowel' | 'hepatic-cyst' | 'metastasis';
  tissue: Tissue;
  c: Vec3;
  s: Vec3;
}

export interface Anatomy {
  /** Phantom generation that drew this anatomy. */
  generation: 2;
  group: SubjectGroupName;
  /** 0 lean … 1 obese. */
  habitus: number;
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
  blobs: Blob[];
  bowel: SmoothField;
  bowelKind: SmoothField;
  colonR: number;
  /** Slab: Z of the first slice centre and slice spacing. */
  slabZ0: number;
  slices: number;
  sliceMm: number;
  /** How many mm of the kidneys' antero-posterior extent the slab misses (0 = covered). */
  slabCutMm: number;
  pixelMm: number;
  iliacCrestY: number;
  fovCenter: [number, number];
  /** In-plane (coronal) rotation of the body about the origin, radians. */
  rotation: number;
}

function blobNextTo(rng: Rng, k: KidneyModel, dir: Vec3, r: number): Vec3 {
  const l = Math.hypot(...dir) || 1;
  const reach = (i: number) => halfExtent(k, i) * 0.75 + r * 0.7;
  return [k.center[0] + (dir[0] / l) * reach(0), k.center[1] + (dir[1] / l) * reach(1), k.center[2] + (dir[2] / l) * reach(2)];
}

/** Draws a subject's anatomy; `slices` undefined → 12–16 slices of 5 mm planned on the kidneys. */
export function drawAnatomy(rng: Rng, group: SubjectGroupName, size: number, slices?: number): Anatomy {
  const habitus = Math.max(0, Math.min(1, rng.clippedNormal(0.45, 0.25, 1.8)));
  let bodyX = 125 + 55 * habitus + rng.uniform(-8, 8);
  let bodyZ = 92 + 45 * habitus + rng.uniform(-6, 6);
  const subcutMm = 5 + 38 * habitus * rng.uniform(0.7, 1.3);
  const vertebraZ = bodyZ - subcutMm * 0.6 - rng.uniform(70, 88);
  const kidneyZ = vertebraZ + rng.uniform(8, 22);
  const perirenal = () => 1.5 + 18 * habitus * rng.uniform(0.5, 1.3);
  const right = drawKidney(rng, LABEL_RIGHT_KIDNEY, group, -1, [0, 0, 0], perirenal());
  const left = drawKidney(rng, LABEL_LEFT_KIDNEY, group, 1, [0, 0, 0], perirenal());
  for (const [k, side, y0] of [[right, -1, 12], [left, 1, -3]] as const) {
    const x = Math.max(halfExtent(k, 0) + 24, 66 + rng.uniform(-18, 18));
    k.center = [side * x, y0 + rng.uniform(-20, 20), kidneyZ + rng.uniform(-8, 8)];
  }

  // A posterior kidney must not poke through the muscular wall: widen the body until both kidneys fit.
  [bodyX, bodyZ] = fitBodyAroundKidneys(bodyX, bodyZ, subcutMm, [right, left]);

  let zMin = Infinity;
  let zMax = -Infinity;
  for (const k of [right, left]) {
    zMin = Math.min(zMin, k.center[2] - halfExtent(k, 2));
    zMax = Math.max(zMax, k.center[2] + halfExtent(k, 2));
  }
  const sliceMm = 5;
  const n = slices ?? Math.max(12, Math.min(16, Math.ceil((zMax - zMin + 10) / sliceMm)));
  const spare = n * sliceMm - (zMax - zMin);
  // placement error within the spare margin (up to ±8 mm), so only the deliberate cuts below miss a kidney
  let slabCenter = (zMin + zMax) / 2 + rng.uniform(-1, 1) * Math.min(8, Math.max(0, spare / 2 - 1));
  const cut = rng.chance(0.25);
  if (cut) slabCenter = (zMin + zMax) / 2 + (rng.chance(0.5) ? 1 : -1) * (Math.max(0, spare) / 2 + rng.uniform(5, 15));
  const slabCutMm = Math.max(0, zMax - (slabCenter + (n * sliceMm) / 2), slabCenter - (n * sliceMm) / 2 - zMin);
  const diaphragmY = Math.min(right.center[1] - halfExtent(right, 1), left.center[1] - halfExtent(left, 1)) - rng.uniform(25, 55);

  // Liver: its inferior edge reaches down past the right kidney's upper pole (hepatorenal contact).
  const liverS: Vec3 = [rng.uniform(90, 115), rng.uniform(85, 110), rng.uniform(80, 100)];
  const liverC: Vec3 = [
    right.center[0] + rng.uniform(-10, 25),
    right.center[1] + right.semi[1] * rng.uniform(-0.3, 0.4) - liverS[1],
    right.center[2] - rng.uniform(15, 40),
  ];
  // Spleen: lateral to the left kidney's upper pole.
  const spleenS: Vec3 = [rng.uniform(18, 26), rng.uniform(45, 60), rng.uniform(28, 40)]; // ~110–260 mL
  const spleenC: Vec3 = [
    left.center[0] + rng.uniform(15, 35),
    left.center[1] - left.semi[1] * rng.uniform(0.3, 0.9) - spleenS[1] * 0.5,
    left.center[2] + rng.uniform(-10, 15),
  ];

  const blobs: Blob[] = [];
  // Bowel loops on the kidneys' anterior / lateral / inferior surfaces (duodenum, jejunum, colon flexures).
  for (let i = rng.int(1, 3); i > 0; i--) {
    const k = rng.chance(0.5) ? right : left;
    const side = k === right ? -1 : 1;
    const r = rng.uniform(12, 24);
    const dir: Vec3 = [side * rng.uniform(-0.6, 0.8), rng.uniform(-0.3, 1), -rng.uniform(0.5, 1)];
    blobs.push({ kind: 'bowel', tissue: rng.chance(0.6) ? Tissue.BOWEL_FLUID : Tissue.BOWEL_CONTENT, c: blobNextTo(rng, k, dir, r), s: [r * rng.uniform(0.8, 1.6), r, r * rng.uniform(0.7, 1.1)] });
  }
  if (rng.chance(0.2)) {
    const r = rng.uniform(6, 18);
    blobs.push({ kind: 'hepatic-cyst', tissue: Tissue.CYST, c: [liverC[0] + rng.uniform(-40, 40), liverC[1] + liverS[1] * rng.uniform(0.3, 0.8), liverC[2] + rng.uniform(-30, 30)], s: [r, r, r] });
  }
  const metastasisChance = group === 'NEUROENDOCRINE_TUMOR' ? 0.35 : group === 'PROSTATE_CANCER' ? 0.15 : 0;
  if (rng.chance(metastasisChance)) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const k = rng.chance(0.5) ? right : left;
      const side = k === right ? -1 : 1;
      const r = rng.uniform(7, 20);
      const dir: Vec3 = [side * rng.uniform(-1, 0.6), rng.uniform(-1, 1), rng.uniform(-0.6, 0.6)];
      blobs.push({ kind: 'metastasis', tissue: Tissue.METASTASIS, c: blobNextTo(rng, k, dir, r), s: [r * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.4), r * rng.uniform(0.8, 1.2)] });
    }
  }

  const fov = rng.uniform(340, 400);
  return {
    generation: 2,
    group,
    habitus,
    bodyX,
    bodyZ,
    subcutMm,
    wallMm: rng.uniform(6, 12),
    vertebraZ,
    vertebraPhase: rng.uniform(0, 36),
    diaphragmY,
    kidneys: [right, left],
    liver: { c: liverC, s: liverS },
    spleen: { c: spleenC, s: spleenS },
    blobs,
    bowel: randomField(rng, 10, 25, 70),
    bowelKind: randomField(rng, 6, 40, 120),
    colonR: rng.uniform(15, 22),
    slabZ0: slabCenter - ((n - 1) * sliceMm) / 2,
    slices: n,
    sliceMm,
    slabCutMm,
    pixelMm: fov / size,
    fovCenter: [rng.uniform(-35, 35), rng.uniform(-35, 35)],
    rotation: (rng.uniform(-10, 10) * Math.PI) / 180,
    iliacCrestY: Math.max(right.center[1] + right.semi[1], left.center[1] + left.semi[1]) + rng.uniform(15, 40),
  };
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
