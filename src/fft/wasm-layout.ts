/**
 * The one definition of the parameter records of the FFT module (asm-fft/, AssemblyScript): the
 * module imports this file as it is, and src/fft/wasm.ts writes records by these names.
 *
 * A record is RECORD_INTS i32 fields (pointers are byte offsets into the module's memory) followed
 * by RECORD_FLOATS f64 fields starting at byte RECORD_F64_OFFSET.
 *
 * A stage table (FFT_STAGES_H / FFT_STAGES_W) is i32 [count, then STAGE_FIELDS per stage]: the
 * radix p, the remaining length m, the stride s and pointers to the twiddles w^{t·q} (cos, −sin,
 * m·p each) and to the radix's own roots (cos, sin of −2πt/p, p each; generic radices only), the
 * same numbers as src/fft/fft.ts's Stage.
 */
export const RECORD_INTS = 24;
export const RECORD_FLOATS = 12;
export const RECORD_F64_OFFSET = RECORD_INTS * 4;
export const RECORD_BYTES = RECORD_F64_OFFSET + RECORD_FLOATS * 8;

export const STAGE_FIELDS = 7;
export const STAGE_P = 0;
export const STAGE_M = 1;
export const STAGE_S = 2;
export const STAGE_WR = 3;
export const STAGE_WI = 4;
export const STAGE_CR = 5;
export const STAGE_CI = 6;

// realFft2 / inverseRealFft2 of planes [FFT_PLANE_BEGIN, FFT_PLANE_END) (pairs, the last plane
// possibly alone). Each call works on its own scratch: two planes P and Q of H·W complex values,
// and two slabs of at most FFT_SLAB transforms of length max(H, W) (an odd slab is padded to an
// even one with a zero transform, so every SIMD lane pair is whole)
/** transforms per slab: two slabs (re and im each) stay in the L2 cache */
export const FFT_SLAB = 16;
/** real planes (H, W): input of the forward transform, output of the inverse (f64) */
export const FFT_REAL = 0;
/** half spectra (planes, H, ⌊W/2⌋+1), real and imaginary parts (f64) */
export const FFT_RE = 1;
export const FFT_IM = 2;
export const FFT_PLANE_BEGIN = 3;
export const FFT_PLANE_END = 4;
export const FFT_H = 5;
export const FFT_W = 6;
export const FFT_STAGES_H = 7;
export const FFT_STAGES_W = 8;
/** scratch: P and Q planes (H·W f64 each part), slabs (FFT_SLAB·max(H, W) f64 each part) */
export const FFT_PR = 9;
export const FFT_PI = 10;
export const FFT_QR = 11;
export const FFT_QI = 12;
export const FFT_S0R = 13;
export const FFT_S0I = 14;
export const FFT_S1R = 15;
export const FFT_S1I = 16;
/** 2·p v128 for a generic radix p ≤ 31 */
export const FFT_GENERIC = 17;
export const FFT_GENERIC_BYTES = 1024;
/** f64: the inverse transform's scale 1/(H·W) */
export const FFT_SCALE = 0;

// solveRankOne over frequencies [SOLVE_BEGIN, SOLVE_END) (even begin)
export const SOLVE_A_RE = 0;
export const SOLVE_A_IM = 1;
/** Σ_m |A_m|², F values */
export const SOLVE_AA = 2;
export const SOLVE_B_RE = 3;
export const SOLVE_B_IM = 4;
export const SOLVE_Z_RE = 5;
export const SOLVE_Z_IM = 6;
export const SOLVE_C_RE = 7;
export const SOLVE_C_IM = 8;
export const SOLVE_PLANES = 9;
export const SOLVE_F = 10;
export const SOLVE_BEGIN = 11;
export const SOLVE_END = 12;
/** f64: the penalty ρ */
export const SOLVE_RHO = 0;

// the relaxed y- and u-steps of convBPDN's ADMM over elements [ADMM_BEGIN, ADMM_END), in chunks
// of ADMM_CHUNK (the sums are per chunk, two interleaved partial sums each, so that they do not
// depend on how the range is split among threads)
export const ADMM_CHUNK = 8192;
export const ADMM_X = 0;
export const ADMM_Y = 1;
export const ADMM_U = 2;
export const ADMM_T = 3;
export const ADMM_BEGIN = 4;
export const ADMM_END = 5;
/** six f64 sums per chunk (l1, r2, s2, x2, y2, u2), chunk c at SUMS + 48·c bytes */
export const ADMM_SUMS = 6;
/** f64: the over-relaxation α and the threshold λ/ρ */
export const ADMM_RELAXATION = 0;
export const ADMM_THRESHOLD = 1;
