/**
 * The affine of a NIfTI volume (./nifti.ts), RAS+ mm: the one of a coronal or axial volume centred on itself, the
 * orientation an affine stands for, and the quaternion form the header's qform stores.
 */
export type Orientation = 'coronal' | 'axial' | 'other';
export type Affine = number[][];

/** The RAS affine of a coronal or axial volume, centred on the volume. */
export function affineFor(orientation: 'coronal' | 'axial', dims: [number, number, number], spacingMm: [number, number, number]): Affine {
  const [dx, dy, dz] = spacingMm;
  const cols =
    orientation === 'coronal'
      ? [[-dx, 0, 0], [0, 0, -dy], [0, -dz, 0]]
      : [[-dx, 0, 0], [0, -dy, 0], [0, 0, dz]];
  const c = dims.map((d) => (d - 1) / 2);
  const rows: Affine = [0, 1, 2].map((r) => [cols[0][r], cols[1][r], cols[2][r], -(cols[0][r] * c[0] + cols[1][r] * c[1] + cols[2][r] * c[2])]);
  rows.push([0, 0, 0, 1]);
  return rows;
}

/** Coronal/axial when the affine's axes are those of `affineFor` (up to scale), else 'other'. */
export function orientationOf(affine: Affine): Orientation {
  const sign = (r: number, c: number) => Math.sign(Math.round(affine[r][c] * 1000));
  const axis = (c: number) => [0, 1, 2].map((r) => sign(r, c)).join(',');
  const key = `${axis(0)}|${axis(1)}|${axis(2)}`;
  if (key === '-1,0,0|0,0,-1|0,-1,0') return 'coronal';
  if (key === '-1,0,0|0,-1,0|0,0,1') return 'axial';
  return 'other';
}

type Quatern = { b: number; c: number; d: number; qfac: number; pixdim: [number, number, number]; offset: [number, number, number] };

/** Quaternion parameters of an affine (nifti1_io's nifti_mat44_to_quatern for orthogonal axes). */
export function affineToQuatern(affine: Affine): Quatern {
  const col = (j: number) => [affine[0][j], affine[1][j], affine[2][j]];
  const pixdim = [0, 1, 2].map((j) => Math.hypot(...col(j))) as [number, number, number];
  const r = [0, 1, 2].map((j) => col(j).map((v) => v / (pixdim[j] || 1)));
  // r[j] is column j; R[i][j] = r[j][i]
  const R = (i: number, j: number) => r[j][i];
  const det = R(0, 0) * (R(1, 1) * R(2, 2) - R(1, 2) * R(2, 1))
    - R(0, 1) * (R(1, 0) * R(2, 2) - R(1, 2) * R(2, 0))
    + R(0, 2) * (R(1, 0) * R(2, 1) - R(1, 1) * R(2, 0));
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    r[2] = r[2].map((v) => -v);
  }
  const r11 = R(0, 0), r12 = R(0, 1), r13 = R(0, 2);
  const r21 = R(1, 0), r22 = R(1, 1), r23 = R(1, 2);
  const r31 = R(2, 0), r32 = R(2, 1), r33 = R(2, 2);
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, pixdim, offset: [affine[0][3], affine[1][3], affine[2][3]] };
}
