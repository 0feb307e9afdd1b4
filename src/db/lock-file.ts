import fs from 'node:fs';
import path from 'node:path';

/** Lock files this process holds, so a second DataSource in the same process is refused too. */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${path.dirname(lockPath)} is in use by process ${pid} (lock file ${lockPath}); ` +
        'stop that nephron server first, or point NEPHRON_DATA_DIR at another directory',
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock file holding this process's pid. A lock left by a dead process is taken over;
 * one held by a live process (or by this process already) throws DataDirLockedError.
 * Returns the function that releases it.
 */
export function acquireLockFile(lockPath: string): () => void {
  const abs = path.resolve(lockPath);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(abs, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      held.add(abs);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(abs);
        try {
          if (Number.parseInt(fs.readFileSync(abs, 'utf8'), 10) === process.pid) fs.unlinkSync(abs);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = Number.NaN;
      try {
        pid = Number.parseInt(fs.readFileSync(abs, 'utf8'), 10);
      } catch {
        continue; // removed between open and read: try again
      }
      const ours = pid === process.pid;
      if ((ours && held.has(abs)) || (!ours && Number.isInteger(pid) && alive(pid))) {
        throw new DataDirLockedError(abs, pid);
      }
      // stale: its process is gone
      try {
        fs.unlinkSync(abs);
      } catch {
        /* someone else took it over: retry */
      }
    }
  }
  throw new Error(`could not take the lock file ${abs}`);
}
