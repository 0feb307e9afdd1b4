import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend';
import { PRESETS } from '../../src/ml/presets';
import { mulberry32 } from '../../src/ml/random';
import { buildGlobalPretrainModel, buildLocalPretrainModel, buildSegmentationModel, isHeadName } from '../../src/ml/unet';
import { decodeBundle, encodeBundle, exportWeights, loadEncoderDecoder, loadWeights } from '../../src/ml/weights';

const model = PRESETS.PAPER.model;

function image(size: number, batch = 1, seed = 1): tf.Tensor4D {
  const rng = mulberry32(seed);
  return tf.tensor4d(
    Float32Array.from({ length: batch * size * size }, () => rng()),
    [batch, size, size, 1],
  );
}

describe('U-Net', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it.each([
    [64, 4],
    [128, 5],
    [256, 6],
  ])('segmentation output for %i² has 3 softmax classes and %i levels', (size, levels) => {
    const m = buildSegmentationModel({ size, model, seed: 1 });
    const pools = m.layers.filter((l) => l.name.endsWith('_pool')).length;
    expect(pools + 1).toBe(levels);
    const y = m.predict(image(size)) as tf.Tensor;
    expect(y.shape).toEqual([1, size, size, 3]);
    const sums = tf.sum(y, -1).dataSync();
    expect(Math.abs(sums[0] - 1)).toBeLessThan(1e-5);
    tf.dispose(y);
    m.dispose();
  });

  it('pretraining heads have the sizes of method.md', () => {
    const g = buildGlobalPretrainModel({ size: 64, model, seed: 1 });
    const l = buildLocalPretrainModel({ size: 64, model, seed: 1 });
    const x = image(64, 2);
    expect((g.predict(x) as tf.Tensor).shape).toEqual([2, 128]);
    expect((l.predict(x) as tf.Tensor).shape).toEqual([2, 64, 64, 64]);
    expect(g.getLayer('global_dense').outputShape).toEqual([null, 1024]);
    expect(g.getLayer('global_flatten').outputShape).toEqual([null, 8 * 8 * 128]);
    g.dispose();
    l.dispose();
  });

  it('same seed, same initial weights; another seed, other weights', () => {
    const small = PRESETS.SMOKE.model;
    const a = buildSegmentationModel({ size: 32, model: small, seed: 7 });
    const b = buildSegmentationModel({ size: 32, model: small, seed: 7 });
    const c = buildSegmentationModel({ size: 32, model: small, seed: 8 });
    const k = (m: tf.LayersModel) => m.getLayer('enc1_conv2').getWeights()[0].dataSync();
    expect(Array.from(k(a))).toEqual(Array.from(k(b)));
    expect(Array.from(k(a))).not.toEqual(Array.from(k(c)));
  });

  it('weights round trip gives identical outputs', () => {
    const opts = { size: 32, model: PRESETS.SMOKE.model, seed: 3 };
    const a = buildSegmentationModel(opts);
    // Perturb GN gammas so that every weight kind is non-trivial.
    a.getLayer('enc0_gn1').setWeights([tf.fill([4], 1.5), tf.fill([4], 0.25)]);
    const bytes = exportWeights(a, { note: 'test' });
    expect(decodeBundle(bytes).meta).toEqual({ note: 'test' });
    const b = buildSegmentationModel({ ...opts, seed: 99 });
    const x = image(32, 2);
    expect(Array.from((a.predict(x) as tf.Tensor).dataSync())).not.toEqual(Array.from((b.predict(x) as tf.Tensor).dataSync()));
    const loaded = loadWeights(b, bytes);
    expect(loaded.length).toBe(a.weights.length);
    expect(Array.from((b.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((a.predict(x) as tf.Tensor).dataSync()));
  });

  it('bundle encodes int32 and float32 arrays with meta', () => {
    const bytes = encodeBundle(
      [
        { name: 'a', shape: [3], values: new Float32Array([1, 2.5, -3]) },
        { name: 'b', shape: [1, 2], values: new Int32Array([7, -8]) },
      ],
      { epoch: 4 },
    );
    const back = decodeBundle(bytes);
    expect(back.meta).toEqual({ epoch: 4 });
    expect(Array.from(back.arrays[0].values)).toEqual([1, 2.5, -3]);
    expect(back.arrays[1].values).toBeInstanceOf(Int32Array);
    expect(Array.from(back.arrays[1].values)).toEqual([7, -8]);
  });

  it('CLC initialisation copies the encoder-decoder and nothing else', () => {
    const small = PRESETS.SMOKE.model;
    const local = buildLocalPretrainModel({ size: 32, model: small, seed: 1 });
    const seg = buildSegmentationModel({ size: 32, model: small, seed: 2 });
    const headBefore = seg.getLayer('seg_head').getWeights()[0].dataSync().slice();
    const copied = loadEncoderDecoder(seg, exportWeights(local));
    const shared = seg.weights.map((w) => w.originalName).filter((n) => !isHeadName(n));
    expect(copied.sort()).toEqual(shared.sort());
    expect(copied.some((n) => n.startsWith('dec0_'))).toBe(true);
    for (const name of ['enc0_conv1', 'enc2_gn2', 'dec0_up', 'dec0_conv2', 'dec1_gn1']) {
      const a = local.getLayer(name).getWeights();
      const b = seg.getLayer(name).getWeights();
      a.forEach((t, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(t.dataSync())));
    }
    expect(Array.from(seg.getLayer('seg_head').getWeights()[0].dataSync())).toEqual(Array.from(headBefore));
    // Encoder only, from the global model.
    const global = buildGlobalPretrainModel({ size: 32, model: small, seed: 5 });
    const fromGlobal = loadEncoderDecoder(local, exportWeights(global), true);
    expect(fromGlobal.every((n) => n.startsWith('enc'))).toBe(true);
    expect(Array.from(local.getLayer('enc1_conv1').getWeights()[0].dataSync())).toEqual(Array.from(global.getLayer('enc1_conv1').getWeights()[0].dataSync()));
  });
});
