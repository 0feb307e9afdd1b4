/**
 * Intra-op threads, for every backend (native: ATen/oneDNN's OpenMP threads; wasm: XNNPACK's pthreads).
 *
 * `NEPHRON_THREADS` (alias: the older `NEPHRON_WASM_THREADS`) is the number of cores training may use in this
 * process. One training thread (a benchmark, a CLI run) takes all of it (default: every core). Runner slots each train
 * in their own worker_thread and split it (default: every core but one, left to the main thread's event loop), so that
 * the slots together never ask for more threads than there are cores, as long as there are no more slots than cores
 * (each slot needs at least one).
 */
import * as os from 'node:os';

type Env = Record<string, string | undefined>;

/** NEPHRON_THREADS, else NEPHRON_WASM_THREADS, else undefined; anything but a positive integer is an error. */
export function threadsFromEnv(env: Env = process.env): number | undefined {
  for (const name of ['NEPHRON_THREADS', 'NEPHRON_WASM_THREADS']) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${value}: expected a positive integer`);
    return n;
  }
  return undefined;
}

/** Threads of each of `slots` runner slots: the budget (env, else cores − 1), capped at the cores, split evenly. */
export function threadsPerSlot(slots: number, env: Env = process.env, cores = os.availableParallelism()): number {
  const budget = Math.min(cores, threadsFromEnv(env) ?? Math.max(1, cores - 1));
  return Math.max(1, Math.floor(budget / Math.max(1, slots)));
}
