import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, diceScore, kidneyDice } from '../../src/ml/metrics';

describe('diceScore', () => {
  it('computes 2|A∩B| / (|A| + |B|) over the whole 3D volume', () => {
    // 2 slices × 2 × 2 voxels. Label 1: pred at {0, 1, 4}, truth at {1, 4, 5, 6} → |A∩B| = 2, Dice = 4/7.
    const pred = Uint8Array.from([1, 1, 0, 0, 1, 0, 2, 2]);
    const truth = Uint8Array.from([0, 1, 0, 2, 1, 1, 1, 2]);
    expect(diceScore(pred, truth, 1)).toBeCloseTo(4 / 7, 12);
    // Label 2: pred {6, 7}, truth {3, 7} → 2·1 / 4 = 0.5
    expect(diceScore(pred, truth, 2)).toBe(0.5);
    expect(kidneyDice(pred, truth)).toEqual({ right: diceScore(pred, truth, 1), left: 0.5 });
  });

  it('is 1 when the label is absent from both volumes, 0 when only one has it', () => {
    expect(diceScore(new Uint8Array(8), new Uint8Array(8), 2)).toBe(1);
    expect(diceScore(Uint8Array.from([2, 0]), Uint8Array.from([0, 0]), 2)).toBe(0);
  });

  it('rejects volumes of different sizes', () => {
    expect(() => diceScore(new Uint8Array(3), new Uint8Array(4), 1)).toThrow(/3 voxels.*4/);
  });
});

describe('adjustedRandIndex', () => {
  it('is 1 for the same partition under relabelling and matches a hand-worked table', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [5, 5, 3, 3, 9])).toBe(1);
    // a = (0,0,0,1,1,1), b = (0,0,1,1,2,2): table n_ij = [[2,1,0],[0,1,2]]
    //   index = C(2)+C(2) = 2; Σ C(a_i) = 3+3 = 6; Σ C(b_j) = 1+1+1 = 3; C(6) = 15
    //   expected = 6·3/15 = 1.2; max = 4.5 → ARI = 0.8 / 3.3 = 0.2424242
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.8 / 3.3, 12);
  });
});
