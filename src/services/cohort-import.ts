/**
 * importCohort: a NIfTI directory under NEPHRON_IMPORT_ROOT (layout: ./import-layout.ts, or an nnU-Net raw dataset
 * when it holds a dataset.json: ./nnunet-layout.ts; README) → checked layout
 * → every series read, validated and encoded in the worker pool → blobs → fingerprint → the NewCohort that
 * CohortService stores in one transaction. All or nothing: the first problem is a BAD_USER_INPUT naming the file and
 * the reason; CohortService removes the blobs this attempt wrote again and no row is stored.
 */
import path from 'node:path';
import { AppError, badInput } from '../errors';
import type { StoredContrast } from '../schema/cohort.entity';
import type { ContrastKind, Split, SubjectGroup } from '../schema/enums';
import { checkCohortName, fingerprintOf, mapLimit, type BlobBatch, type CohortDataDeps } from './cohort-data';
import type { NewCohort, NewSeries } from './new-cohort';
import { ImportError, resolveImportDir, scanImportDir } from './import-layout';
import { readNnunetCohort } from './nnunet-import';
import { isNnunetDir, type ChannelMapping } from './nnunet-layout';
import { TaskError } from './workers/pool';
import type { EncodedSeries } from './workers/tasks';

export interface ImportRequest {
  name: string;
  path: string;
  /** nnU-Net datasets: which channels make which contrast (./nnunet-layout.ts); ignored for the nephron layout. */
  channelMapping?: ChannelMapping[] | null;
}

const badFile = (file: string, reason: string) => new AppError('BAD_USER_INPUT', `${file}: ${reason}`, { field: 'input.path', file, reason });

/** Builds the cohort, its blobs stored through `batch` (the caller discards them if building or storing fails). */
export async function buildImportedCohort(deps: CohortDataDeps, batch: BlobBatch, req: ImportRequest): Promise<NewCohort> {
  const root = deps.config.importRoot;
  if (!root) throw badInput('this server has no import root: set NEPHRON_IMPORT_ROOT to the directory importCohort may read from', 'input.path');
  const name = await checkCohortName(deps.ds, req.name);
  try {
    const place = await resolveImportDir(root, req.path);
    const { relative } = place;
    if (await isNnunetDir(place)) {
      const read = await readNnunetCohort(deps, batch, place, name, req.channelMapping ?? null);
      return {
        name,
        source: `nnunet:${relative}`,
        fingerprint: fingerprintOf(read.subjects.map((s) => ({ code: s.code, series: s.hashes }))),
        contrasts: read.contrasts,
        subjects: read.subjects.map(({ hashes: _h, ...s }) => s),
      };
    }
    const plan = await scanImportDir(place, name);
    const channels = new Map<string, { count: number; file: string; contrast: StoredContrast }>();
    const rel = (...p: string[]) => path.join(relative === '.' ? '' : relative, ...p);
    const subjects = await mapLimit(plan.rows, deps.pool.size, async (row) => {
      const series: NewSeries[] = [];
      const hashes: Pick<EncodedSeries, 'contrast' | 'dataHash' | 'maskHash'>[] = [];
      for (const f of plan.files.get(row.code)!) {
        const imageName = rel(row.code, f.image);
        const x = await deps.pool.run('readSeries', {
          contrast: f.contrast,
          imagePath: f.imagePath, // real paths, checked to be under the import root
          maskPath: f.maskPath,
          imageName,
          maskName: rel(row.code, f.mask),
          channelNames: f.channelNames,
          channelNamesFile: f.channelNamesFile,
          protocol: f.protocol,
        });
        const first = channels.get(f.contrast);
        if (first && first.count !== x.channels) {
          throw new ImportError(imageName, `${x.channels} channels, but ${first.file} has ${first.count}: a contrast needs the same channels in every subject`);
        }
        if (!first)
          channels.set(f.contrast, {
            count: x.channels,
            file: imageName,
            contrast: { kind: f.contrast as ContrastKind, channels: x.channelNames, protocol: x.protocol },
          });
        series.push(await batch.series(x));
        hashes.push({ contrast: x.contrast, dataHash: x.dataHash, maskHash: x.maskHash });
      }
      return { code: row.code, group: row.group as SubjectGroup, split: row.split as Split, series, hashes };
    });
    return {
      name,
      source: `nifti:${relative}`,
      fingerprint: fingerprintOf(subjects.map((s) => ({ code: s.code, series: s.hashes }))),
      contrasts: plan.contrasts.map((c) => channels.get(c)!.contrast),
      subjects: subjects.map(({ hashes: _h, ...s }) => s),
    };
  } catch (e) {
    if (e instanceof ImportError) throw badFile(e.file, e.reason);
    if (e instanceof TaskError && e.file && e.reason) throw badFile(e.file, e.reason);
    throw e;
  }
}
