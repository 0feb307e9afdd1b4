import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { databaseTarget } from '../../src/db/data-source';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      databaseUrl: undefined,
      dataDir: './data',
      defaultCohort: true,
      runners: 1,
      backend: undefined,
      logLevel: 'info',
    });
  });

  it('names every bad value in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: '99999', NEPHRON_DEFAULT_COHORT: 'maybe', NEPHRON_BACKEND: 'cuda', DATABASE_URL: 'mysql://x', NEPHRON_RUNNERS: 'two' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split('=')[0])).toEqual(['PORT', 'DATABASE_URL', 'NEPHRON_DEFAULT_COHORT', 'NEPHRON_RUNNERS', 'NEPHRON_BACKEND']);
  });

  it('reads the mutation rate limit: <count>/<period>, a burst of one period by default, or off', () => {
    expect(loadConfig({}).mutationRate).toEqual({ perSecond: 1, burst: 60 });
    expect(loadConfig({ NEPHRON_MUTATION_RATE: '10/s', NEPHRON_MUTATION_BURST: '5' }).mutationRate).toEqual({ perSecond: 10, burst: 5 });
    expect(loadConfig({ NEPHRON_MUTATION_RATE: '360 / hour' }).mutationRate).toEqual({ perSecond: 0.1, burst: 360 });
    expect(loadConfig({ NEPHRON_MUTATION_RATE: 'OFF' }).mutationRate).toBeNull();
    for (const bad of [
      { NEPHRON_MUTATION_RATE: '60' },
      { NEPHRON_MUTATION_RATE: '0/min' },
      { NEPHRON_MUTATION_RATE: '5/constructor' },
      { NEPHRON_MUTATION_RATE: '-1/s' },
      { NEPHRON_MUTATION_BURST: '0' },
      { NEPHRON_MUTATION_BURST: '2.5' },
      { NEPHRON_MUTATION_RATE: 'off', NEPHRON_MUTATION_BURST: '10' },
    ]) {
      expect(() => loadConfig(bad), JSON.stringify(bad)).toThrow(new RegExp(Object.keys(bad).at(-1)!));
    }
  });

  it('picks the database from DATABASE_URL and NEPHRON_DATA_DIR', () => {
    expect(databaseTarget({ DATABASE_URL: 'postgres://u@h/db' })).toEqual({ engine: 'postgres', url: 'postgres://u@h/db' });
    expect(databaseTarget({ DATABASE_URL: 'memory' })).toEqual({ engine: 'pglite', dataDir: null });
    expect(databaseTarget({ NEPHRON_DATA_DIR: '/tmp/x' })).toEqual({ engine: 'pglite', dataDir: '/tmp/x/pglite', lockFile: '/tmp/x/nephron.lock' });
  });

  it('reads the operation limits, the query timeout and NODE_ENV=production', () => {
    expect(loadConfig({})).toMatchObject({ maxDepth: 10, maxComplexity: 20_000, requestTimeoutMs: 30_000, production: false, development: false });
    expect(loadConfig({ NEPHRON_MAX_DEPTH: '4', NEPHRON_MAX_COMPLEXITY: '500', NEPHRON_REQUEST_TIMEOUT_MS: '250', NODE_ENV: 'production' })).toMatchObject({
      maxDepth: 4,
      maxComplexity: 500,
      requestTimeoutMs: 250,
      production: true,
      development: false,
    });
    let error: ConfigError | undefined;
    try {
      loadConfig({ NEPHRON_MAX_DEPTH: '1', NEPHRON_MAX_COMPLEXITY: 'lots', NEPHRON_REQUEST_TIMEOUT_MS: '0' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.problems.map((p) => p.split('=')[0])).toEqual(['NEPHRON_MAX_DEPTH', 'NEPHRON_MAX_COMPLEXITY', 'NEPHRON_REQUEST_TIMEOUT_MS']);
  });
});
