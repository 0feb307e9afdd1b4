/**
 * What every client command of the nephron CLI shares: option parsing (node:util parseArgs, strict), the
 * `--url`/`--token`/`--help` options, where output goes (so tests run commands in-process), and the one-line errors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes; `isTTY` picks live progress bars over plain lines. */
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  isTTY: boolean;
  /** Environment for NEPHRON_URL / NEPHRON_TOKEN. */
  env: Record<string, string | undefined>;
}

export const processIo = (): Io => ({ out: process.stdout, err: process.stderr, isTTY: Boolean(process.stdout.isTTY), env: process.env });

/** A failure shown as `error CODE: message`; `exitCode` 2 for usage errors, 1 otherwise. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError('USAGE', message, 2);

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  /** e.g. "sweep start" */
  name: string;
  summary: string;
  /** Arguments and options after the command name, e.g. "<sweepId> [--format table|markdown|csv|json]". */
  usage: string;
  /** Lines after the usage line of `--help`. */
  help: string;
  options: Options;
  /** Number of positional arguments: exactly this many (a function: depending on the options, e.g. report --runs). */
  positionals?: string[] | ((values: Values) => string[]);
  run(ctx: { values: Values; positionals: string[]; io: Io }): Promise<number>;
}

export const CONNECTION_OPTIONS: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const CONNECTION_HELP = `  --url URL        GraphQL endpoint (env NEPHRON_URL, default http://127.0.0.1:4000/graphql)
  --token TOKEN    API token, sent as "Authorization: Bearer TOKEN" (env NEPHRON_TOKEN)`;

export function helpText(c: Command): string {
  return `usage: nephron ${c.name} ${c.usage}\n\n${c.summary}\n\n${c.help ? `${c.help}\n\n` : ''}${CONNECTION_HELP}\n  -h, --help       this help\n`;
}

/** Parses `args` for `command`; throws a usage error naming the problem. */
export function parseCommand(command: Command, args: string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    throw usageError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, '')} (nephron ${command.name} --help)`);
  }
}

/** "2,4,8" → [2, 4, 8]; empty items are kept as "" so the server can answer for an empty list. */
export function list(value: string | boolean | undefined, name: string): string[] {
  if (typeof value !== 'string') throw usageError(`--${name} is required`);
  return value === '' ? [] : value.split(',').map((s) => s.trim());
}

export function intList(value: string | boolean | undefined, name: string): number[] {
  return list(value, name).map((s) => integer(s, name));
}

export function integer(value: string | boolean | undefined, name: string): number {
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(n)) throw usageError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

export const upperList = (value: string | boolean | undefined, name: string) => list(value, name).map((s) => s.toUpperCase());

export function json(value: string | boolean | undefined, name: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(String(value));
  } catch (e) {
    throw usageError(`--${name} must be JSON: ${(e as Error).message}`);
  }
}

export const str = (value: string | boolean | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
