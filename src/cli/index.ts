#!/usr/bin/env node
/**
 * nephron command line.
 *   nephron serve                                     migrate the database and serve the API (SIGTERM/SIGINT: graceful stop)
 *   nephron token create --role VIEWER|OPERATOR|ADMIN [--name NAME]   print a new API token (once)
 *   nephron schema                                    print the GraphQL SDL
 * Configuration comes only from the environment (README.md).
 */
import 'reflect-metadata';
import { buildDataSource } from '../../ormconfig';
import { ConfigError, databaseEnv, loadConfig } from '../config';
import { schemaSdl } from '../resolvers';
import { Role } from '../schema/enums';
import { createLogger } from '../server/logger';
import { createNephronServer } from '../server/server';
import { TokenService } from '../services/token.service';

const USAGE = `usage:
  nephron serve
  nephron token create --role VIEWER|OPERATOR|ADMIN [--name NAME]
  nephron schema`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const server = await createNephronServer(config, { log });
  try {
    await server.listen();
  } catch (e) {
    await server.stop();
    throw e;
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (e) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function tokenCreate(args: string[]): Promise<void> {
  const role = (option(args, '--role') ?? '').toUpperCase() as Role;
  if (!Object.values(Role).includes(role)) throw new Error(`--role must be one of ${Object.values(Role).join(', ')}`);
  const config = loadConfig();
  const ds = buildDataSource(databaseEnv(config));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const { token, apiToken } = await new TokenService(ds).create(role, option(args, '--name') ?? null);
    process.stderr.write(`created ${apiToken.role} token ${apiToken.id}${apiToken.name ? ` (${apiToken.name})` : ''}; it is shown only now:\n`);
    process.stdout.write(`${token}\n`);
  } finally {
    await ds.destroy();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [command, sub, ...rest] = argv;
  if (command === 'serve') return serve();
  if (command === 'token' && sub === 'create') return tokenCreate(rest);
  if (command === 'schema') {
    process.stdout.write(await schemaSdl());
    return;
  }
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = command === undefined || command === '--help' || command === 'help' ? 0 : 2;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`nephron: ${e instanceof ConfigError ? e.message : ((e as Error).message ?? String(e))}\n`);
    process.exit(1);
  });
}
