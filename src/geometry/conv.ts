/**
 * All shape arithmetic of convolution and transposed convolution, in one place.
 *
 * References: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285; PyTorch `torch.nn.ConvTranspose2d` docs and `ConvUtils.h`.
 *
 * One record, `ConvGeometry`, describes a convolution in the *conv view*: `x` is the convolution's
 * input and `y` its output, `y[o] = Σ_k x[o·s − pBegin + k·d] · w[k]`. A transposed convolution is
 * the same record read backwards: its input is `y`, its output is `x`, and its forward pass is the
 * convolution's gradient with respect to `x` (a scatter `x[i·s − pBegin + k·d] += y[i] · w[k]`).
 * Every op, kernel and gradient reads this record; nothing recomputes a size on its own.
 *
 * Sizes, per spatial dimension, with effective (dilated) kernel `kE = d·(k − 1) + 1`:
 *   conv:           o  = ⌊(i + pBegin + pEnd − kE) / s⌋ + 1
 *   convTranspose:  o' = s·(i' − 1) − pBegin − pEnd + kE + a        (a = outputPadding)
 *
 * The ambiguity `outputPadding` resolves: a stride-s convolution maps the s input sizes
 * i, i+1, …, i+s−1 (those with the same ⌊(i + p − kE)/s⌋) to one output size, so its transpose has
 * s candidate output sizes. `outputPadding` (or `outputSize`) picks one; it adds rows at the end
 * only and never changes which input feeds which output. PyTorch allows a < max(s, d).
 *
 * The transposition rules (convTranspose as a direct stride-1 convolution, see `asDirectConv`):
 *   stride s        → s − 1 zeros inserted between input elements ("fractional stride"), stride 1;
 *   kernel          → flipped in every spatial dimension, in/out channels swapped within a group;
 *   padding p       → (kE − 1) − p on each side (negative means crop), plus `a` more at the end;
 *   dilation d      → unchanged.
 */
import { fail, show } from '../errors.js';
import { checkLive, Tensor } from '../tensor.js';
import { poolOutputSizes } from './pool.js';
import { checkLayout, perDim, perDimPairs, POSITIVE, NON_NEGATIVE, type Layout } from './args.js';

export interface ConvGeometry {
  readonly fn: string;
  readonly d: number;
  readonly transposed: boolean;
  readonly batched: boolean;
  readonly batch: number;
  readonly groups: number;
  /** channels of the conv-view input x (conv: input; convTranspose: output) */
  readonly xChannels: number;
  /** channels of the conv-view output y (conv: output; convTranspose: input) */
  readonly yChannels: number;
  readonly xSize: readonly number[];
  readonly ySize: readonly number[];
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  /** transposed only: extra rows at the end of the output (0 for conv) */
  readonly outputPadding: readonly number[];
  /** dilated kernel extent d·(k − 1) + 1 */
  readonly effectiveKernel: readonly number[];
}

export type PaddingArg = number | readonly (number | readonly [number, number])[] | 'same' | 'valid';

export interface ConvOptions {
  bias?: Tensor | null;
  stride?: number | readonly number[];
  padding?: PaddingArg;
  dilation?: number | readonly number[];
  groups?: number;
}

export interface ConvTransposeOptions {
  bias?: Tensor | null;
  stride?: number | readonly number[];
  padding?: number | readonly (number | readonly [number, number])[];
  outputPadding?: number | readonly number[];
  groups?: number;
  dilation?: number | readonly number[];
  outputSize?: readonly number[];
}

function zipPairs(pad: { begin: number[]; end: number[] }): [number, number][] {
  return pad.begin.map((b, i) => [b, pad.end[i]!]);
}

function effective(kernel: readonly number[], dilation: readonly number[]): number[] {
  return kernel.map((k, i) => dilation[i]! * (k - 1) + 1);
}

/** Resolves conv padding (numbers, per-side pairs, 'same', 'valid') to begin/end per dimension. */
export function resolveConvPadding(
  fn: string,
  padding: unknown,
  d: number,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): { begin: number[]; end: number[] } {
  if (padding === 'valid') return { begin: new Array<number>(d).fill(0), end: new Array<number>(d).fill(0) };
  if (padding === 'same') {
    stride.forEach((s, i) => {
      if (s !== 1) {
        fail(
          fn,
          'padding',
          padding,
          `is not supported for strided convolutions (stride[${i}] = ${s}); 'same' needs stride 1`,
        );
      }
    });
    // PyTorch puts the odd extra at the end: total d·(k − 1), begin ⌊total / 2⌋.
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    return { begin: total.map((t) => Math.floor(t / 2)), end: total.map((t) => t - Math.floor(t / 2)) };
  }
  if (typeof padding === 'string')
    fail(fn, 'padding', padding, "must be a number, an array, [begin, end] pairs, 'same' or 'valid'");
  return perDimPairs(fn, 'padding', padding, d);
}

function checkGroups(fn: string, groups: unknown): number {
  if (groups === undefined) return 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    fail(fn, 'groups', groups, 'must be a positive integer');
  return groups;
}

function checkWeight(fn: string, weight: unknown, d: number, transposed: boolean): Tensor {
  const w = weight as Tensor;
  if (!(weight instanceof Tensor)) fail(fn, 'weight', weight, 'must be a Tensor');
  checkLive(fn, 'weight', w);
  if (w.dtype === 'int32') fail(fn, 'weight.dtype', w.dtype, "must be 'float32'");
  if (w.shape.length !== d + 2) {
    const names = transposed ? 'Cin, Cout/groups' : 'Cout, Cin/groups';
    fail(
      fn,
      'weight.shape',
      w.shape,
      `must have ${d + 2} dimensions (${names}, ${['kL', 'kH, kW', 'kD, kH, kW'][d - 1]})`,
    );
  }
  w.shape.slice(2).forEach((k, i) => {
    if (k < 1) fail(fn, `weight.shape[${i + 2}]`, k, 'must be a positive kernel size');
  });
  return w;
}

function checkBias(fn: string, bias: unknown, channels: number): Tensor | null {
  if (bias === undefined || bias === null) return null;
  const b = bias as Tensor;
  if (!(bias instanceof Tensor)) fail(fn, 'bias', bias, 'must be a Tensor or null');
  checkLive(fn, 'bias', b);
  if (b.dtype === 'int32') fail(fn, 'bias.dtype', b.dtype, "must be 'float32'");
  if (b.shape.length !== 1 || b.shape[0] !== channels) {
    fail(fn, 'bias.shape', b.shape, `must be [${channels}], one value per output channel`);
  }
  return b;
}

export interface CheckedConv {
  geometry: ConvGeometry;
  layout: Layout;
  weight: Tensor;
  bias: Tensor | null;
}

/** Checks a convolution's arguments and computes its geometry. */
export function convGeometry(
  fn: string,
  input: unknown,
  weight: unknown,
  options: ConvOptions,
  d: number,
): CheckedConv {
  return convGeometryOfLayout(fn, checkLayout(fn, 'input', input, d), weight, options, d);
}

/** `convGeometry` for an input known by its layout only (the matrix view has no input tensor). */
export function convGeometryOfLayout(
  fn: string,
  layout: Layout,
  weight: unknown,
  options: ConvOptions,
  d: number,
): CheckedConv {
  const w = checkWeight(fn, weight, d, false);
  const groups = checkGroups(fn, options.groups);
  const cin = layout.channels;
  const cout = w.shape[0]!;
  const cdim = layout.batched ? 1 : 0;
  if (cin % groups !== 0)
    fail(fn, 'groups', groups, `must divide the input channels input.shape[${cdim}] = ${cin}`);
  if (cout % groups !== 0)
    fail(fn, 'groups', groups, `must divide the output channels weight.shape[0] = ${cout}`);
  if (w.shape[1]! * groups !== cin) {
    fail(
      fn,
      'weight.shape[1]',
      w.shape[1],
      `must equal input channels / groups = ${cin} / ${groups} = ${cin / groups}`,
    );
  }
  const kernel = w.shape.slice(2) as number[];
  const stride = perDim(fn, 'stride', options.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', options.dilation, d, POSITIVE, 1);
  const pad = resolveConvPadding(fn, options.padding, d, kernel, stride, dilation);
  const bias = checkBias(fn, options.bias, cout);
  const effectiveKernel = effective(kernel, dilation);
  const ySize = poolOutputSizes(
    fn,
    {
      inputSize: layout.spatial,
      kernelSize: kernel,
      stride,
      dilation,
      padding: zipPairs(pad),
      ceilMode: false,
    },
    d,
    (k) => `input.shape[${k + cdim + 1}]`,
  );
  const geometry: ConvGeometry = Object.freeze({
    fn,
    d,
    transposed: false,
    batched: layout.batched,
    batch: layout.batch,
    groups,
    xChannels: cin,
    yChannels: cout,
    xSize: layout.spatial,
    ySize,
    kernel,
    stride,
    dilation,
    padBegin: pad.begin,
    padEnd: pad.end,
    outputPadding: new Array<number>(d).fill(0),
    effectiveKernel,
  });
  return { geometry, layout, weight: w, bias };
}

function checkOutputPadding(
  fn: string,
  a: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): void {
  a.forEach((v, i) => {
    if (v >= stride[i]! && v >= dilation[i]!) {
      fail(
        fn,
        `outputPadding[${i}]`,
        v,
        `must be smaller than stride[${i}] = ${stride[i]} or dilation[${i}] = ${dilation[i]}`,
      );
    }
  });
}

/** The smallest output size of a transposed convolution (outputPadding 0), per dimension. */
function transposeBaseSizes(
  inSize: readonly number[],
  stride: readonly number[],
  pb: readonly number[],
  pe: readonly number[],
  effK: readonly number[],
): number[] {
  return inSize.map((i, k) => stride[k]! * (i - 1) - pb[k]! - pe[k]! + effK[k]!);
}

/**
 * `outputSize` → output padding, as PyTorch's `ConvTranspose._output_padding`: the requested size
 * must lie in [base, base + stride − 1]; spatial sizes only, or with N and C in front.
 */
function outputPaddingFromSize(
  fn: string,
  outputSize: unknown,
  d: number,
  base: readonly number[],
  stride: readonly number[],
): number[] {
  if (!Array.isArray(outputSize))
    fail(fn, 'outputSize', outputSize, `must be an array of ${d} spatial sizes`);
  let sizes = outputSize as number[];
  if (sizes.length === d + 2) sizes = sizes.slice(2);
  else if (sizes.length !== d)
    fail(
      fn,
      'outputSize',
      outputSize,
      `must have ${d} entries (spatial sizes), or ${d + 2} with N and C in front`,
    );
  const off = outputSize.length - d;
  return sizes.map((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1)
      fail(fn, `outputSize[${i + off}]`, s, 'must be a positive integer');
    const lo = base[i]!;
    const hi = base[i]! + stride[i]! - 1;
    if (s < lo || s > hi) {
      fail(
        fn,
        `outputSize[${i + off}]`,
        s,
        lo === hi
          ? `must be ${lo}: with stride[${i}] = ${stride[i]} no other size is reachable from this input`
          : `must be between ${lo} and ${hi}, the sizes stride[${i}] = ${stride[i]} can reach from this input`,
      );
    }
    return s - lo;
  });
}

/** Checks a transposed convolution's arguments and computes its geometry. */
export function convTransposeGeometry(
  fn: string,
  input: unknown,
  weight: unknown,
  options: ConvTransposeOptions,
  d: number,
): CheckedConv {
  const layout = checkLayout(fn, 'input', input, d);
  const w = checkWeight(fn, weight, d, true);
  const groups = checkGroups(fn, options.groups);
  const cin = layout.channels;
  const cdim = layout.batched ? 1 : 0;
  if (w.shape[0] !== cin)
    fail(fn, 'weight.shape[0]', w.shape[0], `must equal the input channels input.shape[${cdim}] = ${cin}`);
  if (cin % groups !== 0)
    fail(fn, 'groups', groups, `must divide the input channels input.shape[${cdim}] = ${cin}`);
  const cout = w.shape[1]! * groups;
  const kernel = w.shape.slice(2) as number[];
  const stride = perDim(fn, 'stride', options.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', options.dilation, d, POSITIVE, 1);
  if (typeof options.padding === 'string') {
    fail(
      fn,
      'padding',
      options.padding,
      'must be a number, an array or [begin, end] pairs (strings are for conv only)',
    );
  }
  const pad = perDimPairs(fn, 'padding', options.padding, d);
  const effectiveKernel = effective(kernel, dilation);
  const base = transposeBaseSizes(layout.spatial, stride, pad.begin, pad.end, effectiveKernel);
  let outputPadding: number[];
  if (options.outputSize !== undefined) {
    outputPadding = outputPaddingFromSize(fn, options.outputSize, d, base, stride);
  } else {
    outputPadding = perDim(fn, 'outputPadding', options.outputPadding, d, NON_NEGATIVE, 0);
    checkOutputPadding(fn, outputPadding, stride, dilation);
  }
  const xSize = base.map((b, i) => b + outputPadding[i]!);
  xSize.forEach((o, i) => {
    if (o < 1) {
      fail(
        fn,
        'padding',
        options.padding,
        `is too large: output size ${o} in dimension ${i} (it must be at least 1)`,
      );
    }
  });
  const bias = checkBias(fn, options.bias, cout);
  const geometry: ConvGeometry = Object.freeze({
    fn,
    d,
    transposed: true,
    batched: layout.batched,
    batch: layout.batch,
    groups,
    xChannels: cout,
    yChannels: cin,
    xSize,
    ySize: layout.spatial,
    kernel,
    stride,
    dilation,
    padBegin: pad.begin,
    padEnd: pad.end,
    outputPadding,
    effectiveKernel,
  });
  return { geometry, layout, weight: w, bias };
}

/** Number of spatial dimensions told by the array-valued arguments (1 when all are numbers). */
function dimsOf(fn: string, args: Record<string, unknown>): number {
  let d = 0;
  for (const [name, v] of Object.entries(args)) {
    if (Array.isArray(v)) {
      if (d !== 0 && v.length !== d)
        fail(fn, name, v, `must have ${d} entries like the other per-dimension arguments`);
      d = v.length;
    }
  }
  if (d > 3 || (d === 0 && Object.values(args).some(Array.isArray))) {
    fail(fn, 'inputSize', args.inputSize, 'must describe 1 to 3 spatial dimensions');
  }
  return d || 1;
}

export interface ConvOutputSizeArgs {
  inputSize: number | readonly number[];
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: PaddingArg;
  dilation?: number | readonly number[];
  /** pooling's rounding: the last window may hang over the end if it starts inside the input */
  ceilMode?: boolean;
}

/**
 * Output size of a convolution (or pooling, with `ceilMode`) per spatial dimension:
 * `⌊(i + pBegin + pEnd − d·(k − 1) − 1) / s⌋ + 1`.
 *
 * @example convOutputSize({ inputSize: [32, 32], kernelSize: 4, stride: 2, padding: 1 }) // [16, 16]
 */
export function convOutputSize(args: ConvOutputSizeArgs): number[] {
  const fn = 'convOutputSize';
  if (!args || typeof args !== 'object') fail(fn, 'args', args, 'must be an object');
  const padArray = Array.isArray(args.padding) ? args.padding : undefined;
  const d = dimsOf(fn, {
    inputSize: args.inputSize,
    kernelSize: args.kernelSize,
    stride: args.stride,
    padding: padArray,
    dilation: args.dilation,
  });
  const inputSize = perDim(fn, 'inputSize', args.inputSize, d, NON_NEGATIVE);
  const kernel = perDim(fn, 'kernelSize', args.kernelSize, d, POSITIVE);
  const stride = perDim(fn, 'stride', args.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', args.dilation, d, POSITIVE, 1);
  const pad = resolveConvPadding(fn, args.padding, d, kernel, stride, dilation);
  return poolOutputSizes(
    fn,
    {
      inputSize,
      kernelSize: kernel,
      stride,
      dilation,
      padding: zipPairs(pad),
      ceilMode: Boolean(args.ceilMode),
    },
    d,
  );
}

export interface ConvTransposeOutputSizeArgs {
  inputSize: number | readonly number[];
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly (number | readonly [number, number])[];
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
}

/**
 * Output size of a transposed convolution per spatial dimension:
 * `s·(i − 1) + a + d·(k − 1) + 1 − pBegin − pEnd` (`o' = s(i' − 1) + a + k − 2p` when d = 1).
 *
 * @example convTransposeOutputSize({ inputSize: 16, kernelSize: 4, stride: 2, padding: 1 }) // [32]
 */
export function convTransposeOutputSize(args: ConvTransposeOutputSizeArgs): number[] {
  const fn = 'convTransposeOutputSize';
  if (!args || typeof args !== 'object') fail(fn, 'args', args, 'must be an object');
  const padArray = Array.isArray(args.padding) ? args.padding : undefined;
  const d = dimsOf(fn, {
    inputSize: args.inputSize,
    kernelSize: args.kernelSize,
    stride: args.stride,
    padding: padArray,
    outputPadding: args.outputPadding,
    dilation: args.dilation,
  });
  const inputSize = perDim(fn, 'inputSize', args.inputSize, d, POSITIVE);
  const kernel = perDim(fn, 'kernelSize', args.kernelSize, d, POSITIVE);
  const stride = perDim(fn, 'stride', args.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', args.dilation, d, POSITIVE, 1);
  if (typeof args.padding === 'string')
    fail(fn, 'padding', args.padding, 'must be a number, an array or [begin, end] pairs');
  const pad = perDimPairs(fn, 'padding', args.padding, d);
  const a = perDim(fn, 'outputPadding', args.outputPadding, d, NON_NEGATIVE, 0);
  checkOutputPadding(fn, a, stride, dilation);
  const base = transposeBaseSizes(inputSize, stride, pad.begin, pad.end, effective(kernel, dilation));
  return base.map((b, i) => {
    const o = b + a[i]!;
    if (o < 1)
      fail(
        fn,
        'padding',
        args.padding,
        `is too large: output size ${o} in dimension ${i} (it must be at least 1)`,
      );
    return o;
  });
}

/**
 * The direct-convolution form of a transposed convolution (the transposition rules above):
 * insert `stride − 1` zeros between inputs, pad `(kE − 1) − pBegin` before and
 * `(kE − 1) − pEnd + outputPadding` after (negative: crop), convolve with stride 1, the same
 * dilation and the flipped kernel.
 */
export function asDirectConv(g: ConvGeometry): {
  inputDilation: number[];
  padBegin: number[];
  padEnd: number[];
  stride: number[];
  dilation: number[];
  flipKernel: true;
} {
  return {
    inputDilation: [...g.stride],
    padBegin: g.effectiveKernel.map((k, i) => k - 1 - g.padBegin[i]!),
    padEnd: g.effectiveKernel.map((k, i) => k - 1 - g.padEnd[i]! + g.outputPadding[i]!),
    stride: new Array<number>(g.d).fill(1),
    dilation: [...g.dilation],
    flipKernel: true,
  };
}

export { show };
