/**
 * Fast convolution kernels (same signatures as kernels/ref/conv.ts): Caffe's way, im2col + GEMM for
 * the gather direction and GEMM + col2im for the scatter direction, per batch element and group.
 *
 *   gather:  cols = im2col(x)            (cx·kVol, yPlane);  y = W · cols            (cy, yPlane)
 *   scatter: cols = Wᵀ · y               (cx·kVol, yPlane);  x = col2im(cols)
 *   weight:  cols = im2col(x);           gw = y · colsᵀ      (cy, cx·kVol), summed over the batch
 */
import { convPlan, type ConvPlan } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import type { FloatData } from '../../tensor.js';
import { gemmNN, gemmNT, gemmTN } from './gemm.js';

/** The range of output positions o with 0 ≤ o·s − p + k·d < size, as [lo, hi). */
function validRange(outSize: number, size: number, s: number, p: number, kd: number): [number, number] {
  // o·s ≥ p − kd  and  o·s ≤ size − 1 + p − kd
  const lo = Math.max(0, Math.ceil((p - kd) / s));
  const hi = Math.min(outSize, Math.floor((size - 1 + p - kd) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/** cols (cx·kVol, yPlane) ← x (cx, xPlane), cx the channels per group, starting at xOff; every element of cols written. */
function im2col(pl: ConvPlan, x: FloatData, xOff: number, cols: FloatData): void {
  const { xSize: X, ySize: Y, kernelSize: K, stride: S, dilation: D, padBegin: P, yPlane, xPlane } = pl;
  let row = 0;
  for (let c = 0; c < pl.xChannelsPerGroup; c++) {
    const xc = xOff + c * xPlane;
    for (let kz = 0; kz < K[0]; kz++)
      for (let ky = 0; ky < K[1]; ky++)
        for (let kx = 0; kx < K[2]; kx++, row++) {
          const rOff = row * yPlane;
          cols.fill(0, rOff, rOff + yPlane);
          const [z0, z1] = validRange(Y[0], X[0], S[0], P[0], kz * D[0]);
          const [y0, y1] = validRange(Y[1], X[1], S[1], P[1], ky * D[1]);
          const [x0, x1] = validRange(Y[2], X[2], S[2], P[2], kx * D[2]);
          for (let oz = z0; oz < z1; oz++) {
            const iz = oz * S[0] - P[0] + kz * D[0];
            for (let oy = y0; oy < y1; oy++) {
              const iy = oy * S[1] - P[1] + ky * D[1];
              const src = xc + (iz * X[1] + iy) * X[2] - P[2] + kx * D[2];
              const dst = rOff + (oz * Y[1] + oy) * Y[2];
              const sx = S[2];
              for (let ox = x0; ox < x1; ox++) cols[dst + ox] = x[src + ox * sx]!;
            }
          }
        }
  }
}

/** x (cx, xPlane) at xOff += col2im(cols); x must be initialised by the caller. */
function col2im(pl: ConvPlan, cols: FloatData, x: FloatData, xOff: number): void {
  const { xSize: X, ySize: Y, kernelSize: K, stride: S, dilation: D, padBegin: P, yPlane, xPlane } = pl;
  let row = 0;
  for (let c = 0; c < pl.xChannelsPerGroup; c++) {
    const xc = xOff + c * xPlane;
    for (let kz = 0; kz < K[0]; kz++)
      for (let ky = 0; ky < K[1]; ky++)
        for (let kx = 0; kx < K[2]; kx++, row++) {
          const rOff = row * yPlane;
          const [z0, z1] = validRange(Y[0], X[0], S[0], P[0], kz * D[0]);
          const [y0, y1] = validRange(Y[1], X[1], S[1], P[1], ky * D[1]);
          const [x0, x1] = validRange(Y[2], X[2], S[2], P[2], kx * D[2]);
          for (let oz = z0; oz < z1; oz++) {
            const iz = oz * S[0] - P[0] + kz * D[0];
            for (let oy = y0; oy < y1; oy++) {
              const iy = oy * S[1] - P[1] + ky * D[1];
              const dst = xc + (iz * X[1] + iy) * X[2] - P[2] + kx * D[2];
              const src = rOff + (oz * Y[1] + oy) * Y[2];
              const sx = S[2];
              for (let ox = x0; ox < x1; ox++) x[dst + ox * sx] += cols[src + ox]!;
            }
          }
        }
  }
}

function scratch(like: FloatData, n: number): FloatData {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export function convGatherFast(
  g: ConvGeometry,
  x: FloatData,
  w: FloatData,
  bias: FloatData | null,
  y: FloatData,
): void {
  const pl = convPlan(g);
  const { xChannelsPerGroup: cx, yChannelsPerGroup: cy } = pl;
  const Kd = cx * pl.kernelVolume;
  const cols = scratch(y, Kd * pl.yPlane);
  for (let n = 0; n < g.batch; n++)
    for (let gr = 0; gr < g.groups; gr++) {
      im2col(pl, x, (n * g.xChannels + gr * cx) * pl.xPlane, cols);
      const yOff = (n * g.yChannels + gr * cy) * pl.yPlane;
      gemmNN(cy, pl.yPlane, Kd, w, gr * cy * Kd, cols, 0, y, yOff, false);
      if (bias)
        for (let o = 0; o < cy; o++) {
          const b = bias[gr * cy + o]!;
          const off = yOff + o * pl.yPlane;
          for (let p = 0; p < pl.yPlane; p++) y[off + p] += b;
        }
    }
}

export function convScatterFast(
  g: ConvGeometry,
  y: FloatData,
  w: FloatData,
  bias: FloatData | null,
  x: FloatData,
): void {
  const pl = convPlan(g);
  const { xChannelsPerGroup: cx, yChannelsPerGroup: cy } = pl;
  const Kd = cx * pl.kernelVolume;
  const cols = scratch(x, Kd * pl.yPlane);
  for (let n = 0; n < g.batch; n++)
    for (let gr = 0; gr < g.groups; gr++) {
      const xOff = (n * g.xChannels + gr * cx) * pl.xPlane;
      if (bias)
        for (let c = 0; c < cx; c++)
          x.fill(bias[gr * cx + c]!, xOff + c * pl.xPlane, xOff + (c + 1) * pl.xPlane);
      else x.fill(0, xOff, xOff + cx * pl.xPlane);
      // cols (Kd, yPlane) = W_gᵀ · y_g with W_g stored (cy, Kd)
      gemmTN(Kd, pl.yPlane, cy, w, gr * cy * Kd, y, (n * g.yChannels + gr * cy) * pl.yPlane, cols, 0);
      col2im(pl, cols, x, xOff);
    }
}

export function convWeightFast(g: ConvGeometry, x: FloatData, y: FloatData, gw: FloatData): void {
  const pl = convPlan(g);
  const { xChannelsPerGroup: cx, yChannelsPerGroup: cy } = pl;
  const Kd = cx * pl.kernelVolume;
  const cols = scratch(gw, Kd * pl.yPlane);
  gw.fill(0);
  for (let n = 0; n < g.batch; n++)
    for (let gr = 0; gr < g.groups; gr++) {
      im2col(pl, x, (n * g.xChannels + gr * cx) * pl.xPlane, cols);
      // gw_g (cy, Kd) += y_g (cy, yPlane) · colsᵀ
      gemmNT(cy, Kd, pl.yPlane, y, (n * g.yChannels + gr * cy) * pl.yPlane, cols, 0, gw, gr * cy * Kd, true);
    }
}
