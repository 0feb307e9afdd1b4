/**
 * Where importCohort may read: only under NEPHRON_IMPORT_ROOT. The requested directory and every file opened
 * (subjects.csv, subject directories, images, masks, JSON sidecars) are resolved with realpath and must lie under
 * the root's realpath, so `..`, absolute paths elsewhere and symbolic links leading out (to a file or a directory,
 * at any depth, in a chain) are refused. Symbolic links that stay inside the root are fine.
 *
 * Paths are taken literally: nothing is URL-decoded, so "%2e%2e" is just a (missing) name. Files are then opened by
 * their resolved path, not through the link. What is left is a race with someone swapping links under the root
 * between the check and the read; whoever can write the import root can do that, and they are trusted anyway.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImportError';
  }
}

/** The import root and a directory under it, both as real paths, and the directory relative to the root. */
export interface ImportPlace {
  root: string;
  dir: string;
  relative: string;
}

const OUTSIDE = 'leads outside the import root (symbolic link)';

const insideRoot = (root: string, q: string) => q === root || q.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Resolves `requested` inside `root`: no "..", no absolute path outside it, no symlink leading out of it. */
export async function resolveImportDir(root: string, requested: string): Promise<ImportPlace> {
  const p = (requested ?? '').trim();
  if (!p) throw new ImportError(p, 'path is empty');
  // NUL and other control characters are never part of a directory someone meant to name
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new ImportError(JSON.stringify(p), 'path contains control characters');
  if (p.split(/[\\/]+/).includes('..')) throw new ImportError(p, 'path must not contain ".." segments');
  const realRoot = await fs.realpath(root).catch(() => {
    throw new ImportError(p, `the import root NEPHRON_IMPORT_ROOT=${root} does not exist`);
  });
  const target = path.resolve(realRoot, p); // an absolute `p` stays itself
  if (path.isAbsolute(p) && !insideRoot(realRoot, target) && !insideRoot(path.resolve(root), target)) {
    throw new ImportError(p, 'absolute path outside the import root');
  }
  const real = await fs.realpath(target).catch(() => {
    throw new ImportError(p, 'no such directory under the import root');
  });
  if (!insideRoot(realRoot, real)) throw new ImportError(p, `path ${OUTSIDE}`);
  const stat = await fs.stat(real);
  if (!stat.isDirectory()) throw new ImportError(p, 'not a directory');
  return { root: realRoot, dir: real, relative: path.relative(realRoot, real) || '.' };
}

/**
 * The real path of `file` (`name`: how errors call it, relative to the root), or null when it does not exist (or
 * is a dangling link). Throws when it resolves outside the import root.
 */
export async function confinedPath(root: string, file: string, name: string): Promise<string | null> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    return null;
  }
  if (!insideRoot(root, real)) throw new ImportError(name, OUTSIDE);
  return real;
}
