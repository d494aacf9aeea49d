/**
 * Tensor-argument checks the ops share beyond tensor.ts's `checkTensor` / `checkFloatTensor`
 * (liveness, dtype). The geometry (src/geometry) works on shapes only: an op checks its tensors
 * first, then hands their shapes on.
 */
import { fail } from '../errors.js';
import { Tensor, checkFloatTensor } from '../tensor.js';

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
