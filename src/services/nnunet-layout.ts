/**
 * The nnU-Net v2 raw dataset layout (nnU-Net's documentation/dataset_format.md), checked before any voxel is read:
 *   <dir>/dataset.json                     {"channel_names": {"0": "…", …}, "labels": {"background": 0, …},
 *                                           "numTraining": n, "file_ending": ".nii.gz"}
 *   <dir>/imagesTr/<case>_<XXXX><ending>    one 3D image per channel XXXX (4 digits: the channel_names key)
 *   <dir>/labelsTr/<case><ending>           3D labels of the case: 0 background, 1 right kidney, 2 left kidney
 *   <dir>/imagesTs/<case>_<XXXX><ending>    optional: cases without labels (labelsTs/<case><ending> is read if present)
 * The channels map to nephron contrasts: all of them to one contrast (`channelMapping: [{contrast}]`), or groups of
 * channel keys to several (`[{contrast: DIXON, channels: ["0", "1"]}, {contrast: T1_MAP, channels: ["2"]}]`). A
 * dataset written by `nephron cohort export --format nnunet` carries a "nephron" entry (contrast, protocol, each
 * case's group and split), so it imports back without a mapping and with its own splits.
 * Cases of imagesTr get a seeded split among themselves (as subjects.csv rows without one); imagesTs cases are TEST.
 * Every problem is an ImportError naming the file (relative to the import root).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CONTRAST_KINDS, SUBJECT_GROUPS, type ContrastKindName, type SubjectGroupName } from '../data/volume';
import { assignMissingSplits, type ImportRow } from './import-layout';
import { confinedPath, ImportError, type ImportPlace } from './import-paths';

export interface ChannelMapping {
  contrast: ContrastKindName;
  /** channel_names keys; omitted: every channel (only with a single mapping). */
  channels?: string[] | null;
}

export interface NnunetSeriesFiles {
  contrast: ContrastKindName;
  /** Real paths of the channel images, in channel order, and their names for errors (relative to the import root). */
  channelPaths: string[];
  channelFiles: string[];
  channelNames: string[];
  maskPath: string | null;
  maskFile: string | null;
  protocol: Record<string, unknown> | null;
}

export interface NnunetPlan {
  relative: string;
  rows: ImportRow[];
  contrasts: ContrastKindName[];
  files: Map<string, NnunetSeriesFiles[]>;
}

interface NephronMeta {
  contrast?: string;
  protocol?: Record<string, unknown>;
  subjects?: Record<string, { group?: string; split?: string }>;
}

/** True when the directory holds a dataset.json (then it is read as an nnU-Net dataset). */
export async function isNnunetDir(place: ImportPlace): Promise<boolean> {
  return (await confinedPath(place.root, path.join(place.dir, 'dataset.json'), 'dataset.json')) !== null;
}

const CASE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function scanNnunetDir({ root, dir, relative }: ImportPlace, mapping: ChannelMapping[] | null, seedName: string): Promise<NnunetPlan> {
  const rel = (...parts: string[]) => path.join(relative === '.' ? '' : relative, ...parts);
  const jsonName = rel('dataset.json');
  const jsonPath = await confinedPath(root, path.join(dir, 'dataset.json'), jsonName);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(await fs.readFile(jsonPath!, 'utf8'));
  } catch (e) {
    throw new ImportError(jsonName, `not valid JSON (${(e as Error).message})`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new ImportError(jsonName, 'expected a JSON object');
  const channelNames = meta.channel_names ?? meta.modality; // "modality": nnU-Net v1's name for it
  if (!channelNames || typeof channelNames !== 'object' || Array.isArray(channelNames) || !Object.keys(channelNames).length) {
    throw new ImportError(jsonName, 'channel_names is missing: expected {"0": "name of channel 0", …}');
  }
  const keys = Object.keys(channelNames).sort((a, b) => Number(a) - Number(b));
  keys.forEach((k, i) => {
    if (k !== String(i)) throw new ImportError(jsonName, `channel_names keys must be 0, 1, … in order; found ${JSON.stringify(k)}`);
    if (typeof (channelNames as Record<string, unknown>)[k] !== 'string') throw new ImportError(jsonName, `channel_names["${k}"] must be a string`);
  });
  const labels = meta.labels;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels))
    throw new ImportError(jsonName, 'labels is missing: expected {"background": 0, "right kidney": 1, "left kidney": 2}');
  const values = Object.values(labels as Record<string, unknown>);
  if (!values.includes(0) || values.some((v) => v !== 0 && v !== 1 && v !== 2)) {
    throw new ImportError(
      jsonName,
      `labels ${JSON.stringify(labels)}: nephron reads 0 background, 1 right kidney, 2 left kidney (no region-based or other labels)`,
    );
  }
  const ending = meta.file_ending ?? '.nii.gz';
  if (ending !== '.nii.gz' && ending !== '.nii') throw new ImportError(jsonName, `file_ending ${JSON.stringify(ending)}: only .nii.gz and .nii are read`);
  const nephron = (meta.nephron && typeof meta.nephron === 'object' ? meta.nephron : {}) as NephronMeta;
  const groups = resolveMapping(mapping, nephron, keys, channelNames as Record<string, string>, jsonName);

  const listCases = async (folder: string, required: boolean): Promise<Map<string, Set<string>>> => {
    const cases = new Map<string, Set<string>>();
    const real = await confinedPath(root, path.join(dir, folder), rel(folder));
    if (!real) {
      if (required) throw new ImportError(rel(folder), 'missing: an nnU-Net dataset needs imagesTr/<case>_0000' + ending);
      return cases;
    }
    for (const name of (await fs.readdir(real)).sort()) {
      if (name.startsWith('.')) continue;
      const m = name.endsWith(ending) ? /^(.+)_(\d{4})$/.exec(name.slice(0, -ending.length)) : null;
      if (!m) throw new ImportError(rel(folder, name), `not <case>_<XXXX>${ending} (the file_ending of dataset.json)`);
      if (!CASE_RE.test(m[1])) throw new ImportError(rel(folder, name), `case ${JSON.stringify(m[1])} must be 1–64 letters, digits, ".", "_" or "-"`);
      if (!keys.includes(String(Number(m[2]))))
        throw new ImportError(rel(folder, name), `channel ${m[2]} is not in channel_names of dataset.json (${keys.join(', ')})`);
      if (!cases.has(m[1])) cases.set(m[1], new Set());
      cases.get(m[1])!.add(String(Number(m[2])));
    }
    return cases;
  };
  const train = await listCases('imagesTr', true);
  const test = await listCases('imagesTs', false);
  if (!train.size && !test.size) throw new ImportError(rel('imagesTr'), 'no cases: the cohort would be empty');
  for (const c of train.keys()) if (test.has(c)) throw new ImportError(rel('imagesTs', `${c}_0000${ending}`), `case ${c} is in imagesTr too`);
  if (typeof meta.numTraining === 'number' && meta.numTraining !== train.size) {
    throw new ImportError(jsonName, `numTraining is ${meta.numTraining}, imagesTr holds ${train.size} cases`);
  }
  const labelFiles = async (folder: string, cases: Map<string, Set<string>>, required: boolean): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const real = await confinedPath(root, path.join(dir, folder), rel(folder));
    const names = real ? new Set((await fs.readdir(real)).filter((n) => !n.startsWith('.'))) : new Set<string>();
    if (!real && required && cases.size) throw new ImportError(rel(folder), 'missing: imagesTr cases need their labels in labelsTr/<case>' + ending);
    for (const n of names) {
      if (!n.endsWith(ending) || !cases.has(n.slice(0, -ending.length)))
        throw new ImportError(rel(folder, n), `no case ${n.replace(ending, '')} in ${folder.replace('labels', 'images')}`);
    }
    for (const c of cases.keys()) {
      if (names.has(c + ending)) out.set(c, path.join(real!, c + ending));
      else if (required) throw new ImportError(rel(folder, c + ending), `missing: every imagesTr case needs its labels`);
    }
    return out;
  };
  const trainLabels = await labelFiles('labelsTr', train, true);
  const testLabels = await labelFiles('labelsTs', test, false);

  const rows: (Omit<ImportRow, 'split'> & { split: ImportRow['split'] | null })[] = [];
  const own = nephron.subjects ?? {};
  for (const [cases, split] of [
    [train, null],
    [test, 'TEST'],
  ] as const) {
    for (const c of [...cases.keys()].sort()) {
      const given = own[c];
      const group = (given?.group && SUBJECT_GROUPS.includes(given.group as SubjectGroupName) ? given.group : 'OTHER') as SubjectGroupName;
      const ownSplit = given?.split && ['TRAIN', 'VALIDATION', 'TEST'].includes(given.split) ? (given.split as ImportRow['split']) : null;
      rows.push({ code: c, group, split: ownSplit ?? split });
    }
  }
  const assigned = assignMissingSplits(rows, seedName);

  const files = new Map<string, NnunetSeriesFiles[]>();
  for (const row of assigned) {
    const inTrain = train.has(row.code);
    const folder = inTrain ? 'imagesTr' : 'imagesTs';
    const have = (inTrain ? train : test).get(row.code)!;
    const maskPath = (inTrain ? trainLabels : testLabels).get(row.code) ?? null;
    const list: NnunetSeriesFiles[] = [];
    for (const g of groups) {
      const channelFiles = g.keys.map((k) => `${row.code}_${k.padStart(4, '0')}${ending}`);
      channelFiles.forEach((f, i) => {
        if (!have.has(g.keys[i])) throw new ImportError(rel(folder, f), `missing: case ${row.code} lacks channel ${g.keys[i]} (${g.names[i]})`);
      });
      const channelPaths = await Promise.all(
        channelFiles.map(async (f) => {
          const p = await confinedPath(root, path.join(dir, folder, f), rel(folder, f));
          if (!p) throw new ImportError(rel(folder, f), 'cannot be read (a dangling symbolic link?)');
          return p;
        }),
      );
      const labelFolder = inTrain ? 'labelsTr' : 'labelsTs';
      list.push({
        contrast: g.contrast,
        channelPaths,
        channelFiles: channelFiles.map((f) => rel(folder, f)),
        channelNames: g.names,
        maskPath,
        maskFile: maskPath ? rel(labelFolder, row.code + ending) : null,
        protocol: g.protocol,
      });
    }
    files.set(row.code, list);
  }
  return { relative, rows: assigned, contrasts: groups.map((g) => g.contrast), files };
}

function resolveMapping(
  mapping: ChannelMapping[] | null,
  nephron: NephronMeta,
  keys: string[],
  names: Record<string, string>,
  jsonName: string,
): { contrast: ContrastKindName; keys: string[]; names: string[]; protocol: Record<string, unknown> | null }[] {
  const given = mapping?.length ? mapping : nephron.contrast ? [{ contrast: nephron.contrast as ContrastKindName }] : null;
  if (!given) {
    throw new ImportError(
      jsonName,
      `which contrast are the channels ${keys.map((k) => `${k} (${names[k]})`).join(', ')}? Give channelMapping, e.g. [{contrast: DIXON}] for all of them`,
    );
  }
  const used = new Set<string>();
  const seen = new Set<string>();
  return given.map((m, i) => {
    if (!CONTRAST_KINDS.includes(m.contrast))
      throw new ImportError(jsonName, `unknown contrast ${JSON.stringify(m.contrast)} (expected one of ${CONTRAST_KINDS.join(', ')})`);
    if (seen.has(m.contrast)) throw new ImportError(jsonName, `contrast ${m.contrast} is mapped twice`);
    seen.add(m.contrast);
    if (!m.channels?.length && given.length > 1)
      throw new ImportError(jsonName, `channelMapping[${i}] (${m.contrast}) needs its channels when several contrasts are mapped`);
    const ks = m.channels?.length ? m.channels.map(String) : keys;
    for (const k of ks) {
      if (!keys.includes(k)) throw new ImportError(jsonName, `channelMapping[${i}]: channel ${JSON.stringify(k)} is not in channel_names (${keys.join(', ')})`);
      if (used.has(k)) throw new ImportError(jsonName, `channelMapping: channel ${k} is mapped to two contrasts`);
      used.add(k);
    }
    const protocol = nephron.contrast === m.contrast && nephron.protocol && typeof nephron.protocol === 'object' ? nephron.protocol : null;
    return { contrast: m.contrast, keys: ks, names: ks.map((k) => names[k]), protocol };
  });
}
