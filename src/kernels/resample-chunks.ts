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
 */
import { resampleTuning, sliceTaps, type Taps } from '../geometry/interpolate.js';
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
