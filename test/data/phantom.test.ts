import { describe, expect, it } from 'vitest';
import { drawDisease, generateSubject, planCohort } from '../../src/data/phantom';
import { normalizeChannels } from '../../src/data/normalize';
import { hashSeed, Rng } from '../../src/data/random';
import { kidneyVolumesMl } from '../../src/data/volume';

const EXPECTED_CHANNELS = { DIXON: 4, T1_MAP: 8, T2_MAP: 6, BOLD: 8, DWI: 4 } as const;

describe('seeded random numbers', () => {
  it('repeat for a seed and differ between seeds', () => {
    const a = Rng.from(1, 'x');
    const b = Rng.from(1, 'x');
    const c = Rng.from(2, 'x');
    const sa = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(sa);
    expect(hashSeed(1, 'a')).not.toBe(hashSeed(1, 'b'));
  });
  it('normal() has mean 0 and sd 1', () => {
    const r = new Rng(42);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(s2 / n) - 1)).toBeLessThan(0.03);
  });
});

describe('generateSubject', () => {
  const a = generateSubject({ seed: 2093, code: 'A', group: 'PROSTATE_CANCER', size: 64 });

  it('is bit-identical for the same seed and differs for another', () => {
    const b = generateSubject({ seed: 2093, code: 'A', group: 'PROSTATE_CANCER', size: 64 });
    const c = generateSubject({ seed: 2094, code: 'A', group: 'PROSTATE_CANCER', size: 64 });
    a.series.forEach((s, i) => {
      expect(Buffer.from(s.data.buffer).equals(Buffer.from(b.series[i].data.buffer))).toBe(true);
      expect(Buffer.from(s.mask!).equals(Buffer.from(b.series[i].mask!))).toBe(true);
      expect(s.protocol).toEqual(b.series[i].protocol);
    });
    expect(Buffer.from(a.series[0].data.buffer).equals(Buffer.from(c.series[0].data.buffer))).toBe(false);
  });

  it('has the five contrasts with their channel counts, names and geometry', () => {
    expect(a.series.map((s) => s.contrast)).toEqual(['DIXON', 'T1_MAP', 'T2_MAP', 'BOLD', 'DWI']);
    for (const s of a.series) {
      expect(s.channels).toBe(EXPECTED_CHANNELS[s.contrast]);
      expect(s.channelNames).toHaveLength(s.channels);
      expect(s.data).toHaveLength(s.width * s.height * s.slices * s.channels);
      expect(s.width).toBe(64);
      expect(s.slices).toBeGreaterThanOrEqual(12);
      expect(s.slices).toBeLessThanOrEqual(16);
      expect(s.spacingMm[2]).toBe(5);
      expect(s.protocol.orientation).toBe('coronal');
      expect(s.data.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    }
    expect(a.series[0].channelNames).toEqual(['in-phase', 'opposed-phase', 'water', 'fat']);
    expect(a.series[1].channelNames[0]).toBe('TI=100ms');
    expect(a.series[1].channelNames[7]).toBe('TI=3000ms');
    expect(a.series[2].channelNames).toEqual(['TE=10ms', 'TE=32ms', 'TE=54ms', 'TE=76ms', 'TE=98ms', 'TE=120ms']);
    expect(a.series[4].channelNames).toEqual(['b=0', 'b=100', 'b=200', 'b=800']);
  });

  it('honours an explicit slice count', () => {
    const s = generateSubject({ seed: 5, code: 'S', group: 'HEALTHY', size: 32, slices: 14 });
    expect(s.series.every((v) => v.slices === 14 && v.width === 32)).toBe(true);
  });

  it('gives exact masks (labels 0/1/2, both kidneys) that move with breathing between contrasts', () => {
    const masks = a.series.map((s) => s.mask!);
    for (const m of masks) {
      expect(new Set(m)).toEqual(new Set([0, 1, 2]));
    }
    expect(masks.some((m) => !Buffer.from(m).equals(Buffer.from(masks[0])))).toBe(true);
  });
});

describe('phantom cohort statistics (10 subjects at 128²)', () => {
  const subjects = Array.from({ length: 10 }, (_, i) => generateSubject({ seed: hashSeed(77, i), code: `S${i}`, group: i < 3 ? 'HEALTHY' : 'NEUROENDOCRINE_TUMOR' }));

  it('kidney volumes lie in 90–260 mL where the slab covers the kidneys; cut poles and EPI distortion shrink them', () => {
    for (const s of subjects) {
      for (const v of s.series) {
        // a slab cutting a pole loses up to a third; EPI distortion stretches or compresses by up to ~15%
        const low = (s.truth.anatomy.slabCutMm > 0 ? 60 : 90) * (v.contrast === 'DWI' || v.contrast === 'BOLD' ? 0.85 : 1);
        const { right, left } = kidneyVolumesMl(v.mask!, v.spacingMm);
        for (const ml of [right, left]) {
          expect(ml, `${s.code} ${v.contrast}`).toBeGreaterThanOrEqual(low);
          expect(ml, `${s.code} ${v.contrast}`).toBeLessThanOrEqual(260);
        }
      }
    }
  });

  it('keeps a posterior kidney inside a narrow body wall (default cohort SYN-008 lost 40% of its right kidney)', () => {
    const plan = planCohort({ subjects: 79, seed: 2093 }).find((p) => p.code === 'SYN-008')!;
    const s = generateSubject({ seed: plan.seed, code: plan.code, group: plan.group });
    const { right, left } = kidneyVolumesMl(s.series[0].mask!, s.series[0].spacingMm);
    expect(right).toBeGreaterThanOrEqual(90);
    expect(left).toBeGreaterThanOrEqual(90);
  });

  it('kidney positions and sizes vary between subjects', () => {
    const vols = subjects.map((s) => kidneyVolumesMl(s.series[0].mask!, s.series[0].spacingMm).right);
    expect(Math.max(...vols) - Math.min(...vols)).toBeGreaterThan(20);
    const centroidX = subjects.map((s) => {
      const v = s.series[0];
      let sx = 0;
      let n = 0;
      v.mask!.forEach((l, i) => {
        if (l === 1) {
          sx += i % v.width;
          n++;
        }
      });
      return sx / n;
    });
    // generation 2: FOV centre ±35 mm and kidneys ±18 mm (issue 12) — far more than gen 1's ~2–3 px
    expect(Math.max(...centroidX) - Math.min(...centroidX)).toBeGreaterThan(15);
  });

  it('the kidney is never the only bright object: in every channel ≥ 0.5% of body pixels outside the kidneys are brighter than the kidney median', () => {
    for (const s of subjects.slice(0, 4)) {
      for (const v of s.series) {
        const n = v.width * v.height * v.slices;
        for (let c = 0; c < v.channels; c++) {
          const ch = v.data.subarray(c * n, (c + 1) * n);
          const kid: number[] = [];
          for (let i = 0; i < n; i++) if (v.mask![i]) kid.push(ch[i]);
          kid.sort((x, y) => x - y);
          const median = kid[kid.length >> 1];
          let brighter = 0;
          for (let i = 0; i < n; i++) if (!v.mask![i] && ch[i] > median) brighter++;
          expect(brighter / n, `${s.code} ${v.contrast} ${v.channelNames[c]}`).toBeGreaterThan(0.005);
        }
      }
    }
  });

  it('normalizeChannels maps every channel to [0, 1]', () => {
    const v = normalizeChannels(subjects[0].series[3]);
    const n = v.width * v.height * v.slices;
    for (let c = 0; c < v.channels; c++) {
      const ch = v.data.subarray(c * n, (c + 1) * n);
      let mn = Infinity;
      let mx = -Infinity;
      for (const x of ch) {
        mn = Math.min(mn, x);
        mx = Math.max(mx, x);
      }
      expect(mn).toBe(0);
      expect(mx).toBe(1);
    }
  });
});

describe('phantom generation 2 (issue 12)', () => {
  const plan = planCohort({ subjects: 79, seed: 2093 });
  const subjects = plan.slice(0, 24).map((p) => generateSubject({ ...p, size: 32 }));

  it('records its generation and the acquired (jittered) timings in every series protocol', () => {
    const s = subjects[0];
    for (const v of s.series) expect(v.protocol.phantomGeneration).toBe(2);
    const ti = (s.series[1].protocol.acquired as { tiMs: number[] }).tiMs;
    expect(ti).toHaveLength(8);
    expect(ti.some((t, i) => t !== [100, 200, 400, 700, 1000, 1500, 2000, 3000][i])).toBe(true);
    for (const [t, nominal] of ti.map((t, i) => [t, [100, 200, 400, 700, 1000, 1500, 2000, 3000][i]])) expect(Math.abs(t / nominal - 1)).toBeLessThan(0.06);
  });

  it('varies anatomy and acquisition like a cohort of people: positions, rotation, SNR 5–40, bias ≤ 0.5, artefacts', () => {
    const truths = subjects.map((s) => s.truth);
    const fovX = truths.map((t) => t.anatomy.fovCenter[0]);
    expect(Math.max(...fovX) - Math.min(...fovX)).toBeGreaterThan(35);
    expect(truths.every((t) => Math.abs(t.anatomy.fovCenter[0]) <= 35 && Math.abs(t.anatomy.fovCenter[1]) <= 35)).toBe(true);
    expect(truths.every((t) => Math.abs(t.anatomy.rotation) <= (10 * Math.PI) / 180)).toBe(true);
    const lengths = truths.flatMap((t) => t.anatomy.kidneys.map((k) => 2 * k.semi[1]));
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(130);
    const snrs = truths.flatMap((t) => Object.values(t.snr));
    expect(Math.min(...snrs)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...snrs)).toBeLessThanOrEqual(40);
    expect(Math.max(...snrs) / Math.min(...snrs)).toBeGreaterThan(3);
    const acq = truths.flatMap((t) => Object.values(t.acquisition));
    expect(acq.every((a) => a.biasAmplitude >= 0.1 && a.biasAmplitude <= 0.5)).toBe(true);
    expect(acq.filter((a) => a.epi).every((a) => a.epi!.distortionMm >= 2 && a.epi!.ghost > 0)).toBe(true);
    // the right kidney is not always at the same height as the left: independent positions
    const dy = truths.map((t) => t.anatomy.kidneys[0].center[1] - t.anatomy.kidneys[1].center[1]);
    expect(Math.max(...dy) - Math.min(...dy)).toBeGreaterThan(25);
  });

  it('gives patients their disease patterns more often than healthy volunteers', () => {
    const many = planCohort({ subjects: 79, seed: 2093 }).map((p) => ({ group: p.group, d: drawDisease(Rng.from(p.seed, 'disease'), p.group) }));
    const rate = (healthy: boolean) => {
      const g = many.filter((x) => (x.group === 'HEALTHY') === healthy);
      return g.filter((x) => x.d.reducedCmd || x.d.highCorticalT1 || x.d.lowAdc).length / g.length;
    };
    expect(rate(false)).toBeGreaterThan(0.5);
    expect(rate(true)).toBeLessThan(0.35);
  });
});
