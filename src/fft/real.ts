/**
 * Real 2-D transforms of stacks of planes, in NumPy's `rfft2` layout: a plane `(h, w)` of reals
 * becomes a half spectrum `(h, ⌊w/2⌋ + 1)` of complex numbers (separate `re` and `im` arrays).
 *
 * Two real planes ride as the real and imaginary parts of one complex transform and are
 * separated by Hermitian symmetry, X_a[k] = (Z[k] + conj Z[−k]) / 2,
 * X_b[k] = (Z[k] − conj Z[−k]) / 2i, so a real plane costs half a complex one.
 */
import { planFor } from './fft.js';
import { activeFftEngine, wasmLength, wasmRealFft2 } from './wasm.js';

/** Whether the FFT module (wasm.ts) computes this transform; same results either way. */
function onWasm(planes: number, h: number, w: number) {
  const e = activeFftEngine(planes * h * w);
  return e && wasmLength(h) && wasmLength(w) ? e : null;
}

const BLOCK = 32;
/** dst = srcᵀ for a (rows, cols) complex matrix, in cache-sized blocks. */
function transpose(
  sr: Float64Array,
  si: Float64Array,
  dr: Float64Array,
  di: Float64Array,
  rows: number,
  cols: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const o = r * cols;
        for (let c = c0; c < c1; c++) {
          dr[c * rows + r] = sr[o + c]!;
          di[c * rows + r] = si[o + c]!;
        }
      }
    }
  }
}

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
  const e = onWasm(planes, h, w);
  if (e) {
    wasmRealFft2(e, false, x, re, im, planes, h, w);
    return { re, im };
  }
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
    transpose(zr, zi, tr, ti, h, w);
    planW.transform(tr, ti, h);
    // Z^T[b][a] -> half spectra [a][b], separating the pair, in cache-sized blocks
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    for (let b0 = 0; b0 < kw; b0 += BLOCK) {
      const b1 = Math.min(kw, b0 + BLOCK);
      for (let a0 = 0; a0 < h; a0 += BLOCK) {
        const a1 = Math.min(h, a0 + BLOCK);
        for (let b = b0; b < b1; b++) {
          const nb = b === 0 ? 0 : w - b;
          const zb = b * h;
          const cb = nb * h;
          for (let a = a0; a < a1; a++) {
            const na = a === 0 ? 0 : h - a;
            const o = a * kw + b;
            const zRe = tr[zb + a]!,
              zIm = ti[zb + a]!;
            if (!pair) {
              re[oa + o] = zRe;
              im[oa + o] = zIm;
              continue;
            }
            const cRe = tr[cb + na]!,
              cIm = -ti[cb + na]!;
            re[oa + o] = 0.5 * (zRe + cRe);
            im[oa + o] = 0.5 * (zIm + cIm);
            // (z − c) / 2i = (im, −re) / 2
            re[ob + o] = 0.5 * (zIm - cIm);
            im[ob + o] = -0.5 * (zRe - cRe);
          }
        }
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
  const e = onWasm(planes, h, w);
  if (e) {
    wasmRealFft2(e, true, y, re, im, planes, h, w);
    return y;
  }
  const planH = planFor(h);
  const planW = planFor(w);
  const { zr, zi, tr, ti } = workFor(hw);
  const scale = 1 / hw;
  for (let p = 0; p < planes; p += 2) {
    const pair = p + 1 < planes;
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    // Z = X_a + i X_b on the full plane, transposed (tr[b][a]) and conjugated (the inverse as a
    // forward transform), in cache-sized blocks
    for (let b0 = 0; b0 < w; b0 += BLOCK) {
      const b1 = Math.min(w, b0 + BLOCK);
      for (let a0 = 0; a0 < h; a0 += BLOCK) {
        const a1 = Math.min(h, a0 + BLOCK);
        for (let b = b0; b < b1; b++) {
          const half = b < kw;
          for (let a = a0; a < a1; a++) {
            // X[a][b] = conj X[−a][w − b] beyond the half plane
            const i = half ? a * kw + b : (a === 0 ? 0 : h - a) * kw + (w - b);
            const s = half ? 1 : -1;
            const ar = re[oa + i]!,
              ai = s * im[oa + i]!;
            const br = pair ? re[ob + i]! : 0,
              bi = pair ? s * im[ob + i]! : 0;
            // conj(Z) = (ar − bi) − i(ai + br)
            tr[b * h + a] = ar - bi;
            ti[b * h + a] = -(ai + br);
          }
        }
      }
    }
    planW.transform(tr, ti, h);
    transpose(tr, ti, zr, zi, w, h);
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
