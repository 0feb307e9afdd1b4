/** What the benches share: a plain GraphQL POST (failing on errors) and the machine line each prints first. */
import os from 'node:os';

export async function gql(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Cores, load average and time: a figure means little without them on a shared machine. */
export function machineLine(): string {
  return `${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${new Date().toISOString()}`;
}
