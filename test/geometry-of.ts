/**
 * The geometry of a call from tensors, for kernel tests that drive kernels directly: the options
 * through the family's params step, then the tensors' shapes through its geometry step.
 */
import * as conv from '../src/geometry/conv.js';
import * as fold from '../src/geometry/fold.js';
import * as interp from '../src/geometry/interpolate.js';
import * as pool from '../src/geometry/pool.js';
import type { Tensor } from '../src/tensor.js';

export function convGeometry(
  fn: string,
  x: Tensor,
  w: Tensor,
  options: conv.ConvShapeOptions,
  d: number,
): { geometry: conv.ConvGeometry } {
  return {
    geometry: conv.convGeometry(conv.convParams(fn, d, options), { input: x.shape, weight: w.shape }),
  };
}

export function convTransposeGeometry(
  fn: string,
  x: Tensor,
  w: Tensor,
  options: conv.ConvTransposeShapeOptions,
  d: number,
): { geometry: conv.ConvGeometry } {
  const p = conv.convTransposeParams(fn, d, options);
  return { geometry: conv.convTransposeGeometry(p, { input: x.shape, weight: w.shape }) };
}

export function interpolateGeometry(
  fn: string,
  x: Tensor,
  options: interp.InterpolateOptions,
): interp.InterpolateGeometry {
  return interp.interpolateGeometry(interp.interpolateParams(fn, options), x.shape);
}

export function shuffleGeometry(
  fn: string,
  x: Tensor,
  factor: number,
  unshuffle: boolean,
): interp.ShuffleGeometry {
  return interp.shuffleGeometry(fn, x.shape, factor, unshuffle);
}

export function poolGeometry(
  fn: string,
  kind: 'maxPool' | 'avgPool',
  x: Tensor,
  options: unknown,
  d: number,
): pool.PoolGeometry {
  return pool.poolGeometry(pool.poolParams(fn, kind, d, options as pool.RawPoolOptions), x.shape);
}

export function maxUnpoolGeometry(
  fn: string,
  x: Tensor,
  _indices: Tensor,
  options: unknown,
  d: number,
): pool.PoolGeometry {
  return pool.maxUnpoolGeometry(pool.maxUnpoolParams(fn, d, options as pool.RawPoolOptions), x.shape);
}

export function unfoldGeometry(fn: string, x: Tensor, options: fold.UnfoldOptions): fold.FoldGeometry {
  return fold.unfoldGeometry(fold.foldParams(fn, options, false), x.shape);
}
