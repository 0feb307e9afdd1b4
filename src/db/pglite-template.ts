import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * A fresh in-memory PGlite runs initdb (~3-4 s). We run it once, dump the initialised data directory to a tarball
 * cached in the OS temp dir (keyed by the PGlite version) and load that (~0.5 s) for every later in-memory database.
 */
let cached: Promise<Blob> | undefined;

function pgliteVersion(): string {
  try {
    const entry = require.resolve('@electric-sql/pglite');
    const pkg = path.join(path.dirname(entry), '..', 'package.json');
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function template(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `nephron-pglite-template-${pgliteVersion()}.tar`);
  try {
    const bytes = fs.readFileSync(file);
    return new Blob([bytes]);
  } catch {
    /* not cached yet */
  }
  const db = await PGlite.create();
  const dump = await db.dumpDataDir('none');
  await db.close();
  const bytes = Buffer.from(await dump.arrayBuffer());
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file); // atomic: concurrent test processes never read a half-written file
  return new Blob([bytes]);
}

/** An in-memory PGlite started from the cached template. */
export async function createMemoryPGlite(options: PGliteOptions = {}): Promise<PGlite> {
  cached ??= template().catch((e) => {
    cached = undefined;
    throw e;
  });
  try {
    return await PGlite.create({ ...options, loadDataDir: await cached });
  } catch {
    // a corrupt cache: fall back to initdb
    return PGlite.create(options);
  }
}
