/**
 * Shared pieces of the restoration methods: argument checks (every one before any work), images
 * as float64 working copies, results back in the input's float type, PSNR.
 */
import { fail } from '../errors.js';
import { Tensor, checkFloatTensor, allocate } from '../tensor.js';

/** What an iterative method reports to its `callback` after each iteration. */
export interface RestorationProgress {
  /** the iteration, from 0 */
  iteration: number;
  /** the method's objective (data term plus regulariser; I-divergence for Richardson–Lucy) */
  objective: number;
  /** relative change of the estimate (CG: the relative residual) */
  change: number;
  /** the channel being restored (0 for a grey image) */
  channel: number;
  /**
   * The current estimate of this channel, the image's spatial shape and float type (computed only
   * when called: a copy, safe to keep).
   */
  estimate(): Tensor;
}

/**
 * The options for channel `c` of a colour image: the same, with `callback` told the channel.
 * Anything that is not a plain object with a function `callback` is passed on as it is (the
 * method checks it).
 */
export function optionsForChannel<O>(options: O, c: number): O {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  const cb = (options as { callback?: unknown }).callback;
  if (typeof cb !== 'function') return options;
  return {
    ...options,
    callback: (p: RestorationProgress) => (cb as (p: RestorationProgress) => void)({ ...p, channel: c }),
  } as O;
}

/** An image or PSF as the methods see it: float64 values and a shape of 1 to 3 dimensions. */
export interface Field {
  data: Float64Array;
  shape: number[];
  /** the float type of the result: the input's (float32 unless it is float64) */
  dtype: 'float32' | 'float64';
}

/** Checks a float tensor of `minDims`–`maxDims` dimensions with finite values. */
export function checkImage(fn: string, argument: string, value: unknown, minDims = 1, maxDims = 3): Tensor {
  const t = checkFloatTensor(fn, argument, value);
  if (t.shape.length < minDims || t.shape.length > maxDims) {
    const want = minDims === maxDims ? `${minDims}` : `${minDims} to ${maxDims}`;
    fail(fn, `${argument}.shape`, t.shape, `must have ${want} dimensions`);
  }
  if (t.size === 0) fail(fn, `${argument}.shape`, t.shape, 'must not be empty');
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) fail(fn, `${argument}[${i}]`, d[i], 'must be finite');
  }
  return t;
}

/** Checks that `psf` has the image's rank and is no larger than it along any dimension. */
export function checkPsf(fn: string, image: Tensor, value: unknown, argument = 'psf'): Tensor {
  const psf = checkImage(fn, argument, value);
  if (psf.shape.length !== image.shape.length) {
    fail(fn, `${argument}.shape`, psf.shape, `must have the image's ${image.shape.length} dimensions`);
  }
  psf.shape.forEach((k, i) => {
    if (k > image.shape[i]!) {
      fail(fn, `${argument}.shape[${i}]`, k, `must not exceed the image's size ${image.shape[i]}`);
    }
  });
  return psf;
}

/** Refuses option keys the function does not know (a misspelt option must not pass silently). */
export function checkOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, 'options', options, 'must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      fail(
        fn,
        `options.${key}`,
        (options as Record<string, unknown>)[key],
        `is not an option (known: ${known.join(', ')})`,
      );
  }
  return options as Record<string, unknown>;
}

export function checkInteger(fn: string, argument: string, value: unknown, min: number, max = 1e7): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(fn, argument, value, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkNumber(
  fn: string,
  argument: string,
  value: unknown,
  rule: 'finite' | 'positive' | 'nonnegative',
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule === 'finite' || (rule === 'positive' ? value > 0 : value >= 0));
  if (!ok) fail(fn, argument, value, `must be a ${rule === 'finite' ? 'finite' : rule} number`);
  return value as number;
}

export function checkBoolean(fn: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(fn, argument, value, 'must be true or false');
  return value;
}

export function checkFunction(fn: string, argument: string, value: unknown): void {
  if (typeof value !== 'function') fail(fn, argument, value, 'must be a function');
}

/** A float64 working copy of a tensor's values. */
export function field(t: Tensor): Field {
  return {
    data: Float64Array.from(t.data),
    shape: [...t.shape],
    dtype: t.dtype === 'float64' ? 'float64' : 'float32',
  };
}

/** A result tensor of `dtype` holding `values` (rounded to float32 for float32 inputs). */
export function result(
  fn: string,
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: 'float32' | 'float64',
): Tensor {
  const data = allocate(fn, 'image', shape, dtype, 'uninitialised');
  for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return new Tensor(data, shape);
}

/** ‖x − prev‖ / ‖x‖ (‖x − prev‖ where x = 0). */
export function relativeChange(x: Float64Array, prev: Float64Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const e = x[i]! - prev[i]!;
    d += e * e;
    n += x[i]! * x[i]!;
  }
  return n > 0 ? Math.sqrt(d / n) : Math.sqrt(d);
}

/** Clips to [−1, 1] in place, as scikit-image's `clip=True`. */
export function clipUnit(x: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    if (x[i]! > 1) x[i] = 1;
    else if (x[i]! < -1) x[i] = -1;
  }
}

/** The shape padded to three dimensions with leading ones. */
export function as3d(shape: readonly number[]): [number, number, number] {
  const s = [1, 1, 1, ...shape].slice(-3);
  return [s[0]!, s[1]!, s[2]!];
}

/**
 * Peak signal-to-noise ratio in dB of `estimate` against `reference` (float tensors of the same,
 * non-empty shape), with the data range `dataRange`, a positive number (default 1, as
 * scikit-image's `peak_signal_noise_ratio` uses for float images in [0, 1]). Identical images give
 * Infinity; empty ones are refused (the mean squared error of no values is undefined).
 *
 * @example psnr(restored, sharp, 1) // e.g. 27.4
 */
export function psnr(estimate: Tensor, reference: Tensor, dataRange = 1): number {
  const fn = 'psnr';
  const a = checkFloatTensor(fn, 'estimate', estimate);
  const b = checkFloatTensor(fn, 'reference', reference);
  if (a.shape.join() !== b.shape.join())
    fail(fn, 'estimate.shape', a.shape, `must equal reference.shape ${JSON.stringify(b.shape)}`);
  if (a.size === 0) fail(fn, 'estimate.shape', a.shape, 'must not be empty (PSNR needs at least one value)');
  checkNumber(fn, 'dataRange', dataRange, 'positive');
  let s = 0;
  for (let i = 0; i < a.size; i++) {
    const d = a.data[i]! - b.data[i]!;
    s += d * d;
  }
  const mse = s / a.size;
  return 10 * Math.log10((dataRange * dataRange) / mse);
}
