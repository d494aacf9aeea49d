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
import { fail } from '../errors.js';
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { checkOptions } from '../geometry/args.js';
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
import { Tensor, checkFloatTensor, emptyLike, type FloatData } from '../tensor.js';
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
  return ts.find((t) => t?.dtype === 'float64') ?? ts[0]!;
}

// The three directions, on raw geometry, shared by the forward passes and the gradient rules.
// Every kernel writes its whole output: the reference ones sum each plane apart and copy it in,
// the JavaScript ones start from the bias or zeros, the WebAssembly ones copy the whole output out
// of linear memory. So the outputs need no zeroing.
function gather(g: ConvGeometry, x: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const y = emptyLike(g.fn, 'input', yShape(g), floatOf(x, w, bias), 'uninitialised');
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
  convKernels().scatter(
    g,
    y.data as FloatData,
    w.data as FloatData,
    (bias?.data as FloatData) ?? null,
    x.data as FloatData,
  );
  return x;
}
function weightGrad(g: ConvGeometry, x: Tensor, y: Tensor, like: Tensor): Tensor {
  const gw = emptyLike(g.fn, 'weight', like.shape, floatOf(like, x, y), 'uninitialised');
  convKernels().weight(g, x.data as FloatData, y.data as FloatData, gw.data as FloatData);
  return gw;
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

export const convRules: Pick<GradTable, 'conv' | 'convTranspose'> = {
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
