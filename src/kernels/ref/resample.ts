/**
 * Reference resampling kernels: separable tap tables applied over 1 to 3 spatial dimensions
 * (`interpolate`, forward with the forward taps, backward with their transposes) and the
 * pixel-shuffle permutation. Plain loops over raw typed arrays and a geometry record.
 */
import type { ShuffleGeometry, Taps } from '../../geometry/interpolate.js';
import type { FloatData, TensorData } from '../../tensor.js';

/**
 * The plane sizes `[inPlane, outPlane]` of a resample call; throws (an internal error: the ops
 * allocate the buffers) when the buffers do not hold `planes` of them. Shared by every kernel path.
 */
export function checkResampleSizes(
  src: { length: number },
  dst: { length: number },
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): [number, number] {
  const [t0, t1, t2] = taps;
  const inPlane = t0.inSize * t1.inSize * t2.inSize;
  const outPlane = t0.outSize * t1.outSize * t2.outSize;
  if (src.length !== planes * inPlane || dst.length !== planes * outPlane) {
    throw new Error(
      `resample: internal error, buffers of ${src.length} and ${dst.length} elements for ${planes} planes of ${inPlane} -> ${outPlane}`,
    );
  }
  return [inPlane, outPlane];
}

/** The element count of a pixel (un)shuffle call; throws when the buffers do not hold it. */
export function checkShuffleSizes(
  src: { length: number },
  dst: { length: number },
  g: ShuffleGeometry,
): number {
  const total = g.batch * g.channels * g.factor * g.factor * g.height * g.width;
  if (src.length !== total || dst.length !== total) {
    throw new Error(
      `pixelShuffle: internal error, buffers of ${src.length} and ${dst.length} elements, expected ${total}`,
    );
  }
  return total;
}

/**
 * `dst[p, o0, o1, o2] = Σ w0·w1·w2 · src[p, i0, i1, i2]` over the tensor product of the taps of
 * `(o0, o1, o2)`, for each of `planes` contiguous planes. `taps` covers 3 dimensions (leading
 * 1 → 1 identity taps for fewer spatial dimensions). Every element of `dst` is written.
 */
export function resample(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
): void {
  const [t0, t1, t2] = taps;
  const [inPlane, outPlane] = checkResampleSizes(src, dst, planes, taps);
  const in1 = t1.inSize;
  const zero = t0.sumFromZero || t1.sumFromZero || t2.sumFromZero ? 0 : -0;
  const in2 = t2.inSize;
  for (let p = 0; p < planes; p++) {
    const si = p * inPlane;
    let di = p * outPlane;
    for (let o0 = 0; o0 < t0.outSize; o0++) {
      const a0 = t0.start[o0]!;
      const b0 = t0.start[o0 + 1]!;
      for (let o1 = 0; o1 < t1.outSize; o1++) {
        const a1 = t1.start[o1]!;
        const b1 = t1.start[o1 + 1]!;
        for (let o2 = 0; o2 < t2.outSize; o2++) {
          const a2 = t2.start[o2]!;
          const b2 = t2.start[o2 + 1]!;
          // −0 is the identity of addition (+0 is not: 0 + −0 = 0): a sum of −0 terms stays −0,
          // as in PyTorch, whose kernels copy (nearest) or add weighted terms without a zero start.
          let sum = zero;
          for (let k0 = a0; k0 < b0; k0++) {
            const w0 = t0.weight[k0]!;
            const r0 = t0.index[k0]! * in1;
            for (let k1 = a1; k1 < b1; k1++) {
              const w01 = w0 * t1.weight[k1]!;
              const r1 = si + (r0 + t1.index[k1]!) * in2;
              let row = zero;
              for (let k2 = a2; k2 < b2; k2++) row += t2.weight[k2]! * src[r1 + t2.index[k2]!]!;
              sum += w01 * row;
            }
          }
          dst[di++] = sum;
        }
      }
    }
  }
}

/**
 * Pixel shuffle `(B, C·r², H, W) -> (B, C, H·r, W·r)` (`unshuffle` false) or its inverse, with
 * `H`, `W`, `C` the low-resolution sizes of the geometry. The two are transposes (and inverses)
 * of each other: each moves every element exactly once.
 */
export function pixelShuffleKernel(
  src: TensorData,
  dst: TensorData,
  g: ShuffleGeometry,
  unshuffle: boolean,
): void {
  const { factor: r, batch, channels, height: h, width: w } = g;
  checkShuffleSizes(src, dst, g);
  const hr = h * r;
  const wr = w * r;
  for (let bc = 0; bc < batch * channels; bc++) {
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        // low: (bc·r² + i·r + j, y, x); high: (bc, y·r + i, x·r + j)
        const lowBase = (bc * r * r + i * r + j) * h * w;
        for (let y = 0; y < h; y++) {
          const low = lowBase + y * w;
          const high = (bc * hr + y * r + i) * wr + j;
          if (unshuffle) for (let x = 0; x < w; x++) dst[low + x] = src[high + x * r]!;
          else for (let x = 0; x < w; x++) dst[high + x * r] = src[low + x]!;
        }
      }
    }
  }
}
