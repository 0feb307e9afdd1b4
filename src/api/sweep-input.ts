/**
 * The `SweepInput` of startSweep (api.md) as the clients send it: the dashboard's Launch form
 * (client/src/lib/sweep-form.ts) and `nephron sweep start` (src/cli/sweep.ts). No imports, so the browser bundle
 * can share it; the server validates every field again (BAD_USER_INPUT with the field).
 */
export interface SweepInput {
  name: string;
  cohortId: string;
  contrasts: string[];
  nLabeled: number[];
  initializations: string[];
  seeds: number[];
  preset: string;
  /** Preset overrides (JSON objects), checked key by key by the server. */
  pretrainOverrides?: unknown;
  finetuneOverrides?: unknown;
}
