/**
 * Weight initialisers, as `torch.nn.init`: each fills a tensor in place from a seeded generator
 * and returns it. The layers' defaults are PyTorch's (`kaimingUniform` with `a = √5` for conv and
 * linear weights, `U(−1/√fanIn, 1/√fanIn)` for their biases); the values differ from PyTorch's
 * because the generator does (load PyTorch's weights with `loadStateDict` to get the same ones).
 *
 * References:
 * - X. Glorot, Y. Bengio, "Understanding the difficulty of training deep feedforward neural
 *   networks" (AISTATS 2010) — xavier.
 * - K. He et al., "Delving Deep into Rectifiers" (ICCV 2015), https://arxiv.org/abs/1502.01852 —
 *   kaiming.
 * - A. Aitken et al., "Checkerboard artifact free sub-pixel convolution" (2017),
 *   https://arxiv.org/abs/1707.02937 — ICNR.
 * - https://pytorch.org/docs/1.13/nn.init.html
 */
import { fail } from '../errors.js';
import { Rng } from '../random.js';
import { Tensor, checkLive } from '../tensor.js';

export { bilinearFiller } from './init.js';
export type { FillerOptions } from './init.js';

/** PyTorch's default seed, so that a program that never seeds is still reproducible. */
const DEFAULT_SEED = 67280421310721 % 2 ** 32;
let defaultRng = new Rng(DEFAULT_SEED);

/**
 * Seeds the generator that initialisers, layer constructors and dropout use when they are not
 * given their own `rng` (as `torch.manual_seed`).
 *
 * @example
 *   nn.manualSeed(0);
 *   const a = new nn.Linear({ inFeatures: 4, outFeatures: 2 });
 *   nn.manualSeed(0);
 *   const b = new nn.Linear({ inFeatures: 4, outFeatures: 2 }); // same weights as a
 */
export function manualSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed))
    fail('manualSeed', 'seed', seed, 'must be a finite number');
  defaultRng = new Rng(seed);
}

/** The generator used when none is given. */
export function defaultGenerator(): Rng {
  return defaultRng;
}

export interface InitOptions {
  /** the generator to draw from; default the one `manualSeed` seeds */
  rng?: Rng;
}

function checkTarget(fn: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) fail(fn, 'tensor', t, 'must be a Tensor');
  checkLive(fn, 'tensor', t); // a disposed tensor's storage may be another tensor's by now
  if (t.dtype === 'int32') fail(fn, 'tensor.dtype', t.dtype, "must be 'float32' or 'float64'");
  // every initialiser writes the data next: packed copies of the old values go (Tensor.keepPacked)
  t.markModified();
  return t;
}

function rngOf(fn: string, options: InitOptions | undefined): Rng {
  if (options === undefined || options.rng === undefined) return defaultRng;
  if (!(options.rng instanceof Rng)) fail(fn, 'rng', options.rng, 'must be an Rng');
  return options.rng;
}

function checkNumber(fn: string, name: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0)))
    fail(fn, name, v, positive ? 'must be a positive number' : 'must be a finite number');
  return v;
}

/**
 * `fanIn` and `fanOut` of a weight, as PyTorch's `_calculate_fan_in_and_fan_out`:
 * `fanIn = shape[1] · ∏kernel`, `fanOut = shape[0] · ∏kernel`. For a conv weight `(Cout, Cin/g, *k)`
 * that is `Cin/g · ∏k`; for a transposed conv weight `(Cin, Cout/g, *k)` PyTorch applies the same
 * rule, so its `fanIn` is `Cout/g · ∏k`. A linear weight `(out, in)` has `fanIn = in`.
 *
 * @example
 *   calculateFans([16, 8, 3, 3]); // { fanIn: 72, fanOut: 144 }
 */
export function calculateFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (!Array.isArray(shape) || shape.length < 2)
    fail('calculateFans', 'shape', shape, 'must have at least 2 dimensions (fan in and out need them)');
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/**
 * The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`: 1 for linear layers
 * and sigmoid, 5/3 for tanh, √2 for ReLU, √(2 / (1 + slope²)) for leaky ReLU (slope `param`,
 * default 0.01), 3/4 for SELU.
 *
 * @example
 *   calculateGain('leakyRelu', Math.sqrt(5)); // √(1/3), PyTorch's default conv init
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  const fn = 'calculateGain';
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param === undefined ? 0.01 : checkNumber(fn, 'param', param);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      return fail(
        fn,
        'nonlinearity',
        nonlinearity,
        "must be 'linear', 'conv1d', …, 'sigmoid', 'tanh', 'relu', 'leakyRelu' or 'selu'",
      );
  }
}

/**
 * Fills `tensor` with `U(low, high)`.
 * @example uniform(zeros([3, 4]), -0.1, 0.1, { rng: new Rng(0) })
 */
export function uniform(tensor: Tensor, low = 0, high = 1, options?: InitOptions): Tensor {
  const fn = 'uniform';
  const t = checkTarget(fn, tensor);
  checkNumber(fn, 'low', low);
  checkNumber(fn, 'high', high);
  if (!(low <= high)) fail(fn, 'high', high, `must be at least low = ${low}`);
  const rng = rngOf(fn, options);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return t;
}

/**
 * Fills `tensor` with `N(mean, std²)`.
 * @example normal(zeros([3, 4]), 0, 0.02)
 */
export function normal(tensor: Tensor, mean = 0, std = 1, options?: InitOptions): Tensor {
  const fn = 'normal';
  const t = checkTarget(fn, tensor);
  checkNumber(fn, 'mean', mean);
  checkNumber(fn, 'std', std);
  if (std < 0) fail(fn, 'std', std, 'must be non-negative');
  const rng = rngOf(fn, options);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** Fills `tensor` with `value`. @example constant(zeros([4]), 0.1) */
export function constant(tensor: Tensor, value: number): Tensor {
  const t = checkTarget('constant', tensor);
  checkNumber('constant', 'value', value);
  t.data.fill(value);
  return t;
}

/** Fills `tensor` with zeros (`torch.nn.init.zeros_`). */
export function zeros(tensor: Tensor): Tensor {
  return constant(tensor, 0);
}

/** Fills `tensor` with ones (`torch.nn.init.ones_`). */
export function ones(tensor: Tensor): Tensor {
  return constant(tensor, 1);
}

export interface XavierOptions extends InitOptions {
  /** scale, e.g. `calculateGain('tanh')`; default 1 */
  gain?: number;
}

/**
 * Glorot/Xavier uniform: `U(−b, b)` with `b = gain · √(6 / (fanIn + fanOut))`.
 * @example xavierUniform(zeros([64, 32]))
 */
export function xavierUniform(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const fn = 'xavierUniform';
  const t = checkTarget(fn, tensor);
  const gain = checkNumber(fn, 'gain', options.gain ?? 1);
  const { fanIn, fanOut } = calculateFans(t.shape);
  const b = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -b, b, { rng: rngOf(fn, options) });
}

/**
 * Glorot/Xavier normal: `N(0, std²)` with `std = gain · √(2 / (fanIn + fanOut))`.
 * @example xavierNormal(zeros([64, 32]), { gain: calculateGain('tanh') })
 */
export function xavierNormal(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const fn = 'xavierNormal';
  const t = checkTarget(fn, tensor);
  const gain = checkNumber(fn, 'gain', options.gain ?? 1);
  const { fanIn, fanOut } = calculateFans(t.shape);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), { rng: rngOf(fn, options) });
}

export interface KaimingOptions extends InitOptions {
  /** negative slope of the leaky ReLU that follows (0 for ReLU); default 0 */
  a?: number;
  /** keep the forward variance (`'fanIn'`, the default) or the backward one (`'fanOut'`) */
  mode?: 'fanIn' | 'fanOut';
  /** default `'leakyRelu'` (with slope `a`), as PyTorch */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(fn: string, t: Tensor, options: KaimingOptions): number {
  const a = checkNumber(fn, 'a', options.a ?? 0);
  const mode = options.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut') fail(fn, 'mode', mode, "must be 'fanIn' or 'fanOut'");
  const fans = calculateFans(t.shape);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  const gain = calculateGain(options.nonlinearity ?? 'leakyRelu', a);
  return gain / Math.sqrt(fan);
}

/**
 * He/Kaiming uniform: `U(−b, b)` with `b = gain · √(3 / fan)`. With `a = √5` (and the default
 * `'leakyRelu'`) this is PyTorch's default conv and linear weight init, `b = 1 / √fanIn`.
 *
 * @example
 *   kaimingUniform(zeros([16, 8, 3, 3]), { a: Math.sqrt(5) }); // U(−1/√72, 1/√72)
 */
export function kaimingUniform(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const fn = 'kaimingUniform';
  const t = checkTarget(fn, tensor);
  const b = Math.sqrt(3) * kaimingStd(fn, t, options);
  return uniform(t, -b, b, { rng: rngOf(fn, options) });
}

/**
 * He/Kaiming normal: `N(0, std²)` with `std = gain / √fan`.
 * @example kaimingNormal(zeros([16, 8, 3, 3]), { mode: 'fanOut', nonlinearity: 'relu' })
 */
export function kaimingNormal(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const fn = 'kaimingNormal';
  const t = checkTarget(fn, tensor);
  return normal(t, 0, kaimingStd(fn, t, options), { rng: rngOf(fn, options) });
}

export interface IcnrOptions extends InitOptions {
  /** the pixel shuffle's upscale factor `r` */
  scale: number;
  /** fills the sub-kernel; default `kaimingNormal` (as the paper and fastai) */
  init?: (subKernel: Tensor, options: InitOptions) => Tensor;
}

/**
 * ICNR ("initialised to convolution NN resize", Aitken et al. 2017) for the conv weight
 * `(C·r^d, Cin, *k)` in front of a pixel shuffle of factor `r`: a sub-kernel `(C, Cin, *k)` is
 * initialised and repeated over the `r^d` sub-pixel channels (`weight[c·r^d + i] = sub[c]`), so
 * every sub-pixel of an output block starts with the same value — nearest-neighbour upsampling
 * after the conv, with no checkerboard pattern at the start of training.
 *
 * @example
 *   const conv = new nn.Conv2d({ inChannels: 16, outChannels: 3 * 4, kernelSize: 3, padding: 1 });
 *   nn.init.icnr(conv.weight, { scale: 2 }); // then nn.PixelShuffle({ upscaleFactor: 2 })
 */
export function icnr(tensor: Tensor, options: IcnrOptions): Tensor {
  const fn = 'icnr';
  const t = checkTarget(fn, tensor);
  if (options === null || typeof options !== 'object') fail(fn, 'options', options, 'must be an object');
  const { scale } = options;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 1)
    fail(fn, 'scale', scale, 'must be a positive integer');
  const d = t.shape.length - 2;
  if (d < 1 || d > 3)
    fail(fn, 'tensor.shape', t.shape, 'must be a conv weight (Cout, Cin, *kernel), 1 to 3 spatial dims');
  const copies = scale ** d;
  const cout = t.shape[0]!;
  if (cout % copies !== 0)
    fail(
      fn,
      'tensor.shape[0]',
      cout,
      `must be a multiple of scale^${d} = ${copies} (the sub-pixel channels)`,
    );
  const init = options.init ?? ((sub: Tensor, o: InitOptions) => kaimingNormal(sub, o));
  if (typeof init !== 'function') fail(fn, 'init', init, 'must be a function');
  const subShape = [cout / copies, ...t.shape.slice(1)];
  const sub = new Tensor(
    t.dtype === 'float64' ? new Float64Array(t.size / copies) : new Float32Array(t.size / copies),
    subShape,
  );
  init(sub, { rng: rngOf(fn, options) });
  // (C, Cin, *k) -> (C·r^d, Cin, *k): output channel o takes sub-kernel ⌊o / r^d⌋
  const block = t.size / cout;
  for (let o = 0; o < cout; o++)
    t.data.set(
      sub.data.subarray(Math.floor(o / copies) * block, (Math.floor(o / copies) + 1) * block),
      o * block,
    );
  return t;
}
