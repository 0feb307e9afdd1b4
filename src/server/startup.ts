import type { RouteDeps } from './route-deps';

export const DEFAULT_COHORT = { name: 'synthetic-79', subjects: 79, seed: 2093, size: 128 } as const;

/**
 * Work done once the database is migrated, before the server listens. With NEPHRON_DEFAULT_COHORT=on and no cohort
 * yet, the default synthetic cohort is generated in the background (the API serves meanwhile), with progress in the
 * log. Its rows are stored in one transaction at the end, so a stop mid-way leaves no half cohort and the next
 * start simply generates it again.
 */
export async function runStartupTasks(deps: Omit<RouteDeps, 'authenticate' | 'takeMutation'>): Promise<void> {
  const { config, services, log } = deps;
  if (!config.defaultCohort || !(await services.cohorts.isEmpty())) return;
  const started = Date.now();
  log.info({ cohort: DEFAULT_COHORT.name, subjects: DEFAULT_COHORT.subjects, workers: services.pool.size }, 'default cohort: generating in the background');
  const work = services.cohorts
    .createSynthetic({ ...DEFAULT_COHORT }, ({ done, total }) => {
      if (done % 10 === 0 || done === total) log.info({ cohort: DEFAULT_COHORT.name, done, total }, `default cohort: ${done}/${total} subjects`);
    })
    .then(
      (cohort) =>
        log.info({ cohort: cohort.name, id: cohort.id, fingerprint: cohort.fingerprint, seconds: (Date.now() - started) / 1000 }, 'default cohort created'),
      (e: Error & { extensions?: { code?: string } }) => {
        if (e.extensions?.code === 'CONFLICT') log.info({ cohort: DEFAULT_COHORT.name }, 'default cohort: another server created it first');
        else log.warn({ err: e }, 'default cohort: not created (it will be generated again on the next start)');
      },
    );
  services.background(work);
}
