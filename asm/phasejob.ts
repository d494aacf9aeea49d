/**
 * A sub-pixel GEMM job with the store of what it computed (src/kernels/wasm/subpixel.ts): the
 * thread that computes a run of a transposed class GEMM's columns (whole x channels) moves them
 * into x at once, while they are in its cache, and no second parallel step waits for the stores.
 */
import { gemm } from './gemm';
import { phaseStoreT } from './subpixel';
import { GEMM_FIELDS } from './params';

/**
 * gemm on the GEMM record at p, then phaseStoreT of the PHASE record that follows it
 * (p + 4 · GEMM_FIELDS), which covers the channels of the GEMM's columns.
 */
export function gemmPhaseStoreT(p: usize): void {
  gemm(p);
  phaseStoreT(p + ((<usize>GEMM_FIELDS) << 2));
}
