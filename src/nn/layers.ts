/**
 * The layers of `nn`, each a `Module` around one op of the library, with PyTorch's constructor
 * options (camelCase), parameter names, shapes and default initialisation.
 *
 * Reference: https://pytorch.org/docs/1.13/nn.html
 */
import { fail, show } from '../errors.js';
import { Rng } from '../random.js';
import { Tensor, allocate, checkTensor } from '../tensor.js';
import { NON_NEGATIVE, POSITIVE, checkOptions, perDim, perDimPairs, type SizeArg } from '../geometry/args.js';
import { checkOutputPadding } from '../geometry/arithmetic.js';
import { resolveConvPadding, type PaddingArg } from '../geometry/conv.js';
import { conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d } from '../ops/conv.js';
import {
  AVG_POOL_OPTIONS,
  MAX_POOL_OPTIONS,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  type MaxPoolResult,
} from '../ops/pool.js';
import { interpolate, type InterpolateOptions } from '../ops/interpolate.js';
import { pixelShuffle, pixelUnshuffle } from '../ops/shuffle.js';
import * as ew from '../ops/elementwise.js';
import { Module } from './module.js';
import { calculateFans, defaultGenerator, kaimingUniform, uniform } from './initializers.js';

type FloatDType = 'float32' | 'float64';

/** Options every layer with parameters takes. */
export interface ParameterOptions {
  /** dtype of the parameters: `'float32'` (default) or `'float64'` (for gradient checks) */
  dtype?: FloatDType;
  /** generator for the initial values; default the one `nn.manualSeed` seeds */
  rng?: Rng;
}

const PARAMETER_KEYS = ['dtype', 'rng'];

function checkDtype(fn: string, dtype: unknown): FloatDType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') fail(fn, 'dtype', dtype, "must be 'float32' or 'float64'");
  return dtype;
}

function checkRng(fn: string, rng: unknown): Rng {
  if (rng === undefined) return defaultGenerator();
  if (!(rng instanceof Rng)) fail(fn, 'rng', rng, 'must be an Rng');
  return rng;
}

function checkInt(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(fn, name, v, min === 1 ? 'must be a positive integer' : `must be an integer of at least ${min}`);
  return v;
}

function checkBool(fn: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(fn, name, v, 'must be a boolean');
  return v;
}

function checkFiniteNumber(fn: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(fn, name, v, 'must be a finite number');
  return v;
}

function empty(shape: readonly number[], dtype: FloatDType): Tensor {
  return new Tensor(allocate('nn', 'shape', shape, dtype), shape);
}

/** PyTorch's `reset_parameters` of conv and linear layers. */
function resetParameters(weight: Tensor, bias: Tensor | null, rng: Rng): void {
  kaimingUniform(weight, { a: Math.sqrt(5), rng });
  if (bias) {
    const { fanIn } = calculateFans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, { rng });
  }
}

// ------------------------------------------------------------------------------------------------
// Convolutions

export interface ConvLayerOptions extends ParameterOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: SizeArg;
  stride?: SizeArg;
  /** a number, one per dimension, `[begin, end]` pairs, `'same'` or `'valid'`; default 0 */
  padding?: PaddingArg;
  dilation?: SizeArg;
  groups?: number;
  /** learn a per-channel bias (default true) */
  bias?: boolean;
}

export interface ConvTransposeLayerOptions extends ParameterOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: SizeArg;
  stride?: SizeArg;
  /** a number, one per dimension, or `[begin, end]` pairs; default 0 */
  padding?: number | readonly (number | readonly [number, number])[];
  outputPadding?: SizeArg;
  groups?: number;
  bias?: boolean;
  dilation?: SizeArg;
}

const CONV_KEYS = [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
];
const CONV_T_KEYS = [...CONV_KEYS, 'outputPadding'];

interface ConvConfig {
  inChannels: number;
  outChannels: number;
  kernelSize: number[];
  stride: number[];
  dilation: number[];
  groups: number;
  weight: Tensor;
  bias: Tensor | null;
}

function convConfig(
  fn: string,
  d: number,
  options: ConvLayerOptions | ConvTransposeLayerOptions,
  transposed: boolean,
): ConvConfig {
  const o = checkOptions<ConvLayerOptions & ConvTransposeLayerOptions>(fn, options, [
    ...(transposed ? CONV_T_KEYS : CONV_KEYS),
    ...PARAMETER_KEYS,
  ]);
  const inChannels = checkInt(fn, 'inChannels', o.inChannels, 1);
  const outChannels = checkInt(fn, 'outChannels', o.outChannels, 1);
  const groups = checkInt(fn, 'groups', o.groups ?? 1, 1);
  if (inChannels % groups !== 0) fail(fn, 'groups', groups, `must divide inChannels = ${inChannels}`);
  if (outChannels % groups !== 0) fail(fn, 'groups', groups, `must divide outChannels = ${outChannels}`);
  const kernelSize = perDim(fn, 'kernelSize', o.kernelSize, d, POSITIVE);
  const stride = perDim(fn, 'stride', o.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', o.dilation, d, POSITIVE, 1);
  if (transposed) {
    perDimPairs(fn, 'padding', o.padding, d);
    const outputPadding = perDim(fn, 'outputPadding', o.outputPadding, d, NON_NEGATIVE, 0);
    checkOutputPadding(fn, outputPadding, stride, dilation, (i) =>
      Array.isArray(o.outputPadding) ? `outputPadding[${i}]` : 'outputPadding',
    );
  } else {
    resolveConvPadding(fn, o.padding ?? 0, d, kernelSize, stride, dilation);
  }
  const hasBias = checkBool(fn, 'bias', o.bias, true);
  const dtype = checkDtype(fn, o.dtype);
  const rng = checkRng(fn, o.rng);
  // conv (Cout, Cin/groups, *k); transposed conv (Cin, Cout/groups, *k), as PyTorch
  const shape = transposed
    ? [inChannels, outChannels / groups, ...kernelSize]
    : [outChannels, inChannels / groups, ...kernelSize];
  const weight = empty(shape, dtype);
  const bias = hasBias ? empty([outChannels], dtype) : null;
  resetParameters(weight, bias, rng);
  return { inChannels, outChannels, kernelSize, stride, dilation, groups, weight, bias };
}

abstract class ConvBase extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
  /** conv: `(outChannels, inChannels / groups, *kernelSize)`; transposed: `(inChannels, outChannels / groups, *kernelSize)` */
  readonly weight: Tensor;
  /** `(outChannels)`, or null with `bias: false` */
  readonly bias: Tensor | null;

  constructor(
    fn: string,
    d: number,
    options: ConvLayerOptions | ConvTransposeLayerOptions,
    transposed: boolean,
  ) {
    super();
    const c = convConfig(fn, d, options, transposed);
    this.inChannels = c.inChannels;
    this.outChannels = c.outChannels;
    this.kernelSize = c.kernelSize;
    this.stride = c.stride;
    this.dilation = c.dilation;
    this.groups = c.groups;
    this.weight = this.registerParameter('weight', c.weight);
    this.bias = this.registerParameter('bias', c.bias);
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${show(this.kernelSize)}, stride=${show(this.stride)}`;
  }
}

type ConvOp = typeof conv2d;
type ConvTransposeOp = typeof convTranspose2d;

abstract class ConvNd extends ConvBase {
  readonly padding: PaddingArg;
  readonly #op: ConvOp;

  constructor(fn: string, d: number, op: ConvOp, options: ConvLayerOptions) {
    super(fn, d, options, false);
    this.padding = options.padding ?? 0;
    this.#op = op;
  }

  /** `(N, inChannels, *spatial)` or `(inChannels, *spatial)` → `(N, outChannels, *spatialOut)`. */
  forward(input: Tensor): Tensor {
    return this.#op(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

abstract class ConvTransposeNd extends ConvBase {
  readonly padding: number | readonly (number | readonly [number, number])[];
  readonly outputPadding: SizeArg;
  readonly #op: ConvTransposeOp;
  readonly #d: number;
  readonly #fn: string;

  constructor(fn: string, d: number, op: ConvTransposeOp, options: ConvTransposeLayerOptions) {
    super(fn, d, options, true);
    this.padding = options.padding ?? 0;
    this.outputPadding = options.outputPadding ?? 0;
    this.#op = op;
    this.#d = d;
    this.#fn = fn;
  }

  /**
   * `(N, inChannels, *spatial)` or unbatched → `(N, outChannels, *spatialOut)`. `outputSize`
   * (the spatial sizes, or with N and C in front as PyTorch allows) picks the output padding
   * among the sizes the stride makes possible, instead of `outputPadding`.
   */
  forward(input: Tensor, outputSize?: readonly number[]): Tensor {
    let size = outputSize;
    if (size !== undefined) {
      if (!Array.isArray(size) || (size.length !== this.#d && size.length !== this.#d + 2))
        fail(
          this.#fn,
          'outputSize',
          size,
          `must have ${this.#d} spatial sizes (or ${this.#d + 2} with N and C)`,
        );
      size = size.slice(size.length - this.#d);
    }
    return this.#op(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      ...(size === undefined ? { outputPadding: this.outputPadding } : { outputSize: size }),
    });
  }
}

/**
 * 1-d convolution layer; weight `(outChannels, inChannels / groups, k)`, PyTorch's default init.
 * @example new Conv1d({ inChannels: 2, outChannels: 4, kernelSize: 3 }).forward(randn([1, 2, 10])).shape // [1, 4, 8]
 */
export class Conv1d extends ConvNd {
  constructor(options: ConvLayerOptions) {
    super('Conv1d', 1, conv1d, options);
  }
}

/**
 * 2-d convolution layer; weight `(outChannels, inChannels / groups, kH, kW)`.
 * @example new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same' }).forward(randn([1, 3, 8, 8])).shape // [1, 8, 8, 8]
 */
export class Conv2d extends ConvNd {
  constructor(options: ConvLayerOptions) {
    super('Conv2d', 2, conv2d, options);
  }
}

/**
 * 3-d convolution layer; weight `(outChannels, inChannels / groups, kD, kH, kW)`.
 * @example new Conv3d({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1 }).forward(randn([1, 1, 4, 4, 4])).shape // [1, 2, 4, 4, 4]
 */
export class Conv3d extends ConvNd {
  constructor(options: ConvLayerOptions) {
    super('Conv3d', 3, conv3d, options);
  }
}

/**
 * 1-d transposed convolution layer; weight `(inChannels, outChannels / groups, k)`.
 * @example new ConvTranspose1d({ inChannels: 4, outChannels: 2, kernelSize: 4, stride: 2, padding: 1 }).forward(randn([1, 4, 5])).shape // [1, 2, 10]
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(options: ConvTransposeLayerOptions) {
    super('ConvTranspose1d', 1, convTranspose1d, options);
  }
}

/**
 * 2-d transposed convolution ("deconvolution") layer; weight `(inChannels, outChannels / groups, kH, kW)`.
 * @example
 *   const up = new ConvTranspose2d({ inChannels: 16, outChannels: 8, kernelSize: 3, stride: 2, padding: 1 });
 *   up.forward(randn([1, 16, 3, 3]), [6, 6]).shape; // [1, 8, 6, 6] (outputSize picks outputPadding 1)
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(options: ConvTransposeLayerOptions) {
    super('ConvTranspose2d', 2, convTranspose2d, options);
  }
}

/**
 * 3-d transposed convolution layer; weight `(inChannels, outChannels / groups, kD, kH, kW)`.
 * @example new ConvTranspose3d({ inChannels: 2, outChannels: 1, kernelSize: 2, stride: 2 }).forward(randn([1, 2, 3, 3, 3])).shape // [1, 1, 6, 6, 6]
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(options: ConvTransposeLayerOptions) {
    super('ConvTranspose3d', 3, convTranspose3d, options);
  }
}

// ------------------------------------------------------------------------------------------------
// Pooling

export interface MaxPoolLayerOptions<R extends boolean = boolean> {
  kernelSize: SizeArg;
  /** default `kernelSize` */
  stride?: SizeArg;
  padding?: SizeArg;
  dilation?: SizeArg;
  ceilMode?: boolean;
  /** `forward` returns `{ output, indices }` (for `MaxUnpool`) instead of the output */
  returnIndices?: R;
}

export interface MaxUnpoolLayerOptions {
  kernelSize: SizeArg;
  stride?: SizeArg;
  padding?: SizeArg;
}

export interface AvgPoolLayerOptions {
  kernelSize: SizeArg;
  stride?: SizeArg;
  padding?: SizeArg;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** Checks the size-like options of a pooling layer now, so a bad one fails at construction. */
function checkPoolOptions<T extends object>(
  fn: string,
  options: unknown,
  d: number,
  keys: readonly string[],
): T {
  const o = checkOptions<Record<string, unknown>>(fn, options, keys);
  perDim(fn, 'kernelSize', o.kernelSize, d, POSITIVE);
  if (o.stride !== undefined) perDim(fn, 'stride', o.stride, d, POSITIVE);
  perDim(fn, 'padding', o.padding, d, NON_NEGATIVE, 0);
  if ('dilation' in o) perDim(fn, 'dilation', o.dilation, d, POSITIVE, 1);
  for (const key of ['ceilMode', 'returnIndices', 'countIncludePad']) checkBool(fn, key, o[key], false);
  return { ...o } as T;
}

type PoolOutput<R extends boolean> = R extends true ? MaxPoolResult : Tensor;

abstract class MaxPoolNd<R extends boolean> extends Module {
  readonly options: Readonly<MaxPoolLayerOptions<R>>;
  readonly #op: typeof maxPool2d;

  constructor(fn: string, d: number, op: typeof maxPool2d, options: MaxPoolLayerOptions<R>) {
    super();
    this.options = checkPoolOptions(fn, options, d, MAX_POOL_OPTIONS);
    this.#op = op;
  }

  /** The pooled tensor, or `{ output, indices }` when the layer was built with `returnIndices: true`. */
  forward(input: Tensor): PoolOutput<R> {
    return this.#op(input, this.options) as PoolOutput<R>;
  }

  protected override extraRepr(): string {
    return show(this.options);
  }
}

/**
 * 1-d max pooling layer.
 * @example new MaxPool1d({ kernelSize: 2 }).forward(randn([1, 2, 8])).shape // [1, 2, 4]
 */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(options: MaxPoolLayerOptions<R>) {
    super('MaxPool1d', 1, maxPool1d, options);
  }
}

/**
 * 2-d max pooling layer; with `returnIndices: true` its `forward` returns `{ output, indices }`.
 * @example
 *   const pool = new MaxPool2d({ kernelSize: 2, returnIndices: true });
 *   const { output, indices } = pool.forward(randn([1, 3, 8, 8])); // (1, 3, 4, 4) each
 *   new MaxUnpool2d({ kernelSize: 2 }).forward(output, indices).shape; // [1, 3, 8, 8]
 */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(options: MaxPoolLayerOptions<R>) {
    super('MaxPool2d', 2, maxPool2d, options);
  }
}

/**
 * 3-d max pooling layer.
 * @example new MaxPool3d({ kernelSize: 2 }).forward(randn([1, 1, 4, 4, 4])).shape // [1, 1, 2, 2, 2]
 */
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<R> {
  constructor(options: MaxPoolLayerOptions<R>) {
    super('MaxPool3d', 3, maxPool3d, options);
  }
}

abstract class MaxUnpoolNd extends Module {
  readonly options: Readonly<MaxUnpoolLayerOptions>;
  readonly #op: typeof maxUnpool2d;

  constructor(fn: string, d: number, op: typeof maxUnpool2d, options: MaxUnpoolLayerOptions) {
    super();
    this.options = checkPoolOptions(fn, options, d, ['kernelSize', 'stride', 'padding']);
    this.#op = op;
  }

  /**
   * Puts each value of `input` at its index from the max pooling; `outputSize` (spatial sizes,
   * or with N and C) resolves the sizes a stride makes ambiguous.
   */
  forward(input: Tensor, indices: Tensor, outputSize?: readonly number[]): Tensor {
    return this.#op(
      input,
      indices,
      outputSize === undefined ? this.options : { ...this.options, outputSize },
    );
  }

  protected override extraRepr(): string {
    return show(this.options);
  }
}

/** 1-d max unpooling layer. @example new MaxUnpool1d({ kernelSize: 2 }) */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(options: MaxUnpoolLayerOptions) {
    super('MaxUnpool1d', 1, maxUnpool1d, options);
  }
}

/** 2-d max unpooling layer (see `MaxPool2d`). @example new MaxUnpool2d({ kernelSize: 2 }) */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(options: MaxUnpoolLayerOptions) {
    super('MaxUnpool2d', 2, maxUnpool2d, options);
  }
}

/** 3-d max unpooling layer. @example new MaxUnpool3d({ kernelSize: 2 }) */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(options: MaxUnpoolLayerOptions) {
    super('MaxUnpool3d', 3, maxUnpool3d, options);
  }
}

abstract class AvgPoolNd extends Module {
  readonly options: Readonly<AvgPoolLayerOptions>;
  readonly #op: typeof avgPool2d;

  constructor(fn: string, d: number, op: typeof avgPool2d, options: AvgPoolLayerOptions) {
    super();
    this.options = checkPoolOptions(fn, options, d, AVG_POOL_OPTIONS);
    this.#op = op;
  }

  forward(input: Tensor): Tensor {
    return this.#op(input, this.options);
  }

  protected override extraRepr(): string {
    return show(this.options);
  }
}

/** 1-d average pooling layer. @example new AvgPool1d({ kernelSize: 2 }).forward(randn([1, 1, 6])).shape // [1, 1, 3] */
export class AvgPool1d extends AvgPoolNd {
  constructor(options: AvgPoolLayerOptions) {
    super('AvgPool1d', 1, avgPool1d, options);
  }
}

/** 2-d average pooling layer. @example new AvgPool2d({ kernelSize: 2 }).forward(randn([1, 1, 6, 6])).shape // [1, 1, 3, 3] */
export class AvgPool2d extends AvgPoolNd {
  constructor(options: AvgPoolLayerOptions) {
    super('AvgPool2d', 2, avgPool2d, options);
  }
}

/** 3-d average pooling layer. @example new AvgPool3d({ kernelSize: 2 }) */
export class AvgPool3d extends AvgPoolNd {
  constructor(options: AvgPoolLayerOptions) {
    super('AvgPool3d', 3, avgPool3d, options);
  }
}

// ------------------------------------------------------------------------------------------------
// Resampling

/**
 * Upsampling layer: `interpolate` with fixed options (exactly one of `size` and `scaleFactor`).
 * @example new Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(randn([1, 3, 4, 4])).shape // [1, 3, 8, 8]
 */
export class Upsample extends Module {
  readonly options: Readonly<InterpolateOptions>;

  constructor(options: InterpolateOptions) {
    super();
    const fn = 'Upsample';
    const o = checkOptions<InterpolateOptions>(fn, options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
    if ((o.size === undefined) === (o.scaleFactor === undefined))
      fail(fn, 'size', o.size, 'must be given, or scaleFactor instead, but not both');
    this.options = { ...o };
  }

  forward(input: Tensor): Tensor {
    return interpolate(input, this.options);
  }

  protected override extraRepr(): string {
    return show(this.options);
  }
}

/**
 * Pixel shuffle layer `(*, C·r², H, W) → (*, C, H·r, W·r)`, `r = upscaleFactor`; pair it with
 * `init.icnr` on the conv before it.
 * @example new PixelShuffle({ upscaleFactor: 2 }).forward(randn([1, 12, 4, 4])).shape // [1, 3, 8, 8]
 */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;

  constructor(options: { upscaleFactor: number }) {
    super();
    const o = checkOptions<{ upscaleFactor: number }>('PixelShuffle', options, ['upscaleFactor']);
    this.upscaleFactor = checkInt('PixelShuffle', 'upscaleFactor', o.upscaleFactor, 1);
  }

  forward(input: Tensor): Tensor {
    return pixelShuffle(input, this.upscaleFactor);
  }

  protected override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/**
 * Pixel unshuffle layer `(*, C, H·r, W·r) → (*, C·r², H, W)`, `r = downscaleFactor`.
 * @example new PixelUnshuffle({ downscaleFactor: 2 }).forward(randn([1, 3, 8, 8])).shape // [1, 12, 4, 4]
 */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;

  constructor(options: { downscaleFactor: number }) {
    super();
    const o = checkOptions<{ downscaleFactor: number }>('PixelUnshuffle', options, ['downscaleFactor']);
    this.downscaleFactor = checkInt('PixelUnshuffle', 'downscaleFactor', o.downscaleFactor, 1);
  }

  forward(input: Tensor): Tensor {
    return pixelUnshuffle(input, this.downscaleFactor);
  }
}

// ------------------------------------------------------------------------------------------------
// Batch normalisation

export interface BatchNormLayerOptions {
  numFeatures: number;
  /** added to the variance; default 1e-5 */
  eps?: number;
  /** weight of each new batch in the running statistics (default 0.1); `null` for a cumulative average */
  momentum?: number | null;
  /** learn a per-channel scale and shift (default true) */
  affine?: boolean;
  /** keep running statistics for eval mode (default true); without them eval mode uses the batch's */
  trackRunningStats?: boolean;
  dtype?: FloatDType;
}

abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  /** `(numFeatures)`, initialised to 1, or null with `affine: false` */
  readonly weight: Tensor | null;
  /** `(numFeatures)`, initialised to 0, or null with `affine: false` */
  readonly bias: Tensor | null;
  /** buffer `running_mean` `(numFeatures)`, or null with `trackRunningStats: false` */
  readonly runningMean: Tensor | null;
  /** buffer `running_var` `(numFeatures)` (unbiased batch variances) */
  readonly runningVar: Tensor | null;
  /** buffer `num_batches_tracked`, an int32 scalar (int64 in PyTorch; safetensors converts) */
  readonly numBatchesTracked: Tensor | null;
  readonly #fn: string;
  readonly #ranks: readonly number[];

  constructor(fn: string, ranks: readonly number[], options: BatchNormLayerOptions) {
    super();
    const o = checkOptions<BatchNormLayerOptions>(fn, options, [
      'numFeatures',
      'eps',
      'momentum',
      'affine',
      'trackRunningStats',
      'dtype',
    ]);
    this.#fn = fn;
    this.#ranks = ranks;
    const c = checkInt(fn, 'numFeatures', o.numFeatures, 1);
    this.numFeatures = c;
    this.eps = checkFiniteNumber(fn, 'eps', o.eps, 1e-5);
    if (!(this.eps > 0)) fail(fn, 'eps', this.eps, 'must be positive');
    this.momentum = o.momentum === null ? null : checkFiniteNumber(fn, 'momentum', o.momentum, 0.1);
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1))
      fail(fn, 'momentum', this.momentum, 'must be in [0, 1] or null');
    const affine = checkBool(fn, 'affine', o.affine, true);
    const track = checkBool(fn, 'trackRunningStats', o.trackRunningStats, true);
    const dtype = checkDtype(fn, o.dtype);
    this.weight = this.registerParameter('weight', affine ? empty([c], dtype) : null);
    this.bias = this.registerParameter('bias', affine ? empty([c], dtype) : null);
    this.weight?.data.fill(1);
    this.runningMean = this.registerBuffer('running_mean', track ? empty([c], dtype) : null);
    this.runningVar = this.registerBuffer('running_var', track ? empty([c], dtype) : null);
    this.runningVar?.data.fill(1);
    this.numBatchesTracked = this.registerBuffer(
      'num_batches_tracked',
      track ? new Tensor(new Int32Array(1), []) : null,
    );
  }

  /**
   * Training mode: normalises with the batch's mean and biased variance, and updates the running
   * statistics (unbiased variance) and `num_batches_tracked`. Eval mode: uses the running ones.
   */
  forward(input: Tensor): Tensor {
    const fn = this.#fn;
    if (!(input instanceof Tensor)) fail(fn, 'input', input, 'must be a Tensor');
    if (!this.#ranks.includes(input.shape.length))
      fail(fn, 'input.shape', input.shape, `must have ${this.#ranks.join(' or ')} dimensions (N, C, *)`);
    if (input.shape[1] !== this.numFeatures)
      fail(fn, 'input.shape[1]', input.shape[1], `must be numFeatures = ${this.numFeatures}`);
    const track = this.training && this.numBatchesTracked !== null;
    const batches = track ? this.numBatchesTracked!.data[0]! + 1 : 0;
    const momentum = track ? (this.momentum ?? 1 / batches) : (this.momentum ?? 0);
    const useRunning = !this.training || this.runningMean !== null;
    const y = ew.batchNorm(input, {
      weight: this.weight,
      bias: this.bias,
      runningMean: useRunning ? this.runningMean : null,
      runningVar: useRunning ? this.runningVar : null,
      training: this.training || this.runningMean === null,
      momentum,
      eps: this.eps,
    });
    if (track) {
      this.numBatchesTracked!.data[0] = batches;
      this.numBatchesTracked!.markModified();
    }
    return y;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}

/**
 * Batch normalisation over `(N, C)` or `(N, C, L)`.
 * @example new BatchNorm1d({ numFeatures: 16 }).forward(randn([8, 16])).shape // [8, 16]
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(options: BatchNormLayerOptions) {
    super('BatchNorm1d', [2, 3], options);
  }
}

/**
 * Batch normalisation over `(N, C, H, W)`: per channel, over the batch and every position.
 * @example new BatchNorm2d({ numFeatures: 8 }).forward(randn([4, 8, 6, 6])).shape // [4, 8, 6, 6]
 */
export class BatchNorm2d extends BatchNormNd {
  constructor(options: BatchNormLayerOptions) {
    super('BatchNorm2d', [4], options);
  }
}

/**
 * Batch normalisation over `(N, C, D, H, W)`.
 * @example new BatchNorm3d({ numFeatures: 2 }).forward(randn([2, 2, 3, 3, 3])).shape // [2, 2, 3, 3, 3]
 */
export class BatchNorm3d extends BatchNormNd {
  constructor(options: BatchNormLayerOptions) {
    super('BatchNorm3d', [5], options);
  }
}

// ------------------------------------------------------------------------------------------------
// Linear, activations, dropout, flatten

export interface LinearLayerOptions extends ParameterOptions {
  inFeatures: number;
  outFeatures: number;
  /** default true */
  bias?: boolean;
}

/**
 * `y = x Wᵀ + b` over the last dimension: `(*, inFeatures) → (*, outFeatures)`; weight
 * `(outFeatures, inFeatures)` with PyTorch's default init.
 * @example new Linear({ inFeatures: 784, outFeatures: 10 }).forward(randn([32, 784])).shape // [32, 10]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** `(outFeatures, inFeatures)` */
  readonly weight: Tensor;
  /** `(outFeatures)` or null */
  readonly bias: Tensor | null;

  constructor(options: LinearLayerOptions) {
    super();
    const fn = 'Linear';
    const o = checkOptions<LinearLayerOptions>(fn, options, [
      'inFeatures',
      'outFeatures',
      'bias',
      ...PARAMETER_KEYS,
    ]);
    this.inFeatures = checkInt(fn, 'inFeatures', o.inFeatures, 1);
    this.outFeatures = checkInt(fn, 'outFeatures', o.outFeatures, 1);
    const dtype = checkDtype(fn, o.dtype);
    const weight = empty([this.outFeatures, this.inFeatures], dtype);
    const bias = checkBool(fn, 'bias', o.bias, true) ? empty([this.outFeatures], dtype) : null;
    resetParameters(weight, bias, checkRng(fn, o.rng));
    this.weight = this.registerParameter('weight', weight);
    this.bias = this.registerParameter('bias', bias);
  }

  forward(input: Tensor): Tensor {
    const fn = 'Linear';
    if (!(input instanceof Tensor)) fail(fn, 'input', input, 'must be a Tensor');
    const r = input.shape.length;
    if (r < 1 || input.shape[r - 1] !== this.inFeatures)
      fail(fn, 'input.shape', input.shape, `must end with inFeatures = ${this.inFeatures}`);
    const lead = input.shape.slice(0, r - 1);
    // (*, in) -> (M, in) @ (in, out) -> (M, out) -> (*, out)
    let y = ew.matmul(ew.reshape(input, [-1, this.inFeatures]), ew.transpose2d(this.weight));
    if (this.bias) y = ew.add(y, this.bias);
    return ew.reshape(y, [...lead, this.outFeatures]);
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** `max(x, 0)`. @example new ReLU().forward(tensor([-1, 2])).toArray() // [0, 2] */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return ew.relu(input);
  }
}

/**
 * `x` for `x > 0`, else `negativeSlope · x` (default 0.01).
 * @example new LeakyReLU({ negativeSlope: 0.2 }).forward(tensor([-1, 2])).toArray() // [-0.2, 2]
 */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options: { negativeSlope?: number } = {}) {
    super();
    const o = checkOptions<{ negativeSlope?: number }>('LeakyReLU', options, ['negativeSlope']);
    this.negativeSlope = checkFiniteNumber('LeakyReLU', 'negativeSlope', o.negativeSlope, 0.01);
  }

  forward(input: Tensor): Tensor {
    return ew.leakyRelu(input, this.negativeSlope);
  }

  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** `tanh(x)`. @example new Tanh().forward(tensor([0])).toArray() // [0] */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return ew.tanh(input);
  }
}

/** `1 / (1 + exp(−x))`. @example new Sigmoid().forward(tensor([0])).toArray() // [0.5] */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return ew.sigmoid(input);
  }
}

/** Returns its input. @example new Identity().forward(x) === x */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return checkTensor('Identity', 'input', input);
  }
}

/**
 * In training mode, zeros each element with probability `p` (default 0.5) and scales the rest by
 * `1 / (1 − p)`; in eval mode, the identity. The mask is drawn from `rng` (default: the generator
 * `nn.manualSeed` seeds), so a seeded run is reproducible.
 * @example new Dropout({ p: 0.2, rng: new Rng(0) }).forward(ones([4, 4]))
 */
export class Dropout extends Module {
  readonly p: number;
  readonly #rng: Rng | undefined;

  constructor(options: { p?: number; rng?: Rng } = {}) {
    super();
    const o = checkOptions<{ p?: number; rng?: Rng }>('Dropout', options, ['p', 'rng']);
    this.p = checkFiniteNumber('Dropout', 'p', o.p, 0.5);
    if (!(this.p >= 0 && this.p <= 1)) fail('Dropout', 'p', this.p, 'must be a probability in [0, 1]');
    if (o.rng !== undefined) checkRng('Dropout', o.rng);
    this.#rng = o.rng;
  }

  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) fail('Dropout', 'input', input, 'must be a Tensor');
    if (!this.training || this.p === 0) return input;
    const rng = this.#rng ?? defaultGenerator();
    const dtype = input.dtype === 'float64' ? 'float64' : 'float32';
    const mask = allocate('Dropout', 'input', input.shape, dtype);
    const keep = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < this.p ? 0 : keep;
    return ew.mul(input, new Tensor(mask, input.shape));
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Flattens dimensions `startDim` (default 1) to `endDim` (default −1) into one.
 * @example new Flatten().forward(randn([2, 3, 4, 4])).shape // [2, 48]
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(options: { startDim?: number; endDim?: number } = {}) {
    super();
    const o = checkOptions<{ startDim?: number; endDim?: number }>('Flatten', options, [
      'startDim',
      'endDim',
    ]);
    this.startDim = o.startDim ?? 1;
    this.endDim = o.endDim ?? -1;
    for (const key of ['startDim', 'endDim'] as const)
      if (!Number.isInteger(this[key])) fail('Flatten', key, this[key], 'must be an integer');
  }

  forward(input: Tensor): Tensor {
    const fn = 'Flatten';
    if (!(input instanceof Tensor)) fail(fn, 'input', input, 'must be a Tensor');
    const r = Math.max(input.shape.length, 1);
    const start = this.startDim < 0 ? this.startDim + r : this.startDim;
    const end = this.endDim < 0 ? this.endDim + r : this.endDim;
    if (start < 0 || start >= r)
      fail(
        fn,
        'startDim',
        this.startDim,
        `must be in [${-r}, ${r - 1}] for input.shape ${show(input.shape)}`,
      );
    if (end < 0 || end >= r)
      fail(fn, 'endDim', this.endDim, `must be in [${-r}, ${r - 1}] for input.shape ${show(input.shape)}`);
    if (start > end) fail(fn, 'startDim', this.startDim, `must not come after endDim = ${this.endDim}`);
    if (input.shape.length === 0) return ew.reshape(input, [1]);
    const shape = input.shape;
    let merged = 1;
    for (let i = start; i <= end; i++) merged *= shape[i]!;
    return ew.reshape(input, [...shape.slice(0, start), merged, ...shape.slice(end + 1)]);
  }
}
