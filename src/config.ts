/**
 * Configuration, only from the environment, validated at start: every bad value gets its own line in the error.
 * The names are a contract (scripts and tests start servers with them); README.md documents them.
 */
import { normalizeOrigin, parseHostHeader } from './host-origin';

export type Backend = 'native' | 'wasm' | 'cpu' | 'tensorflow' | 'webgpu';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  host: string;
  port: number;
  /** postgres://… for PostgreSQL, "memory" for in-memory PGlite, undefined for PGlite on disk. */
  databaseUrl: string | undefined;
  dataDir: string;
  importRoot: string | undefined;
  defaultCohort: boolean;
  runners: number;
  /** Runner lease: a run whose process stops renewing it for this long is queued again elsewhere. */
  leaseSeconds: number;
  /** How long an unchanged query answer may be served again (0: no answer cache). */
  answerCacheMs: number;
  backend: Backend | undefined;
  /** Mutations per caller (token, or address of a local token-less caller); null: unlimited. */
  mutationRate: MutationRate | null;
  logLevel: LogLevel;
  /** NODE_ENV=development: stack traces in error responses. */
  development: boolean;
  /** NODE_ENV=production: no introspection, no Apollo landing page (sandbox). */
  production: boolean;
  /** Deepest selection nesting an operation may have (HTTP and WebSocket). */
  maxDepth: number;
  /** Highest estimated cost an operation may have (src/server/limits.ts: 1 per field, lists with `first` × first). */
  maxComplexity: number;
  /** A query over HTTP answering later than this gets a TIMEOUT error (504); mutations run to completion. */
  requestTimeoutMs: number;
  /** NEPHRON_ALLOWED_HOSTS: Host names served in zero-setup mode besides the loopback ones (src/host-origin.ts). */
  allowedHosts: string[];
  /** NEPHRON_ALLOWED_ORIGINS: browser origins allowed besides the server's own, e.g. a dashboard served elsewhere. */
  allowedOrigins: string[];
  /** Largest NIfTI body POST /api/runs/:id/segment accepts, in MiB (NEPHRON_SEGMENT_MAX_MB). */
  segmentMaxMb: number;
}

export interface MutationRate {
  perSecond: number;
  burst: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const BACKENDS: Backend[] = ['native', 'wasm', 'cpu', 'tensorflow', 'webgpu'];

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };

  const host = get('HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) problems.push(`HOST=${host}: expected a host name or IP address`);

  const portText = get('PORT') ?? '4000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) problems.push(`PORT=${portText}: expected an integer 0-65535 (0 = any free port)`);

  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl && databaseUrl !== 'memory' && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL=${databaseUrl}: expected postgres://user@host:port/db, "memory", or unset for embedded PGlite`);
  }

  const defaultCohortText = (get('NEPHRON_DEFAULT_COHORT') ?? 'on').toLowerCase();
  if (!['on', 'off'].includes(defaultCohortText)) problems.push(`NEPHRON_DEFAULT_COHORT=${defaultCohortText}: expected on or off`);

  const runnersText = get('NEPHRON_RUNNERS') ?? '1';
  const runners = Number(runnersText);
  if (!/^\d+$/.test(runnersText) || runners > 64) problems.push(`NEPHRON_RUNNERS=${runnersText}: expected an integer 0-64 (0 = no training in this process)`);

  const leaseText = get('NEPHRON_LEASE_SECONDS') ?? '30';
  const leaseSeconds = Number(leaseText);
  if (!/^\d+(\.\d+)?$/.test(leaseText) || leaseSeconds < 0.5 || leaseSeconds > 3600)
    problems.push(`NEPHRON_LEASE_SECONDS=${leaseText}: expected seconds between 0.5 and 3600`);

  const cacheText = get('NEPHRON_ANSWER_CACHE_MS') ?? '1000';
  const answerCacheMs = Number(cacheText);
  if (!/^\d+$/.test(cacheText) || answerCacheMs > 60_000)
    problems.push(`NEPHRON_ANSWER_CACHE_MS=${cacheText}: expected milliseconds 0-60000 (0 = no answer cache)`);

  const backend = get('NEPHRON_BACKEND') as Backend | undefined;
  if (backend && !BACKENDS.includes(backend)) problems.push(`NEPHRON_BACKEND=${backend}: expected one of ${BACKENDS.join(', ')}`);

  const mutationRate = parseMutationRate(get('NEPHRON_MUTATION_RATE') ?? '60/min', get('NEPHRON_MUTATION_BURST'), problems);

  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL=${logLevel}: expected one of ${LOG_LEVELS.join(', ')}`);

  const limit = (name: string, fallback: number, min: number, max: number, unit: string): number => {
    const text = get(name) ?? String(fallback);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) problems.push(`${name}=${text}: expected ${unit} ${min}-${max}`);
    return value;
  };
  const maxDepth = limit('NEPHRON_MAX_DEPTH', 10, 2, 100, 'an integer');
  const maxComplexity = limit('NEPHRON_MAX_COMPLEXITY', 20_000, 10, 10_000_000, 'an integer');
  const requestTimeoutMs = limit('NEPHRON_REQUEST_TIMEOUT_MS', 30_000, 1, 3_600_000, 'milliseconds');
  const segmentMaxMb = limit('NEPHRON_SEGMENT_MAX_MB', 512, 1, 16_384, 'MiB');

  const allowedHosts = parseAllowedHosts(get('NEPHRON_ALLOWED_HOSTS'), problems);
  const allowedOrigins = parseAllowedOrigins(get('NEPHRON_ALLOWED_ORIGINS'), problems);

  if (problems.length) throw new ConfigError(problems);
  return {
    host,
    port,
    databaseUrl,
    dataDir: get('NEPHRON_DATA_DIR') ?? './data',
    importRoot: get('NEPHRON_IMPORT_ROOT'),
    defaultCohort: defaultCohortText === 'on',
    runners,
    leaseSeconds,
    answerCacheMs,
    backend,
    mutationRate,
    logLevel,
    development: env.NODE_ENV === 'development',
    production: env.NODE_ENV === 'production',
    maxDepth,
    maxComplexity,
    requestTimeoutMs,
    allowedHosts,
    allowedOrigins,
    segmentMaxMb,
  };
}

const entries = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** NEPHRON_ALLOWED_HOSTS: comma-separated host names or IP addresses (IPv6 in brackets), without ports. */
function parseAllowedHosts(text: string | undefined, problems: string[]): string[] {
  return entries(text).flatMap((entry) => {
    const host = parseHostHeader(entry);
    if (host && !host.port) return [host.hostname];
    problems.push(
      `NEPHRON_ALLOWED_HOSTS: ${JSON.stringify(entry)}: expected a host name or IP address without a port or scheme (e.g. nephron.lab.example.org, [fd00::1])`,
    );
    return [];
  });
}

/** NEPHRON_ALLOWED_ORIGINS: comma-separated http(s) origins, scheme://host[:port]; never "null" or "*". */
function parseAllowedOrigins(text: string | undefined, problems: string[]): string[] {
  return entries(text).flatMap((entry) => {
    const origin = entry === 'null' || entry === '*' ? null : normalizeOrigin(entry);
    if (origin) return [origin];
    const why =
      entry === 'null'
        ? 'browsers send "null" from sandboxed frames and local files of any site, so it cannot be allowed'
        : entry === '*'
          ? 'every site cannot be allowed; list the origins of your dashboards'
          : 'expected an origin like http://lab.example.org:8080 (http or https, no path)';
    problems.push(`NEPHRON_ALLOWED_ORIGINS: ${JSON.stringify(entry)}: ${why}`);
    return [];
  });
}

const PERIOD_SECONDS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/** NEPHRON_MUTATION_RATE "<n>/<s|min|h>" or "off"; NEPHRON_MUTATION_BURST defaults to n (one period's worth). */
function parseMutationRate(rateText: string, burstText: string | undefined, problems: string[]): MutationRate | null {
  if (rateText.toLowerCase() === 'off') {
    if (burstText) problems.push(`NEPHRON_MUTATION_BURST=${burstText}: has no effect with NEPHRON_MUTATION_RATE=off`);
    return null;
  }
  const m = /^(\d+)\s*\/\s*([a-z]+)$/i.exec(rateText);
  const count = m ? Number(m[1]) : NaN;
  const period = m && Object.hasOwn(PERIOD_SECONDS, m[2].toLowerCase()) ? PERIOD_SECONDS[m[2].toLowerCase()] : undefined;
  if (!m || !period || count < 1 || count > 1_000_000) {
    problems.push(`NEPHRON_MUTATION_RATE=${rateText}: expected <count>/<s|min|h> with a count of 1-1000000 (e.g. 60/min), or off`);
    return null;
  }
  const burst = burstText === undefined ? count : Number(burstText);
  if (burstText !== undefined && (!/^\d+$/.test(burstText) || burst < 1 || burst > 1_000_000)) {
    problems.push(`NEPHRON_MUTATION_BURST=${burstText}: expected an integer 1-1000000`);
    return null;
  }
  return { perSecond: count / period, burst };
}

/** The environment a DataSource is built from (src/db/data-source.ts reads DATABASE_URL and NEPHRON_DATA_DIR). */
export function databaseEnv(config: Config): NodeJS.ProcessEnv {
  return { DATABASE_URL: config.databaseUrl, NEPHRON_DATA_DIR: config.dataDir };
}
