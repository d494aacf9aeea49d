/**
 * The resampling family's WebAssembly kernels (src/kernels/wasm/resample.ts, asm/resample.ts):
 * every build, every interpolate mode forward and backward, max unpooling and pixel (un)shuffle
 * give the reference kernels' values exactly (Object.is per element, the sign of zeros included,
 * on inputs with signed zeros among them), on sizes that hit the SIMD tails, with outputs
 * pre-filled with NaN; results
 * are bit-identical at 1, 2 and 3 threads with the split forced down; and the public ops on the
 * 'wasm' path equal the 'reference' path.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  randn,
  tensor,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  maxPool3d,
  maxUnpool3d,
  pixelShuffle,
  pixelUnshuffle,
  setKernelPath,
  getKernelPath,
  setNumThreads,
  getNumThreads,
  unfold,
  fold,
  type Tensor,
  type InterpolateOptions,
} from '../src/index.js';
import type { InterpolateGeometry } from '../src/geometry/interpolate.js';
import type { PoolGeometry } from '../src/geometry/pool.js';
import { interpolateGeometry, maxUnpoolGeometry, shuffleGeometry } from './geometry-of.js';
import { resample, pixelShuffleKernel } from '../src/kernels/ref/resample.js';
import { maxUnpoolRef, maxUnpoolBackwardRef } from '../src/kernels/ref/pool.js';
import {
  resampleWasm,
  pixelShuffleWasm,
  maxUnpoolWasm,
  maxUnpoolBackwardWasm,
  slidingPairs,
} from '../src/kernels/wasm/resample.js';
import { threadTuning } from '../src/kernels/wasm/split.js';
import { threadStats, startThreads, poolTuning } from '../src/kernels/wasm/threads.js';
import { WASM_VARIANTS, wasmSupport, wasmEngine, type WasmVariant } from '../src/kernels/wasm/loader.js';

const supported = WASM_VARIANTS.filter((v) => wasmSupport()[v]);
const savedTuning = { ...threadTuning };
const savedThreads = getNumThreads();
after(async () => {
  Object.assign(threadTuning, savedTuning);
  setKernelPath('fast');
  await setNumThreads(savedThreads);
});

const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
/** Random values with signed zeros among them (every 4th element −0, every 7th +0). */
const data = (shape: number[], seed: number): Float32Array => {
  const a = randn(shape, { seed }).data as Float32Array;
  for (let i = 0; i < a.length; i++)
    if (i % 7 === 0) a[i] = 0;
    else if (i % 4 === 0) a[i] = -0;
  return a;
};

/** Equal element by element (Object.is: the sign of a zero too). */
function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Object.is(x, y))
      assert.fail(
        `${what}: element ${i}: ${Object.is(x, -0) ? '-0' : x} vs reference ${Object.is(y, -0) ? '-0' : y}`,
      );
  }
}

/** Bit-identical (also the sign of zeros). */
function identical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]} (1 thread)`);
}

interface Case {
  shape: number[];
  options: InterpolateOptions;
}

const MODES_1D = ['nearest', 'nearest-exact', 'linear', 'area'] as const;
const MODES_2D = ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'] as const;
const MODES_3D = ['nearest', 'nearest-exact', 'trilinear', 'area'] as const;
const ALIGNABLE = new Set(['linear', 'bilinear', 'bicubic', 'trilinear']);

/** Every mode × alignCorners × 1-3 d, scaled up and down, odd sizes (SIMD tails). */
function cases(): Case[] {
  const out: Case[] = [];
  const add = (modes: readonly string[], shape: number[], sizing: InterpolateOptions[]): void => {
    for (const mode of modes)
      for (const align of ALIGNABLE.has(mode) ? [false, true] : [undefined])
        for (const s of sizing) {
          const options = { ...s, mode, ...(align === undefined ? {} : { alignCorners: align }) };
          out.push({ shape, options: options as InterpolateOptions });
        }
  };
  add(
    MODES_1D,
    [2, 3, 11],
    [{ scaleFactor: [2] }, { size: [23] }, { size: [5] }, { scaleFactor: [1.7] }, { size: [11] }],
  );
  add(
    MODES_2D,
    [2, 3, 7, 9],
    [
      { scaleFactor: 2 },
      { size: [13, 19] },
      { size: [4, 5] },
      { scaleFactor: [1.5, 0.6] },
      { size: [7, 9] },
      { size: [1, 21] },
    ],
  );
  add(MODES_3D, [1, 2, 3, 5, 7], [{ scaleFactor: 2 }, { size: [4, 7, 11] }, { size: [2, 3, 3] }]);
  return out;
}

function label(c: Case): string {
  return `${JSON.stringify(c.shape)} ${JSON.stringify(c.options)}`;
}

function geometryOf(c: Case): InterpolateGeometry {
  return interpolateGeometry('interpolate', randn(c.shape), c.options);
}

/** Forward and backward through the wasm kernel and the reference. */
function runResample(v: WasmVariant, c: Case, seed: number): { fw: Float32Array; bw: Float32Array } {
  const e = wasmEngine(v)!;
  const g = geometryOf(c);
  const x = data(g.inputShape as number[], seed);
  const gy = data(g.outputShape as number[], seed + 1);
  const fw = nan(gy.length);
  resampleWasm(e, x, fw, g.planes, g.forward);
  const bw = nan(x.length);
  resampleWasm(e, gy, bw, g.planes, g.backward);
  return { fw, bw };
}

for (const v of supported) {
  test(`wasm resample [${v}] equals the reference: every mode, forward and backward`, () => {
    const all = cases();
    let seed = 10;
    for (const c of all) {
      const g = geometryOf(c);
      const x = data(g.inputShape as number[], seed);
      const gy = data(g.outputShape as number[], seed + 1);
      const { fw, bw } = runResample(v, c, seed);
      const rf = nan(fw.length);
      resample(x, rf, g.planes, g.forward);
      const rb = nan(bw.length);
      resample(gy, rb, g.planes, g.backward);
      same(fw, rf, `${v} forward ${label(c)}`);
      same(bw, rb, `${v} backward ${label(c)}`);
      seed += 2;
    }
    assert.ok(all.length > 80, `only ${all.length} cases`);
  });

  test(`wasm maxUnpool [${v}] equals the reference, forward and backward`, () => {
    const e = wasmEngine(v)!;
    for (const [shape, k] of [
      [[2, 3, 9, 13], 2],
      [[1, 5, 7, 7], 3],
      [[3, 2, 11, 6], 2],
    ] as const) {
      const x = randn([...shape], { seed: shape[1] });
      const { output, indices } = maxPool2d(x, { kernelSize: k, returnIndices: true });
      const opts = { kernelSize: k, outputSize: shape.slice(2) };
      const g = maxUnpoolGeometry('maxUnpool2d', output, indices, opts, 2);
      checkUnpool(
        e,
        g,
        output.data as Float32Array,
        indices.data as Int32Array,
        `${v} ${JSON.stringify(shape)} k${k}`,
      );
      // random indices with repeats: the later input wins, in input order
      const rnd = new Int32Array(g.planes * g.inPlane);
      for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 7919 + 13) % g.outPlane;
      checkUnpool(e, g, output.data as Float32Array, rnd, `${v} ${JSON.stringify(shape)} k${k} repeats`);
    }
  });

  test(`wasm maxUnpool [${v}] refuses a plane with an index outside it before writing it`, () => {
    const e = wasmEngine(v)!;
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const ix = tensor([0, 3, 5, 15, -1, 16, 2, 15], [1, 2, 2, 2], { dtype: 'int32' });
    const g = maxUnpoolGeometry('maxUnpool2d', x, ix, { kernelSize: 2 }, 2);
    const y = nan(32);
    assert.equal(
      maxUnpoolWasm(e, g, x.data as Float32Array, ix.data as Int32Array, y),
      4,
      'the first bad index',
    );
    // y is an ordinary array here (the kernel wrote to scratch and stopped): nothing copied out;
    // written in place (a block), plane 0 would be, plane 1 never
    identical(y, nan(32), `${v} nothing written`);
    const good = tensor([0, 3, 5, 15, 1, 2, 2, 15], [1, 2, 2, 2], { dtype: 'int32' });
    assert.equal(
      maxUnpoolWasm(e, g, x.data as Float32Array, good.data as Int32Array, nan(32)),
      -1,
      'all good',
    );
    const gx = nan(8);
    const gy = Float32Array.from({ length: 32 }, (_, i) => i + 1);
    maxUnpoolBackwardWasm(e, g, gy, ix.data as Int32Array, gx);
    identical(gx, Float32Array.from([1, 4, 6, 16, 0, 0, 19, 32]), `${v} backward reads 0 outside`);
  });

  test(`wasm pixelShuffle [${v}] equals the reference, float32 and int32`, () => {
    const e = wasmEngine(v)!;
    for (const [shape, r] of [
      [[2, 12, 5, 11], 2],
      [[1, 18, 3, 4], 3],
      [[4, 9, 2], 1],
      [[2, 8, 9, 13], 2],
    ] as const) {
      for (const unshuffle of [false, true]) {
        const n = shape.length;
        // (*, C·r², H, W) <-> (*, C, H·r, W·r)
        const high = [
          ...shape.slice(0, n - 3),
          shape[n - 3]! / (r * r),
          shape[n - 2]! * r,
          shape[n - 1]! * r,
        ];
        const x = randn(unshuffle ? high : [...shape], { seed: r });
        const g = shuffleGeometry(unshuffle ? 'pixelUnshuffle' : 'pixelShuffle', x, r, unshuffle);
        const what = `${v} ${JSON.stringify(x.shape)} r${r} ${unshuffle ? 'unshuffle' : 'shuffle'}`;
        const src = x.data as Float32Array;
        const out = nan(src.length);
        pixelShuffleWasm(e, src, out, g, unshuffle);
        const ref = nan(src.length);
        pixelShuffleKernel(src, ref, g, unshuffle);
        identical(out, ref, what);
        const isrc = Int32Array.from(src, (_, i) => i * 31 - 7);
        const iout = new Int32Array(src.length).fill(-99);
        pixelShuffleWasm(e, isrc, iout, g, unshuffle);
        const iref = new Int32Array(src.length);
        pixelShuffleKernel(isrc, iref, g, unshuffle);
        assert.deepEqual(iout, iref, `${what} int32`);
      }
    }
  });
}

function checkUnpool(
  e: NonNullable<ReturnType<typeof wasmEngine>>,
  g: PoolGeometry,
  x: Float32Array,
  ix: Int32Array,
  what: string,
): void {
  const y = nan(g.planes * g.outPlane);
  maxUnpoolWasm(e, g, x, ix, y);
  const ry = nan(y.length);
  maxUnpoolRef(g, x, ix, ry);
  identical(y, ry, `${what} forward`);
  const gy = data([y.length], 3);
  const gx = nan(x.length);
  maxUnpoolBackwardWasm(e, g, gy, ix, gx);
  const rgx = nan(x.length);
  maxUnpoolBackwardRef(g, gy, ix, rgx);
  identical(gx, rgx, `${what} backward`);
}

/** Every kernel on a few geometries at the current thread count. */
function runThreaded(v: WasmVariant): Float32Array[] {
  const e = wasmEngine(v)!;
  const outs: Float32Array[] = [];
  const picks: Case[] = [
    { shape: [2, 3, 7, 9], options: { mode: 'bilinear', scaleFactor: 2 } },
    { shape: [2, 3, 7, 9], options: { mode: 'bicubic', size: [13, 19], alignCorners: true } },
    { shape: [2, 3, 7, 9], options: { mode: 'nearest', scaleFactor: 2 } },
    { shape: [2, 3, 7, 9], options: { mode: 'nearest', size: [5, 13] } },
    { shape: [1, 3, 3, 5, 7], options: { mode: 'trilinear', scaleFactor: 2 } },
    { shape: [1, 5, 3, 5, 7], options: { mode: 'area', size: [2, 3, 3] } },
  ];
  for (const c of picks) {
    const { fw, bw } = runResample(v, c, 5);
    outs.push(fw, bw);
  }
  const x = randn([2, 3, 9, 13], { seed: 4 });
  const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
  const g = maxUnpoolGeometry('maxUnpool2d', output, indices, { kernelSize: 2, outputSize: [9, 13] }, 2);
  const y = nan(g.planes * g.outPlane);
  maxUnpoolWasm(e, g, output.data as Float32Array, indices.data as Int32Array, y);
  const gx = nan(g.planes * g.inPlane);
  maxUnpoolBackwardWasm(e, g, y, indices.data as Int32Array, gx);
  const s = randn([2, 12, 5, 11], { seed: 6 });
  const sg = shuffleGeometry('pixelShuffle', s, 2, false);
  const sh = nan(s.size);
  pixelShuffleWasm(e, s.data as Float32Array, sh, sg, false);
  const ug = shuffleGeometry('pixelUnshuffle', randn([2, 3, 10, 22]), 2, true);
  const un = nan(s.size);
  pixelShuffleWasm(e, sh, un, ug, true);
  outs.push(y, gx, sh, un);
  return outs;
}

for (const v of supported)
  for (const claim of ['roundRobin', 'dynamic'] as const) {
    test(`wasm resampling kernels [${v}] are bit-identical at 1, 2 and 3 threads (${claim} claims)`, async () => {
      Object.assign(threadTuning, { minBytes: 0, minJobBytes: 0 });
      poolTuning.claim = claim;
      try {
        const runs: Float32Array[][] = [];
        for (const n of [1, 2, 3]) {
          assert.equal(await setNumThreads(n), n, `${n} threads start`);
          assert.equal(await startThreads(wasmEngine(v)!), n > 1, `the ${v} pool starts`);
          const before = threadStats.workerJobs;
          runs.push(runThreaded(v));
          const jobs = threadStats.workerJobs - before;
          // 12 resamples, 2 unpools, 2 shuffles: each split over every thread
          if (n === 1) assert.equal(jobs, 0, 'one thread runs no worker jobs');
          else if (claim === 'roundRobin')
            assert.ok(jobs >= 16 * (n - 1), `only ${jobs} jobs ran on workers at ${n} threads`);
        }
        for (const [t, run] of runs.entries())
          for (const [i, out] of run.entries())
            identical(out, runs[0]![i]!, `${v} output ${i} at ${t + 1} threads`);
      } finally {
        Object.assign(threadTuning, savedTuning);
        poolTuning.claim = 'dynamic';
        await setNumThreads(savedThreads);
      }
    });
  }

/** The op's output and its input's gradient (for a fixed output gradient) on the current path. */
function opRun(f: (x: Tensor) => Tensor, shape: number[], seed: number): [Float32Array, Float32Array] {
  const x = randn(shape, { seed, requiresGrad: true });
  const y = f(x);
  y.backward(randn([...y.shape], { seed: seed + 1 }));
  return [y.data as Float32Array, x.grad!.data as Float32Array];
}

test("public ops on the 'wasm' path equal the 'reference' path", () => {
  const ops: [string, (x: Tensor) => Tensor, number[]][] = [
    ['bilinear', (x) => interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), [2, 3, 9, 11]],
    ['bicubic', (x) => interpolate(x, { size: [7, 20], mode: 'bicubic', alignCorners: true }), [2, 3, 9, 11]],
    ['nearest', (x) => interpolate(x, { scaleFactor: 2 }), [2, 3, 9, 11]],
    ['nearest-exact', (x) => interpolate(x, { size: [5, 17], mode: 'nearest-exact' }), [2, 3, 9, 11]],
    ['trilinear', (x) => interpolate(x, { scaleFactor: 2, mode: 'trilinear' }), [1, 2, 3, 5, 7]],
    ['linear', (x) => interpolate(x, { size: 29, mode: 'linear' }), [2, 3, 13]],
    ['area', (x) => interpolate(x, { size: [4, 3], mode: 'area' }), [2, 3, 9, 11]],
    [
      'maxUnpool2d',
      (x) => {
        const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
        return maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [9, 13] });
      },
      [2, 3, 9, 13],
    ],
    [
      'maxUnpool3d',
      (x) => {
        const { output, indices } = maxPool3d(x, { kernelSize: 2, returnIndices: true });
        return maxUnpool3d(output, indices, { kernelSize: 2, outputSize: [4, 5, 7] });
      },
      [1, 2, 4, 5, 7],
    ],
    ['pixelShuffle', (x) => pixelShuffle(x, 2), [2, 12, 5, 7]],
    ['pixelUnshuffle', (x) => pixelUnshuffle(x, 3), [2, 2, 9, 6]],
  ];
  try {
    for (const [name, f, shape] of ops) {
      setKernelPath('wasm');
      const [y, gx] = opRun(f, shape, 3);
      setKernelPath('reference');
      const [ry, rgx] = opRun(f, shape, 3);
      same(y, ry, `${name} forward`);
      same(gx, rgx, `${name} backward`);
    }
  } finally {
    setKernelPath('fast');
  }
});

test("unfold / fold on the 'wasm' path: unfold equals the reference exactly, fold within float32 rounding, any thread count", async () => {
  const cases: [number[], Parameters<typeof unfold>[1]][] = [
    [[2, 3, 11], { kernelSize: [3], padding: [1] }],
    [[2, 5, 9, 7], { kernelSize: [3, 2], padding: [1, 0], stride: [2, 1], dilation: [1, 2] }],
    [[1, 3, 4, 5, 6], { kernelSize: [2, 2, 2], stride: [2, 2, 2], padding: [1, 1, 1] }],
    [[3, 9, 13], { kernelSize: [4], dilation: [3], padding: [2], stride: [3] }],
  ];
  const saved = getKernelPath();
  const tuning = { ...threadTuning };
  try {
    for (const [shape, options] of cases) {
      const x = randn(shape, { seed: shape.length });
      setKernelPath('reference');
      const u0 = unfold(x, options);
      const f0 = fold(u0, { ...options, outputSize: shape.slice(2) } as Parameters<typeof fold>[1]);
      Object.assign(threadTuning, { minBytes: 0, minJobBytes: 0 });
      for (const n of [1, 2]) {
        await setNumThreads(n);
        setKernelPath('wasm');
        const u = unfold(x, options);
        const f = fold(u0, { ...options, outputSize: shape.slice(2) } as Parameters<typeof fold>[1]);
        assert.deepEqual(u.shape, u0.shape, `unfold shape ${JSON.stringify(options)}`);
        for (let i = 0; i < u.size; i++)
          if (!Object.is(u.data[i], u0.data[i]))
            assert.fail(
              `unfold ${JSON.stringify(options)} at ${n} threads: element ${i}: ${u.data[i]} vs ${u0.data[i]}`,
            );
        for (let i = 0; i < f.size; i++)
          if (!(Math.abs(f.data[i]! - f0.data[i]!) <= 1e-5 * Math.max(1, Math.abs(f0.data[i]!))))
            assert.fail(
              `fold ${JSON.stringify(options)} at ${n} threads: element ${i}: ${f.data[i]} vs ${f0.data[i]}`,
            );
      }
    }
  } finally {
    setKernelPath(saved);
    Object.assign(threadTuning, tuning);
  }
});

test('×2 two-tap taps slide: the horizontal pass loads four source values per four outputs there', () => {
  // the cases above (widths 9, 11, 7 → 18, 22, 14) compare these runs bit for bit with the reference
  for (const [shape, mode, n] of [
    [[1, 1, 4, 9], 'bilinear', 18],
    [[1, 1, 11], 'linear', 22],
    [[1, 1, 2, 3, 7], 'trilinear', 14],
  ] as const) {
    const g = interpolateGeometry('interpolate', randn([...shape]), { mode, scaleFactor: 2 });
    assert.deepEqual(slidingPairs(g.forward[2]), [1, 1 + 4 * Math.floor((n - 2) / 4)], `${mode} ×2`);
  }
});

test('×2 sliding taps whose weights stop repeating: the run ends there, and the values stay the reference', () => {
  const g = interpolateGeometry('interpolate', randn([1, 1, 3, 13]), { mode: 'bilinear', scaleFactor: 2 });
  const t2 = g.forward[2];
  assert.deepEqual(slidingPairs(t2), [1, 25]);
  // the same indices, output 10's weights (0.7, 0.3) instead of (0.25, 0.75): a run of
  // repeating weights can reach output 9 at most, and is a multiple of 4 outputs long
  const weight = Float64Array.from(t2.weight);
  weight[20] = 0.7;
  weight[21] = 0.3;
  const odd = { ...t2, weight };
  assert.deepEqual(slidingPairs(odd), [1, 9]);
  matchesReference(g, [g.forward[0], g.forward[1], odd], 5, 'output 10 weighted (0.7, 0.3)');
});

/** resampleWasm on every build (outputs pre-filled with NaN) against the reference kernel. */
function matchesReference(
  g: InterpolateGeometry,
  taps: InterpolateGeometry['forward'],
  seed: number,
  what: string,
): void {
  const x = data(g.inputShape as number[], seed);
  const ref = new Float32Array((g.outputShape as number[]).reduce((a, b) => a * b, 1));
  resample(x, ref, g.planes, taps);
  for (const v of supported) {
    const out = nan(ref.length);
    resampleWasm(wasmEngine(v)!, x, out, g.planes, taps);
    same(out, ref, `[${v}] ${what}`);
  }
}

test('×2 sliding rows: bands of kept products give the reference bit for bit, across band ends and column tails', () => {
  // heights 40 and 70 → 80 and 140 output rows: the run of rows [1, 77) / [1, 137) spans 3 and 5
  // bands of 16 row pairs (src/kernels/wasm/resample.ts BAND_PAIRS), the last one partial; widths
  // 13 and 3 leave 2 and 2 columns to the scalar strip; scale 3 and bicubic do not slide
  for (const [shape, options] of [
    [[2, 3, 40, 13], { mode: 'bilinear', scaleFactor: 2 }],
    [[1, 2, 70, 3], { mode: 'bilinear', scaleFactor: 2 }],
    [[1, 2, 35, 8], { mode: 'bilinear', scaleFactor: [2, 3] }],
    [[1, 2, 37, 6], { mode: 'bicubic', scaleFactor: 2 }],
    [[1, 1, 34, 5, 4], { mode: 'trilinear', scaleFactor: 2 }],
  ] as const) {
    const g = interpolateGeometry('interpolate', randn([...shape]), options as InterpolateOptions);
    const taps = g.forward;
    if (options.mode === 'bilinear') {
      const rows = taps[1].outSize;
      assert.deepEqual(
        slidingPairs(taps[1]),
        [1, 1 + 4 * Math.floor((rows - 2) / 4)],
        `${shape}: rows slide`,
      );
    }
    matchesReference(g, taps, 11, `${options.mode} ${JSON.stringify(options.scaleFactor)} ${shape}`);
  }
});
