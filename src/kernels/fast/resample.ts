/**
 * Fast resampling kernels, same signatures and same values as kernels/ref/resample.ts.
 *
 * `resample` runs one of two plans:
 * - every dimension has exactly one tap of weight 1 per output (nearest, nearest-exact, copies):
 *   index tables; a destination row is gathered once per distinct source row and, when the next
 *   output row reads the same source row, copied with `copyWithin` (a plain `set` when the last
 *   dimension is the identity). Bit-exact: values are moved, never computed.
 * - otherwise the separable plan: each source row needed is resampled along the last dimension
 *   once into a float64 row cache (specialised for 1 and 2 taps per output, generic otherwise),
 *   then each output row blends the cached rows with the tensor-product weights of dimensions 0
 *   and 1 (specialised for 1 and 2 rows). The sums are formed in the reference's order (the
 *   innermost row sum first, then `Σ w0·w1 · row` in (k0, k1) order, all in float64), so the
 *   results equal the reference's bit for bit, the sign of a zero included: sums start from their
 *   first term (or −0, the identity of addition), and where the taps' sums start from +0
 *   (`sumFromZero`: 'area') +0 is added to each result, which turns −0 into +0 and nothing else.
 *
 * Outputs are fully written; their previous contents are never read.
 */
import type { ShuffleGeometry, Taps } from '../../geometry/interpolate.js';
import type { FloatData, TensorData } from '../../tensor.js';
import { checkResampleSizes, checkShuffleSizes } from '../ref/resample.js';

/** Whether every output of `t` has exactly one tap, of weight 1. */
export function isNearest(t: Taps): boolean {
  if (t.nearest) return true; // without reading (and so building) start and weight
  if (t.index.length !== t.outSize) return false;
  for (let o = 0; o < t.outSize; o++) if (t.start[o] !== o || t.weight[o] !== 1) return false;
  return true;
}

/** Whether `t` is the identity (outSize = inSize, output o reads input o with weight 1). */
export function isIdentity(t: Taps): boolean {
  if (t.inSize !== t.outSize || !isNearest(t)) return false;
  for (let o = 0; o < t.outSize; o++) if (t.index[o] !== o) return false;
  return true;
}

/** The common tap count of every output of `t`, or 0 when it varies. */
export function uniformTaps(t: Taps): number {
  if (t.outSize === 0) return 0;
  if (t.nearest) return 1;
  const n = t.start[1]! - t.start[0]!;
  for (let o = 1; o < t.outSize; o++) if (t.start[o + 1]! - t.start[o]! !== n) return 0;
  return n;
}

/** The nearest plan: gathers and row copies only. */
function resampleNearest(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  const [t0, t1, t2] = taps;
  const in1 = t1.inSize;
  const in2 = t2.inSize;
  const out2 = t2.outSize;
  const inPlane = t0.inSize * in1 * in2;
  const outPlane = t0.outSize * t1.outSize * out2;
  const identity2 = isIdentity(t2);
  const idx0 = t0.index;
  const idx1 = t1.index;
  const idx2 = t2.index;
  for (let p = 0; p < planes; p++) {
    const si = p * inPlane;
    let di = p * outPlane;
    let previous = -1; // source row of the previous output row of this plane
    for (let o0 = 0; o0 < t0.outSize; o0++) {
      const r0 = idx0[o0]! * in1;
      for (let o1 = 0; o1 < t1.outSize; o1++, di += out2) {
        const row = r0 + idx1[o1]!;
        if (row === previous) {
          dst.copyWithin(di, di - out2, di);
          continue;
        }
        previous = row;
        const s = si + row * in2;
        if (identity2) dst.set(src.subarray(s, s + in2), di);
        else for (let o2 = 0; o2 < out2; o2++) dst[di + o2] = src[s + idx2[o2]!]!;
      }
    }
  }
}

/** `out[o] = Σ_k w[k] · src[s + index[k]]` along the last dimension, in the reference's order. */
function horizontal(src: FloatData, s: number, t: Taps, kind: number, out: Float64Array): void {
  const n = t.outSize;
  const index = t.index;
  const weight = t.weight;
  if (kind === 1) {
    for (let o = 0; o < n; o++) out[o] = weight[o]! * src[s + index[o]!]!;
  } else if (kind === 2) {
    for (let o = 0, k = 0; o < n; o++, k += 2) {
      const ia = s + index[k]!;
      const ib = s + index[k + 1]!;
      out[o] = weight[k]! * src[ia]! + weight[k + 1]! * src[ib]!;
    }
  } else {
    const start = t.start;
    for (let o = 0; o < n; o++) {
      let sum = -0;
      for (let k = start[o]!; k < start[o + 1]!; k++) sum += weight[k]! * src[s + index[k]!]!;
      out[o] = sum;
    }
  }
}

/** The separable plan with a direct-mapped cache of horizontally resampled source rows. */
function resampleSeparable(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  const [t0, t1, t2] = taps;
  const in1 = t1.inSize;
  const in2 = t2.inSize;
  const out2 = t2.outSize;
  const inPlane = t0.inSize * in1 * in2;
  const outPlane = t0.outSize * t1.outSize * out2;
  const kind = uniformTaps(t2);
  const hKind = kind === 1 || kind === 2 ? kind : 0;
  // rows needed by one output row: at most (taps of dim 0) × (taps of dim 1); keep a few times that
  let maxTaps = 1;
  for (let o0 = 0; o0 < t0.outSize; o0++) {
    for (let o1 = 0; o1 < t1.outSize; o1++) {
      const n = (t0.start[o0 + 1]! - t0.start[o0]!) * (t1.start[o1 + 1]! - t1.start[o1]!);
      if (n > maxTaps) maxTaps = n;
    }
  }
  let slots = 4;
  while (slots < 2 * maxTaps + 4 && slots < 1024) slots *= 2;
  const mask = slots - 1;
  const cache = new Float64Array(slots * out2);
  const tags = new Int32Array(slots);
  const rows: Float64Array[] = [];
  for (let i = 0; i < slots; i++) rows.push(cache.subarray(i * out2, (i + 1) * out2));
  const acc = new Float64Array(out2);
  const fromZero = t0.sumFromZero || t1.sumFromZero || t2.sumFromZero;
  // slot (i1 + 3·i0) mod slots: the 2×2 rows of a trilinear output row never collide
  const row = (si: number, i0: number, i1: number): Float64Array => {
    const r = i0 * in1 + i1;
    const slot = (i1 + 3 * i0) & mask;
    const buffer = rows[slot]!;
    if (tags[slot] !== r) {
      horizontal(src, si + r * in2, t2, hKind, buffer);
      tags[slot] = r;
    }
    return buffer;
  };
  for (let p = 0; p < planes; p++) {
    const si = p * inPlane;
    let di = p * outPlane;
    tags.fill(-1);
    for (let o0 = 0; o0 < t0.outSize; o0++) {
      const a0 = t0.start[o0]!;
      const b0 = t0.start[o0 + 1]!;
      for (let o1 = 0; o1 < t1.outSize; o1++, di += out2) {
        const a1 = t1.start[o1]!;
        const b1 = t1.start[o1 + 1]!;
        const count = (b0 - a0) * (b1 - a1);
        if (count === 1) {
          const w = t0.weight[a0]! * t1.weight[a1]!;
          const h = row(si, t0.index[a0]!, t1.index[a1]!);
          if (w === 1) for (let o = 0; o < out2; o++) dst[di + o] = h[o]!;
          else for (let o = 0; o < out2; o++) dst[di + o] = w * h[o]!;
          continue;
        }
        if (count === 2) {
          // one of the two dimensions has 2 taps, the other 1
          const a = b0 - a0 === 2;
          const ka0 = a0;
          const kb0 = a ? a0 + 1 : a0;
          const ka1 = a1;
          const kb1 = a ? a1 : a1 + 1;
          const wa = t0.weight[ka0]! * t1.weight[ka1]!;
          const wb = t0.weight[kb0]! * t1.weight[kb1]!;
          const ha = row(si, t0.index[ka0]!, t1.index[ka1]!);
          const hb = row(si, t0.index[kb0]!, t1.index[kb1]!);
          if (ha === hb) {
            // the two rows collided in the cache: fall back to the generic blend
          } else {
            for (let o = 0, j = di; o < out2; o++, j++) dst[j] = wa * ha[o]! + wb * hb[o]!;
            continue;
          }
        }
        let first = true;
        for (let k0 = a0; k0 < b0; k0++) {
          const w0 = t0.weight[k0]!;
          const i0 = t0.index[k0]!;
          for (let k1 = a1; k1 < b1; k1++) {
            const w = w0 * t1.weight[k1]!;
            const h = row(si, i0, t1.index[k1]!);
            if (first) for (let o = 0; o < out2; o++) acc[o] = w * h[o]!;
            else for (let o = 0; o < out2; o++) acc[o] += w * h[o]!;
            first = false;
          }
        }
        if (first) acc.fill(-0);
        for (let o = 0; o < out2; o++) dst[di + o] = acc[o]!;
      }
    }
    if (fromZero) for (let i = p * outPlane; i < di; i++) dst[i] = dst[i]! + 0;
  }
}

/**
 * `dst[p, o0, o1, o2] = Σ w0·w1·w2 · src[p, i0, i1, i2]` over the tensor product of the taps of
 * `(o0, o1, o2)`, for each of `planes` contiguous planes (see kernels/ref/resample.ts).
 */
export function resampleFast(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  checkResampleSizes(src, dst, planes, taps);
  if (dst.length === 0) return;
  // 'area' (sums from +0) never moves values as they are: its zero results are +0
  if (taps.every(isNearest) && !taps.some((t) => t.sumFromZero)) resampleNearest(src, dst, planes, taps);
  else resampleSeparable(src, dst, planes, taps);
}

/**
 * Pixel shuffle `(B, C·r², H, W) -> (B, C, H·r, W·r)` (`unshuffle` false) or its inverse (see
 * kernels/ref/resample.ts). Each high-resolution row is written (or read) contiguously, from (or
 * into) the `r` low-resolution rows it interleaves; with `r = 1` the whole array is copied.
 */
export function pixelShuffleFast(
  src: TensorData,
  dst: TensorData,
  g: ShuffleGeometry,
  unshuffle: boolean,
): void {
  const { factor: r, batch, channels, height: h, width: w } = g;
  checkShuffleSizes(src, dst, g);
  if (r === 1) {
    dst.set(src);
    return;
  }
  const plane = h * w;
  const wr = w * r;
  let high = 0; // running offset of the high-resolution row (bc, y·r + i)
  for (let bc = 0; bc < batch * channels; bc++) {
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < r; i++, high += wr) {
        // low rows (bc·r² + i·r + j, y) for j = 0..r-1 start at low0 + j·plane
        const low0 = (bc * r * r + i * r) * plane + y * w;
        if (unshuffle) {
          for (let j = 0; j < r; j++) {
            const low = low0 + j * plane;
            for (let x = 0, at = high + j; x < w; x++, at += r) dst[low + x] = src[at]!;
          }
        } else {
          for (let j = 0; j < r; j++) {
            const low = low0 + j * plane;
            for (let x = 0, at = high + j; x < w; x++, at += r) dst[at] = src[low + x]!;
          }
        }
      }
    }
  }
}
