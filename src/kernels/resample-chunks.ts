/**
 * Resampling over blocks of the output, for every kernel path: a dimension with more than
 * `resampleTuning.chunk` outputs (geometry/interpolate.ts) is cut into ranges of at most that many
 * outputs, and the kernel runs once per block with the taps of the block's ranges (`sliceTaps`).
 * The tap tables and the kernels' scratch (row caches, accumulators) are then sized by the block,
 * so a 1-D resize to 8·10⁸ samples holds its output and a few megabytes, not 40 bytes per output.
 *
 * Each block is one plane's contiguous run of output elements (whole rows of the last dimension,
 * or a range of one row when the rows themselves are too long), so the kernels need no strides.
 * Every output element is computed from the same taps with the same arithmetic as in one call
 * over the whole output, so the values are the same bit for bit.
 *
 * The backward pass of such a dimension sums over its many outputs: there the transposed taps come
 * range by range of their inputs (`tapsByInputRange`), and `resampleByInputRanges` adds the ranges'
 * terms into float64 sums in the reference kernel's order (each output's terms by (k0, k1) with the
 * inner row sums over k2, every sum from +0, as transposed taps sum), so its values are the
 * reference's, bit for bit, on every kernel path.
 */
import { resampleTuning, sliceTaps, tapsByInputRange, type Taps } from '../geometry/interpolate.js';
import type { FloatData } from '../tensor.js';
import { checkResampleSizes } from './ref/resample.js';

/** A resampling kernel: kernels/ref/resample.ts's `resample` signature. */
export type ResampleKernel = (
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
) => void;

/** Whether some dimension of `taps` has more outputs than one block holds. */
export function needsChunks(taps: readonly [Taps, Taps, Taps]): boolean {
  const c = resampleTuning.chunk;
  return taps.some((t) => t.outSize > c);
}

/**
 * `kernel(src, dst, planes, taps)`, run over blocks of at most `resampleTuning.chunk` outputs
 * along every dimension longer than that (in one call when there is none).
 */
export function resampleInChunks(
  kernel: ResampleKernel,
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  const byRanges = taps.map(tapsByInputRange);
  const ranged = byRanges.filter((b) => b !== null).length;
  // only one dimension can be that long within the element budget (two would hold more than
  // 2^36 elements); where several are (tests shrink the chunk), their whole tables are built
  if (ranged === 1) return resampleByInputRanges(src, dst, planes, taps, byRanges);
  if (!needsChunks(taps)) return kernel(src, dst, planes, taps);
  const [inPlane, outPlane] = checkResampleSizes(src, dst, planes, taps);
  const c = resampleTuning.chunk;
  const [t0, t1, t2] = taps;
  const [n0, n1, n2] = [t0.outSize, t1.outSize, t2.outSize];
  const ranges = (n: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let a = 0; a < n; a += c) out.push([a, Math.min(a + c, n)]);
    return out;
  };
  for (let p = 0; p < planes; p++) {
    const s = src.subarray(p * inPlane, (p + 1) * inPlane);
    const base = p * outPlane;
    const run = (at: number, block: readonly [Taps, Taps, Taps]): void => {
      const size = block[0].outSize * block[1].outSize * block[2].outSize;
      kernel(s, dst.subarray(at, at + size), 1, block);
    };
    if (n2 > c) {
      // rows longer than a block: a range of one row at a time, the range's taps built once
      for (const [a2, b2] of ranges(n2)) {
        const s2 = sliceTaps(t2, a2, b2);
        for (let o0 = 0; o0 < n0; o0++) {
          const s0 = sliceTaps(t0, o0, o0 + 1);
          for (let o1 = 0; o1 < n1; o1++)
            run(base + (o0 * n1 + o1) * n2 + a2, [s0, sliceTaps(t1, o1, o1 + 1), s2]);
        }
      }
    } else if (n1 > c) {
      for (let o0 = 0; o0 < n0; o0++) {
        const s0 = sliceTaps(t0, o0, o0 + 1);
        for (const [a1, b1] of ranges(n1)) run(base + (o0 * n1 + a1) * n2, [s0, sliceTaps(t1, a1, b1), t2]);
      }
    } else {
      for (const [a0, b0] of ranges(n0)) run(base + a0 * n1 * n2, [sliceTaps(t0, a0, b0), t1, t2]);
    }
  }
}

type RangeBuilder = ((begin: number, end: number) => Taps) | null;

/** `[taps, first input]` for each range of at most `resampleTuning.chunk` inputs of a dimension. */
function* parts(t: Taps, byRange: RangeBuilder): Generator<[Taps, number]> {
  if (byRange === null) {
    yield [t, 0];
    return;
  }
  const c = resampleTuning.chunk;
  for (let a = 0; a < t.inSize; a += c) yield [byRange(a, Math.min(a + c, t.inSize)), a];
}

/**
 * The resample of taps of which one dimension comes by ranges of its inputs (a backward pass):
 * `dst[p, i0, i1, i2] = +0 + Σ_k0 Σ_k1 (w0·w1) · (+0 + Σ_k2 w2 · src[p, o0, o1, o2])`, the terms in
 * the order of kernels/ref/resample.ts (k0, then k1, then k2, each in the order of its taps: the
 * order of the inputs, range after range), in float64.
 */
function resampleByInputRanges(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
  byRanges: readonly RangeBuilder[],
): void {
  const [inPlane, outPlane] = checkResampleSizes(src, dst, planes, taps);
  const [t0, t1, t2] = taps;
  const [, n1, n2] = [t0.inSize, t1.inSize, t2.inSize];
  const [m0, m1, m2] = [t0.outSize, t1.outSize, t2.outSize];
  const acc = new Float64Array(outPlane);
  // rows resampled along dimension 2: all of them when that dimension comes by ranges (it is then
  // the long one, and the rows are few), else one at a time
  const long2 = byRanges[2] !== null;
  const rows = new Float64Array(long2 ? t0.inSize * n1 * m2 : m2);
  for (let p = 0; p < planes; p++) {
    const s = p * inPlane;
    acc.fill(0);
    if (long2) {
      rows.fill(0);
      for (const [t, a] of parts(t2, byRanges[2] ?? null)) {
        for (let r = 0, h = 0; r < t0.inSize * n1; r++, h += m2) {
          const base = s + r * n2 + a;
          for (let i2 = 0; i2 < m2; i2++) {
            let sum = rows[h + i2]!;
            for (let k = t.start[i2]!; k < t.start[i2 + 1]!; k++)
              sum += t.weight[k]! * src[base + t.index[k]!]!;
            rows[h + i2] = sum;
          }
        }
      }
    }
    const row = (o0: number, o1: number): number => {
      const r = o0 * n1 + o1;
      if (long2) return r * m2;
      const base = s + r * n2;
      for (let i2 = 0; i2 < m2; i2++) {
        let sum = 0;
        for (let k = t2.start[i2]!; k < t2.start[i2 + 1]!; k++)
          sum += t2.weight[k]! * src[base + t2.index[k]!]!;
        rows[i2] = sum;
      }
      return 0;
    };
    for (const [u0, a0] of parts(t0, byRanges[0] ?? null)) {
      for (let i0 = 0; i0 < m0; i0++) {
        for (let k0 = u0.start[i0]!; k0 < u0.start[i0 + 1]!; k0++) {
          const o0 = a0 + u0.index[k0]!;
          const w0 = u0.weight[k0]!;
          for (const [u1, a1] of parts(t1, byRanges[1] ?? null)) {
            for (let i1 = 0; i1 < m1; i1++) {
              const at = (i0 * m1 + i1) * m2;
              for (let k1 = u1.start[i1]!; k1 < u1.start[i1 + 1]!; k1++) {
                const w01 = w0 * u1.weight[k1]!;
                const h = row(o0, a1 + u1.index[k1]!);
                for (let i2 = 0; i2 < m2; i2++) acc[at + i2] += w01 * rows[h + i2]!;
              }
            }
          }
        }
      }
    }
    dst.set(acc, p * outPlane);
  }
}
