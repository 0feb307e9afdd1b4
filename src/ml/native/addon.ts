/**
 * Loading the native addon (native/*.cc, built at `npm install` by native/build.js into
 * native/build/nephron_native.node). `NEPHRON_NATIVE_ADDON` points the loader at another file (a test points it at a
 * missing one to check that training falls back to wasm).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The addon's functions; arrays are used in place (no copies), shapes are plain number arrays. */
export interface NativeAddon {
  setThreads(n: number): void;
  getThreads(): number;
  versions(): { aten: string; onednn: string; mkldnn: boolean };
  conv2d(
    x: Float32Array,
    xShape: number[],
    w: Float32Array,
    wShape: number[],
    out: Float32Array,
    outShape: number[],
    stride: number[],
    padding: number[],
    dilation: number[],
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  conv2dBackpropInput(
    dy: Float32Array,
    dyShape: number[],
    w: Float32Array,
    wShape: number[],
    dx: Float32Array,
    dxShape: number[],
    stride: number[],
    padding: number[],
    dilation: number[],
  ): void;
  conv2dBackpropFilter(
    x: Float32Array,
    xShape: number[],
    dy: Float32Array,
    dyShape: number[],
    dw: Float32Array,
    wShape: number[],
    stride: number[],
    padding: number[],
    dilation: number[],
  ): void;
  batchMatMul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, transposeA: boolean, transposeB: boolean): void;
  maxPool(x: Float32Array, xShape: number[], out: Float32Array, outShape: number[], kernel: number[], stride: number[], padding: number[]): void;
  maxPoolGrad(
    dy: Float32Array,
    dyShape: number[],
    x: Float32Array,
    xShape: number[],
    dx: Float32Array,
    kernel: number[],
    stride: number[],
    padding: number[],
  ): void;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  reduce(op: number, x: Float32Array, shape: number[], axes: number[], out: Float32Array): void;
  softmax(x: Float32Array, shape: number[], out: Float32Array): void;
  transpose(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  slice(x: Float32Array, shape: number[], begin: number[], size: number[], out: Float32Array): void;
  split(x: Float32Array, shape: number[], axis: number, sizes: number[], outs: Float32Array[]): void;
  concat(xs: Float32Array[], shapes: number[][], axis: number, out: Float32Array, outShape: number[]): void;
  groupNormStats(x: Float32Array, shape: number[], groups: number, epsilon: number, mean: Float64Array, inv: Float64Array): void;
  groupNormForward(
    x: Float32Array,
    shape: number[],
    groups: number,
    relu: boolean,
    gamma: Float32Array,
    beta: Float32Array,
    mean: Float64Array,
    inv: Float64Array,
    y: Float32Array,
  ): void;
  groupNormGrad(
    dy: Float32Array,
    x: Float32Array,
    shape: number[],
    groups: number,
    relu: boolean,
    gamma: Float32Array,
    beta: Float32Array,
    mean: Float64Array,
    inv: Float64Array,
    dx: Float32Array | null,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
}

/** Where the addon is looked for: NEPHRON_NATIVE_ADDON, else native/build/ of the package this file is in. */
export function addonPath(): string {
  const forced = process.env.NEPHRON_NATIVE_ADDON;
  if (forced) return path.resolve(forced);
  // src/ml/native (tsx, vitest) or dist/src/ml/native (tsc): the package root is the first folder up with a package.json.
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'native', 'build', 'nephron_native.node');
}

let loaded: NativeAddon | null = null;

/** Load the addon (once per thread); throws with the reason when it is missing or cannot load. */
export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  const file = addonPath();
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found (built by \`npm install\` when g++ and libtorch-dev are present: \`node native/build.js\`)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require(file) as NativeAddon;
  return loaded;
}
