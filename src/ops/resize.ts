/**
 * `resize`: ONNX `Resize`'s sampling (opsets 11–17) as a differentiable op, on the same separable
 * resampling kernels as `interpolate`. The rules and where ONNX's spec, its reference and ONNX
 * Runtime differ are in `geometry/resize.ts`.
 * https://github.com/onnx/onnx/blob/v1.12.0/docs/Operators.md#Resize
 *
 * `interpolate`'s PyTorch modes are particular settings of it (same values up to float rounding):
 *
 *   interpolate mode                       resize
 *   'nearest'                              mode 'nearest', 'asymmetric', nearestMode 'floor'
 *   'nearest-exact'                        mode 'nearest', 'half_pixel', nearestMode 'round_prefer_ceil'
 *   'linear' / 'bilinear' / 'trilinear'    mode 'linear', 'half_pixel'
 *   (alignCorners: true)                   mode 'linear', 'align_corners' (with sizes)
 *   'bicubic'                              mode 'cubic', 'half_pixel' (or 'align_corners'), cubicCoeffA −0.75
 *
 * 'half_pixel', not 'pytorch_half_pixel': the two differ only for an output length of 1, where
 * PyTorch samples the centre `(in − 1) / 2` as 'half_pixel' does, and 'pytorch_half_pixel' −0.5
 * (ONNX's reference; its spec says 0). Linear taps below 0 read the edge, like PyTorch's clamp.
 *
 * (With `scaleFactor`, PyTorch samples at `1 / scaleFactor` in float32; give the same `scales`.)
 * 'area' is adaptive average pooling and has no `resize` form.
 */
import type { GradTable } from '../autograd/registry.js';
import { record } from '../autograd/tape.js';
import { checkOptions } from '../geometry/args.js';
import {
  RESIZE_OPTION_KEYS,
  resizeGeometry,
  type ResizeGeometry,
  type ResizeOptions,
} from '../geometry/resize.js';
import { resampleKernels } from '../kernels/dispatch.js';
import { Tensor, checkFloatTensor, emptyLike, type FloatData } from '../tensor.js';

export type {
  ResizeOptions,
  ResizeMode,
  CoordinateTransformationMode,
  NearestMode,
} from '../geometry/resize.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    resize: { geometry: ResizeGeometry };
  }
}

/** Writes `value` into every output element whose coordinate extrapolates in some dimension. */
function fillOutside(g: ResizeGeometry, out: FloatData): void {
  const [m0, m1, m2] = g.outside;
  if (!m0 && !m1 && !m2) return;
  const [n0, n1, n2] = g.forward.map((t) => t.outSize) as [number, number, number];
  const plane = n0 * n1 * n2;
  for (let p = 0; p < g.planes; p++) {
    let at = p * plane;
    for (let a = 0; a < n0; a++) {
      for (let b = 0; b < n1; b++) {
        for (let c = 0; c < n2; c++, at++) {
          if (m0?.[a] || m1?.[b] || m2?.[c]) out[at] = g.extrapolationValue;
        }
      }
    }
  }
}

/**
 * Resizes the spatial dimensions of `input` `(N, C, *spatial)` or `(C, *spatial)` (1 to 3 spatial
 * dimensions: the length of `sizes` / `scales` when an array, else `rank − 2`) with ONNX Resize's
 * rules; returns `(N, C, *outSpatial)` (or `(C, *outSpatial)`), `outSpatial` = `sizes` or
 * `floor(inSpatial · scales)`. Differentiable with respect to `input` (extrapolated elements get
 * no gradient).
 *
 * @example
 *   import { resize, randn } from 'deconv';
 *   const x = randn([1, 3, 4, 4], { seed: 0 });
 *   resize(x, { scales: [2, 2], mode: 'linear' }).shape;                                // [1, 3, 8, 8]
 *   resize(x, { sizes: [3, 5], mode: 'cubic', coordinateTransformationMode: 'align_corners' }).shape; // [1, 3, 3, 5]
 *   resize(x, { sizes: [2, 2], mode: 'linear', coordinateTransformationMode: 'tf_crop_and_resize',
 *               roi: [0.25, 0.25, 0.75, 0.75], extrapolationValue: 10 }).shape;          // [1, 3, 2, 2]
 */
export function resize(input: Tensor, options: ResizeOptions): Tensor {
  const x = checkFloatTensor('resize', 'input', input);
  const opts = checkOptions<ResizeOptions>('resize', options, RESIZE_OPTION_KEYS);
  const geometry = resizeGeometry('resize', x.shape, opts);
  const out = emptyLike(
    'resize',
    opts.sizes !== undefined ? 'sizes' : 'scales',
    geometry.outputShape,
    x,
    'uninitialised',
  );
  // An empty batch: nothing to compute (and no taps were built, see geometry/resize.ts).
  if (out.size === 0) return record('resize', out, [x], () => ({ geometry }));
  resampleKernels().resample(
    x.data as FloatData,
    out.data as FloatData,
    geometry.planes,
    geometry.forward,
    'resize',
  );
  fillOutside(geometry, out.data as FloatData);
  return record('resize', out, [x], () => ({ geometry }));
}

export const resizeRules: Pick<GradTable, 'resize'> = {
  resize: ({ geometry }, gradOutput) => {
    const gradInput = emptyLike('resize', 'gradOutput', geometry.inputShape, gradOutput, 'uninitialised');
    if (gradInput.size === 0) return [gradInput];
    // Extrapolated outputs read no taps, so the transposed taps already give them no gradient.
    resampleKernels().resample(
      gradOutput.data as FloatData,
      gradInput.data as FloatData,
      geometry.planes,
      geometry.backward,
      'resize',
    );
    return [gradInput];
  },
};
