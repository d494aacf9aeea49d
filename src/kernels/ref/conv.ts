/**
 * Reference convolution kernels: obvious loops, one output (or input) element at a time, over 1 to
 * 3 spatial dimensions padded to 3. They are the oracle for the fast kernels.
 *
 * Three kernels cover both ops in both directions (conv view: x → y, see geometry/conv.ts):
 *   gather   y[n, o, p] = Σ x[n, c, p·s − pb + k·d] · w[o, c, k]       conv forward, convT input-grad
 *   scatter  x[n, c, p·s − pb + k·d] += y[n, o, p] · w[o, c, k]         convT forward, conv input-grad
 *   weight   w'[o, c, k] = Σ x[n, c, p·s − pb + k·d] · y[n, o, p]       both ops' weight gradient
 * The weight is (yChannels, xChannels / groups, *k) in both ops, PyTorch's layout for each.
 */
import { convPlan, type SpatialPlan } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import type { FloatData } from '../../tensor.js';

/**
 * Calls `body(yIndex, xIndex, kIndex)` for every (output position, kernel tap) pair that lands
 * inside x, for one x-plane/y-plane/weight-slice. All three kernels are this one loop.
 */
function forEachTap(m: SpatialPlan, body: (yi: number, xi: number, ki: number) => void): void {
  const { xSize: X, ySize: Y, kernelSize: K, stride: S, dilation: D, padBegin: P } = m;
  for (let oz = 0; oz < Y[0]; oz++)
    for (let kz = 0; kz < K[0]; kz++) {
      const iz = oz * S[0] - P[0] + kz * D[0];
      if (iz < 0 || iz >= X[0]) continue;
      for (let oy = 0; oy < Y[1]; oy++)
        for (let ky = 0; ky < K[1]; ky++) {
          const iy = oy * S[1] - P[1] + ky * D[1];
          if (iy < 0 || iy >= X[1]) continue;
          for (let ox = 0; ox < Y[2]; ox++)
            for (let kx = 0; kx < K[2]; kx++) {
              const ix = ox * S[2] - P[2] + kx * D[2];
              if (ix < 0 || ix >= X[2]) continue;
              body((oz * Y[1] + oy) * Y[2] + ox, (iz * X[1] + iy) * X[2] + ix, (kz * K[1] + ky) * K[2] + kx);
            }
        }
    }
}

/** y = conv(x, w) + bias, y fully written. */
export function convGatherRef(
  g: ConvGeometry,
  x: FloatData,
  w: FloatData,
  bias: FloatData | null,
  y: FloatData,
): void {
  const m = convPlan(g);
  const { batch: N, groups: G, xChannelsPerGroup: cx, yChannelsPerGroup: cy, kernelVolume: kVol } = m;
  const acc = new Float64Array(m.yPlane);
  for (let n = 0; n < N; n++)
    for (let gr = 0; gr < G; gr++)
      for (let o = 0; o < cy; o++) {
        const oc = gr * cy + o;
        acc.fill(bias ? bias[oc]! : 0);
        for (let c = 0; c < cx; c++) {
          const xOff = (n * G * cx + gr * cx + c) * m.xPlane;
          const wOff = (oc * cx + c) * kVol;
          forEachTap(m, (yi, xi, ki) => {
            acc[yi] += x[xOff + xi]! * w[wOff + ki]!;
          });
        }
        y.set(acc, (n * G * cy + oc) * m.yPlane);
      }
}

/** x = convᵀ(y, w) + bias (bias per x channel), x fully written. */
export function convScatterRef(
  g: ConvGeometry,
  y: FloatData,
  w: FloatData,
  bias: FloatData | null,
  x: FloatData,
): void {
  const m = convPlan(g);
  const { batch: N, groups: G, xChannelsPerGroup: cx, yChannelsPerGroup: cy, kernelVolume: kVol } = m;
  const acc = new Float64Array(m.xPlane);
  for (let n = 0; n < N; n++)
    for (let gr = 0; gr < G; gr++)
      for (let c = 0; c < cx; c++) {
        const xc = gr * cx + c;
        acc.fill(bias ? bias[xc]! : 0);
        for (let o = 0; o < cy; o++) {
          const oc = gr * cy + o;
          const yOff = (n * G * cy + oc) * m.yPlane;
          const wOff = (oc * cx + c) * kVol;
          forEachTap(m, (yi, xi, ki) => {
            acc[xi] += y[yOff + yi]! * w[wOff + ki]!;
          });
        }
        x.set(acc, (n * G * cx + xc) * m.xPlane);
      }
}

/** gw = Σ_n,p x ⊗ y over the taps, gw fully written. */
export function convWeightRef(g: ConvGeometry, x: FloatData, y: FloatData, gw: FloatData): void {
  const m = convPlan(g);
  const { batch: N, groups: G, xChannelsPerGroup: cx, yChannelsPerGroup: cy, kernelVolume: kVol } = m;
  const acc = new Float64Array(kVol);
  for (let gr = 0; gr < G; gr++)
    for (let o = 0; o < cy; o++) {
      const oc = gr * cy + o;
      for (let c = 0; c < cx; c++) {
        acc.fill(0);
        for (let n = 0; n < N; n++) {
          const xOff = (n * G * cx + gr * cx + c) * m.xPlane;
          const yOff = (n * G * cy + oc) * m.yPlane;
          forEachTap(m, (yi, xi, ki) => {
            acc[ki] += x[xOff + xi]! * y[yOff + yi]!;
          });
        }
        gw.set(acc, (oc * cx + c) * kVol);
      }
    }
}

/** Sum of `t` (N, C, plane) over N and the plane, per channel. */
export function channelSumRef(
  t: FloatData,
  batch: number,
  channels: number,
  plane: number,
  out: FloatData,
): void {
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let n = 0; n < batch; n++) {
      const off = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) s += t[off + i]!;
    }
    out[c] = s;
  }
}
