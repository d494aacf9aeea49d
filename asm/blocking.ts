/** Register tile and cache blocking of the GEMM (asm/gemm.ts), shared by the packing code. */

/**
 * rows of the micro-kernel's tile and of packed A's panels, unless a call asks for TILE_ROWS_WIDE
 * (GEMM.tileRows, WPACK.tileRows)
 */
export const MR: i32 = 4;
/**
 * the wider tile: 5 × 8, ten accumulators, built only with relaxed SIMD (fused multiply-add), where
 * it runs 7–9 % faster than 4 × 8 (bench/RESULTS.md); 4 in the other builds. The most rows a tile
 * has in this build: scratch tiles are sized for it.
 */
export const TILE_ROWS_WIDE: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;

/** A record's tile rows: TILE_ROWS_WIDE when it asks for that, else MR. */
export function tileRowsOf(field: i32): i32 {
  return field == TILE_ROWS_WIDE ? TILE_ROWS_WIDE : MR;
}

/** Rows of A per L2 block for tiles of mr rows: a whole number of tiles. */
export function mcOf(mr: i32): i32 {
  return (MC / mr) * mr;
}
/** columns of the micro-kernel's tile (two f32x4) */
export const NR: i32 = 8;
/** largest K block; K is split into equal blocks no longer than this */
export const KC: i32 = 256;
/** rows of A per L2 block */
export const MC: i32 = 128;
/**
 * columns of B per packed block: C's block (M × NC) is revisited by every K block, and with
 * M = 512 (W1/W7: 128 channels × 4 phases) 256 columns keep it at 512 KB, inside a 2 MB L2; 1024
 * ran W1/b16 and W7/b16 1–8 % slower at 1T, 0–5 % at 2T (bench/RESULTS.md), the smaller batches
 * the same
 */
export const NC: i32 = 256;
/** i32 entries of a GEMM call's scratch (GEMM_SCRATCH): the im2col row table (7 per K row) and column table */
export const SCRATCH_I32: i32 = KC * 7 + NR * 4;

/** The K block length: K split into ⌈K / KC⌉ equal blocks (the last one may be shorter). */
export function kcOf(K: i32): i32 {
  if (K <= KC) return K;
  const nb = (K + KC - 1) / KC;
  return (K + nb - 1) / nb;
}
