/**
 * The commands of the nephron CLI that run the server side in this process (not through the API): `serve` (migrate,
 * serve the API, run NEPHRON_RUNNERS runners; SIGTERM/SIGINT stop gracefully and running runs go back to the
 * queue), `worker` (runners only, no HTTP: more machines on one PostgreSQL), `token create` (straight into the
 * database) and `schema`. Loaded only for these commands, so the client commands start fast.
 */
import 'reflect-metadata';
import { buildDataSource } from '../db/data-source';
import { databaseEnv, loadConfig } from '../config';
import { schemaSdl } from '../resolvers';
import { openNephron } from '../app';
import { Role } from '../schema/enums';
import { createLogger } from '../logger';
import { createNephronServer } from '../server/server';
import { TokenService } from '../services/token.service';
import { migrate } from '../db/migrate';

/** A stop must finish within this (runs are given back first); a second signal exits at once. */
const STOP_DEADLINE_MS = 9_500;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

export async function serve(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const server = await createNephronServer(await openNephron(config, { log }));
  try {
    await server.listen();
  } catch (e) {
    await server.stop();
    throw e;
  }
  onSignals(log, () => server.stop());
}

/** `nephron worker`: the runners of `serve` without the API, on the configured database. */
export async function worker(): Promise<void> {
  const config = loadConfig();
  if (config.runners === 0) throw new Error('NEPHRON_RUNNERS=0: a worker without runners has nothing to do');
  const log = createLogger(config.logLevel);
  const nephron = await openNephron(config, { log });
  log.info({ database: nephron.dataSource.target.engine, runners: config.runners }, 'nephron worker running');
  onSignals(log, async () => {
    await nephron.close();
    log.info('nephron worker stopped');
  });
}

/** SIGTERM/SIGINT: graceful stop, forced exit after STOP_DEADLINE_MS or on a second signal. */
function onSignals(log: ReturnType<typeof createLogger>, stop: () => Promise<void>): void {
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error(`shutdown took more than ${STOP_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stop().then(
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

export async function tokenCreate(args: string[]): Promise<void> {
  const role = (option(args, '--role') ?? '').toUpperCase() as Role;
  if (!Object.values(Role).includes(role)) throw new Error(`--role must be one of ${Object.values(Role).join(', ')}`);
  const config = loadConfig();
  const ds = buildDataSource(databaseEnv(config));
  await ds.initialize();
  try {
    await migrate(ds);
    const { token, apiToken } = await new TokenService(ds).create(role, option(args, '--name') ?? null);
    process.stderr.write(`created ${apiToken.role} token ${apiToken.id}${apiToken.name ? ` (${apiToken.name})` : ''}; it is shown only now:\n`);
    process.stdout.write(`${token}\n`);
  } finally {
    await ds.destroy();
  }
}

export async function schema(): Promise<void> {
  process.stdout.write(await schemaSdl());
}
