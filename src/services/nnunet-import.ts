/**
 * importCohort of an nnU-Net raw dataset (./nnunet-layout.ts): every case's series read in the worker pool (one 3D
 * file per channel, stacked), their blobs stored through the import's BlobBatch; CohortService stores the rows
 * ./cohort-import.ts returns in one transaction or, on the first problem, removes the blobs again.
 */
import type { StoredContrast } from '../schema/cohort.entity';
import type { ContrastKind, Split, SubjectGroup } from '../schema/enums';
import { mapLimit, type BlobBatch, type CohortDataDeps } from './cohort-data';
import type { NewSeries } from './new-cohort';
import { ImportError, type ImportPlace } from './import-paths';
import { scanNnunetDir, type ChannelMapping } from './nnunet-layout';
import type { EncodedSeries } from './workers/tasks';

export interface ReadCohort {
  contrasts: StoredContrast[];
  subjects: { code: string; group: SubjectGroup; split: Split; series: NewSeries[]; hashes: Pick<EncodedSeries, 'contrast' | 'dataHash' | 'maskHash'>[] }[];
}

export async function readNnunetCohort(
  deps: CohortDataDeps,
  batch: BlobBatch,
  place: ImportPlace,
  seedName: string,
  mapping: ChannelMapping[] | null,
): Promise<ReadCohort> {
  const plan = await scanNnunetDir(place, mapping, seedName);
  const first = new Map<string, StoredContrast>();
  const subjects = await mapLimit(plan.rows, deps.pool.size, async (row) => {
    const series: NewSeries[] = [];
    const hashes: ReadCohort['subjects'][number]['hashes'] = [];
    for (const f of plan.files.get(row.code)!) {
      const x = await deps.pool.run('readNnunetSeries', f);
      if (!first.has(f.contrast)) first.set(f.contrast, { kind: f.contrast as ContrastKind, channels: x.channelNames, protocol: x.protocol });
      series.push(await batch.series(x));
      hashes.push({ contrast: x.contrast, dataHash: x.dataHash, maskHash: x.maskHash });
    }
    return { code: row.code, group: row.group as SubjectGroup, split: row.split as Split, series, hashes };
  });
  if (!subjects.some((s) => s.series.some((x) => x.maskBlobKey))) {
    throw new ImportError(place.relative === '.' ? 'labelsTr' : `${place.relative}/labelsTr`, 'no case has labels: nothing to train or evaluate on');
  }
  return { contrasts: plan.contrasts.map((c) => first.get(c)!), subjects };
}
