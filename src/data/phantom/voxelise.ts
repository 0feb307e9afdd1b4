/**
 * Voxelisation of a subject's anatomy (./anatomy.ts) for one acquisition: the sampling grid of the slab, the tissue
 * class of every voxel and the exact kidney labels, with the contrast's breathing offset applied.
 */
import { dot, inNotch, type Anatomy, type KidneyModel, type Vec3 } from './anatomy';
import { sampleField } from './fields';
import { Tissue } from './tissues';

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
