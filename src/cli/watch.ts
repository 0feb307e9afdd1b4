/**
 * `nephron watch <runId|sweepId>`: follows runs live from the runProgress / runEvents subscription until every run
 * has finished. The subscription is opened first and the runs' state queried after it, so nothing that happens in
 * between is lost; a slow reconciliation query (RECONCILE_MS) covers events missed while the websocket reconnects.
 * Exit code 0 when every run SUCCEEDED, 1 when one FAILED or was CANCELLED.
 */
import { CliError, type Command, type Io } from './args';
import { NephronClient } from './client';
import { Progress, type ProgressEvent, type RunInfo } from './progress';

const RECONCILE_MS = 15_000;

export const RUN_INFO = 'id kind status contrast initialization nLabeled seed epoch epochs device startedAt error';
const EVENT = 'runId status phase epoch epochs metrics { name value } at';

export type WatchTarget = { sweepId: string } | { runId: string };

export interface WatchResult {
  exitCode: number;
  runs: RunInfo[];
}

/** Decides whether `id` is a run or a sweep; NOT_FOUND when it is neither. */
export async function resolveTarget(client: NephronClient, id: string): Promise<WatchTarget> {
  const found = await client.request<{ run: { id: string } | null; sweep: { id: string } | null }>(
    `query($id: ID!) { run(id: $id) { id } sweep(id: $id) { id } }`,
    { id },
  );
  if (found.sweep) return { sweepId: id };
  if (found.run) return { runId: id };
  throw new CliError('NOT_FOUND', `no run or sweep with id ${JSON.stringify(id)}`);
}

async function snapshot(client: NephronClient, target: WatchTarget): Promise<{ title: string; runs: RunInfo[] }> {
  if ('sweepId' in target) {
    const { sweep } = await client.request<{ sweep: { id: string; name: string; runs: RunInfo[] } | null }>(
      `query($id: ID!) { sweep(id: $id) { id name runs { ${RUN_INFO} } } }`,
      { id: target.sweepId },
    );
    if (!sweep) throw new CliError('NOT_FOUND', `no sweep with id ${JSON.stringify(target.sweepId)}`);
    return { title: `sweep "${sweep.name}" ${sweep.id}`, runs: sweep.runs };
  }
  const { run } = await client.request<{ run: RunInfo | null }>(`query($id: ID!) { run(id: $id) { ${RUN_INFO} } }`, { id: target.runId });
  if (!run) throw new CliError('NOT_FOUND', `no run with id ${JSON.stringify(target.runId)}`);
  return { title: `run ${run.id}`, runs: [run] };
}

/** Follows the target until all its runs have finished; prints progress to io.out and a closing summary. */
export async function watchRuns(client: NephronClient, io: Io, target: WatchTarget): Promise<WatchResult> {
  let progress: Progress | null = null;
  const early: ProgressEvent[] = [];
  let stop!: () => void;
  let fail!: (e: CliError) => void;
  const finished = new Promise<void>((resolve, reject) => {
    stop = resolve;
    fail = reject;
  });
  // events do not carry the device: ask for it once per run, when a runner has claimed it
  const deviceAsked = new Set<string>();
  const askDevice = (id: string) => {
    if (deviceAsked.has(id)) return;
    deviceAsked.add(id);
    client.request<{ run: { device: string | null } | null }>(`query($id: ID!) { run(id: $id) { device } }`, { id }).then(
      (d) => progress?.setDevice(id, d.run?.device ?? null),
      () => deviceAsked.delete(id),
    );
  };
  const onEvent = (e: ProgressEvent) => {
    if (!progress) return void early.push(e);
    if (e.status === 'RUNNING' && !progress.runs.get(e.runId)?.device) askDevice(e.runId);
    progress.event(e);
    if (progress.done) stop();
  };
  const unsubscribe =
    'sweepId' in target
      ? client.subscribe<{ runEvents: ProgressEvent }>(
          `subscription($id: ID) { runEvents(sweepId: $id) { ${EVENT} } }`,
          { id: target.sweepId },
          (d) => onEvent(d.runEvents),
          (e) => fail(e),
        )
      : client.subscribe<{ runProgress: ProgressEvent }>(
          `subscription($id: ID!) { runProgress(runId: $id) { ${EVENT} } }`,
          { id: target.runId },
          (d) => onEvent(d.runProgress),
          (e) => fail(e),
        );
  let timer: NodeJS.Timeout | undefined;
  try {
    const first = await snapshot(client, target);
    progress = new Progress(io.out, io.isTTY, first.title);
    for (const r of first.runs) progress.snapshot(r);
    if (!io.isTTY) progress.line(progress.summary());
    for (const e of early.splice(0)) progress.event(e);
    progress.draw();
    const reconcile = async () => {
      try {
        for (const r of (await snapshot(client, target)).runs) progress!.snapshot(r);
        progress!.draw();
        if (progress!.done) stop();
        else timer = setTimeout(reconcile, RECONCILE_MS);
      } catch (e) {
        fail(e as CliError);
      }
    };
    if (progress.done) stop();
    else timer = setTimeout(reconcile, RECONCILE_MS);
    await finished;
    // the events do not carry the error message: ask for the final state of the runs once
    const last = await snapshot(client, target);
    for (const r of last.runs) progress.setError(r.id, r.error);
    progress.close();
    const failed = last.runs.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED');
    for (const r of failed) io.out.write(`${r.status} ${r.id}${r.error ? `: ${r.error}` : ''}\n`);
    const devices = deviceCounts(last.runs);
    if (devices) io.out.write(`${devices}\n`);
    io.out.write(`${progress.summary()}\n`);
    return { exitCode: failed.length ? 1 : 0, runs: last.runs };
  } finally {
    clearTimeout(timer);
    progress?.close();
    unsubscribe();
  }
}

/** "trained on: wasm-simd-1t (12 runs), webgpu:0 … (8 runs)", or '' when no run was claimed. */
export function deviceCounts(runs: { device: string | null }[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) if (r.device) counts.set(r.device, (counts.get(r.device) ?? 0) + 1);
  if (counts.size === 0) return '';
  return `trained on: ${[...counts].map(([d, n]) => `${d} (${n} run${n === 1 ? '' : 's'})`).join(', ')}`;
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Follow a run or a sweep live until every run has finished: progress bars on a terminal, one line per event otherwise.',
  usage: '<runId|sweepId>',
  help: '  exit code 0 when every run succeeded, 1 when one failed or was cancelled',
  options: {},
  positionals: ['id'],
  async run({ values, positionals: [id], io }) {
    const client = NephronClient.from(values, io);
    try {
      return (await watchRuns(client, io, await resolveTarget(client, id))).exitCode;
    } finally {
      await client.close();
    }
  },
};
