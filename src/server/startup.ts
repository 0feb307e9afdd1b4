import type { RouteDeps } from './routes';

/**
 * Work done once the database is migrated, before the server listens. NEPHRON_DEFAULT_COHORT=on asks for a default
 * synthetic cohort: that needs the data generator (createSyntheticCohort is NOT_IMPLEMENTED until it is wired),
 * so for now this only says so.
 */
export async function runStartupTasks(deps: Omit<RouteDeps, 'authenticate'>): Promise<void> {
  if (deps.config.defaultCohort) {
    deps.log.debug('NEPHRON_DEFAULT_COHORT=on: the default synthetic cohort waits for the data generator');
  }
}
