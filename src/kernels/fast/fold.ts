/**
 * Fast im2col / col2im, same signatures and same values as kernels/ref/fold.ts. The loops run in
 * the reference's order (kernel tap, then block), but per column row: the range of blocks whose
 * tap lands inside the image is computed once, the padding parts are filled with zeros, and with
 * stride 1 the inside part is one contiguous copy. col2im accumulates in float64 in the
 * reference's order, so its sums are the reference's bit for bit.
 */
import type { FoldGeometry } from '../../geometry/fold.js';
import type { FloatData } from '../../tensor.js';
import { foldPlan, type FoldPlan } from '../plan.js';

/** The fold plan and, per kernel x-tap, the first and the end (exclusive) block inside the image. */
interface Dims extends FoldPlan {
  lo: Int32Array;
  hi: Int32Array;
}

function dims(g: FoldGeometry, imageLength: number, colsLength: number): Dims {
  const m = foldPlan(g, imageLength, colsLength);
  const { xSize: X, ySize: B, kernelSize: K, stride: S, dilation: D, padBegin: P } = m;
  // ix = bx·S − P + kx·D inside [0, X) ⇔ bx in [lo, hi)
  const lo = new Int32Array(K[2]);
  const hi = new Int32Array(K[2]);
  for (let kx = 0; kx < K[2]; kx++) {
    const off = kx * D[2] - P[2];
    let a = 0;
    while (a < B[2] && a * S[2] + off < 0) a++;
    let b = a;
    while (b < B[2] && b * S[2] + off < X[2]) b++;
    lo[kx] = a;
    hi[kx] = b;
  }
  return { ...m, lo, hi };
}

/** im2col: `cols` (N, C·∏k, L) fully written from `image` (N, C, *imageSize). */
export function im2colFast(g: FoldGeometry, image: FloatData, cols: FloatData): void {
  const m = dims(g, image.length, cols.length);
  const { xSize: X, ySize: B, kernelSize: K, stride: S, dilation: D, padBegin: P, blockCount: L, lo, hi } = m;
  const colPlane = m.kernelVolume * L;
  for (let q = 0; q < m.planes; q++) {
    const xOff = q * m.xPlane;
    const cOff = q * colPlane;
    for (let kz = 0; kz < K[0]; kz++)
      for (let ky = 0; ky < K[1]; ky++)
        for (let kx = 0; kx < K[2]; kx++) {
          const rowOff = cOff + ((kz * K[1] + ky) * K[2] + kx) * L;
          const a = lo[kx]!;
          const b = hi[kx]!;
          const xShift = kx * D[2] - P[2];
          for (let bz = 0; bz < B[0]; bz++) {
            const iz = bz * S[0] - P[0] + kz * D[0];
            const zIn = iz >= 0 && iz < X[0];
            for (let by = 0; by < B[1]; by++) {
              const iy = by * S[1] - P[1] + ky * D[1];
              const colRow = rowOff + (bz * B[1] + by) * B[2];
              if (!(zIn && iy >= 0 && iy < X[1]) || a >= b) {
                cols.fill(0, colRow, colRow + B[2]);
                continue;
              }
              if (a > 0) cols.fill(0, colRow, colRow + a);
              if (b < B[2]) cols.fill(0, colRow + b, colRow + B[2]);
              const src = xOff + (iz * X[1] + iy) * X[2] + xShift;
              if (S[2] === 1) cols.set(image.subarray(src + a, src + b), colRow + a);
              else
                for (let bx = a, s = src + a * S[2]; bx < b; bx++, s += S[2]) cols[colRow + bx] = image[s]!;
            }
          }
        }
  }
}

/** col2im: `image` (N, C, *imageSize) fully written, overlapping blocks summed, from `cols`. */
export function col2imFast(g: FoldGeometry, cols: FloatData, image: FloatData): void {
  const m = dims(g, image.length, cols.length);
  const { xSize: X, ySize: B, kernelSize: K, stride: S, dilation: D, padBegin: P, blockCount: L, lo, hi } = m;
  const colPlane = m.kernelVolume * L;
  const acc = new Float64Array(m.xPlane);
  for (let q = 0; q < m.planes; q++) {
    const cOff = q * colPlane;
    acc.fill(0);
    for (let kz = 0; kz < K[0]; kz++)
      for (let ky = 0; ky < K[1]; ky++)
        for (let kx = 0; kx < K[2]; kx++) {
          const rowOff = cOff + ((kz * K[1] + ky) * K[2] + kx) * L;
          const a = lo[kx]!;
          const b = hi[kx]!;
          if (a >= b) continue;
          const xShift = kx * D[2] - P[2];
          for (let bz = 0; bz < B[0]; bz++) {
            const iz = bz * S[0] - P[0] + kz * D[0];
            if (iz < 0 || iz >= X[0]) continue;
            for (let by = 0; by < B[1]; by++) {
              const iy = by * S[1] - P[1] + ky * D[1];
              if (iy < 0 || iy >= X[1]) continue;
              const colRow = rowOff + (bz * B[1] + by) * B[2];
              const dst = (iz * X[1] + iy) * X[2] + xShift;
              for (let bx = a, t = dst + a * S[2]; bx < b; bx++, t += S[2]) acc[t] += cols[colRow + bx]!;
            }
          }
        }
    image.set(acc, q * m.xPlane);
  }
}
