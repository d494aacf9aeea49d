/**
 * The explorer's ONNX drop zone in Chromium, on models exported by PyTorch 1.13: choosing a file
 * lists its upsampling layers (importOnnx running in the page); clicking one shows a button per
 * spatial axis and loads the first into the sliders that drive the animation, the matrix view and
 * the checkerboard map, with a note that says whether the view is the layer exactly and, where it
 * is not, how and why it is reduced. A DCGAN generator (equal axes) and a net whose axes differ
 * (kernel (3, 5), stride (1, 2), a 96-wide input the animation cannot show at full size).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { openBrowser, skipWithoutChromium } from './browser-util.js';

const model = (name: string): string => join(import.meta.dirname, `fixtures/onnx/torch/${name}/model.onnx`);

async function state(page: Page): Promise<Record<string, string>> {
  const text = async (sel: string): Promise<string> => (await page.locator(sel).textContent()) ?? '';
  const out: Record<string, string> = {};
  for (const key of ['input', 'kernel', 'stride', 'padding', 'dilation'])
    out[key] = await text(`[data-testid=value-${key}]`);
  out.op = await page.locator('[data-testid=op]').inputValue();
  out.size = (await page.locator('[data-testid=output-size]').getAttribute('data-size')) ?? '';
  out.frames = await text('[data-testid=frame-counter]');
  out.matrix = await text('[data-testid=matrix-c-dims]');
  out.checker = (await page.locator('[data-testid=checkerboard]').getAttribute('data-size')) ?? '';
  out.note = await text('[data-testid=onnx-note]');
  out.axisNote = await text('[data-testid=onnx-view-note]');
  return out;
}

/** Chooses a fixture model in the drop zone and waits for its layer list (whose first row names `first`). */
async function choose(page: Page, name: string, first: string): Promise<string[]> {
  await page.setInputFiles('[data-testid=onnx-file]', model(name));
  await page.waitForFunction(
    (text) => document.querySelector('[data-testid=onnx-layer]')?.textContent?.includes(text) === true,
    first,
    { timeout: 20000 },
  );
  return page.locator('[data-testid=onnx-layer]').allTextContents();
}

test('explorer: an .onnx drop lists its layers; each spatial axis loads into the views, reductions said', async (t) => {
  if (skipWithoutChromium(t)) return;
  const session = await openBrowser({ consoleErrors: false });
  const { page, problems, url } = session;
  try {
    await page.goto(url);

    // a DCGAN generator: every axis alike, so the square view is the layer
    const rows = await choose(page, 'dcgan_opset17', '/net/net.0/ConvTranspose');
    assert.equal(rows.length, 3, `three ConvTranspose layers: ${rows.join(' | ')}`);
    assert.match(rows[1]!, /ConvTranspose .*\?×6×4×4 → \?×4×8×8/, 'sizes through the symbolic batch');
    await page.locator('[data-testid=onnx-layer]').nth(1).click();
    let s = await state(page);
    assert.deepEqual(
      [s.op, s.input, s.kernel, s.stride, s.padding],
      ['convTranspose', '4', '4', '2', '1'],
      'the layer loaded',
    );
    assert.equal(s.size, '8x8', 'the output size is the layer’s');
    assert.equal(await page.locator('[data-testid=onnx-axis]').count(), 2, 'a button per axis (H, W)');
    assert.match(
      s.note,
      /every axis \(H, W\) 4 → 8, kernel 4, stride 2, padding 1; the square view is the layer/,
      s.note,
    );
    assert.match(s.note, /channels 6 → 4: the page's example has one input and one output channel/, s.note);
    assert.ok(!/shown as/.test(s.note), 'the input is not reduced');
    assert.match(s.frames, /frame \d+ \/ [1-9]/, `the animation has frames: ${s.frames}`);
    assert.ok(s.matrix.length > 0 && s.checker.length > 0, 'the matrix view and checkerboard map are drawn');

    // a net whose axes differ: each axis loads on its own, and the page says so
    const aniso = await choose(page, 'anisotropic_opset17', '/conv/Conv');
    assert.equal(aniso.length, 3, `Conv, MaxPool, ConvTranspose: ${aniso.join(' | ')}`);
    assert.match(aniso[0]!, /Conv .*\?×3×8×96 → \?×4×8×48/, aniso[0]);
    await page.locator('[data-testid=onnx-layer]').nth(0).click();
    const axes = page.locator('[data-testid=onnx-axis]');
    assert.deepEqual(
      await axes.allTextContents(),
      ['H: 8 → 8, kernel 3, stride 1, padding 1', 'W: 96 → 48, kernel 5, stride 2, padding 2'],
      'each axis with its own parameters',
    );
    s = await state(page);
    assert.deepEqual([s.op, s.input, s.kernel, s.stride, s.padding], ['conv', '8', '3', '1', '1'], 'axis H');
    assert.equal(s.size, '8x8', 'axis H: 8 → 8');
    assert.match(s.note, /axis H of H, W: 8 → 8, kernel 3, stride 1, padding 1\. The axes differ/, s.note);
    const h = s;
    await axes.nth(1).click();
    s = await state(page);
    assert.deepEqual([s.op, s.kernel, s.stride, s.padding], ['conv', '5', '2', '2'], 'axis W');
    const shown = Number(s.input);
    assert.ok(shown > 12 && shown < 96, `a wide input, reduced below 96 to what the page draws: ${shown}`);
    assert.match(
      s.note,
      new RegExp(`input 96 shown as ${shown}: at 96 the convolution would need more animation frames`),
      s.note,
    );
    assert.equal(s.axisNote, s.note, 'the ONNX panel says the same');
    assert.notEqual(s.matrix, h.matrix, 'the matrix view follows the axis');
    assert.notEqual(s.checker, h.checker, 'the checkerboard map follows the axis');
    assert.match(s.frames, /frame \d+ \/ [1-9]/, `the animation has frames: ${s.frames}`);

    // a pool is drawn as its window, and says so; asymmetric axes of a transposed convolution
    await page.locator('[data-testid=onnx-layer]').nth(1).click();
    s = await state(page);
    assert.match(s.note, /a max pool: the page has no pooling op/, s.note);
    assert.deepEqual([s.kernel, s.stride, s.padding], ['2', '2', '0'], 'MaxPool axis H');
    await page.locator('[data-testid=onnx-layer]').nth(2).click();
    await axes.nth(1).click();
    s = await state(page);
    assert.deepEqual(
      [s.op, s.kernel, s.stride, s.padding],
      ['convTranspose', '3', '1', '1'],
      'ConvTranspose axis W',
    );
    assert.match(s.note, /input 48 shown as \d+/, s.note);

    // 1-d and 3-d layers, groups, Resize modes the page samples differently: every layer, every axis
    const mixed = await choose(page, 'mixed_opset17', '/t1/ConvTranspose');
    const notes: string[] = [];
    for (let k = 0; k < mixed.length; k++) {
      await page.locator('[data-testid=onnx-layer]').nth(k).click();
      for (let a = 0; a < (await axes.count()); a++) {
        await axes.nth(a).click();
        notes.push((await state(page)).note);
      }
    }
    assert.equal(notes.length, 1 + 3 + 2 + 2 + 2, `every axis of every layer: ${notes.join(' | ')}`);
    assert.match(notes[0]!, /a 1-d layer: the page is 2-d/, notes[0]);
    assert.match(notes[1]!, /axis D of D, H, W: .*a 3-d layer/, notes[1]);
    assert.match(notes[4]!, /cubic with align_corners/, notes[4]);
    assert.match(notes[7]!, /scale 1\.125 \(8 → 9\) is not a whole number/, notes[7]);

    // moving a slider leaves the layer: the note goes
    await page.locator('[data-testid=slider-kernel]').fill('2');
    assert.equal(await page.locator('[data-testid=onnx-note]').isHidden(), true, 'the note is cleared');
    assert.deepEqual(problems, [], 'no page errors');
  } finally {
    await session.close();
  }
});
