/**
 * Dawn (Google's WebGPU implementation) through the optional `webgpu` npm package: loading it, listing its adapters
 * and telling real GPUs from software ones.
 *
 * On Linux Dawn drives GPUs through Vulkan: it needs the Vulkan loader `libvulkan.so.1` and a driver's ICD (NVIDIA's,
 * AMD's or Mesa's; or SwiftShader's, a CPU emulator, for tests: Debian's chromium ships both under /usr/lib/chromium,
 * see the README). No CUDA toolkit and no libtensorflow are involved.
 *
 * Listing: Dawn's Node binding has no "enumerate adapters" call; asked for an adapter name that matches none
 * (`create(['adapter=…'])`) it fails with the list ("Available adapters:\n * backend: 'vulkan', name: '…'"), which
 * its README documents as the way to find names. Selecting one: `create(['adapter=<name>'])` takes the first adapter
 * whose name contains <name>, so two identical GPUs have the same name and Dawn can only reach the first of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The part of the `webgpu` package nephron uses (typed here: the package is optional, so it may be absent). */
export interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}
export interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}
export interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: Record<string, unknown>): Promise<unknown>;
}

export interface AdapterEntry {
  /** Dawn's name for it, e.g. "NVIDIA H200" or "SwiftShader Device (Subzero)". */
  name: string;
  /** Dawn's backend: 'vulkan' on Linux. */
  backend: string;
}

/** Dawn cannot be loaded, or finds no adapter: what the user should do is in the message. */
export class DawnUnavailableError extends Error {}

const PACKAGE = 'webgpu';
const NO_MATCH = 'nephron-lists-adapters';

let dawn: Promise<DawnModule> | null = null;

/** Loads Dawn once per thread (an ES module: a dynamic import, the specifier in a variable so that TypeScript does not need it). */
export function loadDawn(): Promise<DawnModule> {
  dawn ??= (import(PACKAGE as string) as Promise<DawnModule>).catch((err: unknown) => {
    dawn = null;
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new DawnUnavailableError(
      `the optional package '${PACKAGE}' (Dawn's WebGPU for Node) could not be loaded (${why}); install it with \`npm install ${PACKAGE}@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0\``,
    );
  });
  return dawn;
}

/**
 * Whether the Vulkan loader can be found, checked without loading Dawn: without it Dawn prints a warning to stderr
 * and finds nothing, which the automatic backend order should not do on every machine without a GPU. Linux only
 * (elsewhere Dawn uses Metal or D3D12, which are always there).
 */
export function vulkanLoaderFindable(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib');
  if (dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')))) return true;
  try {
    // the dynamic linker's cache holds the sonames of every library ldconfig knows (other distributions' paths too)
    return fs.readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

/** The adapters Dawn sees, in its order (empty when none, e.g. no Vulkan driver). */
export async function listAdapters(module: DawnModule): Promise<AdapterEntry[]> {
  let message: string;
  try {
    await module.create([`adapter=${NO_MATCH}`]).requestAdapter();
    return []; // a build that ignores the flag: nothing to learn from it
  } catch (err) {
    message = err instanceof Error ? err.message : String(err);
  }
  return parseAdapterList(message);
}

/** The entries of Dawn's "Available adapters:" list (one ` * backend: 'vulkan', name: '…'` line each). */
export function parseAdapterList(message: string): AdapterEntry[] {
  const out: AdapterEntry[] = [];
  for (const line of message.split('\n')) {
    const m = /^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/.exec(line);
    if (m) out.push({ backend: m[1], name: m[2] });
  }
  return out;
}

/** Software rasterisers and CPU adapters (SwiftShader, llvmpipe/lavapipe, Dawn's fallback adapter): not worth using. */
export function isSoftwareAdapter(name: string, info?: DawnAdapter['info']): boolean {
  if (info?.isFallbackAdapter) return true;
  const text = [name, info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bcpu\b/i.test(text);
}
