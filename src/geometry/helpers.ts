/**
 * The per-dimension formulas of arithmetic.ts as public functions (the package exports these):
 * each checks its arguments — integers within the option bounds (2³¹ − 1; kernel sizes, strides
 * and dilations from 1, sizes and paddings from 0), records with known keys only, `ceilMode` a
 * boolean — and refuses a result beyond 2⁵³ − 1 instead of rounding it, then calls the one formula
 * in arithmetic.ts. Inside the library the checked geometry calls arithmetic.ts directly.
 */
import { fail } from '../errors.js';
import { checkInt, checkOptions, NON_NEGATIVE, POSITIVE, type IntRule } from './args.js';
import {
  checkedEffectiveKernel,
  checkedTransposedOutputLength,
  convOutputLength as convLength,
  largestOutputPadding as largestPadding,
  largestPoolPadding as largestPool,
  samePadding as same,
  type ConvDim,
} from './arithmetic.js';

const DIM_KEYS = ['inputSize', 'kernelSize', 'stride', 'padBegin', 'padEnd', 'dilation'] as const;
const DIM_RULES: Record<(typeof DIM_KEYS)[number], IntRule> = {
  inputSize: NON_NEGATIVE,
  kernelSize: POSITIVE,
  stride: POSITIVE,
  padBegin: NON_NEGATIVE,
  padEnd: NON_NEGATIVE,
  dilation: POSITIVE,
};

/** A `ConvDim` record (plus `extra` keys), every field required and checked. */
function checkDim(fn: string, a: unknown, extra: readonly string[]): ConvDim {
  if (a === null || typeof a !== 'object' || Array.isArray(a)) fail(fn, 'dim', a, 'must be an object');
  checkOptions(fn, a, [...DIM_KEYS, ...extra]);
  const r = a as Record<string, unknown>;
  for (const key of DIM_KEYS) {
    if (r[key] === undefined) fail(fn, key, r[key], `is required: ${DIM_RULES[key].words}`);
    checkInt(fn, key, r[key], DIM_RULES[key]);
  }
  return r as unknown as ConvDim;
}

/**
 * The extent of a dilated kernel, `dilation·(kernelSize − 1) + 1`. It is also the length of an
 * axis of `kernelSize` elements with `dilation − 1` zeros inserted between them. Both arguments
 * are integers from 1 to 2³¹ − 1; a result beyond 2⁵³ − 1 is refused.
 *
 * @example effectiveKernel(3, 2) // 5
 */
export function effectiveKernel(kernelSize: number, dilation: number): number {
  const fn = 'effectiveKernel';
  checkInt(fn, 'kernelSize', kernelSize, POSITIVE);
  checkInt(fn, 'dilation', dilation, POSITIVE);
  return checkedEffectiveKernel(fn, 'dilation', kernelSize, dilation);
}

/**
 * Output length of a convolution, or of a pooling with `ceilMode`, in one dimension:
 * `⌊(i + pBegin + pEnd − kE) / s⌋ + 1` (ceil mode: rounded up, the last window dropped when it
 * would start in the end padding). Every field is required, an integer within the option bounds
 * (`inputSize`, `padBegin`, `padEnd` from 0, the others from 1, all at most 2³¹ − 1); `ceilMode` is
 * `true` or `false`; other keys are refused. Not checked: a result below 1 means no window fits.
 *
 * @example convOutputLength({ inputSize: 32, kernelSize: 4, stride: 2, padBegin: 1, padEnd: 1, dilation: 1 }) // 16
 */
export function convOutputLength(dim: ConvDim & { ceilMode?: boolean }): number {
  const fn = 'convOutputLength';
  const a = checkDim(fn, dim, ['ceilMode']);
  if (dim.ceilMode !== undefined && typeof dim.ceilMode !== 'boolean')
    fail(fn, 'ceilMode', dim.ceilMode, 'must be true or false');
  checkedEffectiveKernel(fn, 'dilation', a.kernelSize, a.dilation);
  return convLength({ ...a, ceilMode: dim.ceilMode === true });
}

/**
 * Output length of a transposed convolution in one dimension:
 * `s·(i − 1) − pBegin − pEnd + d·(k − 1) + 1 + a`. Every field is required, an integer within the
 * option bounds (`inputSize`, `padBegin`, `padEnd`, `outputPadding` from 0, the others from 1, all
 * at most 2³¹ − 1); other keys are refused; a length beyond 2⁵³ − 1 is refused (naming `stride`,
 * or `dilation` for the dilated kernel). Not checked: a result below 1 means the padding crops
 * everything, and `outputPadding` against PyTorch's rule (see largestOutputPadding).
 *
 * @example transposedOutputLength({ inputSize: 16, kernelSize: 4, stride: 2, padBegin: 1, padEnd: 1, dilation: 1, outputPadding: 0 }) // 32
 */
export function transposedOutputLength(dim: ConvDim & { outputPadding: number }): number {
  const fn = 'transposedOutputLength';
  const a = checkDim(fn, dim, ['outputPadding']);
  if (dim.outputPadding === undefined)
    fail(fn, 'outputPadding', undefined, 'is required: a non-negative integer');
  checkInt(fn, 'outputPadding', dim.outputPadding, NON_NEGATIVE);
  return checkedTransposedOutputLength(fn, 'stride', 'dilation', { ...a, outputPadding: dim.outputPadding });
}

/**
 * Max unpooling's default output length, the size the matching pooling (dilation 1) came from:
 * `(i − 1)·s − 2p + k`. `inputSize` and `padding` are integers from 0, `kernelSize` and `stride`
 * from 1, all at most 2³¹ − 1; a length beyond 2⁵³ − 1 is refused.
 *
 * @example unpoolOutputLength(4, 2, 2, 0) // 8
 */
export function unpoolOutputLength(
  inputSize: number,
  kernelSize: number,
  stride: number,
  padding: number,
): number {
  const fn = 'unpoolOutputLength';
  checkInt(fn, 'inputSize', inputSize, NON_NEGATIVE);
  checkInt(fn, 'kernelSize', kernelSize, POSITIVE);
  checkInt(fn, 'stride', stride, POSITIVE);
  checkInt(fn, 'padding', padding, NON_NEGATIVE);
  return checkedTransposedOutputLength(fn, 'stride', 'kernelSize', {
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
 * total, `⌊total / 2⌋` before and the odd extra after. Both arguments are integers from 1 to
 * 2³¹ − 1; a total beyond 2⁵³ − 1 is refused.
 *
 * @example samePadding(4, 1) // { padBegin: 1, padEnd: 2 }
 */
export function samePadding(kernelSize: number, dilation: number): { padBegin: number; padEnd: number } {
  const fn = 'samePadding';
  checkInt(fn, 'kernelSize', kernelSize, POSITIVE);
  checkInt(fn, 'dilation', dilation, POSITIVE);
  checkedEffectiveKernel(fn, 'dilation', kernelSize, dilation);
  return same(kernelSize, dilation);
}

/**
 * The largest output padding of a transposed convolution in one dimension, `max(s, d) − 1`
 * (PyTorch's rule `outputPadding < stride or < dilation`). Both arguments are integers from 1 to
 * 2³¹ − 1.
 *
 * @example largestOutputPadding(2, 1) // 1
 */
export function largestOutputPadding(stride: number, dilation: number): number {
  const fn = 'largestOutputPadding';
  checkInt(fn, 'stride', stride, POSITIVE);
  checkInt(fn, 'dilation', dilation, POSITIVE);
  return largestPadding(stride, dilation);
}

/**
 * The largest padding of PyTorch's pooling, `⌊k / 2⌋` with the undilated kernel size; `kernelSize`
 * is an integer from 1 to 2³¹ − 1.
 *
 * @example largestPoolPadding(3) // 1
 */
export function largestPoolPadding(kernelSize: number): number {
  checkInt('largestPoolPadding', 'kernelSize', kernelSize, POSITIVE);
  return largestPool(kernelSize);
}
