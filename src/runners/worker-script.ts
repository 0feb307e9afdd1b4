/**
 * Where a worker thread's script is and what it is started with, for the runner slots and the data worker pool.
 * The script sits beside its caller: .ts under tsx and vitest (loaded through tsx), .js once built.
 * Passing `execArgv` replaces Node's default (the process's own), so the process's preloads (`--require` / `-r`, such
 * as a tracing agent or the tests' GC probe) are handed on explicitly: they would apply to every thread by default.
 */
import path from 'node:path';

export function workerScript(callerFile: string, name: string): { file: string; execArgv: string[] } {
  const ext = path.extname(callerFile);
  const preloads = inheritedPreloads(process.execArgv);
  const tsx = ext === '.ts' && !preloads.some((p) => p === 'tsx/cjs') ? ['--require', 'tsx/cjs'] : [];
  return { file: path.join(path.dirname(callerFile), `${name}${ext}`), execArgv: [...preloads.flatMap((p) => ['--require', p]), ...tsx] };
}

/** The modules preloaded with `--require X`, `-r X` or `--require=X`, in order. */
export function inheritedPreloads(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if ((a === '--require' || a === '-r') && i + 1 < execArgv.length) out.push(execArgv[++i]);
    else if (a.startsWith('--require=')) out.push(a.slice('--require='.length));
  }
  return out;
}
