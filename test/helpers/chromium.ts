/**
 * Debian's chromium for the browser tests (test/e2e, driven by playwright-core), and the dashboard build they serve.
 * Without /usr/bin/chromium those files are skipped with a message, except under CI=true, where that fails.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const ROOT = path.resolve(__dirname, '../..');
export const haveChromium = fs.existsSync(CHROMIUM);

/** Under CI=true a missing chromium is a failing test; elsewhere a warning (the file's tests are then skipped). */
export function requireChromium(file: string): void {
  if (!haveChromium && process.env.CI === 'true') {
    describe(file, () => {
      it('needs Debian chromium at /usr/bin/chromium (.ci/run installs it)', () => {
        throw new Error(`${CHROMIUM} is missing under CI=true: the dashboard's browser tests cannot run`);
      });
    });
  } else if (!haveChromium) {
    console.warn(`[${file}] skipped: ${CHROMIUM} is missing (apt-get install -y chromium); under CI=true this fails`);
  }
}

/** The production build the server serves (what `npm start` builds) into client/dist. */
export function buildDashboard(): void {
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  // NODE_ENV is "test" under vitest, and vite would then bundle React's development build
  execFileSync(process.execPath, [vite, 'build', '--config', path.join(ROOT, 'client/vite.config.ts'), '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
