import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeconvError, Tensor, gradcheck, randn, tensor, zeros } from '../src/index.js';
import { interpolate, type InterpolateMode, type InterpolateOptions } from '../src/ops/interpolate.js';
import { pixelShuffle, pixelUnshuffle } from '../src/ops/shuffle.js';
import { deconvError } from './throws.js';

function f64(shape: number[], seed: number, requiresGrad = true): Tensor {
  return randn(shape, { seed, dtype: 'float64', requiresGrad });
}

function values(t: Tensor, digits = 5): number[] {
  return [...t.data].map((v) => Number(v.toFixed(digits)));
}

const arange = (n: number, shape: number[]): Tensor =>
  tensor(
    Float32Array.from({ length: n }, (_, i) => i),
    shape,
  );

// --- errors -------------------------------------------------------------------------------------

test('interpolate: every invalid argument throws a DeconvError naming it', () => {
  const x = zeros([1, 2, 4, 4]);
  const call = (input: unknown, options: unknown) => () =>
    interpolate(input as Tensor, options as InterpolateOptions);

  assert.throws(call([1, 2, 3], { size: 2 }), deconvError('input'));
  assert.throws(call(tensor([1, 2, 3, 4], [1, 1, 4], { dtype: 'int32' }), { size: 2 }), deconvError('input'));
  assert.throws(call(x, 3), deconvError('options'));
  assert.throws(call(x, { size: 2, scale_factor: 2 }), deconvError('scale_factor'));
  assert.throws(call(x, { size: 2, mode: 'cubic' }), deconvError('mode', /mode = 'cubic'/));
  assert.throws(call(x, { size: 2, mode: 'bilinear', alignCorners: 1 }), deconvError('alignCorners'));
  for (const mode of ['nearest', 'nearest-exact', 'area']) {
    for (const alignCorners of [true, false]) {
      assert.throws(
        call(x, { size: 2, mode, alignCorners }),
        deconvError('alignCorners', /interpolating modes/),
      );
    }
  }
  assert.throws(call(x, { size: 2, scaleFactor: 2 }), deconvError('scaleFactor', /exactly one/));
  assert.throws(call(x, {}), deconvError('size', /exactly one/));
  assert.throws(call(x, undefined), deconvError('size'));

  // mode against the number of spatial dimensions
  assert.throws(
    call(zeros([1, 1, 2, 2, 2]), { size: 2, mode: 'bilinear' }),
    deconvError('input', /mode 'bilinear'/),
  );
  assert.throws(
    call(zeros([1, 1, 2, 2]), { size: 2, mode: 'linear' }),
    deconvError('input', /mode 'linear'/),
  );
  assert.throws(
    call(zeros([1, 2, 2]), { size: 2, mode: 'trilinear' }),
    deconvError('input', /mode 'trilinear'/),
  );
  assert.throws(call(zeros([2, 2]), { size: 2, mode: 'bicubic' }), deconvError('input'));
  // arrays of the wrong length
  assert.throws(call(x, { size: [2, 2, 2], mode: 'bilinear' }), deconvError('size', /2 entries/));
  assert.throws(call(x, { scaleFactor: [2], mode: 'bicubic' }), deconvError('scaleFactor', /2 entries/));
  assert.throws(call(x, { size: [2, 2, 2, 2] }), deconvError('size', /1, 2 or 3 entries/));
  assert.throws(call(x, { scaleFactor: [] }), deconvError('scaleFactor', /1, 2 or 3 entries/));
  assert.throws(call(x, { size: [2] }), deconvError('size', /2 for \(N, C, \*spatial\) or 3 for unbatched/));
  assert.throws(call(zeros([1, 2, 3, 3, 3, 3]), { scaleFactor: [2] }), deconvError('input'));
  assert.throws(call(zeros([4]), { size: [2] }), deconvError('input'));
  // the rank decides d for a scalar size with 'nearest', 'nearest-exact', 'area'
  assert.throws(call(zeros([2, 4]), { size: 2 }), deconvError('input', /as an array/));
  assert.throws(call(zeros([1, 1, 2, 2, 2, 2]), { size: 2, mode: 'area' }), deconvError('input'));
  // values
  assert.throws(call(x, { size: 0 }), deconvError('size', /size = 0 must be a positive integer/));
  assert.throws(call(x, { size: [3, -1] }), deconvError('size', /size\[1\] = -1/));
  assert.throws(call(x, { size: [3, 2.5] }), deconvError('size', /size\[1\] = 2.5/));
  assert.throws(call(x, { size: '4' }), deconvError('size'));
  assert.throws(call(x, { scaleFactor: 0 }), deconvError('scaleFactor', /positive finite/));
  assert.throws(call(x, { scaleFactor: [2, -1] }), deconvError('scaleFactor', /scaleFactor\[1\] = -1/));
  assert.throws(call(x, { scaleFactor: NaN }), deconvError('scaleFactor'));
  assert.throws(call(x, { scaleFactor: Infinity }), deconvError('scaleFactor'));
  // a zero output size
  assert.throws(call(x, { scaleFactor: 0.2 }), deconvError('scaleFactor', /floor\(4 \* 0.2\) = 0/));
  assert.throws(
    call(x, { scaleFactor: [1, 0.1], mode: 'area' }),
    deconvError('scaleFactor', /scaleFactor\[1\]/),
  );
  // empty inputs (only the batch may be empty)
  assert.throws(call(zeros([1, 2, 0, 4]), { size: 3 }), deconvError('input', /non-zero/));
  assert.throws(call(zeros([1, 0, 4, 4]), { size: 3 }), deconvError('input', /non-zero/));
  // outputs larger than a tensor can hold
  assert.throws(call(x, { size: [100000, 100000] }), deconvError('size', /more than/));
  assert.throws(call(x, { scaleFactor: 1e300, mode: 'bilinear' }), deconvError('scaleFactor', /more than/));
});

test('pixelShuffle / pixelUnshuffle: every invalid argument throws a DeconvError naming it', () => {
  assert.throws(() => pixelShuffle([1] as unknown as Tensor, 2), deconvError('input'));
  assert.throws(() => pixelShuffle(zeros([4, 2]), 2), deconvError('input', /at least 3 dimensions/));
  assert.throws(() => pixelUnshuffle(zeros([4]), 2), deconvError('input'));
  for (const factor of [0, -1, 1.5, NaN, '2']) {
    assert.throws(() => pixelShuffle(zeros([1, 4, 2, 2]), factor as number), deconvError('factor'));
    assert.throws(() => pixelUnshuffle(zeros([1, 1, 4, 4]), factor as number), deconvError('factor'));
  }
  assert.throws(() => pixelShuffle(zeros([1, 6, 2, 2]), 2), deconvError('input', /divisible by factor² = 4/));
  assert.throws(() => pixelUnshuffle(zeros([1, 1, 3, 4]), 2), deconvError('input', /height/));
  assert.throws(() => pixelUnshuffle(zeros([1, 1, 4, 3]), 2), deconvError('input', /width/));
  assert.throws(() => pixelShuffle(zeros([0, 0, 2, 2]), 2 ** 31), deconvError('factor', /larger than/));
});

// --- semantics ----------------------------------------------------------------------------------

test('interpolate: sampling rules of each mode on small inputs', () => {
  const x = arange(5, [1, 1, 5]);
  // With a scale factor the positions use 1 / scaleFactor, not in / out: 5 * 1.7 -> 8 outputs.
  const bySize = interpolate(x, { size: 8, mode: 'linear' });
  const byFactor = interpolate(x, { scaleFactor: 1.7, mode: 'linear' });
  assert.deepEqual(byFactor.shape, [1, 1, 8]);
  assert.deepEqual(values(bySize), [0, 0.4375, 1.0625, 1.6875, 2.3125, 2.9375, 3.5625, 4]);
  // x = (o + 0.5) / 1.7 - 0.5, clamped below at 0 (with size: 8, x = (o + 0.5) * 5 / 8 - 0.5)
  const expected = Array.from({ length: 8 }, (_, o) => Math.min(Math.max((o + 0.5) / 1.7 - 0.5, 0), 4));
  assert.deepEqual(
    values(byFactor, 4),
    expected.map((v) => Number(v.toFixed(4))),
  );
  // ... except that linear copies when the output has the input's size (PyTorch's shortcut)
  assert.deepEqual([...interpolate(x, { scaleFactor: 1.1, mode: 'linear' }).data], [0, 1, 2, 3, 4]);
  // alignCorners maps the corner pixels onto each other
  assert.deepEqual(
    values(interpolate(arange(4, [1, 1, 4]), { size: 7, mode: 'linear', alignCorners: true })),
    [0, 0.5, 1, 1.5, 2, 2.5, 3],
  );
  // nearest: floor(o * scale) with scale and product rounded to float32: the scale 26/22 rounds
  // down (exact arithmetic would pick 13 for o = 11), the product 3 * (1 / 0.6) rounds up to 5.
  assert.equal(interpolate(arange(26, [1, 1, 26]), { size: [22] }).data[11], 12);
  assert.deepEqual([...interpolate(arange(7, [1, 1, 7]), { scaleFactor: [0.6] }).data], [0, 1, 3, 5]);
  assert.equal(interpolate(arange(2, [1, 1, 2]), { size: [50] }).data[25], 1);
  assert.deepEqual(
    [...interpolate(arange(5, [1, 1, 5]), { scaleFactor: [2.18] }).data],
    [0, 0, 0, 1, 1, 2, 2, 3, 3, 4],
  );
  // nearest-exact: floor((o + 0.5) * scale)
  assert.deepEqual(
    [...interpolate(arange(5, [1, 1, 5]), { scaleFactor: [2.18], mode: 'nearest-exact' }).data],
    [0, 0, 1, 1, 2, 2, 2, 3, 3, 4],
  );
  // area: adaptive average pooling, windows [floor(o·5/3), ceil((o+1)·5/3)) = [0,2) [1,4) [3,5)
  assert.deepEqual(values(interpolate(x, { size: [3], mode: 'area' })), [0.5, 2, 3.5]);
  // bicubic: Keys weights with A = -0.75; at the half-pixel offset they are
  // [-0.09375, 0.59375, 0.59375, -0.09375], and border taps clamp (o = 1 reads [1, 1, 2, 4]).
  const row = tensor([1, 2, 4, 8], [1, 1, 1, 4]);
  assert.deepEqual(
    values(interpolate(row, { size: [1, 7], mode: 'bicubic', alignCorners: true })),
    [1, 1.3125, 2, 2.71875, 4, 6.1875, 8],
  );
  // without alignCorners the source coordinate of o = 0 is -0.25 (not clamped to 0 as in linear):
  // taps [-2, -1, 0, 1] -> [0, 0, 0, 1] with weights for t = 0.75
  // [-0.03515625, 0.26171875, 0.87890625, -0.10546875]
  assert.equal(interpolate(row, { size: [1, 8], mode: 'bicubic' }).data[0], 0.89453125);
  // ... and they sum to 1 everywhere, borders included
  const ones = tensor(new Float32Array(12).fill(3), [1, 1, 3, 4]);
  const up = interpolate(ones, { scaleFactor: [2.3, 0.6], mode: 'bicubic' });
  assert.ok(up.data.every((v) => Math.abs(v - 3) < 1e-5));
});

test('interpolate: unbatched input gives the batched result without its batch dimension', () => {
  const cases: [number[], InterpolateOptions][] = [
    [[3, 7], { size: [4] }],
    [[3, 7], { scaleFactor: 1.7, mode: 'linear' }],
    [[2, 5, 6], { scaleFactor: [0.6, 2.3], mode: 'bicubic' }],
    [[2, 5, 6], { size: [3, 4], mode: 'area' }],
    [[2, 3, 4, 5], { scaleFactor: 1.5, mode: 'trilinear', alignCorners: true }],
    [[2, 3, 4, 5], { size: [2, 5, 7], mode: 'nearest-exact' }],
  ];
  cases.forEach(([shape, options], k) => {
    const x = randn(shape, { seed: k });
    const y = interpolate(x, options);
    const yb = interpolate(x.reshape([1, ...shape]), options);
    assert.deepEqual([1, ...y.shape], yb.shape);
    assert.deepEqual(y.data, yb.data);
  });
});

// --- gradients ----------------------------------------------------------------------------------

test('interpolate: float64 gradcheck for every mode', () => {
  const cases: [number[], InterpolateOptions][] = [
    [[2, 2, 5], { scaleFactor: [1.7] }],
    [[1, 2, 4, 5], { size: [7, 3] }],
    [[1, 1, 3, 4, 2], { scaleFactor: [1.5, 0.6, 2.3], mode: 'nearest' }],
    [[2, 1, 6], { size: [4], mode: 'nearest-exact' }],
    [[1, 2, 5, 3], { scaleFactor: 2.3, mode: 'nearest-exact' }],
    [[2, 2, 5], { scaleFactor: 1.7, mode: 'linear' }],
    [[2, 2, 7], { size: 4, mode: 'linear', alignCorners: true }],
    [[1, 2, 4, 5], { scaleFactor: [2.3, 0.6], mode: 'bilinear' }],
    [[1, 1, 4, 4], { size: [1, 6], mode: 'bilinear', alignCorners: true }],
    [[1, 2, 4, 5], { scaleFactor: 1.7, mode: 'bicubic' }],
    [[1, 1, 7, 6], { size: [3, 4], mode: 'bicubic', alignCorners: true }],
    [[1, 1, 2, 3], { size: [5, 2], mode: 'bicubic' }],
    [[1, 1, 3, 4, 3], { scaleFactor: [1.5, 0.6, 2], mode: 'trilinear' }],
    [[1, 2, 2, 3, 3], { size: [3, 2, 4], mode: 'trilinear', alignCorners: true }],
    [[2, 1, 7], { size: [3], mode: 'area' }],
    [[1, 2, 5, 7], { scaleFactor: [0.6, 1.5], mode: 'area' }],
    [[1, 1, 4, 3, 5], { size: [3, 3, 2], mode: 'area' }],
    [[2, 5, 6], { scaleFactor: 1.3, mode: 'bicubic' }], // unbatched
  ];
  cases.forEach(([shape, options], k) => {
    const x = f64(shape, 100 + k);
    const r = gradcheck((t) => interpolate(t, options), [x], { seed: k });
    assert.ok(r.ok, `${JSON.stringify(options)} on ${JSON.stringify(shape)}: ${r.message}`);
  });
});

test('interpolate: bicubic backward accumulates the clamped border taps', () => {
  // One input pixel: every tap of every output clamps onto it, so each output's gradient
  // contribution is the sum of its 4 x 4 weights, which is 1.
  const x = tensor([2], [1, 1, 1, 1], { requiresGrad: true });
  const y = interpolate(x, { size: [3, 5], mode: 'bicubic' });
  assert.ok(y.data.every((v) => Math.abs(v - 2) < 1e-6));
  y.backward(tensor(new Float32Array(15).fill(1), [1, 1, 3, 5]));
  assert.ok(Math.abs(x.grad!.data[0]! - 15) < 1e-4, `${x.grad!.data[0]}`);
  // A 2-pixel-wide input, downsampled and upsampled: gradients sum the weights that land on each pixel.
  const x2 = f64([1, 1, 2, 3], 7);
  assert.ok(gradcheck((t) => interpolate(t, { scaleFactor: 3.1, mode: 'bicubic' }), [x2]).ok);
});

const modes: InterpolateMode[] = [
  'nearest',
  'nearest-exact',
  'linear',
  'bilinear',
  'bicubic',
  'trilinear',
  'area',
];
const modeDims: Record<InterpolateMode, number | null> = {
  nearest: null,
  'nearest-exact': null,
  linear: 1,
  bilinear: 2,
  bicubic: 2,
  trilinear: 3,
  area: null,
};

test('interpolate: the backward pass is the adjoint of the forward pass', () => {
  const config = fc
    .record({
      mode: fc.constantFrom(...modes),
      d: fc.integer({ min: 1, max: 3 }),
      sizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 3, maxLength: 3 }),
      outs: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
      factors: fc.array(fc.double({ min: 0.3, max: 3.2, noNaN: true }), { minLength: 3, maxLength: 3 }),
      useFactor: fc.boolean(),
      alignCorners: fc.constantFrom(undefined, true, false),
      batched: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1000 }),
    })
    .map((c) => {
      const d = modeDims[c.mode] ?? c.d;
      const sizes = c.sizes.slice(0, d).map((s, i) => Math.max(s, Math.ceil(1.001 / c.factors[i]!)));
      const options: InterpolateOptions = { mode: c.mode };
      if (c.useFactor) options.scaleFactor = c.factors.slice(0, d);
      else options.size = c.outs.slice(0, d);
      if (modeDims[c.mode] !== null && c.alignCorners !== undefined) options.alignCorners = c.alignCorners;
      return { shape: c.batched ? [2, 2, ...sizes] : [2, ...sizes], options, seed: c.seed };
    });
  fc.assert(
    fc.property(config, ({ shape, options, seed }) => {
      const x = f64(shape, seed);
      const y = interpolate(x, options);
      // PyTorch's own non-adjoint corners, which deconv reproduces (tested below): a given scale
      // factor whose output size equals the input size (or twice it, for 'nearest').
      const factors = options.scaleFactor as number[] | undefined;
      const quirk =
        factors !== undefined &&
        (options.mode === 'nearest' || options.mode === 'bicubic') &&
        factors.some((_, i) => {
          const n = x.shape[x.shape.length - factors.length + i]!;
          const o = y.shape[y.shape.length - factors.length + i]!;
          return o === n || (options.mode === 'nearest' && o === 2 * n);
        });
      if (quirk) return;
      const g = f64([...y.shape], seed + 1, false);
      y.backward(g);
      let lhs = 0;
      for (let i = 0; i < y.size; i++) lhs += y.data[i]! * g.data[i]!;
      let rhs = 0;
      for (let i = 0; i < x.size; i++) rhs += x.data[i]! * x.grad!.data[i]!;
      assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
    }),
    { numRuns: 150, seed: 42 },
  );
});

test("interpolate reproduces PyTorch 1.13's non-adjoint corners (values printed by torch 1.13)", () => {
  // F.interpolate(arange(4·C).reshape(1, C, 2, 2), scale_factor=2.3, mode='nearest'): output 4×4.
  // torch: C = 2 → first row [0, 0, 0, 1] (floor(o / 2.3)); C = 1 → [0, 0, 1, 1] (channels-last
  // kernel, o >> 1); the gradient of ones is 4 everywhere in both (backward uses o >> 1).
  for (const [c, row] of [
    [2, [0, 0, 0, 1]],
    [1, [0, 0, 1, 1]],
  ] as const) {
    const x = tensor(
      Float32Array.from({ length: 4 * c }, (_, i) => i),
      [1, c, 2, 2],
      { requiresGrad: true },
    );
    const y = interpolate(x, { scaleFactor: 2.3, mode: 'nearest' });
    assert.deepEqual([...y.data.slice(0, 4)], row, `C = ${c}`);
    y.backward(tensor(new Float32Array(y.size).fill(1), [...y.shape]));
    assert.deepEqual([...x.grad!.data.slice(0, 4)], [4, 4, 4, 4], `C = ${c}`);
  }
  // 1-d never takes the shortcut forward: torch gives [0, 0, 0, 1, 1, 2], gradient [2, 2, 2].
  const x1 = tensor([0, 1, 2], [1, 1, 3], { requiresGrad: true });
  const y1 = interpolate(x1, { scaleFactor: [2.3], mode: 'nearest' });
  assert.deepEqual([...y1.data], [0, 0, 0, 1, 1, 2]);
  y1.backward(tensor(new Float32Array(6).fill(1), [1, 1, 6]));
  assert.deepEqual([...x1.grad!.data], [2, 2, 2]);
  // bicubic, 10 → 10 with scale 1.05: torch resamples forward but copies the gradient.
  const xb = tensor(
    Float32Array.from({ length: 20 }, (_, i) => i % 10),
    [1, 2, 10, 1],
    { requiresGrad: true },
  );
  const yb = interpolate(xb, { scaleFactor: [1.05, 1], mode: 'bicubic' });
  assert.ok(Math.abs(yb.data[0]! - -0.017016887664794922) < 1e-6, `bicubic forward ${yb.data[0]}`);
  const gb = tensor(
    Float32Array.from({ length: 20 }, (_, i) => i % 10),
    [1, 2, 10, 1],
  );
  yb.backward(gb);
  assert.deepEqual([...xb.grad!.data], [...gb.data]);
});

// --- pixel shuffle ------------------------------------------------------------------------------

test('pixelShuffle moves channel blocks into spatial blocks and pixelUnshuffle undoes it', () => {
  // (1, 4, 1, 2) -> (1, 1, 2, 4): output (h·2 + i, w·2 + j) is channel i·2 + j at (h, w)
  const x = arange(8, [1, 4, 1, 2]);
  const y = pixelShuffle(x, 2);
  assert.deepEqual(y.shape, [1, 1, 2, 4]);
  assert.deepEqual([...y.data], [0, 2, 1, 3, 4, 6, 5, 7]);
  for (const [shape, r] of [
    [[2, 3, 18, 2, 3], 3],
    [[8, 5, 1], 2],
    [[2, 4, 3, 4], 1],
    [[0, 4, 2, 2], 2],
  ] as [number[], number][]) {
    const t = randn(shape, { seed: r });
    const s = pixelShuffle(t, r);
    const c = shape.length - 3;
    assert.deepEqual(s.shape, [
      ...shape.slice(0, c),
      shape[c]! / (r * r),
      shape[c + 1]! * r,
      shape[c + 2]! * r,
    ]);
    assert.deepEqual(pixelUnshuffle(s, r).data, t.data);
    assert.deepEqual(pixelUnshuffle(s, r).shape, shape);
    const u = randn([2, 3, 2 * r, 3 * r], { seed: 9 });
    assert.deepEqual(pixelShuffle(pixelUnshuffle(u, r), r).data, u.data);
  }
  const ints = tensor([1, 2, 3, 4], [4, 1, 1], { dtype: 'int32' });
  assert.deepEqual([...pixelShuffle(ints, 2).data], [1, 2, 3, 4]);
  assert.equal(pixelShuffle(ints, 2).dtype, 'int32');
});

test('pixelShuffle / pixelUnshuffle: gradients are each other', () => {
  const x = f64([2, 8, 3, 2], 1);
  assert.ok(gradcheck((t) => pixelShuffle(t, 2), [x]).ok);
  const z = f64([1, 2, 6, 3], 2);
  assert.ok(gradcheck((t) => pixelUnshuffle(t, 3), [z]).ok);
  // chained with interpolate
  const w = f64([1, 4, 3, 3], 3);
  assert.ok(
    gradcheck((t) => interpolate(pixelShuffle(t, 2), { scaleFactor: 0.7, mode: 'bilinear' }), [w]).ok,
  );
});

test('interpolate: a single size or scaleFactor on a rank-3 input with a mode that cannot tell the rank is refused, naming both readings', () => {
  const image = tensor(new Float32Array(3 * 4 * 4).fill(0.5), [3, 4, 4]);
  for (const mode of ['nearest', 'nearest-exact', 'area'] as const) {
    assert.throws(
      () => interpolate(image, { scaleFactor: 2, mode }),
      (e: unknown) =>
        e instanceof DeconvError &&
        e.argument === 'scaleFactor' &&
        e.message.includes('scaleFactor: [2, 2] to resize H and W') &&
        e.message.includes('scaleFactor: [2] to resize W only'),
      mode,
    );
    assert.throws(() => interpolate(image, { size: 8, mode }), /size: \[8, 8\]/, mode);
    assert.deepEqual(interpolate(image, { scaleFactor: [2, 2], mode }).shape, [3, 8, 8], mode);
    assert.deepEqual(interpolate(image, { scaleFactor: [2], mode }).shape, [3, 4, 8], mode);
  }
  // the default mode is 'nearest'
  assert.throws(() => interpolate(image, { scaleFactor: 2 }), /two readings/);
  // modes that fix the rank, and other ranks, keep their single number
  assert.deepEqual(interpolate(image, { scaleFactor: 2, mode: 'bilinear' }).shape, [3, 8, 8]);
  assert.deepEqual(interpolate(image.reshape([1, 3, 4, 4]), { scaleFactor: 2 }).shape, [1, 3, 8, 8]);
});
