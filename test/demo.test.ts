import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conv2d, convTranspose2d, maxUnpool2d, rand, tensor, zeros } from '../src/index.js';
import { encodePng, makeGrid } from '../src/io/png.js';
import { readPng, writePng } from '../src/io/pngFile.js';
import { bilinearFiller } from '../src/nn/init.js';
import {
  METHODS,
  bedOfNailsIndices,
  bilinearLayer,
  pixelShuffleGap,
  psnr,
  runPipeline,
  subPixelConv,
  writeOutputs,
} from '../scripts/demo.js';
import { throwsArg } from './throws.js';

function withTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-demo-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writePng then readPng gives back 8-bit values exactly, RGB, batched and grey', () => {
  withTempDir((dir) => {
    const [h, w] = [5, 7];
    const levels = Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 37) % 256) / 255);
    const rgb = tensor(levels, [3, h, w]);
    writePng(rgb, join(dir, 'rgb.png'));
    const back = readPng(join(dir, 'rgb.png'));
    assert.deepEqual(back.shape, [3, h, w]);
    assert.deepEqual(Array.from(back.data), Array.from(levels));

    // (1, C, H, W) is accepted; the bytes of a file are accepted as well as its path
    writePng(rgb.reshape([1, 3, h, w]), join(dir, 'batched.png'));
    assert.deepEqual(Array.from(readPng(readFileSync(join(dir, 'batched.png'))).data), Array.from(levels));

    // grey is expanded to three equal channels
    const grey = tensor(levels.slice(0, h * w), [1, h, w]);
    writePng(grey, join(dir, 'grey.png'));
    const g3 = readPng(join(dir, 'grey.png'));
    assert.deepEqual(g3.shape, [3, h, w]);
    for (let c = 0; c < 3; c++)
      assert.deepEqual(Array.from(g3.data.slice(c * h * w, (c + 1) * h * w)), Array.from(grey.data));
  });
});

test('readPng drops alpha; encodePng clamps to [0, 1] and rounds to the nearest 8-bit level', () => {
  const rgba = tensor([0.2, -0.5, 1.7, 0.5], [4, 1, 1]);
  const back = readPng(encodePng(rgba));
  assert.deepEqual(back.shape, [3, 1, 1]);
  assert.deepEqual(Array.from(back.data), [51 / 255, 0, 1].map(Math.fround));
  // rounding to the nearest level: 0.7 / 255 -> level 1, 0.4 / 255 -> level 0
  assert.deepEqual(Array.from(readPng(encodePng(tensor([0.7 / 255, 0.4 / 255, 1], [3, 1, 1]))).data), [
    Math.fround(1 / 255),
    0,
    1,
  ]);
  // grey + alpha: three equal channels, alpha dropped
  assert.deepEqual(
    Array.from(readPng(encodePng(tensor([0.2, 0.1], [2, 1, 1]))).data),
    [51 / 255, 51 / 255, 51 / 255].map(Math.fround),
  );
});

test('readPng and writePng refuse bad arguments with DeconvError', () => {
  throwsArg(() => writePng(tensor([NaN, 0, 0], [3, 1, 1]), '/tmp/never.png'), 'image', /NaN/);
  throwsArg(() => encodePng(zeros([5, 2, 2])), 'image', /1 to 4 channels/);
  throwsArg(() => encodePng(zeros([2, 3, 2, 2])), 'image', /\(C, H, W\)/);
  throwsArg(() => encodePng(zeros([3, 2, 2], { dtype: 'int32' })), 'image', /float/);
  throwsArg(() => readPng(new Uint8Array([1, 2, 3])), 'source', /not a PNG image/);
  throwsArg(() => readPng('/nonexistent/photo.png'), 'source', /could not be read/);
  withTempDir((dir) => {
    writeFileSync(join(dir, 'bad.png'), 'not a png');
    throwsArg(() => readPng(join(dir, 'bad.png')), 'source');
  });
});

test('makeGrid places images in cells and draws labels', () => {
  const a = tensor(new Float32Array(3 * 4 * 6).fill(0.25), [3, 4, 6]);
  const b = tensor(new Float32Array(2 * 2).fill(0.75), [1, 2, 2]);
  const grid = makeGrid([a, b, null], { columns: 2, padding: 1 });
  // cells 4×6, 2 columns, 2 rows, no labels: width 2·6 + 3, height 2·4 + 3
  assert.deepEqual(grid.shape, [3, 11, 15]);
  const at = (c: number, y: number, x: number): number => grid.data[(c * 11 + y) * 15 + x]!;
  assert.equal(at(0, 1, 1), 0.25); // a at (1, 1)
  assert.equal(at(2, 4, 6), 0.25);
  assert.equal(at(0, 0, 0), 1); // background
  // b (grey, expanded) centred in the second cell: x0 = 8, offset (6 − 2) / 2 = 2; y offset 1
  for (let c = 0; c < 3; c++) assert.equal(at(c, 2, 10), 0.75);
  assert.equal(at(0, 1, 10), 1);

  const labelled = makeGrid([a], { columns: 1, labels: ['ab'], labelSize: 11, padding: 0 });
  // a caption strip of one 11 px line of DejaVu Sans (ascender 475, descender 121 of 512 units:
  // 11 + 3 rows) and 2 + 2 rows around it, above the 4-row image
  assert.deepEqual(labelled.shape, [3, 22, 6]);
  const ink = Array.from(labelled.data.slice(0, 18 * 6)).filter((v) => v < 0.5).length;
  assert.ok(ink > 0, 'some label pixels are drawn');
  throwsArg(() => makeGrid([a], { columns: 1, labels: ['ab'], labelSize: 2 }), 'labelSize');
  throwsArg(() => makeGrid([a], { columns: 1, labels: ['é'] }), 'labels');
  throwsArg(() => makeGrid([a], { columns: 0 }), 'columns');
  throwsArg(() => makeGrid([a, zeros([2, 2, 2])], { columns: 2 }), 'images');
});

test('makeGrid captions: the real font (λ, ᵀ, →, ², lower case) in black or white, whichever reads on the background', () => {
  const img = tensor(new Float32Array(3 * 8 * 120).fill(0.5), [3, 8, 120]);
  const strip = (label: string, background = 1): number[] => {
    const g = makeGrid([img], { columns: 1, labels: [label], labelSize: 14, padding: 0, background });
    const rows = g.shape[1]! - 8;
    return Array.from(g.data.slice(0, rows * 120));
  };
  const differ = (a: number[], b: number[]): number => a.filter((v, i) => v !== b[i]).length;
  // what the 5×7 bitmap font got wrong: λ drawn as '?', ᵀ as 'T', → as '>', everything upper case
  for (const [good, bad] of [
    ['λ = 0.1', '? = 0.1'],
    ['Cᵀ·y', 'CT·y'],
    ['4 → 8', '4 > 8'],
    ['scaleFactor x²', 'SCALEFACTOR X2'],
  ] as const)
    assert.ok(differ(strip(good), strip(bad)) > 20, `'${good}' is not drawn like '${bad}'`);
  // WCAG contrast (relative luminance of sRGB) between the caption's strongest ink and the background
  const lum = (v: number): number => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const contrast = (a: number, b: number): number =>
    (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  for (const background of [0, 0.2, 0.4, 0.46, 0.5, 0.6, 0.8, 1]) {
    const bg = Math.round(background * 255) / 255;
    const px = strip('Cᵀ λ → x² scaleFactor', background);
    const strongest = px.reduce(
      (m, v) => (Math.abs(v - background) > Math.abs(m - background) ? v : m),
      background,
    );
    const ratio = contrast(strongest, bg);
    assert.ok(
      ratio >= 4.5,
      `background ${background}: caption contrast ${ratio.toFixed(2)} : 1 (WCAG AA asks 4.5)`,
    );
  }
});

test('bilinearFiller matches Caffe’s formula on hand-computed kernels', () => {
  // k = 4: f = 2, c = 3/4, profile 1 − |x/2 − 3/4| = [1/4, 3/4, 3/4, 1/4]
  const p4 = [0.25, 0.75, 0.75, 0.25];
  const w4 = bilinearFiller([2, 1, 4, 4]);
  assert.deepEqual(w4.shape, [2, 1, 4, 4]);
  const expected = p4.flatMap((py) => p4.map((px) => py * px));
  assert.deepEqual(Array.from(w4.data.slice(0, 16)), expected);
  assert.deepEqual(Array.from(w4.data.slice(16, 32)), expected);
  // k = 3: f = 2, c = 1/2: [1/2, 1, 1/2]; k = 1: [1]; k = 5 (s = 3): f = 3, c = 2/3: [1/3, 2/3, 1, 2/3, 1/3]
  assert.deepEqual(Array.from(bilinearFiller([1, 1, 3]).data), [0.5, 1, 0.5]);
  assert.deepEqual(Array.from(bilinearFiller([1, 1, 1, 1]).data), [1]);
  const p5 = Array.from(bilinearFiller([1, 1, 5], { dtype: 'float64' }).data);
  [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3].forEach((v, x) =>
    assert.ok(Math.abs(p5[x]! - v) < 1e-12, `k = 5, x = ${x}`),
  );
  // the upsampling kernels 2s − s%2 agree with Caffe's first formula c = (2f − 1 − f%2) / (2f)
  for (let s = 1; s <= 8; s++) {
    const k = 2 * s - (s % 2);
    const f = Math.ceil(k / 2);
    const c = (2 * f - 1 - (f % 2)) / (2 * f);
    const caffe = Array.from({ length: k }, (_, x) => Math.fround(1 - Math.abs(x / f - c)));
    assert.deepEqual(Array.from(bilinearFiller([1, 1, k]).data), caffe, `s = ${s}`);
  }
  throwsArg(() => bilinearFiller([4, 4]), 'shape');
  throwsArg(() => bilinearFiller([1, 1, 0, 4]), 'shape', /shape\[2\]/);
});

test('the bilinear transposed convolution upsamples a constant image to the same constant inside', () => {
  for (const s of [2, 3, 4]) {
    const layer = bilinearLayer(2, s);
    const y = convTranspose2d(tensor(new Float32Array(2 * 6 * 6).fill(0.5), [1, 2, 6, 6]), layer.weight, {
      stride: s,
      padding: layer.padding,
      groups: 2,
    });
    assert.deepEqual(y.shape, [1, 2, 6 * s, 6 * s]);
    const h = 6 * s;
    for (let i = s; i < h - s; i++) {
      for (let j = s; j < h - s; j++)
        assert.ok(Math.abs(y.data[i * h + j]! - 0.5) < 1e-6, `s=${s} (${i}, ${j})`);
    }
  }
});

test('psnr: identical images are infinite, a uniform error e gives −20·log10(e)', () => {
  const a = tensor([0, 0.5, 1, 0.25], [1, 2, 2]);
  assert.equal(psnr(a, a), Infinity);
  const b = tensor([0.1, 0.6, 0.9, 0.35], [1, 2, 2]);
  assert.ok(Math.abs(psnr(b, a) - 20) < 1e-5);
  assert.ok(Math.abs(psnr(b, a, 255) - (20 + 20 * Math.log10(255))) < 1e-5);
  assert.throws(() => psnr(a, tensor([1, 2], [2])), /shapes differ/);
});

test('bed of nails with synthetic indices equals a transposed convolution with a one-hot kernel', () => {
  const x = rand([1, 2, 3, 4], { seed: 7 });
  for (const s of [2, 4]) {
    const nails = maxUnpool2d(x, bedOfNailsIndices(x.shape, s), { kernelSize: s });
    const oneHot = zeros([2, 1, s, s]);
    oneHot.data[0] = 1;
    oneHot.data[s * s] = 1;
    const viaConv = convTranspose2d(x, oneHot, { stride: s, groups: 2 });
    assert.deepEqual(nails.shape, [1, 2, 3 * s, 4 * s]);
    assert.deepEqual(Array.from(nails.data), Array.from(viaConv.data));
  }
});

test('the sub-pixel convolution + pixelShuffle equals the bilinear transposed convolution', () => {
  const x = rand([1, 3, 5, 6], { seed: 3 });
  for (const s of [2, 3, 4]) {
    const layer = bilinearLayer(3, s);
    const sub = subPixelConv(layer, 3);
    const viaConv = conv2d(x, sub.weight, { padding: sub.padding, groups: 3 });
    assert.deepEqual(viaConv.shape, [1, 3 * s * s, 5, 6]);
    const want = convTranspose2d(x, layer.weight, { stride: s, padding: layer.padding, groups: 3 });
    const method = METHODS.find((m) => m.key === 'pixel-shuffle')!;
    const d = { scale: s, pooled: x, indices: x, averaged: x, poolMs: 0, convMs: 0 };
    const got = method.prepare(d, [5 * s, 6 * s])();
    assert.deepEqual(got.shape, want.shape);
    for (let i = 0; i < got.size; i++)
      assert.ok(Math.abs(got.data[i]! - want.data[i]!) < 1e-6, `s=${s} i=${i}`);
  }
});

test('the demo pipeline gives every method at every scale at full size, and writes its files', () => {
  const image = rand([1, 3, 16, 24], { seed: 11 });
  const result = runPipeline(image, { scales: [2, 4], repeats: 1 });
  assert.equal(result.rows.length, 2 * METHODS.length);
  for (const d of result.downsampled) {
    assert.deepEqual(d.pooled.shape, [1, 3, 16 / d.scale, 24 / d.scale]);
    assert.deepEqual(d.averaged.shape, [1, 3, 16 / d.scale, 24 / d.scale]);
  }
  for (const row of result.rows) {
    assert.deepEqual(row.output.shape, [1, 3, 16, 24], `${row.method.key} ${row.scale}x`);
    assert.ok(Number.isFinite(row.psnr) && row.psnr > 0, `${row.method.key} ${row.scale}x psnr ${row.psnr}`);
    assert.ok(row.ms >= 0);
  }
  assert.ok(pixelShuffleGap(result) < 1e-5);
  // switches beat nails: max unpool puts every max back where it was
  const at = (key: string, s: number): number =>
    result.rows.find((r) => r.method.key === key && r.scale === s)!.psnr;
  assert.ok(at('max-unpool', 2) > at('bed-of-nails', 2));

  withTempDir((dir) => {
    const columns = writeOutputs(result, dir);
    assert.equal(columns.length, 3 + METHODS.length);
    for (const row of result.rows) {
      assert.deepEqual(readPng(join(dir, `${row.method.key}-${row.scale}x.png`)).shape, [3, 16, 24]);
    }
    const grid = readPng(join(dir, 'grid.png'));
    assert.ok(grid.shape[2]! > columns.length * 24 && grid.shape[1]! > 2 * 16);
  });
});
