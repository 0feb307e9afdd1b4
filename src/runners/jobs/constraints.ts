/**
 * The "constraints" phase of pretraining (method.md, "Constraint maps" and CLC step 2): one constraint map per
 * subject (TRAIN for the CLC loss, VALIDATION for the validation CLC loss), computed on the normalised series at the
 * training size so the map's pixels are the network's pixels, then the patch labels of every (slice, channel) image.
 *
 * Storage: each subject's map is one blob (encodeBundle, meta = the series' dataBlobKey, size and the constraint
 * params), named by what it was computed from (series data, size, constraint params), so every run on the same
 * cohort, contrast and params reuses it, on any machine; an index blob maps subject id → map key, and the job
 * checkpoint carries the index key, so a resumed job reuses the maps too.
 *
 * k-means uses a fixed seed (0), not the run's: the maps are then a function of (series, params, size) only.
 *
 * Patch labels: each slice's map cut into p×p patches, majority cluster per patch over all its pixels (every patch is
 * in the reference's memory bank), and the anchor candidates: patches at least half inside the subject's label-free
 * body mask (src/ml/constraint-maps/body-mask.ts, from the normalised series, all channels). Both are per slice: every
 * channel image of a slice shares them.
 *
 * kidneyBox PER_SLICE (the as-published arm) reads the subject's manual mask at the training size: label use.
 */
import { createHash } from 'node:crypto';
import { bodyMask, buildConstraintMaps, patchBodyMask, patchMajorityLabels } from '../../ml/constraint-maps';
import type { ConstraintConfig } from '../../ml/presets';
import { decodeBundle, encodeBundle } from '../../ml/weights';
import type { JobIO } from '../../runs/job';
import type { LoadedSubject } from './dataset';
import { throwIfCancelled, yieldToEventLoop } from './phase';

const INDEX_FORMAT = 'nephron-constraint-index/1';
const KMEANS_SEED = 0;

/** Compute and store the maps of the subjects; resolves to the index blob key. */
export async function buildConstraintIndex(io: JobIO, subjects: LoadedSubject[], cfg: ConstraintConfig, size: number): Promise<string> {
  const maps: Record<string, string> = {};
  for (const s of subjects) {
    throwIfCancelled(io);
    const withLabels = cfg.kidneyBox === 'PER_SLICE';
    const labels = withLabels ? s.labels : null;
    if (withLabels && !labels) throw new Error(`constraints.kidneyBox is PER_SLICE, but subject ${s.subject.code} has no mask`);
    // with the kidney box the map also depends on the mask
    const name = `runner-constraint-map:v2:${s.subject.dataBlobKey}:${withLabels ? s.subject.maskBlobKey : '-'}:${size}:${paramsHash(cfg)}`;
    const cached = await io.findNamed(name);
    if (cached) {
      maps[s.subject.id] = cached;
      continue;
    }
    const result = buildConstraintMaps(s.volume, { ...cfg, seed: KMEANS_SEED, labels });
    const { slices } = s.volume;
    const meta = { dataBlobKey: s.subject.dataBlobKey, size, constraints: cfg, params: result.params };
    maps[s.subject.id] = await io.putNamed(name, encodeBundle([{ name: 'map', shape: [slices, size, size], values: result.maps }], meta));
    io.log(`constraint map ${s.subject.code}: ${result.timingsMs.total.toFixed(0)} ms, k-means ${result.params.kmeans.iterations} iterations`);
    await yieldToEventLoop();
  }
  const index = { format: INDEX_FORMAT, size, constraints: cfg, maps };
  return io.putBlob(new TextEncoder().encode(JSON.stringify(index)));
}

/** A stable hash of the constraint params (keys sorted), part of a cached map's name. */
function paramsHash(cfg: ConstraintConfig): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b))));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Per subject and slice: patch labels [slices][size/p][size/p] and anchor candidates (1 = body patch), same layout. */
export interface SubjectPatches {
  labels: Int32Array;
  candidates: Uint8Array;
  /** Fraction of the subject's patches that are anchor candidates (a diagnostic). */
  bodyFraction: number;
}

/** Patch labels and anchor candidates of each subject, from a stored index, keyed by subject id. */
export async function loadPatchLabels(io: JobIO, indexKey: string, subjects: LoadedSubject[], patchSize: number): Promise<Map<string, SubjectPatches>> {
  const index = JSON.parse(new TextDecoder().decode(await io.getBlob(indexKey))) as { format: string; size: number; maps: Record<string, string> };
  if (index.format !== INDEX_FORMAT) throw new Error(`constraint index ${indexKey}: unknown format ${String(index.format)}`);
  const out = new Map<string, SubjectPatches>();
  for (const s of subjects) {
    const key = index.maps[s.subject.id];
    if (!key) throw new Error(`constraint index ${indexKey} has no map for subject ${s.subject.code}`);
    const map = decodeBundle(await io.getBlob(key)).arrays.find((a) => a.name === 'map');
    const { width, height, slices } = s.volume;
    if (!map || !(map.values instanceof Int32Array) || map.values.length !== width * height * slices) {
      throw new Error(`constraint map of ${s.subject.code} does not match its ${width}×${height}×${slices} series`);
    }
    out.set(s.subject.id, subjectPatches(s, map.values, patchSize));
  }
  return out;
}

/** Majority-cluster labels and body candidates per patch for every slice of one subject. */
export function subjectPatches(s: LoadedSubject, map: Int32Array, patchSize: number): SubjectPatches {
  const { width, height, slices, channels, data } = s.volume;
  const labels = patchMajorityLabels(map, width, height, patchSize);
  const candidates = patchBodyMask(bodyMask(data, width, height, slices, channels).mask, width, height, patchSize);
  let inside = 0;
  for (const c of candidates) inside += c;
  return { labels, candidates, bodyFraction: inside / candidates.length };
}
