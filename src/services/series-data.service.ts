/**
 * Pixel data of stored series: loading a series as a SeriesVolume (runners), NIfTI export of a series or its mask
 * (the /files routes and exportCohortToDirectory, which writes the import layout), and slice PNGs (/images).
 * CPU work (inflate, gzip, rendering) runs in the worker pool; this class only fetches blobs and rows.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { BlobStore } from '../data/blob-store';
import { decodeMask, decodeVolume } from '../data/encoding';
import type { SeriesVolume } from '../data/volume';
import { AppError, badInput, isUuid, notFound } from '../errors';
import { Cohort } from '../schema/cohort.entity';
import { SubjectScoreRecord } from '../schema/evaluation.entity';
import { Run } from '../schema/run.entity';
import { Series } from '../schema/series.entity';
import { Subject } from '../schema/subject.entity';
import type { ConstraintMapService } from './constraint-maps.service';
import { transferOf, type WorkerPool } from './workers/pool';

/** mask: the manual labels; constraints: the PAPER constraint maps; { runId }: that run's predicted labels. */
export type SliceOverlay = 'mask' | 'constraints' | { runId: string } | null;

const orientationOf = (s: Series): 'coronal' | 'axial' => (s.orientation === 'LPS' ? 'axial' : 'coronal');

export class SeriesDataService {
  constructor(
    private readonly ds: DataSource,
    readonly blobs: BlobStore,
    private readonly pool: WorkerPool,
    private readonly constraintMaps: ConstraintMapService,
  ) {}

  async require(id: string): Promise<Series> {
    const s = isUuid(id) ? await this.ds.getRepository(Series).findOneBy({ id }) : null;
    if (!s) throw notFound('series', id);
    return s;
  }

  /** The series as the runners use it: decoded voxels, mask, channel names, spacing and the cohort's protocol. */
  async loadVolume(series: Series): Promise<SeriesVolume> {
    const [data, mask, cohort] = await Promise.all([
      this.blobs.get(series.dataBlobKey),
      series.maskBlobKey ? this.blobs.get(series.maskBlobKey) : null,
      this.ds.getRepository(Cohort).findOneBy({ id: series.cohortId }),
    ]);
    const v = decodeVolume(data);
    const protocol = cohort?.contrasts.find((c) => c.kind === series.contrast)?.protocol ?? {};
    return {
      ...v,
      contrast: series.contrast,
      channelNames: series.channels,
      spacingMm: series.spacingMm as [number, number, number],
      protocol: { ...protocol, ...(series.affine ? { affine: series.affine } : {}) },
      mask: mask ? decodeMask(mask).mask : null,
    };
  }

  /** .nii.gz bytes of the image (float32 4D) or the mask (uint8 3D); null when the series has no mask. */
  async nifti(series: Series, what: 'image' | 'mask'): Promise<Uint8Array | null> {
    const key = what === 'image' ? series.dataBlobKey : series.maskBlobKey;
    if (!key) return null;
    const bytes = await this.blobs.get(key);
    return this.pool.run(
      'writeNifti',
      {
        bytes,
        isMask: what === 'mask',
        spacingMm: series.spacingMm as [number, number, number],
        affine: series.affine,
        orientation: orientationOf(series),
        contrast: series.contrast,
      },
      transferOf(bytes),
    );
  }

  /** A PNG of one slice and channel, with the mask or the (cached) PAPER constraint maps as overlay. */
  async renderSlice(series: Series, slice: number, channel: number, overlay: SliceOverlay): Promise<Uint8Array> {
    if (!Number.isInteger(slice) || slice < 0 || slice >= series.slices) throw badInput(`slice ${slice} outside 0..${series.slices - 1}`, 'slice');
    if (!Number.isInteger(channel) || channel < 0 || channel >= series.channels.length) {
      throw badInput(`channel ${channel} outside 0..${series.channels.length - 1} (${series.channels.join(', ')})`, 'channel');
    }
    let overlayRead: Promise<Uint8Array> | null = null;
    if (overlay === 'mask') {
      if (!series.maskBlobKey) throw badInput('this series has no mask', 'overlay');
      overlayRead = this.blobs.get(series.maskBlobKey);
    } else if (overlay === 'constraints') {
      overlayRead = this.constraintMaps.blob(series).then((b) => b.bytes);
    } else if (overlay) {
      const key = await this.predictionKey(await this.requireRun(overlay.runId), series);
      overlayRead = this.blobs.get(key);
    }
    const overlayKind = overlay && typeof overlay === 'object' ? 'mask' : overlay;
    const [data, overlayBytes] = await Promise.all([this.blobs.get(series.dataBlobKey), overlayRead]);
    return this.pool.run(
      'renderSlice',
      { data, slice, channel, overlay: overlayBytes, overlayKind },
      transferOf(data, ...(overlayBytes ? [overlayBytes] : [])),
    );
  }

  /** A fine-tuning run's predicted labels for a test subject, as .nii.gz in the geometry of the subject's series. */
  async predictionNifti(runId: string, subjectId: string): Promise<{ bytes: Uint8Array; series: Series }> {
    const run = await this.requireRun(runId);
    const series = isUuid(subjectId) ? await this.ds.getRepository(Series).findOneBy({ subjectId, contrast: run.contrast }) : null;
    if (!series) throw notFound(`${run.contrast} series of subject`, subjectId);
    const bytes = await this.blobs.get(await this.predictionKey(run, series));
    const nifti = await this.pool.run(
      'writeNifti',
      {
        bytes,
        isMask: true,
        spacingMm: series.spacingMm as [number, number, number],
        affine: series.affine,
        orientation: orientationOf(series),
        contrast: series.contrast,
      },
      transferOf(bytes),
    );
    return { bytes: nifti, series };
  }

  private async requireRun(runId: string): Promise<Run> {
    const run = isUuid(runId) ? await this.ds.getRepository(Run).findOneBy({ id: runId }) : null;
    if (!run) throw notFound('run', runId);
    return run;
  }

  /** The blob key of a run's prediction for the subject of `series`; the run must have evaluated that subject. */
  private async predictionKey(run: Run, series: Series): Promise<string> {
    if (run.contrast !== series.contrast) {
      throw badInput(`run ${run.id} segments ${run.contrast}, this series is ${series.contrast}`, 'overlay');
    }
    const score = await this.ds.getRepository(SubjectScoreRecord).findOneBy({ runId: run.id, subjectId: series.subjectId });
    if (!score?.predictionBlobKey) {
      throw new AppError('NOT_FOUND', `run ${run.id} has no prediction for this subject (only a SUCCEEDED fine-tuning run's TEST subjects have one)`);
    }
    return score.predictionBlobKey;
  }

  /**
   * Writes a cohort in the import layout: subjects.csv (code,group,split), <CONTRAST>.json (channels, protocol)
   * and <code>/<CONTRAST>.nii.gz + <CONTRAST>_mask.nii.gz. Importing the directory gives the same fingerprint.
   */
  async exportCohortToDirectory(cohortId: string, dir: string): Promise<void> {
    const cohort = isUuid(cohortId) ? await this.ds.getRepository(Cohort).findOneBy({ id: cohortId }) : null;
    if (!cohort) throw notFound('cohort', cohortId);
    const subjects = await this.ds.getRepository(Subject).find({ where: { cohortId }, order: { code: 'ASC' } });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'subjects.csv'), ['code,group,split', ...subjects.map((s) => `${s.code},${s.group},${s.split}`)].join('\n') + '\n');
    for (const c of cohort.contrasts) {
      await fs.writeFile(path.join(dir, `${c.kind}.json`), JSON.stringify({ channels: c.channels, protocol: c.protocol }, null, 2) + '\n');
    }
    for (const subject of subjects) {
      await fs.mkdir(path.join(dir, subject.code), { recursive: true });
      for (const series of await this.ds.getRepository(Series).find({ where: { subjectId: subject.id } })) {
        await fs.writeFile(path.join(dir, subject.code, `${series.contrast}.nii.gz`), (await this.nifti(series, 'image'))!);
        const mask = await this.nifti(series, 'mask');
        if (mask) await fs.writeFile(path.join(dir, subject.code, `${series.contrast}_mask.nii.gz`), mask);
      }
    }
  }
}
