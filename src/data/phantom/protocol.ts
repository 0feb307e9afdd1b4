/**
 * The default synthetic acquisition protocol (method.md "Data"): channel lists and sequence parameters per contrast.
 * The fitted T1/T2 maps that method.md lists in parentheses are NOT stored as extra channels: every contrast keeps
 * only acquired images (T1_MAP 8 channels, T2_MAP 6), so channel counts match the study's protocol table; a
 * consumer can fit the maps from the channels and the TI/TE lists in the protocol.
 */
import type { ContrastKindName } from '../volume';

export interface ContrastProtocol {
  contrast: ContrastKindName;
  channelNames: string[];
  /** Sequence name and parameters (ms, s/mm²) as stored in the series' protocol JSON. */
  params: Record<string, unknown>;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** Inversion times (ms) of the T1 mapping (inversion recovery), 8 values 100–3000 ms. */
export const T1_INVERSION_TIMES_MS = [100, 200, 400, 700, 1000, 1500, 2000, 3000];
/** Echo times (ms) of the multi-echo spin-echo T2 mapping: 6 equally spaced echoes 10–120 ms. */
export const T2_ECHO_TIMES_MS = [10, 32, 54, 76, 98, 120];
/** Echo times (ms) of the multi-echo gradient echo BOLD (T2*): 8 equally spaced echoes 2–40 ms. */
export const BOLD_ECHO_TIMES_MS = Array.from({ length: 8 }, (_, i) => Math.round((2 + (i * 38) / 7) * 10) / 10);
/** b-values (s/mm²) of the DWI. */
export const DWI_B_VALUES = [0, 100, 200, 800];
/** 2-point Dixon at 3T: opposed- and in-phase echo times (ms). */
export const DIXON_TE_OP_MS = 1.15;
export const DIXON_TE_IP_MS = 2.3;

export const DEFAULT_PROTOCOLS: Record<ContrastKindName, ContrastProtocol> = {
  DIXON: {
    contrast: 'DIXON',
    channelNames: ['in-phase', 'opposed-phase', 'water', 'fat'],
    params: { sequence: '3D spoiled gradient echo, 2-point Dixon', teOpMs: DIXON_TE_OP_MS, teIpMs: DIXON_TE_IP_MS, trMs: 4.0, flipAngleDeg: 9 },
  },
  T1_MAP: {
    contrast: 'T1_MAP',
    channelNames: T1_INVERSION_TIMES_MS.map((ti) => `TI=${ti}ms`),
    params: { sequence: 'inversion recovery, magnitude, fat suppressed', tiMs: T1_INVERSION_TIMES_MS, fittedMapChannel: false, fatSuppression: 0.05 },
  },
  T2_MAP: {
    contrast: 'T2_MAP',
    channelNames: T2_ECHO_TIMES_MS.map((te) => `TE=${te}ms`),
    params: { sequence: 'multi-echo spin echo, fat suppressed', teMs: T2_ECHO_TIMES_MS, fittedMapChannel: false, fatSuppression: 0.05 },
  },
  BOLD: {
    contrast: 'BOLD',
    channelNames: BOLD_ECHO_TIMES_MS.map((te) => `TE=${fmt(te)}ms`),
    params: { sequence: 'multi-echo gradient echo (T2*)', teMs: BOLD_ECHO_TIMES_MS, fatWaterShiftHz: -434 },
  },
  DWI: {
    contrast: 'DWI',
    channelNames: DWI_B_VALUES.map((b) => `b=${b}`),
    params: { sequence: 'SE-EPI DWI, fat suppressed', bValues: DWI_B_VALUES, teMs: 60, fatSuppression: 0.05 },
  },
};

/**
 * The timings one subject's series was acquired with (generation 2 jitters them around the protocol): stored in the
 * series protocol under `acquired`, next to the nominal values the channel names follow.
 */
export function acquiredProtocol(contrast: ContrastKindName, t: SequenceTimings): Record<string, unknown> {
  const r = (v: number) => Math.round(v * 100) / 100;
  switch (contrast) {
    case 'DIXON':
      return { teOpMs: r(t.dixonTeOpMs), teIpMs: r(t.dixonTeIpMs) };
    case 'T1_MAP':
      return { tiMs: t.tiMs.map(r) };
    case 'T2_MAP':
      return { teMs: t.t2TeMs.map(r) };
    case 'BOLD':
      return { teMs: t.boldTeMs.map(r) };
    case 'DWI':
      return { bValues: t.bValues.map(r), teMs: r(t.dwiTeMs) };
  }
}

/**
 * The sequence timings one subject was actually acquired with (the protocol's values with per-subject jitter,
 * ./acquisition.ts), and the residual fat signal of the DWI's fat suppression (0.05 works, ≥ 0.3 failed).
 */
export interface SequenceTimings {
  tiMs: number[];
  t2TeMs: number[];
  boldTeMs: number[];
  bValues: number[];
  dixonTeOpMs: number;
  dixonTeIpMs: number;
  dwiTeMs: number;
  dwiFatResidual: number;
}
