/**
 * The one loop plan of the kernels: the spatial sizes, kernel, stride, dilation and begin padding
 * padded to 3 dimensions (leading 1s, 0 padding) so that one loop nest serves 1-d to 3-d. The
 * convolution kernels (reference, JavaScript, WebAssembly) read `convPlan`, unfold / fold
 * `foldPlan`; both are a `SpatialPlan`, whose field names are the WebAssembly SLICE record's
 * (wasm/layout.ts). In the conv view (geometry/conv.ts) taps read x and write y; for unfold / fold
 * x is the image and y the grid of blocks.
 */
import { to3 } from '../geometry/arithmetic.js';
import type { ConvGeometry } from '../geometry/conv.js';
import type { FoldGeometry } from '../geometry/fold.js';

export type Triple = readonly [number, number, number];

/** `[f(t[0], 0), f(t[1], 1), f(t[2], 2)]`. */
export function map3(t: Triple, f: (v: number, i: number) => number): Triple {
  return [f(t[0], 0), f(t[1], 1), f(t[2], 2)];
}

/** A triple's product. */
export function volume(t: Triple): number {
  return t[0] * t[1] * t[2];
}

export interface SpatialPlan {
  xSize: Triple;
  ySize: Triple;
  kernelSize: Triple;
  stride: Triple;
  dilation: Triple;
  padBegin: Triple;
  kernelVolume: number;
  xPlane: number;
  yPlane: number;
}

/** The spatial plan of per-dimension lists of 1 to 3 entries. */
function spatialPlan(s: {
  xSize: readonly number[];
  ySize: readonly number[];
  kernelSize: readonly number[];
  stride: readonly number[];
  dilation: readonly number[];
  padBegin: readonly number[];
}): SpatialPlan {
  const xSize = to3(s.xSize, 1);
  const ySize = to3(s.ySize, 1);
  const kernelSize = to3(s.kernelSize, 1);
  return {
    xSize,
    ySize,
    kernelSize,
    stride: to3(s.stride, 1),
    dilation: to3(s.dilation, 1),
    padBegin: to3(s.padBegin, 0),
    kernelVolume: volume(kernelSize),
    xPlane: volume(xSize),
    yPlane: volume(ySize),
  };
}

export interface ConvPlan extends SpatialPlan {
  batch: number;
  groups: number;
  xChannelsPerGroup: number;
  yChannelsPerGroup: number;
}

export function convPlan(g: ConvGeometry): ConvPlan {
  return {
    ...spatialPlan({ ...g, kernelSize: g.kernel }),
    batch: g.batch,
    groups: g.groups,
    xChannelsPerGroup: g.xChannels / g.groups,
    yChannelsPerGroup: g.yChannels / g.groups,
  };
}

export interface FoldPlan extends SpatialPlan {
  /** batch · channels image planes */
  planes: number;
  /** blocks (columns) per plane */
  blockCount: number;
}

/**
 * The plan of an unfold / fold call on arrays of `imageLength` and `colsLength` elements; throws
 * when they do not match the geometry (an internal error: the op allocated both from it).
 */
export function foldPlan(g: FoldGeometry, imageLength: number, colsLength: number): FoldPlan {
  const m: FoldPlan = {
    ...spatialPlan({
      xSize: g.imageSize,
      ySize: g.blocks,
      kernelSize: g.kernel,
      stride: g.stride,
      dilation: g.dilation,
      padBegin: g.padBegin,
    }),
    planes: g.batch * g.channels,
    blockCount: g.blockCount,
  };
  const image = m.planes * m.xPlane;
  const cols = m.planes * m.kernelVolume * m.blockCount;
  if (imageLength !== image || colsLength !== cols) {
    throw new Error(
      `${g.fn}: internal error: arrays of length ${imageLength} and ${colsLength} do not match the geometry ` +
        `(${image} and ${cols})`,
    );
  }
  return m;
}
