/**
 * The segmentation explorer (web/segment/) in Chromium: builds the site, serves it, draws digit
 * strokes on the canvas with the mouse, and checks that every decoder's segmentation appears and
 * equals what the same shipped weights give in Node for the drawing the page holds (computed here,
 * independently of the page). A screenshot goes to test-artifacts/segment-explorer.png. Skipped
 * when /usr/bin/chromium is not installed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BACKGROUND, SEGMENTATION_CLASSES, Tensor, nn, noGrad, readSafetensors } from '../src/index.js';
import { ARTIFACTS, openBrowser, skipWithoutChromium } from './browser-util.js';

/** What web/segment/main.ts exposes on `window`. */
interface SegmentPage {
  deconvSegment: { input: () => number[]; predictions: Record<string, number[]>; runs: () => number };
}

const MODELS = join(import.meta.dirname, '..', 'models', 'segment');

test(
  'segmentation explorer in Chromium: draw digits, every decoder segments them',
  { timeout: 90_000 },
  async (t) => {
    if (skipWithoutChromium(t)) return;
    await mkdir(ARTIFACTS, { recursive: true });
    const session = await openBrowser({ viewport: { width: 1300, height: 1000 } });
    const { page, problems, url } = session;
    try {
      await page.goto(`${url}segment/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });

      const results = JSON.parse(readFileSync(join(MODELS, 'segment.json'), 'utf8')) as {
        settings: { channels: number[] };
        runs: { decoder: nn.SegmentationDecoder; seed: number; file: string }[];
      };
      const decoders = [...new Set(results.runs.map((r) => r.decoder))];
      for (const d of decoders)
        assert.ok(await page.getByTestId(`seg-${d}`).isVisible(), `${d}: a segmentation canvas`);

      // a "1" (a vertical stroke) and a "7" (a bar and a diagonal), drawn with the mouse
      const box = (await page.getByTestId('draw').boundingBox())!;
      const at = (x: number, y: number): [number, number] => [
        box.x + (x / 64) * box.width,
        box.y + (y / 32) * box.height,
      ];
      const stroke = async (points: [number, number][]): Promise<void> => {
        await page.mouse.move(...at(...points[0]!));
        await page.mouse.down();
        for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
        await page.mouse.up();
      };
      const before = Number(await page.evaluate(() => document.body.dataset.segmented));
      await stroke([
        [16, 6],
        [15, 26],
      ]);
      await stroke([
        [34, 7],
        [48, 7],
        [40, 27],
      ]);
      await page.waitForFunction((n) => Number(document.body.dataset.segmented) > n, before, {
        timeout: 10_000,
      });
      await page.waitForTimeout(300); // the last scheduled frame
      const state = await page.evaluate(() => {
        const w = window as unknown as SegmentPage;
        return { input: w.deconvSegment.input(), predictions: w.deconvSegment.predictions };
      });
      const ink = state.input.filter((v) => v > 0.5).length;
      assert.ok(ink > 40, `the strokes reached the page's canvas (${ink} inked pixels)`);

      // the same weights in Node on the page's drawing
      const x = new Tensor(Float32Array.from(state.input), [1, 1, 32, 64]);
      let foregroundDecoders = 0;
      for (const d of decoders) {
        const run = results.runs.filter((r) => r.decoder === d).sort((a, b) => a.seed - b.seed)[0]!;
        const model = nn.segmentationModel(d, {
          channels: results.settings.channels,
          numClasses: SEGMENTATION_CLASSES,
        });
        model.loadStateDict(readSafetensors(readFileSync(join(MODELS, run.file))));
        model.eval();
        const expected = noGrad(() => nn.predictLabels(model.forward(x)).data);
        const got = state.predictions[d];
        assert.ok(got && got.length === 32 * 64, `${d}: the page has a prediction`);
        let differ = 0;
        for (let i = 0; i < expected.length; i++) if (expected[i] !== got[i]) differ++;
        assert.ok(differ <= 2, `${d}: ${differ} of 2048 pixels differ from Node's prediction`);
        const fg = got.filter((l) => l !== BACKGROUND).length;
        if (fg > 0) foregroundDecoders++;
        const text = (await page.getByTestId(`classes-${d}`).textContent()) ?? '';
        assert.ok(fg === 0 ? text === 'background only' : text.startsWith('digits: '), `${d}: ${text}`);
      }
      assert.ok(foregroundDecoders >= 1, `some decoder marks the strokes as digits (${foregroundDecoders})`);
      await page.screenshot({ path: join(ARTIFACTS, 'segment-explorer.png'), fullPage: true });

      await page.getByTestId('clear').click();
      await page.waitForFunction(
        () => (window as unknown as SegmentPage).deconvSegment.input().every((v) => v === 0),
        undefined,
        { timeout: 5000 },
      );
      assert.deepEqual(problems, [], 'no page errors');
    } finally {
      await session.close();
    }
  },
);
