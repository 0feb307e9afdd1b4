/**
 * A run's fully resolved config: the preset's sections for the run kind (./presets.ts) with the user's overrides
 * merged in, every key checked: an unknown key, a wrong type or a value out of range is a ConfigError naming the key.
 * A stored config is read back through `parseRunConfig`, which checks it the same way and that no key is missing.
 */
import {
  autoPatchSize,
  pretrainProgressEpochs,
  isPlainObject,
  PRESETS,
  type FinetuneConfig,
  type FinetuneRunConfig,
  type PlateauConfig,
  type PresetName,
  type PretrainConfig,
  type RunConfig,
  type RunKindName,
} from './presets';

/** The config of a run of kind K. */
export type RunConfigOf<K extends RunKindName> = K extends 'PRETRAIN' ? PretrainConfig : FinetuneRunConfig;

const SECTIONS: Record<RunKindName, string[]> = {
  PRETRAIN: ['image', 'model', 'constraints', 'global', 'clc', 'probe'],
  FINETUNE: ['image', 'model', 'finetune'],
};

/** A bad override: `path` names the offending key, e.g. "clc.epochs". */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * The fully resolved config of a run: the preset's sections for this run kind, with `overrides` merged in.
 * Throws ConfigError for an unknown key, a wrong type, or a value out of range.
 */
export function resolveConfig<K extends RunKindName>(kind: K, preset: PresetName, overrides: unknown = {}): RunConfigOf<K> {
  const base = PRESETS[preset];
  if (!base) throw new ConfigError('preset', `unknown preset ${String(preset)}`);
  const merged = applyOverrides(sectionsOf(kind, base), overrides ?? {}, '') as Record<string, Record<string, unknown>>;
  validateRanges(merged);
  // The stored config shows the patch size a run actually uses.
  if (merged.clc && merged.clc.patchSize === 0) merged.clc = { ...merged.clc, patchSize: autoPatchSize(merged.image.size as number) };
  return merged as unknown as RunConfigOf<K>;
}

/**
 * A stored config (a run's jsonb `config`) read back as the config of its kind: the kind's sections and nothing else,
 * every key present with the type of the presets' and every value in range; a ConfigError names the first that is not.
 */
export function parseRunConfig<K extends RunKindName>(kind: K, json: unknown): RunConfigOf<K> {
  const stored = json;
  if (kind === 'PRETRAIN' && isPlainObject(stored) && ['image', 'model', 'constraints', 'global', 'clc'].every((k) => isPlainObject(stored[k]))) {
    json = withPretrainDefaults(stored as unknown as PretrainConfig);
  }
  const shape = sectionsOf(kind, PRESETS.PAPER);
  const config = applyOverrides(shape, json, '', 'config');
  requireEveryKey(shape, json, '');
  validateRanges(config as Record<string, Record<string, unknown>>);
  return config as RunConfigOf<K>;
}

/**
 * A PRETRAIN config as earlier versions stored it, completed the way those versions ran it: the CLC patch size
 * chosen from the image size, the kidney box from `maskWithLabels`, k as a fraction from the old absolute `topK`,
 * uniform anchors, no plateau, no probe. A current config comes back as it is (the old keys are dropped).
 */
export function withPretrainDefaults(cfg: PretrainConfig): PretrainConfig {
  const { topK, ...clc } = cfg.clc as PretrainConfig['clc'] & { topK?: number };
  const patchSize = clc.patchSize || autoPatchSize(cfg.image.size);
  const patches = (cfg.image.size / patchSize) ** 2;
  const { maskWithLabels, ...constraints } = cfg.constraints as PretrainConfig['constraints'] & { maskWithLabels?: boolean };
  return {
    ...cfg,
    constraints: {
      ...constraints,
      kidneyBox: constraints.kidneyBox ?? (maskWithLabels ? 'PER_SLICE' : 'OFF'),
      kidneyBoxMargin: constraints.kidneyBoxMargin ?? 5,
    },
    global: { ...cfg.global, plateau: cfg.global.plateau ?? null },
    clc: { ...clc, patchSize, topKFraction: clc.topKFraction ?? (topK ?? 100) / patches, anchorSampling: clc.anchorSampling ?? 'UNIFORM' },
    probe: cfg.probe ?? { ...PRESETS.PAPER.probe, steps: 0 },
  };
}

/** Total epochs a run of this config reports progress over. */
export function totalEpochs(config: RunConfig): number {
  return 'finetune' in config ? config.finetune.epochs : pretrainProgressEpochs(config);
}

function sectionsOf(kind: RunKindName, preset: PretrainConfig & FinetuneRunConfig): Record<string, unknown> {
  const sections: Record<string, unknown> = {};
  for (const name of SECTIONS[kind]) sections[name] = (preset as unknown as Record<string, unknown>)[name];
  return sections;
}

/** Every key of `shape` (nested objects too) is in `value` (applyOverrides checked the rest). */
function requireEveryKey(shape: unknown, value: unknown, path: string): void {
  if (!isPlainObject(shape) || !isPlainObject(value)) return;
  for (const [key, inner] of Object.entries(shape)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!(key in value)) throw new ConfigError(keyPath, 'missing');
    requireEveryKey(inner, value[key], keyPath);
  }
}

function applyOverrides(base: unknown, override: unknown, path: string, root = 'overrides'): unknown {
  if (!isPlainObject(override)) {
    throw new ConfigError(path || root, 'expected an object');
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (!(key in out)) throw new ConfigError(keyPath, 'unknown key');
    const current = out[key];
    const template = NULLABLE_OBJECTS[keyPath];
    if (template && value === null) {
      out[key] = null;
    } else if (template && current === null) {
      out[key] = applyOverrides(template, value, keyPath);
    } else if (isPlainObject(current)) {
      out[key] = applyOverrides(current, value, keyPath);
    } else if (Array.isArray(current)) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        throw new ConfigError(keyPath, 'expected an array of numbers');
      }
      out[key] = [...value];
    } else if (typeof current !== typeof value || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new ConfigError(keyPath, `expected a ${typeof current}`);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Config objects that may be null (off): an override of an object replaces null, starting from this template. */
const PLATEAU_TEMPLATE: PlateauConfig = { factor: 0.5, patience: 10, minLr: 1e-7 };
const NULLABLE_OBJECTS: Record<string, object> = { 'global.plateau': PLATEAU_TEMPLATE };

const POSITIVE_INTEGERS = [
  'image.size',
  'constraints.components',
  'constraints.clusters',
  'constraints.kmeansIterations',
  'global.partitions',
  'global.volumesPerBatch',
  'clc.epochs',
  'clc.batchSize',
  'clc.anchors',
  'finetune.epochs',
  'finetune.batchSize',
  'probe.nLabeled',
  'probe.batchSize',
];
const NON_NEGATIVE_INTEGERS = [
  'global.epochs',
  'clc.patchSize',
  'constraints.kidneyBoxMargin',
  'probe.steps',
  'probe.maxValidationImages',
  'global.maxBatchesPerEpoch',
  'clc.maxBatchesPerEpoch',
  'clc.maxValidationImages',
  'finetune.maxBatchesPerEpoch',
  'finetune.maxValidationImages',
];
const POSITIVE_NUMBERS = ['global.tau', 'global.lr', 'clc.tau', 'clc.lr', 'finetune.lr', 'finetune.gamma', 'probe.lr'];
const CHOICES: Record<string, readonly string[]> = {
  'constraints.componentScaling': ['each', 'joint'],
  'constraints.kidneyBox': ['OFF', 'PER_SLICE'],
  'clc.anchorSampling': ['UNIFORM', 'STRATIFIED'],
};

function validateRanges(config: Record<string, Record<string, unknown>>): void {
  const get = (path: string): unknown => {
    const [section, key] = path.split('.');
    return config[section]?.[key];
  };
  for (const path of POSITIVE_INTEGERS) {
    const v = get(path);
    if (v !== undefined && (!Number.isInteger(v) || (v as number) <= 0)) {
      throw new ConfigError(path, 'expected a positive integer');
    }
  }
  for (const path of NON_NEGATIVE_INTEGERS) {
    const v = get(path);
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) {
      throw new ConfigError(path, 'expected a non-negative integer (0 = no limit)');
    }
  }
  for (const path of POSITIVE_NUMBERS) {
    const v = get(path);
    if (v !== undefined && (v as number) <= 0) throw new ConfigError(path, 'expected a positive number');
  }
  const size = get('image.size') as number;
  if (!Number.isInteger(Math.log2(size / 8)) || size < 16 || size > 512) {
    throw new ConfigError('image.size', 'expected a power of two between 16 and 512');
  }
  const filters = config.model?.filters as number[] | undefined;
  const levels = Math.log2(size / 8) + 1;
  if (filters && filters.length < levels) {
    throw new ConfigError('model.filters', `need ${levels} levels for image.size ${size}, got ${filters.length}`);
  }
  for (const [path, choices] of Object.entries(CHOICES)) {
    const v = get(path);
    if (v !== undefined && !choices.includes(v as string)) throw new ConfigError(path, `expected one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  }
  const fraction = get('clc.topKFraction');
  if (fraction !== undefined && !((fraction as number) > 0 && (fraction as number) <= 1))
    throw new ConfigError('clc.topKFraction', 'expected a fraction in (0, 1]');
  const patch = get('clc.patchSize') as number | undefined;
  if (patch && size % patch !== 0) throw new ConfigError('clc.patchSize', `image.size ${size} is not divisible by patchSize ${patch}`);
  const plateau = config.global?.plateau as PlateauConfig | null | undefined;
  if (plateau && !(plateau.factor > 0 && plateau.factor < 1 && Number.isInteger(plateau.patience) && plateau.patience > 0 && plateau.minLr >= 0)) {
    throw new ConfigError('global.plateau', 'expected factor in (0, 1), a positive integer patience and minLr ≥ 0');
  }
  const ft = config.finetune as unknown as FinetuneConfig | undefined;
  if (ft) {
    if (ft.crossEntropyWeight !== undefined && !(ft.crossEntropyWeight >= 0 && Number.isFinite(ft.crossEntropyWeight))) {
      throw new ConfigError('finetune.crossEntropyWeight', 'expected a finite number ≥ 0 (0 = focal Tversky alone)');
    }
    if (ft.alpha.length !== 3 || ft.alpha.some((a) => a < 0 || a > 1)) {
      throw new ConfigError('finetune.alpha', 'expected 3 values in [0, 1] (background, right, left)');
    }
    if (ft.weights.length !== 3 || ft.weights.some((w) => w < 0)) {
      throw new ConfigError('finetune.weights', 'expected 3 non-negative values (background, right, left)');
    }
  }
}
