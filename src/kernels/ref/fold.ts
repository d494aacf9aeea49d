/**
 * Reference im2col / col2im kernels: obvious loops over 1 to 3 spatial dimensions padded to 3,
 * on raw arrays and the fold geometry record (see geometry/fold.ts for the layouts).
 *
 *   im2col  cols[n, c·K + k, l] = image[n, c, l·s − pBegin + k·d]   (0 where that is padding)
 *   col2im  image[n, c, p] = Σ over (k, l) with l·s − pBegin + k·d = p of cols[n, c·K + k, l]
 *
 * col2im is the adjoint of im2col: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
 */
import { to3 } from '../../geometry/arithmetic.js';
import type { FoldGeometry } from '../../geometry/fold.js';
import type { FloatData } from '../../tensor.js';

interface Dims {
  X: [number, number, number];
  B: [number, number, number];
  K: [number, number, number];
  S: [number, number, number];
  D: [number, number, number];
  P: [number, number, number];
  plane: number;
  L: number;
  kVol: number;
  planes: number; // N·C
}

function dims(g: FoldGeometry, imageLength: number, colsLength: number): Dims {
  const X = to3(g.imageSize, 1);
  const B = to3(g.blocks, 1);
  const K = to3(g.kernel, 1);
  const plane = X[0] * X[1] * X[2];
  const planes = g.batch * g.channels;
  const L = B[0] * B[1] * B[2];
  const kVol = K[0] * K[1] * K[2];
  // Internal invariants: the op allocated both arrays from this geometry.
  if (imageLength !== planes * plane || colsLength !== planes * kVol * L) {
    throw new Error(
      `${g.fn}: internal error: arrays of length ${imageLength} and ${colsLength} do not match the geometry ` +
        `(${planes * plane} and ${planes * kVol * L})`,
    );
  }
  return {
    X,
    B,
    K,
    S: to3(g.stride, 1),
    D: to3(g.dilation, 1),
    P: to3(g.padBegin, 0),
    plane,
    L,
    kVol,
    planes,
  };
}

/**
 * Calls `body(colOffset, imageIndex)` for every (kernel tap, block) of one plane, in the columns'
 * row-major order (k, l); `imageIndex` is −1 where the tap lands in the padding.
 */
function forEachTap(m: Dims, body: (colOffset: number, imageIndex: number) => void): void {
  const { X, B, K, S, D, P, L } = m;
  for (let kz = 0; kz < K[0]; kz++)
    for (let ky = 0; ky < K[1]; ky++)
      for (let kx = 0; kx < K[2]; kx++) {
        const rowOff = ((kz * K[1] + ky) * K[2] + kx) * L;
        for (let bz = 0; bz < B[0]; bz++) {
          const iz = bz * S[0] - P[0] + kz * D[0];
          const zIn = iz >= 0 && iz < X[0];
          for (let by = 0; by < B[1]; by++) {
            const iy = by * S[1] - P[1] + ky * D[1];
            const yIn = zIn && iy >= 0 && iy < X[1];
            const colRow = rowOff + (bz * B[1] + by) * B[2];
            for (let bx = 0; bx < B[2]; bx++) {
              const ix = bx * S[2] - P[2] + kx * D[2];
              const inside = yIn && ix >= 0 && ix < X[2];
              body(colRow + bx, inside ? (iz * X[1] + iy) * X[2] + ix : -1);
            }
          }
        }
      }
}

/** im2col: `cols` (N, C·∏k, L) fully written from `image` (N, C, *imageSize). */
export function im2colRef(g: FoldGeometry, image: FloatData, cols: FloatData): void {
  const m = dims(g, image.length, cols.length);
  const colPlane = m.kVol * m.L;
  for (let q = 0; q < m.planes; q++) {
    const xOff = q * m.plane;
    const cOff = q * colPlane;
    forEachTap(m, (co, xi) => {
      cols[cOff + co] = xi < 0 ? 0 : image[xOff + xi]!;
    });
  }
}

/** col2im: `image` (N, C, *imageSize) fully written, overlapping blocks summed, from `cols`. */
export function col2imRef(g: FoldGeometry, cols: FloatData, image: FloatData): void {
  const m = dims(g, image.length, cols.length);
  const colPlane = m.kVol * m.L;
  const acc = new Float64Array(m.plane);
  for (let q = 0; q < m.planes; q++) {
    const cOff = q * colPlane;
    acc.fill(0);
    forEachTap(m, (co, xi) => {
      if (xi >= 0) acc[xi] += cols[cOff + co]!;
    });
    image.set(acc, q * m.plane);
  }
}
