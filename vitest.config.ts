import path from 'node:path';
import { defineConfig } from 'vitest/config';

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
  },
});
