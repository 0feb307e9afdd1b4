/**
 * Issue 18 in a real browser (Debian's chromium), against a zero-setup server (no token: every local caller ADMIN):
 * - the dashboard still works through its own origin, under 127.0.0.1 and under localhost (queries over HTTP, the
 *   live runEvents subscription over graphql-ws);
 * - a page of another site (http://evil.example:<port>, resolved to 127.0.0.1 by the browser) cannot read, write or
 *   open a WebSocket: its socket is refused before the handshake, its JSON POST fails its preflight, its "simple"
 *   POST is refused;
 * - a DNS-rebinding page (http://attacker.example:<server port>, resolved to 127.0.0.1: same-origin with the server
 *   in the browser's eyes) gets 403 FORBIDDEN_HOST for everything, including createApiToken.
 * Nothing is written by either page, and each refusal is one warn line naming the Origin or Host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, CHROMIUM, CHROMIUM_FLAGS, haveChromium, requireChromium } from '../helpers/chromium';
import { seedCohort } from '../helpers/fixtures';
import { startTestServer, type TestServer } from '../helpers/server';

requireChromium('origin e2e');

/** What a hostile page tries, run inside it: a cohort planted over WebSocket and over HTTP, and the first token. */
async function attack({ wsUrl, httpUrl }: { wsUrl: string; httpUrl: string }) {
  const planted = 'mutation { createSyntheticCohort(input: { name: "planted-by-evil", subjects: 1, size: 32, slices: 2 }) { id } }';
  const socket = await new Promise<{ opened: boolean; code: number }>((resolve) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    let opened = false;
    ws.onopen = () => {
      opened = true;
      ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: planted } }));
      ws.send(JSON.stringify({ type: 'subscribe', id: '2', payload: { query: 'mutation { createApiToken(role: ADMIN) { token } }' } }));
    };
    ws.onclose = (e) => resolve({ opened, code: e.code });
  });
  const json = await fetch(httpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: planted }) }).then(
    async (r) => ({ status: r.status, body: await r.text() }),
    (e: Error) => ({ status: 0, body: e.name }),
  );
  // a "simple" request: no preflight, the browser sends it and only hides the answer
  const simple = await fetch(httpUrl, {
    method: 'POST',
    mode: 'no-cors',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ query: planted }),
  }).then(
    (r) => r.type,
    (e: Error) => e.name,
  );
  return { socket, json, simple };
}

describe.skipIf(!haveChromium)('Host and Origin checks in a real browser', () => {
  let t: TestServer;
  let port: string;
  let browser: Browser;
  let evil: http.Server;
  let evilPort: number;
  const warnings: Record<string, any>[] = [];
  const refusals = () => warnings.filter((w) => /^refused a request/.test(w.msg));
  const written = async () =>
    (await t.server.dataSource.query(`SELECT (SELECT count(*) FROM cohort)::int AS cohorts, (SELECT count(*) FROM api_token)::int AS tokens`))[0];

  beforeAll(async () => {
    buildDashboard();
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    t = await startTestServer('pglite', {}, { server: { log } });
    port = new URL(t.url).port;
    const cohort = await seedCohort(t.server.services);
    await t.ok(`mutation($c: ID!) { startPretraining(input: { cohortId: $c, contrast: DIXON, preset: SMOKE }) { id } }`, { c: cohort.id });
    evil = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title><p>a page of another site'),
    );
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
    const { chromium } = await import('playwright-core');
    // both attackers' names resolve to this machine, as a rebinding DNS server would make them
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP attacker.example 127.0.0.1'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await t?.stop();
  });

  /** Opens the runs page and resolves once the live subscription's socket was acknowledged and the row is shown. */
  async function dashboardWorks(page: Page, base: string) {
    const acked = new Promise<void>((resolve) =>
      page.on('websocket', (ws) => ws.on('framereceived', (f) => String(f.payload).includes('"connection_ack"') && resolve())),
    );
    await page.goto(`${base}/runs`);
    await page.waitForSelector('tr[data-run-id]');
    expect(await page.locator('[data-testid=launch-button]').count()).toBe(1); // zero-setup: ADMIN
    await acked;
  }

  it('the dashboard works through its own origin, under 127.0.0.1 and under localhost', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await dashboardWorks(page, `http://127.0.0.1:${port}`);
    await dashboardWorks(page, `http://localhost:${port}`);
    expect(errors).toEqual([]);
    expect(refusals()).toEqual([]);
    await page.close();
  });

  it('a page of another site can neither open a WebSocket nor write over HTTP', async () => {
    const before = await written();
    const page = await browser.newPage();
    await page.goto(`http://evil.example:${evilPort}/`);
    const result = await page.evaluate(attack, { wsUrl: `ws://127.0.0.1:${port}/graphql`, httpUrl: `http://127.0.0.1:${port}/graphql` });
    expect(result).toEqual({ socket: { opened: false, code: 1006 }, json: { status: 0, body: 'TypeError' }, simple: 'opaque' });
    expect(await written()).toEqual(before);
    const origin = `http://evil.example:${evilPort}`;
    // the upgrade, the JSON POST's preflight (the POST itself is never sent) and the simple POST: one line each
    expect(refusals().map((w) => [w.code, w.origin, w.transport, w.method])).toEqual([
      ['FORBIDDEN_ORIGIN', origin, 'websocket', 'GET'],
      ['FORBIDDEN_ORIGIN', origin, 'http', 'OPTIONS'],
      ['FORBIDDEN_ORIGIN', origin, 'http', 'POST'],
    ]);
    await page.close();
  });

  it('a DNS-rebinding page gets 403 FORBIDDEN_HOST for the dashboard, every operation and the WebSocket', async () => {
    const before = await written();
    warnings.length = 0;
    const page = await browser.newPage();
    const base = `http://attacker.example:${port}`;
    const answer = await page.goto(`${base}/`);
    expect(answer?.status()).toBe(403);
    // the page's own scripts now run in the attacker's origin, which the browser believes is the server's
    const result = await page.evaluate(async (url: string) => {
      const token = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { createApiToken(role: ADMIN) { token } }' }),
      });
      const socket = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        ws.onclose = (e) => resolve(e.code);
      });
      return { status: token.status, body: await token.json(), socket };
    }, base);
    expect(result.status).toBe(403);
    expect(result.body.errors[0].extensions.code).toBe('FORBIDDEN_HOST');
    expect(result.socket).toBe(1006);
    expect(await written()).toEqual(before);
    const host = `attacker.example:${port}`;
    // one line per refusal (the browser may also ask for /favicon.ico after the navigation: refused too, left out here)
    expect(
      refusals()
        .filter((w) => w.url !== '/favicon.ico')
        .map((w) => [w.code, w.host, w.transport, w.url]),
    ).toEqual([
      ['FORBIDDEN_HOST', host, 'http', '/'],
      ['FORBIDDEN_HOST', host, 'http', '/graphql'],
      ['FORBIDDEN_HOST', host, 'websocket', '/graphql'],
    ]);
    await page.close();
  });
});
