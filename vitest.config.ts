import { defineConfig } from 'vitest/config';

// Tests run in forked processes: tfjs backends and PGlite instances are per-process state.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
  },
});
