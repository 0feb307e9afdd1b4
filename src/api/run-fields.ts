/**
 * The run fields every client list selects — the dashboard's tables and figures (client/src) and `nephron watch` /
 * `nephron report` (src/cli): where the run sits in the study design and how far it got. Each view extends it with
 * the rest of its own selection. No imports, so the browser bundle can share it.
 */
export interface RunFields {
  id: string;
  kind: string;
  status: string;
  contrast: string;
  initialization: string | null;
  nLabeled: number | null;
  seed: number;
  epoch: number;
  epochs: number;
  /** Where it trains or trained (`wasm-simd-2t`, `webgpu:0 NVIDIA H200 [nvidia/hopper, …]`); null until claimed. */
  device: string | null;
}
