/**
 * Where a claimed run resumes. A run keeps its last checkpoint and the one before it (src/runs/recorder.ts); before the job
 * starts, the host reads the one it would resume from and checks its hash (the blob store's `get`):
 * - intact: resume after its epoch (the bytes are handed to the job, so they are read once);
 * - corrupt (bytes that no longer hash to the key) or gone: the blob is removed (a later `put` of the same,
 *   deterministically recomputed bytes must store them again, not find the bad copy) and the previous checkpoint
 *   is tried the same way; with none left the run restarts from scratch rather than failing forever.
 * When it falls back, the run is rewound to that epoch (RunRecorder.rewind, src/runs/recorder.ts): its metric points after it
 * are deleted and its metric summaries recomputed, so the epochs trained again write exactly one point per metric.
 */
import { BlobNotFoundError, CorruptBlobError, type BlobStore } from '../data/blob-store';
import type { Run } from '../schema/run.entity';
import type { RunRecorder } from '../runs';

export interface ResumePoint {
  /** Checkpoint to resume from (null: from scratch). */
  key: string | null;
  /** Epochs already done (0 from scratch). */
  epoch: number;
  /** The verified bytes of `key`. */
  bytes: Uint8Array | null;
  /** What was wrong and what the run does about it; null when the last checkpoint was fine. */
  recovered: string | null;
}

/** The bytes of a checkpoint, or why it cannot be used (corrupt, missing); other errors (database down) throw. */
async function read(blobs: BlobStore, key: string): Promise<{ bytes: Uint8Array } | { problem: string }> {
  try {
    return { bytes: await blobs.get(key) };
  } catch (e) {
    if (e instanceof CorruptBlobError) {
      await blobs.delete?.(key).catch(() => false);
      return { problem: `is corrupt (its bytes hash to ${e.actual.slice(0, 12)}…, not to its key)` };
    }
    if (e instanceof BlobNotFoundError) return { problem: 'is missing from the blob store' };
    throw e;
  }
}

/** Picks the checkpoint a claimed run resumes from and rewinds the run to it (see the module comment). */
export async function resumePoint(recorder: RunRecorder, blobs: BlobStore, run: Run): Promise<ResumePoint> {
  const candidates: { key: string; epoch: number; name: string }[] = [];
  if (run.checkpointBlobKey) candidates.push({ key: run.checkpointBlobKey, epoch: run.epoch, name: 'last' });
  if (run.previousCheckpointBlobKey && run.previousCheckpointEpoch !== null) {
    candidates.push({ key: run.previousCheckpointBlobKey, epoch: run.previousCheckpointEpoch, name: 'previous' });
  }
  const problems: string[] = [];
  let point: ResumePoint = { key: null, epoch: 0, bytes: null, recovered: null };
  for (const c of candidates) {
    const got = await read(blobs, c.key);
    if ('bytes' in got) {
      point = { key: c.key, epoch: c.epoch, bytes: got.bytes, recovered: null };
      break;
    }
    problems.push(`the ${c.name} checkpoint (epoch ${c.epoch}, blob ${c.key.slice(0, 12)}…) ${got.problem}`);
  }
  if (problems.length) {
    const where = point.key ? `resuming from epoch ${point.epoch}` : 'no usable checkpoint is left: restarting from scratch';
    point.recovered = `${problems.join('; ')}: ${where}; metric points after epoch ${point.epoch} are dropped and trained again`;
  }
  // an intact last checkpoint needs no rewind: an epoch's points and its checkpoint key are stored in one statement
  if (point.recovered) await recorder.rewind(run.id, { epoch: point.epoch, key: point.key, keptLast: candidates[0]?.key === point.key });
  return point;
}
