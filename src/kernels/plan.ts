/**
 * The loop plan every convolution kernel (reference, JavaScript, WebAssembly) reads from a
 * ConvGeometry: batch, groups, channels per group, and the spatial sizes, kernel, stride, dilation
 * and begin padding padded to 3 dimensions (leading 1s, 0 padding) so one loop nest serves 1-d to 3-d.
 */
import { to3 } from '../geometry/arithmetic.js';
import type { ConvGeometry } from '../geometry/conv.js';

export type Triple = [number, number, number];

export interface ConvPlan {
  N: number;
  G: number;
  /** x channels per group */
  cx: number;
  /** y channels per group */
  cy: number;
  X: Triple;
  Y: Triple;
  K: Triple;
  S: Triple;
  D: Triple;
  P: Triple;
  kVol: number;
  xPlane: number;
  yPlane: number;
}

export function convPlan(g: ConvGeometry): ConvPlan {
  const X = to3(g.xSize, 1);
  const Y = to3(g.ySize, 1);
  const K = to3(g.kernel, 1);
  return {
    N: g.batch,
    G: g.groups,
    cx: g.xChannels / g.groups,
    cy: g.yChannels / g.groups,
    X,
    Y,
    K,
    S: to3(g.stride, 1),
    D: to3(g.dilation, 1),
    P: to3(g.padBegin, 0),
    kVol: K[0] * K[1] * K[2],
    xPlane: X[0] * X[1] * X[2],
    yPlane: Y[0] * Y[1] * Y[2],
  };
}
