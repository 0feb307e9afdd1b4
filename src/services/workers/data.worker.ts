/** Entry of a data worker thread (see ./pool.ts): runs one task of ./tasks.ts per message, moving result buffers. */
import { parentPort } from 'node:worker_threads';
import { TASKS, type TaskName } from './tasks';

/** Buffers the result owns outright can be moved to the main thread; views into shared pools must be copied. */
function transferables(value: unknown, out: ArrayBuffer[] = []): ArrayBuffer[] {
  if (value instanceof Uint8Array) {
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer && !out.includes(value.buffer))
      out.push(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) transferables(v, out);
  } else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) transferables(v, out);
  }
  return out;
}

parentPort!.on('message', async (msg: { task: TaskName; input: never }) => {
  try {
    const output = await TASKS[msg.task](msg.input);
    parentPort!.postMessage({ ok: true, output }, transferables(output));
  } catch (e) {
    const err = e as Error & { file?: string; reason?: string };
    parentPort!.postMessage({ ok: false, error: { name: err.name ?? 'Error', message: err.message ?? String(e), file: err.file, reason: err.reason } });
  }
});
