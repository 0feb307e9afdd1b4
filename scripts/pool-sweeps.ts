/**
 * Table 2 and the annotation reduction over the fine-tuning runs of several sweeps pooled, through the same analysis
 * as `labelEfficiency` (src/analysis/label-efficiency.ts): for a study whose seeds were run as separate sweeps, e.g.
 * a CLC seed added after the first sweep ended. Runs with the same (contrast, N, initialisation, seed) in two sweeps
 * are the same model trained twice: the first is kept, and the script says whether the two agreed.
 *   npx tsx scripts/pool-sweeps.ts [--url URL] [--reference-n 20] SWEEP_ID SWEEP_ID ...
 */
import { labelEfficiencyTable, type EvaluatedRun } from '../src/analysis/label-efficiency';
import { DEFAULT_URL, NephronClient } from '../src/cli/client';
import { REDUCTION_HEADER, TABLE2_HEADER, reductionCells, table2Cells } from '../src/cli/table2';
import { markdownTable } from '../src/cli/text';

interface Answer {
  sweep: {
    name: string;
    runs: {
      kind: string;
      status: string;
      contrast: string;
      nLabeled: number | null;
      initialization: 'RANDOM' | 'CLC' | null;
      seed: number;
      evaluation: { subjects: { subject: { id: string }; dice: { right: number; left: number } }[] } | null;
    }[];
  } | null;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv.splice(i, 2)[1] : undefined;
  };
  const url = option('--url') ?? process.env.NEPHRON_URL ?? DEFAULT_URL;
  const referenceN = Number(option('--reference-n') ?? 20);
  if (!argv.length) throw new Error('usage: pool-sweeps.ts [--url URL] [--reference-n N] SWEEP_ID SWEEP_ID ...');
  const client = new NephronClient(url, process.env.NEPHRON_TOKEN || undefined);
  const pooled = new Map<string, EvaluatedRun>();
  for (const id of argv) {
    const { sweep } = await client.request<Answer>(
      `query($id: ID!) { sweep(id: $id) { name runs { kind status contrast nLabeled initialization seed
         evaluation { subjects { subject { id } dice { right left } } } } } }`,
      { id },
    );
    if (!sweep) throw new Error(`no sweep ${id}`);
    for (const r of sweep.runs) {
      if (r.kind !== 'FINETUNE' || r.status !== 'SUCCEEDED' || !r.evaluation || !r.initialization || r.nLabeled === null) continue;
      const key = `${r.contrast} N=${r.nLabeled} ${r.initialization} seed ${r.seed}`;
      const run: EvaluatedRun = {
        contrast: r.contrast,
        nLabeled: r.nLabeled,
        initialization: r.initialization,
        seed: r.seed,
        scores: r.evaluation.subjects.map((s) => ({ subjectId: s.subject.id, dice: s.dice })),
      };
      const earlier = pooled.get(key);
      if (!earlier) {
        pooled.set(key, run);
        continue;
      }
      const diff = Math.max(
        ...run.scores.map((s, i) => Math.abs(s.dice.right - earlier.scores[i].dice.right) + Math.abs(s.dice.left - earlier.scores[i].dice.left)),
      );
      console.log(`${key} is in two sweeps (kept the first; the largest per-subject |ΔDice| between them is ${diff.toFixed(4)})`);
    }
    console.log(`sweep "${sweep.name}" ${id}`);
  }
  const { rows, reductions } = labelEfficiencyTable([...pooled.values()], referenceN);
  // the same cells as `nephron report` (src/cli/table2.ts), so pooled and single-sweep tables read alike
  console.log(`\n${markdownTable(TABLE2_HEADER, rows.map(table2Cells))}`);
  console.log(`seeds (RANDOM / CLC) per row: ${rows.map((r) => `N ${r.nLabeled}: ${r.seeds.random}/${r.seeds.clc}`).join(', ')}\n`);
  console.log(markdownTable(REDUCTION_HEADER, reductions.map(reductionCells)));
  for (const r of reductions) if (r.refusal) console.log(`${r.contrast}: ${r.refusal}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
