/**
 * Using a trained model (issue 17): a SUCCEEDED fine-tuning run segments a scan with the weights its evaluation
 * used (`weightsBlobKey`: the best-validation checkpoint) and its own preprocessing (./workers/segment-scan.ts), in
 * the segmentation worker thread (./workers/segmenter.ts).
 * - `segmentUpload`: a NIfTI image (POST /api/runs/:id/segment). Answers the mask on the upload's grid; stores a
 *   Segmentation row and its mask blob only when asked (`store`, for the JSON answer's maskUrl).
 * - `segmentSeries`: a stored series of the run's contrast; stores the prediction and its volumes on the series
 *   (one Segmentation per series and run, replaced when segmented again).
 * Inputs it cannot use are BAD_USER_INPUT naming the reason, checked before anything is written.
 */
import { In, type DataSource } from 'typeorm';
import type { BlobStore } from '../data/blob-store';
import { affineFor } from '../data/nifti';
import { AppError, badInput, conflict, isUuid, notFound } from '../errors';
import type { FinetuneRunConfig } from '../ml/presets';
import { Cohort } from '../schema/cohort.entity';
import { Run } from '../schema/run.entity';
import { Segmentation } from '../schema/segmentation.entity';
import { Series } from '../schema/series.entity';
import { TaskError, transferOf, type WorkerPool } from './workers/pool';
import type { SegmentRequest, SegmentResult, Segmenter } from './workers/segmenter';

/** Where a stored segmentation's mask is served (src/server/segment-route.ts), relative to the server. */
export const maskUrl = (segmentationId: string) => `/files/segmentations/${segmentationId}/mask.nii.gz`;

/** A .nii.gz upload may inflate to this many times NEPHRON_SEGMENT_MAX_MB (float scans compress 2–4×). */
const INFLATE_FACTOR = 8;

export interface UploadSegmentation {
  result: SegmentResult;
  /** The stored row (with `store`), else null. */
  segmentation: Segmentation | null;
}

interface SegmentableRun {
  run: Run;
  channelNames: string[];
  model: SegmentRequest['model'];
}

export class SegmentationService {
  constructor(
    private readonly ds: DataSource,
    private readonly blobs: BlobStore,
    private readonly pool: WorkerPool,
    private readonly segmenter: Segmenter,
    /** NEPHRON_SEGMENT_MAX_MB: uploads inflate to at most INFLATE_FACTOR times this. */
    private readonly maxUploadMb: number,
  ) {}

  /** The run if it can segment: NOT_FOUND for an unknown id, CONFLICT unless a SUCCEEDED FINETUNE run with weights. */
  async segmentableRun(runId: string): Promise<SegmentableRun> {
    const run = isUuid(runId) ? await this.ds.getRepository(Run).findOneBy({ id: runId }) : null;
    if (!run) throw notFound('run', runId);
    if (run.kind !== 'FINETUNE') throw conflict(`run ${run.id} is a ${run.kind} run: only fine-tuning runs segment (they have the segmentation head)`);
    if (run.status !== 'SUCCEEDED') throw conflict(`run ${run.id} is ${run.status}: only a SUCCEEDED fine-tuning run has weights to segment with`);
    if (!run.weightsBlobKey) throw conflict(`run ${run.id} has no stored weights`);
    const cohort = await this.ds.getRepository(Cohort).findOneBy({ id: run.cohortId });
    const contrast = cohort?.contrasts.find((c) => c.kind === run.contrast);
    if (!contrast) throw conflict(`run ${run.id}: its cohort no longer lists contrast ${run.contrast}`);
    const cfg = run.config as unknown as FinetuneRunConfig;
    return {
      run,
      channelNames: contrast.channels,
      model: { weightsKey: run.weightsBlobKey, size: cfg.image.size, model: cfg.model, seed: run.seed, imagesPerBatch: Math.max(cfg.finetune.batchSize, 1) },
    };
  }

  /** Segments an uploaded .nii / .nii.gz (`file` names it in errors). */
  async segmentUpload(runId: string, bytes: Uint8Array, file: string, store: boolean): Promise<UploadSegmentation> {
    const { run, channelNames, model } = await this.segmentableRun(runId);
    if (bytes.byteLength === 0) throw badInput(`${file}: empty body: send the NIfTI image (.nii or .nii.gz) as the request body`, 'body');
    const maxInflatedBytes = INFLATE_FACTOR * this.maxUploadMb * 2 ** 20;
    const result = await this.run({ model, source: { kind: 'nifti', bytes, file, contrast: run.contrast, channelNames, maxInflatedBytes } }, 'body');
    const segmentation = store ? await this.insert(this.ds.manager, run.id, null, await this.blobs.put(result.maskBlob), result) : null;
    return { result, segmentation };
  }

  /** Segments a stored series of the run's contrast and stores the prediction on it (replacing this run's earlier one). */
  async segmentSeries(runId: string, seriesId: string): Promise<Segmentation> {
    const { run, channelNames, model } = await this.segmentableRun(runId);
    const series = isUuid(seriesId) ? await this.ds.getRepository(Series).findOneBy({ id: seriesId }) : null;
    if (!series) throw notFound('series', seriesId);
    if (series.contrast !== run.contrast) throw badInput(`run ${run.id} segments ${run.contrast}; series ${series.id} is ${series.contrast}`, 'seriesId');
    if (series.channels.length !== channelNames.length) {
      throw badInput(
        `series ${series.id} has ${series.channels.length} channels (${series.channels.join(', ')}); run ${run.id} was trained on ${channelNames.length} (${channelNames.join(', ')})`,
        'seriesId',
      );
    }
    const spacingMm = series.spacingMm as [number, number, number];
    const affine = series.affine ?? affineFor(series.orientation === 'LPS' ? 'axial' : 'coronal', [series.width, series.height, series.slices], spacingMm);
    const bytes = await this.blobs.get(series.dataBlobKey);
    const result = await this.run(
      { model, source: { kind: 'volume', bytes, file: `series ${series.id}`, contrast: run.contrast, channelNames, spacingMm, affine } },
      'seriesId',
    );
    // the blob first: a blob store on the same PGlite cannot be written while a transaction holds its one session
    const maskBlobKey = await this.blobs.put(result.maskBlob);
    return this.ds.transaction(async (m) => {
      await m.getRepository(Segmentation).delete({ runId: run.id, seriesId: series.id });
      return this.insert(m, run.id, series.id, maskBlobKey, result);
    });
  }

  /** Stored segmentations of the series, newest first (one statement for all of them). */
  async bySeries(seriesIds: readonly string[]): Promise<Segmentation[]> {
    const ids = seriesIds.filter(isUuid);
    if (!ids.length) return [];
    return this.ds.getRepository(Segmentation).find({ where: { seriesId: In(ids) }, order: { createdAt: 'DESC' } });
  }

  /** A stored segmentation's mask as .nii.gz on its scan's grid and affine. */
  async maskNifti(id: string): Promise<{ bytes: Uint8Array; segmentation: Segmentation }> {
    const segmentation = isUuid(id) ? await this.ds.getRepository(Segmentation).findOneBy({ id }) : null;
    if (!segmentation) throw notFound('segmentation', id);
    const blob = await this.blobs.get(segmentation.maskBlobKey);
    const bytes = await this.pool.run(
      'writeNifti',
      {
        bytes: blob,
        isMask: true,
        spacingMm: segmentation.spacingMm as [number, number, number],
        affine: segmentation.affine,
        orientation: 'coronal',
        contrast: 'mask',
      },
      transferOf(blob),
    );
    return { bytes, segmentation };
  }

  private async run(request: SegmentRequest, field: string): Promise<SegmentResult> {
    try {
      return await this.segmenter.segment(request);
    } catch (e) {
      if (e instanceof TaskError && e.file && e.reason) throw new AppError('BAD_USER_INPUT', `${e.file}: ${e.reason}`, { field, reason: e.reason });
      throw e;
    }
  }

  private insert(m: DataSource['manager'], runId: string, seriesId: string | null, maskBlobKey: string, r: SegmentResult): Promise<Segmentation> {
    const repo = m.getRepository(Segmentation);
    return repo.save(
      repo.create({
        runId,
        seriesId,
        width: r.width,
        height: r.height,
        slices: r.slices,
        spacingMm: r.spacingMm,
        affine: r.affine,
        maskBlobKey,
        volumeRightMl: r.volumesMl.right,
        volumeLeftMl: r.volumesMl.left,
      }),
    );
  }
}
