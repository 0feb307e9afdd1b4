import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inheritedPreloads, workerScript } from '../../src/runners/worker-script';

describe('worker thread scripts', () => {
  it('hands on the process preloads in every spelling, in order, and nothing else', () => {
    expect(inheritedPreloads(['--expose-gc', '--require', 'a.cjs', '-r', 'b', '--require=c.js', '--max-old-space-size=512'])).toEqual(['a.cjs', 'b', 'c.js']);
    expect(inheritedPreloads(['--require'])).toEqual([]); // a dangling flag is not a module
  });

  it('finds the script beside its caller and loads TypeScript through tsx once', () => {
    const ts = workerScript('/app/src/runners/slot.ts', 'worker');
    expect(ts.file).toBe(path.join('/app/src/runners', 'worker.ts'));
    expect(ts.execArgv.filter((a) => a === 'tsx/cjs')).toHaveLength(1);
    const js = workerScript('/app/dist/runners/slot.js', 'worker');
    expect(js.file).toBe(path.join('/app/dist/runners', 'worker.js'));
    expect(js.execArgv).toEqual(inheritedPreloads(process.execArgv).flatMap((p) => ['--require', p]));
  });
});
