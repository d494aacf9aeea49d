/**
 * Convolution and transposed convolution, 1-D to 3-D, with stride, padding (numbers, 'same',
 * 'valid', per-side pairs), output padding / output size, dilation, groups and bias.
 *
 * References: PyTorch `torch.nn.functional.conv_transpose2d`; Dumoulin & Visin (2016),
 * https://arxiv.org/abs/1603.07285; Zeiler et al., "Deconvolutional networks" (2010).
 *
 * The two ops are each other's transpose, and the code says so: both run on the same geometry
 * record and the same three kernels (gather, scatter, weight). `convTranspose` forward is conv's
 * gradient with respect to its input (scatter); its gradient with respect to its input is conv
 * forward (gather); both weight gradients are the same `weight` kernel with x and y named per view.
 */
import { fail, show } from '../errors.js';
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { checkOptions, spatialNames } from '../geometry/args.js';
import {
  convGeometry,
  convParams,
  convTransposeGeometry,
  convTransposeParams,
  xShape,
  yShape,
  type ConvGeometry,
  type ConvShapeOptions,
  type ConvTransposeShapeOptions,
} from '../geometry/conv.js';
import { convKernels } from '../kernels/dispatch.js';
import { MAX_ELEMENTS, Tensor, checkFloatTensor, emptyLike, type FloatData } from '../tensor.js';
import { checkBias } from './checks.js';

/** Options of `conv1d` / `conv2d` / `conv3d`. */
export interface ConvOptions extends ConvShapeOptions {
  bias?: Tensor | null;
}

/** Options of `convTranspose1d` / `convTranspose2d` / `convTranspose3d`. */
export interface ConvTransposeOptions extends ConvTransposeShapeOptions {
  bias?: Tensor | null;
}

declare module '../autograd/registry.js' {
  interface OpSaved {
    conv: { g: ConvGeometry; input: Tensor; weight: Tensor; hasBias: boolean };
    convTranspose: { g: ConvGeometry; input: Tensor; weight: Tensor; hasBias: boolean };
    /** conv*Weight: the weight gradient of conv `g` as a function of its input x and gradOutput y */
    convWeight: { g: ConvGeometry; input: Tensor; gradOutput: Tensor };
  }
}

const CONV_KEYS = ['bias', 'stride', 'padding', 'dilation', 'groups'] as const;
const CONV_T_KEYS = [
  'bias',
  'stride',
  'padding',
  'outputPadding',
  'groups',
  'dilation',
  'outputSize',
] as const;

function floatOf(...ts: (Tensor | null)[]): Tensor {
  return ts.find((t) => t?.dtype === 'float64') ?? ts.find((t) => t !== null)!;
}

// The three directions, on raw geometry, shared by the forward passes and the gradient rules.
// Every kernel writes its whole output: the reference ones sum each plane apart and copy it in,
// the JavaScript ones start from the bias or zeros, the WebAssembly ones copy the whole output out
// of linear memory. So the outputs need no zeroing.
function gather(g: ConvGeometry, x: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const y = emptyLike(g.fn, 'input', yShape(g), floatOf(x, w, bias), 'uninitialised');
  // An empty result needs no kernel: its scratch and loops are sized by the planes, which an empty
  // batch does not make small (zeros([0, 2, 2**31, 5]) is valid).
  if (y.size === 0) return y;
  convKernels().gather(
    g,
    x.data as FloatData,
    w.data as FloatData,
    (bias?.data as FloatData) ?? null,
    y.data as FloatData,
  );
  return y;
}
function scatter(g: ConvGeometry, y: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const x = emptyLike(g.fn, 'input', xShape(g), floatOf(y, w, bias), 'uninitialised');
  if (x.size === 0) return x;
  convKernels().scatter(
    g,
    y.data as FloatData,
    w.data as FloatData,
    (bias?.data as FloatData) ?? null,
    x.data as FloatData,
  );
  return x;
}
function weightGrad(g: ConvGeometry, x: Tensor, y: Tensor, like: Tensor | null): Tensor {
  const shape = weightShapeOf(g);
  // No terms (an empty batch, empty planes): the gradient is zero, with no kernel sized by a plane.
  if (x.size === 0 || y.size === 0) return emptyLike(g.fn, 'weight', shape, floatOf(like, x, y));
  const gw = emptyLike(g.fn, 'weight', shape, floatOf(like, x, y), 'uninitialised');
  convKernels().weight(g, x.data as FloatData, y.data as FloatData, gw.data as FloatData);
  return gw;
}
/** The weight shape in the conv view, `(Cy, Cx/groups, *k)`: conv's `(Cout, Cin/groups, *k)`, convTranspose's `(Cin, Cout/groups, *k)`. */
function weightShapeOf(g: ConvGeometry): number[] {
  return [g.yChannels, g.xChannels / g.groups, ...g.kernel];
}
function biasGrad(t: Tensor, batch: number, channels: number): Tensor {
  const out = emptyLike('backward', 'bias', [channels], t, 'uninitialised');
  convKernels().channelSum(
    t.data as FloatData,
    batch,
    channels,
    t.size / Math.max(1, batch * channels),
    out.data as FloatData,
  );
  return out;
}

function convNd(
  fn: string,
  d: number,
  input: Tensor,
  weight: Tensor,
  options: ConvOptions | undefined,
): Tensor {
  const opts = checkOptions<ConvOptions>(fn, options, CONV_KEYS);
  const params = convParams(fn, d, opts);
  checkFloatTensor(fn, 'input', input);
  const w = checkFloatTensor(fn, 'weight', weight);
  const g = convGeometry(params, { input: input.shape, weight: w.shape });
  const bias = checkBias(fn, opts.bias, g.yChannels);
  const y = gather(g, input, w, bias);
  const inputs = bias ? [input, w, bias] : [input, w];
  return record('conv', y, inputs, () => ({ g, input, weight: w, hasBias: bias !== null }));
}

function convTransposeNd(
  fn: string,
  d: number,
  input: Tensor,
  weight: Tensor,
  options: ConvTransposeOptions | undefined,
): Tensor {
  const opts = checkOptions<ConvTransposeOptions>(fn, options, CONV_T_KEYS);
  const params = convTransposeParams(fn, d, opts);
  checkFloatTensor(fn, 'input', input);
  const w = checkFloatTensor(fn, 'weight', weight);
  const g = convTransposeGeometry(params, { input: input.shape, weight: w.shape });
  const bias = checkBias(fn, opts.bias, g.xChannels);
  // convTranspose forward = conv's gradient w.r.t. its input: scatter.
  const x = scatter(g, input, w, bias);
  const inputs = bias ? [input, w, bias] : [input, w];
  return record('convTranspose', x, inputs, () => ({ g, input, weight: w, hasBias: bias !== null }));
}

export const convRules: Pick<GradTable, 'conv' | 'convTranspose' | 'convWeight'> = {
  // conv: x → y. dx = scatter(dy) (a transposed conv), dw = weight(x, dy), db = Σ dy.
  conv: ({ g, input, weight, hasBias }, gy, need) => [
    need[0] ? scatter(g, gy, weight, null) : null,
    need[1] ? weightGrad(g, input, gy, weight) : null,
    hasBias && need[2] ? biasGrad(gy, g.batch, g.yChannels) : null,
  ],
  // convTranspose: y → x. dy = gather(dx) (a conv), dw = weight(dx, y), db = Σ dx.
  convTranspose: ({ g, input, weight, hasBias }, gx, need) => [
    need[0] ? gather(g, gx, weight, null) : null,
    need[1] ? weightGrad(g, gx, input, weight) : null,
    hasBias && need[2] ? biasGrad(gx, g.batch, g.xChannels) : null,
  ],
  // conv*Weight: (x, dy) → dw, bilinear. With upstream gw: dx = scatter(dy, gw), d(dy) = gather(x, gw).
  convWeight: ({ g, input, gradOutput }, gw, need) => [
    need[0] ? scatter(g, gradOutput, gw, null) : null,
    need[1] ? gather(g, input, gw, null) : null,
  ],
};

/**
 * 1-D convolution. `input` (N, Cin, L) or (Cin, L); `weight` (Cout, Cin/groups, k).
 * @example conv1d(randn([1, 2, 10]), randn([4, 2, 3]), { stride: 2, padding: 1 }) // (1, 4, 5)
 */
export function conv1d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return convNd('conv1d', 1, input, weight, options);
}
/**
 * 2-D convolution. `input` (N, Cin, H, W) or (Cin, H, W); `weight` (Cout, Cin/groups, kH, kW);
 * `padding` a number, [pH, pW], [[top, bottom], [left, right]], 'same' or 'valid'.
 * @example conv2d(randn([1, 3, 8, 8]), randn([6, 3, 3, 3]), { padding: 'same', dilation: 2 }) // (1, 6, 8, 8)
 */
export function conv2d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return convNd('conv2d', 2, input, weight, options);
}
/**
 * 3-D convolution. `input` (N, Cin, D, H, W) or (Cin, D, H, W); `weight` (Cout, Cin/groups, kD, kH, kW).
 * @example conv3d(randn([1, 2, 4, 4, 4]), randn([2, 1, 3, 3, 3]), { groups: 2, padding: 1 }) // (1, 2, 4, 4, 4)
 */
export function conv3d(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  return convNd('conv3d', 3, input, weight, options);
}
/**
 * 1-D transposed convolution. `input` (N, Cin, L) or (Cin, L); `weight` (Cin, Cout/groups, k).
 * Output length `s(L − 1) − 2p + d(k − 1) + outputPadding + 1`.
 * @example convTranspose1d(randn([1, 4, 5]), randn([4, 2, 4]), { stride: 2, padding: 1 }) // (1, 2, 10)
 */
export function convTranspose1d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return convTransposeNd('convTranspose1d', 1, input, weight, options);
}
/**
 * 2-D transposed convolution (deconvolution). `input` (N, Cin, H, W) or (Cin, H, W); `weight`
 * (Cin, Cout/groups, kH, kW). `outputSize` picks the output padding as PyTorch's `output_size` does.
 * @example convTranspose2d(randn([1, 256, 16, 16]), randn([256, 128, 4, 4]), { stride: 2, padding: 1 }) // (1, 128, 32, 32)
 */
export function convTranspose2d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return convTransposeNd('convTranspose2d', 2, input, weight, options);
}
/**
 * 3-D transposed convolution. `input` (N, Cin, D, H, W) or (Cin, D, H, W); `weight` (Cin, Cout/groups, kD, kH, kW).
 * @example convTranspose3d(randn([1, 2, 3, 3, 3]), randn([2, 1, 2, 2, 2]), { stride: 2 }) // (1, 1, 6, 6, 6)
 */
export function convTranspose3d(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  return convTransposeNd('convTranspose3d', 3, input, weight, options);
}

/** Spatial dimensions told by a weight's rank (`Cout/Cin, Cin/Cout, *k`), checked to be 1 to 3. */
function dimsOfWeight(fn: string, weight: unknown): number {
  const shape = (weight as Tensor | null)?.shape;
  if (!(weight instanceof Tensor) || !Array.isArray(shape) || shape.length < 3 || shape.length > 5) {
    fail(
      fn,
      'weight.shape',
      shape ?? weight,
      'must have 3 to 5 dimensions (two channel dimensions, then 1 to 3 kernel sizes)',
    );
  }
  return shape.length - 2;
}

/**
 * Convolution with the number of spatial dimensions taken from the weight's rank: `conv1d`,
 * `conv2d` or `conv3d`. The contract's `conv(x)` in the matrix view.
 * @example conv(randn([1, 2, 8, 8]), randn([4, 2, 3, 3]), { padding: 1 }) // (1, 4, 8, 8)
 */
export function conv(input: Tensor, weight: Tensor, options?: ConvOptions): Tensor {
  const d = dimsOfWeight('conv', weight);
  return convNd(`conv${d}d`, d, input, weight, options);
}

/**
 * Transposed convolution with the number of spatial dimensions taken from the weight's rank.
 * @example convTranspose(randn([1, 4, 5, 5]), randn([4, 2, 4, 4]), { stride: 2, padding: 1 }) // (1, 2, 10, 10)
 */
export function convTranspose(input: Tensor, weight: Tensor, options?: ConvTransposeOptions): Tensor {
  const d = dimsOfWeight('convTranspose', weight);
  return convTransposeNd(`convTranspose${d}d`, d, input, weight, options);
}

// ---------------------------------------------------------------------------------------------
// The two halves of a convolution's backward pass as functions (torch.nn.grad.conv*d_input /
// conv*d_weight, TensorFlow's conv2d_backprop_input / conv2d_backprop_filter).

const GRAD_KEYS = ['stride', 'padding', 'dilation', 'groups'] as const;

/** Options of `conv*Input` / `conv*Weight`: the convolution's options without its bias. */
export type ConvGradOptions = ConvShapeOptions;

/** A shape argument: an array of `rank` integers, each at least `min`. */
function checkShapeArg(
  fn: string,
  name: string,
  value: unknown,
  ranks: readonly number[],
  words: string,
): number[] {
  if (!Array.isArray(value)) fail(fn, name, value, `must be an array of integers: ${words}`);
  if (!ranks.includes(value.length))
    fail(fn, name, value, `must have ${ranks.join(' or ')} entries: ${words}`);
  value.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      fail(fn, `${name}[${i}]`, v, 'must be a positive integer');
  });
  return value as number[];
}

function checkGradOutput(fn: string, gradOutput: unknown, g: ConvGeometry, from: string): Tensor {
  const gy = checkFloatTensor(fn, 'gradOutput', gradOutput);
  const want = yShape(g);
  if (gy.shape.length !== want.length || gy.shape.some((n, i) => n !== want[i])) {
    fail(
      fn,
      'gradOutput.shape',
      gy.shape,
      `must be ${show(want)}, the shape of the convolution's output for ${from}`,
    );
  }
  return gy;
}

function convInputNd(
  fn: string,
  d: number,
  inputShape: readonly number[],
  weight: Tensor,
  gradOutput: Tensor,
  options: ConvGradOptions | undefined,
): Tensor {
  const params = convParams(fn, d, checkOptions<ConvGradOptions>(fn, options, GRAD_KEYS));
  const shape = checkShapeArg(
    fn,
    'inputShape',
    inputShape,
    [d + 1, d + 2],
    `(N, Cin, ${spatialNames(d)}) or (Cin, ${spatialNames(d)})`,
  );
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements > MAX_ELEMENTS)
    fail(
      fn,
      'inputShape',
      shape,
      `has ${elements} elements, more than the ${MAX_ELEMENTS} one tensor can hold`,
    );
  const w = checkFloatTensor(fn, 'weight', weight);
  const g = convGeometry(params, { input: shape, weight: w.shape, inputName: 'inputShape' });
  const gy = checkGradOutput(
    fn,
    gradOutput,
    g,
    `inputShape ${show(shape)} and weight.shape ${show(w.shape)}`,
  );
  // The input gradient of conv is a transposed convolution of gradOutput: record it as one.
  const x = scatter(g, gy, w, null);
  return record('convTranspose', x, [gy, w], () => ({ g, input: gy, weight: w, hasBias: false }));
}

function convWeightNd(
  fn: string,
  d: number,
  input: Tensor,
  weightShape: readonly number[],
  gradOutput: Tensor,
  options: ConvGradOptions | undefined,
): Tensor {
  const params = convParams(fn, d, checkOptions<ConvGradOptions>(fn, options, GRAD_KEYS));
  const x = checkFloatTensor(fn, 'input', input);
  const shape = checkShapeArg(
    fn,
    'weightShape',
    weightShape,
    [d + 2],
    `(Cout, Cin/groups, ${['kL', 'kH, kW', 'kD, kH, kW'][d - 1]})`,
  );
  const g = convGeometry(params, { input: x.shape, weight: shape, weightName: 'weightShape' });
  const gy = checkGradOutput(
    fn,
    gradOutput,
    g,
    `input.shape ${show(x.shape)} and weightShape ${show(shape)}`,
  );
  const gw = weightGrad(g, x, gy, null);
  return record('convWeight', gw, [x, gy], () => ({ g, input: x, gradOutput: gy }));
}

/**
 * The gradient of `conv1d` with respect to its input, as `torch.nn.grad.conv1d_input`: the first
 * half of a convolution's backward pass. `inputShape` is the convolution input's whole shape,
 * (N, Cin, L) or (Cin, L); `weight` (Cout, Cin/groups, k); `gradOutput` the convolution output's
 * shape, (N, Cout, Lout) or (Cout, Lout). Returns a Tensor of `inputShape`.
 *
 * It is a transposed convolution of `gradOutput` with the same weight and options:
 * `convTranspose1d(gradOutput, weight, { ...options, outputSize })` with `outputSize` the spatial
 * size of `inputShape` (which picks the output padding a strided convolution leaves ambiguous).
 * Differentiable in `weight` and `gradOutput`.
 *
 * @example
 *   const w = randn([4, 2, 3]);
 *   const gy = randn([1, 4, 5]);                                   // conv1d output of (1, 2, 10), stride 2, padding 1
 *   conv1dInput([1, 2, 10], w, gy, { stride: 2, padding: 1 });     // (1, 2, 10)
 */
export function conv1dInput(
  inputShape: readonly number[],
  weight: Tensor,
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convInputNd('conv1dInput', 1, inputShape, weight, gradOutput, options);
}
/**
 * The gradient of `conv2d` with respect to its input, as `torch.nn.grad.conv2d_input` (TensorFlow's
 * `conv2d_backprop_input`): the first half of a convolution's backward pass, and the operation
 * classic explanations of transposed convolution start from. `inputShape` (N, Cin, H, W) or
 * (Cin, H, W); `weight` (Cout, Cin/groups, kH, kW); `gradOutput` (N, Cout, Hout, Wout) or
 * (Cout, Hout, Wout). Returns a Tensor of `inputShape`, equal to
 * `convTranspose2d(gradOutput, weight, { ...options, outputSize: inputShape.slice(-2) })`.
 * Differentiable in `weight` and `gradOutput`.
 *
 * @example
 *   const w = randn([8, 3, 3, 3]);
 *   const gy = randn([1, 8, 16, 16]);
 *   conv2dInput([1, 3, 32, 32], w, gy, { stride: 2, padding: 1 }).shape; // [1, 3, 32, 32]
 */
export function conv2dInput(
  inputShape: readonly number[],
  weight: Tensor,
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convInputNd('conv2dInput', 2, inputShape, weight, gradOutput, options);
}
/**
 * The gradient of `conv3d` with respect to its input, as `torch.nn.grad.conv3d_input`.
 * `inputShape` (N, Cin, D, H, W) or (Cin, D, H, W); `weight` (Cout, Cin/groups, kD, kH, kW);
 * `gradOutput` the conv output's shape. Returns a Tensor of `inputShape`: the transposed
 * convolution of `gradOutput` whose output size is `inputShape`'s. Differentiable in `weight`
 * and `gradOutput`.
 *
 * @example conv3dInput([1, 2, 4, 4, 4], randn([3, 2, 3, 3, 3]), randn([1, 3, 2, 2, 2])).shape // [1, 2, 4, 4, 4]
 */
export function conv3dInput(
  inputShape: readonly number[],
  weight: Tensor,
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convInputNd('conv3dInput', 3, inputShape, weight, gradOutput, options);
}

/**
 * The gradient of `conv1d` with respect to its weight, as `torch.nn.grad.conv1d_weight`: the second
 * half of a convolution's backward pass. `input` (N, Cin, L) or (Cin, L); `weightShape`
 * (Cout, Cin/groups, k); `gradOutput` the convolution output's shape. Returns a Tensor of
 * `weightShape`: `gw[co, ci, j] = Σ_n Σ_o input[n, g·Cin/groups + ci, o·s − p + j·d] · gradOutput[n, co, o]`,
 * a correlation of the input with the output gradient. It is also a transposed convolution's weight
 * gradient, with the roles of input and output swapped. Differentiable in `input` and `gradOutput`.
 *
 * @example conv1dWeight(randn([1, 2, 10]), [4, 2, 3], randn([1, 4, 8])).shape // [4, 2, 3]
 */
export function conv1dWeight(
  input: Tensor,
  weightShape: readonly number[],
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convWeightNd('conv1dWeight', 1, input, weightShape, gradOutput, options);
}
/**
 * The gradient of `conv2d` with respect to its weight, as `torch.nn.grad.conv2d_weight`
 * (TensorFlow's `conv2d_backprop_filter`): the second half of a convolution's backward pass.
 * `input` (N, Cin, H, W) or (Cin, H, W); `weightShape` (Cout, Cin/groups, kH, kW); `gradOutput`
 * (N, Cout, Hout, Wout) or (Cout, Hout, Wout). Returns a Tensor of `weightShape`. With `conv2dInput`
 * it is everything `conv2d`'s backward computes (the bias gradient is `gradOutput` summed over all
 * but the channel dimension). Differentiable in `input` and `gradOutput`.
 *
 * @example conv2dWeight(randn([2, 3, 8, 8]), [6, 3, 3, 3], randn([2, 6, 8, 8]), { padding: 1 }).shape // [6, 3, 3, 3]
 */
export function conv2dWeight(
  input: Tensor,
  weightShape: readonly number[],
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convWeightNd('conv2dWeight', 2, input, weightShape, gradOutput, options);
}
/**
 * The gradient of `conv3d` with respect to its weight, as `torch.nn.grad.conv3d_weight`.
 * `input` (N, Cin, D, H, W) or (Cin, D, H, W); `weightShape` (Cout, Cin/groups, kD, kH, kW);
 * `gradOutput` the conv output's shape. Returns a Tensor of `weightShape`. Differentiable in
 * `input` and `gradOutput`.
 *
 * @example conv3dWeight(randn([1, 2, 4, 4, 4]), [3, 2, 3, 3, 3], randn([1, 3, 2, 2, 2])).shape // [3, 2, 3, 3, 3]
 */
export function conv3dWeight(
  input: Tensor,
  weightShape: readonly number[],
  gradOutput: Tensor,
  options?: ConvGradOptions,
): Tensor {
  return convWeightNd('conv3dWeight', 3, input, weightShape, gradOutput, options);
}
