/**
 * The worker pool (src/kernels/wasm/threads.ts): every WebAssembly kernel gives bit-identical
 * results for 1, 2 and 3 threads, with the split thresholds forced down so that small,
 * tail-hitting geometries are split too (GEMM by columns and by rows, stores, col2im and padded
 * copies by channels), on every build; the results also equal the reference within float32
 * tolerance (checked on one thread count: the others are identical to it). Then setNumThreads'
 * argument checks and what it resolves to, and the ops' results through the public API at the
 * default thresholds on workload-sized inputs.
 */
import { test, after } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randn, convTranspose2d, conv2d, DeconvError, type Tensor } from '../src/index.js';
import { setNumThreads, getNumThreads } from '../src/index.js';
import type { ConvGeometry } from '../src/geometry/conv.js';
import { geometryOf, prod, type Case } from './conv-cases.js';
import { convGatherRef, convScatterRef, convWeightRef } from '../src/kernels/ref/conv.js';
import { convGatherWasm, convScatterCol2imWasm, convWeightWasm } from '../src/kernels/wasm/conv.js';
import { wasmConvTuning } from '../src/kernels/wasm/slice.js';
import { convScatterSubpixelWasm, subpixelApplies } from '../src/kernels/wasm/subpixel.js';
import { threadTuning } from '../src/kernels/wasm/split.js';
import { threadStats, startThreads, poolTuning } from '../src/kernels/wasm/threads.js';
import {
  WASM_VARIANTS,
  wasmSupport,
  wasmEngine,
  sharedMemorySupported,
  newEngine,
} from '../src/kernels/wasm/loader.js';

const supported = WASM_VARIANTS.filter((v) => wasmSupport()[v]);
const saved = { ...threadTuning };
const savedThreads = getNumThreads();
/** Thresholds forced down: small, tail-hitting geometries split, into runs of single panels or units. */
const FORCED = { minMacs: 0, minPanels: 1, minBytes: 0, minJobMacs: 0, minJobBytes: 0 };
after(async () => {
  Object.assign(threadTuning, saved);
  poolTuning.claim = 'dynamic';
  await setNumThreads(savedThreads);
});

type Outputs = Record<string, Float32Array>;

/** Every wasm kernel on geometry g with the current thread count; outputs pre-filled with NaN. */
function runAll(variant: (typeof supported)[number], g: ConvGeometry, seed: number): Outputs {
  const e = wasmEngine(variant)!;
  const xn = g.batch * g.xChannels * prod(g.xSize);
  const yn = g.batch * g.yChannels * prod(g.ySize);
  const wn = (g.yChannels * g.xChannels * prod(g.kernel)) / g.groups;
  const x = randn([xn], { seed: seed + 1 }).data as Float32Array;
  const y = randn([yn], { seed: seed + 2 }).data as Float32Array;
  const w = randn([wn], { seed: seed + 3 }).data as Float32Array;
  const bx = randn([g.xChannels], { seed: seed + 4 }).data as Float32Array;
  const by = randn([g.yChannels], { seed: seed + 5 }).data as Float32Array;
  const out: Outputs = {};
  const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
  out.gather = nan(yn);
  convGatherWasm(e, g, x, w, by, out.gather);
  out.col2im = nan(xn);
  convScatterCol2imWasm(e, g, y, w, bx, out.col2im);
  if (subpixelApplies(g)) {
    out.subpixel = nan(xn);
    convScatterSubpixelWasm(e, g, y, w, bx, out.subpixel);
    // the split without padding taps (transposed interior classes with fused stores), forced
    wasmConvTuning.exactBorders = true;
    try {
      out.subpixelExact = nan(xn);
      convScatterSubpixelWasm(e, g, y, w, bx, out.subpixelExact);
    } finally {
      wasmConvTuning.exactBorders = 'auto';
    }
  }
  out.weight = nan(wn);
  convWeightWasm(e, g, x, y, out.weight);
  // the reference, for the tolerance check
  out.refGather = nan(yn);
  convGatherRef(g, x, w, by, out.refGather);
  out.refScatter = nan(xn);
  convScatterRef(g, y, w, bx, out.refScatter);
  out.refWeight = nan(wn);
  convWeightRef(g, x, y, out.refWeight);
  return out;
}

function identical(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]} (1 thread)`);
}

function close(a: Float32Array, b: Float32Array, what: string): void {
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i]! - b[i]!) <= 2e-4 * scale))
      assert.fail(`${what}: element ${i}: ${a[i]} vs reference ${b[i]}`);
}

/** Runs every kernel at 1, 2 and 3 threads and compares. */
async function compareThreads(
  variant: (typeof supported)[number],
  c: Case,
  seed: number,
  label: string,
  requireSplit = true,
) {
  const g = geometryOf(c);
  const runs: Outputs[] = [];
  for (const n of [1, 2, 3]) {
    assert.equal(await setNumThreads(n), n, `${n} threads start`);
    assert.equal(await startThreads(wasmEngine(variant)!), n > 1, `the ${variant} pool starts`);
    const before = threadStats.workerJobs;
    runs.push(runAll(variant, g, seed));
    const jobs = threadStats.workerJobs - before;
    // 4 kernels, each with at least one GEMM split across every thread (dynamic claims: a worker
    // may take none of a step's jobs, and then the caller runs them all)
    if (n === 1) assert.equal(jobs, 0, 'one thread runs no worker jobs');
    else if (requireSplit && poolTuning.claim === 'roundRobin')
      assert.ok(jobs >= 4 * (n - 1), `${label}: only ${jobs} jobs ran on workers at ${n} threads`);
  }
  const [one] = runs as [Outputs];
  close(one.gather!, one.refGather!, `${variant} ${label} gather`);
  close(one.col2im!, one.refScatter!, `${variant} ${label} col2im`);
  if (one.subpixel) close(one.subpixel, one.refScatter!, `${variant} ${label} subpixel`);
  if (one.subpixelExact)
    close(one.subpixelExact, one.refScatter!, `${variant} ${label} subpixel, exact borders`);
  close(one.weight!, one.refWeight!, `${variant} ${label} weight`);
  runs.slice(1).forEach((r, i) => {
    for (const k of Object.keys(one))
      if (!k.startsWith('ref')) identical(r[k]!, one[k]!, `${variant} ${label} ${k} at ${i + 2} threads`);
  });
}

const CASES: [string, Case][] = [
  [
    'convT2d k2 s2 (U-Net shape) stored by the GEMM (phases2x2)',
    { transposed: true, batch: 2, cin: 16, cout: 24, groups: 1, size: [4, 32], kernel: [2, 2], stride: 2 },
  ],
  [
    'conv 23→37 3×3 p1 on 13×29 (M, N tails)',
    { transposed: false, batch: 2, cin: 23, cout: 37, groups: 1, size: [13, 29], kernel: [3, 3], padding: 1 },
  ],
  [
    'convT 19→11 k4 s2 p1 on 9×16 (sub-pixel, in-place B)',
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
    'convT 5→5 k16 s8 p4 (transposed sub-pixel classes, K blocks)',
    {
      transposed: true,
      batch: 2,
      cin: 5,
      cout: 5,
      groups: 1,
      size: [3, 3],
      kernel: [16, 16],
      stride: 8,
      padding: 4,
    },
  ],
  [
    'grouped, dilated 3-d conv',
    {
      transposed: false,
      batch: 2,
      cin: 3,
      cout: 5,
      groups: 2,
      size: [4, 5, 11],
      kernel: [2, 3, 3],
      dilation: 2,
      padding: 2,
    },
  ],
];

test('sharedMemorySupported: Node has shared WebAssembly memory', () => {
  assert.equal(sharedMemorySupported(), true, 'Node 20 has SharedArrayBuffer');
  assert.ok(
    wasmEngine(supported[0]!)!.fns.memory.buffer instanceof SharedArrayBuffer,
    'the memory is shared',
  );
});

test('without shared memory (browsers off cross-origin isolation) a plain-memory build runs alone', async () => {
  const c: Case = CASES[1]![1];
  const g = geometryOf(c);
  const plain = newEngine(supported[0]!, false);
  assert.ok(
    !(plain.fns.memory.buffer instanceof SharedArrayBuffer),
    'the rewritten import is a plain memory',
  );
  assert.equal(await startThreads(plain), false, 'no pool on a plain memory');
  const xn = g.batch * g.xChannels * prod(g.xSize);
  const y = randn([g.batch * g.yChannels * prod(g.ySize)], { seed: 2 }).data as Float32Array;
  const w = randn([(g.yChannels * g.xChannels * prod(g.kernel)) / g.groups], { seed: 3 })
    .data as Float32Array;
  const [a, b] = [new Float32Array(xn).fill(NaN), new Float32Array(xn).fill(NaN)];
  convScatterSubpixelWasm(plain, g, y, w, null, a);
  convScatterSubpixelWasm(wasmEngine(supported[0]!)!, g, y, w, null, b);
  identical(a, b, 'plain memory vs shared memory');
});

for (const variant of supported)
  for (const claim of ['roundRobin', 'dynamic'] as const) {
    test(`[${variant}] kernels are bit-identical for 1, 2 and 3 threads (forced splits, ${claim} claims)`, async () => {
      Object.assign(threadTuning, FORCED);
      poolTuning.claim = claim;
      try {
        for (const [i, [label, c]] of CASES.entries()) await compareThreads(variant, c, 10 * i, label);
      } finally {
        Object.assign(threadTuning, saved);
        poolTuning.claim = 'dynamic';
      }
    });
  }

test('random geometries: bit-identical for 1, 2 and 3 threads (forced splits, round-robin claims)', async () => {
  Object.assign(threadTuning, FORCED);
  poolTuning.claim = 'roundRobin';
  const variant = supported[0]!;
  const cases = fc.sample(
    fc.record({
      transposed: fc.boolean(),
      d: fc.integer({ min: 1, max: 3 }),
      groups: fc.constantFrom(1, 2),
      cin: fc.constantFrom(1, 3, 9),
      cout: fc.constantFrom(1, 4, 13),
      size: fc.constantFrom(4, 11, 19),
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      dil: fc.integer({ min: 1, max: 2 }),
      p: fc.integer({ min: 0, max: 2 }),
      batch: fc.integer({ min: 1, max: 3 }),
    }),
    { numRuns: 24, seed: 7 },
  );
  let checked = 0;
  const before = threadStats.workerJobs;
  try {
    for (const [i, r] of cases.entries()) {
      const c: Case = {
        transposed: r.transposed,
        batch: r.batch,
        cin: r.cin,
        cout: r.cout,
        groups: r.groups,
        size: Array.from({ length: r.d }, (_, j) => (j === r.d - 1 ? r.size : Math.min(r.size, 5))),
        kernel: new Array<number>(r.d).fill(r.k),
        stride: r.s,
        padding: r.p,
        dilation: r.dil,
      };
      try {
        geometryOf(c);
      } catch {
        continue; // not a valid convolution
      }
      checked++;
      await compareThreads(variant, c, i, JSON.stringify(r), false);
    }
  } finally {
    Object.assign(threadTuning, saved);
    poolTuning.claim = 'dynamic';
  }
  assert.ok(checked >= 10, `only ${checked} random geometries were valid`);
  assert.ok(threadStats.workerJobs - before > 2 * checked, 'the random geometries were split across threads');
});

test('setNumThreads checks its argument and resolves to the threads that run', async () => {
  for (const bad of [0, -1, 1.5, NaN, 65, '2' as unknown as number]) {
    await assert.rejects(
      async () => setNumThreads(bad),
      (e: unknown) => e instanceof DeconvError && /setNumThreads/.test(e.message) && /\bn\b/.test(e.message),
      `setNumThreads(${String(bad)}) must reject with a DeconvError naming n`,
    );
  }
  assert.equal(await setNumThreads(2), 2);
  assert.equal(getNumThreads(), 2);
  assert.equal(await setNumThreads(1), 1);
  assert.equal(getNumThreads(), 1);
});

test('ops at the default thresholds: workload-sized calls agree across thread counts', async () => {
  const x = randn([1, 64, 16, 16], { seed: 1 });
  const w = randn([64, 32, 4, 4], { seed: 2 });
  const x6 = randn([1, 32, 32, 32], { seed: 3 });
  const w6 = randn([32, 32, 3, 3], { seed: 4 });
  const run = (): Tensor[] => [
    convTranspose2d(x, w, { stride: 2, padding: 1 }),
    conv2d(x6, w6, { dilation: 2, padding: 'same' }),
  ];
  await setNumThreads(1);
  const one = run();
  await setNumThreads(2);
  const before = threadStats.parallelSteps;
  const two = run();
  assert.ok(threadStats.parallelSteps > before, 'workload-sized calls run in parallel');
  one.forEach((t, i) => identical(two[i]!.data as Float32Array, t.data as Float32Array, `op ${i}`));
});

test('the README states split.ts thread thresholds (one constant, cited once)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  const exp = Math.floor(Math.log10(saved.minMacs));
  const sup = [...String(exp)].map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]).join('');
  const macs = `${saved.minMacs / 10 ** exp}·10${sup} multiply-adds`;
  const bytes = `${saved.minBytes / 1024} KiB`;
  assert.ok(readme.includes(`below ${macs}`), `README cites ${macs}`);
  assert.ok(readme.includes(`less than ${bytes}`), `README cites ${bytes}`);
});
