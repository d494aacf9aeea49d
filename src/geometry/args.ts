/**
 * Argument checks shared by every op: size-like options (a number for every spatial dimension or
 * one per dimension), input ranks (batched `N, C, *spatial` or unbatched `C, *spatial`) and
 * option records. Each failure names the function, the argument path, the value and the rule.
 */
import { fail, optionPath } from '../errors.js';

export type SizeArg = number | readonly number[];

/** Options objects: must be a plain object; unknown keys are refused so typos do not pass silently. */
export function checkOptions<T extends object>(fn: string, options: unknown, known: readonly string[]): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object' || Array.isArray(options))
    fail(fn, 'options', options, 'must be an object');
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      fail(
        fn,
        optionPath(key),
        (options as Record<string, unknown>)[key],
        `is not an option of ${fn} (its options: ${known.join(', ')})`,
      );
    }
  }
  return options as T;
}

export interface IntRule {
  /** smallest allowed value */
  min: number;
  /** words for the rule, e.g. 'a positive integer' */
  words: string;
}

export const POSITIVE: IntRule = { min: 1, words: 'a positive integer' };
export const NON_NEGATIVE: IntRule = { min: 0, words: 'a non-negative integer' };

/**
 * Largest size-like option value: 2³¹ − 1. No size, stride, padding or dilation beyond it can
 * describe a tensor within the element budget, and the 32-bit kernels (WebAssembly) must never
 * see one (1e308 became a division by zero there).
 */
const MAX_OPTION = 2 ** 31 - 1;

/** One integer option: `rule.min` to 2³¹ − 1, else a DeconvError naming `path`. */
export function checkInt(fn: string, path: string, v: unknown, rule: IntRule): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < rule.min)
    fail(fn, path, v, `must be ${rule.words}`);
  if (v > MAX_OPTION) fail(fn, path, v, `must be ${rule.words} of at most ${MAX_OPTION}`);
  return v;
}

/**
 * A size-like option as one number per spatial dimension. `undefined` gives `fallback` (a
 * number, or `undefined` when the option is required).
 */
export function perDim(
  fn: string,
  name: string,
  value: unknown,
  d: number,
  rule: IntRule,
  fallback?: number,
): number[] {
  if (value === undefined) {
    if (fallback === undefined) fail(fn, name, value, `is required: ${rule.words} or an array of ${d}`);
    return new Array<number>(d).fill(fallback);
  }
  if (typeof value === 'number') {
    checkInt(fn, name, value, rule);
    return new Array<number>(d).fill(value);
  }
  if (!Array.isArray(value)) fail(fn, name, value, `must be ${rule.words} or an array of ${d} of them`);
  if (value.length !== d) {
    fail(fn, name, value, `must have ${d} entr${d === 1 ? 'y' : 'ies'}, one per spatial dimension`);
  }
  return value.map((v, i) => checkInt(fn, `${name}[${i}]`, v, rule));
}

/** Padding that may be a number, per-dimension numbers, or per-dimension `[begin, end]` pairs. */
export function perDimPairs(
  fn: string,
  name: string,
  value: unknown,
  d: number,
): { begin: number[]; end: number[] } {
  if (value === undefined) return { begin: new Array<number>(d).fill(0), end: new Array<number>(d).fill(0) };
  if (typeof value === 'number') {
    checkInt(fn, name, value, NON_NEGATIVE);
    return { begin: new Array<number>(d).fill(value), end: new Array<number>(d).fill(value) };
  }
  if (!Array.isArray(value)) {
    fail(
      fn,
      name,
      value,
      `must be a non-negative integer, an array of ${d} of them, or ${d} [begin, end] pairs`,
    );
  }
  if (value.length !== d) {
    fail(fn, name, value, `must have ${d} entr${d === 1 ? 'y' : 'ies'}, one per spatial dimension`);
  }
  const begin: number[] = [];
  const end: number[] = [];
  value.forEach((v, i) => {
    if (Array.isArray(v)) {
      if (v.length !== 2) fail(fn, `${name}[${i}]`, v, 'must be a [begin, end] pair');
      begin.push(checkInt(fn, `${name}[${i}][0]`, v[0], NON_NEGATIVE));
      end.push(checkInt(fn, `${name}[${i}][1]`, v[1], NON_NEGATIVE));
    } else {
      const p = checkInt(fn, `${name}[${i}]`, v, NON_NEGATIVE);
      begin.push(p);
      end.push(p);
    }
  });
  return { begin, end };
}

/** A transposed convolution's or fold's padding: like `perDimPairs`, and strings refused. */
export function explicitPairs(fn: string, value: unknown, d: number): { begin: number[]; end: number[] } {
  if (typeof value === 'string') {
    fail(
      fn,
      'padding',
      value,
      'must be a number, an array or [begin, end] pairs (strings are for conv only)',
    );
  }
  return perDimPairs(fn, 'padding', value, d);
}

export interface Layout {
  /** number of spatial dimensions */
  d: number;
  /** whether the input had a batch dimension */
  batched: boolean;
  /** batch size (1 when unbatched) */
  batch: number;
  channels: number;
  /** spatial sizes */
  spatial: number[];
}

/**
 * Reads `(N, C, *spatial)` or `(C, *spatial)` with `d` spatial dimensions from a shape; `name` is
 * how the caller wrote it (`input.shape`, `inputShape`).
 */
export function layoutOf(fn: string, name: string, shape: readonly number[], d: number): Layout {
  const r = shape.length;
  if (r !== d + 1 && r !== d + 2) {
    fail(
      fn,
      name,
      shape,
      `must have ${d + 2} dimensions (N, C, ${spatialNames(d)}) or ${d + 1} without the batch (C, ${spatialNames(d)})`,
    );
  }
  const batched = r === d + 2;
  return {
    d,
    batched,
    batch: batched ? shape[0]! : 1,
    channels: shape[r - d - 1]!,
    spatial: shape.slice(r - d),
  };
}

export function spatialNames(d: number): string {
  return ['L', 'H, W', 'D, H, W'][d - 1]!;
}

/** The output shape for a layout: batch (if the input had one), channels, spatial sizes. */
export function shapeOf(layout: Layout, channels: number, spatial: readonly number[]): number[] {
  return layout.batched ? [layout.batch, channels, ...spatial] : [channels, ...spatial];
}
