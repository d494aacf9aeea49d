/**
 * `interpolate`: up- and down-sampling by nearest, linear (1-3 d), bicubic and area rules, exactly
 * as PyTorch 1.13's `torch.nn.functional.interpolate` (with `recompute_scale_factor=None`).
 * https://pytorch.org/docs/1.13/generated/torch.nn.functional.interpolate.html
 *
 * The geometry (`geometry/interpolate.ts`) turns the options into per-dimension tap tables; the
 * forward pass applies them, the backward pass applies their transposes.
 */
import type { GradTable } from '../autograd/registry.js';
import { record } from '../autograd/tape.js';
import { checkOptions } from '../geometry/args.js';
import {
  interpolateGeometry,
  interpolateParams,
  type InterpolateGeometry,
  type InterpolateOptions,
} from '../geometry/interpolate.js';
import { resampleKernels } from '../kernels/dispatch.js';
import { Tensor, checkFloatTensor, emptyLike, type FloatData } from '../tensor.js';

export type { InterpolateMode, InterpolateOptions } from '../geometry/interpolate.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    interpolate: { geometry: InterpolateGeometry };
  }
}

/**
 * Resizes the spatial dimensions of `input` to `size`, or to `floor(inputSize * scaleFactor)`.
 *
 * - `input`: `(N, C, *spatial)`, or unbatched `(C, *spatial)`, with 1 to 3 spatial dimensions.
 *   Their number `d` comes from `mode` for 'linear' (1), 'bilinear' / 'bicubic' (2) and
 *   'trilinear' (3); for 'nearest', 'nearest-exact' and 'area' it is the length of `size` or
 *   `scaleFactor` when that is an array, else `input.ndim - 2`. An input of rank `d + 1` is read as
 *   unbatched `(C, *spatial)` and gives an unbatched result (so an unbatched input with one of those
 *   three modes needs `size` or `scaleFactor` as an array).
 * - returns `(N, C, *outputSpatial)` (or `(C, *outputSpatial)`).
 *
 * Options: exactly one of `size` (positive integers) and `scaleFactor` (positive numbers), each a
 * number for every spatial dimension or an array with one per dimension; `mode` (default
 * 'nearest'); `alignCorners` (only with 'linear', 'bilinear', 'bicubic', 'trilinear'; default
 * false). With `scaleFactor`, the sampling positions use that factor (`1 / scaleFactor` input
 * pixels per output pixel), as PyTorch does, not the ratio of the rounded sizes.
 *
 * Differentiable with respect to `input`.
 *
 * @example
 *   import { interpolate, randn } from 'deconv';
 *   const x = randn([1, 3, 8, 8], { seed: 0 });
 *   interpolate(x, { scaleFactor: 2, mode: 'bilinear' }).shape;            // [1, 3, 16, 16]
 *   interpolate(x, { size: [5, 12], mode: 'bicubic', alignCorners: true }).shape; // [1, 3, 5, 12]
 *   interpolate(x, { scaleFactor: 0.5, mode: 'area' }).shape;              // [1, 3, 4, 4]
 *   interpolate(randn([3, 10]), { size: [4] }).shape;                      // [3, 4] (unbatched 1-d)
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const fn = 'interpolate';
  const opts = checkOptions<InterpolateOptions>(fn, options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
  const params = interpolateParams(fn, opts);
  const geometry = interpolateGeometry(params, checkFloatTensor(fn, 'input', input).shape);
  const out = emptyLike(
    'interpolate',
    options.size !== undefined ? 'size' : 'scaleFactor',
    geometry.outputShape,
    input,
    'uninitialised', // every resampling kernel writes every element
  );
  // An empty batch: nothing to compute (and no taps were built, see geometry/interpolate.ts).
  if (out.size === 0) return record('interpolate', out, [input], () => ({ geometry }));
  resampleKernels().resample(
    input.data as FloatData,
    out.data as FloatData,
    geometry.planes,
    geometry.forward,
    'interpolate',
  );
  return record('interpolate', out, [input], () => ({ geometry }));
}

/** The gradient of `interpolate` with respect to its input: the transposed taps applied to `gradOutput`. */
function interpolateBackward(geometry: InterpolateGeometry, gradOutput: Tensor): Tensor {
  const gradInput = emptyLike('interpolate', 'gradOutput', geometry.inputShape, gradOutput, 'uninitialised');
  if (gradInput.size === 0) return gradInput;
  resampleKernels().resample(
    gradOutput.data as FloatData,
    gradInput.data as FloatData,
    geometry.planes,
    geometry.backward,
    'interpolate',
  );
  return gradInput;
}

export const interpolateRules: Pick<GradTable, 'interpolate'> = {
  interpolate: (saved, gradOutput) => [interpolateBackward(saved.geometry, gradOutput)],
};
