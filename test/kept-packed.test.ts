/**
 * Packed weights kept between calls (Tensor.keepPacked, src/kernels/wasm/kept.ts): a marked
 * weight gives results bit-identical to an unmarked one on every kernel that packs weights (gather,
 * col2im, sub-pixel as A, transposed sub-pixel as B packed whole, with several K blocks and
 * groups), every build and 1 or 2 threads with forced splits, on the call that packs and on the
 * calls that reuse; every library write path and markModified() drop the copies (the next call
 * computes with the new values); dispose, keepPacked(false) and releaseWasmMemory give them back;
 * no growth over 10⁴ calls.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2d,
  convTranspose2d,
  gradcheck,
  nn,
  randn,
  releaseWasmMemory,
  setNumThreads,
  getNumThreads,
  storageStats,
  tensor,
  DeconvError,
  getKernelPath,
  setKernelPath,
  type KernelPath,
  type Tensor,
} from '../src/index.js';
import type { ConvGeometry } from '../src/geometry/conv.js';
import { geometryOf, prod, type Case } from './conv-cases.js';
import { convGatherWasm, convScatterCol2imWasm } from '../src/kernels/wasm/conv.js';
import { convScatterSubpixelWasm, subpixelApplies, subpixelStats } from '../src/kernels/wasm/subpixel.js';
import { threadTuning } from '../src/kernels/wasm/split.js';
import { startThreads } from '../src/kernels/wasm/threads.js';
import { WASM_VARIANTS, wasmSupport, wasmEngine, defaultEngine } from '../src/kernels/wasm/loader.js';
import { MAX_PACKED_COPIES, packedCopy } from '../src/storage.js';

const supported = WASM_VARIANTS.filter((v) => wasmSupport()[v]);
const saved = { ...threadTuning };
const savedThreads = getNumThreads();
const FORCED = { minMacs: 0, minPanels: 1, minBytes: 0, minJobMacs: 0, minJobBytes: 0 };
after(async () => {
  Object.assign(threadTuning, saved);
  await setNumThreads(savedThreads);
});

function identical(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
}

const CASES: [string, Case][] = [
  [
    'conv 23→37 3×3 p1 on 13×29',
    { transposed: false, batch: 2, cin: 23, cout: 37, groups: 1, size: [13, 29], kernel: [3, 3], padding: 1 },
  ],
  [
    'convT 19→11 k4 s2 p1 (sub-pixel, weights as A)',
    {
      transposed: true,
      batch: 3,
      cin: 19,
      cout: 11,
      groups: 1,
      size: [9, 16],
      kernel: [4, 4],
      stride: 2,
      padding: 1,
    },
  ],
  [
    'convT 5→5 k16 s8 (transposed sub-pixel, weights as B packed whole)',
    { transposed: true, batch: 2, cin: 5, cout: 5, groups: 1, size: [4, 4], kernel: [16, 16], stride: 8 },
  ],
  [
    'convT 70→3 k16 s8 (transposed sub-pixel, two K blocks)',
    { transposed: true, batch: 1, cin: 70, cout: 3, groups: 1, size: [3, 3], kernel: [16, 16], stride: 8 },
  ],
  [
    'grouped convT 8→6 ×2 groups k4 s2',
    { transposed: true, batch: 2, cin: 8, cout: 6, groups: 2, size: [7, 5], kernel: [4, 4], stride: 2 },
  ],
  [
    'grouped conv 8→12 ×2 groups k3',
    { transposed: false, batch: 2, cin: 8, cout: 12, groups: 2, size: [9, 11], kernel: [3, 3], padding: 1 },
  ],
];

type Kernel = 'gather' | 'col2im' | 'subpixel';

/** Runs the weight-packing kernels of g with weight `w`; outputs pre-filled with NaN. */
function runKernels(
  variant: (typeof supported)[number],
  g: ConvGeometry,
  w: Float32Array,
  seed: number,
): Record<Kernel, Float32Array | null> {
  const e = wasmEngine(variant)!;
  const xn = g.batch * g.xChannels * prod(g.xSize);
  const yn = g.batch * g.yChannels * prod(g.ySize);
  const x = randn([xn], { seed: seed + 1 }).data as Float32Array;
  const y = randn([yn], { seed: seed + 2 }).data as Float32Array;
  const bx = randn([g.xChannels], { seed: seed + 4 }).data as Float32Array;
  const by = randn([g.yChannels], { seed: seed + 5 }).data as Float32Array;
  const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
  const gather = nan(yn);
  convGatherWasm(e, g, x, w, by, gather);
  const col2im = nan(xn);
  convScatterCol2imWasm(e, g, y, w, bx, col2im);
  let subpixel: Float32Array | null = null;
  if (subpixelApplies(g)) {
    subpixel = nan(xn);
    convScatterSubpixelWasm(e, g, y, w, bx, subpixel);
  }
  return { gather, col2im, subpixel };
}

for (const variant of supported)
  test(`[${variant}] a kept packed weight gives bit-identical results (1 and 2 threads, forced splits)`, async () => {
    Object.assign(threadTuning, FORCED);
    try {
      for (const threads of [1, 2]) {
        assert.equal(await setNumThreads(threads), threads, `${threads} threads`);
        assert.equal(await startThreads(wasmEngine(variant)!), threads > 1, `the ${variant} pool starts`);
        for (const [i, [label, c]] of CASES.entries()) {
          const g = geometryOf(c);
          const wn = (g.yChannels * g.xChannels * prod(g.kernel)) / g.groups;
          const marked = randn([wn], { seed: 100 + i }).keepPacked();
          const plain = tensor(marked.data, [wn]); // the same values, not marked
          const what = `${variant} ${threads}T ${label}`;
          const expected = runKernels(variant, g, plain.data as Float32Array, i);
          const before = storageStats().packedBytes;
          const first = runKernels(variant, g, marked.data as Float32Array, i); // packs and keeps
          assert.ok(storageStats().packedBytes > before, `${what}: packed copies are kept`);
          const kept = storageStats().packedBytes;
          const second = runKernels(variant, g, marked.data as Float32Array, i); // reuses
          assert.equal(storageStats().packedBytes, kept, `${what}: the second call packs nothing new`);
          for (const k of ['gather', 'col2im', 'subpixel'] as const) {
            if (expected[k] === null) continue;
            identical(first[k]!, expected[k], `${what} ${k}: the packing call`);
            identical(second[k]!, expected[k], `${what} ${k}: the reusing call`);
          }
          marked.dispose();
          assert.equal(storageStats().packedBytes, before, `${what}: dispose gives the copies back`);
          plain.dispose();
        }
      }
    } finally {
      Object.assign(threadTuning, saved);
    }
  });

/** convTranspose2d of the W3 kind (transposed sub-pixel) and conv2d, with weight w. */
const W3 = { stride: 8 } as const;
function both(x: Tensor, xc: Tensor, wt: Tensor, wc: Tensor): [Float32Array, Float32Array] {
  return [
    convTranspose2d(x, wt, W3).data as Float32Array,
    conv2d(xc, wc, { padding: 1 }).data as Float32Array,
  ];
}

/** Asserts that the marked weights give what fresh, unmarked copies of their current values give. */
function checkCurrent(x: Tensor, xc: Tensor, wt: Tensor, wc: Tensor, what: string): void {
  const [a, b] = both(x, xc, wt, wc);
  const [ea, eb] = both(x, xc, tensor(wt.data, wt.shape), tensor(wc.data, wc.shape));
  identical(a, ea, `${what}: convTranspose2d`);
  identical(b, eb, `${what}: conv2d`);
}

test('every write path drops the kept copies: the next call uses the new values', () => {
  const x = randn([1, 6, 4, 4], { seed: 1 });
  const xc = randn([2, 12, 10, 10], { seed: 2 });
  const wt = randn([6, 4, 16, 16], { seed: 3, requiresGrad: true }).keepPacked();
  const wc = randn([12, 12, 3, 3], { seed: 4, requiresGrad: true }).keepPacked();
  const none = storageStats().packedBytes;
  checkCurrent(x, xc, wt, wc, 'first use');
  const base = storageStats().packedBytes;
  assert.ok(base > none, 'copies are kept');
  const paths: [string, () => void][] = [
    [
      'markModified after a direct write',
      () => {
        wt.data[5] = 3;
        wc.data.fill(0.25, 10, 40);
        wt.markModified();
        wc.markModified();
      },
    ],
    [
      'SGD.step',
      () => {
        const y = convTranspose2d(x, wt, W3)
          .sum()
          .add(conv2d(xc, wc, { padding: 1 }).sum());
        y.backward();
        new nn.SGD([wt, wc], { lr: 0.1, momentum: 0.9 }).step();
      },
    ],
    [
      'Adam.step',
      () => {
        wt.grad = null;
        wc.grad = null;
        convTranspose2d(x, wt, W3)
          .square()
          .sum()
          .add(conv2d(xc, wc, { padding: 1 }).sum())
          .backward();
        new nn.Adam([wt, wc], { lr: 0.01 }).step();
      },
    ],
    [
      'nn.init',
      () => {
        nn.init.normal(wt, 0, 0.1);
        nn.init.kaimingUniform(wc);
      },
    ],
    [
      'loadStateDict',
      () => {
        const m = new nn.ConvTranspose2d({
          inChannels: 6,
          outChannels: 4,
          kernelSize: 16,
          stride: 8,
          bias: false,
        });
        m.weight.data.set(randn([6, 4, 16, 16], { seed: 9 }).data);
        const target = new nn.ConvTranspose2d({
          inChannels: 6,
          outChannels: 4,
          kernelSize: 16,
          stride: 8,
          bias: false,
        });
        target.weight.keepPacked();
        convTranspose2d(x, target.weight, W3);
        assert.ok(storageStats().packedBytes > base, 'the target keeps its copies');
        target.loadStateDict(m.stateDict());
        const got = convTranspose2d(x, target.weight, W3).data;
        const want = convTranspose2d(x, tensor(m.weight.data, m.weight.shape), W3).data;
        identical(got, want, 'loadStateDict: the loaded values are used');
        // and the pair above stays under test too
        wt.data.set(m.weight.data);
        wt.markModified();
      },
    ],
  ];
  for (const [what, write] of paths) {
    // the copies are in use (a call between writes packs them again)
    both(x, xc, wt, wc);
    assert.ok(storageStats().packedBytes >= base, `${what}: kept before the write`);
    write();
    checkCurrent(x, xc, wt, wc, what);
  }
});

test('gradcheck announces its perturbations; keepPacked checks its argument', () => {
  // float64 inputs (gradcheck's) never live in WebAssembly memory: marking them keeps nothing,
  // and gradcheck is still right
  const x = randn([1, 2, 5, 5], { seed: 5, dtype: 'float64', requiresGrad: true });
  const w = randn([2, 3, 4, 4], { seed: 6, dtype: 'float64', requiresGrad: true }).keepPacked();
  const r = gradcheck((a, b) => convTranspose2d(a!, b!, { stride: 2 }), [x, w]);
  assert.ok(r.ok, `gradcheck: ${r.message}`);
  assert.throws(
    () => w.keepPacked('yes' as unknown as boolean),
    (e: unknown) => e instanceof DeconvError && e.argument === 'keep',
    'keepPacked refuses a non-boolean, naming keep',
  );
  const d = randn([64, 64], { seed: 7 });
  d.dispose();
  assert.throws(
    () => d.keepPacked(),
    (e: unknown) => e instanceof DeconvError && /disposed/.test(e.message),
    'keepPacked refuses a disposed tensor',
  );
});

test('keepPacked(false), dispose and releaseWasmMemory give the copies back', () => {
  const x = randn([1, 6, 4, 4], { seed: 1 });
  const w = randn([6, 4, 16, 16], { seed: 3 }).keepPacked();
  const before = storageStats().packedBytes;
  const y0 = convTranspose2d(x, w, W3).data.slice();
  assert.ok(storageStats().packedBytes > before, 'kept');
  w.keepPacked(false);
  assert.equal(storageStats().packedBytes, before, 'keepPacked(false) drops them');
  convTranspose2d(x, w, W3);
  assert.equal(storageStats().packedBytes, before, 'and keeps no more');
  w.keepPacked();
  convTranspose2d(x, w, W3);
  const shared = w.detach();
  assert.ok(storageStats().packedBytes > before, 'kept again');
  shared.dispose();
  assert.ok(storageStats().packedBytes > before, 'a sharer’s dispose keeps them');
  const old = defaultEngine()!;
  releaseWasmMemory();
  assert.equal(storageStats().packedBytes, 0, 'releaseWasmMemory drops them (every storage’s)');
  assert.notEqual(defaultEngine(), old, 'a fresh engine');
  identical(convTranspose2d(x, w, W3).data, y0, 'after releaseWasmMemory: still the same values');
  assert.ok(storageStats().packedBytes > 0, 'packed again in the new engine');
  w.dispose();
  assert.equal(storageStats().packedBytes, 0, 'dispose gives them back');
});

test('a weight used with more geometries than MAX_PACKED_COPIES keeps its newest packings and its finiteness', () => {
  const w = randn([16, 8, 4, 4], { seed: 11 }).keepPacked(); // 8 KiB: pool storage
  const plain = w.clone();
  const x = randn([1, 16, 5, 7], { seed: 12 });
  // sub-pixel geometries, one packing each (and one finiteness scan for all)
  const geometries: { stride: number | number[] }[] = [
    { stride: 2 },
    { stride: 3 },
    { stride: 4 },
    { stride: [2, 3] },
    { stride: [3, 2] },
  ];
  assert.ok(geometries.length > MAX_PACKED_COPIES);
  const base = storageStats().packedBytes;
  const sizes: number[] = [];
  for (const o of geometries) {
    const before = storageStats().packedBytes;
    identical(convTranspose2d(x, w, o).data, convTranspose2d(x, plain, o).data, JSON.stringify(o));
    sizes.push(storageStats().packedBytes - before);
    assert.equal(
      packedCopy(w.data, 'allFinite')?.allFinite,
      true,
      `${JSON.stringify(o)}: the finiteness stays`,
    );
  }
  // the fifth packing pushed the first out (the finiteness, of no bytes, stays): its call added
  // its own packing, as on a fresh weight, less the first one's
  const alone = (() => {
    const other = randn([16, 8, 4, 4], { seed: 13 }).keepPacked();
    const before = storageStats().packedBytes;
    convTranspose2d(x, other, geometries[4]!);
    const added = storageStats().packedBytes - before;
    other.dispose();
    return added;
  })();
  assert.ok(
    sizes.every((b, i) => i === MAX_PACKED_COPIES || b > 0),
    `each packing kept: ${sizes.join(', ')}`,
  );
  assert.ok(alone > 0, 'the fifth geometry packs too');
  assert.equal(sizes[MAX_PACKED_COPIES], alone - sizes[0]!, 'the fifth packing replaced the first');
  const bytes = storageStats().packedBytes;
  identical(
    convTranspose2d(x, w, geometries[4]!).data,
    convTranspose2d(x, plain, geometries[4]!).data,
    'again',
  );
  assert.equal(storageStats().packedBytes, bytes, 'the newest packing is kept');
  w.dispose();
  plain.dispose();
  assert.equal(storageStats().packedBytes, base);
});

test('no growth over 10⁴ calls with a kept weight, modified every 100 calls', () => {
  const e = defaultEngine()!;
  const x = randn([1, 6, 4, 4], { seed: 11 });
  const w = randn([6, 4, 16, 16], { seed: 12 }).keepPacked();
  const step = (i: number): void => {
    if (i % 100 === 0) {
      const j = i % w.size;
      w.data[j] = w.data[j]! + 1e-3;
      w.markModified();
    }
    convTranspose2d(x, w, W3).dispose();
  };
  for (let i = 0; i < 200; i++) step(i);
  const memory0 = e.fns.memory.buffer.byteLength;
  const arena0 = e.arenaBytes;
  const packed0 = storageStats().packedBytes;
  for (let i = 0; i < 10_000; i++) step(i);
  assert.equal(e.fns.memory.buffer.byteLength, memory0, 'memory did not grow');
  assert.equal(e.arenaBytes, arena0, 'the arena did not grow');
  assert.equal(storageStats().packedBytes, packed0, 'the kept copies did not grow');
  const y = convTranspose2d(x, w, W3);
  identical(y.data, convTranspose2d(x, tensor(w.data, w.shape), W3).data, 'still the current values');
  w.dispose();
});

/**
 * A kept weight's finiteness is kept with its packings (kept.ts weightsFinite), so it must go with
 * them: after an Inf is written and markModified() called, the sub-pixel call splits its borders
 * off again and an Inf tap that meets the padding leaves those outputs finite, as the reference
 * (and PyTorch's col2im) compute them.
 */
test('a kept weight made non-finite: the next call computes with exact borders', () => {
  const run = (path: KernelPath, w: Tensor): Tensor => {
    const saved = getKernelPath();
    setKernelPath(path);
    try {
      return convTranspose2d(randn([1, 4, 6, 8], { seed: 41 }), w, { stride: 2, padding: 1 });
    } finally {
      setKernelPath(saved);
    }
  };
  const w = randn([4, 3, 4, 4], { seed: 42 }).keepPacked();
  assert.ok(Array.from(run('wasm', w).data).every(Number.isFinite), 'finite weights, finite output');
  (w.data as Float32Array)[0] = Infinity;
  w.markModified();
  const y = run('wasm', w);
  const ref = run('reference', tensor(Array.from(w.data), [...w.shape]));
  assert.ok(
    Array.from(ref.data).some((v) => v === Infinity),
    'the Inf tap reaches some outputs',
  );
  assert.ok(!Array.from(ref.data).some(Number.isNaN), 'and makes no NaN in the reference');
  for (let i = 0; i < ref.size; i++) {
    const [a, b] = [y.data[i]!, ref.data[i]!];
    assert.ok(a === b || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `element ${i}: ${a} vs ${b}`);
  }
});

test('one kept weight packed for two tile heights: a call that stores x from its GEMM (4-row tiles) and one that does not (5-row tiles on the relaxed build) each get their own packing', () => {
  // convT k2 s2, 20 output channels: the class GEMM has 80 rows (c, phase), 5-row tiles where the
  // build has them; an 8 × 8 input has rows of NR positions, so its GEMM stores x itself (GEMM
  // phases2x2), which needs 4-row tiles; a 9 × 9 input does not. 80 rows pack to the same size
  // in 4- and 5-row panels, so only the tile rows in the packing's key tell the two apart.
  const w = randn([16, 20, 2, 2], { seed: 51 }).keepPacked(); // 5 KB: pool storage, which keeps packings
  const plain = tensor(w.data, [...w.shape]);
  const before = subpixelStats.gemmStores;
  const packedBefore = storageStats().packedBytes;
  for (const [i, size] of [8, 9, 8, 9].entries()) {
    const x = randn([2, 16, size, size], { seed: 52 + i });
    const got = convTranspose2d(x, w, { stride: 2 }).data;
    const expected = convTranspose2d(x, plain, { stride: 2 }).data;
    identical(got, expected, `call ${i + 1}, ${size} × ${size} input`);
  }
  assert.ok(storageStats().packedBytes > packedBefore, 'the weight keeps its packings');
  assert.ok(subpixelStats.gemmStores > before, 'the 8 × 8 calls store x from their GEMM');
  w.dispose();
  plain.dispose();
});
