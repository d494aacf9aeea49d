/**
 * The explorer's restoration panel (web/restore.ts) in headless Chromium: the photo is blurred,
 * every method restores it with a PSNR above the blurred image's for most methods, C has the size
 * the library's convMatrix gives, and moving the noise slider recomputes. Skipped without
 * /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.js';
import { listen, staticServer } from '../scripts/serve-web.js';
import { convMatrix, ones } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

async function psnrs(page: Page): Promise<{ blurred: number; methods: number[] }> {
  await page.waitForSelector('body[data-restore="done"]', { timeout: 60_000 });
  const blurredText = (await page.getByTestId('restore-blurred-psnr').textContent()) ?? '';
  const blurred = Number(/([\d.]+) dB/.exec(blurredText)?.[1]);
  const methods: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t = (await page.getByTestId(`restore-psnr-${i}`).textContent()) ?? '';
    methods.push(Number(/^([\d.]+) dB/.exec(t)?.[1]));
  }
  return { blurred, methods };
}

test('explorer restoration panel in Chromium', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed`);
    return;
  }
  const site = await mkdtemp(join(tmpdir(), 'deconv-site-'));
  const profile = await mkdtemp(join(tmpdir(), 'deconv-chromium-'));
  await mkdir(ARTIFACTS, { recursive: true });
  let server: Server | null = null;
  let context: BrowserContext | null = null;
  const problems: string[] = [];
  try {
    await buildWeb({ outDir: site, quiet: true });
    server = staticServer(site);
    const url = await listen(server, 0, '127.0.0.1');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      viewport: { width: 1400, height: 1000 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.goto(url);
    // the panel computes once it is on screen
    await page.locator('#restore-panel').scrollIntoViewIfNeeded();
    const first = await psnrs(page);
    assert.ok(Number.isFinite(first.blurred), `blurred PSNR shown: ${first.blurred}`);
    assert.ok(first.methods.every(Number.isFinite), `every method has a PSNR: ${first.methods.join(' ')}`);
    const better = first.methods.filter((v) => v > first.blurred).length;
    assert.ok(
      better >= 4,
      `most methods beat the blurred image (${first.blurred} dB): ${first.methods.join(' ')}`,
    );
    // C for the default 5×5 PSF on the 6×6 patch: 36 × 36, as convMatrix computes it here
    const C = convMatrix([1, 6, 6], ones([1, 1, 5, 5]), { padding: 2 });
    assert.equal(
      (await page.getByTestId('restore-matrix-dims').textContent())?.trim(),
      `${C.rows} × ${C.cols}`,
      'C dims',
    );
    await page.locator('#restore-panel').screenshot({ path: join(ARTIFACTS, 'restore-panel.png') });
    // more noise: the blurred image's PSNR falls and the panel recomputes
    await page.getByTestId('restore-noise').fill('40');
    await page.waitForFunction(
      () => document.body.dataset.restore === 'running' || document.body.dataset.restore === 'done',
    );
    await page.waitForTimeout(200);
    const second = await psnrs(page);
    assert.ok(second.blurred < first.blurred, `noise 0.04: ${second.blurred} dB < ${first.blurred} dB`);
    assert.equal(
      (await page.getByTestId('restore-noise-value').textContent())?.trim(),
      '0.040',
      'noise value shown',
    );
    assert.deepEqual(problems, [], 'no page errors');
  } finally {
    await context?.close();
    server?.close();
    await rm(site, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
});
