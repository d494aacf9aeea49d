/**
 * The explorer's restoration panel (web/restore.ts) in headless Chromium: the photo is blurred,
 * every method restores it with a PSNR above the blurred image's for most methods, the estimate
 * and PSNR of each iterative method update during its run (the methods run in a worker: the page
 * stays responsive), C has the size the library's convMatrix gives, and moving the noise slider
 * recomputes. Skipped without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { convMatrix, ones } from '../src/index.js';
import { ARTIFACTS, openBrowser, skipWithoutChromium } from './browser-util.js';
import { PANEL_METHODS } from '../web/restore-methods.js';

const COUNT = PANEL_METHODS.length;
// the methods reporting during their iterations (Wiener is direct)
const ITERATIVE = PANEL_METHODS.map((m, i) => i).filter((i) => !PANEL_METHODS[i]!.name.startsWith('Wiener'));

async function psnrs(page: Page): Promise<{ blurred: number; methods: number[] }> {
  await page.waitForSelector('body[data-restore="done"]', { timeout: 60_000 });
  const blurredText = (await page.getByTestId('restore-blurred-psnr').textContent()) ?? '';
  const blurred = Number(/([\d.]+) dB/.exec(blurredText)?.[1]);
  const methods: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const t = (await page.getByTestId(`restore-psnr-${i}`).textContent()) ?? '';
    methods.push(Number(/^([\d.]+) dB/.exec(t)?.[1]));
  }
  return { blurred, methods };
}

test('explorer restoration panel in Chromium', { timeout: 180_000 }, async (t) => {
  if (skipWithoutChromium(t)) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const session = await openBrowser({ viewport: { width: 1400, height: 1000 } });
  const { page, problems, url } = session;
  try {
    await page.goto(url);
    // every text each PSNR readout shows, recorded from before the run starts (a MutationObserver
    // sees each change, however short-lived); and the page's own responsiveness during the run
    // (a string: tsx would wrap the named functions of a function argument in its __name helper,
    // which the page does not have)
    await page.evaluate(`(() => {
      const log = {};
      window.psnrLog = log;
      window.ticks = 0;
      const tick = () => {
        window.ticks++;
        if (document.body.dataset.restore !== 'done') requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid^="restore-psnr-"]')) {
          const id = el.getAttribute('data-testid');
          const list = (log[id] ??= []);
          const text = el.textContent ?? '';
          if (list[list.length - 1] !== text) list.push(text);
        }
      }).observe(document.getElementById('restore-results'), { subtree: true, childList: true, characterData: true });
    })()`);
    // the panel computes once it is on screen
    await page.locator('#restore-panel').scrollIntoViewIfNeeded();
    // a picture mid-run: some methods done, one under way
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('[data-testid^="restore-psnr-"]')).some((e) =>
          /iteration/.test(e.textContent ?? ''),
        ),
      undefined,
      { timeout: 60_000, polling: 10 },
    );
    await page.locator('#restore-panel').screenshot({ path: join(ARTIFACTS, 'restore-panel-live.png') });
    const first = await psnrs(page);
    const log = await page.evaluate(
      () => (window as unknown as { psnrLog: Record<string, string[]> }).psnrLog,
    );
    for (const i of ITERATIVE) {
      const texts = log[`restore-psnr-${i}`] ?? [];
      const during = texts.filter((t) => /iteration/.test(t)).map((t) => Number(/^([\d.]+) dB/.exec(t)?.[1]));
      const changes = during.filter((v, k) => k > 0 && v !== during[k - 1]).length;
      assert.ok(
        during.length >= 3 && changes >= 2,
        `${PANEL_METHODS[i]!.name}: the PSNR changed at least twice during the run: ${texts.join(' | ')}`,
      );
      assert.ok(/ms\)$/.test(texts[texts.length - 1]!), `${PANEL_METHODS[i]!.name}: ends with the result`);
    }
    const ticks = await page.evaluate(() => (window as unknown as { ticks: number }).ticks);
    assert.ok(ticks > 10, `the page kept drawing frames during the run: ${ticks}`);
    assert.ok(Number.isFinite(first.blurred), `blurred PSNR shown: ${first.blurred}`);
    assert.ok(first.methods.every(Number.isFinite), `every method has a PSNR: ${first.methods.join(' ')}`);
    const better = first.methods.filter((v) => v > first.blurred).length;
    assert.ok(
      better >= COUNT - 2,
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
    await session.close();
  }
});
