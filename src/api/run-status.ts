/**
 * The run statuses of api.md and the two sets every client needs: a run is active until it reaches a finished
 * status, and then never changes again. The one list for the server (src/schema/enums.ts checks its enum against
 * it), the dashboard (client/src) and the command line (src/cli). No imports, so the browser bundle can share it.
 */
export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatusName = (typeof RUN_STATUSES)[number];

/** Waiting for or holding a runner: can still be cancelled. */
export const ACTIVE_STATUSES: readonly RunStatusName[] = ['QUEUED', 'RUNNING'];
/** Final: the run will not change any more. */
export const FINISHED_STATUSES: readonly RunStatusName[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** How summaries list the counts: finished first, then running, then queued. */
export const SUMMARY_ORDER: readonly RunStatusName[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'RUNNING', 'QUEUED'];

export const isActiveStatus = (status: string): boolean => (ACTIVE_STATUSES as readonly string[]).includes(status);
export const isFinishedStatus = (status: string): boolean => (FINISHED_STATUSES as readonly string[]).includes(status);
