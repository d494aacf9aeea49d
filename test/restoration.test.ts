/**
 * restoration.richardsonLucy / wiener / unsupervisedWiener against scikit-image 0.19
 * (test/fixtures/restoration/*.json, written by scripts/gen_restoration_fixtures.py).
 *
 * Tolerances (of the output's largest magnitude): float64 to 1e-12; float32 to 4e-6 (Wiener 1e-5;
 * measured: 8e-7 and 1.5e-6) — scikit-image
 * computes those in float32 — FFTs and all — while we compute in float64 and round, so the gap is
 * scikit-image's own float32 error, amplified a little by the iterations).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tensor, restoration, DeconvError } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { setFftWasm } from '../src/fft/wasm.js';

interface T {
  shape: number[];
  dtype: 'float32' | 'float64';
  data: number[];
}
function load<C>(name: string): C[] {
  return (
    JSON.parse(readFileSync(new URL(`./fixtures/restoration/${name}`, import.meta.url), 'utf8')) as {
      cases: C[];
    }
  ).cases;
}
const mk = (t: T): Tensor => tensor(t.data, t.shape, { dtype: t.dtype });

function compare(name: string, got: Tensor, want: T, rel: number): void {
  assert.deepEqual([...got.shape], want.shape, `${name}: shape`);
  assert.equal(got.dtype, want.dtype, `${name}: dtype`);
  let scale = 0;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  assert.ok(
    worst <= rel * Math.max(scale, 1e-3),
    `${name}: |diff| ${worst} at ${at} (${got.data[at]} vs ${want.data[at]}) > ${rel} × ${scale}`,
  );
}
const tolerance = (t: T) => (t.dtype === 'float64' ? 1e-12 : 4e-6);

interface RlCase {
  name: string;
  image: T;
  psf: T;
  options: Record<string, unknown>;
  output: T;
}
// every fixture on both transform paths: JavaScript and the FFT module (src/fft/wasm.ts)
const PATHS = ['never', 'always'] as const;
const onPath = <R>(path: (typeof PATHS)[number], f: () => R): R => {
  setFftWasm(path);
  try {
    return f();
  } finally {
    setFftWasm('auto');
  }
};

for (const c of load<RlCase>('richardson_lucy.json'))
  for (const path of PATHS)
    test(`${c.name} ${JSON.stringify(c.options)} equals skimage (FFT module: ${path})`, () =>
      onPath(path, () => {
        compare(
          c.name,
          restoration.richardsonLucy(mk(c.image), mk(c.psf), c.options),
          c.output,
          tolerance(c.output),
        );
      }));

interface WCase extends RlCase {
  reg?: T;
}
for (const c of load<WCase>('wiener.json'))
  for (const path of PATHS)
    test(`${c.name} ${JSON.stringify(c.options)} equals skimage (FFT module: ${path})`, () =>
      onPath(path, () => {
        const options = { ...c.options, ...(c.reg ? { reg: mk(c.reg) } : {}) } as { balance: number };
        // Wiener divides by |H|² + λ|R|², so float32 rounding grows where both are small
        compare(
          c.name,
          restoration.wiener(mk(c.image), mk(c.psf), options),
          c.output,
          c.output.dtype === 'float64' ? 1e-12 : 1e-5,
        );
      }));

test('richardsonLucy and wiener restore a channels-first colour image channel by channel, as skimage does each', () => {
  const rl = load<RlCase>('richardson_lucy.json').find((c) => c.image.shape.length === 2)!;
  const wc = load<WCase>('wiener.json').find((c) => c.image.shape.length === 2 && !c.reg)!;
  for (const [c, f] of [
    [rl, (img: Tensor, p: Tensor) => restoration.richardsonLucy(img, p, rl.options)],
    [wc, (img: Tensor, p: Tensor) => restoration.wiener(img, p, wc.options as { balance: number })],
  ] as const) {
    const colour = tensor([...c.image.data, ...c.image.data], [2, ...c.image.shape], {
      dtype: c.image.dtype,
    });
    const out = f(colour, mk(c.psf));
    assert.deepEqual([...out.shape], [2, ...c.output.shape], `${c.name}: colour shape`);
    const n = c.output.data.length;
    for (const ch of [0, 1]) {
      const plane = tensor(out.data.slice(ch * n, (ch + 1) * n), c.output.shape, { dtype: out.dtype });
      compare(`${c.name} channel ${ch}`, plane, c.output, c.output.dtype === 'float64' ? 1e-12 : 1e-5);
    }
  }
});

interface UCase {
  name: string;
  image: T;
  psf: T;
  mean: T;
  rmsToMean: number[];
  noiseTail: number[];
  priorTail: number[];
  iterations: number[];
}
for (const c of load<UCase>('unsupervised_wiener.json')) {
  test(`${c.name}: as close to the mean of scikit-image's runs as its own runs are`, () => {
    const spreadMax = Math.max(...c.rmsToMean);
    for (const seed of [1, 2, 3]) {
      const r = restoration.unsupervisedWiener(mk(c.image), mk(c.psf), { seed });
      let s = 0;
      for (let i = 0; i < c.mean.data.length; i++) s += (r.image.data[i]! - c.mean.data[i]!) ** 2;
      const rms = Math.sqrt(s / c.mean.data.length);
      // one run against the mean of 8 independent runs: its rms distance is about √(1 + 1/8)
      // times that of one of those runs; 1.5 × the largest leaves room for the chain's spread
      assert.ok(
        rms <= 1.5 * spreadMax,
        `${c.name} seed ${seed}: rms ${rms} vs scikit-image's runs ${c.rmsToMean.map((v) => v.toExponential(2)).join(' ')}`,
      );
      const tail = (xs: number[]) => xs.slice(-10).reduce((a, b) => a + b, 0) / 10;
      const lo = (xs: number[]) => Math.min(...xs);
      const hi = (xs: number[]) => Math.max(...xs);
      const gn = tail(r.noise);
      const gx = tail(r.prior);
      assert.ok(
        gn > 0.7 * lo(c.noiseTail) && gn < 1.3 * hi(c.noiseTail),
        `${c.name}: noise precision ${gn} vs ${c.noiseTail.join(' ')}`,
      );
      assert.ok(
        gx > 0.5 * lo(c.priorTail) && gx < 2 * hi(c.priorTail),
        `${c.name}: prior precision ${gx} vs ${c.priorTail.join(' ')}`,
      );
      assert.equal(r.noise.length, r.prior.length, 'chains of equal length');
      assert.equal(r.noise[0], 1, 'chains start at 1');
    }
  });
}

test('unsupervisedWiener: the same seed gives the same estimate', () => {
  const c = load<UCase>('unsupervised_wiener.json')[0]!;
  const a = restoration.unsupervisedWiener(mk(c.image), mk(c.psf), { seed: 7 });
  const b = restoration.unsupervisedWiener(mk(c.image), mk(c.psf), { seed: 7 });
  assert.deepEqual([...a.image.data], [...b.image.data], 'deterministic for a seed');
});

function throwsArg(f: () => unknown, argument: string, fnName: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DeconvError, `expected a DeconvError, got ${String(e)}`);
    assert.equal(e.argument, argument, `argument of: ${e.message}`);
    assert.ok(e.message.startsWith(`${fnName}: `), `function named in: ${e.message}`);
    return true;
  });
}

test('bad arguments are DeconvErrors naming the argument', () => {
  const img = tensor(new Float32Array(64).fill(0.5), [8, 8]);
  const psf = tensor(new Float32Array(9).fill(1 / 9), [3, 3]);
  const rl = restoration.richardsonLucy;
  throwsArg(() => rl([1, 2] as unknown as Tensor, psf), 'image', 'richardsonLucy');
  // (a PSF of one dimension fewer makes a channels-first image: (8, 8) = 8 signals of 8)
  throwsArg(() => rl(img, tensor(new Float32Array(3), [3, 1, 1])), 'psf', 'richardsonLucy');
  throwsArg(() => rl(img, tensor(new Float32Array(9), [9])), 'psf', 'richardsonLucy');
  throwsArg(() => rl(img, tensor(new Float32Array(90), [9, 10])), 'psf', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { iterations: -1 }), 'iterations', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { iterations: 2.5 }), 'iterations', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { clip: 'yes' as unknown as boolean }), 'clip', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { filterEpsilon: -1 }), 'filterEpsilon', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { iteration: 3 } as never), 'options', 'richardsonLucy');
  throwsArg(() => rl(tensor([1, NaN, 3, 4], [2, 2]), tensor([1], [1, 1])), 'image', 'richardsonLucy');
  throwsArg(
    () => rl(tensor(new Float32Array(16), [1, 1, 4, 4]), tensor([1], [1, 1, 1, 1])),
    'image',
    'richardsonLucy',
  );
  throwsArg(() => rl(tensor([1, 2, 3, 4], [2, 2], { dtype: 'int32' }), psf), 'image', 'richardsonLucy');
  const w = restoration.wiener;
  throwsArg(() => w(img, psf, undefined as never), 'options', 'wiener');
  throwsArg(() => w(img, psf, { balance: NaN }), 'balance', 'wiener');
  // a negative weight can zero the denominator |H|² + λ|R|²
  throwsArg(() => w(img, psf, { balance: -1 }), 'balance', 'wiener');
  throwsArg(() => w(img, psf, { balance: 1, reg: tensor([1, 2, 3], [3]) }), 'reg', 'wiener');
  throwsArg(() => w(img, psf, { balance: 1, isReal: 1 as unknown as boolean }), 'isReal', 'wiener');
  throwsArg(() => w(tensor(new Float32Array(8), [8]), tensor([1], [1]), { balance: 1 }), 'image', 'wiener');
  const u = restoration.unsupervisedWiener;
  throwsArg(() => u(img, psf, { seed: -3 }), 'seed', 'unsupervisedWiener');
  throwsArg(() => u(img, psf, { maxIterations: 10 }), 'maxIterations', 'unsupervisedWiener');
  throwsArg(() => u(img, psf, { callback: 3 as never }), 'callback', 'unsupervisedWiener');
  throwsArg(
    () => u(tensor(new Float32Array(64), [4, 4, 4]), tensor([1], [1, 1, 1])),
    'image',
    'unsupervisedWiener',
  );
});
