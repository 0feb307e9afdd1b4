/**
 * The native tests run where the addon is built (`npm install` with g++ and libtorch-dev). CI sets
 * NEPHRON_REQUIRE_NATIVE=1 (.ci/run installs the packages), so there a missing addon fails them instead of skipping.
 */
import * as fs from 'node:fs';
import { describe } from 'vitest';
import { addonPath } from '../../src/ml/native/addon';

export const nativeBuilt = fs.existsSync(addonPath());
export const describeNative = nativeBuilt || process.env.NEPHRON_REQUIRE_NATIVE === '1' ? describe : describe.skip;

/** The device string the automatic backend order gives a CPU runner here: native where the addon is built, else wasm. */
export const autoCpuDevice = nativeBuilt ? /native-aten1\.13\.\d+-onednn\d+\.\d+\.\d+-\d+t/ : /wasm-simd-\d+t/;
