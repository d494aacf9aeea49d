/**
 * Resampling block by block (kernels/resample-chunks.ts): with `resampleTuning.chunk` shrunk to a
 * few outputs, every interpolate fixture of PyTorch 1.13 (outputs and gradients, the bit-exact
 * bicubic weights and signs of zero of test/fixtures/hardening.json) crosses block boundaries on
 * every kernel path; a dimension of 2³¹ − 1 outputs gets its taps per range, checked against the
 * closed form of linear interpolation. The huge runs themselves (8·10⁸ outputs, minutes and
 * gigabytes) are in scripts/verify-issue14.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as lib from '../src/index.js';
import { DeconvError, tensor, zeros, type KernelPath } from '../src/index.js';
import {
  interpolateGeometry,
  interpolateParams,
  resampleTuning,
  sliceTaps,
  tapsByInputRange,
  type Taps,
} from '../src/geometry/interpolate.js';
import { FAMILIES, byOp, loadFixture, runCase, type OpFunction } from './fixture-util.js';
import { linearAt } from './linear-oracle.js';

const PATHS: readonly KernelPath[] = ['reference', 'js', 'wasm', 'fast'];
const savedPath = lib.getKernelPath();
const savedChunk = resampleTuning.chunk;
before(async () => {
  await lib.ready();
});
after(() => {
  lib.setKernelPath(savedPath);
  resampleTuning.chunk = savedChunk;
});

/** Runs `f` on every kernel path with blocks of `chunk` outputs. */
function chunked(chunk: number, f: (path: KernelPath) => void): void {
  for (const p of PATHS) {
    lib.setKernelPath(p);
    resampleTuning.chunk = chunk;
    try {
      f(p);
    } finally {
      resampleTuning.chunk = savedChunk;
      lib.setKernelPath(savedPath);
    }
  }
}

/** Whether the geometry of `shape` under `options` has a dimension longer than one block. */
function crossesBlocks(shape: readonly number[], options: object): boolean {
  try {
    const g = interpolateGeometry(interpolateParams('interpolate', options), shape);
    return g.forward.some((t) => t.outSize > resampleTuning.chunk);
  } catch {
    return false; // a rank-3 input with one size: fixture-util reads it as PyTorch does
  }
}

test('PyTorch fixtures of interpolate, outputs and gradients, in blocks of 3 and 5 outputs', () => {
  const family = FAMILIES.find((f) => f.file === 'interpolate.json')!;
  const cases = byOp(loadFixture('interpolate.json').cases).get('interpolate')!;
  assert.ok(cases.length > 200, `the interpolate fixtures (${cases.length} cases)`);
  for (const chunk of [3, 5]) {
    let crossing = 0;
    chunked(chunk, (p) => {
      for (const c of cases) {
        const input = c.inputs['input'] ?? Object.values(c.inputs)[0]!;
        const options = c.args.find((a) => typeof a === 'object' && a !== null && 'options' in a) as
          { options: object } | undefined;
        if (p === 'reference' && options && crossesBlocks(input.shape, options.options)) crossing++;
        runCase(lib, lib.interpolate as OpFunction, c, family.tolerance);
      }
    });
    assert.ok(crossing > 100, `blocks of ${chunk}: ${crossing} cases cross a block boundary`);
  }
});

const hardening = JSON.parse(readFileSync(new URL('./fixtures/hardening.json', import.meta.url), 'utf8')) as {
  bicubicWeights: { inSize: number; options: Record<string, unknown>; weights: (number | string)[] }[];
  bicubicSigns: {
    input: (number | string)[];
    inputShape: number[];
    options: Record<string, unknown>;
    output: (number | string)[];
  }[];
  backwardSigns: {
    inputShape: number[];
    options: Record<string, unknown>;
    gradOutput: (number | string)[];
    gradOutputShape: number[];
    gradInput: (number | string)[];
  }[];
};
const decode = (v: number | string): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0' ? -0 : (v as number);
const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

/** `actual` equals PyTorch's values, the sign of zero included (1e-6 off a non-zero value). */
function sameAsPyTorch(
  actual: ArrayLike<number>,
  expected: readonly (number | string)[],
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = decode(expected[i]!);
    const ok = Number.isNaN(b) ? Number.isNaN(a) : Object.is(a, b) || (b !== 0 && Math.abs(a - b) < 1e-6);
    assert.ok(ok, `${what} element ${i}: ${show(a)} vs PyTorch ${show(b)}`);
  }
}

test('bicubic weights bit for bit and the signs of zero, forward and backward, in blocks of 2 outputs', () => {
  chunked(2, (p) => {
    for (const c of hardening.bicubicWeights) {
      const n = c.inSize;
      const eye = zeros([n, 1, 1, n]);
      for (let i = 0; i < n; i++) eye.data[i * n + i] = 1;
      const y = lib.interpolate(eye, c.options as never);
      const want = c.weights.map(decode);
      for (let k = 0; k < want.length; k++)
        assert.ok(
          Object.is(y.data[k], want[k]),
          `${p} ${JSON.stringify(c.options)}: weight ${k} ${y.data[k]} vs ${want[k]}`,
        );
    }
    for (const c of hardening.bicubicSigns) {
      const y = lib.interpolate(tensor(c.input.map(decode), c.inputShape), c.options as never);
      sameAsPyTorch(y.data, c.output, `${p} ${JSON.stringify(c.options)} of ${JSON.stringify(c.input)}`);
    }
    for (const c of hardening.backwardSigns) {
      const x = zeros(c.inputShape, { requiresGrad: true });
      lib.interpolate(x, c.options as never).backward(tensor(c.gradOutput.map(decode), c.gradOutputShape));
      sameAsPyTorch(x.grad!.data, c.gradInput, `${p} ${JSON.stringify(c.options)} gradient`);
    }
  });
});

test('linear, 1-D, in blocks of 7: values and gradients of the closed form, every path', () => {
  const v = [1, -2, 0.5, 3];
  const n = 1000;
  for (const alignCorners of [false, true]) {
    chunked(7, (p) => {
      const x = tensor(v, [1, 1, 4], { requiresGrad: true });
      const y = lib.interpolate(x, { size: [n], mode: 'linear', alignCorners });
      for (let o = 0; o < n; o++) {
        const want = linearAt(v, n, o, alignCorners);
        assert.ok(
          Math.abs(y.data[o]! - want) < 1e-5,
          `${p} alignCorners ${alignCorners}: y[${o}] = ${y.data[o]}, ${want}`,
        );
      }
      // d Σ y·g / dx[i] = Σ_o g[o] · (weight of x[i] in y[o]), with g[o] = o % 3 − 1
      const g = Float32Array.from({ length: n }, (_, o) => (o % 3) - 1);
      y.backward(tensor(g, [1, 1, n]));
      for (let i = 0; i < 4; i++) {
        const e = v.map((_, j) => (j === i ? 1 : 0));
        let want = 0;
        for (let o = 0; o < n; o++) want += g[o]! * linearAt(e, n, o, alignCorners);
        assert.ok(
          Math.abs(x.grad!.data[i]! - want) < 1e-3,
          `${p} alignCorners ${alignCorners}: grad[${i}] = ${x.grad!.data[i]}, ${want}`,
        );
      }
    });
  }
});

test('a dimension of 2^31 − 1 outputs: taps per range, no whole table, closed-form indices and weights', () => {
  const n = 2 ** 31 - 1;
  for (const alignCorners of [false, true]) {
    const t0 = performance.now();
    const g = interpolateGeometry(
      interpolateParams('interpolate', { size: [n], mode: 'linear', alignCorners }),
      [1, 1, 4],
    );
    const t = g.forward[2];
    const ranged = tapsByInputRange(g.backward[2]);
    assert.ok(performance.now() - t0 < 1000, `geometry and backward taps in ${performance.now() - t0} ms`);
    assert.equal(t.outSize, n, 'outputs');
    assert.ok(ranged !== null, 'the backward taps come per range of their inputs');
    const check = (part: Taps, first: number): void => {
      for (let o = 0; o < part.outSize; o++) {
        const x = alignCorners
          ? Math.fround(3 / (n - 1)) * (first + o)
          : Math.max(Math.fround(4 / n) * (first + o + 0.5) - 0.5, 0);
        const i = Math.min(Math.floor(x), 3);
        const k = part.start[o]!;
        assert.deepEqual(
          [part.index[k], part.index[k + 1]],
          [i, Math.min(i + 1, 3)],
          `index of output ${first + o}`,
        );
        assert.ok(Math.abs(part.weight[k + 1]! - (x - i)) < 1e-7, `weight of output ${first + o}`);
        assert.ok(
          Math.abs(part.weight[k]! + part.weight[k + 1]! - 1) < 1e-7,
          `weights of output ${first + o} add up to 1`,
        );
      }
    };
    for (const first of [0, 2 ** 30 + 11, n - 5]) check(sliceTaps(t, first, first + 5), first);
    // the transposed taps of outputs [n − 5, n): all read input 3 (and alignCorners' last, input 2)
    const back = ranged(n - 5, n);
    assert.equal(back.outSize, 4, 'backward outputs: the input size');
    assert.equal(
      back.start[4]! - back.start[3]!,
      alignCorners ? 5 : 10,
      'taps of input 3 among the last 5 outputs',
    );
  }
});

test('a scratch allocation that fails is a DeconvError naming the op', () => {
  // the fast kernels' row cache (8 rows of the output's width, in float64) cannot be allocated
  // while the tap tables (2 per output) can
  const F64 = globalThis.Float64Array;
  const limit = 5000;
  class Limited extends F64 {
    constructor(...args: unknown[]) {
      if (typeof args[0] === 'number' && args[0] > limit)
        throw new RangeError('Array buffer allocation failed');
      super(...(args as [number]));
    }
  }
  for (const p of ['js'] as const) {
    lib.setKernelPath(p);
    const x = lib.randn([1, 1, 2, 4], { seed: 1 });
    globalThis.Float64Array = Limited as Float64ArrayConstructor;
    try {
      assert.throws(
        () => lib.interpolate(x, { size: [2, 1000], mode: 'bilinear' }),
        (e: unknown) => e instanceof DeconvError && e.fn === 'interpolate' && /scratch/.test(e.message),
        `${p}: a DeconvError of interpolate`,
      );
    } finally {
      globalThis.Float64Array = F64;
      lib.setKernelPath(savedPath);
    }
  }
});
