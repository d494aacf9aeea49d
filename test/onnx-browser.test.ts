/**
 * The explorer's ONNX drop zone in Chromium: choosing a PyTorch-exported DCGAN generator lists its
 * ConvTranspose layers (importOnnx running in the page), and clicking one loads its kernel, stride
 * and padding into the sliders that drive the animation, the matrix view and the checkerboard map.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openBrowser, skipWithoutChromium } from './browser-util.js';

test('explorer: dropping an .onnx lists its layers; clicking one loads its parameters', async (t) => {
  if (skipWithoutChromium(t)) return;
  const session = await openBrowser({ consoleErrors: false });
  const { page, problems, url } = session;
  try {
    await page.goto(url);
    await page.setInputFiles(
      '[data-testid=onnx-file]',
      join(import.meta.dirname, 'fixtures/onnx/torch/dcgan_opset17/model.onnx'),
    );
    await page.waitForSelector('[data-testid=onnx-layer]', { timeout: 20000 });
    const rows = await page.locator('[data-testid=onnx-layer]').allTextContents();
    assert.equal(rows.length, 3, `three ConvTranspose layers: ${rows.join(' | ')}`);
    assert.match(rows[1]!, /ConvTranspose .*\?×6×4×4 → \?×4×8×8/, 'sizes through the symbolic batch');
    await page.locator('[data-testid=onnx-layer]').nth(1).click();
    const value = async (key: string): Promise<string> =>
      (await page.locator(`[data-testid=value-${key}]`).textContent()) ?? '';
    assert.equal(await value('kernel'), '4', 'kernel loaded');
    assert.equal(await value('stride'), '2', 'stride loaded');
    assert.equal(await value('padding'), '1', 'padding loaded');
    assert.equal(await value('input'), '4', 'input size loaded');
    assert.equal(await page.locator('[data-testid=op]').inputValue(), 'convTranspose', 'op loaded');
    assert.deepEqual(problems, [], 'no page errors');
  } finally {
    await session.close();
  }
});
