/**
 * The mask-based baselines of a sweep's report (src/analysis/baselines.ts: resolution ceiling, location prior) per
 * (cohort, contrast, training size): the manual masks of the cohort's TRAIN and TEST subjects are read from the blob
 * store once and the numbers kept in memory, since masks never change under a stored series. The event loop gets a
 * turn between subjects (a mask decode and a resample at the training size each take milliseconds).
 */
import { In, type DataSource } from 'typeorm';
import { ceilingDice, locationPriorDice, type LabelledVolume } from '../analysis/baselines';
import type { BlobStore } from '../data/blob-store';
import { decodeMask } from '../data/encoding';
import { Split, type ContrastKind } from '../schema/enums';
import { Series } from '../schema/series.entity';
import { Subject } from '../schema/subject.entity';

export interface MaskBaselines {
  ceilingDice: number | null;
  locationPriorDice: number | null;
}

export class MaskBaselineCache {
  private readonly cache = new Map<string, Promise<MaskBaselines>>();

  constructor(
    private readonly ds: DataSource,
    private readonly blobs: BlobStore,
  ) {}

  get(cohortId: string, contrast: ContrastKind, size: number): Promise<MaskBaselines> {
    const key = `${cohortId}:${contrast}:${size}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compute(cohortId, contrast, size);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private async compute(cohortId: string, contrast: ContrastKind, size: number): Promise<MaskBaselines> {
    const subjects = await this.ds
      .getRepository(Subject)
      .find({ select: { id: true, split: true }, where: { cohortId, split: In([Split.TRAIN, Split.TEST]) } });
    const splitOf = new Map(subjects.map((s) => [s.id, s.split]));
    const series = await this.ds.getRepository(Series).find({
      select: { subjectId: true, width: true, height: true, slices: true, maskBlobKey: true },
      where: { cohortId, contrast },
      order: { subjectId: 'ASC' },
    });
    const train: LabelledVolume[] = [];
    const test: LabelledVolume[] = [];
    for (const s of series) {
      const split = splitOf.get(s.subjectId);
      if (!s.maskBlobKey || (split !== Split.TRAIN && split !== Split.TEST)) continue;
      const m = decodeMask(await this.blobs.get(s.maskBlobKey));
      (split === Split.TRAIN ? train : test).push({ mask: m.mask, width: m.width, height: m.height, slices: m.slices });
      await new Promise((r) => setImmediate(r));
    }
    return { ceilingDice: ceilingDice(test, size), locationPriorDice: locationPriorDice(train, test, size) };
  }
}
