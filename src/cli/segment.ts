/**
 * `nephron segment --run <id> --in scan.nii.gz [--out mask.nii.gz]`: a new scan through a trained fine-tuning run
 * (POST /api/runs/<id>/segment). Prints the kidney volumes; writes the mask (labels 0/1/2 on the scan's grid and
 * affine) to --out, by default beside the scan as <scan>_mask-<run>.nii.gz.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError, str, usageError, type Command } from './args';
import { NephronClient } from './client';
import { textTable } from './text';

export function defaultMaskPath(input: string, runId: string): string {
  const base = path.basename(input).replace(/\.nii(\.gz)?$/i, '');
  return path.join(path.dirname(input), `${base}_mask-${runId.slice(0, 8)}.nii.gz`);
}

export const segmentCommand: Command = {
  name: 'segment',
  summary: "Segment a scan with a SUCCEEDED fine-tuning run's model: print the kidney volumes (mL) and write the mask as NIfTI.",
  usage: '--run <runId> --in scan.nii[.gz] [--out mask.nii.gz] [--json]',
  help: `  --run ID          the fine-tuning run (its best checkpoint and its preprocessing)
  --in FILE         NIfTI image in the layout of the run's contrast (channels as the 4th dimension)
  --out FILE        where the mask goes (default: <scan>_mask-<run>.nii.gz beside the scan)
  --json            print {volumesMl, shape, mask} as JSON`,
  options: { run: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  async run({ values, io }) {
    const runId = str(values.run);
    const input = str(values.in);
    if (!runId) throw usageError('--run is required (nephron segment --help)');
    if (!input) throw usageError('--in is required (nephron segment --help)');
    let scan: Buffer;
    try {
      scan = fs.readFileSync(input);
    } catch (e) {
      throw new CliError('USAGE', `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
    }
    const out = str(values.out) ?? defaultMaskPath(input, runId);
    const client = NephronClient.from(values, io);
    const name = encodeURIComponent(path.basename(input));
    const { body, headers } = await client.postBytes(`/api/runs/${encodeURIComponent(runId)}/segment?name=${name}`, scan, { accept: 'application/gzip' });
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, body);
    const right = Number(headers['x-nephron-volume-right-ml']);
    const left = Number(headers['x-nephron-volume-left-ml']);
    if (values.json) {
      io.out.write(`${JSON.stringify({ runId, volumesMl: { right, left }, mask: out }, null, 2)}\n`);
    } else {
      io.out.write(
        textTable(
          ['kidney', 'volume (mL)'],
          [
            ['right', right.toFixed(2)],
            ['left', left.toFixed(2)],
            ['total', (right + left).toFixed(2)],
          ],
        ),
      );
      io.err.write(`mask written to ${out}\n`);
    }
    return 0;
  },
};
