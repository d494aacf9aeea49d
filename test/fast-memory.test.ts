/**
 * The plain-JavaScript fast kernels of the memory-bound ops (kernels/fast/pool.ts, resample.ts)
 * against the reference kernels: random geometries (odd sizes, size-1 dimensions, 1-d to 3-d,
 * every interpolate mode, batched and unbatched), outputs pre-filled with NaN for the fast kernels,
 * both directions. Values must be equal (the fast kernels form every sum in the reference's order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randn, setKernelPath, getKernelPath, tensor, type Tensor } from '../src/index.js';
import type { InterpolateMode } from '../src/geometry/interpolate.js';
import {
  interpolateGeometry,
  maxUnpoolGeometry,
  poolGeometry,
  shuffleGeometry,
  unfoldGeometry,
} from './geometry-of.js';
import { resample, pixelShuffleKernel } from '../src/kernels/ref/resample.js';
import { resampleFast, pixelShuffleFast } from '../src/kernels/fast/resample.js';
import * as ref from '../src/kernels/ref/pool.js';
import * as fast from '../src/kernels/fast/pool.js';
import { columnsShape } from '../src/geometry/fold.js';
import { im2colRef, col2imRef } from '../src/kernels/ref/fold.js';
import { im2colFast, col2imFast } from '../src/kernels/fast/fold.js';
import { interpolate } from '../src/ops/interpolate.js';
import { fold, unfold } from '../src/ops/fold.js';
import { maxPool1d, maxPool2d, maxPool3d, maxUnpool2d } from '../src/ops/pool.js';
import { pixelShuffle } from '../src/ops/shuffle.js';

/** Equal values, NaN equal to NaN and +0 equal to −0 (the reference starts its sums from +0). */
function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    // the sign of a zero too (Object.is), on inputs with signed zeros
    if (!Object.is(a, e)) {
      const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
      assert.fail(`${what}: element ${i} is ${show(a)}, the reference gives ${show(e)}`);
    }
  }
}

const nanFilled = (n: number): Float32Array => new Float32Array(n).fill(NaN);

function randomData(n: number, seed: number, specials: boolean): Float32Array {
  const data = Float32Array.from(randn([Math.max(n, 1)], { seed }).data).subarray(0, n);
  // signed zeros: every input −0 for one seed in four, else every 5th −0 and every 6th +0
  for (let i = 0; i < n; i++)
    if (seed % 4 === 1 || i % 5 === 0) data[i] = -0;
    else if (i % 6 === 0) data[i] = 0;
  if (specials && n > 3) {
    data[seed % n] = NaN;
    data[(seed * 7 + 1) % n] = Infinity;
    data[(seed * 13 + 2) % n] = -Infinity;
  }
  return data;
}

const MODES: { mode: InterpolateMode; d?: number; corners: boolean }[] = [
  { mode: 'nearest', corners: false },
  { mode: 'nearest-exact', corners: false },
  { mode: 'area', corners: false },
  { mode: 'linear', d: 1, corners: true },
  { mode: 'bilinear', d: 2, corners: true },
  { mode: 'bicubic', d: 2, corners: true },
  { mode: 'trilinear', d: 3, corners: true },
];

test('resampleFast equals the reference forward and backward, every mode', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MODES.length - 1 }),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
      fc.oneof(
        fc.constant(2),
        fc.constant(0.5),
        fc.double({ min: 0.3, max: 3.1, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 3, maxLength: 3 }),
      ),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 1000 }),
      (m, dRandom, batched, corners, sizes, scaleOrSize, channels, seed) => {
        const { mode, d: fixed } = MODES[m]!;
        const d = fixed ?? dRandom;
        const spatial = sizes.slice(0, d);
        const shape = batched ? [2, channels, ...spatial] : [channels, ...spatial];
        const options: Record<string, unknown> = { mode };
        if (Array.isArray(scaleOrSize)) options.size = scaleOrSize.slice(0, d);
        else options.scaleFactor = Array.from({ length: d }, () => scaleOrSize);
        if (MODES[m]!.corners && corners) options.alignCorners = true;
        const x = tensor(
          randomData(
            shape.reduce((a, b) => a * b, 1),
            seed,
            seed % 5 === 0,
          ),
          shape,
        );
        let g;
        try {
          g = interpolateGeometry('interpolate', x, options);
        } catch {
          return; // e.g. a scale factor that gives an empty output
        }
        const what = `${mode} ${JSON.stringify(shape)} ${JSON.stringify(options)}`;
        const outN = g.outputShape.reduce((a, b) => a * b, 1);
        const expected = new Float32Array(outN);
        resample(x.data as Float32Array, expected, g.planes, g.forward);
        const actual = nanFilled(outN);
        resampleFast(x.data as Float32Array, actual, g.planes, g.forward);
        sameValues(actual, expected, `forward ${what}`);
        // backward: the transposed taps on a random output gradient
        const gy = randomData(outN, seed + 1, false);
        const gxExpected = new Float32Array(x.size);
        resample(gy, gxExpected, g.planes, g.backward);
        const gxActual = nanFilled(x.size);
        resampleFast(gy, gxActual, g.planes, g.backward);
        sameValues(gxActual, gxExpected, `backward ${what}`);
      },
    ),
    { numRuns: 400 },
  );
});

test('resampleFast on float64 data (the gradient checks) equals the reference', () => {
  const x = tensor(Float64Array.from(randn([2 * 3 * 5 * 7], { seed: 3 }).data), [2, 3, 5, 7], {
    dtype: 'float64',
  });
  for (const options of [
    { mode: 'bilinear' as const, scaleFactor: 2 },
    { mode: 'nearest' as const, size: [9, 4] },
    { mode: 'bicubic' as const, size: [6, 11], alignCorners: true },
  ]) {
    const g = interpolateGeometry('interpolate', x, options);
    const n = g.outputShape.reduce((a, b) => a * b, 1);
    const expected = new Float64Array(n);
    const actual = new Float64Array(n).fill(NaN);
    resample(x.data as Float64Array, expected, g.planes, g.forward);
    resampleFast(x.data as Float64Array, actual, g.planes, g.forward);
    sameValues(actual, expected, JSON.stringify(options));
  }
});

test('pixelShuffleFast equals the reference, both directions', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 2 }),
      fc.boolean(),
      (r, c, h, w, lead, int32) => {
        const leadShape = lead === 0 ? [] : lead === 1 ? [2] : [2, 1];
        const shape = [...leadShape, c * r * r, h, w];
        const n = shape.reduce((a, b) => a * b, 1);
        const data = int32 ? Int32Array.from({ length: n }, (_, i) => i * 7 - 5) : randomData(n, n, true);
        const x = tensor(data, shape, { dtype: int32 ? 'int32' : 'float32' });
        const g = shuffleGeometry('pixelShuffle', x, r, false);
        const make = (): Float32Array | Int32Array => (int32 ? new Int32Array(n).fill(-1) : nanFilled(n));
        const expected = make();
        const actual = make();
        pixelShuffleKernel(x.data, expected, g, false);
        pixelShuffleFast(x.data, actual, g, false);
        sameValues(actual, expected, `shuffle r=${r} ${JSON.stringify(shape)}`);
        // unshuffle the shuffled result back
        const back = make();
        const backRef = make();
        const u = shuffleGeometry('pixelUnshuffle', tensor(expected, [...g.outputShape]), r, true);
        pixelShuffleKernel(expected, backRef, u, true);
        pixelShuffleFast(expected, back, u, true);
        sameValues(back, backRef, `unshuffle r=${r}`);
        sameValues(back, x.data, `round trip r=${r}`);
      },
    ),
    { numRuns: 200 },
  );
});

test('pooling fast kernels equal the reference (max, avg, unpool; both directions)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.oneof(fc.constant('tile'), fc.constant('overlap'), fc.constant('ceil')),
      fc.integer({ min: 0, max: 1000 }),
      (d, batched, sizes, kernel, kind, seed) => {
        const spatial = sizes.slice(0, d);
        const k = kernel.slice(0, d).map((v, i) => Math.min(v, spatial[i]!));
        const shape = batched ? [2, 3, ...spatial] : [3, ...spatial];
        const n = shape.reduce((a, b) => a * b, 1);
        // few distinct values, so ties are common; NaN and ±Infinity sometimes
        const data = randomData(n, seed, seed % 3 === 0).map((v) =>
          Number.isFinite(v) ? Math.round(v * 2) : v,
        );
        const x = tensor(data, shape);
        const options =
          kind === 'tile'
            ? { kernelSize: k }
            : kind === 'overlap'
              ? { kernelSize: k, stride: 1, padding: k.map((v) => v >> 1) }
              : { kernelSize: k, stride: k.map((v) => v + 1), ceilMode: true };
        const what = `${kind} ${JSON.stringify(shape)} k=${JSON.stringify(k)}`;
        const g = poolGeometry('maxPool', 'maxPool', x, options, d);
        const outN = g.planes * g.outPlane;
        const y0 = new Float32Array(outN);
        const i0 = new Int32Array(outN);
        ref.maxPoolRef(g, data, y0, i0);
        const y1 = nanFilled(outN);
        const i1 = new Int32Array(outN).fill(-7);
        fast.maxPoolFast(g, data, y1, i1);
        sameValues(y1, y0, `maxPool ${what}`);
        assert.deepEqual(i1, i0, `maxPool indices ${what}`);
        const gy = randomData(outN, seed + 1, false);
        const gx0 = new Float32Array(n);
        ref.maxPoolBackwardRef(g, gy, i0, gx0);
        const gx1 = nanFilled(n);
        fast.maxPoolBackwardFast(g, gy, i0, gx1);
        sameValues(gx1, gx0, `maxPool backward ${what}`);

        const ga = poolGeometry('avgPool', 'avgPool', x, { ...options, countIncludePad: seed % 2 === 0 }, d);
        const a0 = new Float32Array(outN);
        ref.avgPoolRef(ga, data, a0);
        const a1 = nanFilled(outN);
        fast.avgPoolFast(ga, data, a1);
        sameValues(a1, a0, `avgPool ${what}`);
        const ag0 = new Float32Array(n);
        ref.avgPoolBackwardRef(ga, gy, ag0);
        const ag1 = nanFilled(n);
        fast.avgPoolBackwardFast(ga, gy, ag1);
        sameValues(ag1, ag0, `avgPool backward ${what}`);

        // unpool the pooled values with their indices (the pooled tensor as input)
        const pooled = tensor(y0, [...g.outputShape]);
        const ix = tensor(i0, [...g.outputShape], { dtype: 'int32' });
        const { ceilMode: _, ...unpoolOptions } = { ceilMode: false, ...options };
        const ug = maxUnpoolGeometry('maxUnpool', pooled, ix, { ...unpoolOptions, outputSize: spatial }, d);
        const u0 = new Float32Array(ug.planes * ug.outPlane);
        ref.maxUnpoolRef(ug, y0, i0, u0);
        const u1 = nanFilled(u0.length);
        fast.maxUnpoolFast(ug, y0, i0, u1);
        sameValues(u1, u0, `maxUnpool ${what}`);
        const ugy = randomData(u0.length, seed + 2, false);
        const ub0 = new Float32Array(outN);
        ref.maxUnpoolBackwardRef(ug, ugy, i0, ub0);
        const ub1 = nanFilled(outN);
        fast.maxUnpoolBackwardFast(ug, ugy, i0, ub1);
        sameValues(ub1, ub0, `maxUnpool backward ${what}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('im2colFast / col2imFast equal the reference (1-d to 3-d, padding, stride, dilation)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 0, max: 1000 }),
      (d, batched, sizes, kernel, stride, dilation, padding, seed) => {
        const spatial = sizes.slice(0, d);
        const shape = batched ? [2, 2, ...spatial] : [2, ...spatial];
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tensor(randomData(n, seed, seed % 4 === 0), shape);
        const options = {
          kernelSize: kernel.slice(0, d),
          stride: stride.slice(0, d),
          dilation: dilation.slice(0, d),
          padding: padding.slice(0, d),
        };
        let g;
        try {
          g = unfoldGeometry('unfold', x, options);
        } catch {
          return; // no block fits
        }
        const what = `${JSON.stringify(shape)} ${JSON.stringify(options)}`;
        const cn = columnsShape(g).reduce((a, b) => a * b, 1);
        const c0 = new Float32Array(cn);
        im2colRef(g, x.data as Float32Array, c0);
        const c1 = nanFilled(cn);
        im2colFast(g, x.data as Float32Array, c1);
        sameValues(c1, c0, `im2col ${what}`);
        const cols = randomData(cn, seed + 1, false);
        const x0 = new Float32Array(n);
        col2imRef(g, cols, x0);
        const x1 = nanFilled(n);
        col2imFast(g, cols, x1);
        sameValues(x1, x0, `col2im ${what}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('maxUnpoolFast refuses an index outside its plane before writing the plane', () => {
  const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const ix = tensor(Int32Array.of(0, 1, 2, 99), [1, 1, 2, 2], { dtype: 'int32' });
  const g = maxUnpoolGeometry('maxUnpool2d', x, ix, { kernelSize: 2 }, 2);
  const y = nanFilled(16);
  assert.equal(fast.maxUnpoolFast(g, x.data as Float32Array, ix.data as Int32Array, y), 3, 'position of 99');
  assert.ok(
    y.every((v) => Number.isNaN(v)),
    'the plane is not written',
  );
});

/** Runs `f` on the 'reference' path, then on 'js', and returns both results. */
function bothPaths<T>(f: () => T): [T, T] {
  const saved = getKernelPath();
  try {
    setKernelPath('reference');
    const r = f();
    setKernelPath('js');
    return [r, f()];
  } finally {
    setKernelPath(saved);
  }
}

test('through the public ops: outputs and gradients equal on both paths', () => {
  const grads = (make: (x: Tensor) => Tensor, shape: number[], seed: number): [Tensor, Float32Array] => {
    const x = tensor(Float32Array.from(randn(shape, { seed }).data), shape, { requiresGrad: true });
    const y = make(x);
    y.backward(randn([...y.shape], { seed: seed + 1 }));
    return [y, x.grad!.data as Float32Array];
  };
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['bilinear x2', (x) => interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), [2, 3, 7, 5]],
    ['nearest x2', (x) => interpolate(x, { scaleFactor: 2, mode: 'nearest' }), [2, 3, 7, 5]],
    ['nearest 1 channel', (x) => interpolate(x, { scaleFactor: 2, mode: 'nearest' }), [1, 1, 6, 5]],
    ['trilinear', (x) => interpolate(x, { size: [3, 5, 4], mode: 'trilinear' }), [1, 2, 2, 3, 5]],
    ['bicubic', (x) => interpolate(x, { scaleFactor: 1.7, mode: 'bicubic', alignCorners: true }), [3, 4, 6]],
    ['area', (x) => interpolate(x, { size: [3, 4], mode: 'area' }), [2, 2, 7, 9]],
    ['pixelShuffle', (x) => pixelShuffle(x, 3), [2, 18, 3, 4]],
    ['unfold', (x) => unfold(x, { kernelSize: [3, 2], padding: 1, stride: [2, 1] }), [2, 3, 7, 5]],
    ['fold', (x) => fold(x, { outputSize: [4, 5], kernelSize: 2 }), [2, 12, 12]],
    ['maxPool1d', (x) => maxPool1d(x, { kernelSize: 3 }), [2, 3, 10]],
    ['maxPool2d', (x) => maxPool2d(x, { kernelSize: 2 }), [2, 3, 7, 9]],
    ['maxPool3d', (x) => maxPool3d(x, { kernelSize: [1, 2, 3] }), [2, 3, 7, 9]],
    [
      'maxUnpool2d',
      (x) => {
        const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
        return maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [7, 9] });
      },
      [2, 3, 7, 9],
    ],
  ];
  for (const [name, make, shape] of cases) {
    const [[y0, g0], [y1, g1]] = bothPaths(() => grads(make, shape, 11));
    assert.deepEqual(y1.shape, y0.shape, name);
    sameValues(y1.data, y0.data, `${name} output`);
    sameValues(g1, g0, `${name} gradient`);
  }
});
