/**
 * The WebAssembly module's entry: convolution building blocks on raw linear memory, driven by
 * src/kernels/wasm/conv.ts, and the resampling family's memory-bound kernels (resample.ts, driven
 * by src/kernels/wasm/resample.ts). Built three times by scripts/build-wasm.ts (relaxed SIMD, SIMD,
 * scalar) from the same sources; ASC_FEATURE_SIMD / ASC_FEATURE_RELAXED_SIMD pick the code at
 * compile time.
 * The module has no allocator: the caller lays out memory above heapBase() and grows it.
 */
export { gemm, packA, packB, kcOf } from './gemm';
export { im2col, col2im, padCopy } from './im2col';
export { packASubpixel, phaseStore } from './subpixel';
export { resample, maxUnpool, maxUnpoolBackward, pixelShuffle } from './resample';
export { probeCopy, probeFma } from './probe';
export { allFinite } from './scan';
import { MR, NR, KC, MC, NC } from './gemm';
import { SCRATCH_I32, TILE_ROWS_WIDE } from './blocking';

/** First free byte of linear memory (everything below belongs to the module). */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Tile and block sizes, for the caller's scratch sizing: 0 MR, 1 NR, 2 KC, 3 MC, 4 NC, 5 the i32
 * entries of a GEMM call's GEMM_SCRATCH, 6 TILE_ROWS_WIDE (the wider tile a call may ask for).
 */
export function blocking(i: i32): i32 {
  if (i == 6) return TILE_ROWS_WIDE;
  return i == 0 ? MR : i == 1 ? NR : i == 2 ? KC : i == 3 ? MC : i == 4 ? NC : SCRATCH_I32;
}

/** 2: relaxed SIMD, 1: SIMD, 0: scalar. */
export function variant(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 2 : ASC_FEATURE_SIMD ? 1 : 0;
}
