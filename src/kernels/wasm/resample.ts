/**
 * The resampling family's memory-bound kernels on WebAssembly (asm/resample.ts): same signatures
 * and same values as kernels/fast/resample.ts and kernels/fast/pool.ts, plus the engine; float32
 * data only (pixel shuffle also moves int32 data). Per call: the operands and the tap tables are
 * copied into linear memory, the kernel runs over the planes split across the worker pool's
 * threads, the output is copied out.
 *
 * Threads split a call by planes (N·C; pixel shuffle by groups of r² low-resolution planes), and
 * only when it writes at least threadTuning.minBytes (split.ts): every output element is written by exactly
 * one job, with the same arithmetic, so results are bit-identical for every thread count.
 */
import type { ShuffleGeometry, Taps } from '../../geometry/interpolate.js';
import type { PoolGeometry } from '../../geometry/pool.js';
import type { TensorData } from '../../tensor.js';
import { isIdentity, isNearest, uniformTaps } from '../fast/resample.js';
import { checkResampleSizes, checkShuffleSizes } from '../ref/resample.js';
import { RESAMPLE, RESAMPLE_KIND, SHUFFLE, UNPOOL } from './layout.js';
import type { WasmEngine } from './loader.js';
import { runByUnits } from './split.js';
import { FN } from './threads.js';

function copyInt32(e: WasmEngine, a: Int32Array): number {
  const p = e.alloc(a.length);
  e.i32.set(a, p >> 2);
  return p;
}

function copyFloat64(e: WasmEngine, a: Float64Array): number {
  const p = e.alloc(2 * a.length);
  new Float64Array(e.fns.memory.buffer, p, a.length).set(a);
  return p;
}

/** Row-cache slots of the separable plan: a power of 2 of at least 2 × (rows one output row reads) + 4. */
function cacheSlots(t0: Taps, t1: Taps): number {
  let maxTaps = 1;
  let m1 = 0;
  for (let o1 = 0; o1 < t1.outSize; o1++) m1 = Math.max(m1, t1.start[o1 + 1]! - t1.start[o1]!);
  for (let o0 = 0; o0 < t0.outSize; o0++)
    maxTaps = Math.max(maxTaps, (t0.start[o0 + 1]! - t0.start[o0]!) * m1);
  let slots = 4;
  while (slots < 2 * maxTaps + 4 && slots < 1024) slots *= 2;
  return slots;
}

/** The gather plan for nearest taps (or a separable plan). */
function kindOf(taps: readonly [Taps, Taps, Taps]): number {
  if (taps.some((t) => t.sumFromZero)) return RESAMPLE_KIND.separableFromZero;
  if (!taps.every(isNearest)) return RESAMPLE_KIND.separable;
  const t2 = taps[2];
  if (isIdentity(t2)) return RESAMPLE_KIND.copyRows;
  if (t2.outSize === 2 * t2.inSize && doubles(t2.index)) return RESAMPLE_KIND.doubleRows;
  return RESAMPLE_KIND.gather;
}

/** Whether `index[o] = o >> 1` for every `o`. */
function doubles(index: Int32Array): boolean {
  for (let o = 0; o < index.length; o++) if (index[o] !== o >> 1) return false;
  return true;
}

/**
 * Output row pairs per band of the sliding rows (asm/resample.ts slidingRows): 16 pairs of rows
 * read 17 source rows, whose dimension-2 passes (out2 f64 each: 17 KB at 128 outputs a row) stay
 * in L1 beside the 32 output rows they blend into.
 */
const BAND_PAIRS = 16;

/**
 * `dst[p, o0, o1, o2] = Σ w0·w1·w2 · src[p, i0, i1, i2]` over the tensor product of the taps of
 * `(o0, o1, o2)`, for each of `planes` contiguous planes (see kernels/ref/resample.ts); the values
 * of the reference, bit for bit (the sign of a zero included).
 */
export function resampleWasm(
  e: WasmEngine,
  src: Float32Array,
  dst: Float32Array,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  const [t0, t1, t2] = taps;
  const [inPlane, outPlane] = checkResampleSizes(src, dst, planes, taps);
  if (dst.length === 0) return;
  e.reset();
  const sp = e.copyIn(src);
  const dp = e.output(dst);
  const kind = kindOf(taps);
  const separable = kind === RESAMPLE_KIND.separable || kind === RESAMPLE_KIND.separableFromZero;
  // the gather plans read the indices only (asm/resample.ts `nearest`)
  const starts = taps.map((t) => (separable ? copyInt32(e, t.start) : 0));
  const indices = taps.map((t) => copyInt32(e, t.index));
  const weights = taps.map((t) => (separable ? copyFloat64(e, t.weight) : 0));
  const n = separable ? uniformTaps(t2) : 0;
  const slots = separable ? cacheSlots(t0, t1) : 0;
  const [pairsBegin, pairsEnd] = separable && n === 2 ? slidingPairs(t2) : [0, 0];
  // rows blended from kept products (asm/resample.ts slidingRows) where dimension 0 only picks
  const [rowPairsBegin, rowPairsEnd] =
    separable && isNearest(t0) && uniformTaps(t1) === 2 ? slidingPairs(t1) : [0, 0];
  const bandPairs = rowPairsEnd > rowPairsBegin ? BAND_PAIRS : 0;
  runByUnits(e, FN.resample, planes, 4 * dst.length, (p0, np) =>
    e.record(RESAMPLE, {
      src: sp + 4 * p0 * inPlane,
      dst: dp + 4 * p0 * outPlane,
      planes: np,
      inputSize: [t0.inSize, t1.inSize, t2.inSize],
      outputSize: [t0.outSize, t1.outSize, t2.outSize],
      tapStart: [starts[0]!, starts[1]!, starts[2]!],
      tapIndex: [indices[0]!, indices[1]!, indices[2]!],
      tapWeight: [weights[0]!, weights[1]!, weights[2]!],
      kind,
      horizontalTaps: n === 1 || n === 2 ? n : 0,
      cache: separable ? e.alloc(2 * (slots + 1) * t2.outSize) : 0,
      tags: separable ? e.alloc(slots) : 0,
      slots,
      pairsBegin,
      pairsEnd,
      rowPairsBegin,
      rowPairsEnd,
      band: bandPairs > 0 ? e.alloc(2 * (bandPairs + 1) * t2.outSize) : 0,
      bandPairs,
    }),
  );
  e.copyOut(dp, dst);
}

/**
 * The longest run [begin, end) of outputs of two-tap taps `t` (begin 0 or 1, a multiple of 4
 * outputs long) in which they slide as ×2 upsampling's: outputs begin + 2m and begin + 2m + 1
 * both read J + m and J + m + 1 (interpolate ×2, 'linear' family, alignCorners false: begin 1,
 * J 0), with weights (a, b) and (b, a), the same a and b (bit for bit) over the whole run. There
 * asm/resample.ts multiplies each source element by a and by b once, for the four outputs that
 * use it (the same products and sums as the general pass).
 */
export function slidingPairs(t: Taps): [number, number] {
  const ix = t.index;
  const w = t.weight;
  const n = t.outSize;
  let best: [number, number] = [0, 0];
  for (let begin = 0; begin < 2; begin++) {
    const J = ix[2 * begin]!;
    const a = w[2 * begin]!;
    const b = w[2 * begin + 1]!;
    const same = (k: number): boolean =>
      Object.is(w[k], a) && Object.is(w[k + 1], b) && Object.is(w[k + 2], b) && Object.is(w[k + 3], a);
    let end = begin;
    for (; end + 4 <= n; end += 4) {
      const m = (end - begin) >> 1;
      const k = 2 * end;
      if (
        !same(k) ||
        !same(k + 4) ||
        ix[k] !== J + m ||
        ix[k + 1] !== J + m + 1 ||
        ix[k + 2] !== J + m ||
        ix[k + 3] !== J + m + 1 ||
        ix[k + 4] !== J + m + 1 ||
        ix[k + 5] !== J + m + 2 ||
        ix[k + 6] !== J + m + 1 ||
        ix[k + 7] !== J + m + 2
      )
        break;
    }
    if (end - begin > best[1] - best[0]) best = [begin, end];
  }
  return best;
}

/**
 * Max unpooling: `y = 0`, then `y[plane, indices[plane, i]] = x[plane, i]` in input order. Returns
 * −1, or the position of the first index outside the plane: each plane's indices are checked
 * before it is written, so y (the op's fresh output) is then incomplete and must be discarded.
 */
export function maxUnpoolWasm(
  e: WasmEngine,
  g: PoolGeometry,
  x: Float32Array,
  indices: Int32Array,
  y: Float32Array,
): number {
  return unpool(e, g, x, indices, y, false);
}

/** Max unpooling's backward pass: `gx[plane, i] = gy[plane, indices[plane, i]]`. */
export function maxUnpoolBackwardWasm(
  e: WasmEngine,
  g: PoolGeometry,
  gy: Float32Array,
  indices: Int32Array,
  gx: Float32Array,
): void {
  if (unpool(e, g, gy, indices, gx, true) >= 0)
    throw new Error('maxUnpool: internal error, unchecked indices');
}

function unpool(
  e: WasmEngine,
  g: PoolGeometry,
  src: Float32Array,
  indices: Int32Array,
  dst: Float32Array,
  backward: boolean,
): number {
  const small = g.inPlane;
  const large = g.outPlane;
  const [ls, ld] = backward ? [large, small] : [small, large];
  if (src.length !== g.planes * ls || dst.length !== g.planes * ld || indices.length !== g.planes * small) {
    throw new Error(
      `maxUnpool: internal error, buffers of ${src.length}, ${indices.length} and ${dst.length} elements for ${g.planes} planes of ${small} <-> ${large}`,
    );
  }
  if (dst.length === 0) return -1;
  e.reset();
  const sp = e.copyIn(src);
  const ip = e.copyIn(indices);
  const dp = e.output(dst);
  const parts = runByUnits(
    e,
    backward ? FN.maxUnpoolBackward : FN.maxUnpool,
    g.planes,
    4 * dst.length,
    (p0, np) =>
      e.record(UNPOOL, {
        src: sp + 4 * p0 * ls,
        indices: ip + 4 * p0 * small,
        dst: dp + 4 * p0 * ld,
        planes: np,
        smallPlane: small,
        largePlane: large,
        firstInvalid: -1,
      }),
  );
  if (!backward)
    for (const { u0, rec } of parts) {
      const bad = e.read(rec, UNPOOL, 'firstInvalid');
      if (bad >= 0) return u0 * small + bad;
    }
  e.copyOut(dp, dst);
  return -1;
}

/**
 * Pixel shuffle `(B, C·r², H, W) -> (B, C, H·r, W·r)` (`unshuffle` false) or its inverse (see
 * kernels/ref/resample.ts), on float32 or int32 data.
 */
export function pixelShuffleWasm(
  e: WasmEngine,
  src: Float32Array | Int32Array,
  dst: Float32Array | Int32Array,
  g: ShuffleGeometry,
  unshuffle: boolean,
): void {
  const { factor: r, batch, channels, height: h, width: w } = g;
  const total = checkShuffleSizes(src, dst, g);
  if (total === 0) return;
  e.reset();
  const sp = e.copyIn(src);
  const dp = e.output(dst);
  const group = r * r * h * w;
  const nbc = batch * channels;
  runByUnits(e, FN.pixelShuffle, nbc, 4 * total, (u0, n) =>
    e.record(SHUFFLE, {
      src: sp + 4 * u0 * group,
      dst: dp + 4 * u0 * group,
      groups: n,
      factor: r,
      height: h,
      width: w,
      unshuffle: unshuffle ? 1 : 0,
    }),
  );
  e.copyOut(dp, dst);
}

/** Whether pixelShuffleWasm can move these arrays (32-bit elements of one type). */
export function shuffleable(src: TensorData, dst: TensorData): boolean {
  return (
    (src instanceof Float32Array && dst instanceof Float32Array) ||
    (src instanceof Int32Array && dst instanceof Int32Array)
  );
}
