/**
 * The blur as a linear operator C with its exact adjoint Cᵀ, for 1-3 spatial dimensions and a
 * choice of boundary:
 *
 *     (C x)[i] = Σ_j h[j] · x̃[i + c − j],   c = ⌊(k − 1)/2⌋ per axis (scipy's 'same' centring),
 *
 * where x̃ extends x beyond its border by the boundary rule:
 *   'zero'       x̃ = 0 outside
 *   'reflect'    mirror without repeating the edge (… x2 x1 | x0 x1 x2 …), NumPy's 'reflect'
 *   'symmetric'  mirror repeating the edge (… x1 x0 | x0 x1 …), NumPy's 'symmetric'
 *   'circular'   periodic
 *   'valid'      no extension: the output is smaller, n − k + 1 per axis, i running over the
 *                positions where the kernel fits (i + c − j covers x exactly).
 * Cᵀ scatters the same taps back (each extended sample adds to the sample it copies), so
 * ⟨Cx, y⟩ = ⟨x, Cᵀy⟩ holds exactly for every boundary, unlike scikit-image's even-PSF mirror step.
 */
import { as3d } from './common.js';
import { fail } from '../errors.js';
import { fftn } from '../fft/fft.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../fft/real.js';

export type Boundary = 'zero' | 'reflect' | 'symmetric' | 'circular' | 'valid';
export const BOUNDARIES: readonly Boundary[] = ['zero', 'reflect', 'symmetric', 'circular', 'valid'];

/** Where sample p (possibly outside [0, n)) of the extended signal comes from, −1 for zero. */
function source(p: number, n: number, boundary: Boundary): number {
  if (p >= 0 && p < n) return p;
  switch (boundary) {
    case 'zero':
    case 'valid':
      return -1;
    case 'circular':
      return ((p % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      let q = ((p % period) + period) % period;
      if (q >= n) q = period - q;
      return q;
    }
    case 'symmetric': {
      const period = 2 * n;
      let q = ((p % period) + period) % period;
      if (q >= n) q = period - 1 - q;
      return q;
    }
  }
}

export interface BlurOperator {
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** out ← C x */
  apply(x: Float64Array, out: Float64Array): void;
  /** out ← Cᵀ y */
  adjoint(y: Float64Array, out: Float64Array): void;
}

/**
 * @internal Which path a 'circular' operator takes: 'auto' (the rule in `circularByFft`), or
 * forced ('fft', 'direct') for tests and benchmarks.
 */
export function setCircularPath(path: 'auto' | 'fft' | 'direct'): void {
  circularPath = path;
}
let circularPath: 'auto' | 'fft' | 'direct' = 'auto';

/**
 * Whether a circular blur goes through the DFT: there C is diagonal, C = F⁻¹ diag(K) F and
 * Cᵀ = F⁻¹ diag(conj K) F, the same operator as the tap loop (to rounding). Per sample the tap
 * loop costs one multiply-add per nonzero tap, the transform pair about 5·log₂(n) flops plus the
 * products: the DFT when the kernel has more nonzero taps than 2·log₂(n).
 */
function circularByFft(taps: number, n: number): boolean {
  if (circularPath !== 'auto') return circularPath === 'fft';
  return taps > 2 * Math.log2(Math.max(2, n));
}

/**
 * C for the kernel `h` (shape `kShape`) on inputs of `shape` with `boundary`. The taps are
 * precomputed as (output index, input index, weight) runs per axis, so apply and adjoint are one
 * loop each over the same table; a circular boundary with a large kernel goes through the DFT
 * instead (`circularByFft`).
 */
export function blurOperator(
  shape: readonly number[],
  h: Float64Array,
  kShape: readonly number[],
  boundary: Boundary,
): BlurOperator {
  checkOperatorArguments(shape, h, kShape, boundary);
  if (boundary === 'circular') {
    let taps = 0;
    for (const v of h) if (v !== 0) taps++;
    if (
      circularByFft(
        taps,
        shape.reduce((a, b) => a * b, 1),
      )
    )
      return circularOperator(shape, h, kShape);
  }
  const [D, H, W] = as3d(shape);
  const [kd, kh, kw] = as3d(kShape);
  const valid = boundary === 'valid';
  const out3 = valid ? [D - kd + 1, H - kh + 1, W - kw + 1] : [D, H, W];
  const nd = shape.length;
  const outputShape = out3.slice(3 - nd);
  // per axis: for output position i and tap j, the input index (or −1)
  const axis = (n: number, k: number, m: number) => {
    const c = valid ? k - 1 : (k - 1) >> 1;
    const t = new Int32Array(m * k);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) t[i * k + j] = source(i + c - j, n, boundary);
    return t;
  };
  const td = axis(D, kd, out3[0]!);
  const th = axis(H, kh, out3[1]!);
  const tw = axis(W, kw, out3[2]!);
  const [OD, OH, OW] = out3 as [number, number, number];
  const run = (x: Float64Array, y: Float64Array, transpose: boolean) => {
    for (let d = 0; d < OD; d++) {
      for (let r = 0; r < OH; r++) {
        for (let a = 0; a < kd; a++) {
          const sd = td[d * kd + a]!;
          if (sd < 0) continue;
          for (let b = 0; b < kh; b++) {
            const sh = th[r * kh + b]!;
            if (sh < 0) continue;
            const row = (sd * H + sh) * W;
            const o = (d * OH + r) * OW;
            for (let c = 0; c < kw; c++) {
              const wv = h[(a * kh + b) * kw + c]!;
              if (wv === 0) continue;
              if (transpose) {
                for (let i = 0; i < OW; i++) {
                  const s = tw[i * kw + c]!;
                  if (s >= 0) x[row + s] += wv * y[o + i]!;
                }
              } else {
                for (let i = 0; i < OW; i++) {
                  const s = tw[i * kw + c]!;
                  if (s >= 0) y[o + i] += wv * x[row + s]!;
                }
              }
            }
          }
        }
      }
    }
  };
  return {
    inputShape: [...shape],
    outputShape,
    apply(x, out) {
      out.fill(0);
      run(x, out, false);
    },
    adjoint(y, out) {
      out.fill(0);
      run(out, y, true);
    },
  };
}

/** blurOperator's argument checks (the methods call it with checked values; users may not). */
function checkOperatorArguments(shape: unknown, h: unknown, kShape: unknown, boundary: unknown): void {
  const fn = 'blurOperator';
  const dims = (argument: string, v: unknown): number[] => {
    if (!Array.isArray(v) || v.length < 1 || v.length > 3)
      fail(fn, argument, v, 'must be an array of 1 to 3 sizes');
    v.forEach((n, i) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1e8)
        fail(fn, `${argument}[${i}]`, n, 'must be a positive integer');
    });
    return v as number[];
  };
  const s = dims('shape', shape);
  const k = dims('kShape', kShape);
  if (k.length !== s.length) fail(fn, 'kShape', k, `must have the ${s.length} dimensions of shape`);
  if (!BOUNDARIES.includes(boundary as Boundary))
    fail(fn, 'boundary', boundary, `must be one of ${BOUNDARIES.join(', ')}`);
  if (boundary === 'valid')
    k.forEach((kk, i) => {
      if (kk > s[i]!)
        fail(fn, `kShape[${i}]`, kk, `must not exceed shape[${i}] = ${s[i]} with a 'valid' boundary`);
    });
  const taps = k.reduce((a, b) => a * b, 1);
  if (!(h instanceof Float64Array)) fail(fn, 'h', h, 'must be a Float64Array');
  if (h.length !== taps) fail(fn, 'h.length', h.length, `must equal the product of kShape, ${taps}`);
  for (let i = 0; i < h.length; i++) if (!Number.isFinite(h[i]!)) fail(fn, `h[${i}]`, h[i], 'must be finite');
}

/**
 * The circular C in the DFT domain, 1-3 dimensions seen as (D, H, W): the kernel wrapped onto
 * the grid with its centre tap c = ⌊(k − 1)/2⌋ at the origin, g[(j − c) mod n] += h[j] (so
 * (Cx)[i] = Σ_j h[j] x[(i + c − j) mod n] = (g ⊛ x)[i], kernels larger than the image wrap
 * and add), transformed once; apply multiplies by G, adjoint by conj G. Real 2-D transforms of the
 * D planes (real.ts, the FFT module where it runs), then a complex transform along D.
 */
function circularOperator(
  shape: readonly number[],
  h: Float64Array,
  kShape: readonly number[],
): BlurOperator {
  const [D, H, W] = as3d(shape);
  const [kd, kh, kw] = as3d(kShape);
  const g = new Float64Array(D * H * W);
  const wrap = (j: number, k: number, n: number) => (((j - ((k - 1) >> 1)) % n) + n) % n;
  for (let a = 0; a < kd; a++)
    for (let b = 0; b < kh; b++)
      for (let c = 0; c < kw; c++)
        g[(wrap(a, kd, D) * H + wrap(b, kh, H)) * W + wrap(c, kw, W)] += h[(a * kh + b) * kw + c]!;
  const kW = spectrumWidth(W);
  const half = [D, H, kW];
  const forward = (x: Float64Array) => {
    const X = realFft2(x, D, H, W);
    if (D > 1) fftn(X.re, X.im, half, false, [0]);
    return X;
  };
  const G = forward(g);
  const run = (x: Float64Array, out: Float64Array, conj: boolean) => {
    const X = forward(x);
    const s = conj ? -1 : 1;
    for (let i = 0; i < X.re.length; i++) {
      const ar = G.re[i]!,
        ai = s * G.im[i]!,
        br = X.re[i]!,
        bi = X.im[i]!;
      X.re[i] = ar * br - ai * bi;
      X.im[i] = ar * bi + ai * br;
    }
    if (D > 1) fftn(X.re, X.im, half, true, [0], 1 / D);
    inverseRealFft2(X.re, X.im, D, H, W, out);
  };
  return {
    inputShape: [...shape],
    outputShape: [...shape],
    apply: (x, out) => run(x, out, false),
    adjoint: (y, out) => run(y, out, true),
  };
}

/** ‖C‖² estimated by power iteration on CᵀC (upper side: scaled by 1.01). */
export function operatorNormSquared(op: BlurOperator, iterations = 30): number {
  const n = op.inputShape.reduce((a, b) => a * b, 1);
  const m = op.outputShape.reduce((a, b) => a * b, 1);
  let v = new Float64Array(n).map((_, i) => 1 + 0.5 * Math.sin(i * 12.9898));
  const y = new Float64Array(m);
  const w = new Float64Array(n);
  let norm = 0;
  for (let k = 0; k < iterations; k++) {
    let s = 0;
    for (const x of v) s += x * x;
    const len = Math.sqrt(s);
    if (len === 0) return 0;
    for (let i = 0; i < n; i++) v[i]! /= len;
    op.apply(v, y);
    op.adjoint(y, w);
    let t = 0;
    for (const x of w) t += x * x;
    norm = Math.sqrt(t);
    v = w.slice();
  }
  return norm * 1.01;
}

/**
 * The gradient of ⟨r, C_h x⟩ with respect to the kernel h: g[j] = Σ_i r[i] · x̃[i + c − j]
 * (the blur seen as a linear map of its kernel, for blind deconvolution).
 */
export function kernelAdjoint(
  x: Float64Array,
  shape: readonly number[],
  r: Float64Array,
  kShape: readonly number[],
  boundary: Boundary,
): Float64Array {
  const [D, H, W] = as3d(shape);
  const [kd, kh, kw] = as3d(kShape);
  const valid = boundary === 'valid';
  const [OD, OH, OW] = valid ? [D - kd + 1, H - kh + 1, W - kw + 1] : [D, H, W];
  const g = new Float64Array(kd * kh * kw);
  const c = (k: number) => (valid ? k - 1 : (k - 1) >> 1);
  for (let a = 0; a < kd; a++) {
    for (let b = 0; b < kh; b++) {
      for (let e = 0; e < kw; e++) {
        let s = 0;
        for (let d = 0; d < OD; d++) {
          const sd = source(d + c(kd) - a, D, boundary);
          if (sd < 0) continue;
          for (let i = 0; i < OH; i++) {
            const sh = source(i + c(kh) - b, H, boundary);
            if (sh < 0) continue;
            const row = (sd * H + sh) * W;
            const o = (d * OH + i) * OW;
            for (let j = 0; j < OW; j++) {
              const sw = source(j + c(kw) - e, W, boundary);
              if (sw >= 0) s += r[o + j]! * x[row + sw]!;
            }
          }
        }
        g[(a * kh + b) * kw + e] = s;
      }
    }
  }
  return g;
}
