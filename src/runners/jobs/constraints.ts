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
 * Patch labels: the map of the image's slice cut into p×p patches, majority cluster per patch, voting restricted to
 * the image's foreground (pixels above that image's minimum), since anchors are drawn from the foreground and a
 * sample is one (slice, channel) image.
 */
import { createHash } from 'node:crypto';
import { buildConstraintMaps, foregroundAboveMinimum, patchMajorityLabels } from '../../ml/constraintMaps';
import type { ConstraintConfig } from '../../ml/presets';
import { decodeBundle, encodeBundle } from '../../ml/weights';
import type { JobIO } from '../job';
import { imageOffset, type LoadedSubject } from './dataset';
import { throwIfCancelled, yieldToEventLoop } from './phase';

const INDEX_FORMAT = 'nephron-constraint-index/1';
const KMEANS_SEED = 0;

/** Compute and store the maps of the subjects; resolves to the index blob key. */
export async function buildConstraintIndex(io: JobIO, subjects: LoadedSubject[], cfg: ConstraintConfig, size: number): Promise<string> {
  const maps: Record<string, string> = {};
  for (const s of subjects) {
    throwIfCancelled(io);
    const labels = cfg.maskWithLabels ? s.labels : null;
    if (cfg.maskWithLabels && !labels) throw new Error(`constraints.maskWithLabels is on, but subject ${s.subject.code} has no mask`);
    // with label masking the map also depends on the mask
    const name = `runner-constraint-map:v1:${s.subject.dataBlobKey}:${cfg.maskWithLabels ? s.subject.maskBlobKey : '-'}:${size}:${paramsHash(cfg)}`;
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

/**
 * Patch labels of every (slice, channel) image of each subject, from a stored index: Int32Array laid out
 * [channel][slice][size/p][size/p] (the image order of the volume), keyed by subject id.
 */
export async function loadPatchLabels(io: JobIO, indexKey: string, subjects: LoadedSubject[], patchSize: number): Promise<Map<string, Int32Array>> {
  const index = JSON.parse(new TextDecoder().decode(await io.getBlob(indexKey))) as { format: string; size: number; maps: Record<string, string> };
  if (index.format !== INDEX_FORMAT) throw new Error(`constraint index ${indexKey}: unknown format ${String(index.format)}`);
  const out = new Map<string, Int32Array>();
  for (const s of subjects) {
    const key = index.maps[s.subject.id];
    if (!key) throw new Error(`constraint index ${indexKey} has no map for subject ${s.subject.code}`);
    const map = decodeBundle(await io.getBlob(key)).arrays.find((a) => a.name === 'map');
    const { width, height, slices } = s.volume;
    if (!map || !(map.values instanceof Int32Array) || map.values.length !== width * height * slices) {
      throw new Error(`constraint map of ${s.subject.code} does not match its ${width}×${height}×${slices} series`);
    }
    out.set(s.subject.id, imagePatchLabels(s, map.values, patchSize));
  }
  return out;
}

/** Majority-cluster labels per patch for every (slice, channel) image of one subject. */
export function imagePatchLabels(s: LoadedSubject, map: Int32Array, patchSize: number): Int32Array {
  const { width, height, slices, channels } = s.volume;
  const plane = width * height;
  const perImage = (width / patchSize) * (height / patchSize);
  const out = new Int32Array(channels * slices * perImage);
  for (let c = 0; c < channels; c++) {
    for (let z = 0; z < slices; z++) {
      const off = imageOffset(s.volume, z, c);
      const fg = foregroundAboveMinimum(s.volume.data.subarray(off, off + plane), width, height);
      const labels = patchMajorityLabels(map.subarray(z * plane, (z + 1) * plane), width, height, patchSize, fg);
      out.set(labels, (c * slices + z) * perImage);
    }
  }
  return out;
}
