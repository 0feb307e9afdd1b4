/**
 * `nephron report --runs id1,id2,…` compares runs instead (./compare.ts).
 * `nephron report <sweepId>`: Table 2 with ∗, the annotation reductions and the Bland–Altman summaries, printed
 * as a table, markdown, CSV (Table 2) or JSON; `--out DIR` also writes report.md, table2.csv, report.json and the
 * PNG figures to DIR/<sweepId>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { integer, str, usageError, type Command, type Io } from './args';
import { NephronClient } from './client';
import { comparisonJson, fetchComparedRuns, formatComparison } from './compare';
import { MAX_COMPARED } from '../api/compare';
import { writeFigures } from './figures';
import { fetchReport, type ReportData } from './report-data';
import { FORMATS, formatReport, reportJson, table2Csv, type Format } from './table2';

export interface WrittenReport {
  dir: string;
  files: string[];
  /** Set when Fig. 3 could not show predictions: the server's answer for overlay=run:<id>. */
  missingPredictions?: string;
}

/** report.md (with the figures), table2.csv, report.json and the figures in `dir`. */
export async function writeReportDir(client: NephronClient, data: ReportData, dir: string, extra: string[] = []): Promise<WrittenReport> {
  fs.mkdirSync(dir, { recursive: true });
  const { figures, missingPredictions } = await writeFigures(client, data, dir);
  const notes = [...extra];
  if (missingPredictions) notes.push(`Fig. 3 lacks the predicted masks: the server answered overlay=run:<runId> with ${missingPredictions}`);
  const md = [
    formatReport(data, 'markdown'),
    notes.length ? `## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : '',
    `## Figures\n\n${figures.map((f) => `### ${f.caption}\n\n![${f.caption}](${f.file})\n`).join('\n')}`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'report.md'), md);
  fs.writeFileSync(path.join(dir, 'table2.csv'), table2Csv(data.rows));
  fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(reportJson(data), null, 2)}\n`);
  return { dir, files: ['report.md', 'table2.csv', 'report.json', ...figures.map((f) => f.file)], missingPredictions };
}

export function announceReport(io: Io, written: WrittenReport): void {
  io.err.write(`report written to ${written.dir}: ${written.files.join(', ')}\n`);
  if (written.missingPredictions) io.err.write(`note: Fig. 3 shows GT only; overlay=run:<runId> answered ${written.missingPredictions}\n`);
}

export const reportCommand: Command = {
  name: 'report',
  summary:
    "A sweep's results: Table 2 (mean test Dice by contrast and N, RANDOM vs CLC, ∗ where the corrected paired t-test has p ≤ 0.05), the annotation reductions and the Bland–Altman summaries per model.",
  usage: '<sweepId> [--format table|markdown|csv|json] [--reference-n 20] [--out DIR]  |  --runs id1,id2,… [--format table|json]',
  help: `  --format F        table (default), markdown, csv (Table 2 only) or json
  --reference-n N   reference N of the annotation reduction (default 20)
  --out DIR         also write report.md, table2.csv, report.json and the PNG figures to DIR/<sweepId>/
  --runs IDS        instead of a sweep: compare these runs (2–${MAX_COMPARED}): their metric curves on shared scales and the
                    config keys that differ, as the dashboard's comparison view`,
  options: { format: { type: 'string' }, 'reference-n': { type: 'string' }, out: { type: 'string' }, runs: { type: 'string' } },
  positionals: (values) => (values.runs === undefined ? ['sweepId'] : []),
  async run({ values, positionals: [sweepId], io }) {
    if (values.runs !== undefined) {
      const format = str(values.format) ?? 'table';
      if (format !== 'table' && format !== 'json') throw usageError(`with --runs, --format must be table or json, got ${JSON.stringify(format)}`);
      if (values.out !== undefined || values['reference-n'] !== undefined) throw usageError('--out and --reference-n are for sweep reports, not --runs');
      const runs = await fetchComparedRuns(NephronClient.from(values, io), String(values.runs));
      io.out.write(format === 'json' ? `${JSON.stringify(comparisonJson(runs), null, 2)}\n` : formatComparison(runs));
      return 0;
    }
    const format = (str(values.format) ?? 'table') as Format;
    if (!FORMATS.includes(format)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    const referenceN = integer(values['reference-n'] ?? '20', 'reference-n');
    const client = NephronClient.from(values, io);
    const data = await fetchReport(client, sweepId, referenceN);
    io.out.write(formatReport(data, format));
    if (values.out !== undefined) announceReport(io, await writeReportDir(client, data, path.join(String(values.out), data.sweep.id)));
    return 0;
  },
};
