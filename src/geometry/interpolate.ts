/**
 * Resampling geometry: `interpolate` (every mode) and `pixelShuffle` / `pixelUnshuffle`.
 *
 * References: PyTorch `torch.nn.functional.interpolate` and `pixel_shuffle`
 * (https://pytorch.org/docs/1.13/generated/torch.nn.functional.interpolate.html), ATen's
 * `UpSample.h`, `UpSampleKernel.cpp` and `AdaptiveAveragePooling.cpp`.
 *
 * Every interpolation mode is separable: output index `o` along one spatial dimension reads a few
 * input indices `i` with weights `w`, and a d-dimensional output element is the sum over the
 * tensor product of its per-dimension taps. So this module turns the options into, per spatial
 * dimension, a table of `(source index, weight)` taps for each output index (nearest: 1 tap,
 * linear: 2, cubic: 4 with indices clamped into the input, area: the adaptive-pooling window).
 * The backward pass is the adjoint: the same taps transposed (for each input index, the output
 * indices that read it with their weights), so forward and backward are one kernel run on two
 * tables, and `<interp(x), y> = <x, interpᵀ(y)>` holds by construction.
 *
 * PyTorch rules reproduced here (1.13, `recompute_scale_factor=None`):
 * - Output size: `size`, or `floor(inputSize * scaleFactor)` computed in double.
 * - Coordinate scale (input units per output unit), rounded to float32:
 *   `alignCorners`: `(in - 1) / (out - 1)` (0 when `out == 1`); otherwise `1 / scaleFactor` when a
 *   scale factor was GIVEN (not `in / out`: with `scaleFactor: 1.7` and `in = 5`, `out = 8` but
 *   the scale is `1 / 1.7`, not `5 / 8`), else `in / out`. 'area' never uses a scale factor: it is
 *   adaptive average pooling to the output size.
 * - nearest: `min(floor(o * scale), in - 1)`, the product rounded to float32, with no shortcut
 *   for `out == in` or `out == 2 * in` (see below).
 * - nearest-exact: `min(floor((o + 0.5) * scale), in - 1)`, the product rounded to float32.
 * - linear: source `x = scale * (o + 0.5) - 0.5` (or `scale * o` with `alignCorners`) in double,
 *   clamped below at 0; taps `floor(x)` and `min(floor(x) + 1, in - 1)` with weights `1 - λ` and
 *   `λ = x - floor(x)`, both rounded to float32. `out == in` copies.
 * - cubic: the same source coordinate in double without the clamp at 0; `i = floor(f32(x))` (PyTorch
 *   floors the float32 of it with `floorf`, so `i` may exceed `x` by a rounding error), offset
 *   `t = f32(x − i)`; taps `i - 1 … i + 2`, each index clamped into `[0, in - 1]` (so border taps
 *   repeat an index and their weights add up), Keys coefficients with `A = -0.75` in float32 as
 *   PyTorch's kernel computes them (`TORCH_FLOAT32_ARITHMETIC`). Where a position lies a rounding
 *   error from a pixel, this gives PyTorch's exact 0 weights (and so its −0 results) where float64
 *   weights would be tiny and negative.
 * - area: window `[floor(o * in / out), ceil((o + 1) * in / out))`, each weight `1 / length`.
 *
 * Where PyTorch 1.13 disagrees with itself, deconv reproduces PyTorch's values (the contract asks
 * for them), so in these corners the backward pass is not the adjoint of the forward pass, exactly
 * as in PyTorch. This only matters when a scale factor is given whose rounded output size equals the
 * input size (or twice it, for 'nearest') although the factor is not 1 (or 2), e.g. `in = 10,
 * scaleFactor = 1.05` or `in = 5, scaleFactor = 2.18`:
 * - 'nearest': PyTorch's generic forward kernel computes `floor(o * scale)` (here too), but its
 *   backward kernel and its channels-last forward kernel (which a 2-d or 3-d input with a single
 *   channel also takes) use `nearest_idx`, whose shortcuts copy when `out == in` and take `o >> 1`
 *   when `out == 2 * in`, so its gradient is not the gradient of its generic forward.
 * - 'bicubic': PyTorch's backward copies the gradient when the output has the input's size in both
 *   dimensions, while its forward resamples with `1 / scaleFactor`.
 */
import { fail, show } from '../errors.js';
import { MAX_ELEMENTS } from '../limits.js';
import { spatialNames } from './args.js';
import { product as numel, scaledLength } from './arithmetic.js';

export type InterpolateMode =
  'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

const INTERPOLATE_MODES: readonly InterpolateMode[] = [
  'nearest',
  'nearest-exact',
  'linear',
  'bilinear',
  'bicubic',
  'trilinear',
  'area',
];

export interface InterpolateOptions {
  /** Output spatial size: a positive integer for every spatial dimension, or one per dimension. */
  size?: number | readonly number[];
  /** Multiplier of the input spatial size: a positive number, or one per dimension. */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /** Only for 'linear', 'bilinear', 'bicubic', 'trilinear'; default false. */
  alignCorners?: boolean;
}

/**
 * One spatial dimension's taps in compressed rows: output index `o` reads input indices
 * `index[k]` with weights `weight[k]` for `k` in `[start[o], start[o + 1])`.
 */
export interface Taps {
  readonly inSize: number;
  readonly outSize: number;
  /** length `outSize + 1` */
  readonly start: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float64Array;
  /**
   * PyTorch sums these taps from +0 ('area', adaptive average pooling), so a sum of −0 terms is +0;
   * the other modes add their weighted terms with no zero start and keep −0.
   */
  readonly sumFromZero?: boolean;
  /**
   * Every output has exactly one tap, of weight 1 (`start[o] = o`, `weight[o] = 1`): the kernels'
   * gather plans read `index` only, and `start` and `weight` are built on first read (the
   * reference kernel, the transposition), so a 10⁸-element nearest resize holds 4 bytes of table
   * per output instead of 16.
   */
  readonly nearest?: boolean;
}

export interface InterpolateGeometry {
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean;
  /** number of spatial dimensions */
  readonly d: number;
  readonly batched: boolean;
  /** batch size times channels: the number of independent planes */
  readonly planes: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputSpatial: readonly number[];
  readonly outputSpatial: readonly number[];
  /** Per spatial dimension, padded at the front to 3 with 1 → 1 identity taps. */
  readonly forward: readonly [Taps, Taps, Taps];
  /** The transposes of `forward`: the taps of the backward pass (built on first read). */
  readonly backward: readonly [Taps, Taps, Taps];
}

const f32 = Math.fround;

/** Spatial dimensions a mode fixes; the other modes take them from the options or the rank. */
const MODE_DIMS: Partial<Record<InterpolateMode, number>> = {
  linear: 1,
  bilinear: 2,
  bicubic: 2,
  trilinear: 3,
};

/**
 * Taps in typed arrays of `capacity` entries (an upper bound on the taps of all rows): JavaScript
 * arrays of 10⁸ entries take gigabytes and, past V8's limit, end the process with a fatal error.
 */
export function buildTaps(
  inSize: number,
  outSize: number,
  capacity: number,
  rows: (o: number, push: (i: number, w: number) => void) => void,
): Taps {
  const start = new Int32Array(outSize + 1);
  const index = new Int32Array(capacity);
  const weight = new Float64Array(capacity);
  let n = 0;
  const push = (i: number, w: number): void => {
    if (!(i >= 0 && i < inSize) || n >= capacity)
      throw new Error(`interpolate: internal error, tap ${n} index ${i} outside [0, ${inSize})`);
    index[n] = i;
    weight[n++] = w;
  };
  for (let o = 0; o < outSize; o++) {
    start[o] = n;
    rows(o, push);
  }
  start[outSize] = n;
  return {
    inSize,
    outSize,
    start,
    index: n === capacity ? index : index.slice(0, n),
    weight: n === capacity ? weight : weight.slice(0, n),
  };
}

/** Throws (an internal error) unless every `index[k]` lies in `[0, inSize)`. */
function checkIndices(index: Int32Array, inSize: number): void {
  for (let k = 0; k < index.length; k++) {
    const i = index[k]!;
    if (!(i >= 0 && i < inSize))
      throw new Error(`interpolate: internal error, tap ${k} index ${i} outside [0, ${inSize})`);
  }
}

/**
 * One-tap, weight-1 taps (`Taps.nearest`): output `o` reads input `index[o]`. `start` and
 * `weight` are materialised only when something reads them (a class, so that the getters live on
 * its prototype: see `LazyBackward` for why not in an object literal).
 */
class NearestTaps implements Taps {
  readonly nearest = true;
  readonly outSize: number;
  #start: Int32Array | undefined;
  #weight: Float64Array | undefined;

  constructor(
    readonly inSize: number,
    readonly index: Int32Array,
  ) {
    checkIndices(index, inSize);
    this.outSize = index.length;
  }

  get start(): Int32Array {
    if (!this.#start) {
      const start = new Int32Array(this.outSize + 1);
      for (let o = 0; o <= this.outSize; o++) start[o] = o;
      this.#start = start;
    }
    return this.#start;
  }

  get weight(): Float64Array {
    return (this.#weight ??= new Float64Array(this.outSize).fill(1));
  }
}

/** `NearestTaps`: output `o` reads input `index[o]` with weight 1. */
export function nearestTaps(inSize: number, index: Int32Array): Taps {
  return new NearestTaps(inSize, index);
}

/**
 * Taps with `perRow` taps for every output (linear 2, cubic 4) of outputs `[begin, end)` (as outputs
 * `0 … end − begin − 1`), filled in place by `fill(o, k)`, which writes `index[k + j]` and
 * `weight[k + j]` for `j < perRow`: no closure per tap, no JavaScript array.
 */
function uniformRowTaps(
  inSize: number,
  begin: number,
  end: number,
  perRow: number,
  fill: (o: number, k: number, index: Int32Array, weight: Float64Array) => void,
): Taps {
  const outSize = end - begin;
  const start = new Int32Array(outSize + 1);
  const index = new Int32Array(perRow * outSize);
  const weight = new Float64Array(perRow * outSize);
  for (let o = 0, k = 0; o < outSize; o++, k += perRow) {
    start[o] = k;
    fill(begin + o, k, index, weight);
  }
  start[outSize] = perRow * outSize;
  checkIndices(index, inSize);
  return { inSize, outSize, start, index, weight };
}

/**
 * Tuning of the resampling kernels (tests shrink it to exercise the chunk boundaries): a dimension
 * with more than `chunk` outputs gets no whole tap table (`RangeTaps`), and the kernels run over
 * blocks of at most `chunk` outputs along it (kernels/resample-chunks.ts), so that the tables and
 * the kernels' row caches take memory in proportion to `chunk`, not to the output.
 */
export const resampleTuning: { chunk: number } = { chunk: 1 << 18 };

/**
 * Taps whose whole table (`start`, `index`, `weight`) is built by `whole()` on first read and kept:
 * the tables of dimensions too long to build up front (`RangeTaps`, `TransposedRangeTaps`).
 */
abstract class WholeOnRead {
  #table: Taps | undefined;

  protected abstract whole(): Taps;

  get start(): Int32Array {
    return (this.#table ??= this.whole()).start;
  }

  get index(): Int32Array {
    return (this.#table ??= this.whole()).index;
  }

  get weight(): Float64Array {
    return (this.#table ??= this.whole()).weight;
  }
}

/**
 * Taps of a dimension too long for one table: `slice(begin, end)` builds the taps of outputs
 * `[begin, end)` (renumbered from 0); `start`, `index` and `weight` build the whole table on first
 * read (the backward pass's transposition, the ONNX exporter's comparison). A class, so that the
 * getters live on its prototype (see `LazyBackward`).
 */
class RangeTaps extends WholeOnRead implements Taps {
  constructor(
    readonly inSize: number,
    readonly outSize: number,
    readonly slice: (begin: number, end: number) => Taps,
    readonly sumFromZero: boolean,
    readonly nearest: boolean,
  ) {
    super();
  }

  protected whole(): Taps {
    return this.slice(0, this.outSize);
  }
}

/**
 * The taps of outputs `[begin, end)` of `t`, renumbered from 0 (the same inputs, indices and
 * weights): a view of `t`'s table where it has one, else built for the range alone (`RangeTaps`).
 */
export function sliceTaps(t: Taps, begin: number, end: number): Taps {
  if (begin === 0 && end === t.outSize) return t;
  if (!(begin >= 0 && begin < end && end <= t.outSize))
    throw new Error(`interpolate: internal error, tap range [${begin}, ${end}) of ${t.outSize}`);
  if (t instanceof RangeTaps) return t.slice(begin, end);
  if (t.nearest) return nearestTaps(t.inSize, t.index.subarray(begin, end));
  const k0 = t.start[begin]!;
  const k1 = t.start[end]!;
  const start = new Int32Array(end - begin + 1);
  for (let o = 0; o <= end - begin; o++) start[o] = t.start[begin + o]! - k0;
  const part = {
    inSize: t.inSize,
    outSize: end - begin,
    start,
    index: t.index.subarray(k0, k1),
    weight: t.weight.subarray(k0, k1),
  };
  return t.sumFromZero ? { ...part, sumFromZero: true } : part;
}

/**
 * For each input index, the output indices that read it and their weights. The transposed sums
 * start from +0 (`sumFromZero`), as PyTorch's backward kernels, which add into a zeroed gradient:
 * an input no output reads, or one that only −0 reaches, gets +0. `RangeTaps` (too long for one
 * table) give `TransposedRangeTaps`, whose table is built per range of their inputs.
 */
export function transposeTaps(t: Taps): Taps {
  return t instanceof RangeTaps ? new TransposedRangeTaps(t) : transposeTable(t);
}

function transposeTable(t: Taps): Taps {
  const count = new Int32Array(t.inSize + 1);
  for (let k = 0; k < t.index.length; k++) count[t.index[k]! + 1]!++;
  for (let i = 0; i < t.inSize; i++) count[i + 1]! += count[i]!;
  const start = count.slice();
  const fill = count.slice(0, t.inSize);
  const index = new Int32Array(t.index.length);
  const weight = new Float64Array(t.index.length);
  if (t.nearest) {
    // one tap of weight 1 per output: start and weight are implied (and stay unbuilt)
    for (let o = 0; o < t.outSize; o++) {
      const at = fill[t.index[o]!]!++;
      index[at] = o;
      weight[at] = 1;
    }
    return { inSize: t.outSize, outSize: t.inSize, start, index, weight, sumFromZero: true };
  }
  for (let o = 0; o < t.outSize; o++) {
    for (let k = t.start[o]!; k < t.start[o + 1]!; k++) {
      const at = fill[t.index[k]!]!++;
      index[at] = o;
      weight[at] = t.weight[k]!;
    }
  }
  return { inSize: t.outSize, outSize: t.inSize, start, index, weight, sumFromZero: true };
}

/**
 * The transpose of `RangeTaps`: the backward pass of a dimension with too many outputs for one
 * table. `part(begin, end)` gives the transposed taps of forward outputs `[begin, end)` alone (input
 * `o` of the part is input `begin + o` of the whole), which the kernels sum range after range
 * (kernels/resample-chunks.ts); `start`, `index` and `weight` build the whole table on first read.
 */
class TransposedRangeTaps extends WholeOnRead implements Taps {
  readonly sumFromZero = true;
  readonly inSize: number;
  readonly outSize: number;

  constructor(readonly forward: RangeTaps) {
    super();
    this.inSize = forward.outSize;
    this.outSize = forward.inSize;
  }

  protected whole(): Taps {
    return transposeTable(this.forward);
  }

  part(begin: number, end: number): Taps {
    return transposeTable(this.forward.slice(begin, end));
  }
}

/**
 * For taps built per range of their inputs (`TransposedRangeTaps`), the builder of the taps of the
 * inputs `[begin, end)` (renumbered from 0); null for taps with one table.
 */
export function tapsByInputRange(t: Taps): ((begin: number, end: number) => Taps) | null {
  return t instanceof TransposedRangeTaps ? (begin, end) => t.part(begin, end) : null;
}

/**
 * PyTorch's coordinate scale (`area_pixel_compute_scale`) in float32. `scaleFactor` is the one the
 * user gave for this dimension, if any.
 */
function coordinateScale(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  scaleFactor: number | undefined,
): number {
  if (alignCorners) return outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  return scaleFactor !== undefined ? f32(1 / scaleFactor) : f32(inSize / outSize);
}

/**
 * PyTorch's `area_pixel_compute_source_index`: the float32 `scale` times the output index, in
 * double (its CPU kernels do not round this product to float32; only the scale is float32).
 */
function sourceCoordinate(scale: number, o: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return scale * o;
  const x = scale * (o + 0.5) - 0.5;
  return !cubic && x < 0 ? 0 : x;
}

/**
 * How `cubicWeights` rounds: `round` after each operation, `mulAdd(a, b, c)` for the products
 * followed by an addition that a compiler may fuse into one fused multiply-add.
 */
export interface CubicArithmetic {
  readonly round: (x: number) => number;
  readonly mulAdd: (a: number, b: number, c: number) => number;
}

/** Float64, every operation rounded on its own: ONNX's numpy reference. */
export const FLOAT64_ARITHMETIC: CubicArithmetic = { round: (x) => x, mulAdd: (a, b, c) => a * b + c };

/**
 * PyTorch 1.13's CPU bicubic kernel (`UpSampleKernel.cpp`, `get_cubic_upsample_coefficients` on
 * float) as its AVX2 build computes it: float32, with the multiply-adds GCC contracts there (the
 * first of `((A + 2)·x − (A + 3))·x·x + 1`, the first two of `((A·x − 5A)·x + 8A)·x − 4A`) fused.
 * Measured (scripts/gen_hardening_fixtures.py's probe: every weight of 6,916 one-hot resamples
 * equal bit for bit); its DEFAULT build (`ATEN_CPU_CAPABILITY=default`) fuses none, and its weights
 * then differ in the last bit (612 of those 6,916; the signs of zero in the fixtures stay the same).
 */
export const TORCH_FLOAT32_ARITHMETIC: CubicArithmetic = { round: Math.fround, mulAdd: fmaFloat32 };

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LOW = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 0 : 1; // the low word's index

/**
 * `a·b + c` rounded once to float32, for float32 operands: the product is exact in float64, the sum
 * is formed exactly as `s + e` (TwoSum) and rounded to odd in float64 before the float32 rounding,
 * which makes the two roundings equal one.
 */
export function fmaFloat32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - p;
  const e = p - (s - bp) + (c - bp);
  if (e === 0 || !Number.isFinite(s)) return Math.fround(s);
  F64[0] = s;
  if ((U32[LOW]! & 1) === 0) {
    // s is even: step to its odd neighbour on the side of the exact sum s + e
    const away = e > 0 === s > 0; // |s + e| > |s|
    if (away) U32[LOW]!++;
    else if (U32[LOW] === 0) {
      U32[LOW] = 0xffffffff;
      U32[1 - LOW]!--;
    } else U32[LOW]!--;
  }
  return Math.fround(F64[0]);
}

/**
 * Keys' cubic convolution weights, coefficient `a` (PyTorch's −0.75, ONNX's `cubic_coeff_a`), for
 * the 4 taps around a fractional offset `t` (in [0, 1), or a rounding error outside), in the
 * operation order of PyTorch's `get_cubic_upsample_coefficients` and ONNX's reference
 * `cubic_coeffs` (the far taps at `t + 1` and `(1 − t) + 1`), rounded as `arithmetic` says.
 */
export function cubicWeights(
  t: number,
  a: number,
  arithmetic: CubicArithmetic = FLOAT64_ARITHMETIC,
): [number, number, number, number] {
  const { round: r, mulAdd } = arithmetic;
  // |x| <= 1: ((a + 2)·x − (a + 3))·x·x + 1
  const near = (x: number): number => r(r(r(mulAdd(r(a + 2), x, -r(a + 3)) * x) * x) + 1);
  // 1 < |x| < 2: ((a·x − 5a)·x + 8a)·x − 4a
  const far = (x: number): number => r(r(mulAdd(mulAdd(a, x, -r(5 * a)), x, r(8 * a)) * x) - r(4 * a));
  const x2 = r(1 - t);
  return [far(r(t + 1)), near(t), near(x2), far(r(x2 + 1))];
}

/**
 * PyTorch's `nearest_idx`: a copy when `out == in`, `o >> 1` when `out == 2·in`, else the
 * 'nearest' rule. Its backward kernel (and its channels-last forward kernel) map this way.
 */
function nearestIdxTaps(inSize: number, outSize: number, scaleFactor: number | undefined): Taps {
  const shift = outSize === inSize ? 0 : outSize === 2 * inSize ? 1 : -1;
  if (shift >= 0) {
    const slice = (begin: number, end: number): Taps => nearestTaps(inSize, iota(begin, end, shift));
    return outSize <= resampleTuning.chunk
      ? slice(0, outSize)
      : new RangeTaps(inSize, outSize, slice, false, true);
  }
  return dimensionTaps('nearest', inSize, outSize, false, scaleFactor);
}

/** `[begin >> shift, (begin + 1) >> shift, …, (end − 1) >> shift]`. */
function iota(begin: number, end: number, shift: number): Int32Array {
  const index = new Int32Array(end - begin);
  for (let o = begin; o < end; o++) index[o - begin] = o >> shift;
  return index;
}

/**
 * The taps of one spatial dimension for `mode`: one table, or, past `resampleTuning.chunk` outputs,
 * `RangeTaps` that build the table of a range of outputs when a kernel asks for it.
 */
function dimensionTaps(
  mode: InterpolateMode,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  scaleFactor: number | undefined,
): Taps {
  const slice = rangeTaps(mode, inSize, outSize, alignCorners, scaleFactor);
  if (outSize <= resampleTuning.chunk) return slice(0, outSize);
  const copies = outSize === inSize && (mode === 'linear' || mode === 'bilinear' || mode === 'trilinear');
  const nearest = copies || mode === 'nearest' || mode === 'nearest-exact';
  return new RangeTaps(inSize, outSize, slice, mode === 'area', nearest);
}

/** The builder of the taps of outputs `[begin, end)` of one spatial dimension for `mode`. */
function rangeTaps(
  mode: InterpolateMode,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  scaleFactor: number | undefined,
): (begin: number, end: number) => Taps {
  const last = inSize - 1;
  switch (mode) {
    case 'nearest': {
      const scale = coordinateScale(inSize, outSize, false, scaleFactor);
      return (begin, end) => {
        const index = new Int32Array(end - begin);
        for (let o = begin; o < end; o++) index[o - begin] = Math.min(Math.floor(f32(o * scale)), last);
        return nearestTaps(inSize, index);
      };
    }
    case 'nearest-exact': {
      const scale = coordinateScale(inSize, outSize, false, scaleFactor);
      return (begin, end) => {
        const index = new Int32Array(end - begin);
        for (let o = begin; o < end; o++)
          index[o - begin] = Math.min(Math.floor(f32((o + 0.5) * scale)), last);
        return nearestTaps(inSize, index);
      };
    }
    case 'linear':
    case 'bilinear':
    case 'trilinear': {
      if (outSize === inSize) return (begin, end) => nearestTaps(inSize, iota(begin, end, 0)); // PyTorch copies
      const scale = coordinateScale(inSize, outSize, alignCorners, scaleFactor);
      return (begin, end) =>
        uniformRowTaps(inSize, begin, end, 2, (o, k, index, weight) => {
          const x = sourceCoordinate(scale, o, alignCorners, false);
          const i0 = Math.min(Math.floor(x), last);
          const lambda = f32(Math.min(Math.max(x - i0, 0), 1));
          index[k] = i0;
          weight[k] = f32(1 - lambda);
          index[k + 1] = Math.min(i0 + 1, last);
          weight[k + 1] = lambda;
        });
    }
    case 'bicubic': {
      const scale = coordinateScale(inSize, outSize, alignCorners, scaleFactor);
      return (begin, end) =>
        uniformRowTaps(inSize, begin, end, 4, (o, k, index, weight) => {
          // the coordinate in double; its float32 floored (floorf); the offset, possibly a rounding
          // error below 0, in float32
          const x = sourceCoordinate(scale, o, alignCorners, true);
          const i0 = Math.floor(f32(x));
          const w = cubicWeights(f32(x - i0), -0.75, TORCH_FLOAT32_ARITHMETIC);
          for (let j = 0; j < 4; j++) {
            index[k + j] = Math.max(Math.min(i0 - 1 + j, last), 0);
            weight[k + j] = w[j]!;
          }
        });
    }
    case 'area':
      // Adaptive average pooling: exact integer window bounds; windows overlap by at most one
      // element, so the windows of outputs [begin, end) hold fewer than
      // ceil(end·in/out) − floor(begin·in/out) + 2·(end − begin) taps.
      return (begin, end) => ({
        ...buildTaps(
          inSize,
          end - begin,
          Math.ceil((end * inSize) / outSize) - Math.floor((begin * inSize) / outSize) + 2 * (end - begin),
          (o, push) => {
            const from = Math.floor(((begin + o) * inSize) / outSize);
            const to = Math.ceil(((begin + o + 1) * inSize) / outSize);
            for (let i = from; i < to; i++) push(i, 1 / (to - from));
          },
        ),
        sumFromZero: true,
      });
  }
}

/** The taps of a length-1 dimension (the padding of rank to 3). */
export function identityTaps(): Taps {
  return {
    inSize: 1,
    outSize: 1,
    start: Int32Array.of(0, 1),
    index: Int32Array.of(0),
    weight: Float64Array.of(1),
  };
}

/** A per-dimension numeric option: its values, one per spatial dimension, checked by `rule`. */
function perDimNumbers(
  fn: string,
  name: string,
  value: unknown,
  d: number,
  words: string,
  ok: (v: unknown) => boolean,
): number[] {
  if (typeof value === 'number') {
    if (!ok(value)) fail(fn, name, value, `must be ${words}`);
    return new Array<number>(d).fill(value);
  }
  if (!Array.isArray(value))
    fail(fn, name, value, `must be ${words} or an array of them, one per spatial dimension`);
  if (value.length !== d)
    fail(fn, name, value, `must have ${d} entr${d === 1 ? 'y' : 'ies'}, one per spatial dimension`);
  value.forEach((v, i) => {
    if (!ok(v)) fail(fn, `${name}[${i}]`, v, `must be ${words}`);
  });
  return value as number[];
}

/** `interpolate`'s options, checked once; `size` / `scaleFactor` are checked per dimension later. */
export interface InterpolateParams {
  readonly fn: string;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean;
  readonly size: InterpolateOptions['size'];
  readonly scaleFactor: InterpolateOptions['scaleFactor'];
}

/** Checks `interpolate`'s options (mode, alignCorners, exactly one of size and scaleFactor). */
export function interpolateParams(fn: string, options: InterpolateOptions): InterpolateParams {
  const mode = options.mode ?? 'nearest';
  if (!INTERPOLATE_MODES.includes(mode)) {
    fail(fn, 'mode', mode, `must be one of ${INTERPOLATE_MODES.map((m) => show(m)).join(', ')}`);
  }
  const fixesDims = MODE_DIMS[mode] !== undefined;
  if (options.alignCorners !== undefined) {
    if (typeof options.alignCorners !== 'boolean')
      fail(fn, 'alignCorners', options.alignCorners, 'must be a boolean');
    if (!fixesDims) {
      fail(
        fn,
        'alignCorners',
        options.alignCorners,
        `can only be given with the interpolating modes 'linear', 'bilinear', 'bicubic', 'trilinear' (mode is ${show(mode)}); leave it out`,
      );
    }
  }
  const alignCorners = options.alignCorners ?? false;
  const { size, scaleFactor } = options;
  if (size !== undefined && scaleFactor !== undefined) {
    fail(
      fn,
      'scaleFactor',
      scaleFactor,
      `must not be given together with size = ${show(size)}: give exactly one`,
    );
  }
  if (size === undefined && scaleFactor === undefined) {
    fail(
      fn,
      'size',
      size,
      'is required when scaleFactor is not given: give exactly one of size and scaleFactor',
    );
  }
  return Object.freeze({ fn, mode, alignCorners, size, scaleFactor });
}

/**
 * `interpolate`'s geometry from its params and the input shape, once.
 *
 * Number of spatial dimensions `d`: from `mode` when it is 'linear' (1), 'bilinear' or 'bicubic'
 * (2), 'trilinear' (3); else the length of `size` or `scaleFactor` when it is an array; else
 * `input.ndim - 2` (PyTorch's rule). An input of rank `d + 2` is `(N, C, *spatial)`; one of rank
 * `d + 1` is unbatched `(C, *spatial)` and gives an unbatched output.
 */
export function interpolateGeometry(
  p: InterpolateParams,
  inputShape: readonly number[],
): InterpolateGeometry {
  const { fn, mode, alignCorners, size, scaleFactor } = p;
  const input = { shape: inputShape };
  const fixesDims = MODE_DIMS[mode] !== undefined;
  const sizeName = size !== undefined ? 'size' : 'scaleFactor';
  const sizeValue: unknown = size ?? scaleFactor;

  // Spatial dimensions and batching.
  const rank = input.shape.length;
  let d: number;
  if (fixesDims) {
    d = MODE_DIMS[mode]!;
    if (rank !== d + 1 && rank !== d + 2) {
      fail(
        fn,
        'input.shape',
        input.shape,
        `must have ${d + 2} dimensions (N, C, ${spatialNames(d)}) or ${d + 1} (C, ${spatialNames(d)}) for mode ${show(mode)}`,
      );
    }
  } else if (Array.isArray(sizeValue)) {
    d = sizeValue.length;
    if (d < 1 || d > 3)
      fail(fn, sizeName, sizeValue, 'must have 1, 2 or 3 entries, one per spatial dimension');
    if (rank < 2 || rank > 5) {
      fail(
        fn,
        'input.shape',
        input.shape,
        'must have 3 to 5 dimensions (N, C, *spatial) or 2 to 4 (C, *spatial)',
      );
    }
    if (rank !== d + 1 && rank !== d + 2) {
      const batchedDims = rank - 2;
      fail(
        fn,
        sizeName,
        sizeValue,
        `must have one entry per spatial dimension of input of shape ${show(input.shape)}: ` +
          (batchedDims >= 1 ? `${batchedDims} for (N, C, *spatial) or ` : '') +
          `${rank - 1} for unbatched (C, *spatial)`,
      );
    }
  } else {
    if (rank === 3) {
      // (C, H, W) image or (N, C, W) signal? PyTorch's rank rule silently picks the signal and
      // resizes only the width of an image; refuse rather than guess (README, "interpolate").
      const v = show(sizeValue);
      fail(
        fn,
        sizeName,
        sizeValue,
        `is a single number for an input of shape ${show(input.shape)} and mode ${show(mode)}, which has two readings: an image (C, H, W), then give ${sizeName}: [${v}, ${v}] to resize H and W; or a batch of 1-D signals (N, C, W), then give ${sizeName}: [${v}] to resize W only (PyTorch's reading)`,
      );
    }
    d = rank - 2;
    if (d < 1 || d > 3) {
      fail(
        fn,
        'input.shape',
        input.shape,
        `must have 3 to 5 dimensions (N, C, *spatial) for mode ${show(mode)}; for an unbatched input (C, *spatial) give ${sizeName} as an array with one entry per spatial dimension`,
      );
    }
  }
  const batched = rank === d + 2;
  const inputSpatial = input.shape.slice(rank - d);
  const channels = input.shape[rank - d - 1]!;
  const batch = batched ? input.shape[0]! : 1;

  // Output size.
  let outputSpatial: number[];
  let scales: (number | undefined)[];
  if (size !== undefined) {
    outputSpatial = perDimNumbers(
      fn,
      'size',
      size,
      d,
      'a positive integer',
      (v) => Number.isInteger(v) && (v as number) > 0,
    );
    scales = new Array<undefined>(d).fill(undefined);
  } else {
    const factors = perDimNumbers(
      fn,
      'scaleFactor',
      scaleFactor,
      d,
      'a positive finite number',
      (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
    );
    outputSpatial = factors.map((s, i) => {
      const out = scaledLength(inputSpatial[i]!, s);
      if (out < 1 && inputSpatial[i]! > 0) {
        fail(
          fn,
          Array.isArray(scaleFactor) ? `scaleFactor[${i}]` : 'scaleFactor',
          s,
          `gives the output size floor(${inputSpatial[i]} * ${s}) = ${out}: it must be at least 1`,
        );
      }
      return out;
    });
    // 'area' recomputes: it pools to the output size and never reads the scale factor.
    scales = mode === 'area' ? new Array<undefined>(d).fill(undefined) : factors;
  }
  if (channels === 0 || inputSpatial.some((s) => s === 0)) {
    fail(
      fn,
      'input.shape',
      input.shape,
      'must have non-zero channel and spatial sizes (only the batch may be empty)',
    );
  }
  const outputShape = batched ? [batch, channels, ...outputSpatial] : [channels, ...outputSpatial];
  const perPlane = numel(outputSpatial);
  if (!(perPlane * channels <= MAX_ELEMENTS) || !(numel(outputShape) <= MAX_ELEMENTS)) {
    fail(
      fn,
      sizeName,
      sizeValue,
      `gives an output of shape ${show(outputShape)}, more than the ${MAX_ELEMENTS} elements one tensor can hold`,
    );
  }

  // An empty batch reads no taps: none are built (they are sized by the spatial sizes, which an
  // empty batch leaves as large as 2³¹ − 1), and the kernels are not called (ops/interpolate.ts).
  const dimTaps = (n: number, i: number): Taps =>
    batch === 0 ? identityTaps() : dimensionTaps(mode, n, outputSpatial[i]!, alignCorners, scales[i]);
  const nearestTaps = (n: number, i: number): Taps =>
    batch === 0 ? identityTaps() : nearestIdxTaps(n, outputSpatial[i]!, scales[i]);
  // Tables within the element budget may still not fit in memory: a DeconvError, not a RangeError.
  const taps = tables(fn, sizeName, sizeValue, () => inputSpatial.map(dimTaps));
  // PyTorch 1.13's own disagreements, reproduced so that outputs and gradients equal its values
  // (see the header): 'nearest' backward always, and its forward for a single channel in 2-d/3-d
  // (the channels-last kernel), map with `nearest_idx`'s shortcuts; 'bicubic' backward copies when
  // every output size equals the input size.
  // (the shortcut tables are built only where they are read: lazily for the backward pass)
  const shortcutTaps = (): Taps[] => tables(fn, sizeName, sizeValue, () => inputSpatial.map(nearestTaps));
  const forwardTaps = mode === 'nearest' && d >= 2 && channels === 1 ? shortcutTaps() : taps;
  const backwardSource = (): Taps[] =>
    mode === 'nearest'
      ? shortcutTaps()
      : mode === 'bicubic' && inputSpatial.every((n, i) => n === outputSpatial[i])
        ? inputSpatial.map((n) => (batch === 0 ? identityTaps() : nearestIdxTaps(n, n, undefined)))
        : taps;
  const pad3 = (ts: Taps[]): [Taps, Taps, Taps] => {
    const out = [...ts];
    while (out.length < 3) out.unshift(identityTaps());
    return out as [Taps, Taps, Taps];
  };
  const forward = pad3(forwardTaps);
  const backward = new LazyBackward(() =>
    tables(fn, sizeName, sizeValue, () => pad3(backwardSource()).map(transposeTaps) as [Taps, Taps, Taps]),
  );
  return Object.freeze(
    Object.assign(backward, {
      mode,
      alignCorners,
      d,
      batched,
      planes: batch * channels,
      inputShape: Object.freeze([...input.shape]),
      outputShape: Object.freeze(outputShape),
      inputSpatial: Object.freeze(inputSpatial),
      outputSpatial: Object.freeze(outputSpatial),
      forward: Object.freeze(forward),
    }),
  );
}

/**
 * The base of a geometry record whose `backward` taps are built on first read (the backward pass),
 * so that a forward-only call holds one set of tables.
 *
 * The getter lives on this class's prototype, on purpose: a getter written in an object literal
 * (or added with `Object.defineProperty`) sits in an accessor pair that V8 allocates in the old
 * generation, and from there its closure, with every table the closure's scope reaches, survives
 * each scavenge until the next full collection. Measured on test/storage.test.ts's loop (10⁴
 * interpolate calls): `arrayBuffers` grew by 2 KB per call, to 11–12 MB, and fell back only at
 * major GCs; with the getter on a prototype it stays flat.
 */
export class LazyBackward {
  #build: (() => readonly [Taps, Taps, Taps]) | undefined;
  #backward: readonly [Taps, Taps, Taps] | undefined;

  constructor(build: () => readonly [Taps, Taps, Taps]) {
    this.#build = build;
  }

  /** The transposed taps, built by the constructor's `build` on first read. */
  get backward(): readonly [Taps, Taps, Taps] {
    if (this.#build) {
      this.#backward = Object.freeze(this.#build());
      this.#build = undefined;
    }
    return this.#backward!;
  }
}

/** Builds tap tables, turning an allocation failure into a DeconvError naming the size option. */
export function tables<T>(fn: string, sizeName: string, sizeValue: unknown, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return fail(
      fn,
      sizeName,
      sizeValue,
      `needs interpolation tables that could not be allocated: ${e.message}`,
    );
  }
}

/**
 * `pixelShuffle` `(*, C·r², H, W) -> (*, C, H·r, W·r)` and `pixelUnshuffle`, its inverse. Output
 * element `(b, c, h·r + i, w·r + j)` of the shuffle is input element `(b, c·r² + i·r + j, h, w)`.
 */
export interface ShuffleGeometry {
  readonly factor: number;
  /** product of the leading (batch) dimensions */
  readonly batch: number;
  /** channels of the low-resolution side, `C` (the high-resolution side has `C`, the low `C·r²`) */
  readonly channels: number;
  /** height and width of the low-resolution side */
  readonly height: number;
  readonly width: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

/** Checks the arguments of `pixelShuffle` (`unshuffle` false) or `pixelUnshuffle` and sizes the result. */
export function shuffleGeometry(
  fn: string,
  shape: readonly number[],
  factor: unknown,
  unshuffle: boolean,
): ShuffleGeometry {
  const rank = shape.length;
  if (rank < 3) {
    fail(fn, 'input.shape', shape, 'must have at least 3 dimensions (*, C, H, W)');
  }
  if (typeof factor !== 'number' || !Number.isInteger(factor) || factor < 1) {
    fail(fn, 'factor', factor, 'must be a positive integer');
  }
  const r = factor;
  const lead = shape.slice(0, rank - 3);
  const [c, h, w] = shape.slice(rank - 3) as [number, number, number];
  if (!unshuffle) {
    if (c % (r * r) !== 0) {
      fail(
        fn,
        'input.shape',
        shape,
        `must have channels (dimension ${rank - 3}) = ${c} divisible by factor² = ${r * r}`,
      );
    }
    const outputShape = [...lead, c / (r * r), h * r, w * r];
    checkSize(fn, r, outputShape);
    return freezeShuffle(r, numel(lead), c / (r * r), h, w, shape, outputShape);
  }
  if (h % r !== 0)
    fail(
      fn,
      'input.shape',
      shape,
      `must have height (dimension ${rank - 2}) = ${h} divisible by factor = ${r}`,
    );
  if (w % r !== 0)
    fail(
      fn,
      'input.shape',
      shape,
      `must have width (dimension ${rank - 1}) = ${w} divisible by factor = ${r}`,
    );
  const outputShape = [...lead, c * r * r, h / r, w / r];
  checkSize(fn, r, outputShape);
  return freezeShuffle(r, numel(lead), c, h / r, w / r, shape, outputShape);
}

function checkSize(fn: string, factor: number, outputShape: number[]): void {
  // The output has as many elements as the input; only absurd factors on empty inputs overflow.
  if (!outputShape.every((s) => s <= MAX_ELEMENTS)) {
    fail(
      fn,
      'factor',
      factor,
      `gives the output shape ${show(outputShape)}, a dimension larger than ${MAX_ELEMENTS}`,
    );
  }
}

function freezeShuffle(
  factor: number,
  batch: number,
  channels: number,
  height: number,
  width: number,
  inputShape: readonly number[],
  outputShape: number[],
): ShuffleGeometry {
  return Object.freeze({
    factor,
    batch,
    channels,
    height,
    width,
    inputShape: Object.freeze([...inputShape]),
    outputShape: Object.freeze(outputShape),
  });
}
