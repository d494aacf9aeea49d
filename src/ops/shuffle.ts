/**
 * `pixelShuffle` and `pixelUnshuffle`: the sub-pixel rearrangement of Shi et al., "Real-Time Single
 * Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network"
 * (CVPR 2016), as PyTorch's `torch.nn.functional.pixel_shuffle` / `pixel_unshuffle`.
 * Each is the other's inverse and transpose, so each one's backward pass is the other.
 */
import type { GradTable } from '../autograd/registry.js';
import { record } from '../autograd/tape.js';
import { shuffleGeometry, type ShuffleGeometry } from '../geometry/interpolate.js';
import { resampleKernels } from '../kernels/dispatch.js';
import { Tensor, allocate, checkTensor } from '../tensor.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    pixelShuffle: { geometry: ShuffleGeometry };
    pixelUnshuffle: { geometry: ShuffleGeometry };
  }
}

/** Shuffles (or unshuffles) `src` into a new tensor of `shape` and `src`'s dtype. */
function run(
  fn: string,
  src: Tensor,
  g: ShuffleGeometry,
  unshuffle: boolean,
  shape: readonly number[],
): Tensor {
  // a permutation: both kernels write every element
  const out = new Tensor(allocate(fn, 'factor', shape, src.dtype, 'uninitialised'), shape);
  resampleKernels().pixelShuffle(src.data, out.data, g, unshuffle, fn);
  return out;
}

/**
 * Moves blocks of `factor²` channels into `factor × factor` spatial blocks:
 * `(*, C·r², H, W) -> (*, C, H·r, W·r)` with `r = factor`; output `(c, h·r + i, w·r + j)` is input
 * `(c·r² + i·r + j, h, w)`. Leading dimensions (any number, at least the 3 last are required) are
 * batch dimensions. Differentiable; its gradient is `pixelUnshuffle`.
 *
 * @example
 *   import { pixelShuffle, randn } from 'deconv';
 *   pixelShuffle(randn([1, 12, 4, 4]), 2).shape; // [1, 3, 8, 8]
 */
export function pixelShuffle(input: Tensor, factor: number): Tensor {
  const g = shuffleGeometry('pixelShuffle', checkTensor('pixelShuffle', 'input', input).shape, factor, false);
  const out = run('pixelShuffle', input, g, false, g.outputShape);
  return record('pixelShuffle', out, [input], () => ({ geometry: g }));
}

/**
 * The inverse of `pixelShuffle`: `(*, C, H·r, W·r) -> (*, C·r², H, W)` with `r = factor`; `H·r`
 * and `W·r` must be divisible by `r`. Differentiable; its gradient is `pixelShuffle`.
 *
 * @example
 *   import { pixelUnshuffle, randn } from 'deconv';
 *   pixelUnshuffle(randn([1, 3, 8, 8]), 2).shape; // [1, 12, 4, 4]
 */
export function pixelUnshuffle(input: Tensor, factor: number): Tensor {
  const g = shuffleGeometry(
    'pixelUnshuffle',
    checkTensor('pixelUnshuffle', 'input', input).shape,
    factor,
    true,
  );
  const out = run('pixelUnshuffle', input, g, true, g.outputShape);
  return record('pixelUnshuffle', out, [input], () => ({ geometry: g }));
}

export const shuffleRules: Pick<GradTable, 'pixelShuffle' | 'pixelUnshuffle'> = {
  // The gradient of a permutation is the inverse permutation applied to the output's gradient.
  pixelShuffle: (s, gradOutput) => [run('pixelShuffle', gradOutput, s.geometry, true, s.geometry.inputShape)],
  pixelUnshuffle: (s, gradOutput) => [
    run('pixelUnshuffle', gradOutput, s.geometry, false, s.geometry.inputShape),
  ],
};
