/**
 * A SMOKE pretraining and a CLC fine-tuning from it, trained by the server's runner on NEPHRON_BACKEND=webgpu
 * (SwiftShader here: test/helpers/swiftshader.ts), end SUCCEEDED with the adapter stored as their device. Asked for
 * two runners, the host starts one: SwiftShader is one adapter, and webgpu runs one slot per adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server';
import { swiftShaderMissing } from '../helpers/swiftshader';

describe('runners on webgpu (SwiftShader)', () => {
  let t: TestServer;
  const saved = process.env.NEPHRON_BACKEND;
  beforeAll(async () => {
    const missing = swiftShaderMissing();
    if (missing) throw new Error(missing);
    process.env.NEPHRON_BACKEND = 'webgpu'; // the runner's worker thread reads it
    t = await startTestServer('pglite', { NEPHRON_RUNNERS: '2' }, { runners: { pollMs: 300 } });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    if (saved === undefined) delete process.env.NEPHRON_BACKEND;
    else process.env.NEPHRON_BACKEND = saved;
  });

  it('one slot for the one adapter; pretraining + CLC fine-tuning SUCCEEDED with the adapter as device', async () => {
    const devices = t.server.runners!.devices();
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatch(/^webgpu:0 SwiftShader Device .*\[google\/swiftshader, SwiftShader driver/);

    const cohortId = (await t.ok(`mutation { createSyntheticCohort(input: { name: "gpu", subjects: 6, seed: 3, size: 32, slices: 4 }) { id } }`))
      .createSyntheticCohort.id;
    // SMOKE at 16² with one batch per epoch: SwiftShader compiles every kernel shape to CPU code (most of the time here)
    const base = { cohortId, contrast: 'DIXON', preset: 'SMOKE', seed: 1 };
    const image = { size: 16 };
    const preOverrides = { image, global: { maxBatchesPerEpoch: 1 }, clc: { epochs: 1, maxBatchesPerEpoch: 1 } };
    const pre = (await t.ok(`mutation($i: PretrainingInput!) { startPretraining(input: $i) { id } }`, { i: { ...base, overrides: preOverrides } }))
      .startPretraining;
    const fineInput = {
      ...base,
      initialization: 'CLC',
      pretrainRunId: pre.id,
      nLabeled: 2,
      overrides: { image, finetune: { epochs: 1, maxBatchesPerEpoch: 1 } },
    };
    const fine = (await t.ok(`mutation($i: FineTuningInput!) { startFineTuning(input: $i) { id } }`, { i: fineInput })).startFineTuning;
    const ended = async (id: string) => {
      for (;;) {
        const { run } = await t.ok(`query($id: ID!) { run(id: $id) { status device error evaluation { meanDice { left right } } } }`, { id });
        if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    for (const id of [pre.id, fine.id]) {
      const run = await ended(id);
      expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, device: devices[0] });
    }
    const { evaluation } = await ended(fine.id);
    expect(evaluation.meanDice.left).toBeGreaterThanOrEqual(0);
  }, 300_000);
});
