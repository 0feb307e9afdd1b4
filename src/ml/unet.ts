/**
 * The 2D U-Net of nephron's method (../shared/docs/method.md, "Network"), after Ronneberger et al. (MICCAI 2015)
 * with GroupNorm (Wu & He 2018) as in Umapathy et al. (Med Phys 2023).
 *
 * Input one channel [B, S, S, 1]. Levels L = log2(S / 8) + 1 (256 → 6, 128 → 5, 64 → 4), so the bottleneck is
 * always 8 × 8. Encoder level l (filters f_l = model.filters[l]): 2 × (3×3 conv → GroupNorm(f_l / groupDivisor)
 * → ReLU), then 2×2 max-pool before level l + 1. Decoder level l = L−2 … 0: up-sampling ×2 by a 2×2 stride-2
 * transposed conv to f_l → GN → ReLU, concatenate the encoder's level-l output, 2 × (3×3 conv → GN → ReLU).
 * Segmentation head: 1×1 conv to 3 classes + softmax. He-normal init for every conv, seeded per layer. Convs
 * followed by GroupNorm have no bias (GN's per-channel β plays its role, and the graph is leaner); GN and its ReLU
 * run as one fused layer.
 *
 * Pretraining heads (method.md): global head on the encoder bottleneck (flatten → dense globalDense ReLU → dense
 * globalProjection); local head on the last decoder features (1×1 conv localChannels → GN → ReLU → 1×1 conv
 * localChannels). Layers carry stable names (`enc2_conv1`, `dec0_gn2`, `seg_head`, `local_conv1`, …) shared by all
 * three models, so weights move between them by name (see ./weights.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { GroupNorm } from './layers/group-norm';
import { unetLevels, type ModelConfig } from './presets';
import { deriveSeed } from './random';

export const NUM_CLASSES = 3;
/** Layer-name prefixes of the heads: everything else is the shared encoder-decoder. */
export const HEAD_PREFIXES = ['seg_', 'global_', 'local_'] as const;

export interface UnetOptions {
  /** Input height = width (power of two, ≥ 16). */
  size: number;
  model: ModelConfig;
  /** Seed of the weight initialisation (same seed → same initial weights). */
  seed: number;
}

/** Segmentation model: [B,S,S,1] → softmax [B,S,S,3]. */
export function buildSegmentationModel(opts: UnetOptions): tf.LayersModel {
  const b = new Builder(opts);
  const input = tf.input({ shape: [opts.size, opts.size, 1], name: 'image' });
  const { skips, bottleneck } = b.encoder(input);
  const features = b.decoder(bottleneck, skips);
  const logits = b.conv(features, NUM_CLASSES, 1, 'seg_head');
  const probs = tf.layers.softmax({ axis: -1, name: 'seg_softmax' }).apply(logits) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs, name: 'unet_segmentation' });
}

/** Global pretraining model: encoder + global head, [B,S,S,1] → [B, globalProjection]. */
export function buildGlobalPretrainModel(opts: UnetOptions): tf.LayersModel {
  const b = new Builder(opts);
  const input = tf.input({ shape: [opts.size, opts.size, 1], name: 'image' });
  const { bottleneck } = b.encoder(input);
  const flat = tf.layers.flatten({ name: 'global_flatten' }).apply(bottleneck) as tf.SymbolicTensor;
  const hidden = b.dense(flat, opts.model.globalDense, 'relu', 'global_dense');
  const proj = b.dense(hidden, opts.model.globalProjection, 'linear', 'global_projection');
  return tf.model({ inputs: input, outputs: proj, name: 'unet_global' });
}

/** Local (CLC) pretraining model: encoder-decoder + local head, [B,S,S,1] → [B,S,S,localChannels]. */
export function buildLocalPretrainModel(opts: UnetOptions): tf.LayersModel {
  const b = new Builder(opts);
  const input = tf.input({ shape: [opts.size, opts.size, 1], name: 'image' });
  const { skips, bottleneck } = b.encoder(input);
  const features = b.decoder(bottleneck, skips);
  const c = opts.model.localChannels;
  const h = b.convGnRelu(features, c, 1, 'local_conv1', 'local_gn');
  const out = b.conv(h, c, 1, 'local_conv2');
  return tf.model({ inputs: input, outputs: out, name: 'unet_local' });
}

/** True when a layer (or weight) name belongs to a head rather than to the shared encoder-decoder. */
export function isHeadName(name: string): boolean {
  return HEAD_PREFIXES.some((p) => name.startsWith(p));
}

class Builder {
  private readonly levels: number;

  constructor(private readonly opts: UnetOptions) {
    const { size, model } = opts;
    this.levels = unetLevels(size);
    if (!Number.isInteger(this.levels) || this.levels < 2) {
      throw new Error(`U-Net: input size ${size} must be a power of two ≥ 16`);
    }
    if (model.filters.length < this.levels) {
      throw new Error(`U-Net: size ${size} needs ${this.levels} levels of filters, got ${model.filters.length}`);
    }
    for (const f of [...model.filters.slice(0, this.levels), model.localChannels]) {
      if (f % model.groupDivisor !== 0) throw new Error(`U-Net: ${f} filters not divisible by groupDivisor ${model.groupDivisor}`);
    }
  }

  encoder(input: tf.SymbolicTensor): { skips: tf.SymbolicTensor[]; bottleneck: tf.SymbolicTensor } {
    const skips: tf.SymbolicTensor[] = [];
    let x = input;
    for (let l = 0; l < this.levels; l++) {
      if (l > 0) x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `enc${l}_pool` }).apply(x) as tf.SymbolicTensor;
      const f = this.opts.model.filters[l];
      x = this.convGnRelu(x, f, 3, `enc${l}_conv1`, `enc${l}_gn1`);
      x = this.convGnRelu(x, f, 3, `enc${l}_conv2`, `enc${l}_gn2`);
      skips.push(x);
    }
    return { skips: skips.slice(0, -1), bottleneck: x };
  }

  decoder(bottleneck: tf.SymbolicTensor, skips: tf.SymbolicTensor[]): tf.SymbolicTensor {
    let x = bottleneck;
    for (let l = this.levels - 2; l >= 0; l--) {
      const f = this.opts.model.filters[l];
      const up = tf.layers
        .conv2dTranspose({
          filters: f,
          kernelSize: 2,
          strides: 2,
          padding: 'same',
          useBias: false,
          kernelInitializer: this.init(`dec${l}_up`),
          name: `dec${l}_up`,
        })
        .apply(x) as tf.SymbolicTensor;
      x = this.gnRelu(up, f, `dec${l}_upgn`);
      x = tf.layers.concatenate({ axis: -1, name: `dec${l}_concat` }).apply([x, skips[l]]) as tf.SymbolicTensor;
      x = this.convGnRelu(x, f, 3, `dec${l}_conv1`, `dec${l}_gn1`);
      x = this.convGnRelu(x, f, 3, `dec${l}_conv2`, `dec${l}_gn2`);
    }
    return x;
  }

  /** conv (no bias: GroupNorm's β takes its place) → GN → ReLU. */
  convGnRelu(x: tf.SymbolicTensor, filters: number, kernel: number, convName: string, gnName: string): tf.SymbolicTensor {
    return this.gnRelu(this.conv(x, filters, kernel, convName, false), filters, gnName);
  }

  gnRelu(x: tf.SymbolicTensor, filters: number, gnName: string): tf.SymbolicTensor {
    return new GroupNorm({ groups: filters / this.opts.model.groupDivisor, relu: true, name: gnName }).apply(x) as tf.SymbolicTensor;
  }

  conv(x: tf.SymbolicTensor, filters: number, kernel: number, name: string, useBias = true): tf.SymbolicTensor {
    return tf.layers.conv2d({ filters, kernelSize: kernel, padding: 'same', useBias, kernelInitializer: this.init(name), name }).apply(x) as tf.SymbolicTensor;
  }

  dense(x: tf.SymbolicTensor, units: number, activation: 'relu' | 'linear', name: string): tf.SymbolicTensor {
    return tf.layers.dense({ units, activation, kernelInitializer: this.init(name), name }).apply(x) as tf.SymbolicTensor;
  }

  private init(layerName: string): ReturnType<typeof tf.initializers.heNormal> {
    return tf.initializers.heNormal({ seed: deriveSeed(this.opts.seed, layerName) });
  }
}
