/** `nephron sweep start | list | cancel`: sweeps through the public API; `start --watch` follows the new sweep. */
import type { SweepInput } from '../api/sweep-input';
import { intList, json, str, upperList, type Command, type Values } from './args';
import { NephronClient } from './client';
import { textTable } from './text';
import { watchRuns } from './watch';

/** Starts a sweep; the server validates everything (BAD_USER_INPUT, nothing created). */
export async function startSweep(client: NephronClient, input: SweepInput): Promise<{ id: string; total: number }> {
  const { startSweep: s } = await client.request<{ startSweep: { id: string; total: number } }>(
    `mutation($input: SweepInput!) { startSweep(input: $input) { id total } }`,
    { input },
  );
  return s;
}

function sweepInput(values: Values): SweepInput {
  const contrasts = upperList(values.contrasts, 'contrasts');
  const preset = (str(values.preset) ?? 'QUICK').toUpperCase();
  return {
    name: str(values.name) ?? `${contrasts.join('+')} ${preset} ${new Date().toISOString().slice(0, 16)}`,
    cohortId: str(values.cohort) ?? '',
    contrasts,
    nLabeled: intList(values.n, 'n'),
    initializations: upperList(values.init ?? 'RANDOM,CLC', 'init'),
    seeds: intList(values.seeds ?? '0', 'seeds'),
    preset,
    ...(values['pretrain-overrides'] !== undefined ? { pretrainOverrides: json(values['pretrain-overrides'], 'pretrain-overrides') } : {}),
    ...(values['finetune-overrides'] !== undefined ? { finetuneOverrides: json(values['finetune-overrides'], 'finetune-overrides') } : {}),
  };
}

const start: Command = {
  name: 'sweep start',
  summary:
    'Start a sweep (a PRETRAIN run per contrast and seed when CLC is asked for, a FINETUNE run per contrast, N, initialisation and seed) and print its id.',
  usage: '--cohort ID --contrasts DIXON,T1_MAP --n 2,4,8,20 [--init RANDOM,CLC] [--seeds 1,2,3] [--preset QUICK] [--name NAME] [--watch]',
  help: `  --cohort ID                 cohort (nephron cohort list)
  --contrasts LIST            of DIXON, T1_MAP, T2_MAP, BOLD, DWI
  --n LIST                    labelled training subjects per fine-tuning run
  --init LIST                 RANDOM and/or CLC (default both)
  --seeds LIST                default 0
  --preset PAPER|STUDY|QUICK|SMOKE  default QUICK
  --name NAME                 default: contrasts, preset and time
  --pretrain-overrides JSON   merged into the preset of the PRETRAIN runs, e.g. '{"clc":{"epochs":5}}'
  --finetune-overrides JSON   merged into the preset of the FINETUNE runs
  --watch                     follow the sweep (as nephron watch) and exit non-zero if a run failed`,
  options: {
    cohort: { type: 'string' },
    contrasts: { type: 'string' },
    n: { type: 'string' },
    init: { type: 'string' },
    seeds: { type: 'string' },
    preset: { type: 'string' },
    name: { type: 'string' },
    'pretrain-overrides': { type: 'string' },
    'finetune-overrides': { type: 'string' },
    watch: { type: 'boolean' },
  },
  async run({ values, io }) {
    const input = sweepInput(values);
    const client = NephronClient.from(values, io);
    try {
      const sweep = await startSweep(client, input);
      io.out.write(`${sweep.id}\n`);
      io.err.write(`sweep ${sweep.id}: ${sweep.total} runs queued\n`);
      return values.watch ? (await watchRuns(client, io, { sweepId: sweep.id })).exitCode : 0;
    } finally {
      await client.close();
    }
  },
};

interface SweepRow {
  id: string;
  name: string;
  status: string;
  done: number;
  total: number;
}

/** The devices its runs trained on ('—' before any was claimed). */
function devicesOf(runs: { device: string | null }[]): string {
  const devices = [...new Set(runs.map((r) => r.device).filter((d): d is string => d !== null))];
  return devices.length ? devices.join(', ') : '—';
}

const list: Command = {
  name: 'sweep list',
  summary: 'List the sweeps, newest first: id, name, status, finished/total runs, the devices their runs trained on.',
  usage: '[--json]',
  help: "  --json           the sweeps as JSON (with each run's id and device)",
  options: { json: { type: 'boolean' } },
  async run({ values, io }) {
    type Listed = SweepRow & { runs: { id: string; device: string | null }[] };
    const { sweeps } = await NephronClient.from(values, io).request<{ sweeps: Listed[] }>(`{ sweeps { id name status done total runs { id device } } }`);
    if (values.json) io.out.write(`${JSON.stringify(sweeps, null, 2)}\n`);
    else if (sweeps.length)
      io.out.write(
        textTable(
          ['id', 'name', 'status', 'done', 'devices'],
          sweeps.map((s) => [s.id, s.name, s.status, `${s.done}/${s.total}`, devicesOf(s.runs)]),
        ),
      );
    else io.err.write('no sweeps yet\n');
    return 0;
  },
};

const cancel: Command = {
  name: 'sweep cancel',
  summary: 'Cancel every queued or running run of a sweep (CONFLICT when none is left).',
  usage: '<sweepId>',
  help: '',
  options: {},
  positionals: ['sweepId'],
  async run({ values, positionals: [id], io }) {
    const { cancelSweep: s } = await NephronClient.from(values, io).request<{ cancelSweep: SweepRow }>(
      `mutation($id: ID!) { cancelSweep(id: $id) { id name status done total } }`,
      { id },
    );
    io.out.write(`sweep ${s.id} ${s.status}: ${s.done}/${s.total} runs finished\n`);
    return 0;
  },
};

export const sweepCommands = [start, list, cancel];
