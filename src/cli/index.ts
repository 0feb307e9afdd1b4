#!/usr/bin/env node
/**
 * nephron command line.
 *   nephron serve | worker | token create | schema     the server side, in this process (./server.ts)
 *   nephron cohort … | sweep … | watch | report | reproduce | segment
 *                                                     GraphQL clients of a running server (--url/--token,
 *                                                     NEPHRON_URL/NEPHRON_TOKEN), like any user script
 * `nephron <command> --help` for each. Server configuration comes only from the environment (README.md).
 */
import { CliError, helpText, parseCommand, processIo, usageError, type Command, type Io } from './args';
import { cohortCommands } from './cohort';
import { reportCommand } from './report';
import { reproduceCommand } from './reproduce';
import { segmentCommand } from './segment';
import { sweepCommands } from './sweep';
import { watchCommand } from './watch';

export const COMMANDS: Command[] = [...cohortCommands, ...sweepCommands, watchCommand, reportCommand, reproduceCommand, segmentCommand];

const SERVER_USAGE = `  nephron serve                      migrate the database, serve the API and run NEPHRON_RUNNERS runners
  nephron worker                     runners only, no HTTP (more machines on one PostgreSQL)
  nephron token create --role VIEWER|OPERATOR|ADMIN [--name NAME]   print a new API token (once)
  nephron schema                     print the GraphQL SDL`;

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const client = COMMANDS.map((c) => `  nephron ${c.name.padEnd(width)}  ${c.summary.split(/(?<=\.)\s/)[0]}`).join('\n');
  return `usage: nephron <command> [options]   (nephron <command> --help)

server side (configured by the environment, README.md):
${SERVER_USAGE}

clients of a running server (--url URL or NEPHRON_URL, --token TOKEN or NEPHRON_TOKEN):
${client}
`;
}

/** Runs one client command; errors become one line `error CODE: message` on stderr and the exit code. */
export async function runCommand(argv: string[], io: Io = processIo()): Promise<number> {
  const [first, second] = argv;
  const command = COMMANDS.find((c) => c.name === `${first} ${second}`) ?? COMMANDS.find((c) => c.name === first);
  try {
    if (!command) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
      if (group.length && (second === undefined || second === '--help' || second === '-h')) {
        io.out.write(`usage:\n${group.map((c) => `  nephron ${c.name} ${c.usage}`).join('\n')}\n`);
        return second === undefined ? 2 : 0;
      }
      throw usageError(`unknown command ${JSON.stringify(argv.slice(0, group.length ? 2 : 1).join(' '))} (nephron --help)`);
    }
    const args = argv.slice(command.name.split(' ').length);
    const { values, positionals } = parseCommand(command, args);
    if (values.help) {
      io.out.write(helpText(command));
      return 0;
    }
    const expected = (typeof command.positionals === 'function' ? command.positionals(values) : command.positionals) ?? [];
    if (positionals.length !== expected.length) {
      throw usageError(
        `${command.name} takes ${expected.length ? expected.map((p) => `<${p}>`).join(' ') : 'no arguments'}, got ${positionals.length ? positionals.join(' ') : 'none'} (nephron ${command.name} --help)`,
      );
    }
    return await command.run({ values, positionals, io });
  } catch (e) {
    if (e instanceof CliError) {
      io.err.write(`error ${e.code}: ${e.message}\n`);
      return e.exitCode;
    }
    io.err.write(`error INTERNAL: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

/** The server side, loaded on demand (require: also resolves without an extension once built). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, so the client commands start fast
const serverSide = (): typeof import('./server') => require('./server');

/** Returns the exit code of a client command; undefined for serve/worker, which keep running. */
export async function main(argv = process.argv.slice(2), io: Io = processIo()): Promise<number | undefined> {
  const [command, sub, ...rest] = argv;
  const isServer = command === 'serve' || command === 'worker' || command === 'schema' || (command === 'token' && sub === 'create');
  if (isServer && (sub === '--help' || rest.includes('--help'))) {
    io.out.write(`usage:\n${SERVER_USAGE}\n`);
    return 0;
  }
  if (command === 'serve') return void (await serverSide().serve());
  if (command === 'worker') return void (await serverSide().worker());
  if (command === 'token' && sub === 'create') {
    await serverSide().tokenCreate(rest);
    return 0;
  }
  if (command === 'schema') {
    await serverSide().schema();
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.err : io.out).write(usage());
    return command === undefined ? 2 : 0;
  }
  return runCommand(argv, io);
}

if (require.main === module) {
  main().then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (e: unknown) => {
      // serve/worker/token create: configuration and start-up errors (ConfigError lists every bad value)
      process.stderr.write(`nephron: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
