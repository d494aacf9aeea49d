/**
 * `deconv segment`: training is reproducible (the same settings write byte-identical weights and
 * the same scores: checked on a tiny setting, two decoders, one seed), resumable (a second run
 * keeps the finished runs), bounded by a time budget; the shipped weights give the scores recorded
 * in models/segment/segment.json (recomputed here on the test canvases for two decoders); the
 * report writes its HTML and PNGs, with the DeconvNet figure in Noh et al.'s order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateSegmentModel, segmentCanvases, type SegmentResults } from '../cli/segment.js';
import * as nn from '../src/nn/index.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { runCli } from './cli-util.js';

const TINY = [
  '--decoders',
  'segnet,unet',
  '--seeds',
  '0',
  '--train-size',
  '48',
  '--test-size',
  '16',
  '--epochs',
  '1',
  '--batch-size',
  '8',
];

test('segment train: same settings, same weights and scores; resumes; stops at the time budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-segment-'));
  try {
    const a = await runCli(['segment', 'train', ...TINY, '--out', 'a'], dir);
    assert.equal(a.code, 0, a.err);
    const b = await runCli(['segment', 'train', ...TINY, '--out', 'b'], dir);
    assert.equal(b.code, 0, b.err);
    // the same weights (the files differ only in the training time in their metadata)
    for (const file of ['segnet-seed0.safetensors', 'unet-seed0.safetensors']) {
      const wa = readSafetensors(readFileSync(join(dir, 'a', file)));
      const wb = readSafetensors(readFileSync(join(dir, 'b', file)));
      assert.deepEqual(Object.keys(wa), Object.keys(wb));
      for (const k of Object.keys(wa)) assert.deepEqual(wa[k]!.data, wb[k]!.data, `${file}: ${k} identical`);
    }
    const ra = JSON.parse(readFileSync(join(dir, 'a', 'segment.json'), 'utf8')) as SegmentResults;
    const rb = JSON.parse(readFileSync(join(dir, 'b', 'segment.json'), 'utf8')) as SegmentResults;
    assert.deepEqual(
      ra.runs.map((r) => [r.decoder, r.meanIou, r.pixelAccuracy, r.nyquistShare]),
      rb.runs.map((r) => [r.decoder, r.meanIou, r.pixelAccuracy, r.nyquistShare]),
    );
    assert.equal(ra.summary.length, 2);
    // resuming: nothing is trained again
    const again = await runCli(['segment', 'train', ...TINY, '--out', 'a'], dir);
    assert.equal(again.code, 0, again.err);
    assert.equal((again.out.match(/already trained/g) ?? []).length, 2, again.out);
    // other settings do not reuse the runs
    const other = await runCli(
      [
        'segment',
        'train',
        '--decoders',
        'segnet',
        '--seeds',
        '0',
        '--train-size',
        '16',
        '--test-size',
        '8',
        '--epochs',
        '1',
        '--out',
        'a',
      ],
      dir,
    );
    assert.equal(other.code, 0, other.err);
    assert.doesNotMatch(other.out, /already trained/);
    // a time budget too short for one step: nothing written, told how to resume
    const short = await runCli(['segment', 'train', ...TINY, '--time-budget', '0.000001', '--out', 'c'], dir);
    assert.equal(short.code, 0, short.err);
    assert.match(short.out, /time budget ran out/);
    assert.ok(!existsSync(join(dir, 'c', 'segnet-seed0.safetensors')));
    // bad options
    const bad = await runCli(['segment', 'train', '--decoders', 'vnet', '--out', 'd'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--decoders/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SHIPPED = new URL('../models/segment/', import.meta.url);
const shipped = JSON.parse(readFileSync(new URL('segment.json', SHIPPED), 'utf8')) as SegmentResults;

test('the shipped weights give the scores recorded beside them', () => {
  const test = segmentCanvases('test', shipped.settings.testSize, shipped.settings);
  for (const decoder of ['segnet', 'fcn8s'] as const) {
    const r = shipped.runs.find((x) => x.decoder === decoder && x.seed === 0);
    assert.ok(r, `${decoder} seed 0 is shipped`);
    const model = nn.segmentationModel(decoder, { channels: shipped.settings.channels });
    model.loadStateDict(readSafetensors(readFileSync(new URL(r.file, SHIPPED))));
    const s = evaluateSegmentModel(model, test);
    assert.ok(Math.abs(s.meanIou - r.meanIou) < 1e-9, `${decoder}: mIoU ${s.meanIou}, recorded ${r.meanIou}`);
    assert.ok(Math.abs(s.pixelAccuracy - r.pixelAccuracy) < 1e-9, `${decoder}: pixel accuracy`);
    assert.ok(Math.abs(s.nyquistShare - r.nyquistShare) < 1e-6, `${decoder}: Nyquist share`);
  }
});

test('segment report: the HTML report from the shipped weights, with the DeconvNet figure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-segment-report-'));
  try {
    const r = await runCli(['segment', '--out', 'rep'], dir);
    assert.equal(r.code, 0, r.err);
    const html = readFileSync(join(dir, 'rep', 'index.html'), 'utf8');
    const order = ['deconv-center', 'unpool3', 'deconv3', 'unpool2', 'deconv2', 'unpool1', 'deconv1'];
    let at = -1;
    for (const layer of order) {
      const i = html.indexOf(`deconvnet-${layer}.png`);
      assert.ok(i > at, `the figure shows ${layer} after the layers before it`);
      at = i;
      assert.ok(existsSync(join(dir, 'rep', `deconvnet-${layer}.png`)), layer);
    }
    for (const s of shipped.summary) {
      assert.ok(
        html.includes(`${s.meanIou.mean.toFixed(3)} ± ${s.meanIou.std.toFixed(3)}`),
        `${s.decoder}: mIoU in the table`,
      );
      assert.ok(existsSync(join(dir, 'rep', `examples-${s.decoder}.png`)), `${s.decoder}: predictions`);
    }
    const missing = await runCli(['segment', 'report', '--weights', 'nowhere'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--weights/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
