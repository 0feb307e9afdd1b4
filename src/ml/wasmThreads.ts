/**
 * Multi-threaded wasm under Node: placeholder until the pthread pool can start from worker_threads.
 */
export function wasmThreadsSupported(): boolean {
  return false;
}

export function prepareWasmThreads(_distDir: string, _threads: number): void {
  throw new Error('multi-threaded wasm is not supported');
}
