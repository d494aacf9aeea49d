/**
 * restoration.unsupervisedWiener on a volume (P, M, N) with a 3-D PSF. scikit-image 0.19 has no
 * 3-D sampler to compare with (see the function's JSDoc), so the checks are against truths that
 * do not come from this library: the noise level we injected (the sampler's noise precision must
 * find 1/σ²), the clean volume (the restoration must be closer to it than the blurred data), and
 * the 2-D sampler itself (a volume of one slice must give the 2-D result, chains included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, restoration, DeconvError } from '../src/index.js';

/** A small seeded generator of the test's own (not the library's), with Box–Muller normals. */
function generator(seed: number) {
  let s = seed >>> 0;
  const uniform = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const [P, M, N] = [8, 24, 24];

function volume(): Float64Array {
  const x = new Float64Array(P * M * N);
  for (let p = 0; p < P; p++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        x[(p * M + m) * N + n] =
          0.5 +
          0.3 * Math.sin((2 * Math.PI * p) / P) * Math.cos((2 * Math.PI * m) / M) +
          0.2 * Math.exp(-((m - 12) ** 2 + (n - 10) ** 2) / 20);
  return x;
}

function gaussianPsf(): Float64Array {
  const h = new Float64Array(27);
  let sum = 0;
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 3; c++) {
        const v = Math.exp(-((a - 1) ** 2 + (b - 1) ** 2 + (c - 1) ** 2) / 1.5);
        h[(a * 3 + b) * 3 + c] = v;
        sum += v;
      }
  return h.map((v) => v / sum);
}

/** Circular 3-D convolution with the PSF centred at (1, 1, 1), by direct loops, plus noise. */
function blurred(x: Float64Array, h: Float64Array, sigma: number): Float64Array {
  const normal = generator(12345);
  const y = new Float64Array(x.length);
  for (let p = 0; p < P; p++)
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++)
            for (let c = 0; c < 3; c++)
              s +=
                h[(a * 3 + b) * 3 + c]! *
                x[(((p - a + 1 + P) % P) * M + ((m - b + 1 + M) % M)) * N + ((n - c + 1 + N) % N)]!;
        y[(p * M + m) * N + n] = s + sigma * normal();
      }
  return y;
}

const rmse = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
};

test('unsupervisedWiener 3-D: the noise precision finds 1/σ² and the volume gets closer to the truth', () => {
  const x = volume();
  const h = gaussianPsf();
  for (const sigma of [0.01, 0.05]) {
    const y = blurred(x, h, sigma);
    const r = restoration.unsupervisedWiener(new Tensor(y, [P, M, N]), new Tensor(h, [3, 3, 3]), {
      seed: 3,
      clip: false,
    });
    assert.deepEqual(r.image.shape, [P, M, N], 'the volume keeps its shape');
    const tail = r.noise.slice(16);
    const precision = tail.reduce((a, b) => a + b, 0) / tail.length;
    const ratio = precision * sigma ** 2;
    assert.ok(Math.abs(ratio - 1) < 0.1, `σ = ${sigma}: mean noise precision ${precision} is ${ratio}× 1/σ²`);
    const before = rmse(y, x);
    const after = rmse(r.image.data, x);
    assert.ok(after < 0.8 * before, `σ = ${sigma}: RMSE ${after} after against ${before} blurred`);
  }
});

test('unsupervisedWiener 3-D: a volume of one slice is the 2-D sampler (image and chains)', () => {
  const normal = generator(7);
  const [m, n] = [12, 17];
  const img = Float64Array.from({ length: m * n }, (_, i) => 0.5 + 0.2 * Math.sin(i / 5) + 0.01 * normal());
  const psf = Float64Array.from([1, 2, 1, 2, 4, 2, 1, 2, 1], (v) => v / 16);
  for (const isReal of [true, false]) {
    const two = restoration.unsupervisedWiener(new Tensor(img, [m, n]), new Tensor(psf, [3, 3]), {
      seed: 9,
      isReal,
    });
    const three = restoration.unsupervisedWiener(new Tensor(img, [1, m, n]), new Tensor(psf, [1, 3, 3]), {
      seed: 9,
      isReal,
    });
    assert.deepEqual(three.image.shape, [1, m, n], 'shape');
    assert.deepEqual(three.noise, two.noise, `isReal ${isReal}: the noise chain`);
    assert.deepEqual(three.prior, two.prior, `isReal ${isReal}: the prior chain`);
    assert.ok(rmse(three.image.data, two.image.data) < 1e-12, `isReal ${isReal}: the image`);
  }
});

test('unsupervisedWiener 3-D: a 4-D image and a PSF of another rank are refused', () => {
  const v = new Tensor(new Float64Array(2 * 4 * 4 * 4).fill(0.5), [2, 4, 4, 4]);
  assert.throws(
    () => restoration.unsupervisedWiener(v, new Tensor(new Float64Array(8).fill(1 / 8), [2, 2, 2, 1])),
    (e: unknown) => e instanceof DeconvError && /image\.shape/.test(e.message),
    'a 4-D image',
  );
  const vol = new Tensor(new Float64Array(4 * 6 * 6).fill(0.5), [4, 6, 6]);
  assert.throws(
    () => restoration.unsupervisedWiener(vol, new Tensor(new Float64Array(3).fill(1 / 3), [3])),
    (e: unknown) => e instanceof DeconvError,
    'a 1-D PSF for a volume',
  );
});
