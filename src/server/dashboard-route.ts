/**
 * The lab dashboard at `/`: the production build of client/ (client/dist, made by `npm run build:client`; `npm start`
 * builds it when missing or stale). Hashed assets are cached for good, index.html never, and every other GET that
 * asks for HTML gets index.html so client-side routes (/runs/<id>) survive a reload. The API's own paths are never
 * shadowed: this installer runs before the GraphQL middleware, so it steps aside for them explicitly.
 * The dashboard is public like any static page; the data behind it needs the API's token.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import type { RouteInstaller } from './routes';

const RESERVED = /^\/(graphql|healthz|files|images)(\/|$)/;

/** client/dist beside the package root, from src/server (tsx) or dist/src/server (built). */
export function findClientDist(from = __dirname): string | null {
  for (let dir = from, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'client', 'dist');
    if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

/** `distDir` undefined: look for client/dist when the server is created (a test may build it just before). */
export function dashboardRoute(dir?: string | null): RouteInstaller {
  return (app, { log }) => {
    const distDir = dir === undefined ? findClientDist() : dir;
    if (!distDir) {
      log.warn('dashboard not built (client/dist missing): `npm run build:client` builds it; `/` explains the same');
      app.get('/', (_req, res) => {
        res.type('text/plain').send('The nephron dashboard is not built. Run `npm run build:client` (npm start does it) and reload. The API is at /graphql.\n');
      });
      return;
    }
    const index = path.join(distDir, 'index.html');
    app.use(
      '/assets',
      express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }),
    );
    app.use(express.static(distDir, { index: false, maxAge: 0 }));
    app.get(/.*/, (req, res, next) => {
      if (RESERVED.test(req.path) || !req.accepts('html')) return next();
      res.set('cache-control', 'no-cache').sendFile(index);
    });
  };
}
