/**
 * The dashboard route (src/server/dashboard-route.ts) on a bare express app, against a temporary client/dist:
 * whether the build exists is decided at install; while it is missing, `/` says so, and a build made beside the
 * running server is served after at most RECHECK_MS (the message tells the user to build and reload). The API's
 * paths never make it look.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardRoute, findClientDist, RECHECK_MS } from '../../src/server/dashboard-route';
import { createLogger } from '../../src/logger';
import type { RouteDeps } from '../../src/server/route-deps';

describe('dashboard route', () => {
  let root: string;
  let lookups: number;
  let clock: number;

  /** An app with the dashboard and, after it, a stand-in for /graphql that says it was reached. */
  function app() {
    const a = express();
    const find = () => {
      lookups++;
      return findClientDist(path.join(root, 'src', 'server'));
    };
    dashboardRoute({ find, now: () => clock })(a, { log: createLogger('silent') } as unknown as RouteDeps);
    a.all('/graphql', (_req, res) => void res.json({ api: true }));
    return a;
  }

  function build() {
    fs.mkdirSync(path.join(root, 'client', 'dist', 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'client', 'dist', 'index.html'), '<!doctype html><div id="root"></div>');
    fs.writeFileSync(path.join(root, 'client', 'dist', 'assets', 'app-1234.js'), 'console.log(1)');
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-dashboard-'));
    lookups = 0;
    clock = 1_000_000;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('serves a build that exists at install: files, index.html for client routes, the API untouched', async () => {
    build();
    const a = app();
    const page = await request(a).get('/runs/some-id').set('accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('<div id="root">');
    const asset = await request(a).get('/assets/app-1234.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    expect((await request(a).get('/assets/missing.js')).status).toBe(404);
    expect((await request(a).get('/graphql').set('accept', 'text/html')).body).toEqual({ api: true });
    expect(lookups).toBe(1);
  });

  it('without a build, says so at / and picks up a later build at the next re-check, not before', async () => {
    const a = app();
    expect(lookups).toBe(1);
    const before = await request(a).get('/');
    expect(before.headers['content-type']).toMatch(/^text\/plain/);
    expect(before.text).toMatch(/not built.*npm run build:client/);

    build();
    clock += RECHECK_MS - 1;
    expect((await request(a).get('/')).text).toMatch(/not built/); // decided at install: no look before the interval
    expect(lookups).toBe(1);

    clock += 1;
    const after = await request(a).get('/runs/x').set('accept', 'text/html');
    expect(after.status).toBe(200);
    expect(after.text).toContain('<div id="root">');
    expect(lookups).toBe(2);
    clock += 10 * RECHECK_MS;
    expect((await request(a).get('/')).text).toContain('<div id="root">');
    expect(lookups).toBe(2); // found once: never looked for again
  });

  it('never looks for the build on behalf of /graphql, other API paths or non-GET requests', async () => {
    const a = app();
    clock += 10 * RECHECK_MS;
    expect((await request(a).get('/graphql?query=%7B__typename%7D').set('accept', 'text/html')).body).toEqual({ api: true });
    expect((await request(a).post('/graphql').send({ query: '{ __typename }' })).body).toEqual({ api: true });
    expect((await request(a).get('/healthz')).status).toBe(404);
    expect((await request(a).post('/')).status).toBe(404);
    expect(lookups).toBe(1);
  });
});
