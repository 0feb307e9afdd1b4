/**
 * Kernel fixes nephron registers on tfjs-backend-webgpu 4.22.
 *
 * Cast int32/bool → float32: the package's Cast (src/kernels/Cast.ts) treats it as a cast "without encoding loss"
 * and returns the same data relabelled float32. On WebGL and the CPU backends the numbers are stored alike, but on
 * WebGPU an int32 buffer holds i32 bits: the first kernel that reads it as f32 either fails to compile (Transpose:
 * "type mismatch … expected 'f32', got 'i32'") or reads garbage. The focal Tversky loss casts its one-hot labels
 * so: without this fix the fine-tuning loss was wrong by 100% on SwiftShader. Here the cast converts the values.
 */
import * as tf from '@tensorflow/tfjs';

interface WebGpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: [number, number, number]): [number, number, number];
}

interface WebGpuBackendLike extends tf.KernelBackend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
  shouldExecuteOnCPU(inputs: tf.TensorInfo[]): boolean;
  tensorMap: { get(dataId: tf.DataId): { values: ArrayLike<number> | null } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** out = f32(A) elementwise, A an i32 buffer (int32 or bool). */
class IntToFloatProgram {
  readonly variableNames = ['A'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly shaderKey = 'nephron_int_to_float';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(
    readonly outputShape: number[],
    util: WebGpuUtil,
  ) {
    this.dispatchLayout = util.flatDispatchLayout(outputShape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, f32(A[index]));
        }
      }`;
  }
}

let registered = false;

export function registerWebGpuKernels(util: WebGpuUtil): void {
  if (registered) return;
  const original = tf.getKernel('Cast', 'webgpu');
  if (!original) throw new Error('tfjs-backend-webgpu registered no Cast kernel');
  const cast: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
    if (dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return original.kernelFunc(args);
    const backend = args.backend as WebGpuBackendLike;
    const values = backend.tensorMap.get(x.dataId).values;
    if (values && backend.shouldExecuteOnCPU([x])) return backend.makeTensorInfo(x.shape, 'float32', Float32Array.from(values));
    return backend.runWebGPUProgram(new IntToFloatProgram(x.shape, util), [x], 'float32');
  };
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({ kernelName: 'Cast', backendName: 'webgpu', kernelFunc: cast });
  registered = true;
}
