/**
 * Convolution and transposed convolution: properties that tie the two together, float64 gradient
 * checks, and every error path. Values against PyTorch are in fixtures.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Tensor,
  tensor,
  randn,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  convOutputSize,
  convTransposeOutputSize,
  gradcheck,
  setKernelPath,
  DeconvError,
  type KernelPath,
} from '../src/index.js';
import { asDirectConv } from '../src/geometry/conv.js';
import { convTransposeGeometry } from './geometry-of.js';
import { throwsArg } from './throws.js';

const convs = [conv1d, conv2d, conv3d];
const convTs = [convTranspose1d, convTranspose2d, convTranspose3d];

function f64(shape: number[], seed: number, requiresGrad = false): Tensor {
  const r = randn(shape, { seed });
  return tensor(Float64Array.from(r.data), shape, { dtype: 'float64', requiresGrad });
}

function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/** Inserts s − 1 zeros between elements, then pads (or crops, when negative) each spatial dim. */
function zeroInsertPad(x: Tensor, s: number[], pb: number[], pe: number[]): Tensor {
  const d = s.length;
  const lead = x.shape.slice(0, x.shape.length - d);
  const inSp = x.shape.slice(x.shape.length - d);
  const outSp = inSp.map((n, i) => (n - 1) * s[i]! + 1 + pb[i]! + pe[i]!);
  const planeIn = inSp.reduce((a, b) => a * b, 1);
  const planeOut = outSp.reduce((a, b) => a * b, 1);
  const nLead = lead.reduce((a, b) => a * b, 1);
  const out = new Float64Array(nLead * planeOut);
  for (let l = 0; l < nLead; l++)
    for (let p = 0; p < planeIn; p++) {
      let rem = p;
      let o = 0;
      let inside = true;
      const idx: number[] = new Array(d);
      for (let k = d - 1; k >= 0; k--) {
        idx[k] = rem % inSp[k]!;
        rem = Math.floor(rem / inSp[k]!);
      }
      for (let k = 0; k < d; k++) {
        const pos = idx[k]! * s[k]! + pb[k]!;
        if (pos < 0 || pos >= outSp[k]!) inside = false;
        o = o * outSp[k]! + pos;
      }
      if (inside) out[l * planeOut + o] = x.data[l * planeIn + p]!;
    }
  return tensor(out, [...lead, ...outSp], { dtype: 'float64' });
}

/** convTranspose weight (Cin, Cout/g, *k) → the direct conv's (Cout, Cin/g, *k), flipped. */
function flipSwap(w: Tensor, groups: number): Tensor {
  const [cin, coutg, ...k] = w.shape as number[];
  const cing = cin! / groups;
  const kv = k.reduce((a, b) => a * b, 1);
  const out = new Float64Array(w.size);
  for (let g = 0; g < groups; g++)
    for (let o = 0; o < coutg!; o++)
      for (let i = 0; i < cing; i++)
        for (let t = 0; t < kv; t++)
          out[((g * coutg! + o) * cing + i) * kv + (kv - 1 - t)] =
            w.data[((g * cing + i) * coutg! + o) * kv + t]!;
  return tensor(out, [coutg! * groups, cing, ...k], { dtype: 'float64' });
}

const configArb = fc
  .record({
    d: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cinG: fc.integer({ min: 1, max: 2 }),
    coutG: fc.integer({ min: 1, max: 2 }),
    batched: fc.boolean(),
    batch: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    dims: fc.array(
      fc.record({
        size: fc.integer({ min: 1, max: 5 }),
        k: fc.integer({ min: 1, max: 4 }),
        s: fc.integer({ min: 1, max: 3 }),
        dil: fc.integer({ min: 1, max: 3 }),
        pb: fc.integer({ min: 0, max: 3 }),
        pe: fc.integer({ min: 0, max: 3 }),
        a: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 3, maxLength: 3 },
    ),
  })
  .map((c) => {
    const dims = c.dims.slice(0, c.d).map((x) => ({ ...x, a: x.a % Math.max(x.s, x.dil) }));
    return { ...c, dims };
  });

for (const path of ['reference', 'fast'] as KernelPath[]) {
  test(`[${path}] conv's input gradient is convTranspose with the same weight and options`, () => {
    setKernelPath(path);
    fc.assert(
      fc.property(configArb, (c) => {
        const d = c.d;
        const cin = c.cinG * c.groups;
        const cout = c.coutG * c.groups;
        const stride = c.dims.map((x) => x.s);
        const dilation = c.dims.map((x) => x.dil);
        const padding = c.dims.map((x) => [x.pb, x.pe] as [number, number]);
        const kernel = c.dims.map((x) => x.k);
        // conv input sizes that the stride does not always divide evenly
        const eff = c.dims.map((x) => x.dil * (x.k - 1) + 1);
        const xs = c.dims.map((x, i) => Math.max(eff[i]! - x.pb - x.pe, 1) + x.size - 1);
        const lead = c.batched ? [c.batch, cin] : [cin];
        const x = f64([...lead, ...xs], c.seed, true);
        const w = f64([cout, c.cinG, ...kernel], c.seed + 1, false);
        const y = convs[d - 1]!(x, w, { stride, dilation, padding, groups: c.groups });
        const gy = f64([...y.shape], c.seed + 2);
        y.backward(gy);
        // the transposed conv must land on x's size: outputSize picks the output padding
        const t = convTs[d - 1]!(gy, w, { stride, dilation, padding, groups: c.groups, outputSize: xs });
        assert.ok(maxDiff(t, x.grad!) < 1e-9);
      }),
      { numRuns: 60 },
    );
  });

  test(`[${path}] convTranspose equals a stride-1 conv of the zero-inserted, padded input with the flipped kernel`, () => {
    setKernelPath(path);
    fc.assert(
      fc.property(configArb, (c) => {
        const d = c.d;
        const cin = c.cinG * c.groups;
        const cout = c.coutG * c.groups;
        const stride = c.dims.map((x) => x.s);
        const dilation = c.dims.map((x) => x.dil);
        const padding = c.dims.map((x) => [x.pb, x.pe] as [number, number]);
        const outputPadding = c.dims.map((x) => x.a);
        const kernel = c.dims.map((x) => x.k);
        const lead = c.batched ? [c.batch, cin] : [cin];
        const x = f64([...lead, ...c.dims.map((q) => q.size)], c.seed);
        const w = f64([cin, c.coutG, ...kernel], c.seed + 1);
        const bias = f64([cout], c.seed + 2);
        const opts = { stride, dilation, padding, outputPadding, groups: c.groups, bias };
        let geometry;
        try {
          geometry = convTransposeGeometry('t', x, w, opts, d).geometry;
        } catch (e) {
          if (e instanceof DeconvError) return; // padding too large for this size: not this property's case
          throw e;
        }
        const y = convTs[d - 1]!(x, w, opts);
        const direct = asDirectConv(geometry);
        const xz = zeroInsertPad(x, direct.inputDilation, direct.padBegin, direct.padEnd);
        const ref = convs[d - 1]!(xz, flipSwap(w, c.groups), { dilation, groups: c.groups, bias });
        assert.ok(maxDiff(y, ref) < 1e-9);
      }),
      { numRuns: 60 },
    );
  });

  test(`[${path}] float64 finite-difference gradients of conv and convTranspose`, () => {
    setKernelPath(path);
    const cases: [number, object][] = [
      [1, { stride: 2, padding: 1 }],
      [
        2,
        {
          stride: [2, 1],
          padding: [
            [1, 0],
            [0, 2],
          ],
          dilation: [1, 2],
          groups: 2,
        },
      ],
      [3, { stride: 2, dilation: 1, groups: 1 }],
    ];
    for (const [d, opts] of cases) {
      const sp = new Array(d).fill(5);
      const k = new Array(d).fill(3);
      const x = f64([2, 4, ...sp], 10 + d, true);
      const b = f64([4], 30 + d, true);
      const groups = (opts as { groups?: number }).groups ?? 1;
      const wc = f64([4, 4 / groups, ...k], 40 + d, true);
      const r1 = gradcheck((xx, ww, bb) => convs[d - 1]!(xx!, ww!, { ...opts, bias: bb }), [x, wc, b], {
        maxElements: 30,
      });
      assert.ok(r1.ok, `conv${d}d ${r1.message}`);
      const wt = f64([4, 4 / groups, ...k], 50 + d, true);
      const r2 = gradcheck(
        (xx, ww, bb) => convTs[d - 1]!(xx!, ww!, { ...opts, outputPadding: 1, bias: bb } as object),
        [x, wt, b],
        { maxElements: 30 },
      );
      assert.ok(r2.ok, `convTranspose${d}d ${r2.message}`);
    }
  });
}
setKernelPath('fast');

test('unbatched input gives unbatched output equal to the batched slice', () => {
  const x = f64([3, 6, 5], 1);
  const w = f64([3, 2, 3, 3], 2);
  const y = convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 });
  assert.deepEqual(y.shape, [2, 12, 10]);
  const yb = convTranspose2d(x.reshape([1, 3, 6, 5]), w, { stride: 2, padding: 1, outputPadding: 1 });
  assert.equal(maxDiff(y, yb.reshape([2, 12, 10])), 0);
  const c = conv2d(x, f64([4, 3, 2, 2], 3), { padding: 'same' });
  assert.deepEqual(c.shape, [4, 6, 5]);
});

test('output size arithmetic', () => {
  assert.deepEqual(convTransposeOutputSize({ inputSize: 16, kernelSize: 4, stride: 2, padding: 1 }), [32]);
  assert.deepEqual(
    convTransposeOutputSize({ inputSize: [7, 7], kernelSize: 64, stride: 32, padding: 16 }),
    [224, 224],
  );
  assert.deepEqual(
    convTransposeOutputSize({
      inputSize: [3, 3],
      kernelSize: [3, 2],
      stride: 2,
      outputPadding: [1, 0],
      dilation: [2, 1],
    }),
    [10, 6],
  );
  assert.deepEqual(convOutputSize({ inputSize: [32, 31], kernelSize: 3, stride: 2, padding: 1 }), [16, 16]);
  assert.deepEqual(convOutputSize({ inputSize: 10, kernelSize: 3, dilation: 2, padding: 'same' }), [10]);
  // ceil mode: (5 − 2)/2 → ceil 2 + 1 = 3; the last window starts at 4 < 5: kept
  assert.deepEqual(convOutputSize({ inputSize: 5, kernelSize: 2, stride: 2, ceilMode: true }), [3]);
  // ceil mode with padding 1: (6 + 2 − 2)/2 = 3 → ceil 3 + 1 = 4, last start 6 >= 6 + 1? no: kept
  assert.deepEqual(
    convOutputSize({ inputSize: 6, kernelSize: 2, stride: 2, padding: 1, ceilMode: true }),
    [4],
  );
});

test('conv errors name the argument, the value and the rule', () => {
  const x = randn([1, 4, 6, 6]);
  const w = randn([8, 4, 3, 3]);
  throwsArg(() => conv2d(randn([4, 6]), w), 'input', 'input.shape = [4, 6] must have 4 dimensions');
  throwsArg(() => conv2d([1, 2] as never, w), 'input', 'must be a Tensor');
  throwsArg(() => conv2d(tensor([1], [1, 1, 1, 1], { dtype: 'int32' }), w), 'input', "input.dtype = 'int32'");
  throwsArg(() => conv2d(x, randn([8, 4, 3])), 'weight', 'weight.shape = [8, 4, 3] must have 4 dimensions');
  throwsArg(
    () => conv2d(x, randn([8, 3, 3, 3])),
    'weight',
    'weight.shape[1] = 3 must equal input channels / groups = 4 / 1',
  );
  throwsArg(
    () => conv2d(x, randn([8, 4, 3, 3]), { groups: 3 }),
    'groups',
    'groups = 3 must divide the input channels',
  );
  throwsArg(
    () => conv2d(x, randn([6, 1, 3, 3]), { groups: 4 }),
    'groups',
    'groups = 4 must divide the output channels weight.shape[0] = 6',
  );
  throwsArg(() => conv2d(x, w, { groups: 0 }), 'groups', 'groups = 0 must be a positive integer');
  throwsArg(() => conv2d(x, w, { stride: [1, 0] }), 'stride', 'stride[1] = 0 must be a positive integer');
  throwsArg(() => conv2d(x, w, { stride: [1, 1, 1] }), 'stride', 'must have 2 entries');
  throwsArg(() => conv2d(x, w, { dilation: 1.5 }), 'dilation', 'dilation = 1.5 must be a positive integer');
  throwsArg(() => conv2d(x, w, { padding: -1 }), 'padding', 'padding = -1 must be a non-negative integer');
  throwsArg(
    () => conv2d(x, w, { padding: [[1, 2], [1]] as never }),
    'padding',
    'padding[1] = [1] must be a [begin, end] pair',
  );
  throwsArg(() => conv2d(x, w, { padding: 'full' as never }), 'padding', "padding = 'full' must be");
  throwsArg(() => conv2d(x, w, { padding: 'same', stride: 2 }), 'padding', 'stride[0] = 2');
  throwsArg(() => conv2d(x, w, { bias: randn([4]) }), 'bias', 'bias.shape = [4] must be [8]');
  throwsArg(() => conv2d(x, randn([8, 4, 7, 3])), 'input', 'input.shape[2] = 6 is too small');
  throwsArg(() => conv2d(x, w, { strides: 2 } as never), 'strides', 'is not an option of conv2d');
  throwsArg(
    () => conv1d(randn([1, 2, 5]), randn([2, 2, 2]), { dilation: [0] }),
    'dilation',
    'dilation[0] = 0',
  );
  throwsArg(
    () => conv3d(randn([2, 3, 3, 3]), randn([1, 1, 2, 2, 2])),
    'weight',
    'weight.shape[1] = 1 must equal input channels / groups = 2',
  );
});

test('convTranspose errors name the argument, the value and the rule', () => {
  const x = randn([1, 4, 5, 5]);
  const w = randn([4, 2, 3, 3]);
  throwsArg(
    () => convTranspose2d(x, w, { stride: 2, outputPadding: [1, 2] }),
    'outputPadding',
    'convTranspose2d: outputPadding[1] = 2 must be smaller than stride[1] = 2 or dilation[1] = 1',
  );
  throwsArg(
    () => convTranspose2d(x, randn([3, 2, 3, 3])),
    'weight',
    'weight.shape[0] = 3 must equal the input channels input.shape[1] = 4',
  );
  throwsArg(
    () => convTranspose2d(x, w, { groups: 3 }),
    'groups',
    'groups = 3 must divide the input channels',
  );
  throwsArg(() => convTranspose2d(x, w, { padding: 'same' as never }), 'padding', "padding = 'same'");
  throwsArg(() => convTranspose2d(x, w, { padding: 4 }), 'padding', 'is too large');
  throwsArg(
    () => convTranspose2d(x, w, { outputPadding: -1 }),
    'outputPadding',
    'outputPadding = -1 must be a non-negative integer',
  );
  throwsArg(
    () => convTranspose2d(x, w, { stride: 2, outputSize: [12, 9] }),
    'outputSize',
    'outputSize[1] = 9 must be between 11 and 12',
  );
  throwsArg(() => convTranspose2d(x, w, { outputSize: [8] }), 'outputSize', 'must have 2 entries');
  throwsArg(() => convTranspose2d(x, w, { outputSize: [7, 8] }), 'outputSize', 'outputSize[1] = 8 must be 7');
  throwsArg(() => convTranspose2d(x, w, { bias: randn([4]) }), 'bias', 'bias.shape = [4] must be [2]');
  throwsArg(
    () => convTranspose1d(randn([4, 5]), randn([4, 2, 3]), { stride: [0] }),
    'stride',
    'stride[0] = 0',
  );
  throwsArg(() => convTranspose3d(randn([4, 5]), randn([4, 2, 3]), {}), 'input', 'must have 5 dimensions');
  throwsArg(
    () => convTransposeOutputSize({ inputSize: 4, kernelSize: 3, stride: 1, outputPadding: 1 }),
    'outputPadding',
    'outputPadding[0] = 1 must be smaller than stride[0] = 1 or dilation[0] = 1',
  );
  throwsArg(
    () => convTransposeOutputSize({ inputSize: [4, 4], kernelSize: [3, 3, 3] }),
    'kernelSize',
    'must have 2 entries',
  );
  throwsArg(
    () => convOutputSize({ inputSize: 2, kernelSize: 5 }),
    'inputSize',
    'inputSize[0] = 2 is too small',
  );
  // the accepted outputSize range: 11 and 12 for stride 2 from 5 with k3 p0
  assert.deepEqual(convTranspose2d(x, w, { stride: 2, outputSize: [11, 12] }).shape, [1, 2, 11, 12]);
  assert.deepEqual(convTranspose2d(x, w, { stride: 2, outputSize: [1, 2, 12, 11] }).shape, [1, 2, 12, 11]);
});

test('an output too large to allocate is an error, not a crash', () => {
  throwsArg(
    () => convTranspose2d(randn([1, 1, 4, 4]), randn([1, 1, 1, 1]), { stride: 60000 }),
    'input',
    'more than the',
  );
});

test('conv and convTranspose take the number of spatial dimensions from the weight', async () => {
  const { conv, convTranspose } = await import('../src/index.js');
  const x = randn([1, 2, 6, 5], { seed: 1 });
  const w = randn([3, 2, 3, 3], { seed: 2 });
  assert.equal(maxDiff(conv(x, w, { padding: 1 }), conv2d(x, w, { padding: 1 })), 0);
  const w1 = randn([2, 3, 4], { seed: 3 });
  const x1 = randn([2, 2, 5], { seed: 4 });
  assert.equal(maxDiff(convTranspose(x1, w1, { stride: 2 }), convTranspose1d(x1, w1, { stride: 2 })), 0);
  throwsArg(
    () => conv(x, randn([3, 2]) as never),
    'weight',
    'weight.shape = [3, 2] must have 3 to 5 dimensions',
  );
  throwsArg(
    () => convTranspose(x, randn([2, 3, 3, 3]), { outputPadding: 2 }),
    'outputPadding',
    'convTranspose2d: outputPadding[0] = 2',
  );
});
