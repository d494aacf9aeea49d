/**
 * Per-dimension shape arithmetic of convolution, transposed convolution, pooling and resampling,
 * on plain numbers. Every place that needs one of these sizes calls this module: the ops'
 * geometry, the conv matrix, the pictures, the CLI (through the package entry), `nn` and the
 * solver. A formula written a second time elsewhere is a bug waiting for this one to change.
 *
 * References: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285; PyTorch 1.13 `ConvUtils.h` (`conv_output_size`), `Pool.h`
 * (`pooling_output_shape_pad_lr`), `torch.nn.ConvTranspose2d` and `F.interpolate` docs.
 *
 * Per spatial dimension, with input size `i`, kernel size `k`, stride `s`, dilation `d`, padding
 * `pBegin`/`pEnd` and output padding `a`:
 *
 *   effective kernel   kE = d·(k − 1) + 1
 *   conv / pooling     o  = ⌊(i + pBegin + pEnd − kE) / s⌋ + 1          (⌈⌉ in ceil mode, see below)
 *   transposed conv    o' = s·(i − 1) − pBegin − pEnd + kE + a
 *   'same' padding     total d·(k − 1), ⌊total / 2⌋ before, the odd extra after (PyTorch's split)
 *   output padding     a ≤ max(s, d) − 1 (PyTorch's rule)
 *
 * Ceil mode (pooling): the output size rounds up, and then drops the last window when it would
 * start at or after `i + pBegin`, inside the end padding: every window starts in the input or the
 * begin padding.
 *
 * This module imports nothing but the error module, so kernels, pictures and shape-inference code
 * can all use it without pulling in tensors or ops.
 */
import { fail } from '../errors.js';

/** One spatial dimension of a convolution (or pooling). */
export interface ConvDim {
  inputSize: number;
  kernelSize: number;
  stride: number;
  padBegin: number;
  padEnd: number;
  dilation: number;
}

/**
 * The extent of a dilated kernel, `dilation·(kernelSize − 1) + 1`. It is also the length of an
 * axis of `kernelSize` elements with `dilation − 1` zeros inserted between them.
 *
 * @example effectiveKernel(3, 2) // 5
 */
export function effectiveKernel(kernelSize: number, dilation: number): number {
  return dilation * (kernelSize - 1) + 1;
}

/**
 * Largest size the arithmetic gives: 2⁵³ − 1, the largest integer a double holds exactly. Every
 * option is at most 2³¹ − 1, so sums stay exact and only the products `d·(k − 1)` and `s·(i − 1)`
 * can pass it; a result that would is refused, never rounded.
 */
export const MAX_EXACT_SIZE = Number.MAX_SAFE_INTEGER;

/**
 * {@link effectiveKernel}, refusing (naming `dilationPath`) a dilated kernel beyond
 * {@link MAX_EXACT_SIZE}, where sizes would no longer be exact.
 */
export function checkedEffectiveKernel(
  fn: string,
  dilationPath: string,
  kernelSize: number,
  dilation: number,
): number {
  const kE = effectiveKernel(kernelSize, dilation);
  if (!(kE <= MAX_EXACT_SIZE)) {
    fail(
      fn,
      dilationPath,
      dilation,
      `with kernel size ${kernelSize} gives a dilated kernel dilation·(kernelSize − 1) + 1 beyond ` +
        `2^53 − 1 = ${MAX_EXACT_SIZE}, where sizes are no longer exact`,
    );
  }
  return kE;
}

/**
 * {@link transposedOutputLength}, refusing a length whose terms pass {@link MAX_EXACT_SIZE}
 * (`s·(i − 1) + d·(k − 1) + 1 + a`, before the padding is taken off): the dilated kernel names
 * `dilationPath`, the rest `stridePath`. Not checked: a result below 1.
 */
export function checkedTransposedOutputLength(
  fn: string,
  stridePath: string,
  dilationPath: string,
  a: ConvDim & { outputPadding: number },
): number {
  const kE = checkedEffectiveKernel(fn, dilationPath, a.kernelSize, a.dilation);
  if (!(a.stride * (a.inputSize - 1) + kE + a.outputPadding <= MAX_EXACT_SIZE)) {
    fail(
      fn,
      stridePath,
      a.stride,
      `with input size ${a.inputSize} gives an output size stride·(inputSize − 1) + ` +
        `${kE + a.outputPadding} − padding beyond 2^53 − 1 = ${MAX_EXACT_SIZE}, where sizes are no longer exact`,
    );
  }
  return transposedOutputLength(a);
}

/** The steps of a conv / pooling output length, for pictures that show them. */
export interface ConvLengthSteps {
  /** `i + pBegin + pEnd − kE` */
  span: number;
  /** `⌊span / s⌋ + 1`, or `⌈span / s⌉ + 1` in ceil mode */
  rounded: number;
  /** ceil mode only: the last window would start in the end padding and is dropped */
  droppedLastWindow: boolean;
  /** the output length (below 1 when the padded input is smaller than the kernel) */
  length: number;
}

/** {@link convOutputLength} with its intermediate steps. */
export function convOutputLengthSteps(a: ConvDim & { ceilMode?: boolean }): ConvLengthSteps {
  const s = a.stride;
  const span = a.inputSize + a.padBegin + a.padEnd - effectiveKernel(a.kernelSize, a.dilation);
  const rounded = Math.floor((span + (a.ceilMode ? s - 1 : 0)) / s) + 1;
  const droppedLastWindow = a.ceilMode === true && (rounded - 1) * s >= a.inputSize + a.padBegin;
  return { span, rounded, droppedLastWindow, length: droppedLastWindow ? rounded - 1 : rounded };
}

/**
 * Output length of a convolution, or of a pooling with `ceilMode`, in one dimension:
 * `⌊(i + pBegin + pEnd − kE) / s⌋ + 1`. Not checked: a result below 1 means no window fits.
 *
 * @example convOutputLength({ inputSize: 32, kernelSize: 4, stride: 2, padBegin: 1, padEnd: 1, dilation: 1 }) // 16
 */
export function convOutputLength(a: ConvDim & { ceilMode?: boolean }): number {
  return convOutputLengthSteps(a).length;
}

/**
 * {@link convOutputLength}, refusing a length below 1 with a `DeconvError` that names `path`
 * (the input size's argument path, e.g. `input.shape[2]`) and the numbers that gave it.
 */
export function checkedConvOutputLength(
  fn: string,
  path: string,
  a: ConvDim & { ceilMode?: boolean },
): number {
  checkedEffectiveKernel(fn, 'dilation', a.kernelSize, a.dilation);
  const o = convOutputLength(a);
  if (o < 1) {
    const padded = a.inputSize + a.padBegin + a.padEnd;
    fail(
      fn,
      path,
      a.inputSize,
      `is too small: padded to ${padded}, it is smaller than the dilated kernel size ` +
        `${effectiveKernel(a.kernelSize, a.dilation)} (kernelSize ${a.kernelSize}, dilation ${a.dilation}), ` +
        `so the output size would be ${o}`,
    );
  }
  return o;
}

/**
 * Output length of a transposed convolution in one dimension:
 * `s·(i − 1) − pBegin − pEnd + d·(k − 1) + 1 + a`. Not checked: a result below 1 means the
 * padding crops everything.
 *
 * @example transposedOutputLength({ inputSize: 16, kernelSize: 4, stride: 2, padBegin: 1, padEnd: 1, dilation: 1, outputPadding: 0 }) // 32
 */
export function transposedOutputLength(a: ConvDim & { outputPadding: number }): number {
  return (
    a.stride * (a.inputSize - 1) -
    a.padBegin -
    a.padEnd +
    effectiveKernel(a.kernelSize, a.dilation) +
    a.outputPadding
  );
}

/** Per-dimension sizes of a transposed convolution, `padding` on both sides of each dimension. */
export interface TransposedLayer {
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  readonly dilation: readonly number[];
}

/** Dimension `j` of `layer` on an input of `inputSize`, as transposedOutputLength takes it. */
export function transposedDim(
  layer: TransposedLayer,
  j: number,
  inputSize: number,
): ConvDim & { outputPadding: number } {
  return {
    inputSize,
    kernelSize: layer.kernelSize[j]!,
    stride: layer.stride[j]!,
    padBegin: layer.padding[j]!,
    padEnd: layer.padding[j]!,
    dilation: layer.dilation[j]!,
    outputPadding: layer.outputPadding[j]!,
  };
}

/**
 * Max unpooling's default output length, the size the matching pooling (dilation 1) came from:
 * `(i − 1)·s − 2p + k`, a transposed convolution's length without output padding.
 *
 * @example unpoolOutputLength(4, 2, 2, 0) // 8
 */
export function unpoolOutputLength(
  inputSize: number,
  kernelSize: number,
  stride: number,
  padding: number,
): number {
  return transposedOutputLength({
    inputSize,
    kernelSize,
    stride,
    padBegin: padding,
    padEnd: padding,
    dilation: 1,
    outputPadding: 0,
  });
}

/**
 * 'same' padding of a stride-1 convolution in one dimension, as PyTorch splits it: `d·(k − 1)` in
 * total, `⌊total / 2⌋` before and the odd extra after.
 *
 * @example samePadding(4, 1) // { padBegin: 1, padEnd: 2 }
 */
export function samePadding(kernelSize: number, dilation: number): { padBegin: number; padEnd: number } {
  const total = effectiveKernel(kernelSize, dilation) - 1;
  const padBegin = Math.floor(total / 2);
  return { padBegin, padEnd: total - padBegin };
}

/**
 * The largest output padding of a transposed convolution in one dimension, `max(s, d) − 1`
 * (PyTorch's rule `outputPadding < stride or < dilation`). A stride-s convolution maps the s input
 * sizes `i … i + s − 1` to one output size; output padding picks which one its transpose returns.
 *
 * @example largestOutputPadding(2, 1) // 1
 */
export function largestOutputPadding(stride: number, dilation: number): number {
  return Math.max(stride, dilation) - 1;
}

/**
 * Checks PyTorch's output-padding rule in every dimension; a failure names `outputPadding[i]`
 * (or `outputPadding` when `name` says so) with the stride and dilation it broke.
 */
export function checkOutputPadding(
  fn: string,
  outputPadding: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  path: (i: number) => string = (i) => `outputPadding[${i}]`,
): void {
  outputPadding.forEach((a, i) => {
    if (a > largestOutputPadding(stride[i]!, dilation[i]!)) {
      fail(
        fn,
        path(i),
        a,
        `must be smaller than stride[${i}] = ${stride[i]} or dilation[${i}] = ${dilation[i]}`,
      );
    }
  });
}

/**
 * The largest padding of PyTorch's pooling, `⌊k / 2⌋` with the undilated kernel size
 * ("pad should be smaller than or equal to half of kernel size").
 *
 * @example largestPoolPadding(3) // 1
 */
export function largestPoolPadding(kernelSize: number): number {
  return Math.floor(kernelSize / 2);
}

/** Where pooling (or conv) window `o` starts, in input coordinates: `o·s − pBegin`. */
export function windowStart(o: number, stride: number, padBegin: number): number {
  return o * stride - padBegin;
}

/**
 * `interpolate`'s output length from a scale factor, `⌊i·scale⌋` computed in double as PyTorch
 * does (`recompute_scale_factor=None`).
 *
 * @example scaledLength(5, 1.7) // 8
 */
export function scaledLength(inputSize: number, scaleFactor: number): number {
  return Math.floor(inputSize * scaleFactor);
}

/** Pads per-dimension values to length 3 (leading `fill`), so kernels loop over 3 dims always. */
export function to3(values: readonly number[], fill: number): [number, number, number] {
  const out = [fill, fill, fill] as [number, number, number];
  for (let i = 0; i < values.length; i++) out[3 - values.length + i] = values[i]!;
  return out;
}

/** ∏ of a list of sizes (1 for an empty list). */
export function product(sizes: readonly number[]): number {
  let n = 1;
  // a zero size makes 0 even where the other sizes overflow (Infinity · 0 would be NaN)
  for (const s of sizes) {
    if (s === 0) return 0;
    n *= s;
  }
  return n;
}
