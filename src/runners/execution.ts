/** A run while the runner host executes it: shared by the host (./host.ts) and its last word on the run (./final-state.ts). */
import type { Run } from '../schema/run.entity';

export interface Execution {
  run: Run;
  owner: string;
  /** Why the host stopped the job, if it did. */
  stopReason: 'cancelled' | 'lost' | 'shutdown' | null;
  /** Set when the host decided the run failed (e.g. a non-finite loss). */
  failure: string | null;
  /** Until when the lease surely holds (local clock, from the last renewal sent): database retries stop there. */
  leaseUntil: number;
}
