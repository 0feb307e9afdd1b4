/**
 * Voxelisation of a subject's anatomy (./anatomy.ts) for one acquisition: the sampling grid of the slab, the tissue
 * class of every voxel and the exact kidney labels, with the acquisition's breathing offset, the body's in-plane
 * rotation and (EPI) the geometric distortion along the phase-encoding direction applied, so the mask of every
 * contrast follows the anatomy as that contrast sees it.
 */
import { dot, type Anatomy, type KidneyModel, type Vec3 } from './anatomy';
import { sampleField } from './fields';
import { INSIDE, KIDNEY_NONE, kidneyTissue } from './kidney';
import { Tissue } from './tissues';

// tsx (esbuild) compiles imports to CommonJS getters that run on every access, and the loops below touch these
// bindings for each of ~1.2 M voxels per subject: they read local copies (same bytes, generation ~N× faster).
const T = Tissue;
const tissueOfKidney = kidneyTissue;
const NONE = KIDNEY_NONE;
const IN_KIDNEY = INSIDE;
const dot3 = dot;

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

/**
 * Where each voxel samples the body: breathing, and for EPI a displacement (mm) along the phase-encoding direction
 * (image y, head–feet) per voxel of the grid (B0 inhomogeneity: a pixel shows tissue from a shifted position).
 */
export interface Acquisition {
  breathing: Breathing;
  peShiftMm: Float32Array | null;
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
  const t = Math.max(0, Math.min(1, dot3(ap, ab) / dot3(ab, ab)));
  const dx = ap[0] - t * ab[0];
  const dy = ap[1] - t * ab[1];
  const dz = ap[2] - t * ab[2];
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Voxelises the anatomy for one acquisition: tissue class per voxel and the kidney labels (0/1/2).
 * `bowel`/`bowelKind` are the bowel fields sampled on the breathing-shifted grid.
 */
export function voxelise(a: Anatomy, grid: Grid, acq: Acquisition): { tissue: Uint8Array; label: Uint8Array } {
  const { xs, ys, zs } = grid;
  const { breathing, peShiftMm } = acq;
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
  // Each kidney's world-axis bounding box of the region where kidneyTissue can answer anything but KIDNEY_NONE (its
  // normalised radius² ≤ pr²·1.4), plus 1 mm: a voxel outside the box skips the call (same answer, far fewer calls).
  const boxes = kidneys.map((k) => {
    const reach = (1.2 + k.perirenalMm / k.semi[1]) * Math.sqrt(1.4);
    return [0, 1, 2].map((axis) => Math.sqrt(k.axes.reduce((acc, ax, i) => acc + (ax[axis] * k.semi[i] * reach) ** 2, 0)) + 1);
  });
  const psoasStart = Math.min(kr.center[1], kl.center[1]) - 45;
  const liverC: Vec3 = [a.liver.c[0], a.liver.c[1] + organDy, a.liver.c[2]];
  const spleenC: Vec3 = [a.spleen.c[0], a.spleen.c[1] + organDy, a.spleen.c[2]];
  const blobs = a.blobs.map((b) => ({ ...b, c: [b.c[0], b.c[1] + kidDy, b.c[2] + kidDz] as Vec3 }));
  // split once, in their order, instead of comparing kinds at every voxel
  const hepaticCysts = blobs.filter((b) => b.kind === 'hepatic-cyst');
  const otherBlobs = blobs.filter((b) => b.kind !== 'hepatic-cyst');
  const cos = Math.cos(a.rotation);
  const sin = Math.sin(a.rotation);
  const diaphragm = (X: number) => a.diaphragmY + organDy + 0.0035 * (Math.abs(X) - 70) ** 2 + (X < 0 ? -10 : 0);
  const colonZ = a.vertebraZ + 5;

  for (let s = 0; s < nz; s++) {
    const Z = zs[s];
    const zb = Z / a.bodyZ;
    const bodyHalfZ = zb * zb;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const idx = (s * ny + j) * nx + i;
        // scanner → body frame: the body is rotated by `rotation` in the coronal plane
        const x = xs[i];
        const y = ys[j] + (peShiftMm ? peShiftMm[idx] : 0);
        const X = cos * x + sin * y;
        const Y = -sin * x + cos * y;
        const waist = 1 - 0.07 * Math.exp(-(((Y - 70) / 60) ** 2));
        const bx = a.bodyX * waist;
        const xb = X / bx;
        if (xb * xb + bodyHalfZ >= 1) continue; // air
        const xi = X / (bx - a.subcutMm);
        const zi = Z / (a.bodyZ - a.subcutMm * 0.8);
        if (xi * xi + zi * zi >= 1) {
          tissue[idx] = T.FAT;
          continue;
        }
        const xw = X / (bx - a.subcutMm - a.wallMm);
        const zw = Z / (a.bodyZ - a.subcutMm * 0.8 - a.wallMm);
        if (xw * xw + zw * zw >= 1) {
          tissue[idx] = T.MUSCLE;
          continue;
        }
        // Kidneys (they move with breathing); their perirenal fat and extrarenal pelvis give way to touching organs.
        let around = -1;
        let t = -1;
        for (let n = 0; n < 2; n++) {
          const k = kidneys[n];
          const box = boxes[n];
          if (Math.abs(X - k.center[0]) > box[0] || Math.abs(Y - k.center[1]) > box[1] || Math.abs(Z - k.center[2]) > box[2]) continue;
          const kt = tissueOfKidney(k, X, Y, Z);
          if (kt === NONE) continue;
          if (kt >= IN_KIDNEY) {
            t = kt - IN_KIDNEY;
            label[idx] = k.label;
          } else around = kt;
          break;
        }
        if (t >= 0) {
          tissue[idx] = t;
          continue;
        }
        const dY = diaphragm(X);
        const belowDiaphragm = Y >= dY + 6;
        if (belowDiaphragm && X < 15 && inEllipsoid(X, Y, Z, liverC, a.liver.s)) {
          tissue[idx] = T.LIVER;
          for (const b of hepaticCysts) if (inEllipsoid(X, Y, Z, b.c, b.s)) tissue[idx] = b.tissue;
          continue;
        }
        if (belowDiaphragm && inEllipsoid(X, Y, Z, spleenC, a.spleen.s)) {
          tissue[idx] = T.SPLEEN;
          continue;
        }
        let inBlob = -1;
        for (const b of otherBlobs) if (inEllipsoid(X, Y, Z, b.c, b.s)) inBlob = b.tissue;
        if (inBlob >= 0) {
          tissue[idx] = inBlob;
          continue;
        }
        if (around >= 0) {
          tissue[idx] = around;
          continue;
        }
        tissue[idx] = outsideOrgans(X, Y, Z, idx, bx, dY);
      }
    }
  }
  return { tissue, label };

  /** Spine, muscles, vessels, lungs, colon, bowel and retroperitoneal fat. */
  function outsideOrgans(X: number, Y: number, Z: number, idx: number, bx: number, dY: number): Tissue {
    const vertPhase = (((Y - a.vertebraPhase) % 36) + 36) % 36;
    const inDisc = vertPhase < 8;
    const ax = Math.abs(X);
    if ((X / 22) ** 2 + ((Z - a.vertebraZ) / 17) ** 2 < 1) return inDisc ? T.DISC : T.MARROW;
    const cz = Z - canalZ;
    if ((X / 9) ** 2 + (cz / 8) ** 2 < 1) return T.CSF;
    if (!inDisc && ((X / 19) ** 2 + (cz / 14) ** 2 < 1 || (ax < 5 && cz > 0 && cz < 34) || (ax < 40 && Math.abs(cz) < 5 && vertPhase > 18 && vertPhase < 28))) {
      return T.MARROW;
    }
    // Back muscles: erector spinae, quadratus lumborum; psoas.
    if (((ax - 36) / 24) ** 2 + ((cz - 26) / 20) ** 2 < 1) return T.MUSCLE;
    if (Y > psoasStart - 20 && Y < a.iliacCrestY + 10 && ((ax - 60) / 20) ** 2 + ((cz + 2) / 14) ** 2 < 1) return T.MUSCLE;
    if (Y > psoasStart) {
      const dy = Y - psoasStart;
      const pr = Math.min(24, 8 + 0.16 * dy);
      const px = 24 + pr * 0.8 + 0.1 * dy;
      const pz = a.vertebraZ + 6 - 0.1 * dy;
      if (((ax - px) / pr) ** 2 + ((Z - pz) / (pr * 0.9)) ** 2 < 1) return T.MUSCLE;
    }
    // Iliac wings (bone marrow) with the iliacus muscle on their inner side, below the iliac crest.
    if (Y > a.iliacCrestY) {
      const dy = Y - a.iliacCrestY;
      const wingX = bx - a.subcutMm - a.wallMm - 12 - 0.35 * dy;
      if (ax > wingX - 9 && ax < wingX && Z > a.vertebraZ - 30 && Z < a.vertebraZ + 55) return T.MARROW;
      if (ax > wingX - 9 - Math.min(30, 0.5 * dy + 8) && ax <= wingX - 9 && Z > a.vertebraZ - 25 && Z < a.vertebraZ + 45) return T.MUSCLE;
    }
    // Great vessels and renal vessels (flowing blood).
    if (((X - aorta[0]) / 11) ** 2 + ((Z - aorta[2]) / 11) ** 2 < 1 || ((X - ivc[0]) / 13) ** 2 + ((Z - ivc[2]) / 10) ** 2 < 1) return T.BLOOD;
    if (
      distToSegment2(X, Y, Z, veinR[0], veinR[1]) < 20 ||
      distToSegment2(X, Y, Z, veinL[0], veinL[1]) < 25 ||
      distToSegment2(X, Y, Z, artR[0], artR[1]) < 9 ||
      distToSegment2(X, Y, Z, artL[0], artL[1]) < 9
    ) {
      return T.BLOOD;
    }
    // Above the diaphragm: lung bases (mediastinum/spine in the middle).
    if (Y < dY) return ax < 28 ? T.MUSCLE : T.LUNG;
    if (Y < dY + 6) return T.MUSCLE; // diaphragm
    // Colon along both flanks.
    const colonY = Y - organDy * 0.5;
    const cxR = -bx + a.subcutMm + a.wallMm + a.colonR + 8;
    const cxL = bx - a.subcutMm - a.wallMm - a.colonR - 6;
    if (
      (colonY > kr.center[1] - 10 && ((X - cxR) / a.colonR) ** 2 + ((Z - colonZ) / (a.colonR * 1.2)) ** 2 < 1) ||
      (colonY > a.spleen.c[1] + 20 && ((X - cxL) / a.colonR) ** 2 + ((Z - colonZ - 12) / (a.colonR * 1.1)) ** 2 < 1)
    ) {
      return bowelKind[idx] > 0.9 ? T.BOWEL_AIR : T.BOWEL_CONTENT;
    }
    // Bowel loops in front of the retroperitoneum; retroperitoneal/mesenteric fat elsewhere.
    if (Z < a.vertebraZ + 8 && Y > dY + 30 && bowel[idx] > 0.2) {
      const kind = bowelKind[idx];
      return kind > 1.2 ? T.BOWEL_AIR : kind > -0.4 ? T.BOWEL_FLUID : T.BOWEL_CONTENT;
    }
    return Z < a.vertebraZ + 8 && bowel[idx] > -0.1 ? T.BOWEL_CONTENT : T.FAT;
  }
}
