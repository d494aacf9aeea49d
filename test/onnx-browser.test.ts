/**
 * The explorer's ONNX drop zone in Chromium: choosing a PyTorch-exported DCGAN generator lists its
 * ConvTranspose layers (importOnnx running in the page), and clicking one loads its kernel, stride
 * and padding into the sliders that drive the animation, the matrix view and the checkerboard map.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.js';
import { listen, staticServer } from '../scripts/serve-web.js';

test('explorer: dropping an .onnx lists its layers; clicking one loads its parameters', async () => {
  const site = await mkdtemp(join(tmpdir(), 'deconv-site-'));
  const profile = await mkdtemp(join(tmpdir(), 'deconv-chromium-'));
  let server: Server | null = null;
  let context: BrowserContext | null = null;
  const problems: string[] = [];
  try {
    await buildWeb({ outDir: site, quiet: true });
    server = staticServer(site);
    const url = await listen(server, 0, '127.0.0.1');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
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
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await rm(site, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
});
