/**
 * The cells of Table 2: every (contrast, N, initialisation) with each TEST subject's Dice averaged over the cell's seeds
 * (the t-test and the bootstrap then see one value per subject), and the same at the training resolution.
 */
export type Kidney = 'right' | 'left';
export const KIDNEYS: readonly Kidney[] = ['right', 'left'];

export interface EvaluatedRun {
  contrast: string;
  nLabeled: number;
  initialization: 'RANDOM' | 'CLC';
  seed: number;
  /** Per TEST subject: Dice at the series' own resolution, and (when recorded) at the training resolution. */
  scores: { subjectId: string; dice: Record<Kidney, number>; trainingSizeDice?: Record<Kidney, number> | null }[];
}

export interface Pair {
  right: number;
  left: number;
}

/** Subject id → Dice averaged over the seeds of one cell. */
export type SubjectMeans = Map<string, Pair>;
export interface Cell {
  means: SubjectMeans;
  /** Seed-averaged Dice at the training resolution, for the subjects that have it. */
  trainingSize: SubjectMeans;
  seeds: number;
}

export function cellKey(contrast: string, n: number, init: string): string {
  return `${contrast}\u0000${n}\u0000${init}`;
}

export function groupCells(runs: readonly EvaluatedRun[]): Map<string, Cell> {
  const sums = new Map<string, Map<string, { right: number; left: number; count: number }>>();
  const atSize = new Map<string, Map<string, { right: number; left: number; count: number }>>();
  const seeds = new Map<string, Set<number>>();
  for (const run of runs) {
    const key = cellKey(run.contrast, run.nLabeled, run.initialization);
    const cell = sums.get(key) ?? new Map();
    sums.set(key, cell);
    if (run.scores.length) seeds.get(key)?.add(run.seed) ?? seeds.set(key, new Set([run.seed]));
    const sized = atSize.get(key) ?? new Map();
    atSize.set(key, sized);
    for (const s of run.scores) {
      accumulate(cell, s.subjectId, s.dice);
      if (s.trainingSizeDice) accumulate(sized, s.subjectId, s.trainingSizeDice);
    }
  }
  const out = new Map<string, Cell>();
  for (const [key, cell] of sums) {
    const means = averages(cell);
    if (means.size) out.set(key, { means, trainingSize: averages(atSize.get(key)!), seeds: seeds.get(key)?.size ?? 0 });
  }
  return out;
}

type Sums = Map<string, { right: number; left: number; count: number }>;

function accumulate(cell: Sums, subjectId: string, dice: Pair): void {
  const acc = cell.get(subjectId) ?? { right: 0, left: 0, count: 0 };
  acc.right += dice.right;
  acc.left += dice.left;
  acc.count += 1;
  cell.set(subjectId, acc);
}

function averages(cell: Sums): SubjectMeans {
  const means: SubjectMeans = new Map();
  for (const [id, acc] of cell) means.set(id, { right: acc.right / acc.count, left: acc.left / acc.count });
  return means;
}
