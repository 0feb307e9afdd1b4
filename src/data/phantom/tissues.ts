/**
 * Tissue classes of the phantom and their MR parameters at 3T (generation 2, issue 12): literature values, drawn per
 * subject with a 10–20% spread, and the disease patterns of the study's patient groups.
 *
 * Sources of the nominal 3T values (the ranges are the published mean ± SD, rounded):
 * - renal cortex / medulla T1 1142 ± 154 / 1545 ± 142 ms and T2 76 ± 7 / 81 ± 8 ms; liver T1 809 ± 71, T2 34 ± 4;
 *   spleen T1 1328 ± 31, T2 61 ± 9; fat T1 382 ± 13, T2 68 ± 4; paravertebral muscle T1 898 ± 33, T2 29 ± 4 ms:
 *   de Bazelaire CMJ et al., "MR imaging relaxation times of abdominal and pelvic tissues measured in vivo at 3.0 T",
 *   Radiology 2004;230:652–659 (one study and technique for all abdominal tissues, so their contrasts are
 *   consistent; limb-muscle studies report longer muscle T1, ~1400 ms: Gold GE et al., AJR 2004;183:343–351).
 * - paraspinal / psoas muscle fat fraction ~5–15% in adults, rising with age: Crawford RJ et al., "Age- and
 *   level-dependence of fatty infiltration in lumbar paravertebral muscles of healthy volunteers", AJNR
 *   2016;37:742–748 (the phantom uses 10%).
 * - renal T1 with respiratory-triggered inversion recovery in healthy volunteers, cortex ≈ 1376 ms, medulla
 *   ≈ 1651 ms, and in CKD a higher cortical T1 with less corticomedullary differentiation: Cox EF et al.,
 *   "Multiparametric renal MRI: validation, interventions, and alterations in CKD", Front Physiol 2017;8:696.
 *   The phantom draws cortex and medulla around de Bazelaire's values (cortex 1050–1250 ms, medulla 300–450 ms
 *   longer), because its liver, spleen, fat and muscle values come from the same study and technique, so the
 *   contrasts between tissues stay consistent; Cox's higher values enter as the patients' raised cortical T1. The spread of published renal T1/T2 is
 *   reviewed in Dekkers IA et al., "Consensus-based technical recommendations for clinical translation of renal T1
 *   and T2 mapping MRI", MAGMA 2020;33:163–176.
 * - renal T2* (BOLD) at 3T: cortical R2* ≈ 17–19 s⁻¹ (T2* ≈ 55 ms), medullary R2* ≈ 26–30 s⁻¹ (T2* ≈ 35 ms):
 *   Bane O et al., "Consensus-based technical recommendations for clinical translation of renal BOLD MRI",
 *   MAGMA 2020;33:199–215 (and the studies it tabulates).
 * - renal ADC (b 0–800): cortex ≈ 2.0–2.3, medulla ≈ 1.9–2.2 ×10⁻³ mm²/s, lower in CKD and fibrosis:
 *   Ljimani A et al., "Consensus-based technical recommendations for clinical translation of renal diffusion-weighted
 *   MRI", MAGMA 2020;33:177–195.
 * - metastases (perirenal / retroperitoneal nodes of NET or prostate cancer): T1 ~1300 ms, T2 ~85 ms and restricted
 *   diffusion (ADC ~1.0 ×10⁻³ mm²/s); these are typical values of solid tumours, not a single study's.
 * Fluids (urine, cysts, CSF) follow the long relaxation times of free water (T1 ≥ 3000 ms, T2 ≥ 1000 ms, ADC 3.0).
 */
import { Rng } from '../random';
import type { SubjectGroupName } from '../volume';

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
  METASTASIS,
}
export const TISSUE_COUNT = 18;

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

/** Nominal values (sources in the header). Cortex and medulla are drawn in `drawTissueParams`. */
const BASE: Record<Tissue, Base> = {
  [Tissue.AIR]: { pd: 0, t1: 1000, t2: 1, t2s: 1, adc: 0, ff: 0, vary: 0 },
  [Tissue.FAT]: { pd: 0.9, t1: 382, t2: 68, t2s: 30, adc: 0.01, ff: 0.95 },
  [Tissue.MUSCLE]: { pd: 0.72, t1: 898, t2: 29, t2s: 25, adc: 1.4, ff: 0.1 },
  [Tissue.LIVER]: { pd: 0.75, t1: 809, t2: 34, t2s: 25, adc: 1.1, ff: 0.05 },
  [Tissue.SPLEEN]: { pd: 0.85, t1: 1328, t2: 61, t2s: 40, adc: 0.9, ff: 0 },
  [Tissue.CORTEX]: { pd: 0.82, t1: 1250, t2: 80, t2s: 55, adc: 2.15, ff: 0 },
  [Tissue.MEDULLA]: { pd: 0.88, t1: 1600, t2: 95, t2s: 35, adc: 2.05, ff: 0 },
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
  [Tissue.METASTASIS]: { pd: 0.8, t1: 1300, t2: 85, t2s: 40, adc: 1.0, ff: 0 },
};

export type SubjectTissues = TissueParams[];

/** Which disease patterns a subject carries (drawn per group; ground truth for tests and docs). */
export interface DiseasePattern {
  /** Medullary T1/T2 pulled towards the cortex's: less corticomedullary differentiation. */
  reducedCmd: boolean;
  /** Cortical T1 raised by 5–15% (Cox et al. 2017: CKD). */
  highCorticalT1: boolean;
  /** Renal ADC lowered by 10–20% (Ljimani et al. 2020: lower in CKD and fibrosis). */
  lowAdc: boolean;
}

/** Probability of each pattern per group: the study's patients are older and treated, some with reduced function. */
const PATTERN_PROBABILITY: Record<SubjectGroupName, number> = { HEALTHY: 0.05, PROSTATE_CANCER: 0.35, NEUROENDOCRINE_TUMOR: 0.4, OTHER: 0.3 };

export function drawDisease(rng: Rng, group: SubjectGroupName): DiseasePattern {
  const p = PATTERN_PROBABILITY[group];
  return { reducedCmd: rng.chance(p), highCorticalT1: rng.chance(p), lowAdc: rng.chance(p) };
}

/**
 * Per-subject parameters: every tissue's PD, T1, T2, T2* and ADC × (1 + N(0, 8%)) clipped at ±20% (the 10–20%
 * between-subject spread of issue 12); renal cortex and medulla drawn inside the published ranges (header), with the
 * medulla's T1 and T2 longer and its T2* and ADC shorter than the cortex's; then the subject's disease pattern.
 */
export function drawTissueParams(rng: Rng, disease: DiseasePattern): SubjectTissues {
  const out: SubjectTissues = [];
  const vary = (v: number, sd = 0.08) => v * rng.clippedNormal(1, sd, 2.5);
  for (let t = 0; t < TISSUE_COUNT; t++) {
    const b = BASE[t as Tissue];
    if (b.vary === 0) {
      out.push({ pd: b.pd, t1: b.t1, t2: b.t2, t2s: b.t2s, adc: b.adc, ff: b.ff });
      continue;
    }
    out.push({
      pd: Math.min(1, vary(b.pd, 0.05)),
      t1: vary(b.t1),
      t2: vary(b.t2),
      t2s: vary(b.t2s),
      adc: vary(b.adc),
      ff: Math.min(0.99, b.ff === 0 ? 0 : vary(b.ff, 0.04)),
    });
  }
  const cortex = out[Tissue.CORTEX];
  const medulla = out[Tissue.MEDULLA];
  cortex.t1 = rng.uniform(1050, 1250);
  medulla.t1 = cortex.t1 + rng.uniform(300, 450);
  cortex.t2 = rng.uniform(70, 92);
  medulla.t2 = cortex.t2 + rng.uniform(6, 25);
  cortex.t2s = vary(55);
  medulla.t2s = cortex.t2s * rng.uniform(0.6, 0.75);
  cortex.adc = rng.uniform(1.95, 2.35);
  medulla.adc = cortex.adc * rng.uniform(0.9, 0.98);
  if (disease.highCorticalT1) cortex.t1 *= rng.uniform(1.05, 1.15);
  if (disease.reducedCmd) {
    const keep = rng.uniform(0.3, 0.6);
    medulla.t1 = cortex.t1 + (medulla.t1 - cortex.t1) * keep;
    medulla.t2 = cortex.t2 + (medulla.t2 - cortex.t2) * keep;
    medulla.t2s = cortex.t2s + (medulla.t2s - cortex.t2s) * keep;
  }
  if (disease.lowAdc) {
    const f = rng.uniform(0.8, 0.9);
    cortex.adc *= f;
    medulla.adc *= f;
  }
  return out;
}
