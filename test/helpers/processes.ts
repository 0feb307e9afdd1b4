/**
 * `nephron serve` / `nephron worker` as child processes from the TypeScript sources, logging JSON lines the test
 * can wait on (`waitForLog`), for tests of what happens between processes: kills, restarts, several workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export type LogLine = Record<string, any>;

export interface NephronProcess {
  child: ChildProcess;
  logs: LogLine[];
  /** Resolves with the first log line (so far or to come) matching; rejects if the process exits first. */
  waitForLog(pred: (line: LogLine) => boolean): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** stderr so far (the last 2000 characters), for failure messages. */
  stderr(): string;
}

/**
 * Starts `nephron <command>` on `env` (merged over this process's environment): one runner, a 2 s lease, one wasm
 * thread, JSON logs at info unless `env` says otherwise; `serve` listens on a free loopback port.
 */
export function startNephron(command: 'serve' | 'worker', env: Record<string, string>): NephronProcess {
  const defaults: Record<string, string> = { NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '2', LOG_LEVEL: 'info', NEPHRON_WASM_THREADS: '1' };
  if (command === 'serve') Object.assign(defaults, { HOST: '127.0.0.1', PORT: '0', NEPHRON_DEFAULT_COHORT: 'off' });
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/cli/index.ts'), command], {
    cwd: ROOT,
    env: { ...process.env, ...defaults, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        continue;
      }
    }
    for (const w of [...waiters]) w();
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    logs,
    exited,
    stderr: () => stderr,
    waitForLog: (pred) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find(pred);
          if (hit) {
            waiters.delete(check);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`nephron ${command} exited (${child.exitCode ?? child.signalCode}) before the log line; stderr: ${stderr}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}
