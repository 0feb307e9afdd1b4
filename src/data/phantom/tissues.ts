/**
 * Tissue classes of the phantom and their MR parameters at 3T (phantom.md table; literature values), drawn per
 * subject with ~5–10% variation.
 */
import { Rng } from '../random';

export enum Tissue {
  AIR = 0,
  FAT,
  MUSCLE,
  LIVER,
  SPLEEN,
  CORTEX,
  MEDULLA,
  URINE,
  CYST,
  CSF,
  MARROW,
  DISC,
  BLOOD,
  LUNG,
  BOWEL_FLUID,
  BOWEL_AIR,
  BOWEL_CONTENT,
}
export const TISSUE_COUNT = 17;

export interface TissueParams {
  /** Relative proton density (water + fat), 0–1. */
  pd: number;
  t1: number;
  t2: number;
  t2s: number;
  /** Apparent diffusion coefficient in 10⁻³ mm²/s. */
  adc: number;
  /** Fat fraction 0–1. */
  ff: number;
}

type Base = TissueParams & { vary?: number };

/** Nominal values. Cortex/medulla are drawn from the ranges of phantom.md in `drawTissueParams`. */
const BASE: Record<Tissue, Base> = {
  [Tissue.AIR]: { pd: 0, t1: 1000, t2: 1, t2s: 1, adc: 0, ff: 0, vary: 0 },
  [Tissue.FAT]: { pd: 0.9, t1: 380, t2: 68, t2s: 30, adc: 0.01, ff: 0.95 },
  [Tissue.MUSCLE]: { pd: 0.72, t1: 900, t2: 29, t2s: 25, adc: 1.4, ff: 0.05 },
  [Tissue.LIVER]: { pd: 0.75, t1: 810, t2: 34, t2s: 25, adc: 1.1, ff: 0.05 },
  [Tissue.SPLEEN]: { pd: 0.85, t1: 1330, t2: 61, t2s: 40, adc: 0.9, ff: 0 },
  [Tissue.CORTEX]: { pd: 0.82, t1: 1200, t2: 90, t2s: 58, adc: 2.2, ff: 0 },
  [Tissue.MEDULLA]: { pd: 0.88, t1: 1610, t2: 110, t2s: 36, adc: 2.1, ff: 0 },
  [Tissue.URINE]: { pd: 1, t1: 3000, t2: 1100, t2s: 500, adc: 3.0, ff: 0 },
  [Tissue.CYST]: { pd: 1, t1: 3200, t2: 1200, t2s: 550, adc: 3.0, ff: 0 },
  [Tissue.CSF]: { pd: 1, t1: 3400, t2: 1300, t2s: 600, adc: 3.0, ff: 0 },
  [Tissue.MARROW]: { pd: 0.75, t1: 550, t2: 50, t2s: 12, adc: 0.4, ff: 0.45 },
  [Tissue.DISC]: { pd: 0.8, t1: 1200, t2: 110, t2s: 40, adc: 1.6, ff: 0 },
  [Tissue.BLOOD]: { pd: 0.9, t1: 1650, t2: 150, t2s: 50, adc: 3.0, ff: 0 },
  [Tissue.LUNG]: { pd: 0.12, t1: 1300, t2: 40, t2s: 2, adc: 1.0, ff: 0 },
  [Tissue.BOWEL_FLUID]: { pd: 0.95, t1: 2500, t2: 400, t2s: 80, adc: 2.8, ff: 0 },
  [Tissue.BOWEL_AIR]: { pd: 0.03, t1: 1000, t2: 20, t2s: 2, adc: 1.0, ff: 0 },
  [Tissue.BOWEL_CONTENT]: { pd: 0.7, t1: 900, t2: 60, t2s: 20, adc: 1.2, ff: 0.1 },
};

export type SubjectTissues = TissueParams[];

/**
 * Per-subject parameters: every tissue's T1, T2, T2*, ADC and PD × (1 + N(0, 4%)) clipped at ±10%; renal cortex and
 * medulla drawn inside the ranges of phantom.md (T1 1140–1260 / 1545–1680 ms, T2 76–120 / 81–138 ms with the medulla
 * longer than the cortex, ADC 2.1–2.3 / 2.0–2.2), so the corticomedullary contrast varies between subjects.
 */
export function drawTissueParams(rng: Rng): SubjectTissues {
  const out: SubjectTissues = [];
  const vary = (v: number, sd = 0.04) => v * rng.clippedNormal(1, sd, 2.5);
  for (let t = 0; t < TISSUE_COUNT; t++) {
    const b = BASE[t as Tissue];
    if (b.vary === 0) {
      out.push({ pd: b.pd, t1: b.t1, t2: b.t2, t2s: b.t2s, adc: b.adc, ff: b.ff });
      continue;
    }
    out.push({
      pd: Math.min(1, vary(b.pd, 0.03)),
      t1: vary(b.t1),
      t2: vary(b.t2),
      t2s: vary(b.t2s),
      adc: vary(b.adc),
      ff: Math.min(0.99, b.ff === 0 ? 0 : vary(b.ff, 0.03)),
    });
  }
  const cortex = out[Tissue.CORTEX];
  const medulla = out[Tissue.MEDULLA];
  cortex.t1 = rng.uniform(1140, 1260);
  medulla.t1 = rng.uniform(1545, 1680);
  cortex.t2 = rng.uniform(76, 100);
  medulla.t2 = Math.min(138, cortex.t2 + rng.uniform(12, 35));
  cortex.adc = rng.uniform(2.1, 2.3);
  medulla.adc = rng.uniform(2.0, 2.2);
  cortex.t2s = vary(58, 0.05);
  medulla.t2s = vary(36, 0.05);
  return out;
}
