// Live run rows: one runEvents subscription patches status and progress of the rows on screen as epochs finish
// (no polling). A run the page does not show yet (a sweep just launched) triggers one refetch of the first page.
import { useEffect, useRef, useState } from 'react';
import { useSubscription } from '../api/hooks';
import { RUN_EVENTS } from '../api/queries';
import { isFinishedStatus } from '../../../src/api/run-status';

export interface RunProgressEvent {
  runId: string;
  status: string;
  phase: string;
  epoch: number;
  epochs: number;
  at: string;
}

export interface LiveRow {
  id: string;
  status: string;
  epoch: number;
  epochs: number;
  phase?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export function patchRow<T extends LiveRow>(row: T, e: RunProgressEvent): T {
  const finished = isFinishedStatus(e.status);
  return {
    ...row,
    status: e.status,
    epoch: e.epoch,
    epochs: e.epochs,
    phase: e.phase,
    startedAt: row.startedAt ?? (e.status === 'RUNNING' ? e.at : null),
    finishedAt: finished ? (row.finishedAt ?? e.at) : row.finishedAt,
  };
}

/**
 * Subscribes to runEvents (optionally one sweep's) and calls `apply` with each event; `onUnknown` fires (at most
 * once a second) for events of runs `isKnown` says are not on screen.
 */
export function useRunEvents(sweepId: string | null, apply: (e: RunProgressEvent) => void, isKnown: (id: string) => boolean, onUnknown?: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [lastEventAt, setLastEventAt] = useState<string | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const error = useSubscription<{ runEvents: RunProgressEvent }>(RUN_EVENTS, sweepId ? { sweepId } : {}, ({ runEvents: e }) => {
    setLastEventAt(e.at);
    if (isKnown(e.runId)) apply(e);
    else if (onUnknown && !timer.current) {
      timer.current = setTimeout(() => {
        timer.current = null;
        onUnknown();
      }, 1000);
    }
  });
  return { error, lastEventAt };
}
