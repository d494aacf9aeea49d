/**
 * Fast pooling kernels, same signatures and same values as kernels/ref/pool.ts, but with no
 * assumption on the output's previous contents (every output is fully written: the kernels that
 * scatter zero their output first).
 *
 * - max pooling: the common non-overlapping case (stride = kernel, no padding, dilation 1, the
 *   windows inside the input) runs specialised loops over whole rows (2-d and 1-d with a 2-wide
 *   or generic window); everything else runs the reference loop.
 * - max unpooling: zero each output plane, then scatter by the indices; its backward pass is a
 *   gather. The indices were validated by the op; the kernels still refuse one outside its plane.
 * - the accumulating backward passes (max and avg pooling) zero the gradient, then run the
 *   reference scatter, whose order of float32 additions they must keep to give the same values.
 */
import type { PoolGeometry } from '../../geometry/pool.js';
import type { FloatData } from '../../tensor.js';
import { avgPoolBackwardRef, avgPoolRef, maxPoolBackwardRef, maxPoolRef } from '../ref/pool.js';

/** Whether max pooling's windows tile the input exactly, with no padding or dilation. */
function tiles(g: PoolGeometry): boolean {
  for (let a = 0; a < 3; a++) {
    const k = g.kernelSize[a]!;
    if (g.stride[a] !== k || g.padding[a] !== 0 || g.dilation[a] !== 1) return false;
    if (g.outputSize[a]! * k > g.inputSize[a]!) return false;
  }
  return true;
}

/**
 * Max pooling with non-overlapping 1×kh×kw windows (depth kernel 1). Scans each window in (h, w)
 * order with the reference's rule `v > max || isNaN(v)`, so ties, NaNs and indices agree.
 */
function maxPoolTiled(g: PoolGeometry, x: FloatData, y: FloatData, indices: Int32Array): void {
  const [, ih, iw] = g.inputSize;
  const [od, oh, ow] = g.outputSize;
  const [, kh, kw] = g.kernelSize;
  const two = kh === 2 && kw === 2;
  let yi = 0;
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = plane * g.inPlane;
    for (let a = 0; a < od; a++) {
      for (let b = 0; b < oh; b++) {
        const rowBase = (a * ih + b * kh) * iw; // index of (a, b·kh, 0) in the plane
        if (two) {
          for (let c = 0, w = 0; c < ow; c++, w += 2, yi++) {
            const i00 = rowBase + w;
            const i10 = i00 + iw;
            let m = x[xo + i00]!;
            let mi = i00;
            let v = x[xo + i00 + 1]!;
            if (v > m || v !== v) {
              m = v;
              mi = i00 + 1;
            }
            v = x[xo + i10]!;
            if (v > m || v !== v) {
              m = v;
              mi = i10;
            }
            v = x[xo + i10 + 1]!;
            if (v > m || v !== v) {
              m = v;
              mi = i10 + 1;
            }
            y[yi] = m;
            indices[yi] = mi;
          }
        } else {
          for (let c = 0; c < ow; c++, yi++) {
            let m = -Infinity;
            let mi = rowBase + c * kw;
            for (let h = 0; h < kh; h++) {
              const r = rowBase + h * iw + c * kw;
              for (let w = 0; w < kw; w++) {
                const v = x[xo + r + w]!;
                if (v > m || v !== v) {
                  m = v;
                  mi = r + w;
                }
              }
            }
            y[yi] = m;
            indices[yi] = mi;
          }
        }
      }
    }
  }
}

export function maxPoolFast(g: PoolGeometry, x: FloatData, y: FloatData, indices: Int32Array): void {
  // depth windows of 1 cover 1-d and 2-d pooling (3-d with a depth kernel of 1 too)
  if (g.kernelSize[0] === 1 && tiles(g)) maxPoolTiled(g, x, y, indices);
  else maxPoolRef(g, x, y, indices);
}

export function maxPoolBackwardFast(
  g: PoolGeometry,
  gy: FloatData,
  indices: Int32Array,
  gx: FloatData,
): void {
  gx.fill(0);
  maxPoolBackwardRef(g, gy, indices, gx);
}

export function avgPoolFast(g: PoolGeometry, x: FloatData, y: FloatData): void {
  avgPoolRef(g, x, y);
}

export function avgPoolBackwardFast(g: PoolGeometry, gy: FloatData, gx: FloatData): void {
  gx.fill(0);
  avgPoolBackwardRef(g, gy, gx);
}

function badIndex(j: number, large: number): never {
  throw new Error(`internal: pooling index ${j} outside a plane of ${large}`);
}

/** Max unpooling: `y = 0`, then `y[plane, indices[plane, i]] = x[plane, i]` in input order. */
export function maxUnpoolFast(g: PoolGeometry, x: FloatData, indices: Int32Array, y: FloatData): number {
  const small = g.inPlane;
  const large = g.outPlane;
  for (let plane = 0; plane < g.planes; plane++) {
    const so = plane * small;
    const dO = plane * large;
    const end = so + small;
    // the plane's indices checked before the plane is written; a bad one stops the kernel (the op
    // then refuses and discards y, which it allocated for this call)
    for (let i = so; i < end; i++) if (indices[i]! >>> 0 >= large) return i;
    // zero the plane just before scattering into it: it is still in cache when the scatter runs
    y.fill(0, dO, dO + large);
    for (let i = so; i < end; i++) y[dO + indices[i]!] = x[i]!;
  }
  return -1;
}

/** Max unpooling's backward pass: `gx[plane, i] = gy[plane, indices[plane, i]]`. */
export function maxUnpoolBackwardFast(
  g: PoolGeometry,
  gy: FloatData,
  indices: Int32Array,
  gx: FloatData,
): void {
  const small = g.inPlane;
  const large = g.outPlane;
  for (let plane = 0; plane < g.planes; plane++) {
    const so = plane * large;
    const dO = plane * small;
    const end = dO + small;
    for (let i = dO; i < end; i++) {
      const j = indices[i]!;
      if (!(j >= 0 && j < large)) badIndex(j, large);
      gx[i] = gy[so + j]!;
    }
  }
}
