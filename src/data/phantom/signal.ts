/**
 * Signal models per contrast (phantom.md), evaluated per tissue class: a table of noise-free, signed
 * "pre-magnitude" values (tissues × components). Partial volume is applied to these components before the
 * magnitude is taken, so e.g. opposed-phase fat/water boundaries cancel (India-ink) and inversion-recovery
 * boundaries null, as on a scanner.
 *
 * - DIXON (2-point): components A = (W + F)·e^{−TE_ip/T2*} and B = (W − F)·e^{−TE_op/T2*};
 *   IP = |A|, OP = |B|, water = |A + B|/2, fat = |A − B|/2. W and F carry the T1 weighting of the spoiled GRE
 *   (TR 4 ms, flip 9°): W = PD(1−ff)·g(T1), F = PD·ff·g(T1), g = sin α(1−E1)/(1−cos α·E1) normalised to fat's.
 * - T1_MAP: S(TI) = PD·(1 − 2·e^{−TI/T1}) (magnitude taken after noise), fat suppressed (5% of fat left).
 * - T2_MAP: S(TE) = PD·e^{−TE/T2}, fat suppressed.
 * - BOLD: S(TE) = |W + F·e^{i2πΔf·TE}|·e^{−TE/T2*}, Δf = −434 Hz (fat–water shift at 3T).
 * - DWI: S(b) = S0·e^{−b·ADC}, S0 = PD·e^{−TE/T2}·(1 − ff + r·ff), r the fat suppression's residual, TE ~60 ms.
 * Every TE, TI and b is the subject's acquired value (SequenceTimings).
 * Flowing blood is attenuated in the spin-echo/IR/DWI acquisitions (flow voids), bright in the 2D gradient echo
 * (BOLD: inflow) and partly saturated inside the 3D Dixon slab (×0.6).
 */
import type { ContrastKindName } from '../volume';
import { BOLD_ECHO_TIMES_MS, DWI_B_VALUES, T1_INVERSION_TIMES_MS, T2_ECHO_TIMES_MS, type SequenceTimings } from './protocol';

export type { SequenceTimings };
import { TISSUE_COUNT, Tissue, type SubjectTissues } from './tissues';

/** Signal of PD = 1, fully relaxed tissue. */
export const SIGNAL_SCALE = 1000;

const FLOW_FACTOR: Record<ContrastKindName, number> = { DIXON: 0.6, T1_MAP: 0.35, T2_MAP: 0.15, BOLD: 0.9, DWI: 0.2 };

/** Number of pre-magnitude components per contrast (DIXON: A and B; otherwise one per channel). */
export function componentCount(contrast: ContrastKindName): number {
  switch (contrast) {
    case 'DIXON':
      return 2;
    case 'T1_MAP':
      return T1_INVERSION_TIMES_MS.length;
    case 'T2_MAP':
      return T2_ECHO_TIMES_MS.length;
    case 'BOLD':
      return BOLD_ECHO_TIMES_MS.length;
    case 'DWI':
      return DWI_B_VALUES.length;
  }
}

function gre(t1: number, trMs = 4, flipDeg = 9): number {
  const a = (flipDeg * Math.PI) / 180;
  const e1 = Math.exp(-trMs / t1);
  return (Math.sin(a) * (1 - e1)) / (1 - Math.cos(a) * e1);
}

/**
 * Share of a tissue's signal left by the spectral fat suppression of the renal T1 and T2 mapping sequences (SPAIR;
 * recommended for renal T1/T2 mapping by Dekkers IA et al., MAGMA 2020;33:163–176): 5% of the fat signal remains.
 */
const fatSuppressed = (ff: number) => 1 - ff + 0.05 * ff;

/** Table [tissue * components + component] of signed noise-free signals. */
export function signalTable(contrast: ContrastKindName, tissues: SubjectTissues, seq: SequenceTimings): Float32Array {
  const nc = componentCount(contrast);
  const table = new Float32Array(TISSUE_COUNT * nc);
  const gFat = gre(380);
  for (let t = 0; t < TISSUE_COUNT; t++) {
    const p = tissues[t];
    const pd = p.pd * SIGNAL_SCALE * (t === Tissue.BLOOD ? FLOW_FACTOR[contrast] : 1);
    const row = t * nc;
    switch (contrast) {
      case 'DIXON': {
        const g = gre(p.t1) / gFat;
        const w = pd * (1 - p.ff) * g;
        const f = pd * p.ff * g;
        table[row] = (w + f) * Math.exp(-seq.dixonTeIpMs / p.t2s);
        table[row + 1] = (w - f) * Math.exp(-seq.dixonTeOpMs / p.t2s);
        break;
      }
      case 'T1_MAP':
        seq.tiMs.forEach((ti, c) => (table[row + c] = pd * fatSuppressed(p.ff) * (1 - 2 * Math.exp(-ti / p.t1))));
        break;
      case 'T2_MAP':
        seq.t2TeMs.forEach((te, c) => (table[row + c] = pd * fatSuppressed(p.ff) * Math.exp(-te / p.t2)));
        break;
      case 'BOLD':
        seq.boldTeMs.forEach((te, c) => {
          const phase = 2 * Math.PI * -434 * (te / 1000);
          const re = (1 - p.ff) + p.ff * Math.cos(phase);
          const im = p.ff * Math.sin(phase);
          table[row + c] = pd * Math.hypot(re, im) * Math.exp(-te / p.t2s);
        });
        break;
      case 'DWI': {
        const s0 = pd * Math.exp(-seq.dwiTeMs / p.t2) * (1 - p.ff + seq.dwiFatResidual * p.ff);
        seq.bValues.forEach((b, c) => (table[row + c] = s0 * Math.exp(-b * p.adc * 1e-3)));
        break;
      }
    }
  }
  return table;
}
