/**
 * Weight initialisers.
 *
 * `bilinearFiller` is Caffe's `BilinearFiller` (caffe/include/caffe/filler.hpp), the fixed weight
 * that turns a transposed convolution into bilinear upsampling, as used by the FCN
 * semantic-segmentation nets (Long, Shelhamer, Darrell, "Fully Convolutional Networks for Semantic
 * Segmentation", CVPR 2015). For an upsampling factor `s` the usual layer is
 * `kernelSize = 2s − s % 2`, `stride = s`, `padding = ⌈(s − 1) / 2⌉`, `groups = channels`, which
 * maps `n` pixels to exactly `s·n`.
 */
import { fail } from '../errors.js';
import { Tensor, allocate } from '../tensor.js';

export interface FillerOptions {
  /** `'float32'` (default) or `'float64'` (for finite-difference gradient checks). */
  dtype?: 'float32' | 'float64';
  requiresGrad?: boolean;
}

/**
 * The 1-D profile of Caffe's bilinear filler for a kernel of `k` taps: with `f = ⌈k / 2⌉` and
 * `c = (k − 1) / (2f)`, tap `x` is `1 − |x / f − c|`. For `k = 4`: `[0.25, 0.75, 0.75, 0.25]`.
 *
 * Caffe's first version of the filler (2015, and the many copies of it in FCN, DRN or CenterNet
 * code) wrote the centre as `c = (2f − 1 − f % 2) / (2f)`. That is the same number whenever
 * `k % 4` is 0 or 1, which covers every upsampling kernel `2s − s % 2`; for `k % 4` = 2 or 3 it is
 * off by `1 / (2f)` and gives a lopsided kernel (`k = 2`: `[1, 0]`, `k = 3`: `[0.25, 0.75, 0.75]`).
 * Caffe's later filler.hpp uses `c = (k − 1) / (2f)`, symmetric for every `k`, as here.
 */
function profile(k: number): number[] {
  const f = Math.ceil(k / 2);
  const c = (k - 1) / (2 * f);
  return Array.from({ length: k }, (_, x) => 1 - Math.abs(x / f - c));
}

/**
 * A transposed-convolution weight of `shape = (Cin, Cout / groups, *kernel)` (1 to 3 spatial
 * dimensions) filled with Caffe's bilinear filler: every `(Cin, Cout/groups)` slice holds the same
 * separable kernel `w(x, y) = (1 − |x / f − c|)(1 − |y / f − c|)` with `f = ⌈k / 2⌉` and
 * `c = (k − 1) / (2f)` (for the kernels `2s − s % 2` the same as Caffe's first, often copied
 * `c = (2f − 1 − f % 2) / (2f)`; see `profile`). Caffe supports square 2-D kernels only, taking `f` and `c` from
 * the width; here each spatial dimension uses its own size, which is the same for square kernels.
 *
 * Use it with `groups = channels` and a weight of shape `(C, 1, k, k)`: with `groups = 1` every
 * output channel would sum the upsampled versions of all input channels.
 *
 * @example
 *   import { bilinearFiller, convTranspose2d, rand } from 'deconv';
 *   const s = 2, k = 2 * s - (s % 2), channels = 3;
 *   const weight = bilinearFiller([channels, 1, k, k]); // each 4×4 slice: [.25,.75,.75,.25]ᵀ ⊗ [.25,.75,.75,.25]
 *   const image = rand([1, channels, 8, 8], { seed: 0 });
 *   convTranspose2d(image, weight, { stride: s, padding: Math.ceil((s - 1) / 2), groups: channels }).shape;
 *   // [1, 3, 16, 16]
 */
export function bilinearFiller(shape: readonly number[], options: FillerOptions = {}): Tensor {
  const fn = 'bilinearFiller';
  if (!Array.isArray(shape) || shape.length < 3 || shape.length > 5) {
    fail(
      fn,
      'shape',
      shape,
      'must be a weight shape (Cin, Cout / groups, *kernel) with 1 to 3 spatial dimensions',
    );
  }
  shape.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 1) fail(fn, `shape[${i}]`, s, 'must be a positive integer');
  });
  if (options === null || typeof options !== 'object') fail(fn, 'options', options, 'must be an object');
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') fail(fn, 'dtype', dtype, "must be 'float32' or 'float64'");

  const kernel = shape.slice(2);
  const profiles = kernel.map(profile);
  const taps = kernel.reduce((a, b) => a * b, 1);
  // One kernel slice, row-major over the spatial dimensions: the product of the 1-D profiles.
  const slice = new Float64Array(taps).fill(1);
  let inner = taps;
  kernel.forEach((k, d) => {
    inner /= k;
    for (let i = 0; i < taps; i++) slice[i]! *= profiles[d]![Math.floor(i / inner) % k]!;
  });
  const data = allocate(fn, 'shape', shape, dtype);
  for (let o = 0; o < data.length; o += taps) data.set(slice, o);
  return new Tensor(data, shape, Boolean(options.requiresGrad));
}
