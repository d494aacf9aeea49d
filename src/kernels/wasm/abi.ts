/**
 * Field indices of the parameter records the WebAssembly kernels read (one i32 each, byte offset
 * 4 · index). They mirror asm/params.ts one for one, where each record is described: change both.
 */

/** GEMM record (asm/params.ts G_*). */
export const G = {
  M: 0,
  N: 1,
  K: 2,
  A: 3,
  BKIND: 4,
  B: 5,
  BRS: 6,
  BCS: 7,
  C: 8,
  LDC: 9,
  MODE: 10,
  BIAS: 11,
  BPACK: 12,
  TILE: 13,
  J0: 14,
  ASRC: 15,
  ARS: 16,
  ACS: 17,
  R0: 18,
  R1: 19,
  N0: 20,
  N1: 21,
  SCRATCH: 22,
  FIELDS: 23,
} as const;

/** GEMM modes: C = A·B, C += A·B, C = A·B + bias[row]. */
export const MODE_SET = 0;
export const MODE_ADD = 1;
export const MODE_BIAS = 2;
/**
 * B operand kinds: a strided matrix; the im2col of a conv record, packed; the im2col of a conv
 * record read in place (every tap inside x, stride 1 along x, rows of the output grid a multiple
 * of NR long).
 */
export const B_STRIDED = 0;
export const B_IM2COL = 1;
export const B_DIRECT = 2;
/** B = the weights of a class of sub-pixel phases (a W record), packed by rows of NR phases. */
export const B_WEIGHTS = 3;

/** Convolution slice record (asm/params.ts V_*): per-dimension triples are (z, y, x). */
export const V = {
  C: 0,
  X: 1,
  Y: 4,
  K: 7,
  S: 10,
  D: 13,
  P: 16,
  SRC: 19,
  CS: 20,
  BS: 21,
  NB: 22,
  COLS: 23,
  LD: 24,
  FIELDS: 25,
} as const;

/** Sub-pixel phase-class store record (asm/params.ts H_*). */
export const H = {
  C: 0,
  SRC: 1,
  LD: 2,
  Q: 3,
  X: 6,
  I0: 9,
  S: 12,
  NR: 15,
  DST: 18,
  CS: 19,
  BS: 20,
  NB: 21,
  BIAS: 22,
  FIELDS: 23,
} as const;

/** Sub-pixel weight packing record (asm/params.ts W_*). */
export const W = {
  W: 0,
  CX: 1,
  CY: 2,
  K: 3,
  S: 6,
  KR: 9,
  R0: 12,
  NR: 15,
  DST: 18,
  M0: 19,
  M1: 20,
  SCRATCH: 21,
  FIELDS: 22,
} as const;

/** Zero-padded plane copy record (asm/params.ts Z_*). */
export const Z = {
  SRC: 0,
  SPS: 1,
  DST: 2,
  NPL: 3,
  X: 4,
  PB: 7,
  PA: 10,
  DPS: 13,
  FIELDS: 14,
} as const;

/** Separable resampling record (asm/params.ts R_*): per-dimension triples are (d0, d1, d2). */
export const R = {
  SRC: 0,
  DST: 1,
  NPL: 2,
  IN: 3,
  OUT: 6,
  START: 9,
  INDEX: 12,
  WEIGHT: 15,
  KIND: 18,
  HKIND: 19,
  CACHE: 20,
  TAGS: 21,
  SLOTS: 22,
  FIELDS: 23,
} as const;

/** Resampling kinds (R.KIND): the separable plan and three gather plans for nearest taps. */
export const KIND_SEPARABLE = 0;
export const KIND_GATHER = 1;
export const KIND_COPY_ROWS = 2;
export const KIND_DOUBLE_ROWS = 3;

/** Max unpooling record (asm/params.ts U_*). */
export const U = {
  SRC: 0,
  IDX: 1,
  DST: 2,
  NPL: 3,
  SMALL: 4,
  LARGE: 5,
  FIELDS: 6,
} as const;

/** Pixel shuffle record (asm/params.ts P_*). */
export const P = {
  SRC: 0,
  DST: 1,
  NBC: 2,
  R: 3,
  H: 4,
  W: 5,
  UNSHUFFLE: 6,
  FIELDS: 7,
} as const;
