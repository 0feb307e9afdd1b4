/**
 * `nephron cohort export <cohortId> --format nnunet --contrast DIXON --out DIR`: one contrast of a cohort as an
 * nnU-Net v2 raw dataset, through the public API (GraphQL + /files), so nnU-Net can be trained on exactly the same
 * data as a baseline:
 *   DIR/dataset.json                channel_names, labels (0 background, 1 right kidney, 2 left kidney), numTraining,
 *                                   file_ending, and a "nephron" entry (contrast, protocol, each case's group and split)
 *   DIR/imagesTr/<code>_<XXXX>.nii.gz, DIR/labelsTr/<code>.nii.gz     TRAIN and VALIDATION subjects with a mask
 *   DIR/imagesTs/<code>_<XXXX>.nii.gz, DIR/labelsTs/<code>.nii.gz     TEST subjects (and any without a mask; labelsTs
 *                                   only where there is one: nnU-Net ignores it, evaluation scripts use it)
 *   DIR/splits_final.json           one fold: train = TRAIN, val = VALIDATION (copy it to nnUNet_preprocessed/<dataset>/
 *                                   to train nnU-Net on nephron's split instead of its own 5 folds)
 * Each channel is a float32 3D NIfTI with the series' affine, each mask uint8 3D. `nephron cohort import` of DIR reads
 * it back with the same voxels, masks, groups and splits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readNiftiImage, writeNiftiChannel } from '../data/nifti';
import { str, usageError, type Command } from './args';
import { NephronClient } from './client';

interface ExportSubject {
  code: string;
  group: string;
  split: 'TRAIN' | 'VALIDATION' | 'TEST';
  series: { id: string; contrast: string; hasMask: boolean }[];
}

const SUBJECTS = `query($id: ID!, $after: String) { cohort(id: $id) { name contrasts { kind channels protocol }
  subjects(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { code group split series { id contrast hasMask } } } } } }`;

export const cohortExport: Command = {
  name: 'cohort export',
  summary: 'Write one contrast of a cohort as an nnU-Net raw dataset (dataset.json, imagesTr, labelsTr, imagesTs), to train nnU-Net on the same data.',
  usage: '<cohortId> --format nnunet --contrast DIXON --out DIR',
  help: `  --format nnunet   the layout (only nnunet)
  --contrast KIND   the contrast to export (DIXON, T1_MAP, T2_MAP, BOLD, DWI)
  --out DIR         the dataset folder, e.g. Dataset501_Kidney (created; must be empty if it exists)`,
  options: { format: { type: 'string' }, contrast: { type: 'string' }, out: { type: 'string' } },
  positionals: ['cohortId'],
  async run({ values, positionals: [cohortId], io }) {
    if (str(values.format) !== 'nnunet') throw usageError(`--format must be nnunet, got ${JSON.stringify(values.format ?? null)}`);
    const contrast = str(values.contrast)?.toUpperCase();
    if (!contrast) throw usageError('--contrast is required (nephron cohort export --help)');
    const out = str(values.out);
    if (!out) throw usageError('--out is required (nephron cohort export --help)');
    if (fs.existsSync(out) && fs.readdirSync(out).length) throw usageError(`--out ${out} exists and is not empty`);
    const client = NephronClient.from(values, io);
    const subjects: ExportSubject[] = [];
    let cohort: { name: string; contrasts: { kind: string; channels: string[]; protocol: unknown }[] } | null = null;
    for (let after: string | null = null; ;) {
      const page: any = (await client.request(SUBJECTS, { id: cohortId, after })).cohort;
      if (!page) throw usageError(`no cohort with id ${JSON.stringify(cohortId)}`);
      cohort = page;
      subjects.push(...page.subjects.edges.map((e: { node: ExportSubject }) => e.node));
      if (!page.subjects.pageInfo.hasNextPage) break;
      after = page.subjects.pageInfo.endCursor;
    }
    const info = cohort!.contrasts.find((c) => c.kind === contrast);
    if (!info) throw usageError(`cohort ${cohortId} has no ${contrast} (it has ${cohort!.contrasts.map((c) => c.kind).join(', ')})`);
    for (const dir of ['imagesTr', 'labelsTr', 'imagesTs', 'labelsTs']) fs.mkdirSync(path.join(out, dir), { recursive: true });
    let numTraining = 0;
    const meta: Record<string, { group: string; split: string }> = {};
    for (const s of subjects) {
      const series = s.series.find((x) => x.contrast === contrast);
      if (!series) continue;
      const training = s.split !== 'TEST' && series.hasMask;
      const [images, labels] = training ? ['imagesTr', 'labelsTr'] : ['imagesTs', 'labelsTs'];
      const img = await readNiftiImage(new Uint8Array(await client.getBytes(`/files/series/${series.id}.nii.gz`)), `${s.code} ${contrast}`);
      const plane = img.width * img.height * img.slices;
      for (let c = 0; c < img.channels; c++) {
        const file = path.join(out, images, `${s.code}_${String(c).padStart(4, '0')}.nii.gz`);
        fs.writeFileSync(
          file,
          writeNiftiChannel(img.data.subarray(c * plane, (c + 1) * plane), {
            ...img,
            protocol: { affine: img.affine },
            description: `nephron ${contrast} ${info.channels[c]}`,
          }),
        );
      }
      if (series.hasMask) fs.writeFileSync(path.join(out, labels, `${s.code}.nii.gz`), await client.getBytes(`/files/series/${series.id}/mask.nii.gz`));
      if (training) numTraining++;
      meta[s.code] = { group: s.group, split: s.split };
    }
    const dataset = {
      channel_names: Object.fromEntries(info.channels.map((name, i) => [String(i), name])),
      labels: { background: 0, right_kidney: 1, left_kidney: 2 },
      numTraining,
      file_ending: '.nii.gz',
      name: cohort!.name,
      description: `nephron cohort ${cohortId} (${cohort!.name}), contrast ${contrast}`,
      nephron: { cohortId, contrast, protocol: info.protocol, subjects: meta },
    };
    fs.writeFileSync(path.join(out, 'dataset.json'), `${JSON.stringify(dataset, null, 2)}\n`);
    const fold = {
      train: subjects.filter((s) => s.split === 'TRAIN' && meta[s.code]).map((s) => s.code),
      val: subjects.filter((s) => s.split === 'VALIDATION' && meta[s.code]).map((s) => s.code),
    };
    fs.writeFileSync(path.join(out, 'splits_final.json'), `${JSON.stringify([fold], null, 2)}\n`);
    io.err.write(
      `${contrast} of ${Object.keys(meta).length} subjects written to ${out} (${numTraining} in imagesTr, ${Object.keys(meta).length - numTraining} in imagesTs)\n`,
    );
    io.out.write(`${out}\n`);
    return 0;
  },
};
