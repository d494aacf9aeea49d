/**
 * Tensor-argument checks shared by the ops: liveness, dtype and layout. The geometry (src/geometry)
 * works on shapes only; an op checks its tensors here first, then hands their shapes on.
 */
import { fail } from '../errors.js';
import { layoutOf, type Layout } from '../geometry/args.js';
import { Tensor, checkFloatTensor, checkTensor } from '../tensor.js';

/**
 * A tensor (float unless `float` is false) read as `(N, C, *spatial)` or `(C, *spatial)` with `d`
 * spatial dimensions.
 */
export function checkLayout(fn: string, argument: string, value: unknown, d: number, float = true): Layout {
  const t = float ? checkFloatTensor(fn, argument, value) : checkTensor(fn, argument, value);
  return layoutOf(fn, `${argument}.shape`, t.shape, d);
}

/** An optional bias: null, or a float tensor of shape `[channels]`. */
export function checkBias(fn: string, bias: unknown, channels: number): Tensor | null {
  if (bias === undefined || bias === null) return null;
  if (!(bias instanceof Tensor)) fail(fn, 'bias', bias, 'must be a Tensor or null');
  const b = checkFloatTensor(fn, 'bias', bias);
  if (b.shape.length !== 1 || b.shape[0] !== channels) {
    fail(fn, 'bias.shape', b.shape, `must be [${channels}], one value per output channel`);
  }
  return b;
}
