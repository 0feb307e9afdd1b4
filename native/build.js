#!/usr/bin/env node
/**
 * Build the native training addon (native/*.cc → native/build/nephron_native.node) with g++ against Debian's
 * libtorch (ATen + oneDNN). Run by `npm install` / `npm ci` (package.json "install") and by hand (`node
 * native/build.js`).
 *
 * It never fails an install: when g++, Node's headers, node-addon-api or the libtorch / oneDNN development files are
 * missing, or the compiler fails, it prints ONE line saying how to get them and exits 0; the wasm backend then
 * serves. No node-gyp: it would download Node's headers, and this network has none to give; Node's headers come from
 * the local install (<prefix>/include/node, e.g. /usr/include/node).
 *
 * An addon newer than every source is kept (`--force` rebuilds). NEPHRON_NATIVE_BUILD=0 skips the build; NEPHRON_NATIVE_CXXFLAGS replaces the optimisation flags
 * (default `-O3 -march=native`: the addon is built on the machine that runs it).
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = __dirname;
const OUT_DIR = path.join(ROOT, 'build');
const TARGET = path.join(OUT_DIR, 'nephron_native.node');
const SOURCES = ['addon.cc', 'conv.cc', 'elementwise.cc', 'groupnorm.cc', 'pool.cc'];
const HINT = 'apt-get install g++ libtorch-dev libdnnl-dev';
const TORCH_API = '/usr/include/torch/csrc/api/include';

function skip(reason) {
  console.error(`nephron: native backend not built (${reason}); to get it: ${HINT}, then \`node native/build.js\`. Training uses wasm meanwhile.`);
  process.exit(0);
}

function nodeIncludeDir() {
  const candidates = [
    process.env.NEPHRON_NODE_INCLUDE,
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
}

function compile(args) {
  return new Promise((resolve) => {
    const child = spawn('g++', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ ok: false, err: e.message }));
    child.on('close', (code) => resolve({ ok: code === 0, err }));
  });
}

async function main() {
  if (process.env.NEPHRON_NATIVE_BUILD === '0') skip('NEPHRON_NATIVE_BUILD=0');
  if (process.platform !== 'linux') skip(`${process.platform} is not supported, only Linux`);
  if (spawnSync('g++', ['--version'], { stdio: 'ignore' }).status !== 0) skip('no g++');
  const nodeInclude = nodeIncludeDir();
  if (!nodeInclude) skip("no Node headers (node_api.h) found; set NEPHRON_NODE_INCLUDE to Node's include/node");
  let addonApi;
  try {
    addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [path.join(ROOT, '..')] }));
  } catch {
    skip('node-addon-api is not installed');
  }
  if (!fs.existsSync('/usr/include/ATen/ATen.h') || !fs.existsSync(TORCH_API)) skip('no libtorch headers');
  if (!fs.existsSync('/usr/include/oneapi/dnnl/dnnl.h')) skip('no oneDNN headers');

  // Up to date: nothing to do (`npm install <pkg>` runs this script again each time).
  const inputs = [...SOURCES, 'tensors.h', 'build.js'].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs);
  if (fs.existsSync(TARGET) && fs.statSync(TARGET).mtimeMs > Math.max(...inputs) && !process.argv.includes('--force')) return;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const flags = (process.env.NEPHRON_NATIVE_CXXFLAGS ?? '-O3 -march=native').split(/\s+/).filter(Boolean);
  const common = [
    '-std=c++17',
    '-fPIC',
    '-fopenmp',
    ...flags,
    '-DNAPI_VERSION=8',
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    `-I${nodeInclude}`,
    `-I${addonApi}`,
    `-I${TORCH_API}`,
    '-w',
  ];
  const started = Date.now();
  // Two at a time: each translation unit pulls in ATen's headers (~1 GB of compiler memory, ~20 s).
  const objects = [];
  const queue = [...SOURCES];
  const failures = [];
  await Promise.all(
    [0, 1].map(async () => {
      for (let src = queue.shift(); src; src = queue.shift()) {
        const obj = path.join(OUT_DIR, src.replace(/\.cc$/, '.o'));
        objects.push(obj);
        const r = await compile([...common, '-c', path.join(ROOT, src), '-o', obj]);
        if (!r.ok) failures.push(`${src}: ${r.err.split('\n').find((l) => /error/.test(l)) ?? r.err.slice(0, 200)}`);
      }
    }),
  );
  if (failures.length) skip(`g++ failed: ${failures[0].trim()}`);
  const tmp = `${TARGET}.tmp`;
  const link = await compile(['-shared', '-fopenmp', ...objects, '-o', tmp, '-ltorch', '-ltorch_cpu', '-lc10', '-ldnnl']);
  if (!link.ok) skip(`linking failed: ${link.err.split('\n')[0]}`);
  fs.renameSync(tmp, TARGET);
  for (const obj of objects) fs.rmSync(obj, { force: true });
  console.log(`nephron: native backend built (${path.relative(path.join(ROOT, '..'), TARGET)}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((err) => skip(`build script error: ${err && err.message}`));
