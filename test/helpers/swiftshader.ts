/**
 * The WebGPU tests run on SwiftShader (a Vulkan driver that emulates a GPU on the CPU) from Debian's chromium
 * package. The Vulkan loader is found through LD_LIBRARY_PATH, which the dynamic linker reads when the process
 * starts, so vitest.config.ts sets both variables for the test processes; here the tests only check them, to fail
 * with a message that says what is missing (never skip: CI has chromium).
 */
import * as fs from 'node:fs';

export const SWIFTSHADER_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

/** Why WebGPU cannot run in this test process, or null when it can. */
export function swiftShaderMissing(): string | null {
  if (!fs.existsSync(SWIFTSHADER_ICD)) return `${SWIFTSHADER_ICD} is missing: install Debian's chromium package (.ci/run does)`;
  if (!(process.env.LD_LIBRARY_PATH ?? '').split(':').includes(SWIFTSHADER_DIR) || process.env.VK_ICD_FILENAMES !== SWIFTSHADER_ICD) {
    return `run the tests with LD_LIBRARY_PATH=${SWIFTSHADER_DIR} VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (vitest.config.ts sets them when chromium is installed)`;
  }
  return null;
}
