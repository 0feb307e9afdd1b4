#!/usr/bin/env node
// `npm start`: build with tsc when dist/ is missing or older than the sources, then run `nephron serve`.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'src', 'cli', 'index.js');

function newestMtime(p) {
  let newest = 0;
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

const sources = Math.max(...['src', 'migrations', 'ormconfig.ts', 'tsconfig.json', 'package.json'].map((p) => newestMtime(path.join(root, p))));
const built = fs.statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built < sources) {
  process.stderr.write('nephron: building (tsc)…\n');
  try {
    execFileSync(
      process.execPath,
      [path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  } catch {
    // tsc still emits JavaScript for files with type errors; serve if the server was built, but say so loudly
    if (!fs.existsSync(entry)) process.exit(1);
    process.stderr.write('nephron: WARNING: tsc reported type errors (above); starting the server anyway\n');
  }
  // tsc leaves unchanged outputs' mtimes alone: mark the build as fresh
  const now = new Date();
  fs.utimesSync(entry, now, now);
}

// The dashboard (client/): vite build when client/dist is missing or older than its sources. A failed build leaves the
// API serving (the dashboard route then says it is not built).
const clientDir = path.join(root, 'client');
if (fs.existsSync(clientDir)) {
  const clientSources = Math.max(
    ...['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((p) => newestMtime(path.join(clientDir, p))),
    newestMtime(path.join(root, 'package.json')),
  );
  const clientBuilt = fs.statSync(path.join(clientDir, 'dist', 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (clientBuilt < clientSources) {
    process.stderr.write('nephron: building the dashboard (vite)…\n');
    try {
      const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
      execFileSync(process.execPath, [vite, 'build', '--config', path.join(clientDir, 'vite.config.ts'), '--logLevel', 'warn'], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' }, // NODE_ENV=development would bundle React's development build
      });
    } catch (e) {
      process.stderr.write(`nephron: WARNING: the dashboard did not build (${e.message.split('\n')[0]}); serving the API only\n`);
    }
  }
}

// graphql-js runs its development-only checks unless NODE_ENV=production (NODE_ENV=development adds stack traces)
const env = { ...process.env, NODE_ENV: process.env.NODE_ENV || 'production' };
const child = spawn(process.execPath, [entry, 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
