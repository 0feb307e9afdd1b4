/**
 * Comparing runs, the same way in the dashboard (client/src/views/compare-view.tsx) and the terminal
 * (`nephron report --runs`): the union of their metric names (one chart, or one sparkline row, per metric with every
 * run's curve) and the config keys whose values differ between them (flattened to dotted paths, arrays as one value).
 * No imports, so the browser bundle can share it.
 */

/** Leaves of a config as dotted paths → JSON text; arrays are leaves (e.g. "finetune.alpha" → "[0.5,0.7,0.7]"). */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

export interface ConfigDifference {
  key: string;
  /** One per run, in the runs' order; undefined where a run's config lacks the key. */
  values: (string | undefined)[];
}

/** The keys (sorted) whose value is not the same in every run; a key missing from some run counts as differing. */
export function configDifferences(configs: unknown[]): ConfigDifference[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return keys.map((key) => ({ key, values: flat.map((f) => f[key]) })).filter((d) => d.values.some((v) => v !== d.values[0]));
}

/** Every metric name of the runs, sorted: one chart per metric. */
export function metricNames(runs: { metrics: { name: string }[] }[]): string[] {
  return [...new Set(runs.flatMap((r) => r.metrics.map((m) => m.name)))].sort();
}

/** Run ids from a comma-separated list (URL `runs=` or `--runs`): trimmed, empty and repeated ones dropped. */
export function parseRunIds(text: string | null | undefined): string[] {
  return [
    ...new Set(
      (text ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** At most this many runs in one comparison (one chart line each). */
export const MAX_COMPARED = 12;
