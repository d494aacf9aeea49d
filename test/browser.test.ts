/**
 * The explorer in a real browser: builds the site, serves it on 127.0.0.1, drives Debian's
 * Chromium headless through playwright-core, changes parameters, and checks what the page shows
 * against the library computed here in Node, independently of the page. Screenshots go to
 * test-artifacts/. Skipped when /usr/bin/chromium is not installed.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { bundleForBrowser } from '../scripts/build-web.js';
import { ARTIFACTS, openBrowser, skipWithoutChromium } from './browser-util.js';
import {
  DeconvError,
  conv2d,
  convOutputSize,
  convTranspose2d,
  convTransposeOutputSize,
  encodePng,
  frameworkSnippets,
  readPng,
  ones,
  rand,
  randn,
  tensor,
  zeros,
  convMatrix,
  solveConvTranspose,
  SOLVER_MAX_RESULTS,
} from '../src/index.js';

/** Waits until the element's text satisfies `ok`; fails with the text it last had. */
async function waitText(
  page: Page,
  testId: string,
  ok: (text: string) => boolean,
  what: string,
): Promise<string> {
  const el = page.getByTestId(testId);
  const deadline = Date.now() + 5000;
  let text = '';
  while (Date.now() < deadline) {
    text = ((await el.textContent()) ?? '').trim();
    if (ok(text)) return text;
    await page.waitForTimeout(50);
  }
  assert.fail(`${testId}: expected ${what}, the page shows ${JSON.stringify(text)}`);
}

function dimsText(rows: number, cols: number): string {
  return `${rows} × ${cols}`;
}

async function setSlider(page: Page, key: string, value: number): Promise<void> {
  await page.getByTestId(`slider-${key}`).fill(String(value));
}

/**
 * Waits until the page has run its pending slider update: the explorer applies slider moves in
 * one requestAnimationFrame callback (web/main.ts), which a loaded machine can delay past the
 * test's next step (a late update reloads the animation at its first frame).
 */
async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
  );
}

test('explorer in Chromium', { timeout: 180_000 }, async (t) => {
  if (skipWithoutChromium(t)) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const session = await openBrowser({ viewport: { width: 1400, height: 1000 } });
  const { page, problems, context, site, url } = session;
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });

    await t.test(
      'default: transposed convolution 2 → 5 (k 3, s 2), sizes and C as the library computes them',
      async () => {
        const [o] = convTransposeOutputSize({ inputSize: 2, kernelSize: 3, stride: 2 });
        await waitText(page, 'output-size', (s) => s === `${o} × ${o}`, `${o} × ${o}`);
        const C = convMatrix([1, o!, o!], ones([1, 1, 3, 3]), { stride: 2 });
        await waitText(
          page,
          'matrix-c-dims',
          (s) => s === dimsText(C.rows, C.cols),
          dimsText(C.rows, C.cols),
        );
        await waitText(
          page,
          'matrix-ct-dims',
          (s) => s === dimsText(C.cols, C.rows),
          dimsText(C.cols, C.rows),
        );
        assert.equal(await page.getByTestId('error').isVisible(), false);
        // the layer in PyTorch, as the library writes it
        const layer = {
          kernelSize: [3, 3],
          stride: [2, 2],
          padding: [0, 0],
          outputPadding: [0, 0],
          dilation: [1, 1],
        };
        const pytorch = frameworkSnippets(layer, [2, 2], { in: 1, out: 1 }).pytorch;
        assert.ok(pytorch.ok);
        await waitText(page, 'call-pytorch', (s) => s === pytorch.code, pytorch.code);
        await page.waitForSelector('body[data-photo="loaded"]', { timeout: 10_000 });
        await page.screenshot({ path: join(ARTIFACTS, 'explorer-default.png'), fullPage: true });
      },
    );

    await t.test('sliders: convTranspose sizes and C follow the library', async () => {
      const cases = [
        { input: 4, kernel: 4, stride: 2, padding: 1, outputPadding: 0, dilation: 1, groups: 1 },
        { input: 3, kernel: 3, stride: 3, padding: 1, outputPadding: 2, dilation: 1, groups: 2 },
        { input: 5, kernel: 2, stride: 1, padding: 0, outputPadding: 1, dilation: 2, groups: 1 },
      ];
      for (const c of cases) {
        for (const [key, value] of Object.entries(c)) await setSlider(page, key, value);
        const size = convTransposeOutputSize({
          inputSize: [c.input, c.input],
          kernelSize: c.kernel,
          stride: c.stride,
          padding: c.padding,
          outputPadding: c.outputPadding,
          dilation: c.dilation,
        });
        await waitText(page, 'output-size', (s) => s === size.join(' × '), size.join(' × '));
        const C = convMatrix([c.groups, ...size], ones([c.groups, 1, c.kernel, c.kernel]), {
          stride: c.stride,
          padding: c.padding,
          dilation: c.dilation,
          groups: c.groups,
        });
        // the page's C maps the transposed conv's output back to its input: rows = input cells
        if (C.rows === c.groups * c.input * c.input) {
          await waitText(
            page,
            'matrix-c-dims',
            (s) => s === dimsText(C.rows, C.cols),
            dimsText(C.rows, C.cols),
          );
          await waitText(
            page,
            'matrix-ct-dims',
            (s) => s === dimsText(C.cols, C.rows),
            dimsText(C.cols, C.rows),
          );
        } else {
          // outputPadding ≥ stride (allowed by dilation): no C links the two sizes, and the page says so
          await waitText(page, 'matrix-c-dims', (s) => s === '', 'no matrix');
        }
      }
      await page.screenshot({ path: join(ARTIFACTS, 'explorer-sliders.png') });
    });

    await t.test('conv and dilated conv: sizes and C follow the library', async () => {
      await page.getByTestId('op').selectOption('conv');
      const c = { input: 7, kernel: 3, stride: 2, padding: 1, dilation: 2, groups: 1 };
      for (const [key, value] of Object.entries(c)) await setSlider(page, key, value);
      const size = convOutputSize({ inputSize: [7, 7], kernelSize: 3, stride: 2, padding: 1, dilation: 2 });
      await waitText(page, 'output-size', (s) => s === size.join(' × '), size.join(' × '));
      const C = convMatrix([1, 7, 7], ones([1, 1, 3, 3]), { stride: 2, padding: 1, dilation: 2 });
      await waitText(page, 'matrix-c-dims', (s) => s === dimsText(C.rows, C.cols), dimsText(C.rows, C.cols));
      await waitText(page, 'matrix-ct-dims', (s) => s === dimsText(C.cols, C.rows), dimsText(C.cols, C.rows));
      // hovering a row of C names the output cell and the input cells feeding it
      await page.getByTestId('matrix-c').hover({ position: { x: 3, y: 3 } });
      await waitText(page, 'matrix-hover', (s) => s.startsWith('row 0 of C'), 'row 0 of C …');

      await page.getByTestId('op').selectOption('dilated');
      await setSlider(page, 'groups', 3);
      await setSlider(page, 'dilation', 3);
      await setSlider(page, 'stride', 1);
      const s3 = convOutputSize({ inputSize: [7, 7], kernelSize: 3, stride: 1, padding: 1, dilation: 3 });
      await waitText(page, 'output-size', (s) => s === s3.join(' × '), s3.join(' × '));
      const C3 = convMatrix([3, 7, 7], ones([3, 1, 3, 3]), { stride: 1, padding: 1, dilation: 3, groups: 3 });
      await waitText(
        page,
        'matrix-c-dims',
        (s) => s === dimsText(C3.rows, C3.cols),
        dimsText(C3.rows, C3.cols),
      );
      await page.screenshot({ path: join(ARTIFACTS, 'explorer-dilated.png') });
    });

    await t.test('the animation advances by itself and by the step button', async () => {
      await page.getByTestId('op').selectOption('convTranspose');
      for (const [key, value] of Object.entries({
        input: 3,
        kernel: 3,
        stride: 2,
        padding: 0,
        outputPadding: 0,
        dilation: 1,
        groups: 1,
      })) {
        await setSlider(page, key, value);
      }
      await page.getByTestId('speed').selectOption('80');
      const first = await waitText(
        page,
        'frame-counter',
        (s) => /^frame \d+ \/ 49$/.test(s),
        'frame n / 49 (7×7 output)',
      );
      await waitText(page, 'frame-counter', (s) => s !== first, `a frame other than "${first}"`);
      assert.equal(await page.getByTestId('view-scatter').count(), 1);
      assert.equal(await page.getByTestId('view-direct').count(), 1);
      // pause, then step
      if ((await page.getByTestId('play').getAttribute('data-state')) === 'playing')
        await page.getByTestId('play').click();
      const paused = ((await page.getByTestId('frame-counter').textContent()) ?? '').trim();
      await page.waitForTimeout(300);
      assert.equal(
        ((await page.getByTestId('frame-counter').textContent()) ?? '').trim(),
        paused,
        'paused animation moved',
      );
      const n = Number(/frame (\d+)/.exec(paused)![1]);
      await page.getByTestId('step').click();
      await waitText(
        page,
        'frame-counter',
        (s) => s === `frame ${(n % 49) + 1} / 49`,
        `frame ${(n % 49) + 1} / 49`,
      );
      await page.screenshot({ path: join(ARTIFACTS, 'explorer-animation.png') });
    });

    await t.test(
      'the animation for i 2, k 3, s 2, p 0 ends on the 5×5 output of convTranspose2d',
      async () => {
        for (const [key, value] of Object.entries({
          input: 2,
          kernel: 3,
          stride: 2,
          padding: 0,
          outputPadding: 0,
        })) {
          await setSlider(page, key, value);
        }
        await settled(page);
        await waitText(page, 'frame-counter', (s) => / \/ 25$/.test(s), 'frame n / 25');
        if ((await page.getByTestId('play').getAttribute('data-state')) === 'playing')
          await page.getByTestId('play').click();
        await page.getByTestId('frame-slider').fill('24');
        await waitText(page, 'frame-counter', (s) => s === 'frame 25 / 25', 'frame 25 / 25');
        const texts = (grid: string): Promise<number[]> =>
          page.$$eval(`svg[data-grid="${grid}"] .values text`, (ts) => ts.map((e) => Number(e.textContent)));
        const input = await texts('scatter.input');
        const kernel = await texts('scatter.kernel');
        assert.equal(input.length, 4);
        assert.equal(kernel.length, 9);
        const expected = Array.from(
          convTranspose2d(tensor(input, [1, 2, 2]), tensor(kernel, [1, 1, 3, 3]), { stride: 2 }).data,
        );
        assert.deepEqual(await texts('scatter.output'), expected);
        assert.deepEqual(await texts('direct.output'), expected);
        await page.screenshot({ path: join(ARTIFACTS, 'explorer-last-frame.png') });
      },
    );

    await t.test(
      'a refused combination shows the DeconvError message and the page keeps working',
      async () => {
        for (const [key, value] of Object.entries({
          input: 3,
          kernel: 3,
          stride: 2,
          padding: 0,
          dilation: 1,
        })) {
          await setSlider(page, key, value);
        }
        await setSlider(page, 'outputPadding', 2);
        let expected = '';
        try {
          convTranspose2d(zeros([1, 3, 3]), ones([1, 1, 3, 3]), { stride: 2, outputPadding: 2 });
        } catch (err) {
          assert.ok(err instanceof DeconvError);
          expected = err.message;
        }
        assert.match(expected, /outputPadding/);
        const shown = await waitText(page, 'error', (s) => s.includes(expected), expected);
        assert.ok(await page.getByTestId('error').isVisible());
        assert.ok(shown.includes(expected));
        await page.screenshot({ path: join(ARTIFACTS, 'explorer-error.png') });
        // back to an allowed value: the message goes, the size comes back
        await setSlider(page, 'outputPadding', 1);
        const [o] = convTransposeOutputSize({ inputSize: 3, kernelSize: 3, stride: 2, outputPadding: 1 });
        await waitText(page, 'output-size', (s) => s === `${o} × ${o}`, `${o} × ${o}`);
        assert.equal(await page.getByTestId('error').isVisible(), false);

        // groups that do not divide the channels: conv2d's own message
        await page.getByTestId('op').selectOption('conv');
        await setSlider(page, 'groups', 2);
        let groupsMessage = '';
        try {
          conv2d(zeros([3, 8, 8]), ones([3, 1, 3, 3]), { groups: 2 });
        } catch (err) {
          groupsMessage = (err as Error).message;
        }
        assert.match(groupsMessage, /groups/);
        // the photo has 3 channels: its panel shows the refusal
        await waitText(
          page,
          'image-status',
          (s) => s.includes('groups = 2 must divide'),
          'the groups message',
        );
      },
    );

    await t.test('solver: the table is solveConvTranspose, and a row loads its configuration', async () => {
      await page.getByTestId('solver-in').fill('7');
      await page.getByTestId('solver-out').fill('28');
      const configs = solveConvTranspose({ inputSize: 7, outputSize: 28 });
      await waitText(page, 'solver-summary', (s) => s.includes('take 7 to 28'), 'take 7 to 28');
      // the same bound as the CLI's solve (which says "the first 1000 (the search stops there)")
      assert.equal(configs.length, SOLVER_MAX_RESULTS, '7 → 28 reaches the search bound');
      await waitText(
        page,
        'solver-summary',
        (s) => s.startsWith(`The first ${SOLVER_MAX_RESULTS} (the search stops there)`),
        `The first ${SOLVER_MAX_RESULTS}`,
      );
      const rows = page.getByTestId('solver-row');
      const first = (await rows.first().locator('td').allTextContents()).slice(1, 6).map(Number);
      const c0 = configs[0]!;
      assert.deepEqual(first, [
        c0.kernelSize[0],
        c0.stride[0],
        c0.padding[0],
        c0.outputPadding[0],
        c0.dilation[0],
      ]);
      await rows.nth(2).click();
      const c2 = configs[2]!;
      const size = convTransposeOutputSize({
        inputSize: [7, 7],
        kernelSize: c2.kernelSize[0]!,
        stride: c2.stride[0]!,
        padding: c2.padding[0]!,
        outputPadding: c2.outputPadding[0]!,
        dilation: c2.dilation[0]!,
      });
      assert.deepEqual(size, [28, 28]);
      await waitText(page, 'output-size', (s) => s === '28 × 28', '28 × 28');
      assert.equal(await page.getByTestId('op').inputValue(), 'convTranspose');
      await page.screenshot({ path: join(ARTIFACTS, 'explorer-solver.png') });
    });

    await t.test('an image the user chooses goes through the op', async () => {
      for (const [key, value] of Object.entries({
        kernel: 4,
        stride: 2,
        padding: 1,
        outputPadding: 0,
        dilation: 1,
        groups: 3,
      })) {
        await setSlider(page, key, value);
      }
      const png = encodePng(rand([3, 20, 30], { seed: 1 }));
      await page
        .getByTestId('image-file')
        .setInputFiles({ name: 'noise.png', mimeType: 'image/png', buffer: Buffer.from(png) });
      const size = convTransposeOutputSize({ inputSize: [20, 30], kernelSize: 4, stride: 2, padding: 1 });
      await waitText(
        page,
        'image-input-label',
        (s) => s.includes('noise.png') && s.includes('20×30'),
        'input 20×30 (noise.png)',
      );
      const shown = await page.getByTestId('image-output').getAttribute('data-size');
      assert.equal(shown, size.join('x'));
    });

    await t.test(
      'nearest, bicubic: (C, H, W) resized in H and W, the photo drawn at its real size',
      async () => {
        for (const op of ['nearest', 'bicubic']) {
          await page.getByTestId('op').selectOption(op);
          await setSlider(page, 'input', 3);
          await setSlider(page, 'stride', 2);
          await waitText(page, 'output-size', (s) => s === '6 × 6', `${op}: 6 × 6`);
          await waitText(page, 'matrix-c-dims', (s) => s === dimsText(36, 9), `${op}: C is 36 × 9`);
          const wIn = await page.getByTestId('image-input').evaluate((c) => c.getBoundingClientRect().width);
          const wOut = await page
            .getByTestId('image-output')
            .evaluate((c) => c.getBoundingClientRect().width);
          assert.ok(
            Math.abs(wOut / wIn - 2) < 0.05,
            `${op}: the 2× photo is drawn twice as wide (${wIn} → ${wOut} px)`,
          );
        }
        await page.screenshot({ path: join(ARTIFACTS, 'explorer-upsampling.png'), fullPage: true });
      },
    );

    await t.test(
      'at 390 px: animation and matrix cells readable, matrix axes indexed, the 2× photo twice as wide',
      async () => {
        // the legible minimum: cells of at least 26 px (anim.ts MIN_CELL) with 11 px values, linked
        // grid cells of at least 24 px (matrix.ts MIN_LINKED_CELL); the page itself never scrolls sideways
        const phone = session.watch(await context.newPage(), 'phone page');
        await phone.setViewportSize({ width: 390, height: 844 });
        await phone.goto(url);
        await phone.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
        for (const [key, value] of Object.entries({ input: 3, kernel: 3, stride: 2, padding: 0 }))
          await setSlider(phone, key, value);
        await waitText(phone, 'output-size', (s) => s === '7 × 7', '7 × 7');
        // (no named functions inside evaluate: tsx would wrap them in a helper the page lacks)
        const sizes = await phone.evaluate(() => ({
          anim: Array.from(document.querySelectorAll('#anim-panel svg.grid rect.cell')).map(
            (e) => e.getBoundingClientRect().width,
          ),
          linked: Array.from(document.querySelectorAll('svg.linked-grid rect')).map(
            (e) => e.getBoundingClientRect().width,
          ),
          font: Array.from(document.querySelectorAll('svg.grid .values text')).map((e) =>
            parseFloat(getComputedStyle(e).fontSize),
          ),
          pageWidth: document.documentElement.scrollWidth,
        }));
        assert.ok(sizes.anim.length > 50, `the animation has its cells (${sizes.anim.length})`);
        assert.ok(
          Math.min(...sizes.anim) >= 26,
          `animation cells ≥ 26 px (smallest ${Math.min(...sizes.anim)})`,
        );
        assert.ok(Math.min(...sizes.font) >= 11, `cell values ≥ 11 px (smallest ${Math.min(...sizes.font)})`);
        assert.ok(
          Math.min(...sizes.linked) >= 24,
          `matrix grid cells ≥ 24 px (smallest ${Math.min(...sizes.linked)})`,
        );
        assert.ok(sizes.pageWidth <= 390, `the page is ${sizes.pageWidth} px wide: it scrolls sideways`);

        // the axes: C (the conv 7×7 → 3×3 that this op transposes) is 9 × 49, Cᵀ 49 × 9
        const C = convMatrix([1, 7, 7], ones([1, 1, 3, 3]), { stride: 2 });
        for (const [id, rows, cols] of [
          ['matrix-c', C.rows, C.cols],
          ['matrix-ct', C.cols, C.rows],
        ] as const) {
          const axis = (which: string): Promise<{ n: number; centre: number[] }[]> =>
            phone.$$eval(`[data-testid="${id}-${which}"] span`, (spans) =>
              spans.map((e) => {
                const b = e.getBoundingClientRect();
                return { n: Number(e.textContent), centre: [b.left + b.width / 2, b.top + b.height / 2] };
              }),
            );
          const box = await phone.getByTestId(id).evaluate((c) => {
            const b = c.getBoundingClientRect();
            return { left: b.left + 1, top: b.top + 1, width: b.width - 2, height: b.height - 2 };
          });
          for (const [which, count, start, extent, k] of [
            ['columns', cols, box.left, box.width, 0],
            ['rows', rows, box.top, box.height, 1],
          ] as const) {
            const labels = await axis(which);
            assert.ok(labels.length >= 2, `${id} ${which}: labelled (${labels.length})`);
            assert.equal(labels[0]!.n, 0, `${id} ${which}: the first label is 0`);
            const step = labels[1]!.n - labels[0]!.n;
            labels.forEach((l, i) => assert.equal(l.n, i * step, `${id} ${which}: evenly stepped`));
            assert.ok(
              labels.at(-1)!.n < count && labels.at(-1)!.n + step >= count,
              `${id} ${which}: up to ${count - 1}`,
            );
            const px = extent / count;
            for (const l of [labels[0]!, labels.at(-1)!])
              assert.ok(
                Math.abs(l.centre[k]! - (start + (l.n + 0.5) * px)) < px / 2,
                `${id} ${which}: label ${l.n} sits over its ${which === 'rows' ? 'row' : 'column'}`,
              );
          }
        }
        const outputAxis = await phone.$$eval('[data-testid="matrix-grid-output"] .axis-top span', (ss) =>
          ss.map((e) => Number(e.textContent)),
        );
        assert.deepEqual(outputAxis, [0, 1, 2, 3, 4, 5, 6], 'the output grid has its column indices');

        // the screenshot: on the last frame each output cell shows its value, ink on the cell colour
        if ((await phone.getByTestId('play').getAttribute('data-state')) === 'playing')
          await phone.getByTestId('play').click();
        await phone.getByTestId('frame-slider').fill('48');
        await waitText(phone, 'frame-counter', (s) => s === 'frame 49 / 49', 'frame 49 / 49');
        await phone.screenshot({ path: join(ARTIFACTS, 'explorer-390.png'), fullPage: true });
        const cellShot = readPng(
          new Uint8Array(
            await phone.locator('svg[data-grid="scatter.output"] rect.cell').nth(8).screenshot(),
          ),
        );
        const [, ch, cw] = cellShot.shape as [number, number, number];
        let ink = 0;
        for (let i = 0; i < ch * cw; i++) {
          const lum =
            0.2126 * cellShot.data[i]! +
            0.7152 * cellShot.data[ch * cw + i]! +
            0.0722 * cellShot.data[2 * ch * cw + i]!;
          if (lum < 0.4) ink++;
        }
        assert.ok(cw >= 26 && ch >= 26, `the cell is ${cw}×${ch} px on screen`);
        assert.ok(ink >= 12, `the cell's value is drawn in dark ink (${ink} dark pixels of ${cw * ch})`);

        // the upsampled photo at its real size here too: twice as wide, and on the page
        await phone.getByTestId('op').selectOption('nearest');
        await setSlider(phone, 'input', 3);
        await setSlider(phone, 'stride', 2);
        await waitText(phone, 'output-size', (s) => s === '6 × 6', 'nearest: 6 × 6');
        await phone.waitForFunction(
          () => document.querySelector('[data-testid="image-output"]')?.getAttribute('data-size') !== '',
        );
        const boxes = await phone.evaluate(() =>
          ['image-input', 'image-output'].map((id) => {
            const b = document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
            return { width: b.width, right: b.right };
          }),
        );
        assert.ok(
          Math.abs(boxes[1]!.width / boxes[0]!.width - 2) < 0.05,
          `the 2× photo is drawn twice as wide at 390 px (${boxes[0]!.width} → ${boxes[1]!.width} px)`,
        );
        assert.ok(boxes[1]!.right <= 390, `the 2× photo fits the page (right edge ${boxes[1]!.right})`);
        await phone.close();
      },
    );

    await t.test('WebAssembly threads: Web Workers on shared memory, same result as one thread', async () => {
      await bundleForBrowser(
        join(import.meta.dirname, 'browser', 'threads-page.ts'),
        join(site, 'threads.js'),
      );
      await writeFile(
        join(site, 'threads.html'),
        '<!doctype html><meta charset="utf-8"><title>threads</title><link rel="icon" href="data:,">' +
          '<script type="module" src="threads.js"></script>',
      );
      const tab = session.watch(await context.newPage(), 'threads page');
      await tab.goto(new URL('threads.html', url).href);
      await tab.waitForSelector('body[data-done="true"]', { state: 'attached', timeout: 30_000 });
      const data = await tab.evaluate(() => ({ ...document.body.dataset }));
      await tab.close();
      assert.equal(data.error, undefined, `the page failed: ${data.error}`);
      assert.equal(data.isolated, 'true', 'the server makes the page cross-origin isolated');
      assert.equal(data.variant, 'relaxed', 'Chromium runs the relaxed-SIMD build');
      assert.equal(data.threads1, '1');
      assert.equal(data.threads2, '2', 'two threads started in the browser');
      assert.equal(data.identical, 'true', 'two threads give the one-thread result bit for bit');
      // the same values as Node computes
      const x = randn([2, 64, 16, 16], { seed: 1 });
      const w = randn([64, 32, 4, 4], { seed: 2 });
      const sum = (convTranspose2d(x, w, { stride: 2, padding: 1 }).data as Float32Array).reduce(
        (a, b) => a + b,
        0,
      );
      assert.equal(Number(data.sum), sum, "the browser result equals Node's");
    });

    assert.deepEqual(problems, [], 'the page logged errors');
  } finally {
    await session.close();
  }
});
