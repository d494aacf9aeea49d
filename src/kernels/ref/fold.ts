/**
 * Reference im2col / col2im kernels: obvious loops over 1 to 3 spatial dimensions padded to 3,
 * on raw arrays and the fold geometry record (see geometry/fold.ts for the layouts).
 *
 *   im2col  cols[n, c·K + k, l] = image[n, c, l·s − pBegin + k·d]   (0 where that is padding)
 *   col2im  image[n, c, p] = Σ over (k, l) with l·s − pBegin + k·d = p of cols[n, c·K + k, l]
 *
 * col2im is the adjoint of im2col: ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
 */
import type { FoldGeometry } from '../../geometry/fold.js';
import type { FloatData } from '../../tensor.js';
import { foldPlan, type FoldPlan } from '../plan.js';

/**
 * Calls `body(colOffset, imageIndex)` for every (kernel tap, block) of one plane, in the columns'
 * row-major order (k, l); `imageIndex` is −1 where the tap lands in the padding.
 */
function forEachTap(m: FoldPlan, body: (colOffset: number, imageIndex: number) => void): void {
  const { xSize: X, ySize: B, kernelSize: K, stride: S, dilation: D, padBegin: P, blockCount: L } = m;
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
  const m = foldPlan(g, image.length, cols.length);
  const colPlane = m.kernelVolume * m.blockCount;
  for (let q = 0; q < m.planes; q++) {
    const xOff = q * m.xPlane;
    const cOff = q * colPlane;
    forEachTap(m, (co, xi) => {
      cols[cOff + co] = xi < 0 ? 0 : image[xOff + xi]!;
    });
  }
}

/** col2im: `image` (N, C, *imageSize) fully written, overlapping blocks summed, from `cols`. */
export function col2imRef(g: FoldGeometry, cols: FloatData, image: FloatData): void {
  const m = foldPlan(g, image.length, cols.length);
  const colPlane = m.kernelVolume * m.blockCount;
  const acc = new Float64Array(m.xPlane);
  for (let q = 0; q < m.planes; q++) {
    const cOff = q * colPlane;
    acc.fill(0);
    forEachTap(m, (co, xi) => {
      if (xi >= 0) acc[xi] += cols[cOff + co]!;
    });
    image.set(acc, q * m.xPlane);
  }
}
