/**
 * The lab dashboard at `/`: the production build of client/ (client/dist, made by `npm run build:client`; `npm start`
 * builds it when missing or stale). Hashed assets are cached for good, index.html never, and every other GET that
 * asks for HTML gets index.html so client-side routes (/runs/<id>) survive a reload. The API's own paths are never
 * shadowed: this installer runs before the GraphQL middleware, so it steps aside for them (and for anything but
 * GET/HEAD) first, before any file system work. The dashboard is public like any static page; the data behind it
 * needs the API's token.
 *
 * Whether client/dist exists is decided when the server is created. When it is missing, `/` says to build it and
 * reload, so a build beside a running server must take effect without a restart: the lookup is repeated, at most
 * every RECHECK_MS, until the build appears.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { RouteInstaller } from './route-deps';

const RESERVED = /^\/(graphql|healthz|files|images|api)(\/|$)/;

/** How often a missing client/dist is looked for again (a few stat calls, only on dashboard GETs). */
export const RECHECK_MS = 5000;

const NOT_BUILT = 'The nephron dashboard is not built. Run `npm run build:client` (npm start does it) and reload. The API is at /graphql.\n';

/** client/dist beside the package root, from src/server (tsx) or dist/src/server (built). */
export function findClientDist(from = __dirname): string | null {
  for (let dir = from, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'client', 'dist');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

export interface DashboardOptions {
  /** Where the build is, or null when there is none (default: findClientDist). */
  find?: () => string | null;
  recheckMs?: number;
  /** Milliseconds clock of the re-check (tests move it by hand). */
  now?: () => number;
}

export function dashboardRoute({ find = () => findClientDist(), recheckMs = RECHECK_MS, now = Date.now }: DashboardOptions = {}): RouteInstaller {
  return (app, { log }) => {
    let serve = serveBuild(find());
    let checkedAt = now();
    if (!serve) log.warn('dashboard not built (client/dist missing): `npm run build:client` builds it; `/` explains the same');
    app.use((req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || RESERVED.test(req.path)) return next();
      if (!serve && now() - checkedAt >= recheckMs) {
        checkedAt = now();
        const dir = find();
        serve = serveBuild(dir);
        if (serve) log.info({ dir }, 'dashboard built: serving it');
      }
      if (serve) return serve(req, res, next);
      if (req.path === '/') return void res.type('text/plain').send(NOT_BUILT);
      next();
    });
  };
}

/** The build's files, and index.html for any other GET that asks for HTML; null without a build. */
function serveBuild(distDir: string | null): express.Router | null {
  if (!distDir) return null;
  const index = path.join(distDir, 'index.html');
  const router = express.Router();
  router.use('/assets', express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }));
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  router.get(/.*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.set('cache-control', 'no-cache').sendFile(index);
  });
  return router;
}
