/** Register tile and cache blocking of the GEMM (asm/gemm.ts), shared by the packing code. */

/** rows of the micro-kernel's tile */
export const MR: i32 = 4;
/** columns of the micro-kernel's tile (two f32x4) */
export const NR: i32 = 8;
/** largest K block; K is split into equal blocks no longer than this */
export const KC: i32 = 256;
/** rows of A per L2 block */
export const MC: i32 = 128;
/** columns of B per packed block */
export const NC: i32 = 1024;
/** i32 entries of a GEMM call's scratch (GEMM_SCRATCH): the im2col row table (7 per K row) and column table */
export const SCRATCH_I32: i32 = KC * 7 + NR * 4;

/** The K block length: K split into ⌈K / KC⌉ equal blocks (the last one may be shorter). */
export function kcOf(K: i32): i32 {
  if (K <= KC) return K;
  const nb = (K + KC - 1) / KC;
  return (K + nb - 1) / nb;
}
