/**
 * Reference pooling kernels: plain loops over (plane, depth, height, width), correct first. They
 * read a `PoolGeometry` (spatial values padded to three dimensions) and raw typed arrays, never
 * Tensor objects; the op has checked every argument, so they only assert internal invariants.
 *
 * Max pooling follows PyTorch's CPU kernel exactly: the padding acts as −∞, the scan runs in
 * (t, h, w) order over the taps inside the input, and an element replaces the running maximum when
 * `v > max || isNaN(v)`, so ties keep the first maximum, a NaN wins, and of several NaNs the last
 * one is taken. A window whose elements are all −∞ reports its first tap inside the input.
 *
 * The three index kernels are one scatter and one gather: max pooling's backward pass scatters
 * the output gradient to the argmax positions (accumulating), max unpooling scatters its input to
 * the given positions (overwriting in input order, so of duplicate indices the last one wins, as
 * PyTorch's CPU kernel does), and max unpooling's backward pass gathers at those positions.
 */
import type { PoolGeometry } from '../../geometry/pool.js';
import type { FloatData } from '../../tensor.js';

/** Per dimension: the first tap inside [0, size) and the exclusive end of each max-pool window. */
function maxWindows(g: PoolGeometry, axis: number): { first: Int32Array; end: Int32Array } {
  const n = g.outputSize[axis]!;
  const size = g.inputSize[axis]!;
  const s = g.stride[axis]!;
  const p = g.padding[axis]!;
  const dil = g.dilation[axis]!;
  const k = g.kernelSize[axis]!;
  const first = new Int32Array(n);
  const end = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    let begin = o * s - p;
    end[o] = Math.min(begin + (k - 1) * dil + 1, size);
    while (begin < 0) begin += dil;
    first[o] = begin;
  }
  return { first, end };
}

/**
 * `y[plane, o] = max over the window of o` and `indices[plane, o]` = its flat index into the
 * input plane. `x`: (planes, ...inputSize); `y`, `indices`: (planes, ...outputSize).
 */
export function maxPoolRef(g: PoolGeometry, x: FloatData, y: FloatData, indices: Int32Array): void {
  const [, ih, iw] = g.inputSize;
  const [od, oh, ow] = g.outputSize;
  const [dd, dh, dw] = g.dilation;
  const wd = maxWindows(g, 0);
  const wh = maxWindows(g, 1);
  const ww = maxWindows(g, 2);
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = plane * g.inPlane;
    let yi = plane * g.outPlane;
    for (let a = 0; a < od; a++) {
      const t0 = wd.first[a]!;
      const t1 = wd.end[a]!;
      for (let b = 0; b < oh; b++) {
        const h0 = wh.first[b]!;
        const h1 = wh.end[b]!;
        for (let c = 0; c < ow; c++, yi++) {
          const w0 = ww.first[c]!;
          const w1 = ww.end[c]!;
          let maxIndex = (t0 * ih + h0) * iw + w0;
          let maxValue = -Infinity;
          for (let t = t0; t < t1; t += dd) {
            for (let h = h0; h < h1; h += dh) {
              const row = (t * ih + h) * iw;
              for (let w = w0; w < w1; w += dw) {
                const v = x[xo + row + w]!;
                if (v > maxValue || Number.isNaN(v)) {
                  maxValue = v;
                  maxIndex = row + w;
                }
              }
            }
          }
          y[yi] = maxValue;
          indices[yi] = maxIndex;
        }
      }
    }
  }
}

/**
 * Per dimension, for each average-pool window: the summed range [lo, hi) inside the input and
 * the window's extent clipped to the end padding (PyTorch's `pool_size` factor).
 */
function avgWindows(g: PoolGeometry, axis: number): { lo: Int32Array; hi: Int32Array; padded: Int32Array } {
  const n = g.outputSize[axis]!;
  const size = g.inputSize[axis]!;
  const s = g.stride[axis]!;
  const p = g.padding[axis]!;
  const k = g.kernelSize[axis]!;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const padded = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    const begin = o * s - p;
    const end = Math.min(begin + k, size + p);
    padded[o] = end - begin;
    lo[o] = Math.max(begin, 0);
    hi[o] = Math.min(end, size);
  }
  return { lo, hi, padded };
}

/** The divisor of each output element, in output order within one plane. */
function avgDivisors(g: PoolGeometry): {
  wd: ReturnType<typeof avgWindows>;
  wh: ReturnType<typeof avgWindows>;
  ww: ReturnType<typeof avgWindows>;
  divisor: Float64Array;
} {
  const wd = avgWindows(g, 0);
  const wh = avgWindows(g, 1);
  const ww = avgWindows(g, 2);
  const [od, oh, ow] = g.outputSize;
  const divisor = new Float64Array(g.outPlane);
  let i = 0;
  for (let a = 0; a < od; a++) {
    for (let b = 0; b < oh; b++) {
      for (let c = 0; c < ow; c++, i++) {
        divisor[i] = g.countIncludePad
          ? wd.padded[a]! * wh.padded[b]! * ww.padded[c]!
          : (wd.hi[a]! - wd.lo[a]!) * (wh.hi[b]! - wh.lo[b]!) * (ww.hi[c]! - ww.lo[c]!);
      }
    }
  }
  return { wd, wh, ww, divisor };
}

/** `y[plane, o] = Σ window / divisor`. `x`: (planes, ...inputSize); `y`: (planes, ...outputSize). */
export function avgPoolRef(g: PoolGeometry, x: FloatData, y: FloatData): void {
  const [, ih, iw] = g.inputSize;
  const [od, oh, ow] = g.outputSize;
  const { wd, wh, ww, divisor } = avgDivisors(g);
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = plane * g.inPlane;
    const yo = plane * g.outPlane;
    let i = 0;
    for (let a = 0; a < od; a++) {
      for (let b = 0; b < oh; b++) {
        for (let c = 0; c < ow; c++, i++) {
          let sum = 0;
          for (let t = wd.lo[a]!; t < wd.hi[a]!; t++) {
            for (let h = wh.lo[b]!; h < wh.hi[b]!; h++) {
              const row = xo + (t * ih + h) * iw;
              for (let w = ww.lo[c]!; w < ww.hi[c]!; w++) sum += x[row + w]!;
            }
          }
          // An empty window (impossible once padding ≤ kernel/2) gives 0, as in PyTorch.
          y[yo + i] = divisor[i]! > 0 ? sum / divisor[i]! : 0;
        }
      }
    }
  }
}

/**
 * The transpose of `avgPoolRef`: `gx[window of o] += gy[o] / divisor[o]`. `gx` must be zeroed.
 */
export function avgPoolBackwardRef(g: PoolGeometry, gy: FloatData, gx: FloatData): void {
  const [, ih, iw] = g.inputSize;
  const [od, oh, ow] = g.outputSize;
  const { wd, wh, ww, divisor } = avgDivisors(g);
  for (let plane = 0; plane < g.planes; plane++) {
    const xo = plane * g.inPlane;
    const yo = plane * g.outPlane;
    let i = 0;
    for (let a = 0; a < od; a++) {
      for (let b = 0; b < oh; b++) {
        for (let c = 0; c < ow; c++, i++) {
          const v = gy[yo + i]! / divisor[i]!;
          for (let t = wd.lo[a]!; t < wd.hi[a]!; t++) {
            for (let h = wh.lo[b]!; h < wh.hi[b]!; h++) {
              const row = xo + (t * ih + h) * iw;
              for (let w = ww.lo[c]!; w < ww.hi[c]!; w++) gx[row + w] += v;
            }
          }
        }
      }
    }
  }
}

/**
 * `dst[plane, indices[plane, i]] (+)= src[plane, i]`: `src` and `indices` hold `small` elements
 * per plane, `dst` holds `large`.
 */
function scatter(
  planes: number,
  small: number,
  large: number,
  src: FloatData,
  indices: Int32Array,
  dst: FloatData,
  accumulate: boolean,
): void {
  for (let plane = 0; plane < planes; plane++) {
    const so = plane * small;
    const dO = plane * large;
    for (let i = so; i < so + small; i++) {
      const j = indices[i]!;
      if (j < 0 || j >= large) throw new Error(`internal: pooling index ${j} outside a plane of ${large}`);
      if (accumulate) dst[dO + j] += src[i]!;
      else dst[dO + j] = src[i]!;
    }
  }
}

/** `dst[plane, i] = src[plane, indices[plane, i]]`: the transpose of `scatter`. */
function gather(
  planes: number,
  small: number,
  large: number,
  src: FloatData,
  indices: Int32Array,
  dst: FloatData,
): void {
  for (let plane = 0; plane < planes; plane++) {
    const so = plane * large;
    const dO = plane * small;
    for (let i = 0; i < small; i++) {
      const j = indices[dO + i]!;
      if (j < 0 || j >= large) throw new Error(`internal: pooling index ${j} outside a plane of ${large}`);
      dst[dO + i] = src[so + j]!;
    }
  }
}

/** Max pooling's backward pass: `gx[argmax] += gy`. `gx` (the input's shape) must be zeroed. */
export function maxPoolBackwardRef(g: PoolGeometry, gy: FloatData, indices: Int32Array, gx: FloatData): void {
  scatter(g.planes, g.outPlane, g.inPlane, gy, indices, gx, true);
}

/** Max unpooling: `y[indices] = x`, the rest of `y` (which must be zeroed) stays 0. */
export function maxUnpoolRef(g: PoolGeometry, x: FloatData, indices: Int32Array, y: FloatData): number {
  const bad = firstOutside(indices, g.outPlane);
  if (bad >= 0) return bad;
  y.fill(0); // every element written: the output may come from the storage pool, dirty
  scatter(g.planes, g.inPlane, g.outPlane, x, indices, y, false);
  return -1;
}

/**
 * The position of the first index outside [0, limit), or −1: max unpooling's check, which every
 * maxUnpool kernel makes before writing (the kernels return it; the op refuses). A small function
 * of its own, so that V8 optimises the loop as a whole.
 */
export function firstOutside(ix: Int32Array, limit: number): number {
  const n = ix.length;
  for (let i = 0; i < n; i++) {
    // one unsigned comparison: negative indices wrap to ≥ 2³¹
    if (ix[i]! >>> 0 >= limit) return i;
  }
  return -1;
}

/** Max unpooling's backward pass: `gx = gy[indices]`. */
export function maxUnpoolBackwardRef(
  g: PoolGeometry,
  gy: FloatData,
  indices: Int32Array,
  gx: FloatData,
): void {
  gather(g.planes, g.inPlane, g.outPlane, gy, indices, gx);
}
