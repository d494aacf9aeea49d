/**
 * The pieces of segmentation: `concat` against torch.cat (scripts/gen_segment_fixture.py) and a
 * float64 finite-difference check; the digit canvases (deterministic, labels from the ink, train
 * and test canvases from MNIST's own splits); the builders (shapes, state_dict names, the
 * DeconvNet trace in Noh et al.'s order, a shared encoder); the scores against hand-computed
 * values; and every error path naming its argument.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BACKGROUND,
  DeconvError,
  Tensor,
  concat,
  gradcheck,
  makeDigitCanvases,
  randn,
  tensor,
  zeros,
} from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { loadMnist } from '../src/data/mnist.js';

/** `f` throws a DeconvError for `path` (the `argument` property is the part before any index or dot). */
function throwsArg(f: () => unknown, path: string, pattern?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DeconvError, String(e));
    assert.equal(e.argument, path.split(/[[.]/)[0], e.message);
    assert.ok(e.message.includes(`${path} =`), `${e.message} names ${path}`);
    if (pattern) assert.match(e.message, pattern, e.message);
    return true;
  });
}

interface FT {
  shape: number[];
  data: number[];
}
const concatFixture = JSON.parse(
  readFileSync(new URL('./fixtures/segment/concat.json', import.meta.url), 'utf8'),
) as { cases: { dim: number; inputs: FT[]; output: FT; gradOutput: FT; grads: FT[] }[] };

test('concat equals torch.cat, forward and backward', () => {
  for (const c of concatFixture.cases) {
    const xs = c.inputs.map((t) => tensor(t.data, t.shape, { requiresGrad: true }));
    const y = concat(xs, c.dim);
    assert.deepEqual(y.shape, c.output.shape, `dim ${c.dim}`);
    assert.deepEqual([...y.data], [...Float32Array.from(c.output.data)], `dim ${c.dim}: values`);
    y.backward(tensor(c.gradOutput.data, c.gradOutput.shape));
    xs.forEach((x, i) =>
      assert.deepEqual(
        [...x.grad!.data],
        [...Float32Array.from(c.grads[i]!.data)],
        `dim ${c.dim}: grad ${i}`,
      ),
    );
  }
});

test('concat: float64 finite differences, dtype, errors', () => {
  const a = randn([2, 3, 2], { seed: 1 });
  const b = randn([2, 1, 2], { seed: 2 });
  const a64 = new Tensor(Float64Array.from(a.data), a.shape, true);
  const b64 = new Tensor(Float64Array.from(b.data), b.shape, true);
  const r = gradcheck((p, q) => concat([p!, q!], 1), [a64, b64]);
  assert.ok(r.ok, r.message);
  assert.equal(concat([a64, b64], 1).dtype, 'float64');
  assert.equal(concat([tensor([1, 2], [2], { dtype: 'int32' })]).dtype, 'int32');
  throwsArg(() => concat([], 0), 'tensors');
  throwsArg(() => concat([a, 3 as never], 0), 'tensors[1]');
  throwsArg(() => concat([a, b], 0), 'tensors[1].shape', /except on dimension 0/);
  throwsArg(() => concat([a, b], 3), 'dim', /\[-3, 2\]/);
  throwsArg(() => concat([tensor(1)], 0), 'tensors[0].shape');
});

const digits = loadMnist({ split: 'test', limit: 300 });

test('digit canvases: deterministic, labels where the ink is, background elsewhere', () => {
  const a = makeDigitCanvases(digits, { count: 20, seed: 5 });
  const b = makeDigitCanvases(digits, { count: 20, seed: 5 });
  const c = makeDigitCanvases(digits, { count: 20, seed: 6 });
  assert.deepEqual(a.images.shape, [20, 1, 32, 64]);
  assert.deepEqual(a.labels.shape, [20, 32, 64]);
  assert.equal(a.labels.dtype, 'int32');
  assert.deepEqual(a.images.data, b.images.data, 'same seed, same canvases');
  assert.deepEqual(a.labels.data, b.labels.data);
  assert.notDeepEqual(a.images.data, c.images.data, 'another seed, other canvases');
  // the first canvases do not depend on how many are made
  const few = makeDigitCanvases(digits, { count: 3, seed: 5 });
  assert.deepEqual(few.images.data, a.images.data.subarray(0, 3 * 32 * 64));
  const plane = 32 * 64;
  for (let n = 0; n < 20; n++) {
    const placed = a.digits[n]!;
    assert.ok(placed.length >= 1 && placed.length <= 3, `canvas ${n}: ${placed.length} digits`);
    const present = new Set(placed.map((d) => d.label));
    for (let p = 0; p < plane; p++) {
      const v = a.images.data[n * plane + p]!;
      const l = a.labels.data[n * plane + p]!;
      assert.ok(l === BACKGROUND || present.has(l), `canvas ${n}: label ${l} is one of its digits`);
      assert.equal(v >= 0.5, l !== BACKGROUND, `canvas ${n} pixel ${p}: ink ${v}, label ${l}`);
    }
    // each pasted digit is there: the canvas is at least its ink at its place
    for (const d of placed) {
      assert.equal(d.label, digits.labels[d.index]);
      for (let r = 0; r < 28; r += 3)
        for (let q = 0; q < 28; q += 3)
          assert.ok(
            a.images.data[n * plane + (d.y + r) * 64 + d.x + q]! >=
              digits.images.data[d.index * 784 + r * 28 + q]!,
            'the canvas keeps each digit’s ink',
          );
    }
  }
});

test('digit canvases: options and errors', () => {
  const one = makeDigitCanvases(digits, {
    count: 4,
    height: 28,
    width: 28,
    minDigits: 1,
    maxDigits: 1,
    seed: 2,
  });
  assert.deepEqual(one.images.shape, [4, 1, 28, 28]);
  // a single 28×28 digit on a 28×28 canvas is the digit itself
  for (let n = 0; n < 4; n++) {
    const d = one.digits[n]![0]!;
    assert.deepEqual(
      [...one.images.data.subarray(n * 784, (n + 1) * 784)],
      [...digits.images.data.subarray(d.index * 784, (d.index + 1) * 784)],
    );
  }
  throwsArg(() => makeDigitCanvases(digits, {} as never), 'count');
  throwsArg(() => makeDigitCanvases(digits, { count: 0 }), 'count');
  throwsArg(() => makeDigitCanvases(digits, { count: 1, height: 20 }), 'height');
  throwsArg(() => makeDigitCanvases(digits, { count: 1, minDigits: 3, maxDigits: 2 }), 'maxDigits');
  throwsArg(() => makeDigitCanvases(digits, { count: 1, threshold: 0 }), 'threshold');
  throwsArg(() => makeDigitCanvases(digits, { count: 1, colour: 1 } as never), 'colour');
  throwsArg(
    () => makeDigitCanvases({ images: zeros([2, 1, 8, 8]), labels: [1, 2] }, { count: 1 }),
    'source.images.shape',
  );
  throwsArg(
    () => makeDigitCanvases({ images: zeros([2, 1, 28, 28]), labels: [1] }, { count: 1 }),
    'source.labels',
  );
  throwsArg(
    () => makeDigitCanvases({ images: zeros([1, 1, 28, 28]), labels: [12] }, { count: 1 }),
    'source.labels[0]',
  );
});

test('builders: logits of the input size for every decoder; PyTorch state_dict names', () => {
  nn.manualSeed(0);
  const x = randn([2, 1, 16, 32], { seed: 3 });
  for (const d of nn.SEGMENTATION_DECODERS) {
    const m = nn.segmentationModel(d, { numClasses: 7, channels: [4, 8, 8] });
    assert.equal(m.kind, d);
    assert.deepEqual(m.forward(x).shape, [2, 7, 16, 32], d);
    const keys = [...m.stateDict().keys()];
    assert.ok(keys.includes('encoder.stage1.0.weight') && keys.includes('encoder.stage3.1.running_var'), d);
  }
  const keys = (d: nn.SegmentationDecoder): string[] => [
    ...nn
      .segmentationModel(d, { channels: [4, 8, 8] })
      .stateDict()
      .keys(),
  ];
  assert.ok(keys('unet').includes('up3.weight') && keys('unet').includes('decoder.stage1.0.weight'));
  assert.deepEqual(
    nn
      .segmentationModel('unet', { channels: [4, 8, 8] })
      .stateDict()
      .get('decoder.stage1.0.weight')!.shape,
    [4, 8, 3, 3],
    'U-Net: the block after the skip takes twice the channels',
  );
  assert.ok(keys('deconvnet').includes('center.0.weight'));
  // the resize decoders have SegNet's parameters exactly: only the upsampling differs
  assert.deepEqual(keys('resize-nearest'), keys('segnet'));
  assert.deepEqual(keys('resize-bilinear'), keys('segnet'));
  // one encoder for all: the same encoder keys and shapes
  const enc = (d: nn.SegmentationDecoder): string[] =>
    [...nn.segmentationModel(d, { channels: [4, 8, 8] }).stateDict()]
      .filter(([k]) => k.startsWith('encoder.'))
      .map(([k, t]) => `${k}:${t.shape.join('x')}`);
  for (const d of nn.SEGMENTATION_DECODERS) assert.deepEqual(enc(d), enc('segnet'), d);
});

test('DeconvNet trace: unpooling and deconvolution outputs alternate, coarse to fine; unpooled maps are sparse', () => {
  nn.manualSeed(1);
  const net = new nn.DeconvNet({ channels: [4, 8, 8] });
  net.eval();
  const x = randn([1, 1, 16, 32], { seed: 4 });
  const { logits, activations } = net.forwardTrace(x);
  assert.deepEqual(logits.data, net.forward(x).data, 'the trace does not change the result');
  assert.deepEqual(
    activations.map((a) => `${a.layer}:${a.output.shape.slice(2).join('x')}`),
    [
      'deconv-center:2x4',
      'unpool3:4x8',
      'deconv3:4x8',
      'unpool2:8x16',
      'deconv2:8x16',
      'unpool1:16x32',
      'deconv1:16x32',
    ],
  );
  for (const a of activations.filter((a) => a.kind === 'unpool')) {
    // at most one non-zero in every 2×2 block
    const [, C, h, w] = a.output.shape as number[];
    for (let c = 0; c < C!; c++)
      for (let y = 0; y < h!; y += 2)
        for (let q = 0; q < w!; q += 2) {
          let nz = 0;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ])
            if (a.output.data[c * h! * w! + (y + dy!) * w! + q + dx!] !== 0) nz++;
          assert.ok(nz <= 1, `${a.layer}: ${nz} non-zeros in a 2×2 block`);
        }
  }
});

test('builders: errors name the argument', () => {
  throwsArg(() => nn.segmentationModel('segnet', { channels: [] }), 'channels');
  throwsArg(() => nn.segmentationModel('segnet', { channels: [4, 0] }), 'channels[1]');
  throwsArg(() => nn.segmentationModel('fcn8s', { channels: [4, 8] }), 'channels', /at least 3/);
  throwsArg(() => nn.segmentationModel('unet', { numClasses: 0 }), 'numClasses');
  throwsArg(() => nn.segmentationModel('unet', { colour: 1 } as never), 'colour');
  throwsArg(() => nn.segmentationModel('vnet' as never), 'decoder');
  throwsArg(() => new nn.SegNet({ upsample: 'cubic' as never }), 'upsample');
  throwsArg(
    () => nn.segmentationModel('segnet').forward(zeros([1, 1, 30, 64])),
    'input.shape',
    /divisible by 8/,
  );
});

test('scores: confusion matrix, IoU, mIoU and pixel accuracy by hand', () => {
  // 2 classes present among 3: truth [0 0 1 1 | 2 2], predicted [0 1 1 1 | 2 0]
  const truth = tensor([0, 0, 1, 1, 2, 2], [1, 2, 3], { dtype: 'int32' });
  const pred = tensor([0, 1, 1, 1, 2, 0], [1, 2, 3], { dtype: 'int32' });
  const m = nn.confusionMatrix(pred, truth, 4);
  assert.deepEqual([...m], [1, 1, 0, 0, 0, 2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  const s = nn.segmentationScores(m, 4);
  // class 0: TP 1, FP 1, FN 1 → 1/3; class 1: TP 2, FP 1 → 2/3; class 2: TP 1, FN 1 → 1/2; class 3 absent
  assert.ok(Math.abs(s.iou[0]! - 1 / 3) < 1e-12 && Math.abs(s.iou[1]! - 2 / 3) < 1e-12 && s.iou[2] === 0.5);
  assert.ok(Number.isNaN(s.iou[3]!));
  assert.ok(Math.abs(s.meanIou - (1 / 3 + 2 / 3 + 1 / 2) / 3) < 1e-12);
  assert.equal(s.pixelAccuracy, 4 / 6);
  const logits = tensor([0, 5, 1, 3, 1, 2, 9, 0], [1, 2, 2, 2]);
  assert.deepEqual([...nn.predictLabels(logits).data], [1, 0, 1, 0]); // class 0: 0 5 1 3, class 1: 1 2 9 0
  throwsArg(
    () => nn.confusionMatrix(pred, tensor([0, 9, 1, 1, 2, 2], [1, 2, 3], { dtype: 'int32' }), 4),
    'labels[1]',
  );
  throwsArg(() => nn.confusionMatrix(pred, tensor([0, 0], [2], { dtype: 'int32' }), 4), 'labels.shape');
});

test('Nyquist share: 1 for a checkerboard, 0 for a constant, small for a smooth ramp', () => {
  const H = 8;
  const W = 16;
  const board = Float32Array.from({ length: H * W }, (_, i) => ((Math.floor(i / W) + (i % W)) % 2 ? 1 : -1));
  assert.ok(Math.abs(nn.nyquistEnergyShare(tensor(board, [1, H, W])) - 1) < 1e-9);
  const stripes = Float32Array.from({ length: H * W }, (_, i) => (i % 2 ? 2 : 0));
  assert.ok(Math.abs(nn.nyquistEnergyShare(tensor(stripes, [1, 1, H, W])) - 1) < 1e-9);
  assert.equal(nn.nyquistEnergyShare(zeros([2, H, W]).add(3)), 0);
  // a stripe pattern of period 4 has no energy at period 2
  const slow = Float32Array.from({ length: H * W }, (_, i) => Math.cos((2 * Math.PI * (i % W)) / 4));
  assert.ok(nn.nyquistEnergyShare(tensor(slow, [1, H, W])) < 1e-9);
  // half the energy at the Nyquist frequency, half at period 4
  const mixed = Float32Array.from({ length: H * W }, (_, i) => slow[i]! + (i % 2 ? 1 : -1));
  assert.ok(Math.abs(nn.nyquistEnergyShare(tensor(mixed, [1, H, W])) - 2 / 3) < 1e-6);
  throwsArg(() => nn.nyquistEnergyShare(zeros([1, 7, 8])), 'logits.shape');
});
