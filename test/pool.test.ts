import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tensor, randn, gradcheck, Tensor } from '../src/index.js';
import {
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
} from '../src/ops/pool.js';
import { checkedConvOutputLength, convOutputLength } from '../src/geometry/arithmetic.js';
import { throwsArg } from './throws.js';

const maxPools: (typeof maxPool1d)[] = [maxPool1d, maxPool2d, maxPool3d];
const maxUnpools: (typeof maxUnpool1d)[] = [maxUnpool1d, maxUnpool2d, maxUnpool3d];

const f64 = (values: ArrayLike<number>, shape: number[]) =>
  tensor(Float64Array.from(values), shape, { dtype: 'float64', requiresGrad: true });

/** `n` distinct values, 0.1 apart, in a shuffled order (no ties for max pooling's gradient). */
function distinct(n: number, seed: number): number[] {
  const order = Array.from(randn([n], { seed }).data, (v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(n);
  order.forEach(([, i], rank) => (out[i] = 0.1 * (rank - n / 2)));
  return out;
}

// Values below were checked against PyTorch 1.13 by hand.

test('maxPool: values, indices, ceil mode, padding as -inf', () => {
  const x = tensor([[[1, 3, 2, 5, 4, 0]]]);
  assert.deepEqual(maxPool1d(x, { kernelSize: 2 }).toArray(), [[[3, 5, 4]]]);
  const r = maxPool1d(x, { kernelSize: 2, returnIndices: true });
  assert.deepEqual(r.indices.toArray(), [[[1, 3, 4]]]);
  assert.equal(r.indices.dtype, 'int32');
  // ceil mode: 3 windows of 4 over 6 elements with padding 1 → starts -1, 2, 5
  const c = maxPool1d(tensor([[[-1, -2, -3, -4, -5, -6]]]), {
    kernelSize: 4,
    stride: 3,
    padding: 1,
    ceilMode: true,
    returnIndices: true,
  });
  assert.deepEqual(c.output.toArray(), [[[-1, -3, -6]]]);
  assert.deepEqual(c.indices.toArray(), [[[0, 2, 5]]]);
  // 2-d indices are h·W + w within each plane
  const x2 = tensor([1, 9, 2, 3, 4, 8, 7, 6, 5, 0, 11, 10, 12, 13, 15, 14], [1, 1, 4, 4]);
  const r2 = maxPool2d(x2, { kernelSize: 2, returnIndices: true });
  assert.deepEqual(r2.output.toArray(), [
    [
      [
        [9, 7],
        [13, 15],
      ],
    ],
  ]);
  assert.deepEqual(r2.indices.toArray(), [
    [
      [
        [1, 6],
        [13, 14],
      ],
    ],
  ]);
});

test('maxPool: ties take the first maximum, NaN wins (the last NaN), an all -inf window its first tap', () => {
  const ties = maxPool1d(tensor([[[2, 5, 5, 1, 5]]]), { kernelSize: 5, returnIndices: true });
  assert.deepEqual(ties.indices.toArray(), [[[1]]]);
  const nan = maxPool2d(tensor([1, NaN, 2, NaN, 5, NaN, 0, 1, 2], [1, 1, 3, 3]), {
    kernelSize: 3,
    returnIndices: true,
  });
  assert.ok(Number.isNaN(nan.output.data[0]));
  assert.deepEqual(nan.indices.toArray(), [[[[5]]]]);
  const inf = maxPool1d(tensor([[new Array<number>(6).fill(-Infinity)]]), {
    kernelSize: 3,
    padding: 1,
    dilation: 2,
    returnIndices: true,
  });
  assert.deepEqual(inf.output.toArray(), [[[-Infinity, -Infinity]]]);
  assert.deepEqual(inf.indices.toArray(), [[[1, 2]]]);
});

test('pooling keeps an unbatched input unbatched and allows an empty batch', () => {
  const x = randn([3, 7, 6], { seed: 1 });
  const batched = maxPool2d(x.reshape([1, 3, 7, 6]), {
    kernelSize: 3,
    stride: 2,
    padding: 1,
    ceilMode: true,
  });
  const unbatched = maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
  assert.deepEqual(unbatched.shape, [3, 4, 4]);
  assert.deepEqual(Array.from(unbatched.data), Array.from(batched.data));
  assert.deepEqual(avgPool3d(randn([2, 4, 4, 4], { seed: 2 }), { kernelSize: 2 }).shape, [2, 2, 2, 2]);
  assert.deepEqual(avgPool1d(randn([0, 2, 5], { seed: 2 }), { kernelSize: 2 }).shape, [0, 2, 2]);
  const { output, indices } = maxPool1d(randn([2, 5], { seed: 3 }), { kernelSize: 2, returnIndices: true });
  assert.deepEqual(maxUnpool1d(output, indices, { kernelSize: 2, outputSize: [5] }).shape, [2, 5]);
});

test('avgPool: divisor with and without padding, ceil-mode windows clipped to the end padding', () => {
  const x = tensor([[[1, 2, 3, 4, 5]]]);
  assert.deepEqual(avgPool1d(x, { kernelSize: 2 }).toArray(), [[[1.5, 3.5]]]);
  assert.deepEqual(avgPool1d(x, { kernelSize: 3, padding: 1, countIncludePad: false }).toArray(), [
    [[1.5, 4]],
  ]);
  assert.deepEqual(avgPool1d(x, { kernelSize: 3, padding: 1, ceilMode: true }).toArray(), [[[1, 4]]]);
  assert.deepEqual(avgPool1d(x, { kernelSize: 2, padding: 1, ceilMode: true }).toArray(), [
    [[0.5, 2.5, 4.5]],
  ]);
  assert.deepEqual(
    avgPool1d(x, { kernelSize: 2, padding: 1, ceilMode: true, countIncludePad: false }).toArray(),
    [[[1, 2.5, 4.5]]],
  );
  // the last window [5, 8) hangs over the end padding [6, 7): it counts 2, not 3
  assert.deepEqual(
    avgPool1d(tensor([[[1, 2, 3, 4, 5, 6]]]), {
      kernelSize: 3,
      stride: 2,
      padding: 1,
      ceilMode: true,
    }).toArray(),
    [[[1, 3, 5, 3]]],
  );
  const y = avgPool2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), { kernelSize: 2, stride: 1, padding: 1 });
  assert.deepEqual(y.toArray(), [
    [
      [
        [0.25, 0.75, 0.5],
        [1, 2.5, 1.5],
        [0.75, 1.75, 1],
      ],
    ],
  ]);
});

test('avgPool3d: a constant input averages to itself without padding counted, less with it', () => {
  const ones = tensor(new Float32Array(2 * 3 * 4 * 5).fill(1), [2, 3, 4, 5]);
  const opts = { kernelSize: [2, 3, 2], stride: [2, 2, 3], padding: [1, 1, 1], ceilMode: true };
  const y = avgPool3d(ones, { ...opts, countIncludePad: false });
  assert.deepEqual(y.shape, [2, 2, 3, 2]); // unbatched: C = 2, (D, H, W) = (3, 4, 5)
  assert.ok(Array.from(y.data).every((v) => v === 1));
  // with the padding counted: first window in depth covers 1 of 2 planes, in height 2 of 3 rows,
  // in width 1 of 2 columns
  const z = avgPool3d(ones, { ...opts, countIncludePad: true });
  assert.equal(z.data[0], Math.fround((1 * 2 * 1) / (2 * 3 * 2)));
});

test('maxUnpool: zeros except at the indices, outputSize with N and C, duplicates as PyTorch', () => {
  const x = tensor([[[1, 3, 2, 5, 4, 0]]]);
  const { output, indices } = maxPool1d(x, { kernelSize: 2, returnIndices: true });
  assert.deepEqual(maxUnpool1d(output, indices, { kernelSize: 2 }).toArray(), [[[0, 3, 0, 5, 4, 0]]]);
  assert.deepEqual(maxUnpool1d(output, indices, { kernelSize: 2, outputSize: [1, 1, 7] }).toArray(), [
    [[0, 3, 0, 5, 4, 0, 0]],
  ]);
  // duplicate indices: the last write wins; the gradient gathers for both
  const v = tensor([[[1, 2, 3]]], undefined, { requiresGrad: true });
  const y = maxUnpool1d(v, tensor([[[1, 1, 0]]], undefined, { dtype: 'int32' }), {
    kernelSize: 2,
    stride: 1,
  });
  assert.deepEqual(y.toArray(), [[[3, 2, 0, 0]]]);
  y.backward(tensor([[[10, 20, 30, 40]]]));
  assert.deepEqual(v.grad!.toArray(), [[[20, 20, 10]]]);
});

test('ops are recorded once per family with their geometry', () => {
  const x = tensor([1, 9, 2, 3, 4, 8, 7, 6, 5, 0, 11, 10, 12, 13, 15, 14], [1, 1, 4, 4], {
    requiresGrad: true,
  });
  const m = maxPool2d(x, { kernelSize: 2, returnIndices: true });
  assert.equal(m.output.node?.op, 'maxPool');
  assert.equal(
    maxPool3d(randn([1, 2, 2, 2], { seed: 1, requiresGrad: true }), { kernelSize: 2 }).node?.op,
    'maxPool',
  );
  assert.equal(avgPool1d(x.reshape([1, 4, 4]), { kernelSize: 2 }).node?.op, 'avgPool');
  assert.equal(maxUnpool2d(m.output, m.indices, { kernelSize: 2 }).node?.op, 'maxUnpool');
  assert.equal(m.indices.requiresGrad, false);
  // the tape keeps its own copy of returned indices: changing them does not move the gradient
  m.indices.data[0] = 0;
  m.output.backward(tensor(new Float32Array(4).fill(1), [1, 1, 2, 2]));
  assert.deepEqual(Array.from(x.grad!.data), [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
});

test('convOutputLength: floor and ceil mode, the last window starts inside the input or left padding', () => {
  const dim = { kernelSize: 2, stride: 2, padBegin: 0, padEnd: 0, dilation: 1 };
  assert.equal(convOutputLength({ ...dim, inputSize: 5, ceilMode: false }), 2);
  assert.equal(convOutputLength({ ...dim, inputSize: 5, ceilMode: true }), 3);
  // ceil would give 3 windows starting at -1, 2, 5; the last starts past the input (0..4), in the
  // end padding — (o − 1)·s = 6 ≥ I + p = 6 — so it is dropped
  assert.equal(
    convOutputLength({
      inputSize: 5,
      kernelSize: 3,
      stride: 3,
      padBegin: 1,
      padEnd: 1,
      dilation: 1,
      ceilMode: true,
    }),
    2,
  );
  assert.equal(
    convOutputLength({ inputSize: 6, kernelSize: 3, stride: 2, padBegin: 1, padEnd: 0, dilation: 2 }),
    2,
  );
  throwsArg(
    () =>
      checkedConvOutputLength('t', 'inputSize[0]', {
        inputSize: 3,
        kernelSize: 2,
        stride: 1,
        padBegin: 0,
        padEnd: 0,
        dilation: 3,
        ceilMode: true,
      }),
    'inputSize',
    'inputSize[0] = 3',
  );
});

test('errors: every invalid argument names itself and its value', () => {
  const x1 = randn([1, 2, 5], { seed: 1 });
  const x2 = randn([1, 2, 5, 5], { seed: 1 });
  const x3 = randn([1, 1, 1, 4, 4], { seed: 1 });
  throwsArg(() => maxPool2d(x2, { kernelSize: 2, strides: 2 } as never), 'strides', 'strides = 2');
  throwsArg(() => maxPool2d(x2, {} as never), 'kernelSize', 'is required');
  throwsArg(() => maxPool2d(x2, { kernelSize: [2, 0] }), 'kernelSize', 'kernelSize[1] = 0');
  throwsArg(() => avgPool1d(x1, { kernelSize: 2, stride: 0 }), 'stride', 'stride = 0');
  throwsArg(() => maxPool1d(x1, { kernelSize: 2, dilation: -1 }), 'dilation', 'dilation = -1');
  throwsArg(() => maxPool1d(x1, { kernelSize: 2, ceilMode: 1 as never }), 'ceilMode', 'ceilMode = 1');
  throwsArg(() => maxPool1d(x1, { kernelSize: 2, returnIndices: 'yes' as never }), 'returnIndices', "'yes'");
  throwsArg(() => avgPool1d(x1, { kernelSize: 2, countIncludePad: 0 as never }), 'countIncludePad', '= 0');
  throwsArg(() => maxPool3d(x1, { kernelSize: 2 }), 'input', 'input.shape = [1, 2, 5]');
  throwsArg(
    () => maxPool1d(tensor([[[1, 2]]], undefined, { dtype: 'int32' }), { kernelSize: 2 }),
    'input',
    "'int32'",
  );
  throwsArg(() => maxPool1d(randn([1, 0, 4]), { kernelSize: 2 }), 'input', 'input.shape[1] = 0');
  // PyTorch: pad should be smaller than or equal to half of kernel size
  throwsArg(
    () => maxPool2d(x2, { kernelSize: 3, padding: [1, 2] }),
    'padding',
    'padding[1] = 2 must be at most half',
  );
  throwsArg(() => avgPool1d(x1, { kernelSize: 2, padding: 2 }), 'padding', 'padding = 2');
  // output size < 1
  throwsArg(() => maxPool1d(x1, { kernelSize: 3, dilation: 3 }), 'input', 'input.shape[2] = 5 is too small');
  throwsArg(() => avgPool2d(x2, { kernelSize: [1, 6] }), 'input', 'input.shape[3] = 5');
  // avg_pool3d wants the unpadded input at least as large as the kernel
  throwsArg(() => avgPool3d(x3, { kernelSize: 2, padding: 1 }), 'input', 'input.shape[2] = 1');
  // a dilated window that skips over the whole input
  throwsArg(
    () => maxPool1d(randn([1, 1, 2]), { kernelSize: 2, padding: 1, dilation: 3 }),
    'dilation',
    'dilation = 3',
  );
  throwsArg(
    () => maxPool3d(randn([1, 1, 1, 5, 5]), { kernelSize: 2, padding: 1, dilation: [1, 1, 6] }),
    'dilation',
    'dilation[2] = 6 leaves window 0',
  );
});

test('errors of maxUnpool: indices, outputSize, padding', () => {
  const { output, indices } = maxPool2d(randn([1, 2, 4, 4], { seed: 3 }), {
    kernelSize: 2,
    returnIndices: true,
  });
  throwsArg(() => maxUnpool2d(output, [0, 1] as never, { kernelSize: 2 }), 'indices', 'indices = [0, 1]');
  throwsArg(
    () => maxUnpool2d(output, tensor(Array.from(indices.data), indices.shape), { kernelSize: 2 }),
    'indices',
    "indices.dtype = 'float32'",
  );
  throwsArg(
    () =>
      maxUnpool2d(output, tensor(Array.from(indices.data), [1, 2, 4], { dtype: 'int32' }), { kernelSize: 2 }),
    'indices',
    'indices.shape = [1, 2, 4]',
  );
  const bad = tensor(Array.from(indices.data), indices.shape, { dtype: 'int32' });
  bad.data[6] = 16;
  throwsArg(
    () => maxUnpool2d(output, bad, { kernelSize: 2 }),
    'indices',
    'indices[0][1][1][0] = 16 must be in [0, 16)',
  );
  bad.data[6] = -1;
  throwsArg(() => maxUnpool2d(output, bad, { kernelSize: 2 }), 'indices', 'indices[0][1][1][0] = -1');
  // a valid index for a larger output is out of range for a smaller one
  const big = tensor([[[0, 5]]], undefined, { dtype: 'int32' });
  throwsArg(
    () => maxUnpool1d(tensor([[[1, 2]]]), big, { kernelSize: 3, stride: 2, outputSize: [4] }),
    'indices',
    'indices[0][0][1] = 5 must be in [0, 4)',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [5, 6] }),
    'outputSize',
    'outputSize[1] = 6 must lie strictly between 2 and 6',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [2, 4] }),
    'outputSize',
    'outputSize[0] = 2',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [1, 2, 4, 0] }),
    'outputSize',
    'outputSize[3] = 0',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [1, 3, 4, 4] }),
    'outputSize',
    'outputSize[1] = 3',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [4, 4, 4] }),
    'outputSize',
    'outputSize = [4, 4, 4]',
  );
  throwsArg(
    () =>
      maxUnpool1d(tensor([[[1]]]), tensor([[[0]]], undefined, { dtype: 'int32' }), {
        kernelSize: 1,
        padding: 1,
      }),
    'padding',
    'padding = 1 is too large',
  );
  throwsArg(
    () => maxUnpool2d(output, indices, { kernelSize: 2, dilation: 1 } as never),
    'dilation',
    'dilation = 1',
  );
});

test('property: maxUnpool of maxPool puts every maximum back where it was (non-overlapping windows)', () => {
  const config = fc
    .record({
      d: fc.integer({ min: 1, max: 3 }),
      batched: fc.boolean(),
      channels: fc.integer({ min: 1, max: 2 }),
      kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      extra: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
      pad: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      ceilMode: fc.boolean(),
      seed: fc.nat(),
    })
    .map((c) => {
      const kernel = c.kernel.slice(0, c.d);
      const padding = kernel.map((k, i) => c.pad[i]! % (Math.floor(k / 2) + 1));
      const size = kernel.map((k, i) => k + c.extra[i]!);
      return { ...c, kernel, padding, size };
    });
  fc.assert(
    fc.property(config, ({ d, batched, channels, kernel, padding, size, ceilMode, seed }) => {
      const shape = batched ? [2, channels, ...size] : [channels, ...size];
      const n = shape.reduce((a, b) => a * b, 1);
      const values = distinct(n, seed).map((v) => (v >= 0 ? v + 1 : v)); // no zeros
      const x = tensor(values, shape);
      const opts = { kernelSize: kernel, padding, ceilMode };
      const { output, indices } = maxPools[d - 1]!(x, { ...opts, returnIndices: true });
      const y = maxUnpools[d - 1]!(output, indices, { kernelSize: kernel, padding, outputSize: size });
      assert.deepEqual(y.shape, shape);
      // brute force: the window of each position, its maximum, and whether it is this position
      const outSize = output.shape.slice(-d);
      const plane = size.reduce((a, b) => a * b, 1);
      for (let p = 0; p < n / plane; p++) {
        const base = p * plane;
        const window = (q: number): number[] | null => {
          const coords: number[] = [];
          for (let k = d - 1, r = q; k >= 0; k--) {
            coords.unshift(r % size[k]!);
            r = Math.floor(r / size[k]!);
          }
          const o = coords.map((c, k) => Math.floor((c + padding[k]!) / kernel[k]!));
          if (o.some((ok, k) => ok >= outSize[k]!)) return null;
          // every position of that window inside the input
          let members = [0];
          for (let k = 0; k < d; k++) {
            const lo = Math.max(0, o[k]! * kernel[k]! - padding[k]!);
            const hi = Math.min(size[k]!, o[k]! * kernel[k]! - padding[k]! + kernel[k]!);
            const next: number[] = [];
            for (const m of members) for (let c = lo; c < hi; c++) next.push(m * size[k]! + c);
            members = next;
          }
          return members;
        };
        for (let q = 0; q < plane; q++) {
          const members = window(q);
          const isMax = members !== null && members.every((m) => values[base + m]! <= values[base + q]!);
          assert.equal(y.data[base + q], isMax ? x.data[base + q] : 0, `plane ${p}, position ${q}`);
        }
      }
    }),
    { numRuns: 60, seed: 42 },
  );
});

test('gradcheck (float64): maxPool', () => {
  const cases: [number, number[], Parameters<typeof maxPool1d>[1]][] = [
    [1, [2, 2, 9], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    [2, [1, 2, 6, 7], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [2, 1] }],
    [2, [2, 5, 5], { kernelSize: 2, ceilMode: true }],
    [
      3,
      [1, 1, 4, 5, 5],
      { kernelSize: [2, 3, 2], stride: [1, 2, 2], padding: [1, 1, 0], dilation: [1, 1, 2] },
    ],
  ];
  cases.forEach(([d, shape, opts], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = f64(distinct(n, 10 + i), shape);
    const r = gradcheck((t) => maxPools[d - 1]!(t, { ...opts, returnIndices: false }), [x]);
    assert.ok(r.ok, `case ${i}: ${r.message}`);
  });
});

test('gradcheck (float64): avgPool', () => {
  const x1 = f64(randn([2, 3, 8], { seed: 1 }).data, [2, 3, 8]);
  const r1 = gradcheck(
    (t) => avgPool1d(t, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    [x1],
  );
  assert.ok(r1.ok, r1.message);
  const x2 = f64(randn([1, 2, 7, 6], { seed: 2 }).data, [1, 2, 7, 6]);
  const r2 = gradcheck(
    (t) => avgPool2d(t, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], ceilMode: true }),
    [x2],
  );
  assert.ok(r2.ok, r2.message);
  const x3 = f64(randn([2, 4, 5, 5], { seed: 3 }).data, [2, 4, 5, 5]);
  const r3 = gradcheck(
    (t) => avgPool3d(t, { kernelSize: [2, 3, 2], padding: [1, 1, 0], countIncludePad: false }),
    [x3],
  );
  assert.ok(r3.ok, r3.message);
});

test('gradcheck (float64): maxUnpool', () => {
  const cases: [
    number,
    number[],
    { kernelSize: number | number[]; stride?: number | number[]; padding?: number | number[] },
    number[],
  ][] = [
    [1, [2, 3, 7], { kernelSize: 2, stride: 3, padding: 1 }, [8]],
    [2, [1, 2, 5, 5], { kernelSize: 2 }, [5, 5]],
    [3, [2, 4, 4, 6], { kernelSize: [2, 2, 3], padding: [1, 0, 1] }, [4, 4, 6]],
  ];
  cases.forEach(([d, shape, opts, outputSize], i) => {
    const pooled = maxPools[d - 1]!(randn(shape, { seed: i }), { ...opts, returnIndices: true });
    const input = f64(pooled.output.data, pooled.output.shape as number[]);
    const r = gradcheck((t) => maxUnpools[d - 1]!(t, pooled.indices, { ...opts, outputSize }), [input]);
    assert.ok(r.ok, `case ${i}: ${r.message}`);
  });
});

test('gradients of float32 inputs match PyTorch on a small case', () => {
  const x = tensor([1, 9, 2, 3, 4, 8, 7, 6, 5, 0, 11, 10, 12, 13, 15, 14], [1, 1, 4, 4], {
    requiresGrad: true,
  });
  const y = maxPool2d(x, { kernelSize: 3, stride: 1 });
  y.backward(tensor([1, 2, 3, 4], [1, 1, 2, 2]));
  assert.deepEqual(Array.from(x.grad!.data), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 7, 0]);
  const z = tensor([1, 2, 3, 4, 5], [1, 5], { requiresGrad: true });
  avgPool1d(z, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).backward(
    tensor([[6, 12, 6]]),
  );
  assert.deepEqual(Array.from(z.grad!.data), [3, 7, 4, 7, 3]);
  assert.ok(x.grad instanceof Tensor);
});
