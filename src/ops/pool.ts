/**
 * The pooling family in 1, 2 and 3 spatial dimensions: max pooling (optionally with the argmax
 * indices), max unpooling (its partial inverse, which puts every maximum back and zeros the rest)
 * and average pooling, each differentiable, with PyTorch 1.13's semantics.
 *
 * References: PyTorch docs of `torch.nn.functional.max_pool2d`, `max_unpool2d`, `avg_pool2d`
 * (https://pytorch.org/docs/1.13/nn.functional.html#pooling-functions); M. D. Zeiler, R. Fergus,
 * "Visualizing and Understanding Convolutional Networks" (2014), https://arxiv.org/abs/1311.2901,
 * for unpooling with switches.
 *
 * Gradients: max pooling sends each output gradient to its argmax (a scatter-add, which is max
 * unpooling with accumulation); average pooling spreads `gradOutput / divisor` over the window;
 * max unpooling gathers the output gradient at the indices. `indices` never receive a gradient.
 */
import { fail, show } from '../errors.js';
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { Tensor, allocate, checkFloatTensor, checkTensor, emptyLike, type FloatData } from '../tensor.js';
import { checkOptions, type SizeArg } from '../geometry/args.js';
import {
  maxUnpoolGeometry,
  maxUnpoolParams,
  poolGeometry,
  poolParams,
  type PoolGeometry,
  type RawPoolOptions,
} from '../geometry/pool.js';
import { poolKernels } from '../kernels/dispatch.js';
import { firstOutside } from '../kernels/ref/pool.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    /** `indices`: the argmax of every output element, flat within its input plane */
    maxPool: { geometry: PoolGeometry; indices: Int32Array; indexTensor: Tensor | null };
    avgPool: { geometry: PoolGeometry };
    /** `indices`: a copy of the indices the forward pass scattered to */
    maxUnpool: { geometry: PoolGeometry; indices: Int32Array; indexTensor: Tensor };
  }
}

export interface MaxPoolOptions {
  /** window size, required: a number for every spatial dimension or one per dimension */
  kernelSize: SizeArg;
  /** step between windows; defaults to `kernelSize` */
  stride?: SizeArg;
  /** implicit −∞ on both sides, at most half of `kernelSize`; default 0 */
  padding?: SizeArg;
  /** spacing between the taps of a window; default 1 */
  dilation?: SizeArg;
  /** round the output size up (the last window may hang over the end); default false */
  ceilMode?: boolean;
  /** also return the argmax indices (for `maxUnpool`); default false */
  returnIndices?: boolean;
}

export interface MaxPoolResult {
  output: Tensor;
  /** `int32`, the output's shape: the flat index of each maximum within its input plane */
  indices: Tensor;
}

export interface MaxUnpoolOptions {
  /** the pooling's window size, required */
  kernelSize: SizeArg;
  /** the pooling's stride; defaults to `kernelSize` */
  stride?: SizeArg;
  /** the pooling's padding; default 0 */
  padding?: SizeArg;
  /**
   * the output's spatial sizes (or N, C and the spatial sizes, as PyTorch's `output_size`),
   * each strictly within the default `(i − 1)·stride − 2·padding + kernelSize` ± stride
   */
  outputSize?: SizeArg;
}

export interface AvgPoolOptions {
  /** window size, required */
  kernelSize: SizeArg;
  /** step between windows; defaults to `kernelSize` */
  stride?: SizeArg;
  /** implicit zeros on both sides, at most half of `kernelSize`; default 0 */
  padding?: SizeArg;
  /** round the output size up; default false */
  ceilMode?: boolean;
  /** divide by the window size including padding (true, the default) or by the elements summed */
  countIncludePad?: boolean;
}

function checkPoolOptions(fn: string, value: unknown, keys: readonly string[]): RawPoolOptions {
  return checkOptions<RawPoolOptions>(fn, value, keys);
}

/** The option names of each pooling op (the `nn` layers take the same). */
export const MAX_POOL_OPTIONS = [
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'ceilMode',
  'returnIndices',
] as const;
export const AVG_POOL_OPTIONS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'] as const;
const MAX_UNPOOL_OPTIONS = ['kernelSize', 'stride', 'padding', 'outputSize'] as const;

type WithIndices = MaxPoolOptions & { returnIndices: true };
type WithoutIndices = MaxPoolOptions & { returnIndices?: false };

function maxPool(fn: string, d: number, input: Tensor, opts: MaxPoolOptions): Tensor | MaxPoolResult {
  const params = poolParams(fn, 'maxPool', d, checkPoolOptions(fn, opts, MAX_POOL_OPTIONS));
  const g = poolGeometry(params, checkFloatTensor(fn, 'input', input).shape);
  const returnIndices = params.returnIndices;
  // Every max-pooling kernel writes every output element and index.
  const y = emptyLike(fn, 'input', g.outputShape, input, 'uninitialised');
  const indices = allocate(fn, 'input', g.outputShape, 'int32', 'uninitialised') as Int32Array;
  // An empty result needs no kernel (its tables are sized by planes an empty batch leaves big).
  if (y.size > 0) poolKernels().maxPool(g, input.data as FloatData, y.data as FloatData, indices);
  // Returned indices belong to the caller, who may change them: the tape keeps its own copy.
  // `indexTensor`: the returned indices, so a tracer (exportOnnx) can follow them to maxUnpool.
  const indexTensor = returnIndices ? new Tensor(indices, g.outputShape) : null;
  record('maxPool', y, [input], () => ({
    geometry: g,
    indices: returnIndices ? indices.slice() : indices,
    indexTensor,
  }));
  return indexTensor ? { output: y, indices: indexTensor } : y;
}

/**
 * 1-d max pooling over `(N, C, L)` or `(C, L)`; output `(N, C, Lout)` or `(C, Lout)` with
 * `Lout = ⌊(L + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1` (⌈⌉ with `ceilMode`).
 *
 * @example
 *   const x = tensor([[[1, 3, 2, 5, 4, 0]]]);                          // (1, 1, 6)
 *   maxPool1d(x, { kernelSize: 2 }).toArray();                          // [[[3, 5, 4]]]
 *   const { output, indices } = maxPool1d(x, { kernelSize: 2, returnIndices: true });
 *   indices.toArray();                                                  // [[[1, 3, 4]]]
 */
export function maxPool1d(input: Tensor, options: WithIndices): MaxPoolResult;
export function maxPool1d(input: Tensor, options: WithoutIndices): Tensor;
export function maxPool1d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult;
export function maxPool1d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult {
  return maxPool('maxPool1d', 1, input, options);
}

/**
 * 2-d max pooling over `(N, C, H, W)` or `(C, H, W)`; output `(N, C, Hout, Wout)` or
 * `(C, Hout, Wout)`, each size as in `maxPool1d`. `indices` hold `h·W + w` of each maximum.
 *
 * @example
 *   const x = randn([1, 3, 8, 8], { seed: 0 });
 *   maxPool2d(x, { kernelSize: 2 }).shape;                                       // [1, 3, 4, 4]
 *   maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }).shape; // [1, 3, 5, 5]
 */
export function maxPool2d(input: Tensor, options: WithIndices): MaxPoolResult;
export function maxPool2d(input: Tensor, options: WithoutIndices): Tensor;
export function maxPool2d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult;
export function maxPool2d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult {
  return maxPool('maxPool2d', 2, input, options);
}

/**
 * 3-d max pooling over `(N, C, D, H, W)` or `(C, D, H, W)`; output `(N, C, Dout, Hout, Wout)` or
 * `(C, Dout, Hout, Wout)`. `indices` hold `(t·H + h)·W + w` of each maximum.
 *
 * @example
 *   const x = randn([2, 4, 6, 6, 6], { seed: 0 });
 *   maxPool3d(x, { kernelSize: 2, stride: [1, 2, 2] }).shape;   // [2, 4, 5, 3, 3]
 */
export function maxPool3d(input: Tensor, options: WithIndices): MaxPoolResult;
export function maxPool3d(input: Tensor, options: WithoutIndices): Tensor;
export function maxPool3d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult;
export function maxPool3d(input: Tensor, options: MaxPoolOptions): Tensor | MaxPoolResult {
  return maxPool('maxPool3d', 3, input, options);
}

/** Writes the multi-index of flat position `i` in `shape` as `[a][b]…`. */
function position(shape: readonly number[], i: number): string {
  const parts: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    parts.unshift(i % shape[k]!);
    i = Math.floor(i / shape[k]!);
  }
  return parts.map((p) => `[${p}]`).join('');
}

function maxUnpool(fn: string, d: number, input: Tensor, indices: Tensor, opts: MaxUnpoolOptions): Tensor {
  const params = maxUnpoolParams(fn, d, checkPoolOptions(fn, opts, MAX_UNPOOL_OPTIONS));
  checkFloatTensor(fn, 'input', input);
  checkTensor(fn, 'indices', indices);
  if (indices.dtype !== 'int32') fail(fn, 'indices.dtype', indices.dtype, "must be 'int32'");
  if (indices.shape.length !== input.shape.length || indices.shape.some((s, k) => s !== input.shape[k])) {
    fail(fn, 'indices.shape', indices.shape, `must equal input.shape = ${show(input.shape)}`);
  }
  const g = maxUnpoolGeometry(params, input.shape);
  const ix = indices.data as Int32Array;
  // Uninitialised: the kernels zero the output themselves (plane by plane, just before scattering
  // into it, while it is in cache). Every kernel checks a plane's indices before writing it and
  // returns the position of the first bad one; y, which nobody else has seen, is then discarded.
  const y = emptyLike(
    fn,
    opts.outputSize === undefined ? 'stride' : 'outputSize',
    g.outputShape,
    input,
    'uninitialised',
  );
  // an empty output has no plane to scatter into: every index is then outside it
  const i =
    y.size > 0
      ? poolKernels().maxUnpool(g, input.data as FloatData, ix, y.data as FloatData)
      : firstOutside(ix, 0);
  if (i >= 0) {
    y.dispose();
    const sizes = g.outputSize.slice(3 - d).join('×');
    fail(
      fn,
      `indices${position(indices.shape, i)}`,
      ix[i],
      `must be in [0, ${g.outPlane}): a flat index into an output plane of ${sizes} elements`,
    );
  }
  return record('maxUnpool', y, [input], () => ({ geometry: g, indices: ix.slice(), indexTensor: indices }));
}

/**
 * 1-d max unpooling: puts each value of `input` `(N, C, L)` or `(C, L)` at its index in an output
 * `(N, C, Lout)` of zeros, `Lout = (L − 1)·stride − 2·padding + kernelSize` or `outputSize`.
 * `indices` is the `int32` tensor `maxPool1d` returned with `returnIndices: true`.
 *
 * @example
 *   const x = tensor([[[1, 3, 2, 5, 4, 0]]]);
 *   const { output, indices } = maxPool1d(x, { kernelSize: 2, returnIndices: true });
 *   maxUnpool1d(output, indices, { kernelSize: 2 }).toArray();   // [[[0, 3, 0, 5, 4, 0]]]
 */
export function maxUnpool1d(input: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
  return maxUnpool('maxUnpool1d', 1, input, indices, options);
}

/**
 * 2-d max unpooling of `(N, C, H, W)` or `(C, H, W)` with the `int32` `indices` of `maxPool2d`;
 * output `(N, C, Hout, Wout)` of zeros with each value at its index. Odd input sizes need
 * `outputSize` to get the original size back.
 *
 * @example
 *   const x = randn([1, 2, 5, 5], { seed: 1 });
 *   const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });   // (1, 2, 2, 2)
 *   maxUnpool2d(output, indices, { kernelSize: 2, outputSize: [5, 5] }).shape;          // [1, 2, 5, 5]
 */
export function maxUnpool2d(input: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
  return maxUnpool('maxUnpool2d', 2, input, indices, options);
}

/**
 * 3-d max unpooling of `(N, C, D, H, W)` or `(C, D, H, W)` with the `int32` `indices` of
 * `maxPool3d`; output `(N, C, Dout, Hout, Wout)`.
 *
 * @example
 *   const x = randn([1, 1, 4, 4, 4], { seed: 2 });
 *   const { output, indices } = maxPool3d(x, { kernelSize: 2, returnIndices: true });
 *   maxUnpool3d(output, indices, { kernelSize: 2 }).shape;   // [1, 1, 4, 4, 4]
 */
export function maxUnpool3d(input: Tensor, indices: Tensor, options: MaxUnpoolOptions): Tensor {
  return maxUnpool('maxUnpool3d', 3, input, indices, options);
}

function avgPool(fn: string, d: number, input: Tensor, opts: AvgPoolOptions): Tensor {
  const g = poolGeometry(
    poolParams(fn, 'avgPool', d, checkPoolOptions(fn, opts, AVG_POOL_OPTIONS)),
    checkFloatTensor(fn, 'input', input).shape,
  );
  const y = emptyLike(fn, 'input', g.outputShape, input, 'uninitialised');
  if (y.size > 0) poolKernels().avgPool(g, input.data as FloatData, y.data as FloatData);
  return record('avgPool', y, [input], () => ({ geometry: g }));
}

/**
 * 1-d average pooling over `(N, C, L)` or `(C, L)`; output `(N, C, Lout)` or `(C, Lout)` with
 * `Lout = ⌊(L + 2·padding − kernelSize) / stride⌋ + 1` (⌈⌉ with `ceilMode`). Each window's sum is
 * divided by its size counting the padding (`countIncludePad`, default) or by the elements summed.
 *
 * @example
 *   const x = tensor([[[1, 2, 3, 4, 5]]]);
 *   avgPool1d(x, { kernelSize: 2 }).toArray();                                    // [[[1.5, 3.5]]]
 *   avgPool1d(x, { kernelSize: 3, padding: 1, countIncludePad: false }).toArray(); // [[[1.5, 4]]]
 */
export function avgPool1d(input: Tensor, options: AvgPoolOptions): Tensor {
  return avgPool('avgPool1d', 1, input, options);
}

/**
 * 2-d average pooling over `(N, C, H, W)` or `(C, H, W)`; output `(N, C, Hout, Wout)` or
 * `(C, Hout, Wout)`, each size as in `avgPool1d`.
 *
 * @example
 *   const x = randn([1, 3, 7, 7], { seed: 0 });
 *   avgPool2d(x, { kernelSize: 2, ceilMode: true }).shape;   // [1, 3, 4, 4]
 */
export function avgPool2d(input: Tensor, options: AvgPoolOptions): Tensor {
  return avgPool('avgPool2d', 2, input, options);
}

/**
 * 3-d average pooling over `(N, C, D, H, W)` or `(C, D, H, W)`; output `(N, C, Dout, Hout, Wout)`.
 * As in PyTorch, each unpadded input size must be at least the kernel size.
 *
 * @example
 *   const x = randn([1, 2, 4, 6, 6], { seed: 0 });
 *   avgPool3d(x, { kernelSize: [2, 3, 3], padding: [0, 1, 1] }).shape;   // [1, 2, 2, 2, 2]
 */
export function avgPool3d(input: Tensor, options: AvgPoolOptions): Tensor {
  return avgPool('avgPool3d', 3, input, options);
}

// Backward rules; they run under noGrad. Each returns one gradient per recorded input (the input).
// The two pooling gradients scatter-add into zeros on the reference path, so they stay zeroed;
// max unpooling's is a gather that writes every element.
export const poolRules: Pick<GradTable, 'maxPool' | 'avgPool' | 'maxUnpool'> = {
  maxPool: ({ geometry: g, indices }, gradOutput) => {
    const gradInput = emptyLike(`${g.fn} backward`, 'gradOutput', g.inputShape, gradOutput);
    if (gradInput.size > 0 && gradOutput.size > 0)
      poolKernels().maxPoolBackward(g, gradOutput.data as FloatData, indices, gradInput.data as FloatData);
    return [gradInput];
  },
  avgPool: ({ geometry: g }, gradOutput) => {
    const gradInput = emptyLike(`${g.fn} backward`, 'gradOutput', g.inputShape, gradOutput);
    if (gradInput.size > 0 && gradOutput.size > 0)
      poolKernels().avgPoolBackward(g, gradOutput.data as FloatData, gradInput.data as FloatData);
    return [gradInput];
  },
  maxUnpool: ({ geometry: g, indices }, gradOutput) => {
    const gradInput = emptyLike(`${g.fn} backward`, 'gradOutput', g.inputShape, gradOutput, 'uninitialised');
    if (gradInput.size > 0)
      poolKernels().maxUnpoolBackward(g, gradOutput.data as FloatData, indices, gradInput.data as FloatData);
    return [gradInput];
  },
};
