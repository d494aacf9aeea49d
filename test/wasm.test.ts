/**
 * The WebAssembly kernels against the reference kernels, for every build the engine runs
 * (relaxed SIMD, SIMD, scalar): sizes chosen to hit the vector and tile tails (odd channel counts
 * like 23, widths 2·lanes + 3 = 11, more than one K block, M and N blocks), 1×1 kernels, groups,
 * dilation, stride > kernel, 1-d and 3-d, with outputs pre-filled with NaN so that a skipped
 * element shows. Then the PyTorch conv fixtures replayed through the ops on the 'wasm' path, the
 * dispatch rules, and the generated module's freshness.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as lib from '../src/index.js';
import { randn, setKernelPath, getKernelPath } from '../src/index.js';
import type { ConvGeometry } from '../src/geometry/conv.js';
import { geometryOf, prod, type Case } from './conv-cases.js';
import { convGatherRef, convScatterRef, convWeightRef } from '../src/kernels/ref/conv.js';
import { convGatherWasm, convScatterCol2imWasm, convWeightWasm } from '../src/kernels/wasm/conv.js';
import { convScatterSubpixelWasm, subpixelApplies, subpixelStats } from '../src/kernels/wasm/subpixel.js';
import { im2colKind, wasmConvTuning } from '../src/kernels/wasm/slice.js';
import { GEMM_B_KIND } from '../src/kernels/wasm/layout.js';
import { threadTuning, tileRowsFor, tileTuning } from '../src/kernels/wasm/split.js';
import { startThreads } from '../src/kernels/wasm/threads.js';
import {
  WASM_VARIANTS,
  wasmSupport,
  wasmEngine,
  setWasmVariant,
  bestVariant,
  ready,
  type WasmEngine,
} from '../src/kernels/wasm/loader.js';
import { sourceHash } from '../src/kernels/wasm/binary.generated.js';
import { PARAMS, asmSourceHash, expectedParams } from '../scripts/build-wasm.js';

const supported = WASM_VARIANTS.filter((v) => wasmSupport()[v]);

function nanArray(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** |a − b| ≤ 1e-5 · max(1, max|b|) · max(1, √(terms / 256)): float32 sums against float64. */
function close(a: Float32Array, b: Float32Array, terms: number, what: string): void {
  assert.equal(a.length, b.length, what);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  const tol = 1e-5 * scale * Math.max(1, Math.sqrt(terms / 256));
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol))
      assert.fail(
        `${what}: element ${i} of ${a.length}: wasm ${a[i]} vs reference ${b[i]} (tolerance ${tol})`,
      );
  }
}

/** Every wasm kernel against its reference on one geometry. */
function checkKernels(e: WasmEngine, g: ConvGeometry, seed: number, label: string): void {
  const xn = g.batch * g.xChannels * prod(g.xSize);
  const yn = g.batch * g.yChannels * prod(g.ySize);
  const wn = (g.yChannels * g.xChannels * prod(g.kernel)) / g.groups;
  const x = randn([xn], { seed: seed + 1 }).data as Float32Array;
  const y = randn([yn], { seed: seed + 2 }).data as Float32Array;
  const w = randn([wn], { seed: seed + 3 }).data as Float32Array;
  const bx = randn([g.xChannels], { seed: seed + 4 }).data as Float32Array;
  const by = randn([g.yChannels], { seed: seed + 5 }).data as Float32Array;
  const kTerms = (g.xChannels / g.groups) * prod(g.kernel);
  const what = `${e.variant} ${label}`;

  for (const bias of [by, null]) {
    const [y1, y2] = [nanArray(yn), nanArray(yn)];
    convGatherRef(g, x, w, bias, y1);
    convGatherWasm(e, g, x, w, bias, y2);
    close(y2, y1, kTerms, `${what} gather${bias ? ' + bias' : ''}`);
  }
  for (const bias of [bx, null]) {
    const x1 = nanArray(xn);
    convScatterRef(g, y, w, bias, x1);
    const x2 = nanArray(xn);
    convScatterCol2imWasm(e, g, y, w, bias, x2);
    close(x2, x1, g.yChannels, `${what} scatter (col2im)${bias ? ' + bias' : ''}`);
    if (subpixelApplies(g)) {
      // the split with padding taps and the one without (exactBorders), whatever 'auto' picks
      for (const exact of [false, true]) {
        wasmConvTuning.exactBorders = exact;
        try {
          const x3 = nanArray(xn);
          convScatterSubpixelWasm(e, g, y, w, bias, x3);
          close(
            x3,
            x1,
            g.yChannels,
            `${what} scatter (sub-pixel${exact ? ', exact borders' : ''})${bias ? ' + bias' : ''}`,
          );
        } finally {
          wasmConvTuning.exactBorders = 'auto';
        }
      }
    }
  }
  const [w1, w2] = [nanArray(wn), nanArray(wn)];
  convWeightRef(g, x, y, w1);
  convWeightWasm(e, g, x, y, w2);
  close(w2, w1, g.batch * prod(g.ySize), `${what} weight`);
}

/** Hand-picked geometries that hit every tail and block boundary of the GEMM and the packers. */
const CASES: [string, Case][] = [
  [
    'conv2d 23→7 3×3 p1, width 11 (N tail, M tail)',
    { transposed: false, batch: 2, cin: 23, cout: 7, groups: 1, size: [5, 11], kernel: [3, 3], padding: 1 },
  ],
  [
    'conv2d 1×1, 23→9, 2·NR+3 wide',
    { transposed: false, batch: 1, cin: 23, cout: 9, groups: 1, size: [3, 19], kernel: [1, 1] },
  ],
  [
    'conv2d 23→5 4×4 (K = 368: two K blocks)',
    {
      transposed: false,
      batch: 1,
      cin: 23,
      cout: 5,
      groups: 1,
      size: [9, 11],
      kernel: [4, 4],
      stride: 1,
      padding: 2,
    },
  ],
  [
    'conv2d 3→130, 40×40 (N > NC, M > MC)',
    { transposed: false, batch: 1, cin: 3, cout: 130, groups: 1, size: [40, 40], kernel: [3, 3], padding: 1 },
  ],
  [
    'conv2d groups 3, dilation 2, stride 2',
    {
      transposed: false,
      batch: 2,
      cin: 3,
      cout: 5,
      groups: 3,
      size: [11, 9],
      kernel: [3, 3],
      stride: 2,
      dilation: 2,
      padding: 2,
    },
  ],
  [
    'conv1d stride 3 > kernel 2',
    { transposed: false, batch: 2, cin: 5, cout: 3, groups: 1, size: [23], kernel: [2], stride: 3 },
  ],
  [
    'conv3d 3×2×3 stride (2,1,3)',
    {
      transposed: false,
      batch: 1,
      cin: 3,
      cout: 5,
      groups: 1,
      size: [5, 4, 11],
      kernel: [3, 2, 3],
      stride: [2, 1, 3],
      padding: [1, 0, 1],
    },
  ],
  [
    'convT2d 23→7 k4 s2 p1 (DCGAN shape)',
    {
      transposed: true,
      batch: 2,
      cin: 23,
      cout: 7,
      groups: 1,
      size: [5, 11],
      kernel: [4, 4],
      stride: 2,
      padding: 1,
    },
  ],
  [
    'convT2d k2 s2 (U-Net shape), 1 channel',
    { transposed: true, batch: 3, cin: 1, cout: 1, groups: 1, size: [4, 11], kernel: [2, 2], stride: 2 },
  ],
  [
    'convT2d k2 s2 (U-Net shape), rows of 2·NR: the GEMM stores x itself (phases2x2)',
    { transposed: true, batch: 3, cin: 12, cout: 10, groups: 2, size: [3, 16], kernel: [2, 2], stride: 2 },
  ],
  [
    'convT2d k2 s2, rows of NR, 261 input channels: K past one block, C stored by phaseStore',
    { transposed: true, batch: 1, cin: 261, cout: 3, groups: 1, size: [2, 8], kernel: [2, 2], stride: 2 },
  ],
  [
    'convT2d k8 s4 p2 output padding 3',
    {
      transposed: true,
      batch: 1,
      cin: 3,
      cout: 5,
      groups: 1,
      size: [3, 4],
      kernel: [8, 8],
      stride: 4,
      padding: 2,
      outputPadding: 3,
    },
  ],
  [
    'convT2d stride 3 > kernel 2',
    { transposed: true, batch: 2, cin: 5, cout: 3, groups: 1, size: [4, 11], kernel: [2, 2], stride: 3 },
  ],
  [
    'convT2d groups 3, dilation 2',
    {
      transposed: true,
      batch: 1,
      cin: 3,
      cout: 2,
      groups: 3,
      size: [5, 11],
      kernel: [3, 3],
      stride: 2,
      dilation: 2,
      padding: 1,
      outputPadding: 1,
    },
  ],
  [
    'convT2d padding ≥ stride (negative phase padding)',
    {
      transposed: true,
      batch: 1,
      cin: 4,
      cout: 5,
      groups: 1,
      size: [6, 7],
      kernel: [5, 5],
      stride: 2,
      padding: 4,
    },
  ],
  [
    'convT1d 23→7 k3 s2, width 11',
    {
      transposed: true,
      batch: 2,
      cin: 23,
      cout: 7,
      groups: 1,
      size: [11],
      kernel: [3],
      stride: 2,
      padding: 1,
    },
  ],
  [
    'convT3d k(2,3,4) s(2,1,3)',
    {
      transposed: true,
      batch: 1,
      cin: 3,
      cout: 4,
      groups: 1,
      size: [3, 4, 5],
      kernel: [2, 3, 4],
      stride: [2, 1, 3],
      padding: [0, 1, 1],
    },
  ],
  [
    'conv2d 37→7 3×3 p1, width 16 (B read in place, two K blocks)',
    { transposed: false, batch: 2, cin: 37, cout: 7, groups: 1, size: [5, 16], kernel: [3, 3], padding: 1 },
  ],
  [
    'conv1d 5→6 k3 p1, width 24 (B read in place)',
    { transposed: false, batch: 3, cin: 5, cout: 6, groups: 1, size: [24], kernel: [3], padding: 1 },
  ],
  [
    'convT2d 23→9 k4 s2 p1 on 5×8 (phases read y in place)',
    {
      transposed: true,
      batch: 2,
      cin: 23,
      cout: 9,
      groups: 1,
      size: [5, 8],
      kernel: [4, 4],
      stride: 2,
      padding: 1,
    },
  ],
  [
    'convT2d k8 s4, width 11 (classes of 4 residues: transposed stores)',
    {
      transposed: true,
      batch: 2,
      cin: 5,
      cout: 6,
      groups: 1,
      size: [3, 11],
      kernel: [8, 8],
      stride: 4,
    },
  ],
  [
    'convT2d k32 s16 p8, groups 2 (classes of 16 residues: transposed GEMM, weights in place)',
    {
      transposed: true,
      batch: 2,
      cin: 3,
      cout: 5,
      groups: 2,
      size: [3, 4],
      kernel: [32, 32],
      stride: 16,
      padding: 8,
    },
  ],
  [
    'convT1d k16 s8 (one class of 8 residues: transposed GEMM)',
    { transposed: true, batch: 3, cin: 7, cout: 9, groups: 1, size: [5], kernel: [16], stride: 8 },
  ],
  [
    'convT1d k16 s8, 150 channels (transposed GEMM over two K blocks, stored into x in place)',
    { transposed: true, batch: 2, cin: 150, cout: 3, groups: 1, size: [4], kernel: [16], stride: 8 },
  ],
  [
    'convT3d k(3,2,16) s(2,1,8) p(1,0,4), groups 3 (3-D transposed classes)',
    {
      transposed: true,
      batch: 2,
      cin: 6,
      cout: 3,
      groups: 3,
      size: [3, 2, 4],
      kernel: [3, 2, 16],
      stride: [2, 1, 8],
      padding: [1, 0, 4],
    },
  ],
  [
    'convT2d FCN-like k16 s8 p4, 7×7',
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
];

test('an im2col operand is read in place up to directMaxBytes of x, packed beyond', () => {
  const e = wasmEngine(supported[0]!)!;
  // W1's sub-pixel operand: 256 channels of a padded 18 × 18 y (1296 bytes each), b1 and b16
  const b1 = {
    stride: [1, 1, 1],
    ySize: [1, 16, 16],
    channelStride: 324,
    channels: 256,
    batchCount: 1,
  } as const;
  assert.equal(im2colKind(e, b1), GEMM_B_KIND.direct, '330 KB');
  assert.equal(im2colKind(e, { ...b1, batchCount: 16 }), GEMM_B_KIND.im2col, '5.3 MB');
  const saved = wasmConvTuning.directMaxBytes;
  try {
    wasmConvTuning.directMaxBytes = 4 * 256 * 324;
    assert.equal(im2colKind(e, b1), GEMM_B_KIND.direct, 'at the limit');
    wasmConvTuning.directMaxBytes -= 4;
    assert.equal(im2colKind(e, b1), GEMM_B_KIND.im2col, 'one float over');
  } finally {
    wasmConvTuning.directMaxBytes = saved;
  }
});

for (const variant of supported) {
  test(`wasm kernels [${variant}] equal the reference on tail-hitting geometries`, () => {
    const e = wasmEngine(variant);
    assert.ok(e, `the ${variant} build does not load`);
    try {
      // the default plans, then packed B and untransposed sub-pixel classes everywhere
      for (const fast of [true, false]) {
        wasmConvTuning.directB = fast;
        wasmConvTuning.transposedSubpixel = fast;
        CASES.forEach(([label, c], i) =>
          checkKernels(
            e,
            geometryOf(c, 10 * i),
            10 * i,
            `${label}${fast ? '' : ' (B packed, rows (c, phase))'}`,
          ),
        );
      }
    } finally {
      wasmConvTuning.directB = true;
      wasmConvTuning.transposedSubpixel = true;
    }
  });

  /** How much subpixelStats[counter] grows in one sub-pixel call on the case labelled `label`. */
  const counted = (counter: keyof typeof subpixelStats, label: string): number => {
    const e = wasmEngine(variant)!;
    const c = CASES.find(([l]) => l.startsWith(label))![1];
    const g = geometryOf(c, 0);
    const before = subpixelStats[counter];
    convScatterSubpixelWasm(
      e,
      g,
      randn([g.batch * g.yChannels * prod(g.ySize)]).data as Float32Array,
      randn([(g.yChannels * g.xChannels * prod(g.kernel)) / g.groups]).data as Float32Array,
      null,
      nanArray(g.batch * g.xChannels * prod(g.xSize)),
    );
    return subpixelStats[counter] - before;
  };

  test(`wasm kernels [${variant}]: a k2 s2 transposed conv with rows of NR positions stores x from its GEMM`, () => {
    const runs = (label: string): number => counted('gemmStores', label);
    // 3 batch elements × 2 groups, one GEMM each (the batch splits into GEMMs of about
    // SUBPIXEL_COLUMNS columns; these are far narrower, so one per group)
    assert.ok(runs('convT2d k2 s2 (U-Net shape), rows of 2·NR') >= 2);
    assert.equal(runs('convT2d k2 s2, rows of NR, 261 input channels'), 0);
    assert.equal(runs('convT2d k2 s2 (U-Net shape), 1 channel'), 0);
  });

  test(`wasm kernels [${variant}]: a k4 s2 transposed conv stores its two residues along x in one pass`, () => {
    const pairs = (label: string): number => counted('pairedStores', label);
    // its values are checked on the tail-hitting geometries (the same case)
    assert.ok(pairs('convT2d 23→7 k4 s2 p1 (DCGAN shape)') >= 1);
    // stride 3 along x: no neighbouring residues to zip
    assert.equal(pairs('convT2d stride 3 > kernel 2'), 0);
  });

  test(`wasm kernels [${variant}] equal the reference on random geometries`, () => {
    const e = wasmEngine(variant)!;
    let checked = 0;
    fc.assert(
      fc.property(
        fc.record({
          transposed: fc.boolean(),
          d: fc.integer({ min: 1, max: 3 }),
          groups: fc.constantFrom(1, 2),
          cin: fc.constantFrom(1, 3, 5),
          cout: fc.constantFrom(1, 4, 7),
          size: fc.constantFrom(1, 4, 11, 19),
          k: fc.integer({ min: 1, max: 4 }),
          s: fc.integer({ min: 1, max: 3 }),
          dil: fc.integer({ min: 1, max: 2 }),
          p: fc.integer({ min: 0, max: 2 }),
          batch: fc.integer({ min: 1, max: 2 }),
          seed: fc.nat(1000),
        }),
        (r) => {
          const size = Array.from({ length: r.d }, (_, i) => (i === r.d - 1 ? r.size : Math.min(r.size, 5)));
          let g: ConvGeometry;
          try {
            g = geometryOf(
              {
                transposed: r.transposed,
                batch: r.batch,
                cin: r.cin,
                cout: r.cout,
                groups: r.groups,
                size,
                kernel: new Array<number>(r.d).fill(r.k),
                stride: r.s,
                padding: r.p,
                dilation: r.dil,
              },
              r.seed,
            );
          } catch {
            return; // not a valid convolution: not a kernel case
          }
          checked++;
          checkKernels(e, g, r.seed, JSON.stringify(r));
        },
      ),
      { numRuns: 40, seed: 42 },
    );
    assert.ok(checked > 15, `only ${checked} random geometries were valid`);
  });
}

/** The three weight-packing kernels' outputs (with bias) on one geometry, outputs pre-filled with NaN. */
function kernelOutputs(e: WasmEngine, g: ConvGeometry, seed: number): Float32Array[] {
  const xn = g.batch * g.xChannels * prod(g.xSize);
  const yn = g.batch * g.yChannels * prod(g.ySize);
  const x = randn([xn], { seed: seed + 1 }).data as Float32Array;
  const y = randn([yn], { seed: seed + 2 }).data as Float32Array;
  const w = randn([(g.yChannels * g.xChannels * prod(g.kernel)) / g.groups], { seed: seed + 3 })
    .data as Float32Array;
  const bx = randn([g.xChannels], { seed: seed + 4 }).data as Float32Array;
  const by = randn([g.yChannels], { seed: seed + 5 }).data as Float32Array;
  const out = [nanArray(yn), nanArray(xn), nanArray((g.xChannels * prod(g.kernel) * g.yChannels) / g.groups)];
  convGatherWasm(e, g, x, w, by, out[0]!);
  convScatterCol2imWasm(e, g, y, w, bx, out[1]!);
  convWeightWasm(e, g, x, y, out[2]!);
  if (subpixelApplies(g)) {
    out.push(nanArray(xn));
    convScatterSubpixelWasm(e, g, y, w, bx, out[3]!);
  }
  return out;
}

test('tile rows: the relaxed build takes the 5-row tile where padding to 5 costs less; the others keep 4', () => {
  for (const v of supported) {
    const e = wasmEngine(v)!;
    assert.equal(e.MR, 4, `${v}: MR`);
    assert.equal(e.tileRowsWide, v === 'relaxed' ? 5 : 4, `${v}: the wider tile`);
    // 1.08 · roundUp(M, 4) against roundUp(M, 5): W3's 36, 6 and 1 rows stay on 4
    const expect: [number, number][] = [
      [1, 4],
      [4, 4],
      [5, 5],
      [6, 4],
      [9, 5],
      [36, 4],
      [64, 5],
      [128, 5],
      [256, 5],
      [1024, 5],
    ];
    for (const [M, rows] of expect)
      assert.equal(tileRowsFor(e, M), v === 'relaxed' ? rows : 4, `${v}: M = ${M}`);
  }
});

if (supported.includes('relaxed'))
  test('wasm kernels [relaxed] on the 5-row tile: equal the reference, bit-identical to the 4-row tile at 1 and 2 threads (forced splits)', async () => {
    const e = wasmEngine('relaxed')!;
    const saved = { ...threadTuning };
    const savedThreads = lib.getNumThreads();
    try {
      tileTuning.rows = 'wide';
      CASES.forEach(([label, c], i) =>
        checkKernels(e, geometryOf(c, 10 * i), 10 * i, `${label} (5-row tiles)`),
      );
      for (const threads of [1, 2]) {
        await lib.setNumThreads(threads);
        assert.equal(await startThreads(e), threads > 1, `the relaxed pool starts with ${threads} threads`);
        if (threads > 1)
          Object.assign(threadTuning, {
            minMacs: 0,
            minPanels: 1,
            minBytes: 0,
            minJobMacs: 0,
            minJobBytes: 0,
          });
        CASES.forEach(([label, c], i) => {
          const g = geometryOf(c, 10 * i);
          tileTuning.rows = 'narrow';
          const narrow = kernelOutputs(e, g, 10 * i);
          tileTuning.rows = 'wide';
          const wide = kernelOutputs(e, g, 10 * i);
          narrow.forEach((a, k) => {
            const b = wide[k]!;
            for (let j = 0; j < a.length; j++)
              if (!Object.is(a[j], b[j]))
                assert.fail(`${label} ${threads}T kernel ${k}: element ${j}: 4-row ${a[j]} vs 5-row ${b[j]}`);
          });
        });
        Object.assign(threadTuning, saved);
      }
    } finally {
      tileTuning.rows = 'auto';
      Object.assign(threadTuning, saved);
      await lib.setNumThreads(savedThreads);
    }
  });

test('feature detection: SIMD in Node 20, relaxed SIMD where V8 has it, scalar everywhere', () => {
  const s = wasmSupport();
  assert.equal(s.scalar, true);
  assert.equal(s.simd, true, 'Node 20 runs WebAssembly SIMD');
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 20 || (major === 20 && minor >= 16))
    assert.equal(s.relaxed, true, 'relaxed SIMD (flag set through process.getBuiltinModule)');
  for (const v of supported)
    assert.equal(wasmEngine(v)!.fns.variant(), { scalar: 0, simd: 1, relaxed: 2 }[v]);
  assert.equal(bestVariant(), supported[0]);
});

test('ready() resolves to the build the fast path uses', async () => {
  assert.equal(await ready(), bestVariant());
});

test('the generated module matches asm/ (run npm run build:wasm after editing asm/)', () => {
  assert.equal(sourceHash, asmSourceHash());
});

test('asm/params.ts is the record layout of src/kernels/wasm/layout.ts (npm run build:wasm)', async () => {
  assert.equal(readFileSync(PARAMS, 'utf8'), await expectedParams(), 'asm/params.ts is stale');
});

test('results are deterministic and memory does not grow over repeated calls', () => {
  const c: Case = {
    transposed: true,
    batch: 2,
    cin: 23,
    cout: 7,
    groups: 1,
    size: [9, 11],
    kernel: [4, 4],
    stride: 2,
    padding: 1,
  };
  const g = geometryOf(c, 3);
  const e = wasmEngine(supported[0]!)!;
  const y = randn([g.batch * g.yChannels * prod(g.ySize)], { seed: 1 }).data as Float32Array;
  const w = randn([(g.yChannels * g.xChannels * prod(g.kernel)) / g.groups], { seed: 2 })
    .data as Float32Array;
  const n = g.batch * g.xChannels * prod(g.xSize);
  const first = nanArray(n);
  convScatterSubpixelWasm(e, g, y, w, null, first);
  const bytes = e.fns.memory.buffer.byteLength;
  for (let i = 0; i < 50; i++) {
    const again = nanArray(n);
    convScatterSubpixelWasm(e, g, y, w, null, again);
    assert.deepEqual(again, first);
  }
  assert.equal(e.fns.memory.buffer.byteLength, bytes);
});

test("dispatch: 'wasm' and 'js' paths through the ops equal 'reference', gradients included", () => {
  const saved = getKernelPath();
  try {
    const x = randn([2, 23, 9, 11], { seed: 5, requiresGrad: true });
    const w = randn([23, 7, 4, 4], { seed: 6, requiresGrad: true });
    const b = randn([7], { seed: 7, requiresGrad: true });
    const gy = randn([2, 7, 18, 22], { seed: 8 });
    const run = (path: Parameters<typeof setKernelPath>[0]): Float32Array[] => {
      setKernelPath(path);
      for (const t of [x, w, b]) t.grad = null;
      const out = lib.convTranspose2d(x, w, { bias: b, stride: 2, padding: 1 });
      out.backward(gy);
      return [out, x.grad!, w.grad!, b.grad!].map((t) => t.data as Float32Array);
    };
    const ref = run('reference');
    for (const path of ['wasm', 'js', 'fast'] as const) {
      const got = run(path);
      got.forEach((t, i) => close(t, ref[i]!, 23 * 16 * 4, `${path} tensor ${i}`));
    }
  } finally {
    setKernelPath(saved);
  }
});

test("dispatch: float64 data (gradient checks) runs on the 'wasm' path through the JS kernels", () => {
  const saved = getKernelPath();
  try {
    setKernelPath('wasm');
    const x = randn([1, 3, 5, 6], { seed: 1, dtype: 'float64', requiresGrad: true });
    const w = randn([3, 2, 3, 3], { seed: 2, dtype: 'float64', requiresGrad: true });
    const r = lib.gradcheck((a, b) => lib.convTranspose2d(a!, b!, { stride: 2 }), [x, w]);
    assert.ok(r.ok, r.message);
  } finally {
    setKernelPath(saved);
  }
});

test('setKernelPath and setWasmVariant reject unknown names', () => {
  assert.throws(() => setKernelPath('gpu' as never), /setKernelPath: path = gpu must be/);
  assert.throws(() => setWasmVariant('avx512' as never), /setWasmVariant: variant = avx512 must be/);
});

// The PyTorch fixtures on the 'wasm' path, once per build: test/fixtures.test.ts.

test('the WebAssembly path ran (not a silent fallback)', () => {
  assert.ok(supported.length >= 2, `only ${supported.join(', ')} supported`);
  const e = wasmEngine(supported[0]!)!;
  assert.ok(e.fns.memory.buffer.byteLength > 65536, 'the engine never allocated memory');
});
