import { describe, expect, it } from 'vitest';
import { PRESETS, pretrainProgressEpochs, unetLevels, type FinetuneRunConfig, type PretrainConfig } from '../../src/ml/presets';
import { ConfigError, parseRunConfig, resolveConfig, totalEpochs } from '../../src/ml/resolve-config';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('presets', () => {
  it('PAPER holds the numbers of method.md', () => {
    const p = PRESETS.PAPER;
    expect(p.model.filters).toEqual([16, 32, 64, 128, 128, 128]);
    expect(p.constraints).toMatchObject({ components: 4, clusters: 20, denoise: true, kidneyBox: 'OFF', kidneyBoxMargin: 5 });
    expect(p.global).toMatchObject({ epochs: 10, partitions: 4, tau: 0.1, lr: 1e-4, plateau: null });
    expect(p.clc).toMatchObject({ epochs: 150, batchSize: 16, lr: 1e-4, tau: 0.1, topKFraction: 0.025, anchors: 20, patchSize: 4, anchorSampling: 'UNIFORM' });
    expect(p.finetune).toMatchObject({ epochs: 200, batchSize: 20, lr: 1e-3, alpha: [0.5, 0.7, 0.7], weights: [0.1, 1, 1] });
    expect(p.finetune.gamma).toBeCloseTo(4 / 3, 12);
    expect(p.clc.plateau).toEqual({ factor: 0.5, patience: 10, minLr: 1e-7 });
  });

  it('STUDY pretrains at the reference lr 1e-3 with ≥ 1,500 CLC and ≥ 500 global steps, and fine-tunes 400 steps for every N', () => {
    const c = resolveConfig('PRETRAIN', 'STUDY') as PretrainConfig;
    expect(c.global.lr).toBe(1e-3);
    expect(c.clc.lr).toBe(1e-3);
    expect(c.global.epochs * c.global.maxBatchesPerEpoch).toBeGreaterThanOrEqual(500);
    expect(c.clc.epochs * c.clc.maxBatchesPerEpoch).toBeGreaterThanOrEqual(1500);
    expect(c.global.plateau).not.toBeNull(); // each stage its own schedule
    expect(c.clc.patchSize).toBe(2); // resolved from 128²: a 64 × 64 patch grid
    expect(Math.round(c.clc.topKFraction * 64 * 64)).toBe(102);
    expect(c.probe).toMatchObject({ steps: 100, nLabeled: 2 });
    const f = resolveConfig('FINETUNE', 'STUDY') as FinetuneRunConfig;
    expect(f.finetune).toMatchObject({ lr: 1e-3, batchSize: 16, epochs: 16, maxBatchesPerEpoch: 25 });
    expect(f.finetune.epochs * f.finetune.maxBatchesPerEpoch).toBe(400);
    // patch size follows an image.size override; the warm-up can be switched off; a global schedule can be set
    const small = resolveConfig('PRETRAIN', 'STUDY', { image: { size: 64 }, global: { epochs: 0 } }) as PretrainConfig;
    expect(small.clc.patchSize).toBe(1);
    expect(small.global.epochs).toBe(0);
    const sched = resolveConfig('PRETRAIN', 'QUICK', { global: { plateau: { patience: 2 } } }) as PretrainConfig;
    expect(sched.global.plateau).toEqual({ factor: 0.5, patience: 2, minLr: 1e-7 });
  });

  it('U-Net depth follows log2(size / 8) + 1', () => {
    expect([256, 128, 64, 32].map(unetLevels)).toEqual([6, 5, 4, 3]);
  });

  it('resolves only the sections a run kind uses', () => {
    expect(Object.keys(resolveConfig('PRETRAIN', 'QUICK'))).toEqual(['image', 'model', 'constraints', 'global', 'clc', 'probe']);
    expect(Object.keys(resolveConfig('FINETUNE', 'QUICK'))).toEqual(['image', 'model', 'finetune']);
  });

  it('merges nested overrides without touching the presets', () => {
    const c = resolveConfig('FINETUNE', 'SMOKE', { finetune: { epochs: 5, plateau: { patience: 3 } } }) as FinetuneRunConfig;
    expect(c.finetune.epochs).toBe(5);
    expect(c.finetune.plateau).toEqual({ factor: 0.5, patience: 3, minLr: 1e-7 });
    expect(PRESETS.SMOKE.finetune.epochs).toBe(2);
    expect(PRESETS.SMOKE.finetune.plateau.patience).toBe(10);
  });

  it('names the offending key of a bad override', () => {
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { epochz: 3 } })).path).toBe('clc.epochz');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { epochs: '3' } })).path).toBe('clc.epochs');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { epochs: -1 } })).path).toBe('clc.epochs');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { finetune: {} })).path).toBe('finetune');
    expect(configError(() => resolveConfig('FINETUNE', 'QUICK', { finetune: { alpha: [0.5, 2, 0.7] } })).path).toBe('finetune.alpha');
    expect(configError(() => resolveConfig('FINETUNE', 'QUICK', { image: { size: 100 } })).path).toBe('image.size');
    expect(configError(() => resolveConfig('FINETUNE', 'SMOKE', { image: { size: 128 } })).path).toBe('model.filters');
    expect(configError(() => resolveConfig('FINETUNE', 'QUICK', [1])).path).toBe('overrides');
    expect(configError(() => resolveConfig('FINETUNE', 'QUICK', { finetune: { maxValidationImages: -1 } })).path).toBe('finetune.maxValidationImages');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { maxBatchesPerEpoch: 1.5 } })).path).toBe('clc.maxBatchesPerEpoch');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { constraints: { kidneyBox: 'ON' } })).path).toBe('constraints.kidneyBox');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { anchorSampling: 'RANDOM' } })).path).toBe('clc.anchorSampling');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { topKFraction: 0 } })).path).toBe('clc.topKFraction');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { clc: { patchSize: 3 } })).path).toBe('clc.patchSize');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { global: { plateau: { factor: 2 } } })).path).toBe('global.plateau');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { global: { plateau: { patiance: 2 } } })).path).toBe('global.plateau.patiance');
    expect(configError(() => resolveConfig('PRETRAIN', 'QUICK', { constraints: { componentScaling: 'both' } })).path).toBe('constraints.componentScaling');
  });

  it('accepts a valid override and keeps it', () => {
    const c = resolveConfig('PRETRAIN', 'PAPER', { constraints: { denoise: false, componentScaling: 'joint' } }) as PretrainConfig;
    expect(c.constraints.denoise).toBe(false);
    expect(c.constraints.componentScaling).toBe('joint');
  });
});

describe('parseRunConfig: a stored config read back', () => {
  it('reads back every preset of both kinds as stored (through JSON), with its total epochs', () => {
    for (const kind of ['PRETRAIN', 'FINETUNE'] as const) {
      for (const preset of ['PAPER', 'QUICK', 'SMOKE'] as const) {
        const config = resolveConfig(kind, preset, preset === 'SMOKE' ? { image: { size: 32 } } : {});
        expect(parseRunConfig(kind, JSON.parse(JSON.stringify(config)))).toEqual(config);
      }
    }
    const ft = resolveConfig('FINETUNE', 'QUICK');
    expect(totalEpochs(ft)).toBe(ft.finetune.epochs);
    const pt = resolveConfig('PRETRAIN', 'QUICK');
    expect(totalEpochs(pt)).toBe(pretrainProgressEpochs(pt)); // global + clc + the probe's epoch
  });

  it('names what is wrong: a missing key, a section of the other kind, a wrong type, a value out of range', () => {
    const stored = () => JSON.parse(JSON.stringify(resolveConfig('FINETUNE', 'SMOKE'))) as Record<string, Record<string, unknown>>;
    const error = (kind: 'PRETRAIN' | 'FINETUNE', json: unknown) => {
      try {
        parseRunConfig(kind, json);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('accepted');
    };
    const missing = stored();
    delete missing.finetune.epochs;
    expect(error('FINETUNE', missing)).toBe('finetune.epochs: missing');
    expect(error('PRETRAIN', stored())).toMatch(/^finetune: unknown key|missing/);
    const typed = stored();
    typed.finetune.lr = '0.001';
    expect(error('FINETUNE', typed)).toBe('finetune.lr: expected a number');
    const range = stored();
    range.finetune.batchSize = 0;
    expect(error('FINETUNE', range)).toBe('finetune.batchSize: expected a positive integer');
    expect(error('FINETUNE', null)).toBe('config: expected an object');
  });
});

describe('parseRunConfig: configs stored by earlier versions', () => {
  it('completes a PRETRAIN config without the keys added since, as those versions ran it', () => {
    const current = JSON.parse(JSON.stringify(resolveConfig('PRETRAIN', 'SMOKE'))) as Record<string, Record<string, unknown>>;
    const { kidneyBox: _b, kidneyBoxMargin: _m, ...constraints } = current.constraints;
    const { topKFraction: _f, anchorSampling: _a, ...clc } = current.clc;
    const stored: Record<string, unknown> = { ...current, constraints: { ...constraints, maskWithLabels: true }, clc: { ...clc, topK: 8 } };
    const { probe: _p, ...old } = stored;
    const read = parseRunConfig('PRETRAIN', old);
    expect(read.constraints.kidneyBox).toBe('PER_SLICE');
    expect(read.clc.anchorSampling).toBe('UNIFORM');
    expect(read.clc.topKFraction).toBeCloseTo(8 / (read.image.size / read.clc.patchSize) ** 2, 12);
    expect(read.probe.steps).toBe(0);
  });
});
