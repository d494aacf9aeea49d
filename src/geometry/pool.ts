/**
 * All shape arithmetic of the pooling family — max pooling, max unpooling, average pooling — in
 * 1, 2 and 3 spatial dimensions, computed once per call into a frozen `PoolGeometry` that the op,
 * the reference kernels and the backward rules read.
 *
 * References: PyTorch 1.13 `torch.nn.functional.{max_pool2d, max_unpool2d, avg_pool2d}` docs;
 * `aten/src/ATen/native/Pool.h` (`pooling_output_shape_pad_lr`, `pool2d_shape_check`,
 * `pool3d_shape_check`) and `torch/nn/functional.py` (`_unpool_output_size`).
 *
 * Sizes per spatial dimension, with the dilated kernel extent `kE = d·(k − 1) + 1`:
 *   pooling:    o = ⌊(i + pBegin + pEnd − kE [+ s − 1 in ceil mode]) / s⌋ + 1,
 *               and in ceil mode o − 1 more when the last window would start at or after
 *               i + pBegin (inside the end padding): every window starts in the input or the
 *               begin padding.
 *   unpooling:  o' = (i' − 1)·s − 2p + k (no dilation), or `outputSize` within (o' − s, o' + s).
 *
 * Unpooling is pooling read backwards: its input is the pooled tensor and its output the unpooled
 * one, so in a `maxUnpool` record `inputSize` is the pooled size. Max pooling's gradient is
 * max unpooling with accumulation, and max unpooling's gradient is a gather at the same indices.
 *
 * Windows, per dimension, for output position o (begin = o·s − p):
 *   max pooling takes the taps begin + j·d (j < k) that lie in [0, i); the padding acts as −∞.
 *   average pooling sums [max(begin, 0), min(begin + k, i)) and divides by
 *     `countIncludePad`: the window clipped to [begin, min(begin + k, i + p)), padding included
 *                        but not the part of a ceil-mode window that hangs past the end padding;
 *     otherwise:         the number of input elements summed.
 */
import { fail, show } from '../errors.js';
import { layoutOf, perDim, POSITIVE, NON_NEGATIVE, shapeOf, type Layout } from './args.js';
import {
  checkedConvOutputLength,
  effectiveKernel,
  largestPoolPadding,
  to3,
  unpoolOutputLength,
  product,
  windowStart,
} from './arithmetic.js';

export type Triple = readonly [number, number, number];

export type PoolKind = 'maxPool' | 'avgPool' | 'maxUnpool';

/**
 * One pooling call. Spatial values are padded at the front to three dimensions (size 1, kernel 1,
 * stride 1, padding 0, dilation 1), so every kernel loops over (depth, height, width) and a flat
 * index `(t·H + h)·W + w` into a plane is PyTorch's index for 1, 2 and 3 dimensions alike.
 */
export interface PoolGeometry {
  readonly fn: string;
  readonly kind: PoolKind;
  /** number of spatial dimensions, 1 to 3 */
  readonly d: number;
  readonly batched: boolean;
  /** N·C: every kernel loops over these planes independently */
  readonly planes: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** spatial size of the op's input (for maxUnpool: the pooled size) */
  readonly inputSize: Triple;
  /** spatial size of the op's output (for maxUnpool: the unpooled size) */
  readonly outputSize: Triple;
  readonly kernelSize: Triple;
  readonly stride: Triple;
  readonly padding: Triple;
  readonly dilation: Triple;
  readonly ceilMode: boolean;
  /** avgPool only (false otherwise): whether the divisor counts the padding */
  readonly countIncludePad: boolean;
  /** elements of one plane of the input / of the output */
  readonly inPlane: number;
  readonly outPlane: number;
}

/** `name` for a number the user gave for every dimension, `name[k]` for an array entry. */
function pathOf(name: string, raw: unknown, k: number): string {
  return Array.isArray(raw) ? `${name}[${k}]` : name;
}

function checkBoolean(fn: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(fn, name, value, 'must be true or false');
  return value;
}

/** The shape index of spatial dimension `k` in the input, for messages. */
function spatialPath(layout: Layout, k: number): string {
  return `input.shape[${(layout.batched ? 2 : 1) + k}]`;
}

/** PyTorch refuses empty channel and spatial dimensions (an empty batch is fine). */
function checkNonEmpty(fn: string, shape: readonly number[], layout: Layout): void {
  const first = layout.batched ? 1 : 0;
  for (let i = first; i < shape.length; i++) {
    if (shape[i] === 0) {
      fail(
        fn,
        `input.shape[${i}]`,
        0,
        `must be positive: only the batch dimension may be empty (shape ${show(shape)})`,
      );
    }
  }
}

/** PyTorch: `pad should be smaller than or equal to half of kernel size`, ⌊k / 2⌋ with the undilated k. */
function checkPadding(
  fn: string,
  padding: number[],
  kernel: number[],
  rawPadding: unknown,
  rawKernel: unknown,
): void {
  padding.forEach((p, k) => {
    if (p > largestPoolPadding(kernel[k]!)) {
      fail(
        fn,
        pathOf('padding', rawPadding, k),
        p,
        `must be at most half of ${pathOf('kernelSize', rawKernel, k)} = ${kernel[k]} (at most ${largestPoolPadding(kernel[k]!)})`,
      );
    }
  });
}

/**
 * With dilation, a window's taps can step over the whole input (e.g. kernel 2, padding 1,
 * dilation 3 on an input of size 2: taps at −1 and 2). PyTorch returns −∞ there with an index
 * that points at an unrelated element (or past the plane) and sends that element a gradient, so
 * such a configuration is refused.
 */
function checkWindowsReachInput(
  fn: string,
  size: readonly number[],
  out: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
  rawDilation: unknown,
): void {
  size.forEach((n, k) => {
    const dil = dilation[k]!;
    if (dil === 1) return; // with padding ≤ k/2 every undilated window overlaps the input
    // Only windows that start in the padding (o·stride < padding) or the last one can miss the
    // input: a window starting at begin ≥ 0 has its first tap there, and begins grow with o. So
    // the work is bounded by padding / stride, not by the output size (2⁴⁰ with an empty batch).
    const leading = Math.min(out[k]!, Math.ceil(padding[k]! / stride[k]!));
    const windows = leading < out[k]! ? [...Array.from({ length: leading }, (_, o) => o), out[k]! - 1] : [];
    if (leading === out[k]!) for (let o = 0; o < leading; o++) windows.push(o);
    for (const o of windows) {
      const begin = windowStart(o, stride[k]!, padding[k]!);
      const first = begin < 0 ? begin + Math.ceil(-begin / dil) * dil : begin;
      if (first >= n || first > begin + effectiveKernel(kernel[k]!, dil) - 1) {
        const taps = Array.from({ length: kernel[k]! }, (_, j) => begin + j * dil);
        fail(
          fn,
          pathOf('dilation', rawDilation, k),
          dil,
          `leaves window ${o} of spatial dimension ${k} without any input element (taps at ${taps.join(', ')} ` +
            `for an input of size ${n}); use a smaller dilation or padding`,
        );
      }
    }
  });
}

function freeze(g: PoolGeometry): PoolGeometry {
  return Object.freeze(g);
}

/** Pooling options as the op received them (its `checkOptions` refused unknown keys). */
export interface RawPoolOptions {
  kernelSize?: unknown;
  stride?: unknown;
  padding?: unknown;
  dilation?: unknown;
  ceilMode?: unknown;
  returnIndices?: unknown;
  countIncludePad?: unknown;
  outputSize?: unknown;
}

/** Pooling options, checked once; `raw*` keep what the user wrote, for messages. */
export interface PoolParams {
  readonly fn: string;
  readonly kind: PoolKind;
  readonly d: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly returnIndices: boolean;
  /** maxUnpool only: the requested output size as given (checked against the input's shape later) */
  readonly outputSize: unknown;
  readonly rawKernelSize: unknown;
  readonly rawPadding: unknown;
  readonly rawDilation: unknown;
}

/** Checks the options of `maxPool{d}d` / `avgPool{d}d` into `PoolParams`. */
export function poolParams(
  fn: string,
  kind: 'maxPool' | 'avgPool',
  d: number,
  o: RawPoolOptions,
): PoolParams {
  const kernel = perDim(fn, 'kernelSize', o.kernelSize, d, POSITIVE);
  // PyTorch: stride=None (or an empty list) means stride = kernel_size.
  const stride = perDimStride(fn, o.stride, kernel, d);
  const padding = perDim(fn, 'padding', o.padding, d, NON_NEGATIVE, 0);
  const dilation =
    kind === 'maxPool' ? perDim(fn, 'dilation', o.dilation, d, POSITIVE, 1) : new Array<number>(d).fill(1);
  const ceilMode = checkBoolean(fn, 'ceilMode', o.ceilMode, false);
  const countIncludePad =
    kind === 'avgPool' ? checkBoolean(fn, 'countIncludePad', o.countIncludePad, true) : false;
  const returnIndices =
    kind === 'maxPool' ? checkBoolean(fn, 'returnIndices', o.returnIndices, false) : false;
  checkPadding(fn, padding, kernel, o.padding, o.kernelSize);
  return Object.freeze({
    fn,
    kind,
    d,
    kernelSize: Object.freeze(kernel),
    stride: Object.freeze(stride),
    padding: Object.freeze(padding),
    dilation: Object.freeze(dilation),
    ceilMode,
    countIncludePad,
    returnIndices,
    outputSize: undefined,
    rawKernelSize: o.kernelSize,
    rawPadding: o.padding,
    rawDilation: o.dilation,
  });
}

/** A pooling's geometry from its params and the input shape `(N, C, *spatial)` or `(C, *spatial)`. */
export function poolGeometry(p: PoolParams, inputShape: readonly number[]): PoolGeometry {
  const { fn, kind, d, kernelSize: kernel, stride, padding, dilation, ceilMode } = p;
  const layout = layoutOf(fn, 'input.shape', inputShape, d);
  checkNonEmpty(fn, inputShape, layout);
  const size = layout.spatial;
  if (kind === 'avgPool' && d === 3) {
    // PyTorch's avg_pool3d (pool3d_shape_check with check_input_size) wants the unpadded input at
    // least as large as the kernel; avg_pool1d and avg_pool2d do not.
    size.forEach((n, k) => {
      if (n < kernel[k]!) {
        fail(
          fn,
          spatialPath(layout, k),
          n,
          `must be at least ${pathOf('kernelSize', p.rawKernelSize, k)} = ${kernel[k]} (avgPool3d does not count padding here, as PyTorch)`,
        );
      }
    });
  }
  const outSize = size.map((n, k) =>
    checkedConvOutputLength(fn, spatialPath(layout, k), {
      inputSize: n,
      kernelSize: kernel[k]!,
      stride: stride[k]!,
      padBegin: padding[k]!,
      padEnd: padding[k]!,
      dilation: dilation[k]!,
      ceilMode,
    }),
  );
  if (kind === 'maxPool')
    checkWindowsReachInput(fn, size, outSize, kernel, stride, padding, dilation, p.rawDilation);
  return freeze({
    fn,
    kind,
    d,
    batched: layout.batched,
    planes: layout.batch * layout.channels,
    inputShape: Object.freeze([...inputShape]),
    outputShape: Object.freeze(shapeOf(layout, layout.channels, outSize)),
    inputSize: to3(size, 1),
    outputSize: to3(outSize, 1),
    kernelSize: to3(kernel, 1),
    stride: to3(stride, 1),
    padding: to3(padding, 0),
    dilation: to3(dilation, 1),
    ceilMode,
    countIncludePad: p.countIncludePad,
    inPlane: product(size),
    outPlane: product(outSize),
  });
}

/** `stride`, defaulting to `kernelSize` when absent or an empty array (PyTorch's `stride=[]`). */
function perDimStride(fn: string, raw: unknown, kernel: number[], d: number): number[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return kernel;
  return perDim(fn, 'stride', raw, d, POSITIVE);
}

/** Checks the options of `maxUnpool{d}d` into `PoolParams`. */
export function maxUnpoolParams(fn: string, d: number, o: RawPoolOptions): PoolParams {
  const kernel = perDim(fn, 'kernelSize', o.kernelSize, d, POSITIVE);
  const stride = perDimStride(fn, o.stride, kernel, d);
  const padding = perDim(fn, 'padding', o.padding, d, NON_NEGATIVE, 0);
  return Object.freeze({
    fn,
    kind: 'maxUnpool',
    d,
    kernelSize: Object.freeze(kernel),
    stride: Object.freeze(stride),
    padding: Object.freeze(padding),
    dilation: Object.freeze(new Array<number>(d).fill(1)),
    ceilMode: false,
    countIncludePad: false,
    returnIndices: false,
    outputSize: o.outputSize,
    rawKernelSize: o.kernelSize,
    rawPadding: o.padding,
    rawDilation: undefined,
  });
}

/**
 * Max unpooling's geometry from its params and the (pooled) input shape. The op checks the
 * `indices` tensor (dtype, shape, values) before it writes anything.
 */
export function maxUnpoolGeometry(p: PoolParams, inputShape: readonly number[]): PoolGeometry {
  const { fn, d, kernelSize: kernel, stride, padding } = p;
  const layout = layoutOf(fn, 'input.shape', inputShape, d);
  checkNonEmpty(fn, inputShape, layout);
  const size = layout.spatial;
  // PyTorch's default: the size the matching pooling (with dilation 1) came from, (i − 1)·s − 2p + k.
  const fallback = size.map((n, k) => unpoolOutputLength(n, kernel[k]!, stride[k]!, padding[k]!));
  let outSize: number[];
  if (p.outputSize === undefined) {
    fallback.forEach((n, k) => {
      if (n < 1) {
        fail(
          fn,
          pathOf('padding', p.rawPadding, k),
          padding[k],
          `is too large: the output size (${size[k]} - 1)·${stride[k]} - 2·${padding[k]} + ${kernel[k]} = ${n} must be at least 1`,
        );
      }
    });
    outSize = fallback;
  } else {
    outSize = unpoolOutputSize(fn, p.outputSize, layout, fallback, stride, d);
  }
  return freeze({
    fn,
    kind: 'maxUnpool',
    d,
    batched: layout.batched,
    planes: layout.batch * layout.channels,
    inputShape: Object.freeze([...inputShape]),
    outputShape: Object.freeze(shapeOf(layout, layout.channels, outSize)),
    inputSize: to3(size, 1),
    outputSize: to3(outSize, 1),
    kernelSize: to3(kernel, 1),
    stride: to3(stride, 1),
    padding: to3(padding, 0),
    dilation: [1, 1, 1],
    ceilMode: false,
    countIncludePad: false,
    inPlane: product(size),
    outPlane: product(outSize),
  });
}

/**
 * `outputSize` of max unpooling: spatial sizes (a number for every dimension, or `d` numbers), or
 * `d + 2` numbers with N and C in front, as PyTorch accepts (`output_size=x.shape`). PyTorch
 * ignores those two; here they must match the input (N taken as 1 for an unbatched input) so a
 * mix-up does not pass silently. Each spatial size must lie strictly between default − stride and
 * default + stride, PyTorch's range.
 */
function unpoolOutputSize(
  fn: string,
  raw: unknown,
  layout: Layout,
  fallback: number[],
  stride: readonly number[],
  d: number,
): number[] {
  let spatial: unknown = raw;
  let offset = 0;
  if (Array.isArray(raw) && raw.length === d + 2) {
    const lead = [layout.batched ? layout.batch : 1, layout.channels];
    for (let i = 0; i < 2; i++) {
      if (raw[i] !== lead[i]) {
        fail(
          fn,
          `outputSize[${i}]`,
          raw[i],
          `must equal the input's ${i === 0 ? 'batch size' : 'channel count'} ${lead[i]} when outputSize gives N and C in front of the ${d} spatial size${d === 1 ? '' : 's'}`,
        );
      }
    }
    spatial = raw.slice(2);
    offset = 2;
  } else if (Array.isArray(raw) && raw.length !== d) {
    fail(
      fn,
      'outputSize',
      raw,
      `must have ${d} entries (spatial sizes) or ${d + 2} (N, C and the spatial sizes)`,
    );
  }
  const sizes = Array.isArray(spatial)
    ? spatial.map((v: unknown, k) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
          fail(fn, `outputSize[${k + offset}]`, v, 'must be a positive integer');
        }
        return v;
      })
    : perDim(fn, 'outputSize', spatial, d, POSITIVE);
  sizes.forEach((n, k) => {
    const lo = fallback[k]! - stride[k]!;
    const hi = fallback[k]! + stride[k]!;
    if (!(n > lo && n < hi)) {
      fail(
        fn,
        Array.isArray(raw) ? `outputSize[${k + offset}]` : 'outputSize',
        n,
        `must lie strictly between ${lo} and ${hi} (the default size ${fallback[k]} ± stride ${stride[k]})`,
      );
    }
  });
  return sizes;
}
