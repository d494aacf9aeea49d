import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeconvError, Tensor, nn, randn, readSafetensors, readSafetensorsMetadata } from '../src/index.js';
import { loadMnist } from '../src/data/mnist.js';
import {
  convFront,
  deconvnetForward,
  deconvnetProject,
  isolate,
  receptiveField,
  selectImages,
  topActivations,
} from '../src/viz/deconvnet.js';
import {
  AutoEncoder,
  accuracy,
  batchOf,
  buildClassifier,
  buildModel,
  lossOf,
  meanPsnr,
  scheduledLr,
  trainModel,
} from '../cli/train.js';
import { visualizeCommand } from '../cli/visualize.js';
import type { CliIo } from '../cli/io.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const models = join(root, 'models');

/** A small conv front: conv 1→3 (3×3, pad 1), ReLU, max pool 2, conv 3→4 (3×3, pad 1), ReLU. */
function smallNet(): nn.Sequential {
  nn.manualSeed(7);
  return new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernelSize: 2 }),
    new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 }),
    new nn.ReLU(),
    new nn.Flatten(),
  );
}

/** w[o][i][ky][kx] of a (O, I, 3, 3) weight. */
const at = (w: Tensor, o: number, i: number, ky: number, kx: number): number =>
  w.data[((o * w.shape[1]! + i) * 3 + ky) * 3 + kx]!;

test('layer 1: the projection of one activation is convTranspose2d of it alone (placed filter, by hand)', () => {
  const net = smallNet();
  const layers = convFront(net);
  assert.equal(layers.length, 5);
  const x = randn([2, 1, 10, 10], { seed: 3 });
  const trace = deconvnetForward(layers, x);
  const w = (layers[0] as nn.Conv2d).weight;
  for (const [n, c, y, xx] of [
    [0, 1, 4, 6],
    [1, 2, 0, 0],
    [1, 0, 9, 3],
  ] as const) {
    const value = 1.75;
    const act = { image: n, channel: c, y, x: xx, value };
    const back = deconvnetProject(trace, 1, isolate(trace, 1, [act]), [n]);
    assert.deepEqual(back.shape, [1, 1, 10, 10]);
    // conv out[y][x] = Σ w[ky][kx] in[y + ky − 1][x + kx − 1]: its transpose puts value·w at those pixels
    const expected = new Float64Array(100);
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        const py = y + ky - 1;
        const px = xx + kx - 1;
        if (py >= 0 && py < 10 && px >= 0 && px < 10) expected[py * 10 + px] = value * at(w, c, 0, ky, kx);
      }
    for (let p = 0; p < 100; p++)
      assert.ok(Math.abs(back.data[p]! - expected[p]!) < 1e-6, `(${n},${c},${y},${xx}) pixel ${p}`);
  }
});

test('layer 2: unpooling with the switches, ReLU, transposed filters — equal to a plain-loop DeconvNet', () => {
  const net = smallNet();
  const layers = convFront(net);
  const w1 = (layers[0] as nn.Conv2d).weight;
  const b1 = (layers[0] as nn.Conv2d).bias!;
  const w2 = (layers[3] as nn.Conv2d).weight;
  const x = randn([2, 1, 10, 10], { seed: 5 });
  const trace = deconvnetForward(layers, x);

  for (const n of [0, 1]) {
    // forward by hand: conv1 + ReLU (3, 10, 10), then each 2×2 window's argmax (the switches)
    const r1 = new Float64Array(300);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 10; y++)
        for (let xx = 0; xx < 10; xx++) {
          let s = b1.data[c]!;
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1;
              const ix = xx + kx - 1;
              if (iy >= 0 && iy < 10 && ix >= 0 && ix < 10)
                s += at(w1, c, 0, ky, kx) * x.data[n * 100 + iy * 10 + ix]!;
            }
          r1[c * 100 + y * 10 + xx] = Math.max(0, s);
        }
    const switches = new Int32Array(75);
    for (let c = 0; c < 3; c++)
      for (let py = 0; py < 5; py++)
        for (let px = 0; px < 5; px++) {
          let best = -Infinity;
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const p = (2 * py + dy) * 10 + 2 * px + dx;
              if (r1[c * 100 + p]! > best) {
                best = r1[c * 100 + p]!;
                switches[c * 25 + py * 5 + px] = p;
              }
            }
        }
    for (const act of topActivations(trace, 4, 2, 3)
      .filter((a) => a.image === n)
      .concat(topActivations(trace, 4, 0, 9).filter((a) => a.image === n))) {
      // down by hand: conv2ᵀ to (3, 5, 5), unpool to (3, 10, 10) at the switches, ReLU, conv1ᵀ
      const g = new Float64Array(75);
      for (let ci = 0; ci < 3; ci++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const py = act.y + ky - 1;
            const px = act.x + kx - 1;
            if (py >= 0 && py < 5 && px >= 0 && px < 5)
              g[ci * 25 + py * 5 + px] += act.value * at(w2, act.channel, ci, ky, kx);
          }
      const u = new Float64Array(300);
      for (let ci = 0; ci < 3; ci++)
        for (let p = 0; p < 25; p++) u[ci * 100 + switches[ci * 25 + p]!] = Math.max(0, g[ci * 25 + p]!);
      const pix = new Float64Array(100);
      for (let ci = 0; ci < 3; ci++)
        for (let y = 0; y < 10; y++)
          for (let xx = 0; xx < 10; xx++)
            for (let ky = 0; ky < 3; ky++)
              for (let kx = 0; kx < 3; kx++) {
                const py = y + ky - 1;
                const px = xx + kx - 1;
                if (py >= 0 && py < 10 && px >= 0 && px < 10)
                  pix[py * 10 + px] += u[ci * 100 + y * 10 + xx]! * at(w1, ci, 0, ky, kx);
              }
      const back = deconvnetProject(trace, 4, isolate(trace, 4, [act]), [n]);
      let any = 0;
      for (let p = 0; p < 100; p++) {
        assert.ok(
          Math.abs(back.data[p]! - pix[p]!) < 1e-5,
          `image ${n} act ${JSON.stringify(act)} pixel ${p}`,
        );
        any = Math.max(any, Math.abs(pix[p]!));
      }
      assert.ok(any > 0, 'the projection is not all zero');
      // and it stays inside the receptive field
      const rf = receptiveField(layers, 4, act.y, act.x);
      for (let p = 0; p < 100; p++) {
        const y = Math.floor(p / 10);
        const xx = p % 10;
        if (y < rf.top || y >= rf.bottom || xx < rf.left || xx >= rf.right) assert.equal(back.data[p], 0);
      }
    }
  }
});

test('receptive fields, top activations, selectImages and errors', () => {
  const layers = convFront(buildClassifier());
  assert.equal(layers.length, 6);
  assert.deepEqual(receptiveField(layers, 1, 4, 7), { top: 3, bottom: 6, left: 6, right: 9 });
  assert.deepEqual(receptiveField(layers, 4, 5, 5), { top: 7, bottom: 15, left: 7, right: 15 });
  assert.deepEqual(receptiveField(layers, 5, 0, 0), { top: -3, bottom: 7, left: -3, right: 7 });
  const x = randn([3, 1, 28, 28], { seed: 1 });
  const trace = deconvnetForward(layers, x);
  const top = topActivations(trace, 1, 0, 9);
  assert.ok(top.length <= 3);
  for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.value >= top[i]!.value);
  assert.deepEqual(selectImages(x, [2, 0]).data.subarray(0, 784), x.data.subarray(2 * 784, 3 * 784));
  const isErr = (argument: string) => (e: unknown) => e instanceof DeconvError && e.argument === argument;
  assert.throws(() => deconvnetProject(trace, 6, trace.outputs[5]!), isErr('from'));
  assert.throws(() => deconvnetProject(trace, 1, trace.outputs[4]!), isErr('activations'));
  assert.throws(() => topActivations(trace, 1, 8), isErr('channel'));
  assert.throws(() => convFront([new nn.Flatten()]), isErr('model'));
  assert.throws(() => deconvnetForward(layers, randn([1, 28, 28])), isErr('input'));
});

test('one training step lowers the loss on a small batch; training is seeded', () => {
  const data = loadMnist({ split: 'train', limit: 96 });
  const { x, y } = batchOf(
    data,
    Int32Array.from({ length: 32 }, (_, i) => i),
  );
  for (const name of ['classifier', 'ae-unpool', 'ae-convT', 'ae-nearest'] as const) {
    nn.manualSeed(1);
    const model = buildModel(name);
    const opt = new nn.Adam(model.parameters(), { lr: 1e-3 });
    const before = lossOf(name, model, x, y);
    before.backward();
    opt.step();
    const after = lossOf(name, model, x, y).item();
    assert.ok(after < before.item(), `${name}: ${before.item()} → ${after}`);
  }
  const settings = { epochs: 1, batchSize: 32, lr: 4e-3, seed: 3 };
  const a = trainModel('ae-convT', data, settings).model.stateDict();
  const b = trainModel('ae-convT', data, settings).model.stateDict();
  const c = trainModel('ae-convT', data, { ...settings, seed: 4 }).model.stateDict();
  for (const [k, t] of a) assert.deepEqual(b.get(k)!.data, t.data, k);
  assert.notDeepEqual(c.get('conv1.weight')!.data, a.get('conv1.weight')!.data);
  assert.ok(scheduledLr(1, 0, 100) < scheduledLr(1, 4, 100));
  assert.ok(Math.abs(scheduledLr(1, 50, 100) - 0.5) < 1e-12);
});

test('the shipped classifier reaches at least 98% on the MNIST test digits', () => {
  const model = buildClassifier();
  const bytes = readFileSync(join(models, 'classifier.safetensors'));
  model.loadStateDict(readSafetensors(bytes));
  model.eval();
  // every 4th test digit: 2500 spread over both halves of the test set (its first half is harder)
  const test = loadMnist({ split: 'test' });
  const idx = Array.from({ length: 2500 }, (_, i) => 4 * i);
  const sample = {
    images: selectImages(test.images, idx),
    labels: Int32Array.from(idx, (i) => test.labels[i]!),
  };
  const acc = accuracy(model, sample);
  assert.ok(acc >= 0.98, `accuracy ${acc} on every 4th test digit`);
  // the accuracy on all 10000 test digits, measured when it was trained
  const meta = readSafetensorsMetadata(bytes)!;
  assert.equal(meta.model, 'classifier');
  assert.equal(meta.testSize, '10000');
  assert.ok(Number(meta.testAccuracy) >= 0.98, `recorded ${meta.testAccuracy}`);
});

test('the shipped autoencoders load and reconstruct (PSNR as recorded)', () => {
  const sample = loadMnist({ split: 'test', limit: 500 });
  for (const decoder of ['unpool', 'convT', 'nearest'] as const) {
    const model = new AutoEncoder(decoder);
    const bytes = readFileSync(join(models, `ae-${decoder}.safetensors`));
    model.loadStateDict(readSafetensors(bytes));
    model.eval();
    const p = meanPsnr(model, sample);
    assert.ok(p > 18, `ae-${decoder}: ${p} dB`);
    assert.ok(Math.abs(p - Number(readSafetensorsMetadata(bytes)!.testPsnr)) < 1, `ae-${decoder}: ${p} dB`);
  }
});

test('visualize runs with the shipped weights and writes index.html and its PNGs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-viz-'));
  try {
    let out = '';
    const io: CliIo = { out: (t) => (out += t), err: () => undefined, cwd: dir, isTTY: false };
    visualizeCommand({ images: '60', channels: '2', out: 'report' }, io);
    const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    const pngs = [...html.matchAll(/src="([^"]+\.png)"/g)].map((m) => m[1]!);
    assert.deepEqual(pngs, [
      'deconvnet-layer1.png',
      'deconvnet-layer2.png',
      'reconstructions.png',
      'decoders.png',
    ]);
    for (const f of pngs) {
      const bytes = readFileSync(join(dir, 'report', f));
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], f);
    }
    assert.match(out, /right on 60 test digits/);
    assert.match(html, /ae-convT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('selectImages refuses an index outside the batch', () => {
  assert.throws(
    () => selectImages(randn([2, 1, 3, 3]), [2]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'images',
  );
});
