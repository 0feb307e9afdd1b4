/**
 * Checkpoint bytes: named float32/int32 arrays in one self-describing buffer, used for model weights, optimiser
 * state and training-loop state.
 *
 * Layout (little-endian): "NPH1" | uint32 header length | header JSON (UTF-8, space-padded to a multiple of 8) |
 * tensor data, each starting at a multiple of 8 bytes. Header: { meta, tensors: [{ name, shape, dtype, offset }] }
 * with offsets relative to the start of the data section.
 *
 * Model weights are named `<layer name>/<weight name>` (`enc0_conv1/kernel`, `dec1_gn2/gamma`), independent of
 * how many models were built in the process, so a checkpoint loads into any model with the same layer names.
 */
import * as tf from '@tensorflow/tfjs';
import { isHeadName } from './unet';
import { whenReadable } from './reads';

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

export interface Bundle {
  meta: Record<string, unknown>;
  arrays: NamedArray[];
}

const MAGIC = 'NPH1';

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Serialise named arrays (+ JSON-able meta) into one buffer. */
export function encodeBundle(arrays: NamedArray[], meta: Record<string, unknown> = {}): Uint8Array {
  let offset = 0;
  const entries = arrays.map((a) => {
    const size = a.shape.reduce((p, d) => p * d, 1);
    if (size !== a.values.length) throw new Error(`encodeBundle: ${a.name} has ${a.values.length} values for shape [${a.shape}]`);
    const e = { name: a.name, shape: a.shape, dtype: a.values instanceof Int32Array ? 'int32' : 'float32', offset };
    offset += align8(a.values.byteLength);
    return e;
  });
  let header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const padded = align8(8 + header.length) - 8;
  const headerBytes = new Uint8Array(padded).fill(0x20);
  headerBytes.set(header);
  header = headerBytes;
  const out = new Uint8Array(8 + header.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  const base = 8 + header.length;
  arrays.forEach((a, i) => {
    out.set(new Uint8Array(a.values.buffer, a.values.byteOffset, a.values.byteLength), base + entries[i].offset);
  });
  return out;
}

/** Parse a buffer written by `encodeBundle` (the arrays are copies, safe to keep). */
export function decodeBundle(bytes: Uint8Array): Bundle {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error('decodeBundle: not a nephron checkpoint (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as {
    meta: Record<string, unknown>;
    tensors: { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number }[];
  };
  const base = 8 + headerLength;
  const arrays = header.tensors.map((t) => {
    const size = t.shape.reduce((p, d) => p * d, 1);
    const start = bytes.byteOffset + base + t.offset;
    const copy = bytes.buffer.slice(start, start + size * 4) as ArrayBuffer;
    if (copy.byteLength !== size * 4) throw new Error(`decodeBundle: ${t.name} is truncated`);
    return { name: t.name, shape: t.shape, values: t.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy) };
  });
  return { meta: header.meta, arrays };
}

/** The stable name of every weight of a model, in `model.weights` order. */
export function weightNames(model: tf.LayersModel): string[] {
  return model.weights.map((w) => w.originalName);
}

/**
 * Model weights → checkpoint bytes (`meta` is stored alongside, e.g. the config or the epoch). Reads synchronously:
 * on WebGPU `await whenReadable(model.weights.map((w) => w.read()))` first (../reads.ts), or use `exportWeightsAsync`.
 */
export function exportWeights(model: tf.LayersModel, meta: Record<string, unknown> = {}): Uint8Array {
  const arrays = model.weights.map((w) => {
    const t = w.read();
    return { name: w.originalName, shape: t.shape, values: t.dataSync() as Float32Array };
  });
  return encodeBundle(arrays, meta);
}

/** exportWeights on any backend, WebGPU included (its reads are awaited). */
export async function exportWeightsAsync(model: tf.LayersModel, meta: Record<string, unknown> = {}): Promise<Uint8Array> {
  await whenReadable(model.weights.map((w) => w.read()));
  return exportWeights(model, meta);
}

export interface LoadOptions {
  /** Load only the weights whose name passes (default: all). */
  filter?: (name: string) => boolean;
  /** Weights of the model that the checkpoint lacks are an error unless allowed (default false). */
  allowMissing?: boolean;
}

/** Checkpoint bytes → model weights, by name; shapes must match. Returns the names loaded. */
export function loadWeights(model: tf.LayersModel, bytes: Uint8Array, options: LoadOptions = {}): string[] {
  const { arrays } = decodeBundle(bytes);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const filter = options.filter ?? (() => true);
  const loaded: string[] = [];
  const missing: string[] = [];
  for (const w of model.weights) {
    const name = w.originalName;
    if (!filter(name)) continue;
    const a = byName.get(name);
    if (!a) {
      missing.push(name);
      continue;
    }
    if (a.shape.length !== w.shape.length || a.shape.some((d, i) => d !== w.shape[i])) {
      throw new Error(`loadWeights: ${name} has shape [${a.shape}] in the checkpoint, [${w.shape}] in the model`);
    }
    tf.tidy(() => {
      w.write(tf.tensor(a.values, a.shape, 'float32'));
    });
    loaded.push(name);
  }
  if (missing.length > 0 && !options.allowMissing) {
    throw new Error(`loadWeights: checkpoint lacks ${missing.length} weights of the model (${missing.slice(0, 5).join(', ')}…)`);
  }
  return loaded;
}

/**
 * CLC initialisation: copy the encoder-decoder weights of a pretrained checkpoint (local or global pretraining
 * model) into a model, by name, heads excluded. Every encoder-decoder weight of `model` must be in the checkpoint
 * unless `encoderOnly` (a checkpoint of the global model holds the encoder only). Returns the names copied.
 */
export function loadEncoderDecoder(model: tf.LayersModel, bytes: Uint8Array, encoderOnly = false): string[] {
  const shared = (name: string) => !isHeadName(name) && (!encoderOnly || name.startsWith('enc'));
  return loadWeights(model, bytes, { filter: shared });
}
