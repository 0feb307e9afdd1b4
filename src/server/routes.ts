/**
 * Plain HTTP routes beside /graphql. Another module adds its routes (e.g. /files, /images) by appending a
 * RouteInstaller to ROUTES, or a caller passes more in createNephronServer({ routes }). Installers run before the
 * GraphQL middleware; use `deps.authenticate(req)` to apply the same token rules as the API.
 */
import { dashboardRoute } from './dashboard-route';
import { fileRoutes, imageRoutes } from './data-routes';
import { segmentRoutes } from './segment-route';
import type { RouteInstaller } from './route-deps';

/** GET /healthz: 200 when the database answers and no migration is pending, else 503. Public. */
export const healthRoute: RouteInstaller = (app, { dataSource, log }) => {
  app.get('/healthz', async (_req, res) => {
    try {
      await dataSource.query('SELECT 1');
      const pending = await dataSource.showMigrations();
      res.status(pending ? 503 : 200).json({ status: pending ? 'migrations pending' : 'ok', database: 'ok', migrations: pending ? 'pending' : 'current' });
    } catch (e) {
      // the driver's message names hosts and ports: it goes to the log, not to an unauthenticated caller
      log.warn({ err: (e as Error).message }, 'health check: database unreachable');
      res.status(503).json({ status: 'database unreachable', database: 'down' });
    }
  });
};

// the dashboard last: its index.html fallback steps aside for the paths above and /graphql
export const ROUTES: RouteInstaller[] = [healthRoute, fileRoutes, imageRoutes, segmentRoutes, dashboardRoute()];
