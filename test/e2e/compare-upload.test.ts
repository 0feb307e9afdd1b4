/**
 * Issue 17 in a real browser (Debian's chromium driven by playwright-core) against a real nephron server with one
 * runner: two SMOKE fine-tuning runs (different seeds and learning rates) are ticked in the runs table and compared
 * (selection in the URL, one chart per metric with both curves, a config table with only the differing keys), and a
 * TEST series exported as NIfTI is dropped on a run page: the overlay, the volumes and the downloadable mask are the
 * run's evaluation's. Screenshots go to test-output/compare-*.png. Without /usr/bin/chromium the file is skipped
 * with a message, except under CI=true, where that fails (as test/e2e/dashboard.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMask } from '../../src/data/encoding';
import { readNiftiMask } from '../../src/data/nifti';
import { buildDashboard, CHROMIUM, CHROMIUM_FLAGS, haveChromium, requireChromium, ROOT } from '../helpers/chromium';
import { startTestServer, type TestServer } from '../helpers/server';
import { trainSmokeRun } from '../helpers/trained-run';

const OUT = path.join(ROOT, 'test-output');

requireChromium('compare/upload e2e');

describe.skipIf(!haveChromium)('comparing runs and segmenting an upload in a real browser', () => {
  let t: TestServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  let token: string;
  let runA: string;
  let runB: string;
  const pageErrors: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nephron-upload-'));
  const shot = (name: string) => page.screenshot({ path: path.join(OUT, `compare-${name}.png`), fullPage: true });

  beforeAll(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    buildDashboard();
    t = await startTestServer('pglite', { NEPHRON_RUNNERS: '1' }, { runners: { pollMs: 200 } });
    base = t.url.replace(/\/graphql$/, '');
    token = (await t.ok(`mutation { createApiToken(role: OPERATOR, name: "e2e operator") { token } }`)).createApiToken.token;
    const a = await trainSmokeRun(t, token, { input: { seed: 1 } });
    runA = a.runId;
    runB = (await trainSmokeRun(t, token, { cohortId: a.cohortId, input: { seed: 2, overrides: { finetune: { lr: 0.002 } } } })).runId;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    await ctx.addInitScript((tk) => localStorage.setItem('nephron.token', tk), token);
    page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('compares runs selected in the runs table: selection in the URL, one chart per metric, only differing config keys', async () => {
    await page.goto(`${base}/runs`);
    await page.waitForSelector(`tr[data-run-id="${runA}"]`);
    expect(await page.locator('[data-testid=compare-button]').count()).toBe(0);
    await page.locator(`tr[data-run-id="${runA}"] input.select-run`).check();
    await page.locator(`tr[data-run-id="${runB}"] input.select-run`).check();
    await expect.poll(() => new URL(page.url()).searchParams.get('select')).toBe(`${runA},${runB}`);
    await page.reload(); // the selection survives a reload
    await page.waitForSelector('[data-testid=compare-button]');
    expect(await page.locator(`tr[data-run-id="${runA}"] input.select-run`).isChecked()).toBe(true);
    await shot('runs-selected');
    await page.click('[data-testid=compare-button]');
    await page.waitForURL(/\/compare\?runs=/);
    expect(new URL(page.url()).searchParams.get('runs')).toBe(`${runA},${runB}`);
    await page.waitForSelector('[data-testid=compare-charts] canvas');
    const charts = await page
      .locator('[data-testid=compare-charts] [data-chart]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-chart'), Number(e.getAttribute('data-points'))]));
    expect(charts.map(([name]) => name)).toEqual(['lr', 'train_loss', 'val_dice_left', 'val_dice_right', 'val_loss']);
    for (const [, points] of charts) expect(points).toBe(2); // SMOKE: two epochs, each run a curve
    const legend = await page.locator('[data-chart="val_loss"]').locator('..').locator('.u-legend').innerText();
    expect(legend).toContain(runA.slice(0, 8));
    expect(legend).toContain(runB.slice(0, 8));
    const diff = await page
      .locator('[data-testid=config-diff] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).innerText.split('\t').map((s) => s.trim())));
    expect(diff).toEqual([['finetune.lr', '0.001', '0.002']]);
    await shot('view');
  }, 120_000);

  it('segments a dropped NIfTI on the run page: overlay, volumes and the mask download are the evaluation’s', async () => {
    const { run } = await t.ok(
      `query($id: ID!) { run(id: $id) { evaluation { subjects { subject { id series { id contrast } } volumeMl { right left } } } } }`,
      { id: runA },
      token,
    );
    const subject = run.evaluation.subjects[0];
    const series = subject.subject.series.find((s: any) => s.contrast === 'DIXON');
    const scan = path.join(tmp, 'scan.nii.gz');
    const res = await t
      .http()
      .get(`/files/series/${series.id}.nii.gz`)
      .set('authorization', `Bearer ${token}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    fs.writeFileSync(scan, res.body);
    const [{ predictionBlobKey }] = await t.server.dataSource.query(`SELECT "predictionBlobKey" FROM subject_score WHERE "runId" = $1 AND "subjectId" = $2`, [
      runA,
      subject.subject.id,
    ]);
    const evaluated = decodeMask(await t.server.services.blobs.get(predictionBlobKey));

    await page.goto(`${base}/runs/${runA}`);
    await page.waitForSelector('[data-testid=drop-zone]');
    // a file that is no scan, dropped: the server's reason, in words
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['not an image '.repeat(40)], 'notes.nii'));
      document.querySelector('[data-testid=drop-zone]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('.segment-upload .error');
    expect(await page.locator('.segment-upload .error').innerText()).toMatch(/notes\.nii: not a NIfTI-1 file/i);

    await page.setInputFiles('input[name=scan]', scan);
    await page.waitForSelector('[data-testid=segment-result]');
    expect(await page.locator('[data-testid=volume-right]').innerText()).toBe(`${subject.volumeMl.right.toFixed(2)} mL`);
    expect(await page.locator('[data-testid=volume-left]').innerText()).toBe(`${subject.volumeMl.left.toFixed(2)} mL`);
    // the overlay tints exactly the voxels the evaluation labelled on the shown (middle) slice
    const z = Number(await page.locator('[data-testid=scan-canvas]').getAttribute('data-slice'));
    const plane = evaluated.width * evaluated.height;
    const labelled = evaluated.mask.subarray(z * plane, (z + 1) * plane).filter((v) => v > 0).length;
    await expect.poll(() => page.locator('[data-testid=scan-canvas]').getAttribute('data-tinted')).toBe(String(labelled));
    await shot('upload');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-mask]')]);
    const saved = path.join(tmp, 'mask.nii.gz');
    await download.saveAs(saved);
    const mask = await readNiftiMask(new Uint8Array(fs.readFileSync(saved)), 'mask.nii.gz');
    expect(Buffer.from(mask.mask).equals(Buffer.from(evaluated.mask))).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
