/**
 * The parameter records the TypeScript side writes into linear memory before each call (one record
 * per call instead of a long positional argument list). Every field is an i32; a field's byte
 * offset is 4 · its index. The same indices are spelled out in src/kernels/wasm/abi.ts: change both.
 */

/** GEMM: C[M×N] (mode) A[M×K] · B[K×N], A pre-packed by one of the packA functions. */
export const G_M = 0;
export const G_N = 1;
export const G_K = 2;
/** packed A (see packA): K blocks of `kcOf(K)`, each M rounded up to MR, MR rows per panel */
export const G_A = 3;
/**
 * 0: B is a strided matrix (G_B, G_BRS, G_BCS in floats); 1: B = im2col of a conv record at G_B,
 * packed; 2: the same read in place (im2col.ts directRows); 3: B = the weights of a class of
 * sub-pixel phases (record W_* at G_B), rows (o, taps), columns (c, phase), packed
 */
export const G_BKIND = 4;
export const G_B = 5;
export const G_BRS = 6;
export const G_BCS = 7;
export const G_C = 8;
/** row stride of C in floats (columns are contiguous) */
export const G_LDC = 9;
/** 0: C = A·B; 1: C += A·B; 2: C = A·B + bias[row] (bias at G_BIAS, one float per row of C) */
export const G_MODE = 10;
export const G_BIAS = 11;
/** scratch for one packed B block: kcOf(K) · NC floats */
export const G_BPACK = 12;
/** scratch for one MR × NR tile (edge tiles) */
export const G_TILE = 13;
/** the first column of B (im2col only: the column range is [G_J0, G_J0 + N)) */
export const G_J0 = 14;
/** packA's source: A[m][k] at G_ASRC + 4·(m·G_ARS + k·G_ACS); packed to G_A */
export const G_ASRC = 15;
export const G_ARS = 16;
export const G_ACS = 17;
/**
 * The part of C this call computes (threads split a GEMM by these; the arithmetic of an element
 * does not depend on them): rows [G_R0, G_R1) and columns [G_N0, G_N1), G_R1 = 0 meaning M and
 * G_N1 = 0 meaning N. G_R0 is a multiple of MR and G_N0 of NR.
 */
export const G_R0 = 18;
export const G_R1 = 19;
export const G_N0 = 20;
export const G_N1 = 21;
/** i32 scratch of blocking(5) entries (im2col / weight row tables), one per concurrent call */
export const G_SCRATCH = 22;
export const GEMM_FIELDS = 23;

/**
 * Convolution slice (the im2col / col2im geometry), per spatial dimension padded to 3 as
 * (z, y, x): x-tensor size X, output (column) grid Y, kernel K, stride S, dilation D, padding P
 * (may be negative: a crop). Rows of im2col are (c, kz, ky, kx); columns are (b, oz, oy, ox).
 * The x slice is at V_SRC with channel stride V_CS and batch stride V_BS (floats).
 */
export const V_C = 0;
export const V_X = 1;
export const V_Y = 4;
export const V_K = 7;
export const V_S = 10;
export const V_D = 13;
export const V_P = 16;
export const V_SRC = 19;
export const V_CS = 20;
export const V_BS = 21;
/** batch elements the columns span */
export const V_NB = 22;
/** plain im2col / col2im: the matrix and its row stride in floats */
export const V_COLS = 23;
export const V_LD = 24;
export const CONV_FIELDS = 25;

/**
 * A class of sub-pixel phases: the residues r0 + i, i < NR (per dimension z, y, x; phase index
 * (iz·NRy + iy)·NRx + ix) whose stride-1 convolutions share one geometry. Its GEMM result has rows
 * (c, phase), phase fastest, and columns (b, qz, qy, qx).
 *
 * Weight packing (W_*): w is (cy·G, cx, kz, ky, kx), PyTorch's layout in both ops; the group's slice
 * starts at W_W. Tap j of dimension d of residue r reads kernel index r + (KR − 1 − j)·s.
 */
export const W_W = 0;
export const W_CX = 1;
export const W_CY = 2;
export const W_K = 3;
export const W_S = 6;
export const W_KR = 9;
export const W_R0 = 12;
export const W_NR = 15;
export const W_DST = 18;
/**
 * packASubpixel: the MR-row panels [W_M0, W_M1) of the packed A to write (W_M1 = 0: all; threads
 * split the packing by these) and its i32 scratch (nph · (KRvol + 1) entries, one per thread)
 */
export const W_M0 = 19;
export const W_M1 = 20;
export const W_SCRATCH = 21;
export const WPACK_FIELDS = 22;

/**
 * Phase store (H_*): the GEMM result (row stride H_LD floats) to x[b, c, I0 + i + q·s] per
 * dimension, I0 the first output of residue r0. x at H_DST, channel / batch strides H_CS / H_BS.
 */
export const H_C = 0;
export const H_SRC = 1;
export const H_LD = 2;
export const H_Q = 3;
export const H_X = 6;
export const H_I0 = 9;
export const H_S = 12;
export const H_NR = 15;
export const H_DST = 18;
export const H_CS = 19;
export const H_BS = 20;
export const H_NB = 21;
/** phaseStoreT only: bias per channel (0: none) */
export const H_BIAS = 22;
export const PHASE_FIELDS = 23;

/**
 * Zero-padded copy: NPL planes of size X (z, y, x) at SRC (plane stride SPS floats) to DST (plane
 * stride DPS floats, at least the padded plane), each padded by PB before and PA after per dimension.
 */
export const Z_SRC = 0;
export const Z_SPS = 1;
export const Z_DST = 2;
export const Z_NPL = 3;
export const Z_X = 4;
export const Z_PB = 7;
export const Z_PA = 10;
export const Z_DPS = 13;
export const PAD_FIELDS = 14;

/**
 * Separable resampling (resample.ts): NPL planes of IN (d0, d1, d2) floats at SRC to OUT floats at
 * DST. Per dimension d, taps in compressed rows: START[d] (i32, OUT[d] + 1 entries), INDEX[d] (i32)
 * and WEIGHT[d] (f64). KIND: 0 separable (HKIND: the common tap count of dimension 2, 1 or 2, else
 * 0; CACHE: (SLOTS + 1) · OUT[2] f64 of row cache and accumulator; TAGS: SLOTS i32, SLOTS a power
 * of 2), 1 nearest (one tap of weight 1 everywhere: a gather), 2 nearest with dimension 2 the
 * identity, 3 nearest with dimension 2 doubling (output o reads o >> 1).
 */
export const R_SRC = 0;
export const R_DST = 1;
export const R_NPL = 2;
export const R_IN = 3;
export const R_OUT = 6;
export const R_START = 9;
export const R_INDEX = 12;
export const R_WEIGHT = 15;
export const R_KIND = 18;
export const R_HKIND = 19;
export const R_CACHE = 20;
export const R_TAGS = 21;
export const R_SLOTS = 22;
export const RESAMPLE_FIELDS = 23;

/**
 * Max unpooling (resample.ts): NPL planes; the small side (the pooled input, the indices, the
 * backward pass's output) has SMALL elements per plane, the large side LARGE. SRC, IDX (i32), DST.
 */
export const U_SRC = 0;
export const U_IDX = 1;
export const U_DST = 2;
export const U_NPL = 3;
export const U_SMALL = 4;
export const U_LARGE = 5;
export const UNPOOL_FIELDS = 6;

/**
 * Pixel shuffle (resample.ts): NBC (batch · channels) groups of R² low-resolution planes of H × W
 * 32-bit elements at SRC to DST; UNSHUFFLE 1 for the inverse (SRC then holds the high resolution).
 */
export const P_SRC = 0;
export const P_DST = 1;
export const P_NBC = 2;
export const P_R = 3;
export const P_H = 4;
export const P_W = 5;
export const P_UNSHUFFLE = 6;
export const SHUFFLE_FIELDS = 7;
