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
 * Two steps, as PyTorch's `ConvParams` and jax's shape rules: `convParams` / `convTransposeParams`
 * check the options once into a frozen `ConvParams`; `convGeometry` / `convTransposeGeometry` take
 * those params and the input and weight *shapes* (plain numbers, no tensors) to the geometry. So
 * the ops, the conv matrix, the animations, the gradient functions and the output-size helpers all
 * share one path; the per-dimension formulas themselves are in arithmetic.ts.
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
import { fail } from '../errors.js';
import {
  checkOptions,
  explicitPairs,
  layoutOf,
  perDim,
  perDimPairs,
  POSITIVE,
  NON_NEGATIVE,
} from './args.js';
import {
  checkOutputPadding,
  checkedConvOutputLength,
  checkedTransposedOutputLength,
  effectiveKernel,
  largestOutputPadding,
  samePadding,
} from './arithmetic.js';

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

/** Size-like options shared by conv's public functions (the op adds `bias`). */
export interface ConvShapeOptions {
  stride?: number | readonly number[];
  padding?: PaddingArg;
  dilation?: number | readonly number[];
  groups?: number;
}

/** Size-like options of a transposed convolution (the op adds `bias`). */
export interface ConvTransposeShapeOptions {
  stride?: number | readonly number[];
  padding?: number | readonly (number | readonly [number, number])[];
  outputPadding?: number | readonly number[];
  groups?: number;
  dilation?: number | readonly number[];
  outputSize?: readonly number[];
}

/**
 * A convolution's options, checked once. Padding is explicit per side, or 'same' (resolved from
 * the kernel size by the geometry). For a transposed convolution exactly one of `outputPadding`
 * and `outputSize` is set.
 */
export interface ConvParams {
  readonly fn: string;
  readonly d: number;
  readonly transposed: boolean;
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly padding: 'same' | { readonly padBegin: readonly number[]; readonly padEnd: readonly number[] };
  readonly outputPadding: readonly number[] | null;
  /** transposed only: the requested spatial output size, and where it starts in the user's array */
  readonly outputSize: readonly number[] | null;
  readonly outputSizeOffset: number;
  /** `padding` as the user wrote it, for messages */
  readonly paddingArg: unknown;
}

/** Where the input and weight shapes come from, for the messages (`input.shape`, `inputShape`…). */
export interface ConvShapes {
  readonly input: readonly number[];
  readonly weight: readonly number[];
  /** default 'input.shape' */
  readonly inputName?: string;
  /** default 'weight.shape' */
  readonly weightName?: string;
}

function checkGroups(fn: string, groups: unknown): number {
  if (groups === undefined) return 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    fail(fn, 'groups', groups, 'must be a positive integer');
  return groups;
}

function explicitPadding(fn: string, padding: unknown, d: number): ConvParams['padding'] {
  const pad = perDimPairs(fn, 'padding', padding, d);
  return Object.freeze({ padBegin: Object.freeze(pad.begin), padEnd: Object.freeze(pad.end) });
}

/** Checks a convolution's options (numbers, per-side pairs, 'same', 'valid') into `ConvParams`. */
export function convParams(fn: string, d: number, options: ConvShapeOptions): ConvParams {
  const stride = perDim(fn, 'stride', options.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', options.dilation, d, POSITIVE, 1);
  const raw = options.padding;
  let padding: ConvParams['padding'];
  if (raw === 'valid') padding = explicitPadding(fn, 0, d);
  else if (raw === 'same') {
    stride.forEach((s, i) => {
      if (s !== 1) {
        fail(
          fn,
          'padding',
          raw,
          `is not supported for strided convolutions (stride[${i}] = ${s}); 'same' needs stride 1`,
        );
      }
    });
    padding = 'same';
  } else {
    if (typeof raw === 'string')
      fail(fn, 'padding', raw, "must be a number, an array, [begin, end] pairs, 'same' or 'valid'");
    padding = explicitPadding(fn, raw, d);
  }
  return Object.freeze({
    fn,
    d,
    transposed: false,
    stride: Object.freeze(stride),
    dilation: Object.freeze(dilation),
    groups: checkGroups(fn, options.groups),
    padding,
    outputPadding: null,
    outputSize: null,
    outputSizeOffset: 0,
    paddingArg: raw,
  });
}

/** Checks a transposed convolution's options into `ConvParams`. */
export function convTransposeParams(fn: string, d: number, options: ConvTransposeShapeOptions): ConvParams {
  const stride = perDim(fn, 'stride', options.stride, d, POSITIVE, 1);
  const dilation = perDim(fn, 'dilation', options.dilation, d, POSITIVE, 1);
  const pairs = explicitPairs(fn, options.padding, d);
  const padding = Object.freeze({ padBegin: Object.freeze(pairs.begin), padEnd: Object.freeze(pairs.end) });
  let outputPadding: number[] | null = null;
  let outputSize: number[] | null = null;
  let outputSizeOffset = 0;
  if (options.outputSize !== undefined) {
    const raw: unknown = options.outputSize;
    if (!Array.isArray(raw)) fail(fn, 'outputSize', raw, `must be an array of ${d} spatial sizes`);
    if (raw.length !== d && raw.length !== d + 2) {
      fail(
        fn,
        'outputSize',
        raw,
        `must have ${d} entries (spatial sizes), or ${d + 2} with N and C in front`,
      );
    }
    outputSizeOffset = raw.length - d;
    outputSize = (raw.slice(outputSizeOffset) as unknown[]).map((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
        fail(fn, `outputSize[${i + outputSizeOffset}]`, v, 'must be a positive integer');
      return v;
    });
  } else {
    outputPadding = perDim(fn, 'outputPadding', options.outputPadding, d, NON_NEGATIVE, 0);
    checkOutputPadding(fn, outputPadding, stride, dilation);
  }
  return Object.freeze({
    fn,
    d,
    transposed: true,
    stride: Object.freeze(stride),
    dilation: Object.freeze(dilation),
    groups: checkGroups(fn, options.groups),
    padding,
    outputPadding: outputPadding && Object.freeze(outputPadding),
    outputSize: outputSize && Object.freeze(outputSize),
    outputSizeOffset,
    paddingArg: options.padding,
  });
}

/** The params' padding per side for a kernel ('same' resolved as PyTorch splits it). */
function resolvePadding(p: ConvParams, kernel: readonly number[]): { begin: number[]; end: number[] } {
  if (p.padding === 'same') {
    const same = kernel.map((k, i) => samePadding(k, p.dilation[i]!));
    return { begin: same.map((s) => s.padBegin), end: same.map((s) => s.padEnd) };
  }
  return { begin: [...p.padding.padBegin], end: [...p.padding.padEnd] };
}

/** Conv padding (numbers, per-side pairs, 'same', 'valid') resolved to begin/end per dimension. */
export function resolveConvPadding(
  fn: string,
  padding: unknown,
  d: number,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): { begin: number[]; end: number[] } {
  return resolvePadding(convParams(fn, d, { padding: padding as PaddingArg, stride, dilation }), kernel);
}

/** Checks a weight shape: rank d + 2 and positive kernel sizes. Returns the kernel sizes. */
function kernelOf(p: ConvParams, shape: readonly number[], name: string): number[] {
  const { fn, d } = p;
  if (shape.length !== d + 2) {
    const names = p.transposed ? 'Cin, Cout/groups' : 'Cout, Cin/groups';
    fail(
      fn,
      name,
      shape,
      `must have ${d + 2} dimensions (${names}, ${['kL', 'kH, kW', 'kD, kH, kW'][d - 1]})`,
    );
  }
  const kernel = shape.slice(2);
  kernel.forEach((k, i) => {
    if (k < 1) fail(fn, `${name}[${i + 2}]`, k, 'must be a positive kernel size');
  });
  return kernel;
}

/** Checked conv output sizes, per dimension. */
function outputLengths(
  fn: string,
  inputSize: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  pad: { begin: readonly number[]; end: readonly number[] },
  dilation: readonly number[],
  ceilMode: boolean,
  path: (k: number) => string,
): number[] {
  return inputSize.map((i, k) =>
    checkedConvOutputLength(fn, path(k), {
      inputSize: i,
      kernelSize: kernel[k]!,
      stride: stride[k]!,
      padBegin: pad.begin[k]!,
      padEnd: pad.end[k]!,
      dilation: dilation[k]!,
      ceilMode,
    }),
  );
}

/**
 * The smallest output size of a transposed convolution (outputPadding 0), per dimension; a size
 * beyond 2⁵³ − 1 (with the largest output padding) is refused, naming the stride or dilation.
 */
function transposeBaseSizes(
  fn: string,
  inSize: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  pad: { begin: readonly number[]; end: readonly number[] },
  dilation: readonly number[],
): number[] {
  return inSize.map((i, k) => {
    // checked with the largest output padding, so that every size outputPadding can reach is exact
    const aMax = largestOutputPadding(stride[k]!, dilation[k]!);
    const longest = checkedTransposedOutputLength(fn, `stride[${k}]`, `dilation[${k}]`, {
      inputSize: i,
      kernelSize: kernel[k]!,
      stride: stride[k]!,
      padBegin: pad.begin[k]!,
      padEnd: pad.end[k]!,
      dilation: dilation[k]!,
      outputPadding: aMax,
    });
    return longest - aMax;
  });
}

function freezeGeometry(g: ConvGeometry): ConvGeometry {
  return Object.freeze({
    ...g,
    xSize: Object.freeze([...g.xSize]),
    ySize: Object.freeze([...g.ySize]),
  });
}

/**
 * A convolution's geometry from its params and the input and weight shapes, `(N, Cin, *spatial)`
 * or `(Cin, *spatial)` and `(Cout, Cin/groups, *k)`.
 */
export function convGeometry(p: ConvParams, shapes: ConvShapes): ConvGeometry {
  const { fn, d, groups, stride, dilation } = p;
  const inputName = shapes.inputName ?? 'input.shape';
  const weightName = shapes.weightName ?? 'weight.shape';
  const layout = layoutOf(fn, inputName, shapes.input, d);
  const kernel = kernelOf(p, shapes.weight, weightName);
  const cin = layout.channels;
  const cout = shapes.weight[0]!;
  const cdim = layout.batched ? 1 : 0;
  if (cin % groups !== 0)
    fail(fn, 'groups', groups, `must divide the input channels ${inputName}[${cdim}] = ${cin}`);
  if (cout % groups !== 0)
    fail(fn, 'groups', groups, `must divide the output channels ${weightName}[0] = ${cout}`);
  if (shapes.weight[1]! * groups !== cin) {
    fail(
      fn,
      `${weightName}[1]`,
      shapes.weight[1],
      `must equal input channels / groups = ${cin} / ${groups} = ${cin / groups}`,
    );
  }
  const pad = resolvePadding(p, kernel);
  const ySize = outputLengths(
    fn,
    layout.spatial,
    kernel,
    stride,
    pad,
    dilation,
    false,
    (k) => `${inputName}[${k + cdim + 1}]`,
  );
  return freezeGeometry({
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
    kernel: Object.freeze(kernel),
    stride,
    dilation,
    padBegin: Object.freeze(pad.begin),
    padEnd: Object.freeze(pad.end),
    outputPadding: Object.freeze(new Array<number>(d).fill(0)),
    effectiveKernel: Object.freeze(kernel.map((k, i) => effectiveKernel(k, dilation[i]!))),
  });
}

/**
 * `outputSize` → output padding, as PyTorch's `ConvTranspose._output_padding`: the requested size
 * must lie in [base, base + stride − 1].
 */
function outputPaddingFromSize(p: ConvParams, base: readonly number[]): number[] {
  return p.outputSize!.map((s, i) => {
    const lo = base[i]!;
    const hi = base[i]! + p.stride[i]! - 1;
    if (hi < 1) {
      // no size at all is reachable: the padding crops everything, whatever outputSize asks
      fail(
        p.fn,
        'padding',
        p.paddingArg,
        `is too large: output size at most ${hi} in dimension ${i} (it must be at least 1)`,
      );
    }
    if (s < lo || s > hi) {
      fail(
        p.fn,
        `outputSize[${i + p.outputSizeOffset}]`,
        s,
        lo === hi
          ? `must be ${lo}: with stride[${i}] = ${p.stride[i]} no other size is reachable from this input`
          : `must be between ${lo} and ${hi}, the sizes stride[${i}] = ${p.stride[i]} can reach from this input`,
      );
    }
    return s - lo;
  });
}

/**
 * A transposed convolution's geometry from its params and the input and weight shapes,
 * `(N, Cin, *spatial)` or `(Cin, *spatial)` and `(Cin, Cout/groups, *k)`.
 */
export function convTransposeGeometry(p: ConvParams, shapes: ConvShapes): ConvGeometry {
  const { fn, d, groups, stride, dilation } = p;
  const inputName = shapes.inputName ?? 'input.shape';
  const weightName = shapes.weightName ?? 'weight.shape';
  const layout = layoutOf(fn, inputName, shapes.input, d);
  const kernel = kernelOf(p, shapes.weight, weightName);
  const cin = layout.channels;
  const cdim = layout.batched ? 1 : 0;
  if (shapes.weight[0] !== cin)
    fail(
      fn,
      `${weightName}[0]`,
      shapes.weight[0],
      `must equal the input channels ${inputName}[${cdim}] = ${cin}`,
    );
  if (cin % groups !== 0)
    fail(fn, 'groups', groups, `must divide the input channels ${inputName}[${cdim}] = ${cin}`);
  const cout = shapes.weight[1]! * groups;
  const pad = resolvePadding(p, kernel);
  const base = transposeBaseSizes(fn, layout.spatial, kernel, stride, pad, dilation);
  const outputPadding = p.outputSize ? outputPaddingFromSize(p, base) : [...p.outputPadding!];
  const xSize = base.map((b, i) => b + outputPadding[i]!);
  xSize.forEach((o, i) => {
    if (o < 1) {
      fail(
        fn,
        'padding',
        p.paddingArg,
        `is too large: output size ${o} in dimension ${i} (it must be at least 1)`,
      );
    }
  });
  return freezeGeometry({
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
    kernel: Object.freeze(kernel),
    stride,
    dilation,
    padBegin: Object.freeze(pad.begin),
    padEnd: Object.freeze(pad.end),
    outputPadding: Object.freeze(outputPadding),
    effectiveKernel: Object.freeze(kernel.map((k, i) => effectiveKernel(k, dilation[i]!))),
  });
}

/** The shape of the conv-view input x: `(N, Cx, *xSize)` or `(Cx, *xSize)`. */
export function xShape(g: ConvGeometry): number[] {
  return g.batched ? [g.batch, g.xChannels, ...g.xSize] : [g.xChannels, ...g.xSize];
}
/** The shape of the conv-view output y: `(N, Cy, *ySize)` or `(Cy, *ySize)`. */
export function yShape(g: ConvGeometry): number[] {
  return g.batched ? [g.batch, g.yChannels, ...g.ySize] : [g.yChannels, ...g.ySize];
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
 * Every option is checked: sizes, strides, dilations and paddings are integers of at most 2³¹ − 1
 * (`inputSize`, `padding` from 0; `kernelSize`, `stride`, `dilation` from 1), `ceilMode` is
 * `true` or `false`, unknown keys are refused, and a dilated kernel beyond 2⁵³ − 1 is refused
 * (the results themselves stay below 2³⁴, exact).
 *
 * @example convOutputSize({ inputSize: [32, 32], kernelSize: 4, stride: 2, padding: 1 }) // [16, 16]
 */
export function convOutputSize(args: ConvOutputSizeArgs): number[] {
  const fn = 'convOutputSize';
  if (!args || typeof args !== 'object' || Array.isArray(args)) fail(fn, 'args', args, 'must be an object');
  checkOptions(fn, args, ['inputSize', 'kernelSize', 'stride', 'padding', 'dilation', 'ceilMode']);
  if (args.ceilMode !== undefined && typeof args.ceilMode !== 'boolean')
    fail(fn, 'ceilMode', args.ceilMode, 'must be true or false');
  return convOutputSizeOf(fn, args);
}

/**
 * {@link convOutputSize} for another public function `fn` whose arguments have the same names
 * (`inputSize`, `kernelSize`, `stride`, `padding`, `dilation`, as matrixView's), so that a refusal
 * names `fn` and its own argument. The record itself (an object, its keys, `ceilMode` a boolean)
 * is the caller's to check.
 */
export function convOutputSizeOf(fn: string, args: ConvOutputSizeArgs): number[] {
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
  const p = convParams(fn, d, args);
  return outputLengths(
    fn,
    inputSize,
    kernel,
    p.stride,
    resolvePadding(p, kernel),
    p.dilation,
    args.ceilMode === true,
    (k) => `inputSize[${k}]`,
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
 * Every option is checked: sizes, strides, dilations and paddings are integers of at most 2³¹ − 1
 * (`inputSize`, `kernelSize`, `stride`, `dilation` from 1; `padding`, `outputPadding` from 0),
 * `outputPadding` below max(stride, dilation), unknown keys are refused (a solveConvTranspose
 * result, whose `evenOverlap` is ignored, may be spread in), and a size beyond 2⁵³ − 1 (where a
 * double is no longer exact) is refused naming the stride or dilation that made it.
 *
 * @example convTransposeOutputSize({ inputSize: 16, kernelSize: 4, stride: 2, padding: 1 }) // [32]
 */
export function convTransposeOutputSize(args: ConvTransposeOutputSizeArgs): number[] {
  const fn = 'convTransposeOutputSize';
  if (!args || typeof args !== 'object' || Array.isArray(args)) fail(fn, 'args', args, 'must be an object');
  // a solver result (ConvTransposeConfig, with its evenOverlap flag) may be spread in as it is
  checkOptions(fn, args, [
    'inputSize',
    'kernelSize',
    'stride',
    'padding',
    'outputPadding',
    'dilation',
    'evenOverlap',
  ]);
  const even = (args as { evenOverlap?: unknown }).evenOverlap;
  if (even !== undefined && typeof even !== 'boolean') fail(fn, 'evenOverlap', even, 'must be true or false');
  return convTransposeOutputSizeOf(fn, args);
}

/**
 * {@link convTransposeOutputSize} for another public function `fn` whose arguments have the same
 * names (as checkerboard's), so that a refusal names `fn` and its own argument. The record itself
 * (an object, its keys) is the caller's to check.
 */
export function convTransposeOutputSizeOf(fn: string, args: ConvTransposeOutputSizeArgs): number[] {
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
  if (typeof args.padding === 'string')
    fail(fn, 'padding', args.padding, 'must be a number, an array or [begin, end] pairs');
  const p = convTransposeParams(fn, d, {
    stride: args.stride,
    padding: args.padding,
    outputPadding: args.outputPadding,
    dilation: args.dilation,
  });
  const base = transposeBaseSizes(fn, inputSize, kernel, p.stride, resolvePadding(p, kernel), p.dilation);
  return base.map((b, i) => {
    const o = b + p.outputPadding![i]!;
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
