/**
 * `nephron serve` / `nephron worker` as child processes from the TypeScript sources, logging JSON lines that can be
 * awaited, with their resident memory read from the operating system. Used by test/runners/memory.test.ts and the
 * benches that need real processes (bench/workers.ts, bench/soak.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export interface NephronProcess {
  child: ChildProcess;
  logs: Record<string, any>[];
  /** The first log line (from the start, not only new ones) matching `pred`; rejects if the process exits first. */
  waitForLog(pred: (line: Record<string, any>) => boolean): Promise<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resident set size of the process in MB (its worker threads included). */
  rssMb(): number;
  /** After a full GC of the main thread (needs `{ gcProbe: true }`): its RSS and live heap, reported by the process. */
  memory(): Promise<MemorySample>;
  stderr(): string;
}

/**
 * Starts `nephron <command>` with `env` added to this process's environment (LOG_LEVEL info unless given).
 * `gcProbe`: preload ./gc-probe.cjs (with --expose-gc), so that `memory()` works.
 */
export function spawnNephron(command: 'serve' | 'worker', env: Record<string, string>, options: { gcProbe?: boolean } = {}): NephronProcess {
  const probe = options.gcProbe ? ['--expose-gc', '--require', path.join(__dirname, 'gc-probe.cjs')] : [];
  const child = spawn(process.execPath, [...probe, '--require', 'tsx/cjs', path.join(ROOT, 'src/cli/index.ts'), command], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, any>[] = [];
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
  const waitForLog = (pred: (line: Record<string, any>) => boolean) =>
    new Promise<Record<string, any>>((resolve, reject) => {
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
    rssMb: () => rssMb(child.pid!),
    waitForLog,
    async memory() {
      if (!options.gcProbe) throw new Error('memory() needs spawnNephron(…, { gcProbe: true })');
      // one probe at a time: the report is the only one in the logs, taken out once read
      const turn = probing.then(async () => {
        child.kill('SIGUSR2');
        const line = await waitForLog((l) => l.msg === 'memory after gc');
        logs.splice(logs.indexOf(line), 1);
        return line;
      });
      probing = turn.catch(() => {});
      const line = await turn;
      return { rssMb: line.rssMb, heapUsedMb: line.heapUsedMb, externalMb: line.externalMb, arrayBuffersMb: line.arrayBuffersMb };
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
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) / 1024;
}

/** SIGTERM, then SIGKILL if it has not exited within `ms`. */
export async function stopProcess(p: NephronProcess, ms = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  await p.exited;
  clearTimeout(timer);
}
