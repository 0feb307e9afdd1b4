import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** "nephron@<package version>+<git commit>" (the commit when the checkout is a git repository). */
export function codeVersion(): string {
  if (cached) return cached;
  let version = '0.0.0';
  try {
    version = (JSON.parse(fs.readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* not run from the repository root */
  }
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
      .toString()
      .trim();
  } catch {
    /* no git */
  }
  cached = `nephron@${version}${commit ? `+${commit}` : ''}`;
  return cached;
}
