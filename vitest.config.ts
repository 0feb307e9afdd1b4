import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The WebGPU tests run on SwiftShader from Debian's chromium (test/helpers/swiftshader.ts). The dynamic linker reads
// LD_LIBRARY_PATH once, when a process starts: so it is set here, for the test processes vitest forks. The automatic
// backend order skips software adapters, so the other tests still get wasm.
const swiftShader = '/usr/lib/chromium';
const webgpuEnv: Record<string, string> =
  fs.existsSync(`${swiftShader}/vk_swiftshader_icd.json`) && !process.env.VK_ICD_FILENAMES
    ? {
        LD_LIBRARY_PATH: [swiftShader, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        VK_ICD_FILENAMES: `${swiftShader}/vk_swiftshader_icd.json`,
      }
    : {};

// Tests run in forked processes: tfjs backends and PGlite instances are per-process state.
export default defineConfig({
  resolve: {
    // graphql ships index.mjs beside index.js; vite would give our sources the .mjs copy while Apollo and type-graphql
    // require() the .js one, and graphql refuses objects from "another realm". One instance for everyone:
    // graphql-query-complexity's "module" build imports graphql/index.mjs by name: give vite its CommonJS build too
    alias: {
      graphql: path.resolve(__dirname, 'node_modules/graphql/index.js'),
      'graphql-query-complexity': path.resolve(__dirname, 'node_modules/graphql-query-complexity/dist/cjs/index.js'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // One file at a time: the runner tests assert the event loop stays responsive while a worker thread trains, and
    // the end-to-end tests time real training; a second test file on the other core makes both measure contention.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    env: webgpuEnv,
  },
});
