/**
 * `nephron serve` / `nephron worker` as child processes from the TypeScript sources, logging JSON lines the test
 * can wait on (`waitForLog`), for tests of what happens between processes (kills, restarts, several workers) and
 * for the benches that need real processes (bench/workers.ts, bench/soak.ts), with their memory read from the
 * operating system or, after a full GC, reported by the process itself (test/runners/memory.test.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export type LogLine = Record<string, any>;

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** Worker threads that ran their own full GC before the sample (the runner's among them). */
  workersCollected: number;
}

export interface NephronProcess {
  child: ChildProcess;
  logs: LogLine[];
  /** Resolves with the first log line (so far or to come) matching; rejects if the process exits first. */
  waitForLog(pred: (line: LogLine) => boolean): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** stderr so far (the last 20,000 characters), for failure messages. */
  stderr(): string;
  /** Resident set size of the process in MB (its worker threads included). */
  rssMb(): number;
  /** After a full GC of every thread (needs `{ gcProbe: true }`): its RSS and live heap, reported by the process. */
  memory(): Promise<MemorySample>;
}

/**
 * Starts `nephron <command>` on `env` (merged over this process's environment): one runner, a 2 s lease, one wasm
 * thread, JSON logs at info unless `env` says otherwise; `serve` listens on a free loopback port. `gcProbe`: preload
 * ./gc-probe.cjs (with --expose-gc), so that `memory()` works.
 */
export function startNephron(command: 'serve' | 'worker', env: Record<string, string>, options: { gcProbe?: boolean } = {}): NephronProcess {
  const defaults: Record<string, string> = { NEPHRON_RUNNERS: '1', NEPHRON_LEASE_SECONDS: '2', LOG_LEVEL: 'info', NEPHRON_WASM_THREADS: '1' };
  if (command === 'serve') Object.assign(defaults, { HOST: '127.0.0.1', PORT: '0', NEPHRON_DEFAULT_COHORT: 'off' });
  const probe = options.gcProbe ? ['--expose-gc', '--require', path.join(__dirname, 'gc-probe.cjs')] : [];
  const child = spawn(process.execPath, [...probe, '--require', 'tsx/cjs', path.join(ROOT, 'src/cli/index.ts'), command], {
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
        const parsed = JSON.parse(line);
        // keep what tests wait for, not one line per request (a long run would hold them all)
        if (parsed.msg !== 'request') logs.push(parsed);
      } catch {
        continue;
      }
    }
    for (const w of [...waiters]) w();
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    }),
  );
  const waitForLog = (pred: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const hit = logs.find(pred);
        if (hit) {
          waiters.delete(check);
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          reject(new Error(`nephron ${command} exited (${child.exitCode ?? child.signalCode}) before the log line; stderr: ${stderr.slice(-2000)}`));
        }
      };
      waiters.add(check);
      check();
    });
  let probing: Promise<unknown> = Promise.resolve();
  return {
    child,
    logs,
    exited,
    stderr: () => stderr,
    waitForLog,
    rssMb: () => rssMb(child.pid!),
    async memory() {
      if (!options.gcProbe) throw new Error('memory() needs startNephron(…, { gcProbe: true })');
      // one probe at a time: the report is the only one in the logs, taken out once read
      const turn = probing.then(async () => {
        child.kill('SIGUSR2');
        const line = await waitForLog((l) => l.msg === 'memory after gc');
        logs.splice(logs.indexOf(line), 1);
        return line;
      });
      probing = turn.catch(() => {});
      const line = await turn;
      return {
        rssMb: line.rssMb,
        heapUsedMb: line.heapUsedMb,
        externalMb: line.externalMb,
        arrayBuffersMb: line.arrayBuffersMb,
        workersCollected: line.workers,
      };
    },
  };
}

/** RSS of a process in MB: /proc on Linux, `ps` elsewhere. */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1024
  );
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
export async function stopProcess(p: NephronProcess, ms = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  await p.exited;
  clearTimeout(timer);
}
