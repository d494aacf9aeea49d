/**
 * The resampling family's memory-bound kernels on WebAssembly (asm/resample.ts): same signatures
 * and same values as kernels/fast/resample.ts and kernels/fast/pool.ts, plus the engine; float32
 * data only (pixel shuffle also moves int32 data). Per call: the operands and the tap tables are
 * copied into linear memory, the kernel runs over the planes split across the worker pool's
 * threads, the output is copied out.
 *
 * Threads split a call by planes (N·C; pixel shuffle by groups of r² low-resolution planes), and
 * only when it writes at least threadTuning.minBytes: every output element is written by exactly
 * one job, with the same arithmetic, so results are bit-identical for every thread count.
 */
import type { ShuffleGeometry, Taps } from '../../geometry/interpolate.js';
import type { PoolGeometry } from '../../geometry/pool.js';
import type { TensorData } from '../../tensor.js';
import { isIdentity, isNearest, uniformTaps } from '../fast/resample.js';
import { checkResampleSizes, checkShuffleSizes } from '../ref/resample.js';
import { R, U, P, KIND_SEPARABLE, KIND_GATHER, KIND_COPY_ROWS, KIND_DOUBLE_ROWS } from './abi.js';
import { threadTuning } from './conv.js';
import type { WasmEngine } from './loader.js';
import { FN, parallel, threadsOf, type Job } from './threads.js';

/** [start, end) of part t of `units` units split into `parts` near-equal runs. */
function part(units: number, parts: number, t: number): [number, number] {
  return [Math.floor((t * units) / parts), Math.floor(((t + 1) * units) / parts)];
}

/** Threads for a step over `units` planes writing `bytes`: 1 below threadTuning.minBytes. */
function threadCount(e: WasmEngine, units: number, bytes: number): number {
  return bytes >= threadTuning.minBytes ? Math.max(1, Math.min(units, threadsOf(e))) : 1;
}

/**
 * Runs `fn` over `units` planes in T jobs: `record(u0, n)` writes the record of planes
 * [u0, u0 + n) and returns its byte offset.
 */
function runSplit(
  e: WasmEngine,
  fn: number,
  units: number,
  T: number,
  record: (t: number, u0: number, n: number) => number,
): void {
  const jobs: Job[] = [];
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(units, T, t);
    jobs.push([fn, record(t, u0, u1 - u0)]);
  }
  parallel(e, jobs);
}

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

/** Copies 32-bit data (float32 or int32) in; returns the byte offset. */
function copyIn32(e: WasmEngine, a: Float32Array | Int32Array): number {
  return a instanceof Float32Array ? e.copyIn(a) : copyInt32(e, a);
}

function copyOut32(e: WasmEngine, p: number, a: Float32Array | Int32Array): void {
  if (a instanceof Float32Array) e.copyOut(p, a);
  else a.set(e.i32.subarray(p >> 2, (p >> 2) + a.length));
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

/** The gather plan for nearest taps (or the separable plan, KIND_SEPARABLE). */
function kindOf(taps: readonly [Taps, Taps, Taps]): number {
  if (!taps.every(isNearest)) return KIND_SEPARABLE;
  const t2 = taps[2];
  if (isIdentity(t2)) return KIND_COPY_ROWS;
  if (t2.outSize === 2 * t2.inSize && t2.index.every((i, o) => i === o >> 1)) return KIND_DOUBLE_ROWS;
  return KIND_GATHER;
}

/**
 * `dst[p, o0, o1, o2] = Σ w0·w1·w2 · src[p, i0, i1, i2]` over the tensor product of the taps of
 * `(o0, o1, o2)`, for each of `planes` contiguous planes (see kernels/ref/resample.ts); the values
 * of the reference, apart from the sign of a zero sum.
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
  const dp = e.alloc(dst.length);
  const kind = kindOf(taps);
  const tables: number[] = [];
  for (const t of taps) tables.push(copyInt32(e, t.start));
  for (const t of taps) tables.push(copyInt32(e, t.index));
  for (const t of taps) tables.push(copyFloat64(e, t.weight));
  const separable = kind === KIND_SEPARABLE;
  const n = uniformTaps(t2);
  const hKind = n === 1 || n === 2 ? n : 0;
  const slots = separable ? cacheSlots(t0, t1) : 0;
  const T = threadCount(e, planes, 4 * dst.length);
  const shape = [t0.inSize, t1.inSize, t2.inSize, t0.outSize, t1.outSize, t2.outSize];
  runSplit(e, FN.resample, planes, T, (_t, p0, np) => {
    const cache = separable ? e.alloc(2 * (slots + 1) * t2.outSize) : 0;
    const tags = separable ? e.alloc(slots) : 0;
    const r = e.record(R.FIELDS);
    e.setAll(r, 0, [sp + 4 * p0 * inPlane, dp + 4 * p0 * outPlane, np, ...shape, ...tables]);
    e.setAll(r, R.KIND, [kind, hKind, cache, tags, slots]);
    return r;
  });
  e.copyOut(dp, dst);
}

/** Max unpooling: `y = 0`, then `y[plane, indices[plane, i]] = x[plane, i]` in input order. */
export function maxUnpoolWasm(
  e: WasmEngine,
  g: PoolGeometry,
  x: Float32Array,
  indices: Int32Array,
  y: Float32Array,
): void {
  unpool(e, g, x, indices, y, false);
}

/** Max unpooling's backward pass: `gx[plane, i] = gy[plane, indices[plane, i]]`. */
export function maxUnpoolBackwardWasm(
  e: WasmEngine,
  g: PoolGeometry,
  gy: Float32Array,
  indices: Int32Array,
  gx: Float32Array,
): void {
  unpool(e, g, gy, indices, gx, true);
}

function unpool(
  e: WasmEngine,
  g: PoolGeometry,
  src: Float32Array,
  indices: Int32Array,
  dst: Float32Array,
  backward: boolean,
): void {
  const small = g.inPlane;
  const large = g.outPlane;
  const [ls, ld] = backward ? [large, small] : [small, large];
  if (src.length !== g.planes * ls || dst.length !== g.planes * ld || indices.length !== g.planes * small) {
    throw new Error(
      `maxUnpool: internal error, buffers of ${src.length}, ${indices.length} and ${dst.length} elements for ${g.planes} planes of ${small} <-> ${large}`,
    );
  }
  if (dst.length === 0) return;
  e.reset();
  const sp = e.copyIn(src);
  const ip = copyInt32(e, indices);
  const dp = e.alloc(dst.length);
  const T = threadCount(e, g.planes, 4 * dst.length);
  runSplit(e, backward ? FN.maxUnpoolBackward : FN.maxUnpool, g.planes, T, (_t, p0, np) => {
    const r = e.record(U.FIELDS);
    e.setAll(r, 0, [sp + 4 * p0 * ls, ip + 4 * p0 * small, dp + 4 * p0 * ld, np, small, large]);
    return r;
  });
  e.copyOut(dp, dst);
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
  const sp = copyIn32(e, src);
  const dp = e.alloc(total);
  const group = r * r * h * w;
  const nbc = batch * channels;
  const T = threadCount(e, nbc, 4 * total);
  runSplit(e, FN.pixelShuffle, nbc, T, (_t, u0, n) => {
    const rec = e.record(P.FIELDS);
    e.setAll(rec, 0, [sp + 4 * u0 * group, dp + 4 * u0 * group, n, r, h, w, unshuffle ? 1 : 0]);
    return rec;
  });
  copyOut32(e, dp, dst);
}

/** Whether pixelShuffleWasm can move these arrays (32-bit elements of one type). */
export function shuffleable(src: TensorData, dst: TensorData): boolean {
  return (
    (src instanceof Float32Array && dst instanceof Float32Array) ||
    (src instanceof Int32Array && dst instanceof Int32Array)
  );
}
