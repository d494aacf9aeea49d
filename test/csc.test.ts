/**
 * csc.convBPDN against an independent slow solver: FISTA (Beck & Teboulle 2009) in float64 with
 * the circular convolution written as loops from the contract's formula
 * (d ⊛ x)[i, j] = Σ d[a, b] x[(i − a) mod H, (j − b) mod W], run for many iterations on tiny
 * problems. The problem is convex, so both must reach the same minimum value. Dictionary
 * learning must decrease its objective.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, csc, DeconvError, Rng } from '../src/index.js';
import type { Tensor } from '../src/index.js';

function conv(
  d: Float64Array,
  kh: number,
  kw: number,
  x: Float64Array,
  H: number,
  W: number,
  out: Float64Array,
  m: number,
): void {
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      let s = 0;
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++)
          s += d[(m * kh + a) * kw + b]! * x[(m * H + ((i - a + H) % H)) * W + ((j - b + W) % W)]!;
      out[i * W + j] += s;
    }
}
function convT(
  d: Float64Array,
  kh: number,
  kw: number,
  r: Float64Array,
  H: number,
  W: number,
  out: Float64Array,
  m: number,
): void {
  // adjoint: out_m[p, q] = Σ d[a, b] r[(p + a) mod H, (q + b) mod W]
  for (let p = 0; p < H; p++)
    for (let q = 0; q < W; q++) {
      let s = 0;
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++) s += d[(m * kh + a) * kw + b]! * r[((p + a) % H) * W + ((q + b) % W)]!;
      out[(m * H + p) * W + q] = s;
    }
}

interface Problem {
  H: number;
  W: number;
  M: number;
  kh: number;
  kw: number;
  s: Float64Array;
  d: Float64Array;
  mask: Float64Array | null;
  lambda: number;
}

function objective(p: Problem, x: Float64Array): number {
  const r = new Float64Array(p.H * p.W);
  for (let m = 0; m < p.M; m++) conv(p.d, p.kh, p.kw, x, p.H, p.W, r, m);
  let f = 0;
  for (let i = 0; i < r.length; i++) f += ((p.mask ? p.mask[i]! : 1) * (r[i]! - p.s[i]!)) ** 2;
  let l1 = 0;
  for (const v of x) l1 += Math.abs(v);
  return 0.5 * f + p.lambda * l1;
}

function fista(p: Problem, iterations: number): number {
  const { H, W, M } = p;
  const n = M * H * W;
  const grad = (x: Float64Array, g: Float64Array) => {
    const r = new Float64Array(H * W);
    for (let m = 0; m < M; m++) conv(p.d, p.kh, p.kw, x, H, W, r, m);
    for (let i = 0; i < r.length; i++) r[i] = (p.mask ? p.mask[i]! ** 2 : 1) * (r[i]! - p.s[i]!);
    for (let m = 0; m < M; m++) convT(p.d, p.kh, p.kw, r, H, W, g, m);
  };
  // Lipschitz constant by power iteration on the normal operator
  let v = new Float64Array(n).map((_, i) => Math.sin(i + 1));
  let L = 0;
  const g = new Float64Array(n);
  const saveS = p.s;
  p.s = new Float64Array(H * W);
  for (let k = 0; k < 100; k++) {
    grad(v, g);
    L = Math.hypot(...g) / Math.hypot(...v);
    v = g.slice();
  }
  p.s = saveS;
  L *= 1.01;
  let x = new Float64Array(n);
  const y = x.slice();
  let t = 1;
  for (let k = 0; k < iterations; k++) {
    grad(y, g);
    const xn = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const z = y[i]! - g[i]! / L;
      const th = p.lambda / L;
      xn[i] = z > th ? z - th : z < -th ? z + th : 0;
    }
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    for (let i = 0; i < n; i++) y[i] = xn[i]! + ((t - 1) / tn) * (xn[i]! - x[i]!);
    x = xn;
    t = tn;
  }
  return objective(p, x);
}

function problem(
  seed: number,
  H: number,
  W: number,
  M: number,
  k: number,
  lambda: number,
  masked: boolean,
): Problem {
  const rng = new Rng(seed);
  const d = new Float64Array(M * k * k).map(() => rng.normal());
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let i = 0; i < k * k; i++) s += d[m * k * k + i]! ** 2;
    for (let i = 0; i < k * k; i++) d[m * k * k + i]! /= Math.sqrt(s);
  }
  const s = new Float64Array(H * W).map((_, i) => Math.sin(i * 0.37) + 0.3 * rng.normal());
  const mask = masked ? new Float64Array(H * W).map(() => (rng.uniform() < 0.7 ? 1 : 0)) : null;
  return { H, W, M, kh: k, kw: k, s, d, mask, lambda };
}

for (const [name, p] of [
  ['8x8, 3 filters 3x3', problem(1, 8, 8, 3, 3, 0.1, false)],
  ['7x10, 4 filters 3x3 (odd and even sizes)', problem(2, 7, 10, 4, 3, 0.05, false)],
  ['9x6, 2 filters 4x4, λ = 0.3', problem(3, 9, 6, 2, 4, 0.3, false)],
  ['8x8 masked, 3 filters 3x3', problem(4, 8, 8, 3, 3, 0.1, true)],
] as const) {
  test(`convBPDN ${name} reaches FISTA's minimum (float64)`, () => {
    const signal = tensor(p.s, [p.H, p.W], { dtype: 'float64' });
    const dict = tensor(p.d, [p.M, p.kh, p.kw], { dtype: 'float64' });
    const mask = p.mask ? { mask: tensor(p.mask, [p.H, p.W], { dtype: 'float64' }) } : {};
    const r = csc.convBPDN(signal, dict, { lambda: p.lambda, iterations: 3000, tolerance: 1e-10, ...mask });
    assert.deepEqual([...r.coefficients.shape], [p.M, p.H, p.W], 'coefficients shape');
    assert.deepEqual([...r.reconstruction.shape], [p.H, p.W], 'reconstruction shape');
    const ours = objective(p, Float64Array.from(r.coefficients.data));
    const ref = fista(p, 6000);
    assert.ok(Math.abs(ours - ref) <= 1e-6 * ref, `objective ${ours} vs FISTA ${ref}`);
    // the reconstruction is Σ d ⊛ x of the returned coefficients
    const rec = new Float64Array(p.H * p.W);
    for (let m = 0; m < p.M; m++)
      conv(p.d, p.kh, p.kw, Float64Array.from(r.coefficients.data), p.H, p.W, rec, m);
    for (let i = 0; i < rec.length; i++)
      assert.ok(Math.abs(rec[i]! - r.reconstruction.data[i]!) < 1e-9, `reconstruction[${i}]`);
    assert.ok(r.objective.length >= 1 && r.objective.every(Number.isFinite), 'objective history');
  });
}

test('convBPDN: float32 inputs, sparse maps, callback and tolerance stop', () => {
  const p = problem(5, 16, 16, 4, 5, 0.05, false);
  const seen: number[] = [];
  const r = csc.convBPDN(tensor(p.s, [16, 16]), tensor(p.d, [4, 5, 5]), {
    lambda: 0.05,
    iterations: 500,
    callback: (q) => seen.push(q.iteration),
  });
  assert.equal(r.coefficients.dtype, 'float32', 'float32 result');
  assert.ok(r.objective.length < 500, `stopped on the tolerance after ${r.objective.length}`);
  assert.equal(seen.length, r.objective.length, 'one callback per iteration');
  const zeros = [...r.coefficients.data].filter((v) => v === 0).length;
  assert.ok(zeros > r.coefficients.size / 4, `sparse: ${zeros} zeros of ${r.coefficients.size}`);
});

test('learnDictionary decreases its objective and returns unit-bounded filters', () => {
  const rng = new Rng(9);
  // two images made of a few repeated bumps
  const H = 20;
  const s = new Float64Array(2 * H * H);
  for (let k = 0; k < 30; k++) {
    const n = Math.floor(rng.uniform() * 2);
    const i = Math.floor(rng.uniform() * (H - 3));
    const j = Math.floor(rng.uniform() * (H - 3));
    const t = rng.uniform() < 0.5;
    for (let a = 0; a < 3; a++) s[n * H * H + (i + a) * H + j + (t ? a : 1)] += 1;
  }
  const r = csc.learnDictionary(tensor(s, [2, H, H]), {
    atoms: 4,
    kernelSize: 4,
    lambda: 0.1,
    iterations: 15,
    seed: 3,
  });
  assert.deepEqual([...r.dictionary.shape], [4, 4, 4], 'dictionary shape');
  assert.deepEqual([...r.coefficients.shape], [2, 4, H, H], 'coefficients shape');
  assert.equal(r.objective.length, 15, 'one objective per iteration');
  assert.ok(r.objective[14]! < 0.7 * r.objective[0]!, `objective ${r.objective[0]} -> ${r.objective[14]}`);
  for (let i = 1; i < r.objective.length; i++) {
    assert.ok(
      r.objective[i]! <= r.objective[i - 1]! * 1.02,
      `objective rose at ${i}: ${r.objective.join(' ')}`,
    );
  }
  for (let m = 0; m < 4; m++) {
    let n2 = 0;
    for (let i = 0; i < 16; i++) n2 += r.dictionary.data[m * 16 + i]! ** 2;
    assert.ok(n2 <= 1 + 1e-5, `‖d_${m}‖² = ${n2}`);
  }
  // a tolerance on the objective's relative change stops the outer loop
  const tol = 0.02;
  const t = csc.learnDictionary(tensor(s, [2, H, H]), {
    atoms: 4,
    kernelSize: 4,
    lambda: 0.1,
    iterations: 200,
    seed: 3,
    tolerance: tol,
  });
  const o = t.objective;
  const rel = (i: number) => Math.abs(o[i]! - o[i - 1]!) / Math.abs(o[i]!);
  assert.ok(o.length > 1 && o.length < 200, `stopped after ${o.length} iterations`);
  assert.ok(rel(o.length - 1) < tol, `last relative change ${rel(o.length - 1)}`);
  for (let i = 1; i < o.length - 1; i++) assert.ok(rel(i) >= tol, `ran on while above: ${i} ${rel(i)}`);
  // the same first iterations as without a tolerance
  const k = Math.min(5, o.length);
  assert.deepEqual(o.slice(0, k), r.objective.slice(0, k), 'same objectives as the untolerant run');
});

function throwsArg(f: () => unknown, argument: string, fnName: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DeconvError, `expected a DeconvError, got ${String(e)}`);
    assert.equal(e.argument, argument, `argument of: ${e.message}`);
    assert.ok(e.message.startsWith(`${fnName}: `), `function named in: ${e.message}`);
    return true;
  });
}

test('csc: bad arguments are DeconvErrors naming the argument', () => {
  const s = tensor(new Float32Array(64), [8, 8]);
  const d = tensor(new Float32Array(2 * 9), [2, 3, 3]);
  const b = csc.convBPDN;
  throwsArg(() => b(s, d, undefined as never), 'options', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: -1 }), 'lambda', 'convBPDN');
  throwsArg(() => b(tensor(new Float32Array(8), [8]), d, { lambda: 1 }), 'signal', 'convBPDN');
  throwsArg(() => b(s, tensor(new Float32Array(9), [3, 3]), { lambda: 1 }), 'dictionary', 'convBPDN');
  throwsArg(() => b(s, tensor(new Float32Array(90), [1, 9, 10]), { lambda: 1 }), 'dictionary', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: 1, iterations: 0 }), 'iterations', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: 1, relaxation: 2 }), 'relaxation', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: 1, rho: 0 }), 'rho', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: 1, mask: tensor(new Float32Array(4), [2, 2]) }), 'mask', 'convBPDN');
  throwsArg(() => b(s, d, { lambda: 1, lamda: 2 } as never), 'options', 'convBPDN');
  const l = csc.learnDictionary;
  throwsArg(() => l(s, { atoms: 0, kernelSize: 3, lambda: 1 }), 'atoms', 'learnDictionary');
  throwsArg(() => l(s, { atoms: 2, kernelSize: 9, lambda: 1 }), 'kernelSize', 'learnDictionary');
  throwsArg(() => l(s, { atoms: 2, kernelSize: [3] as never, lambda: 1 }), 'kernelSize', 'learnDictionary');
  throwsArg(
    () => l(tensor(new Float32Array(8), [8]) as Tensor, { atoms: 2, kernelSize: 3, lambda: 1 }),
    'signals',
    'learnDictionary',
  );
  throwsArg(
    () => l(s, { atoms: 2, kernelSize: 3, lambda: 1, tolerance: -1 }),
    'tolerance',
    'learnDictionary',
  );
});
