/**
 * The any-size FFT (src/fft/fft.ts) against numpy.fft.fftn (test/fixtures/restoration/fft.json,
 * written by scripts/gen_restoration_fixtures.py), forward and inverse, 1-3 dimensions, lengths
 * with factors 2, 3, 5, 7 and large primes (Bluestein).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fftn, factorize, nextFastLength } from '../src/fft/fft.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../src/fft/real.js';

interface FftCase {
  name: string;
  shape: number[];
  re: number[];
  im: number[];
  outRe: number[];
  outIm: number[];
}
const cases = (
  JSON.parse(readFileSync(new URL('./fixtures/restoration/fft.json', import.meta.url), 'utf8')) as {
    cases: FftCase[];
  }
).cases;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const c of cases) {
  test(`${c.name} equals numpy.fft.fftn, and the inverse returns the input`, () => {
    const re = Float64Array.from(c.re);
    const im = Float64Array.from(c.im);
    fftn(re, im, c.shape, false);
    const n = c.re.length;
    const tol = 1e-12 * n * Math.max(1, Math.log2(n));
    assert.ok(maxDiff(re, c.outRe) < tol * 10, `${c.name} re: ${maxDiff(re, c.outRe)}`);
    assert.ok(maxDiff(im, c.outIm) < tol * 10, `${c.name} im: ${maxDiff(im, c.outIm)}`);
    fftn(re, im, c.shape, true, undefined, 1 / n);
    assert.ok(maxDiff(re, c.re) < 1e-12 * n, `${c.name} inverse re: ${maxDiff(re, c.re)}`);
    assert.ok(maxDiff(im, c.im) < 1e-12 * n, `${c.name} inverse im: ${maxDiff(im, c.im)}`);
  });
}

test('factorize and nextFastLength', () => {
  assert.deepEqual(factorize(96), [4, 4, 2, 3], 'factors of 96');
  assert.deepEqual(factorize(97), [97], 'a prime');
  assert.equal(nextFastLength(516), 540, '5-smooth length after 516');
  assert.equal(nextFastLength(7), 8, '5-smooth length after 7');
});

test('realFft2 of real planes equals the complex transform, and inverts', () => {
  for (const [h, w] of [
    [8, 8],
    [5, 7],
    [6, 9],
    [16, 12],
    [1, 6],
  ] as const) {
    const planes = 3;
    const x = new Float64Array(planes * h * w).map((_, i) => Math.sin(i * 1.7) + (i % 5) * 0.1);
    const { re, im } = realFft2(x, planes, h, w);
    const kw = spectrumWidth(w);
    for (let p = 0; p < planes; p++) {
      const cr = x.slice(p * h * w, (p + 1) * h * w);
      const ci = new Float64Array(h * w);
      fftn(cr, ci, [h, w], false);
      for (let a = 0; a < h; a++) {
        for (let b = 0; b < kw; b++) {
          const i = p * h * kw + a * kw + b;
          assert.ok(Math.abs(re[i]! - cr[a * w + b]!) < 1e-10, `${h}x${w} re[${p},${a},${b}]`);
          assert.ok(Math.abs(im[i]! - ci[a * w + b]!) < 1e-10, `${h}x${w} im[${p},${a},${b}]`);
        }
      }
    }
    const back = inverseRealFft2(re, im, planes, h, w);
    assert.ok(maxDiff(back, x) < 1e-12, `${h}x${w} inverse: ${maxDiff(back, x)}`);
  }
});
