/**
 * The FFT module (asm-fft/, src/fft/wasm.ts) against the JavaScript path it mirrors: the real 2-D
 * transforms, convBPDN's solve and y/u pass give the same numbers to the bit (the JavaScript path
 * is itself checked against numpy in fft.test.ts), with 1, 2 and 3 threads; sizes with odd
 * lengths (a padded SIMD lane), every radix (2, 3, 4, 5, generic 7 … 31) and a Bluestein length
 * (which stays on the JavaScript path). And the embedded module matches its sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tensor, csc, setNumThreads, Rng } from '../src/index.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../src/fft/real.js';
import { fftEngine, fftThreadStats, setFftWasm, startFftThreads } from '../src/fft/wasm.js';
import { sourceHash } from '../src/fft/wasm.generated.js';

function onPath<R>(path: 'never' | 'always', f: () => R): R {
  setFftWasm(path);
  try {
    return f();
  } finally {
    setFftWasm('auto');
  }
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

const SIZES: readonly (readonly [number, number, number])[] = [
  [1, 8, 8],
  [2, 4, 6],
  [3, 7, 9],
  [4, 12, 10],
  [5, 15, 14],
  [2, 49, 22],
  [3, 11, 13],
  [2, 64, 31],
  [1, 1, 17],
  [3, 37, 16], // 37: Bluestein, the JavaScript path
  [6, 40, 48],
];

test('the FFT module runs here (Node has SIMD and shared memory)', () => {
  assert.ok(fftEngine() !== null, 'fftEngine() should be available in Node 20');
});

for (const threads of [1, 2, 3]) {
  test(`realFft2 / inverseRealFft2: the module equals the JavaScript path to the bit (${threads} threads)`, async () => {
    await setNumThreads(threads);
    if (threads > 1) assert.equal(await startFftThreads(), threads, 'the pool started');
    const calls = fftThreadStats.parallelCalls;
    try {
      for (const [planes, h, w] of SIZES) {
        const x = new Float64Array(planes * h * w).map((_, i) => Math.sin(i * 1.37) + ((i * 7) % 11) / 10);
        const F = planes * h * spectrumWidth(w);
        const js = onPath('never', () => realFft2(x, planes, h, w));
        // NaN-filled outputs: an element the module skips is caught
        const out = { re: new Float64Array(F).fill(NaN), im: new Float64Array(F).fill(NaN) };
        onPath('always', () => realFft2(x, planes, h, w, out));
        sameBits(out.re, js.re, `forward ${planes}x${h}x${w} re`);
        sameBits(out.im, js.im, `forward ${planes}x${h}x${w} im`);
        const back = onPath('never', () => inverseRealFft2(js.re, js.im, planes, h, w));
        const back2 = new Float64Array(planes * h * w).fill(NaN);
        onPath('always', () => inverseRealFft2(js.re, js.im, planes, h, w, back2));
        sameBits(back2, back, `inverse ${planes}x${h}x${w}`);
        // views of the module's memory are transformed in place
        const e = fftEngine()!;
        const mark = e.mark();
        try {
          const xv = e.view(x.length);
          xv.set(x);
          const sv = { re: e.view(F), im: e.view(F) };
          onPath('always', () => realFft2(xv, planes, h, w, sv));
          sameBits(sv.re, js.re, `in place ${planes}x${h}x${w} re`);
        } finally {
          e.release(mark);
        }
      }
      if (threads > 1)
        assert.ok(fftThreadStats.parallelCalls > calls, 'transforms ran on the worker threads');
    } finally {
      await setNumThreads(1);
    }
  });
}

test('convBPDN: the module path equals the JavaScript path to the bit, masked or not, 1 and 2 threads', async () => {
  const rng = new Rng(7);
  for (const [H, W, M, k, masked] of [
    [32, 40, 5, 5, false],
    [33, 31, 4, 3, true],
    [48, 48, 8, 8, false],
  ] as const) {
    const s = tensor(
      new Float64Array(H * W).map(() => rng.normal()),
      [H, W],
      { dtype: 'float64' },
    );
    const d = tensor(
      new Float64Array(M * k * k).map(() => rng.normal()),
      [M, k, k],
      { dtype: 'float64' },
    );
    const mask = masked
      ? {
          mask: tensor(
            new Float64Array(H * W).map((_, i) => (i % 7 === 0 ? 0 : 1)),
            [H, W],
            { dtype: 'float64' },
          ),
        }
      : {};
    const run = () => csc.convBPDN(s, d, { lambda: 0.1, iterations: 25, tolerance: 0, ...mask });
    const js = onPath('never', run);
    for (const threads of [1, 2]) {
      await setNumThreads(threads);
      if (threads > 1) await startFftThreads();
      const calls = fftThreadStats.parallelCalls;
      const w = onPath('always', run);
      if (threads > 1) assert.ok(fftThreadStats.parallelCalls > calls, 'convBPDN ran on the worker threads');
      sameBits(w.objective, js.objective, `${H}x${W} M=${M} objective (${threads} threads)`);
      sameBits(w.coefficients.data, js.coefficients.data, `${H}x${W} coefficients (${threads} threads)`);
      sameBits(
        w.reconstruction.data,
        js.reconstruction.data,
        `${H}x${W} reconstruction (${threads} threads)`,
      );
    }
    await setNumThreads(1);
  }
});

test('convBPDN releases the module memory it used, also when its callback throws', () => {
  const e = fftEngine()!;
  const before = e.mark();
  const s = tensor(new Float64Array(64 * 64).fill(0.5), [64, 64], { dtype: 'float64' });
  const d = tensor(new Float64Array(4 * 9).fill(0.1), [4, 3, 3], { dtype: 'float64' });
  onPath('always', () => csc.convBPDN(s, d, { lambda: 0.1, iterations: 3 }));
  assert.equal(e.mark(), before, 'stack back where it was');
  assert.throws(
    () =>
      onPath('always', () =>
        csc.convBPDN(s, d, {
          lambda: 0.1,
          iterations: 3,
          callback: () => {
            throw new Error('stop');
          },
        }),
      ),
    /stop/,
    'the callback error reaches the caller',
  );
  assert.equal(e.mark(), before, 'stack back after the throw');
});

test('the embedded FFT module matches asm-fft/ (npm run build:wasm)', () => {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./scripts/build-wasm-fft.ts').then(m => console.log(m.fftSourceHash()))",
    ],
    { encoding: 'utf8', cwd: new URL('..', import.meta.url) },
  ).trim();
  assert.equal(sourceHash, out, 'src/fft/wasm.generated.ts is stale: run npm run build:wasm');
});
