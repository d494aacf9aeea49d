/**
 * Geometry of `resize`: ONNX's `Resize` (opsets 11–17) sampling rules on plain numbers.
 *
 * Reference: https://github.com/onnx/onnx/blob/v1.12.0/docs/Operators.md#Resize and ONNX 1.12's
 * reference implementation (`onnx/backend/test/case/node/resize.py`), whose outputs are the node
 * tests' expected values. Where the written spec and that reference differ, deconv follows the
 * reference (so do the expected outputs); ONNX Runtime differs in the first of these:
 *
 * - `align_corners` and `tf_crop_and_resize` use the *unrounded* output length `scale · in` when
 *   `scales` is given (`x = o · (in − 1) / (scale · in − 1)`), not the rounded output size. ONNX
 *   Runtime uses the rounded size, so it fails `resize_downsample_scales_{linear,cubic}_align_corners`.
 * - `pytorch_half_pixel` with an output length of 1 samples at `x = −0.5` (the spec says 0).
 *
 * Like `interpolate`, every mode is separable: per spatial dimension, each output index reads a few
 * input indices with weights (`Taps`, shared with `geometry/interpolate.ts`), and the backward pass
 * applies the transposed taps. Source coordinate `x` of output index `o` (scale `s`, lengths `in`,
 * `out`, unrounded output length `L = s · in`):
 *
 *   half_pixel            (o + 0.5) / s − 0.5
 *   pytorch_half_pixel    L > 1 ? (o + 0.5) / s − 0.5 : −0.5
 *   align_corners         L = 1 ? 0 : o · (in − 1) / (L − 1)
 *   asymmetric            o / s
 *   tf_half_pixel_for_nn  (o + 0.5) / s
 *   tf_crop_and_resize    L > 1 ? start · (in − 1) + o · (end − start) · (in − 1) / (L − 1)
 *                                : (start + end) / 2 · (in − 1); outside [0, in − 1] the output
 *                                is `extrapolationValue` (when any dimension is outside).
 *
 * Taps (indices clamped into the input, as ONNX's edge padding does): nearest reads `floor(x)` or
 * `floor(x) + 1` by `nearestMode` (an integer `x` reads `x`); linear reads `floor(x)`,
 * `floor(x) + 1` with weights `1 − λ`, `λ`; cubic reads `floor(x) − 1 … floor(x) + 2` with Keys'
 * weights for coefficient `A`, those outside the input zeroed and the rest renormalised when
 * `excludeOutside`.
 */
import { fail, show } from '../errors.js';
import { MAX_ELEMENTS } from '../limits.js';
import { product as numel } from './arithmetic.js';
import {
  buildTaps,
  cubicWeights,
  identityTaps,
  LazyBackward,
  tables,
  transposeTaps,
  type Taps,
} from './interpolate.js';

export type ResizeMode = 'nearest' | 'linear' | 'cubic';
export type CoordinateTransformationMode =
  | 'half_pixel'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric'
  | 'tf_crop_and_resize'
  | 'tf_half_pixel_for_nn';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

export const RESIZE_MODES: readonly ResizeMode[] = ['nearest', 'linear', 'cubic'];
export const COORDINATE_TRANSFORMATION_MODES: readonly CoordinateTransformationMode[] = [
  'half_pixel',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_crop_and_resize',
  'tf_half_pixel_for_nn',
];
export const NEAREST_MODES: readonly NearestMode[] = [
  'round_prefer_floor',
  'round_prefer_ceil',
  'floor',
  'ceil',
];

/** One spatial dimension's sampling rule, on numbers. */
export interface ResizeDimension {
  readonly inSize: number;
  readonly outSize: number;
  /** input pixels per output pixel is `1 / scale` */
  readonly scale: number;
  readonly mode: ResizeMode;
  readonly coordinateTransformationMode: CoordinateTransformationMode;
  readonly nearestMode: NearestMode;
  readonly cubicCoeffA: number;
  readonly excludeOutside: boolean;
  /** `[start, end]` of the crop, only for 'tf_crop_and_resize' */
  readonly roi: readonly [number, number];
}

/** ONNX's output length: `floor(inSize · scale)` in double (the reference's `astype(int)`). */
export function resizeOutputSize(inSize: number, scale: number): number {
  return Math.floor(inSize * scale);
}

/** The source coordinate of output index `o`, or NaN where 'tf_crop_and_resize' extrapolates. */
export function resizeSourceCoordinate(dim: ResizeDimension, o: number): number {
  const { inSize, scale } = dim;
  const length = scale * inSize; // unrounded, as the reference
  switch (dim.coordinateTransformationMode) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return length === 1 ? -0.5 : (o + 0.5) / scale - 0.5;
    case 'align_corners':
      return length === 1 ? 0 : (o * (inSize - 1)) / (length - 1);
    case 'asymmetric':
      return o / scale;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
    case 'tf_crop_and_resize': {
      const [start, end] = dim.roi;
      const x =
        length === 1
          ? ((end - start) * (inSize - 1)) / 2 + start * (inSize - 1)
          : (o * (end - start) * (inSize - 1)) / (length - 1) + start * (inSize - 1);
      return x < 0 || x > inSize - 1 ? Number.NaN : x;
    }
  }
}

/**
 * The taps of one dimension and, per output index, whether it extrapolates (reads nothing and is
 * `extrapolationValue` instead).
 */
export function resizeTaps(dim: ResizeDimension): { taps: Taps; outside: Uint8Array } {
  const { inSize, outSize } = dim;
  const last = inSize - 1;
  const clamp = (i: number): number => Math.min(Math.max(i, 0), last);
  const outside = new Uint8Array(outSize);
  const perRow = dim.mode === 'nearest' ? 1 : dim.mode === 'linear' ? 2 : 4;
  const taps = buildTaps(inSize, outSize, outSize * perRow, (o, push) => {
    const x = resizeSourceCoordinate(dim, o);
    if (Number.isNaN(x)) {
      outside[o] = 1;
      return;
    }
    const i0 = Math.floor(x);
    const r = x - i0;
    if (dim.mode === 'nearest') {
      let up: boolean;
      if (r === 0) up = false;
      else if (dim.nearestMode === 'round_prefer_floor') up = r > 0.5;
      else if (dim.nearestMode === 'round_prefer_ceil') up = r >= 0.5;
      else up = dim.nearestMode === 'ceil';
      push(clamp(up ? i0 + 1 : i0), 1);
    } else if (dim.mode === 'linear') {
      push(clamp(i0), 1 - r);
      push(clamp(i0 + 1), r);
    } else {
      const w = cubicWeights(r, dim.cubicCoeffA);
      if (dim.excludeOutside) {
        let total = 0;
        for (let j = 0; j < 4; j++) {
          const i = i0 - 1 + j;
          if (i < 0 || i > last) w[j] = 0;
          total += w[j]!;
        }
        for (let j = 0; j < 4; j++) w[j]! /= total;
      }
      for (let j = 0; j < 4; j++) push(clamp(i0 - 1 + j), w[j]!);
    }
  });
  return { taps, outside };
}

export interface ResizeOptions {
  /** Output spatial sizes, one positive integer per spatial dimension (or one for all). */
  sizes?: number | readonly number[];
  /** Scales, one positive number per spatial dimension (or one for all); output `floor(in · scale)`. */
  scales?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: ResizeMode;
  /** Default 'half_pixel'. */
  coordinateTransformationMode?: CoordinateTransformationMode;
  /** Only for 'nearest'; default 'round_prefer_floor'. */
  nearestMode?: NearestMode;
  /** Only for 'cubic'; default −0.75. */
  cubicCoeffA?: number;
  /** Only for 'cubic': zero the weights of taps outside the input and renormalise; default false. */
  excludeOutside?: boolean;
  /** Only for 'tf_crop_and_resize': the value outside the crop; default 0. */
  extrapolationValue?: number;
  /** Only for 'tf_crop_and_resize': starts then ends, one per spatial dimension, in [0, 1] units. */
  roi?: readonly number[];
}

export const RESIZE_OPTION_KEYS = [
  'sizes',
  'scales',
  'mode',
  'coordinateTransformationMode',
  'nearestMode',
  'cubicCoeffA',
  'excludeOutside',
  'extrapolationValue',
  'roi',
] as const;

export interface ResizeGeometry {
  readonly d: number;
  readonly planes: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly dims: readonly ResizeDimension[];
  readonly extrapolationValue: number;
  /** per dimension (padded at the front to 3), output indices that extrapolate, or null if none */
  readonly outside: readonly (Uint8Array | null)[];
  readonly forward: readonly [Taps, Taps, Taps];
  readonly backward: readonly [Taps, Taps, Taps];
}

function perDim(
  fn: string,
  name: string,
  value: unknown,
  d: number,
  words: string,
  ok: (v: number) => boolean,
): number[] {
  const values = typeof value === 'number' ? new Array<number>(d).fill(value) : value;
  if (!Array.isArray(values))
    fail(fn, name, value, `must be ${words} or an array of them, one per spatial dimension`);
  if (values.length !== d) fail(fn, name, value, `must have ${d} entries, one per spatial dimension`);
  values.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !ok(v))
      fail(fn, typeof value === 'number' ? name : `${name}[${i}]`, v, `must be ${words}`);
  });
  return values as number[];
}

function oneOf<T extends string>(
  fn: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    fail(fn, name, value, `must be one of ${allowed.map((m) => show(m)).join(', ')}`);
  return value as T;
}

/**
 * Checks `resize`'s options against an input shape `(N, C, *spatial)` or `(C, *spatial)` (the
 * spatial rank is the length of `sizes`/`scales` when an array, else `rank − 2`) and computes the
 * geometry once. Works on shapes alone, so ONNX shape inference calls it too.
 */
export function resizeGeometry(
  fn: string,
  inputShape: readonly number[],
  options: ResizeOptions,
): ResizeGeometry {
  const { sizes, scales } = options;
  if ((sizes === undefined) === (scales === undefined)) {
    fail(
      fn,
      sizes === undefined ? 'sizes' : 'scales',
      sizes === undefined ? sizes : scales,
      'give exactly one of sizes and scales',
    );
  }
  const given = (sizes ?? scales)!;
  const rank = inputShape.length;
  const d = Array.isArray(given) ? given.length : rank - 2;
  if (d < 1 || d > 3 || (rank !== d + 1 && rank !== d + 2)) {
    fail(
      fn,
      'input.shape',
      inputShape,
      `must be (N, C, *spatial) or (C, *spatial) with 1 to 3 spatial dimensions matching ${sizes !== undefined ? 'sizes' : 'scales'} = ${show(given)}`,
    );
  }
  const mode = oneOf(fn, 'mode', options.mode, RESIZE_MODES, 'nearest');
  const ctm = oneOf(
    fn,
    'coordinateTransformationMode',
    options.coordinateTransformationMode,
    COORDINATE_TRANSFORMATION_MODES,
    'half_pixel',
  );
  const nearestMode = oneOf(fn, 'nearestMode', options.nearestMode, NEAREST_MODES, 'round_prefer_floor');
  const cubicCoeffA = options.cubicCoeffA ?? -0.75;
  if (typeof cubicCoeffA !== 'number' || !Number.isFinite(cubicCoeffA))
    fail(fn, 'cubicCoeffA', cubicCoeffA, 'must be a finite number');
  const excludeOutside = options.excludeOutside ?? false;
  if (typeof excludeOutside !== 'boolean') fail(fn, 'excludeOutside', excludeOutside, 'must be a boolean');
  const extrapolationValue = options.extrapolationValue ?? 0;
  if (typeof extrapolationValue !== 'number')
    fail(fn, 'extrapolationValue', extrapolationValue, 'must be a number');
  let roi: number[] | null = null;
  if (options.roi !== undefined) {
    if (ctm !== 'tf_crop_and_resize')
      fail(
        fn,
        'roi',
        options.roi,
        `is only read with coordinateTransformationMode 'tf_crop_and_resize' (it is ${show(ctm)}); leave it out`,
      );
    roi = perDim(fn, 'roi', options.roi, 2 * d, 'a finite number', Number.isFinite);
  }
  const spatialIn = inputShape.slice(rank - d);
  if (
    inputShape.some((s) => !Number.isInteger(s) || s < 0) ||
    spatialIn.some((s) => s === 0) ||
    inputShape[rank - d - 1] === 0
  ) {
    fail(
      fn,
      'input.shape',
      inputShape,
      'must have non-zero channel and spatial sizes (only the batch may be empty)',
    );
  }
  let outSizes: number[];
  let scaleValues: number[];
  if (sizes !== undefined) {
    outSizes = perDim(fn, 'sizes', sizes, d, 'a positive integer', (v) => Number.isInteger(v) && v > 0);
    scaleValues = outSizes.map((o, i) => o / spatialIn[i]!);
  } else {
    scaleValues = perDim(
      fn,
      'scales',
      scales,
      d,
      'a positive finite number',
      (v) => Number.isFinite(v) && v > 0,
    );
    outSizes = scaleValues.map((s, i) => {
      const out = resizeOutputSize(spatialIn[i]!, s);
      if (out < 1)
        fail(
          fn,
          Array.isArray(scales) ? `scales[${i}]` : 'scales',
          s,
          `gives the output size floor(${spatialIn[i]} · ${s}) = ${out}: it must be at least 1`,
        );
      return out;
    });
  }
  const outputShape = [...inputShape.slice(0, rank - d), ...outSizes];
  if (!(numel(outputShape) <= MAX_ELEMENTS)) {
    fail(
      fn,
      sizes !== undefined ? 'sizes' : 'scales',
      given,
      `gives an output of shape ${show(outputShape)}, more than the ${MAX_ELEMENTS} elements one tensor can hold`,
    );
  }
  const dims: ResizeDimension[] = spatialIn.map((inSize, i) => ({
    inSize,
    outSize: outSizes[i]!,
    scale: scaleValues[i]!,
    mode,
    coordinateTransformationMode: ctm,
    nearestMode,
    cubicCoeffA,
    excludeOutside,
    roi: roi ? [roi[i]!, roi[d + i]!] : [0, 1],
  }));
  const sizeName = sizes !== undefined ? 'sizes' : 'scales';
  // An empty batch reads no taps: none are built (they are sized by the spatial sizes, which an
  // empty batch leaves as large as 2³¹ − 1), and the kernels are not called (ops/resize.ts).
  const empty = numel(inputShape.slice(0, rank - d)) === 0;
  const built = tables(fn, sizeName, given, () =>
    dims.map((dim) => (empty ? { taps: identityTaps(), outside: new Uint8Array(1) } : resizeTaps(dim))),
  );
  const pad = <T>(xs: T[], fill: () => T): T[] => {
    const out = [...xs];
    while (out.length < 3) out.unshift(fill());
    return out;
  };
  const forward = pad(
    built.map((b) => b.taps),
    identityTaps,
  ) as [Taps, Taps, Taps];
  const backward = new LazyBackward(() =>
    tables(fn, sizeName, given, () => forward.map(transposeTaps) as [Taps, Taps, Taps]),
  );
  return Object.freeze(
    Object.assign(backward, {
      d,
      planes: numel(inputShape.slice(0, rank - d)),
      inputShape: Object.freeze([...inputShape]),
      outputShape: Object.freeze(outputShape),
      dims: Object.freeze(dims),
      extrapolationValue,
      outside: Object.freeze(
        pad(
          built.map((b) => (b.outside.some((v) => v === 1) ? b.outside : null)),
          () => null,
        ),
      ),
      forward: Object.freeze(forward),
    }),
  );
}
