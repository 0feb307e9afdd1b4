/** `nephron cohort create-synthetic | import | list | export`: cohorts through the public API. */
import { integer, str, type Command } from './args';
import { NephronClient } from './client';
import { cohortExport } from './cohort-export';
import { textTable } from './text';

const COHORT_FIELDS = `id name source subjectCount contrasts { kind }
  train: subjects(split: TRAIN) { totalCount } validation: subjects(split: VALIDATION) { totalCount } test: subjects(split: TEST) { totalCount }`;

interface CohortRow {
  id: string;
  name: string;
  source: string;
  subjectCount: number;
  contrasts: { kind: string }[];
  train: { totalCount: number };
  validation: { totalCount: number };
  test: { totalCount: number };
}

const split = (c: CohortRow) => `${c.train.totalCount}/${c.validation.totalCount}/${c.test.totalCount}`;

function describe(c: CohortRow): string {
  return `cohort ${c.id} "${c.name}": ${c.subjectCount} subjects (train/validation/test ${split(c)}), contrasts ${c.contrasts.map((k) => k.kind).join(', ')}\n`;
}

const createSynthetic: Command = {
  name: 'cohort create-synthetic',
  summary: 'Generate a synthetic phantom cohort on the server (same seed, same data) and print its id.',
  usage: '[--subjects 79] [--seed 2093] [--size 32|64|128|256] [--slices N] [--name NAME]',
  help: `  --subjects N     subjects (3–400, default 79)
  --seed N         generator seed (default 2093, the default cohort's)
  --size N         in-plane size (default of the generator: 128)
  --slices N       slices per series (default of the generator)
  --name NAME      default synthetic-<subjects>-<seed>`,
  options: { subjects: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' }, slices: { type: 'string' }, name: { type: 'string' } },
  async run({ values, io }) {
    const subjects = integer(values.subjects ?? '79', 'subjects');
    const seed = integer(values.seed ?? '2093', 'seed');
    const input = {
      name: str(values.name) ?? `synthetic-${subjects}-${seed}`,
      subjects,
      seed,
      ...(values.size !== undefined ? { size: integer(values.size, 'size') } : {}),
      ...(values.slices !== undefined ? { slices: integer(values.slices, 'slices') } : {}),
    };
    const client = NephronClient.from(values, io);
    io.err.write(`generating ${subjects} subjects (seed ${seed}) on ${client.url} …\n`);
    const { createSyntheticCohort: c } = await client.request<{ createSyntheticCohort: CohortRow }>(
      `mutation($input: SyntheticCohortInput!) { createSyntheticCohort(input: $input) { ${COHORT_FIELDS} } }`,
      { input },
    );
    io.err.write(describe(c));
    io.out.write(`${c.id}\n`);
    return 0;
  },
};

const importCohort: Command = {
  name: 'cohort import',
  summary: "Import a NIfTI cohort directory (relative to the server's NEPHRON_IMPORT_ROOT; layout in README.md) and print its id.",
  usage: '<dir> [--name NAME] [--map DIXON | --map DIXON=0,1;T1_MAP=2]',
  help: `  --name NAME      default: the directory name
  --map MAPPING    nnU-Net datasets: the contrast of the channels (DIXON: all of them), or which channel_names keys
                   make which contrast (DIXON=0,1;T1_MAP=2); not needed for a dataset nephron exported`,
  options: { name: { type: 'string' }, map: { type: 'string' } },
  positionals: ['dir'],
  async run({ values, positionals: [dir], io }) {
    const name = str(values.name) ?? (dir.replace(/\/+$/, '').split('/').pop() || dir);
    const client = NephronClient.from(values, io);
    const mapping = str(values.map);
    const channelMapping = mapping
      ? mapping.split(';').map((part) => {
          const [contrast, channels] = part.split('=').map((x) => x.trim());
          return { contrast: contrast.toUpperCase(), ...(channels ? { channels: channels.split(',').map((k) => k.trim()) } : {}) };
        })
      : undefined;
    const { importCohort: c } = await client.request<{ importCohort: CohortRow }>(
      `mutation($input: ImportCohortInput!) { importCohort(input: $input) { ${COHORT_FIELDS} } }`,
      {
        input: { name, path: dir, ...(channelMapping ? { channelMapping } : {}) },
      },
    );
    io.err.write(describe(c));
    io.out.write(`${c.id}\n`);
    return 0;
  },
};

const list: Command = {
  name: 'cohort list',
  summary: 'List the cohorts: id, name, subjects, train/validation/test split, contrasts.',
  usage: '[--json]',
  help: '  --json           the cohorts as JSON',
  options: { json: { type: 'boolean' } },
  async run({ values, io }) {
    const { cohorts } = await NephronClient.from(values, io).request<{ cohorts: CohortRow[] }>(`{ cohorts { ${COHORT_FIELDS} } }`);
    if (values.json) {
      io.out.write(`${JSON.stringify(cohorts, null, 2)}\n`);
      return 0;
    }
    if (!cohorts.length) {
      io.err.write('no cohorts yet (nephron cohort create-synthetic, or the server generates synthetic-79 at its first start)\n');
      return 0;
    }
    const rows = cohorts.map((c) => [c.id, c.name, String(c.subjectCount), split(c), c.contrasts.map((k) => k.kind).join(','), c.source]);
    io.out.write(textTable(['id', 'name', 'subjects', 'train/val/test', 'contrasts', 'source'], rows));
    return 0;
  },
};

export const cohortCommands = [createSynthetic, importCohort, list, cohortExport];
