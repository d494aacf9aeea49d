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
// wiener_1d.json: scikit-image on the signal as a (1, N) image with the 1-D Laplacian
for (const c of [...load<WCase>('wiener.json'), ...load<WCase>('wiener_1d.json')])
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
for (const c of [...load<UCase>('unsupervised_wiener.json'), ...load<UCase>('unsupervised_wiener_1d.json')]) {
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

test('unsupervisedWiener on a colour image: channel c is the grey result on that plane with seed + c', () => {
  const c = load<UCase>('unsupervised_wiener.json')[0]!;
  const n = c.image.data.length;
  const planes = [c.image.data, c.image.data.map((v) => 0.8 * v), c.image.data.map((v) => 0.5 + 0.3 * v)];
  const colour = tensor(planes.flat(), [3, ...c.image.shape], { dtype: c.image.dtype });
  const seen: number[] = [];
  const r = restoration.unsupervisedWiener(colour, mk(c.psf), {
    seed: 2 ** 32 - 2,
    callback: (p) => seen.push(p.channel),
  });
  assert.deepEqual([...r.image.shape], [3, ...c.image.shape], 'colour shape');
  assert.equal(r.channels.length, 3, 'chains per channel');
  for (let ch = 0; ch < 3; ch++) {
    // (seed + c) mod 2³²: channel 2 wraps to seed 0
    const seed = (2 ** 32 - 2 + ch) % 2 ** 32;
    const grey = restoration.unsupervisedWiener(
      tensor(planes[ch]!, c.image.shape, { dtype: c.image.dtype }),
      mk(c.psf),
      { seed },
    );
    assert.deepEqual(
      [...r.image.data.slice(ch * n, (ch + 1) * n)],
      [...grey.image.data],
      `channel ${ch} = grey with seed ${seed}`,
    );
    assert.deepEqual(r.channels[ch]!.noise, grey.noise, `channel ${ch}: noise chain`);
    assert.deepEqual(r.channels[ch]!.prior, grey.prior, `channel ${ch}: prior chain`);
    assert.ok(seen.includes(ch), `callback told channel ${ch}`);
  }
  assert.deepEqual(r.noise, r.channels[0]!.noise, 'noise = channel 0 chain');
  assert.ok(
    seen.every((v, i) => i === 0 || v >= seen[i - 1]!),
    'channels reported in order',
  );
});

test('unsupervisedWiener callback: the last estimate is the result; the values do not depend on it', () => {
  const c = load<UCase>('unsupervised_wiener.json')[0]!;
  const seen: { last: Tensor | null } = { last: null };
  let deltas = 0;
  const a = restoration.unsupervisedWiener(mk(c.image), mk(c.psf), {
    seed: 5,
    callback: (p) => {
      seen.last = p.estimate();
      if (Number.isFinite(p.delta)) deltas++;
    },
  });
  const b = restoration.unsupervisedWiener(mk(c.image), mk(c.psf), { seed: 5 });
  assert.deepEqual([...a.image.data], [...b.image.data], 'same values with a callback');
  assert.ok(seen.last !== null, 'callback called');
  assert.deepEqual([...seen.last.data], [...a.image.data], 'the last estimate is the result');
  assert.ok(deltas > 0, 'delta reported once averaging starts');
});

test('richardsonLucy callback and tolerance: values unchanged, the last estimate is the result', () => {
  const rl = load<RlCase>('richardson_lucy.json').find((c) => c.image.shape.length === 2)!;
  const steps: { iteration: number; objective: number; change: number }[] = [];
  const seen: { last: Tensor | null } = { last: null };
  const out = restoration.richardsonLucy(mk(rl.image), mk(rl.psf), {
    ...(rl.options as restoration.RichardsonLucyOptions),
    callback: (p) => {
      steps.push({ iteration: p.iteration, objective: p.objective, change: p.change });
      seen.last = p.estimate();
      assert.equal(p.channel, 0, 'grey: channel 0');
    },
  });
  compare(`${rl.name} with a callback`, out, rl.output, rl.output.dtype === 'float64' ? 1e-12 : 1e-5);
  const iterations = (rl.options.iterations as number | undefined) ?? 50;
  assert.equal(steps.length, iterations, 'one report per iteration');
  assert.ok(seen.last !== null, 'callback called');
  assert.deepEqual([...seen.last.data], [...out.data], 'the last estimate is the result');
  assert.ok(
    steps.every((s) => Number.isFinite(s.objective) && s.change >= 0),
    'objective and change reported',
  );
  let n = 0;
  restoration.richardsonLucy(mk(rl.image), mk(rl.psf), {
    iterations: 5000,
    tolerance: 1e-3,
    callback: () => n++,
  });
  assert.ok(n > 1 && n < 5000, `tolerance stopped after ${n} iterations`);
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
  throwsArg(
    () => w(tensor(new Float32Array(8), [8]), tensor(new Float32Array(9), [9]), { balance: 1 }),
    'psf',
    'wiener',
  );
  throwsArg(
    () => w(tensor(new Float32Array(8), [8]), tensor([1], [1]), { balance: 1, reg: tensor([1, 2], [1, 2]) }),
    'reg',
    'wiener',
  );
  throwsArg(
    () => restoration.unsupervisedWiener(tensor(new Float32Array(40), [40]), tensor([1], [1]), 7 as never),
    'options',
    'unsupervisedWiener',
  );
  throwsArg(() => rl(img, psf, { tolerance: -1 }), 'tolerance', 'richardsonLucy');
  throwsArg(() => rl(img, psf, { callback: 'x' as never }), 'callback', 'richardsonLucy');
  const u = restoration.unsupervisedWiener;
  throwsArg(
    () => u(tensor(new Float32Array(128), [2, 8, 8]), psf, { seed: 1.5 }),
    'seed',
    'unsupervisedWiener',
  );
  throwsArg(() => u(img, psf, { seed: -3 }), 'seed', 'unsupervisedWiener');
  throwsArg(() => u(img, psf, { maxIterations: 10 }), 'maxIterations', 'unsupervisedWiener');
  throwsArg(() => u(img, psf, { callback: 3 as never }), 'callback', 'unsupervisedWiener');
  throwsArg(
    () => u(tensor(new Float32Array(128), [2, 4, 4, 4]), tensor([1], [1, 1, 1, 1])),
    'image',
    'unsupervisedWiener',
  );
});

test('psnr: empty images are refused naming estimate.shape (the mean of no squared errors was NaN)', () => {
  for (const shape of [[0], [2, 0]]) {
    const empty = tensor(new Float32Array(0), shape);
    assert.throws(
      () => restoration.psnr(empty, empty),
      (e: unknown) =>
        e instanceof DeconvError &&
        e.argument === 'estimate' &&
        e.message.startsWith('psnr: estimate.shape') &&
        /empty/.test(e.message),
      JSON.stringify(shape),
    );
  }
});
