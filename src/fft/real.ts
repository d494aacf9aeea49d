/**
 * Real 2-D transforms of stacks of planes, in NumPy's `rfft2` layout: a plane `(h, w)` of reals
 * becomes a half spectrum `(h, ⌊w/2⌋ + 1)` of complex numbers (separate `re` and `im` arrays).
 *
 * Two real planes ride as the real and imaginary parts of one complex transform and are
 * separated by Hermitian symmetry, X_a[k] = (Z[k] + conj Z[−k]) / 2,
 * X_b[k] = (Z[k] − conj Z[−k]) / 2i, so a real plane costs half a complex one.
 */
import { planFor } from './fft.js';

/** Width of the half spectrum of a row of `w` reals. */
export function spectrumWidth(w: number): number {
  return Math.floor(w / 2) + 1;
}

/** Reusable work buffers of one transform size. */
class Work {
  readonly zr: Float64Array;
  readonly zi: Float64Array;
  readonly tr: Float64Array;
  readonly ti: Float64Array;
  constructor(n: number) {
    this.zr = new Float64Array(n);
    this.zi = new Float64Array(n);
    this.tr = new Float64Array(n);
    this.ti = new Float64Array(n);
  }
}
let work: Work | null = null;
function workFor(n: number): Work {
  if (!work || work.zr.length < n) work = new Work(n);
  return work;
}

/**
 * Forward real 2-D DFT of `planes` planes of `(h, w)` reals (`x` row-major, plane after plane)
 * → half spectra `(planes, h, ⌊w/2⌋+1)`, written into `out` when given.
 */
export function realFft2(
  x: ArrayLike<number>,
  planes: number,
  h: number,
  w: number,
  out?: { re: Float64Array; im: Float64Array },
): { re: Float64Array; im: Float64Array } {
  const kw = spectrumWidth(w);
  const hw = h * w;
  const re = out?.re ?? new Float64Array(planes * h * kw);
  const im = out?.im ?? new Float64Array(planes * h * kw);
  const planH = planFor(h);
  const planW = planFor(w);
  const { zr, zi, tr, ti } = workFor(hw);
  for (let p = 0; p < planes; p += 2) {
    const pair = p + 1 < planes;
    const a0 = p * hw;
    const b0 = (p + 1) * hw;
    for (let i = 0; i < hw; i++) {
      zr[i] = x[a0 + i]!;
      zi[i] = pair ? x[b0 + i]! : 0;
    }
    // along h, batch w: [h][w]
    planH.transform(zr, zi, w);
    // transpose [h][w] -> [w][h], along w with batch h
    for (let a = 0; a < h; a++) {
      for (let b = 0; b < w; b++) {
        tr[b * h + a] = zr[a * w + b]!;
        ti[b * h + a] = zi[a * w + b]!;
      }
    }
    planW.transform(tr, ti, h);
    // Z^T[b][a] -> half spectra [a][b], separating the pair
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    for (let a = 0; a < h; a++) {
      const na = a === 0 ? 0 : h - a;
      for (let b = 0; b < kw; b++) {
        const nb = b === 0 ? 0 : w - b;
        const zRe = tr[b * h + a]!,
          zIm = ti[b * h + a]!;
        if (!pair) {
          re[oa + a * kw + b] = zRe;
          im[oa + a * kw + b] = zIm;
          continue;
        }
        const cRe = tr[nb * h + na]!,
          cIm = -ti[nb * h + na]!;
        re[oa + a * kw + b] = 0.5 * (zRe + cRe);
        im[oa + a * kw + b] = 0.5 * (zIm + cIm);
        // (z − c) / 2i = (im, −re) / 2
        re[ob + a * kw + b] = 0.5 * (zIm - cIm);
        im[ob + a * kw + b] = -0.5 * (zRe - cRe);
      }
    }
  }
  return { re, im };
}

/**
 * Inverse of `realFft2` (NumPy's `irfft2` with `s = (h, w)`, 'backward' scaling 1/(h·w)):
 * half spectra `(planes, h, ⌊w/2⌋+1)` → `planes` real planes `(h, w)`, written into `out` when
 * given. The spectra are taken to be Hermitian (the missing half is their conjugate mirror).
 */
export function inverseRealFft2(
  re: Float64Array,
  im: Float64Array,
  planes: number,
  h: number,
  w: number,
  out?: Float64Array | Float32Array,
): Float64Array | Float32Array {
  const kw = spectrumWidth(w);
  const hw = h * w;
  const y = out ?? new Float64Array(planes * hw);
  const planH = planFor(h);
  const planW = planFor(w);
  const { zr, zi, tr, ti } = workFor(hw);
  const scale = 1 / hw;
  for (let p = 0; p < planes; p += 2) {
    const pair = p + 1 < planes;
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    // Z = X_a + i X_b on the full plane, transposed: tr[b][a]
    for (let a = 0; a < h; a++) {
      const na = a === 0 ? 0 : h - a;
      for (let b = 0; b < w; b++) {
        let ar: number, ai: number, br: number, bi: number;
        if (b < kw) {
          const i = a * kw + b;
          ar = re[oa + i]!;
          ai = im[oa + i]!;
          br = pair ? re[ob + i]! : 0;
          bi = pair ? im[ob + i]! : 0;
        } else {
          const i = na * kw + (w - b);
          ar = re[oa + i]!;
          ai = -im[oa + i]!;
          br = pair ? re[ob + i]! : 0;
          bi = pair ? -im[ob + i]! : 0;
        }
        // conjugated for the inverse as a forward transform: conj(Z) = (ar − bi) − i(ai + br)
        tr[b * h + a] = ar - bi;
        ti[b * h + a] = -(ai + br);
      }
    }
    planW.transform(tr, ti, h);
    for (let b = 0; b < w; b++) {
      for (let a = 0; a < h; a++) {
        zr[a * w + b] = tr[b * h + a]!;
        zi[a * w + b] = ti[b * h + a]!;
      }
    }
    planH.transform(zr, zi, w);
    // z = conj(result) / hw: real part -> plane a, imaginary part -> plane b
    const a0 = p * hw;
    const b0 = (p + 1) * hw;
    for (let i = 0; i < hw; i++) {
      y[a0 + i] = zr[i]! * scale;
      if (pair) y[b0 + i] = -zi[i]! * scale;
    }
  }
  return y;
}
