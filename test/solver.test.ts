/**
 * The transposed-convolution parameter solver: hand-checked cases, every result verified with
 * convTransposeOutputSize, the complete list and its order against a brute-force search, fixed
 * options respected, multi-dimensional combination, the even-overlap flag against an actual
 * transposed convolution, and every error path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { convTransposeOutputSize, convTranspose1d, ones } from '../src/index.js';
import { solveConvTranspose, hasEvenOverlap, type ConvTransposeConfig } from '../src/geometry/solver.js';
import { throwsArg } from './throws.js';

const short = (c: ConvTransposeConfig): string =>
  c.kernelSize
    .map((k, j) => `k${k} s${c.stride[j]} p${c.padding[j]} a${c.outputPadding[j]} d${c.dilation[j]}`)
    .join(' | ');

interface Fixed {
  k?: number;
  s?: number;
  p?: number;
  a?: number;
  d?: number;
}

/** Every 1-d configuration within the documented bounds, by brute force, in the documented order. */
function bruteForce(i: number, o: number, f: Fixed): string[] {
  const out: { key: number[]; text: string }[] = [];
  const ds = f.d !== undefined ? [f.d] : [1, 2, 3];
  const ss = f.s !== undefined ? [f.s] : Array.from({ length: o }, (_, n) => n + 1);
  const ks = f.k !== undefined ? [f.k] : Array.from({ length: o }, (_, n) => n + 1);
  for (const d of ds)
    for (const s of ss)
      for (const k of ks) {
        const effK = d * (k - 1) + 1;
        const ps = f.p !== undefined ? [f.p] : Array.from({ length: effK }, (_, n) => n);
        const as = f.a !== undefined ? [f.a] : Array.from({ length: Math.max(s, d) }, (_, n) => n);
        for (const p of ps)
          for (const a of as) {
            if (a >= Math.max(s, d)) continue;
            if (s * (i - 1) - 2 * p + d * (k - 1) + 1 + a !== o) continue;
            const uneven = hasEvenOverlap({ kernelSize: k, stride: s, dilation: d }) ? 0 : 1;
            out.push({ key: [d, a, uneven, k + p, p, s], text: `k${k} s${s} p${p} a${a} d${d}` });
          }
      }
  out.sort((x, y) => {
    for (let j = 0; j < x.key.length; j++) if (x.key[j] !== y.key[j]) return x.key[j]! - y.key[j]!;
    return 0;
  });
  return out.map((e) => e.text);
}

test('7 → 28 starts with k4 s4 p0, and a hand-checked list', () => {
  const r = solveConvTranspose({ inputSize: 7, outputSize: 28 });
  assert.deepEqual(r[0], {
    kernelSize: [4],
    stride: [4],
    padding: [0],
    outputPadding: [0],
    dilation: [1],
    evenOverlap: true,
  });
  // o = 6s + k − 2p: no checkerboard first (k a multiple of s), then k + p ascending
  assert.deepEqual(r.slice(0, 5).map(short), [
    'k4 s4 p0 a0 d1',
    'k8 s4 p2 a0 d1',
    'k12 s3 p1 a0 d1',
    'k16 s2 p0 a0 d1',
    'k12 s4 p4 a0 d1',
  ]);
  assert.ok(
    r.slice(0, 7).every((c) => c.evenOverlap),
    'the checkerboard-free ones first',
  );
  const at = (text: string): number => r.map(short).indexOf(text);
  assert.ok(at('k8 s4 p2 a0 d1') < at('k22 s1 p0 a0 d1'), 'k8 s4 p2 before k22 s1');
  assert.ok(at('k10 s3 p0 a0 d1') > at('k22 s1 p0 a0 d1'), 'uneven k10 s3 after the even ones');
  // DCGAN's 16 → 32 with k4 s2 is padding 1: 2p = 3d − 1 + a
  assert.deepEqual(
    solveConvTranspose({ inputSize: 16, outputSize: 32, kernelSize: 4, stride: 2 }).map(short),
    ['k4 s2 p1 a0 d1', 'k4 s2 p3 a1 d2', 'k4 s2 p4 a0 d3', 'k4 s2 p5 a2 d3'],
  );
  // k3 s2 needs outputPadding 1 to double 14: 2·13 − 2 + 3 + 1 = 28
  assert.equal(
    short(solveConvTranspose({ inputSize: 14, outputSize: 28, kernelSize: 3, stride: 2, dilation: 1 })[0]!),
    'k3 s2 p1 a1 d1',
  );
  // i = 1: the stride does not matter, every stride up to the output size is listed
  assert.deepEqual(
    solveConvTranspose({ inputSize: 1, outputSize: 4, dilation: 1, outputPadding: 0, padding: 0 }).map(short),
    ['k4 s1 p0 a0 d1', 'k4 s2 p0 a0 d1', 'k4 s4 p0 a0 d1', 'k4 s3 p0 a0 d1'], // s3: uneven overlap
  );
  // identity: 5 → 5 is k1 s1 p0 first
  assert.equal(short(solveConvTranspose({ inputSize: 5, outputSize: 5 })[0]!), 'k1 s1 p0 a0 d1');
  // shrinking needs padding, and beyond what padding < kernel allows there is nothing
  assert.deepEqual(solveConvTranspose({ inputSize: 28, outputSize: 7 }), []);
  // 6 → 4: 5 − 2p + d(k − 1) + 1 = 4 with p ≤ d(k − 1) needs p = 2, d(k − 1) = 2
  assert.equal(short(solveConvTranspose({ inputSize: 6, outputSize: 4 })[0]!), 'k3 s1 p2 a0 d1');
  // 5 → 12 with s2 k1: 9 − 2p + a = 12 needs a ≥ 3, not below max(stride 2, dilation ≤ 3)
  assert.deepEqual(solveConvTranspose({ inputSize: 5, outputSize: 12, stride: 2, kernelSize: 1 }), []);
  assert.equal(
    short(solveConvTranspose({ inputSize: 5, outputSize: 11, stride: 2, kernelSize: 1 })[0]!),
    'k1 s2 p0 a2 d3',
  );
});

test('the list is complete and ordered: equal to a brute-force search within the bounds', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 20 }),
      fc.record(
        {
          k: fc.integer({ min: 1, max: 6 }),
          s: fc.integer({ min: 1, max: 5 }),
          p: fc.integer({ min: 0, max: 4 }),
          a: fc.integer({ min: 0, max: 3 }),
          d: fc.integer({ min: 1, max: 3 }),
        },
        { requiredKeys: [] },
      ),
      (i, o, fixed) => {
        if (
          fixed.a !== undefined &&
          fixed.s !== undefined &&
          fixed.d !== undefined &&
          fixed.a >= Math.max(fixed.s, fixed.d)
        ) {
          return; // refused with an error (tested below)
        }
        const r = solveConvTranspose({
          inputSize: i,
          outputSize: o,
          kernelSize: fixed.k,
          stride: fixed.s,
          padding: fixed.p,
          outputPadding: fixed.a,
          dilation: fixed.d,
          maxResults: 100000,
        });
        const expected = bruteForce(i, o, fixed);
        assert.deepEqual(r.map(short), expected);
        for (const c of r) {
          assert.deepEqual(convTransposeOutputSize({ inputSize: i, ...c }), [o]);
          if (fixed.k !== undefined) assert.equal(c.kernelSize[0], fixed.k);
          if (fixed.s !== undefined) assert.equal(c.stride[0], fixed.s);
          if (fixed.p !== undefined) assert.equal(c.padding[0], fixed.p);
          if (fixed.a !== undefined) assert.equal(c.outputPadding[0], fixed.a);
          if (fixed.d !== undefined) assert.equal(c.dilation[0], fixed.d);
        }
      },
    ),
    { numRuns: 150, seed: 31 },
  );
});

test('large fixed dilations, paddings and kernels: still equal to the brute-force search', () => {
  // exercises the search's skips: outputPaddings between the bands of the size equation, the
  // first kernel size with a solution found from the strides nearest R / m, parities
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 16 }),
      fc.record(
        {
          k: fc.integer({ min: 1, max: 16 }),
          s: fc.integer({ min: 1, max: 16 }),
          p: fc.integer({ min: 0, max: 60 }),
          d: fc.integer({ min: 1, max: 12 }),
        },
        { requiredKeys: ['d'] },
      ),
      (i, o, fixed) => {
        const r = solveConvTranspose({
          inputSize: i,
          outputSize: o,
          kernelSize: fixed.k,
          stride: fixed.s,
          padding: fixed.p,
          dilation: fixed.d,
          maxResults: 100000,
        });
        assert.deepEqual(r.map(short), bruteForce(i, o, fixed), `${i} → ${o} ${JSON.stringify(fixed)}`);
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

test('the search bounds its own work: every call answers quickly, however large the options', () => {
  const calls: Parameters<typeof solveConvTranspose>[0][] = [
    { inputSize: 7, outputSize: 100000, dilation: 1024 }, // took 15 s
    { inputSize: 7, outputSize: 28, dilation: 2 ** 24 }, // took 139 s
    { inputSize: 7, outputSize: 28, padding: 2 ** 24 },
    { inputSize: 548, outputSize: 10777, padding: 5370411, dilation: 8564875 },
    { inputSize: 2710373, outputSize: 12131664, kernelSize: 2211 },
    { inputSize: 1, outputSize: 2 ** 24, kernelSize: 1 },
    { inputSize: 2 ** 24, outputSize: 2 ** 24 },
    { inputSize: [7, 9, 11], outputSize: [2 ** 24, 2 ** 24 - 1, 2 ** 24 - 2], maxResults: 100000 },
  ];
  for (const c of calls) {
    const t0 = performance.now();
    const r = solveConvTranspose(c);
    const ms = performance.now() - t0;
    assert.ok(ms < 4000, `${JSON.stringify(c)}: ${ms.toFixed(0)} ms`);
    for (const x of r.slice(0, 50))
      assert.deepEqual(convTransposeOutputSize({ inputSize: c.inputSize, ...x }), [c.outputSize].flat());
  }
  // the first of 7 → 100000 with dilation 1024 (a must be odd: 6s − 2p = −353 − a), by hand
  assert.equal(
    short(solveConvTranspose({ inputSize: 7, outputSize: 100000, dilation: 1024 })[0]!),
    'k99 s1 p180 a1 d1024',
  );
  // options beyond the bounds are refused at once
  throwsArg(() => solveConvTranspose({ inputSize: 7, outputSize: 28, dilation: 2 ** 40 }), 'dilation');
  throwsArg(() => solveConvTranspose({ inputSize: 7, outputSize: 28, padding: 1e308 }), 'padding');
  throwsArg(
    () => solveConvTranspose({ inputSize: 7, outputSize: 28, dilation: 2 ** 24 + 1 }),
    'dilation',
    /at most 16777216/,
  );
  throwsArg(
    () => solveConvTranspose({ inputSize: 7, outputSize: 28, maxResults: 100001 }),
    'maxResults',
    /at most 100000/,
  );
});

test('several dimensions: each solved alone, combined by summed rank, capped by maxResults', () => {
  const r = solveConvTranspose({ inputSize: [7, 16], outputSize: [28, 32], maxResults: 50 });
  assert.equal(r.length, 50);
  const a = solveConvTranspose({ inputSize: 7, outputSize: 28 }).map(short);
  const b = solveConvTranspose({ inputSize: 16, outputSize: 32 }).map(short);
  const rank = (c: ConvTransposeConfig): [number, number] => {
    const [x, y] = short(c).split(' | ');
    return [a.indexOf(x!), b.indexOf(y!)];
  };
  let last = -1;
  for (const c of r) {
    assert.deepEqual(convTransposeOutputSize({ inputSize: [7, 16], ...c }), [28, 32]);
    const [ra, rb] = rank(c);
    assert.ok(ra >= 0 && rb >= 0, `${short(c)} is in both 1-d lists`);
    assert.ok(ra + rb >= last, 'summed rank never decreases');
    last = ra + rb;
  }
  assert.equal(short(r[0]!), `${a[0]} | ${b[0]}`);
  assert.equal(new Set(r.map(short)).size, r.length, 'no duplicates');
  // equal sizes: the uniform configuration first, and (1, 1) before (0, 2)
  const sq = solveConvTranspose({ inputSize: [7, 7], outputSize: [28, 28], kernelSize: [4, 4] }).map(short);
  const one = solveConvTranspose({ inputSize: 7, outputSize: 28, kernelSize: 4 }).map(short);
  assert.equal(sq[0], `${one[0]} | ${one[0]}`);
  assert.deepEqual(sq.slice(1, 4), [
    `${one[0]} | ${one[1]}`,
    `${one[1]} | ${one[0]}`,
    `${one[1]} | ${one[1]}`,
  ]);
  // fixed options per dimension; a number fixes every dimension
  const f = solveConvTranspose({
    inputSize: [4, 4, 4],
    outputSize: [8, 9, 8],
    stride: 2,
    padding: [1, 1, 0],
  });
  assert.ok(f.length > 0, 'some results');
  for (const c of f) {
    assert.deepEqual(c.stride, [2, 2, 2]);
    assert.deepEqual(c.padding, [1, 1, 0]);
    assert.deepEqual(convTransposeOutputSize({ inputSize: [4, 4, 4], ...c }), [8, 9, 8]);
  }
  assert.equal(solveConvTranspose({ inputSize: 3, outputSize: 224 }).length, 1000, 'default cap');
  assert.deepEqual(
    solveConvTranspose({ inputSize: [28, 7], outputSize: [7, 28] }),
    [],
    'one impossible dimension',
  );
});

test('evenOverlap / hasEvenOverlap match an actual transposed convolution of ones', () => {
  for (let k = 1; k <= 6; k++)
    for (let s = 1; s <= 4; s++)
      for (let d = 1; d <= 3; d++) {
        const n = k * d + s + 6;
        const y = convTranspose1d(ones([1, 1, n]), ones([1, 1, k]), { stride: s, dilation: d }).data;
        // interior: outputs every tap of the kernel can reach
        const interior = Array.from(y.slice(d * (k - 1), (n - 1) * s + 1));
        const even = interior.every((v) => v === interior[0]);
        assert.equal(hasEvenOverlap({ kernelSize: k, stride: s, dilation: d }), even, `k${k} s${s} d${d}`);
      }
  assert.equal(hasEvenOverlap({ kernelSize: [4, 3], stride: [2, 2] }), false);
  assert.equal(hasEvenOverlap({ kernelSize: [4, 6], stride: [2, 3] }), true);
  for (const c of solveConvTranspose({ inputSize: 9, outputSize: 20, maxResults: 200 })) {
    assert.equal(c.evenOverlap, hasEvenOverlap(c));
  }
});

test('solveConvTranspose and hasEvenOverlap errors name the argument', () => {
  const fn = solveConvTranspose;
  throwsArg(() => fn(null as never), 'args', /must be an object/);
  throwsArg(() => fn({ outputSize: 8 } as never), 'inputSize', /is required/);
  throwsArg(() => fn({ inputSize: 4 } as never), 'outputSize', /is required/);
  throwsArg(
    () => fn({ inputSize: 0, outputSize: 8 }),
    'inputSize',
    /inputSize = 0 must be a positive integer/,
  );
  throwsArg(() => fn({ inputSize: [4, 4], outputSize: [8, 0] }), 'outputSize', /outputSize\[1\] = 0/);
  throwsArg(
    () => fn({ inputSize: [4, 4], outputSize: [8, 8, 8] }),
    'outputSize',
    /must have 2 entries like inputSize/,
  );
  throwsArg(() => fn({ inputSize: [], outputSize: 8 }), 'inputSize', /1 to 3 entries/);
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, kernelSize: 0 }), 'kernelSize', /positive integer/);
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, stride: 1.5 }), 'stride');
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, dilation: [0] }), 'dilation', /dilation\[0\] = 0/);
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, padding: -1 }), 'padding', /non-negative/);
  throwsArg(
    () => fn({ inputSize: [4], outputSize: 8, padding: [[1, 2]] as never }),
    'padding',
    /padding\[0\] = \[1, 2\]/,
  );
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, outputPadding: -1 }), 'outputPadding');
  throwsArg(
    () => fn({ inputSize: 4, outputSize: 8, outputPadding: 2, stride: 2, dilation: 1 }),
    'outputPadding',
    /outputPadding\[0\] = 2 must be smaller than stride\[0\] = 2 or dilation\[0\] = 1/,
  );
  throwsArg(() => fn({ inputSize: 4, outputSize: 8, maxResults: 0 }), 'maxResults', /positive integer/);
  throwsArg(() => fn({ inputSize: 4, outputSize: 2 ** 25 }), 'outputSize', /must be at most 16777216/);
  throwsArg(
    () => fn({ inputSize: 4, outputSize: 8, groups: 2 } as never),
    'groups',
    /is not an option of solveConvTranspose/,
  );
  throwsArg(() => hasEvenOverlap(null as never), 'config', /must be an object/);
  throwsArg(() => hasEvenOverlap({ kernelSize: 4 } as never), 'stride', /is required/);
  throwsArg(() => hasEvenOverlap({ kernelSize: [4, 4], stride: [2] }), 'stride', /must have 2 entries/);
});
