/**
 * The NIfTI import layout (README "Importing a cohort"), checked before any voxel is read:
 *   <dir>/subjects.csv                 header code,group[,split]; one row per subject
 *   <dir>/<code>/<CONTRAST>.nii[.gz]   4D float/int image (x, y, slice, channel)
 *   <dir>/<code>/<CONTRAST>_mask.nii[.gz]  3D labels 0 background, 1 right kidney, 2 left kidney
 *   <dir>[/<code>]/<CONTRAST>.json     optional {"channels": [...], "protocol": {...}} (or just the array)
 * Every problem is an ImportError naming the file (relative to the import root) and the reason. Every file is opened
 * by its real path, checked to lie under the import root (./import-paths.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { splitSizes } from '../data/phantom';
import { hashSeed, Rng } from '../data/random';
import { CONTRAST_KINDS, SUBJECT_GROUPS, type ContrastKindName, type SubjectGroupName } from '../data/volume';
import { confinedPath, ImportError, type ImportPlace } from './import-paths';

export { ImportError, resolveImportDir, type ImportPlace } from './import-paths';

const SPLITS = ['TRAIN', 'VALIDATION', 'TEST'] as const;
type SplitName = (typeof SPLITS)[number];

export interface ImportRow {
  code: string;
  group: SubjectGroupName;
  split: SplitName;
}

export interface SeriesFiles {
  contrast: ContrastKindName;
  image: string;
  mask: string;
  /** Real paths of the image and the mask, checked to be under the import root: what the reader opens. */
  imagePath: string;
  maskPath: string;
  channelNames: string[] | null;
  channelNamesFile: string | null;
  protocol: Record<string, unknown> | null;
}

export interface ImportPlan {
  dir: string;
  /** The directory relative to the import root (the cohort's source). */
  relative: string;
  rows: ImportRow[];
  contrasts: ContrastKindName[];
  /** Per subject code, one entry per contrast, in `contrasts` order. */
  files: Map<string, SeriesFiles[]>;
}

/** Minimal CSV: comma-separated, optional double quotes around a field, blank lines ignored. */
function parseCsvLine(line: string): string[] {
  return line.split(',').map((f) =>
    f
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim(),
  );
}

export function parseSubjectsCsv(text: string, file: string, seedName: string): ImportRow[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l, i) => ({ l, n: i + 1 }))
    .filter((x) => x.l.trim() !== '');
  if (!lines.length) throw new ImportError(file, 'empty file: expected a header "code,group[,split]"');
  const header = parseCsvLine(lines[0].l).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('code') < 0 || col('group') < 0 || header.some((h) => !['code', 'group', 'split'].includes(h)) || new Set(header).size !== header.length) {
    throw new ImportError(file, `bad header "${lines[0].l.trim()}": expected the columns code, group and optionally split`);
  }
  const rows: (Omit<ImportRow, 'split'> & { split: SplitName | null })[] = [];
  const seen = new Set<string>();
  for (const { l, n } of lines.slice(1)) {
    const f = parseCsvLine(l);
    if (f.length !== header.length) throw new ImportError(file, `line ${n}: ${f.length} fields, expected ${header.length}`);
    const code = f[col('code')];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(code))
      throw new ImportError(file, `line ${n}: subject code ${JSON.stringify(code)} must be 1–64 letters, digits, ".", "_" or "-"`);
    if (seen.has(code)) throw new ImportError(file, `line ${n}: duplicate subject code ${code}`);
    seen.add(code);
    const group = f[col('group')].toUpperCase() as SubjectGroupName;
    if (!SUBJECT_GROUPS.includes(group))
      throw new ImportError(file, `line ${n}: unknown group ${JSON.stringify(f[col('group')])} (expected one of ${SUBJECT_GROUPS.join(', ')})`);
    const splitText = col('split') >= 0 ? f[col('split')].toUpperCase() : '';
    if (splitText && !SPLITS.includes(splitText as SplitName))
      throw new ImportError(file, `line ${n}: unknown split ${JSON.stringify(f[col('split')])} (expected ${SPLITS.join(', ')} or empty)`);
    rows.push({ code, group, split: (splitText || null) as SplitName | null });
  }
  if (!rows.length) throw new ImportError(file, 'no subjects: the cohort would be empty');
  return assignMissingSplits(rows, seedName);
}

/** Rows without a split get a seeded split of themselves, 58/6/15-proportional and stratified healthy vs patients. */
export function assignMissingSplits(rows: (Omit<ImportRow, 'split'> & { split: SplitName | null })[], seedName: string): ImportRow[] {
  const missing = rows.filter((r) => !r.split);
  if (missing.length) {
    const rng = Rng.from(hashSeed(0, 'import-split', seedName));
    const sizes = splitSizes(missing.length);
    const strata = [missing.filter((r) => r.group === 'HEALTHY'), missing.filter((r) => r.group !== 'HEALTHY')];
    // largest-remainder allocation of validation/test places per stratum
    const share = (total: number) => {
      const exact = strata.map((s) => (total * s.length) / missing.length);
      const out = exact.map(Math.floor);
      let left = total - out.reduce((a, b) => a + b, 0);
      exact
        .map((e, i) => ({ i, r: e - out[i] }))
        .sort((a, b) => b.r - a.r || a.i - b.i)
        .forEach((o) => left-- > 0 && out[o.i]++);
      return out;
    };
    const val = share(sizes.validation);
    const test = share(sizes.test);
    strata.forEach((s, i) => {
      rng.shuffle([...s]).forEach((r, k) => (r.split = k < val[i] ? 'VALIDATION' : k < val[i] + test[i] ? 'TEST' : 'TRAIN'));
    });
  }
  return rows as ImportRow[];
}

async function readSidecar(root: string, file: string, name: string): Promise<{ channels: string[]; protocol: Record<string, unknown> | null } | null> {
  const real = await confinedPath(root, file, name);
  if (!real) return null;
  let text: string;
  try {
    text = await fs.readFile(real, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ImportError(name, `not valid JSON (${(e as Error).message})`);
  }
  const obj = Array.isArray(json) ? { channels: json } : (json as { channels?: unknown; protocol?: unknown });
  if (!obj || !Array.isArray(obj.channels) || !obj.channels.every((c) => typeof c === 'string' && c.trim())) {
    throw new ImportError(name, 'expected {"channels": ["…", …], "protocol": {…}} or an array of channel names');
  }
  const protocol = obj.protocol && typeof obj.protocol === 'object' && !Array.isArray(obj.protocol) ? (obj.protocol as Record<string, unknown>) : null;
  return { channels: obj.channels as string[], protocol };
}

const NIFTI_RE = /^([A-Z0-9_]+?)(_mask)?\.nii(\.gz)?$/;

/** Reads subjects.csv and lists every subject's files; checks that each contrast is complete for every subject. */
export async function scanImportDir({ root, dir, relative }: ImportPlace, seedName: string): Promise<ImportPlan> {
  const rel = (...parts: string[]) => path.join(relative === '.' ? '' : relative, ...parts);
  const missingCsv = () => new ImportError(rel('subjects.csv'), 'missing: the directory needs a subjects.csv with the columns code,group[,split]');
  const csvPath = await confinedPath(root, path.join(dir, 'subjects.csv'), rel('subjects.csv'));
  if (!csvPath) throw missingCsv();
  const csvText = await fs.readFile(csvPath, 'utf8').catch(() => {
    throw missingCsv();
  });
  const rows = parseSubjectsCsv(csvText, rel('subjects.csv'), seedName);
  const found = new Map<string, Map<ContrastKindName, { image?: string; mask?: string }>>();
  const subjectDirs = new Map<string, string>();
  for (const row of rows) {
    const missingDir = () => new ImportError(rel(row.code), 'subject directory missing (listed in subjects.csv)');
    const subjectDir = await confinedPath(root, path.join(dir, row.code), rel(row.code));
    if (!subjectDir) throw missingDir();
    subjectDirs.set(row.code, subjectDir);
    const entries = await fs.readdir(subjectDir, { withFileTypes: true }).catch(() => {
      throw missingDir();
    });
    const byContrast = new Map<ContrastKindName, { image?: string; mask?: string }>();
    for (const e of entries) {
      const m = NIFTI_RE.exec(e.name);
      if (!m) continue; // sidecars and unrelated files
      const contrast = m[1] as ContrastKindName;
      if (!CONTRAST_KINDS.includes(contrast))
        throw new ImportError(rel(row.code, e.name), `unknown contrast ${m[1]} (expected one of ${CONTRAST_KINDS.join(', ')})`);
      const slot = byContrast.get(contrast) ?? {};
      const kind = m[2] ? 'mask' : 'image';
      if (slot[kind]) throw new ImportError(rel(row.code, e.name), `two ${kind} files for ${contrast} (${slot[kind]} and ${e.name})`);
      slot[kind] = e.name;
      byContrast.set(contrast, slot);
    }
    found.set(row.code, byContrast);
  }
  const contrasts = CONTRAST_KINDS.filter((c) => rows.some((r) => found.get(r.code)!.has(c)));
  if (!contrasts.length) throw new ImportError(rel(rows[0].code), 'no NIfTI series (<CONTRAST>.nii or .nii.gz) in any subject directory');
  const files = new Map<string, SeriesFiles[]>();
  const rootSidecars = new Map<ContrastKindName, Awaited<ReturnType<typeof readSidecar>>>();
  for (const c of contrasts) rootSidecars.set(c, await readSidecar(root, path.join(dir, `${c}.json`), rel(`${c}.json`)));
  for (const row of rows) {
    const list: SeriesFiles[] = [];
    for (const c of contrasts) {
      const slot = found.get(row.code)!.get(c);
      if (!slot?.image) {
        const have = rows.filter((r) => found.get(r.code)!.get(c)?.image).map((r) => r.code);
        throw new ImportError(
          rel(row.code, `${c}.nii.gz`),
          `missing: contrast ${c} must exist for every subject (present for ${have.slice(0, 5).join(', ')}${have.length > 5 ? ', …' : ''})`,
        );
      }
      if (!slot.mask) throw new ImportError(rel(row.code, `${c}_mask.nii.gz`), `missing: every series needs its mask (${slot.image} has none)`);
      const subjectDir = subjectDirs.get(row.code)!;
      const own = await readSidecar(root, path.join(subjectDir, `${c}.json`), rel(row.code, `${c}.json`));
      const real = async (file: string) => {
        const p = await confinedPath(root, path.join(subjectDir, file), rel(row.code, file));
        if (!p) throw new ImportError(rel(row.code, file), 'cannot be read (a dangling symbolic link?)');
        return p;
      };
      const sidecar = own ?? rootSidecars.get(c) ?? null;
      list.push({
        contrast: c,
        image: slot.image,
        mask: slot.mask,
        imagePath: await real(slot.image),
        maskPath: await real(slot.mask),
        channelNames: sidecar?.channels ?? null,
        channelNamesFile: own ? rel(row.code, `${c}.json`) : sidecar ? rel(`${c}.json`) : null,
        protocol: sidecar?.protocol ?? null,
      });
    }
    files.set(row.code, list);
  }
  return { dir, relative, rows, contrasts, files };
}
