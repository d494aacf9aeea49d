/**
 * unfold (im2col) and fold (col2im): hand-checked values, unfold as a convolution with the weight
 * flattened, fold∘unfold = multiplicity, the adjoint identity, float64 gradient checks and every
 * error path. Values against PyTorch are in the fixtures (fixtures.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tensor, tensor, randn, ones, conv1d, conv2d, conv3d, gradcheck } from '../src/index.js';
import { unfold, fold } from '../src/ops/fold.js';
import { throwsArg } from './throws.js';

const convs = [conv1d, conv2d, conv3d];

function f64(shape: number[], seed: number, requiresGrad = false): Tensor {
  const r = randn(shape, { seed });
  return tensor(Float64Array.from(r.data), shape, { dtype: 'float64', requiresGrad });
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e)))) {
      assert.fail(`${what}: element ${i}: ${actual[i]} vs ${e}`);
    }
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A random unfold configuration in d dims whose padded input fits the kernel. */
const config = fc.integer({ min: 1, max: 3 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 3 }),
    dims: fc.array(
      fc.record({
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 3 }),
        dl: fc.integer({ min: 1, max: 2 }),
        pb: fc.integer({ min: 0, max: 2 }),
        pe: fc.integer({ min: 0, max: 2 }),
        extra: fc.integer({ min: 0, max: d === 3 ? 2 : 4 }),
      }),
      { minLength: d, maxLength: d },
    ),
    pairs: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  }),
);
type Config = typeof config extends fc.Arbitrary<infer T> ? T : never;

function setup(c: Config) {
  const pe = c.pairs ? c.dims.map((q) => q.pe) : c.dims.map((q) => q.pb);
  const padding = c.pairs ? c.dims.map((q) => [q.pb, q.pe] as [number, number]) : c.dims.map((q) => q.pb);
  const size = c.dims.map((q, i) => Math.max(1, q.dl * (q.k - 1) + 1 - q.pb - pe[i]!) + q.extra);
  const options = {
    kernelSize: c.dims.map((q) => q.k),
    stride: c.dims.map((q) => q.s),
    dilation: c.dims.map((q) => q.dl),
    padding,
  };
  // blocks per dim, written out here independently of the library
  const blocks = c.dims.map(
    (q, i) => Math.floor((size[i]! + q.pb + pe[i]! - q.dl * (q.k - 1) - 1) / q.s) + 1,
  );
  return { size, options, pe, blocks };
}

test('unfold and fold: a hand-checked 2-d case', () => {
  const x = tensor(
    Array.from({ length: 9 }, (_, i) => i),
    [1, 1, 3, 3],
  );
  const u = unfold(x, { kernelSize: 2 });
  assert.deepEqual(u.shape, [1, 4, 4]);
  // rows are the taps (ky, kx), columns the block positions (oy, ox)
  assert.deepEqual(u.toArray(), [
    [
      [0, 1, 3, 4],
      [1, 2, 4, 5],
      [3, 4, 6, 7],
      [4, 5, 7, 8],
    ],
  ]);
  const f = fold(ones([1, 4, 4]), { outputSize: [3, 3], kernelSize: 2 });
  assert.deepEqual(f.toArray(), [
    [
      [
        [1, 2, 1],
        [2, 4, 2],
        [1, 2, 1],
      ],
    ],
  ]);
  // padding and stride: values from torch F.unfold(arange(2·3·4·5).reshape(2,3,4,5), (2,3), padding=1,
  // stride=2, dilation=(1,2)), first 12 of 216
  const big = tensor(
    Array.from({ length: 120 }, (_, i) => i),
    [2, 3, 4, 5],
  );
  const ub = unfold(big, { kernelSize: [2, 3], padding: 1, stride: 2, dilation: [1, 2] });
  assert.deepEqual(ub.shape, [2, 18, 6]);
  assert.deepEqual(Array.from(ub.data.slice(0, 12)), [0, 0, 0, 6, 0, 16, 0, 0, 6, 8, 16, 18]);
  assert.equal(dot(ub.data, ub.data), 454960);
});

test('unfold is a convolution with the weight flattened: conv(x, w) = W_flat · unfold(x)', () => {
  fc.assert(
    fc.property(config, fc.integer({ min: 1, max: 3 }), (c, cout) => {
      const { size, options, blocks } = setup(c);
      const x = f64([c.batch, c.channels, ...size], c.seed);
      const k = options.kernelSize;
      const w = f64([cout, c.channels, ...k], c.seed + 1);
      const y = convs[c.d - 1]!(x, w, {
        stride: options.stride,
        dilation: options.dilation,
        padding: options.padding,
      });
      const u = unfold(x, options);
      const rows = c.channels * k.reduce((a, b) => a * b, 1);
      const L = blocks.reduce((a, b) => a * b, 1);
      assert.deepEqual(u.shape, [c.batch, rows, L]);
      assert.deepEqual(y.shape, [c.batch, cout, ...blocks]);
      const expected = new Float64Array(c.batch * cout * L);
      for (let n = 0; n < c.batch; n++)
        for (let o = 0; o < cout; o++)
          for (let l = 0; l < L; l++) {
            let s = 0;
            for (let r = 0; r < rows; r++) s += w.data[o * rows + r]! * u.data[(n * rows + r) * L + l]!;
            expected[(n * cout + o) * L + l] = s;
          }
      close(y.data, expected, 1e-9, `d=${c.d}`);
    }),
    { numRuns: 60, seed: 11 },
  );
});

test('fold(unfold(x)) = x · (number of windows covering each element)', () => {
  fc.assert(
    fc.property(config, (c) => {
      const { size, options, pe, blocks } = setup(c);
      const x = f64([c.batch, c.channels, ...size], c.seed);
      const back = fold(unfold(x, options), { ...options, outputSize: size });
      assert.deepEqual(back.shape, x.shape);
      // multiplicity per dimension by brute force: blocks b and taps k with b·s − pb + k·dl = i
      const perDim = c.dims.map((q, j) => {
        const m = new Array<number>(size[j]!).fill(0);
        for (let b = 0; b < blocks[j]!; b++)
          for (let k = 0; k < q.k; k++) {
            const i = b * q.s - q.pb + k * q.dl;
            if (i >= 0 && i < size[j]!) m[i]!++;
          }
        void pe;
        return m;
      });
      const plane = size.reduce((a, b) => a * b, 1);
      const expected = new Float64Array(x.size);
      for (let e = 0; e < x.size; e++) {
        let rest = e % plane;
        let mult = 1;
        for (let j = c.d - 1; j >= 0; j--) {
          mult *= perDim[j]![rest % size[j]!]!;
          rest = Math.floor(rest / size[j]!);
        }
        expected[e] = x.data[e]! * mult;
      }
      close(back.data, expected, 1e-12, `d=${c.d}`);
    }),
    { numRuns: 60, seed: 12 },
  );
});

test('fold is the adjoint of unfold: <unfold(x), y> = <x, fold(y)>', () => {
  fc.assert(
    fc.property(config, fc.boolean(), (c, batched) => {
      const { size, options } = setup(c);
      const xShape = batched ? [c.batch, c.channels, ...size] : [c.channels, ...size];
      const x = f64(xShape, c.seed);
      const u = unfold(x, options);
      const y = f64([...u.shape], c.seed + 7);
      const f = fold(y, { ...options, outputSize: size });
      assert.deepEqual(f.shape, xShape);
      const lhs = dot(u.data, y.data);
      const rhs = dot(x.data, f.data);
      assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
    }),
    { numRuns: 60, seed: 13 },
  );
});

test('unbatched input equals the batched result without its batch dimension; batch 0 works', () => {
  const x = randn([1, 2, 5, 6], { seed: 3 });
  const opts = { kernelSize: [2, 3], stride: [1, 2], padding: [[1, 0], 1] as [[number, number], number] };
  const b = unfold(x, opts);
  const u = unfold(x.reshape([2, 5, 6]), opts);
  assert.deepEqual(u.shape, b.shape.slice(1));
  assert.deepEqual(u.data, b.data);
  const fb = fold(b, { ...opts, outputSize: [5, 6] });
  const fu = fold(u, { ...opts, outputSize: [5, 6] });
  assert.deepEqual(fu.shape, [2, 5, 6]);
  assert.deepEqual(fu.data, fb.data);
  // number options mean 2-d (PyTorch): a rank-3 input is an unbatched image
  assert.deepEqual(unfold(randn([1, 2, 3]), { kernelSize: 2 }).shape, [4, 2]);
  assert.deepEqual(unfold(randn([0, 2, 4, 4]), { kernelSize: 2 }).shape, [0, 8, 9]);
  assert.deepEqual(fold(randn([0, 8, 9]), { outputSize: 4, kernelSize: 2 }).shape, [0, 2, 4, 4]);
  // 1-d and 3-d through array options
  assert.deepEqual(unfold(randn([2, 4, 10]), { kernelSize: [3], dilation: [2] }).shape, [2, 12, 6]);
  assert.deepEqual(fold(ones([6, 7]), { outputSize: [9], kernelSize: [3] }).shape, [2, 9]);
  assert.deepEqual(unfold(randn([3, 4, 4, 4]), { kernelSize: [2, 2, 2], stride: 2 }).shape, [24, 8]);
});

test('gradients: unfold and fold pass float64 finite differences, and chain through each other', () => {
  const x = f64([2, 2, 4, 5], 1, true);
  const opts = {
    kernelSize: [2, 3],
    stride: [2, 1],
    padding: [[1, 0], 1] as [[number, number], number],
    dilation: [1, 2],
  };
  const ru = gradcheck((a) => unfold(a, opts), [x]);
  assert.ok(ru.ok, `unfold: ${ru.message}`);
  const cols = f64([...unfold(x, opts).shape], 2, true);
  const rf = gradcheck((a) => fold(a, { ...opts, outputSize: [4, 5] }), [cols]);
  assert.ok(rf.ok, `fold: ${rf.message}`);
  const x3 = f64([2, 3, 3, 4], 4, true);
  const r = gradcheck(
    (a) => fold(unfold(a, { kernelSize: [2, 1, 2] }), { outputSize: [3, 3, 4], kernelSize: [2, 1, 2] }),
    [x3],
  );
  assert.ok(r.ok, r.message);
  // float32 gradient: unfold's is fold of the upstream gradient
  const x32 = randn([1, 1, 3, 3], { requiresGrad: true, seed: 5 });
  unfold(x32, { kernelSize: 2 }).sum().backward();
  assert.deepEqual(Array.from(x32.grad!.data), [1, 2, 1, 2, 4, 2, 1, 2, 1]);
});

test('unfold errors name the argument', () => {
  const x = randn([1, 2, 4, 5]);
  throwsArg(() => unfold(x, undefined as never), 'kernelSize', /kernelSize = undefined is required/);
  throwsArg(() => unfold(x, { kernelSize: 0 }), 'kernelSize', /kernelSize = 0 must be a positive integer/);
  throwsArg(() => unfold(x, { kernelSize: [2, 2], stride: [1, 0] }), 'stride', /stride\[1\] = 0/);
  throwsArg(() => unfold(x, { kernelSize: 2, dilation: -1 }), 'dilation');
  throwsArg(() => unfold(x, { kernelSize: 2, padding: -1 }), 'padding', /non-negative/);
  throwsArg(
    () => unfold(x, { kernelSize: 2, padding: 'same' as never }),
    'padding',
    /strings are for conv only/,
  );
  throwsArg(
    () => unfold(x, { kernelSize: [2, 2], stride: [1, 1, 1] }),
    'stride',
    /must have 2 entries like kernelSize/,
  );
  throwsArg(() => unfold(x, { kernelSize: [1, 1, 1, 1] }), 'kernelSize', /1 to 3 entries/);
  throwsArg(
    () => unfold(x, { kernelSize: [5, 3] }),
    'input',
    /input\.shape\[2\] = 4 is too small for kernelSize\[0\] = 5/,
  );
  throwsArg(() => unfold(x, { kernelSize: [3, 3], dilation: 3 }), 'input', /dilated kernel size 7/);
  throwsArg(
    () => unfold(randn([2, 3]), { kernelSize: 2 }),
    'input',
    /input\.shape = \[2, 3\] must have 4 dimensions/,
  );
  throwsArg(() => unfold(randn([2, 2, 3, 3]), { kernelSize: [2] }), 'input', /must have 3 dimensions/);
  throwsArg(
    () => unfold(randn([1, 0, 3, 3]), { kernelSize: 2 }),
    'input',
    /input\.shape\[1\] = 0 must be positive/,
  );
  throwsArg(
    () => unfold(randn([1, 1, 0, 3]), { kernelSize: 2 }),
    'input',
    /input\.shape\[2\] = 0 must be positive/,
  );
  throwsArg(() => unfold(tensor([1, 2, 3, 4], [1, 1, 2, 2], { dtype: 'int32' }), { kernelSize: 1 }), 'input');
  throwsArg(() => unfold('x' as never, { kernelSize: 1 }), 'input', /must be a Tensor/);
  throwsArg(
    () => unfold(x, { kernelSize: 2, outputSize: 3 } as never),
    'outputSize',
    /is not an option of unfold/,
  );
});

test('fold errors name the argument', () => {
  const y = randn([1, 8, 4]);
  const opts = { outputSize: [3, 3], kernelSize: 2 };
  throwsArg(() => fold(y, { kernelSize: 2 } as never), 'outputSize', /is required/);
  throwsArg(() => fold(y, { outputSize: [3, 3] } as never), 'kernelSize', /is required/);
  throwsArg(() => fold(y, { ...opts, outputSize: [3, 0] }), 'outputSize', /outputSize\[1\] = 0/);
  throwsArg(
    () => fold(randn([1, 7, 4]), opts),
    'input',
    /input\.shape\[1\] = 7 must be divisible by the product of kernelSize \[2, 2\], 4/,
  );
  throwsArg(
    () => fold(randn([1, 8, 5]), opts),
    'input',
    /input\.shape\[2\] = 5 must equal the number of sliding blocks 2 × 2 = 4/,
  );
  throwsArg(() => fold(randn([8, 5]), opts), 'input', /input\.shape\[1\] = 5 must equal .* = 4/);
  throwsArg(
    () => fold(randn([1, 8, 1]), { outputSize: [1, 1], kernelSize: 2 }),
    'outputSize',
    /outputSize\[0\] = 1 is too small/,
  );
  throwsArg(() => fold(randn([1, 1, 8, 4]), opts), 'input', /must have 3 dimensions/);
  throwsArg(() => fold(randn([1, 0, 4]), opts), 'input', /input\.shape\[1\] = 0 must be positive/);
  throwsArg(() => fold(y, { ...opts, stride: [1, 1, 1] }), 'stride', /must have 2 entries like outputSize/);
  throwsArg(
    () => fold(y, { ...opts, padding: [[1, 2, 3]] as never, outputSize: [3] }),
    'padding',
    /\[begin, end\] pair/,
  );
  throwsArg(() => fold(y, { ...opts, ceilMode: true } as never), 'ceilMode', /is not an option of fold/);
});
