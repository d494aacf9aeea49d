/**
 * Packed, blocked single-precision GEMM (Goto & van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 2008; the BLIS loop order, Van Zee & van de Geijn 2015):
 *
 *   for jc in N step NC              B block (kc × nc) packed into NR-column panels (L3)
 *     for pc in K step kc            (kc ≤ KC, K split evenly)
 *       for ic in M step MC          A block (mc × kc), packed once per call by packA (L2)
 *         for jr in nc step NR       one B micro-panel (kc × NR) stays in L1
 *           for ir in mc step tr     micro-kernel: a tr × NR tile of C in registers
 *
 * The 4 × 8 micro-kernel (tr = MR) keeps 4 × NR/4 f32x4 accumulators (8 registers, plus 2 for B
 * and one splat of A: 11 of the 16 xmm registers V8 has on x64; a 6 × 8 tile or a k loop unrolled
 * by hand spills and measured 2× slower). It uses f32x4.relaxed_madd when the module is built with
 * relaxed SIMD (one fused multiply-add where the CPU has FMA), mul + add otherwise, and scalar code
 * when built without SIMD. The relaxed build also has a 5 × 8 tile (tr = 5, a call's choice:
 * GEMM.tileRows, tileRowsFor in src/kernels/wasm/split.ts): ten accumulators, rows 0–3 of A from
 * one load and lane shuffles; it runs 7–9 % faster on whole GEMM calls, but only because V8 unrolls
 * its k loop, which it does for loops nested deep enough (its unroller allows (depth + 1) · 50
 * nodes), so its tiles loop lives in the kernel (tiles5). Rows and arithmetic per element are
 * the same on either tile: results do not depend on it.
 *
 * B comes packed from a strided matrix, packed from im2col (im2col.ts, never stored whole), read in
 * place from a zero-padded x (im2col.ts directRows: no packing at all), packed from sub-pixel
 * weights (subpixel.ts), or packed whole beforehand by packB (a weight kept packed between calls).
 * Edge tiles run the same kernel on a scratch tile.
 */
import {
  GEMM_M,
  GEMM_N,
  GEMM_K,
  GEMM_PACKED_A,
  GEMM_B_KIND,
  GEMM_B,
  GEMM_B_ROW_STRIDE,
  GEMM_B_COLUMN_STRIDE,
  GEMM_C,
  GEMM_C_ROW_STRIDE,
  GEMM_MODE,
  GEMM_BIAS,
  GEMM_B_PACK,
  GEMM_TILE,
  GEMM_FIRST_COLUMN,
  GEMM_A_SOURCE,
  GEMM_A_ROW_STRIDE,
  GEMM_A_COLUMN_STRIDE,
  GEMM_ROW_BEGIN,
  GEMM_ROW_END,
  GEMM_COLUMN_BEGIN,
  GEMM_COLUMN_END,
  GEMM_SCRATCH,
  GEMM_MODE_ADD,
  GEMM_MODE_BIAS,
  GEMM_B_KIND_STRIDED,
  GEMM_B_KIND_IM2COL,
  GEMM_B_KIND_DIRECT,
  GEMM_B_KIND_PACKED,
  GEMM_C_KIND,
  GEMM_C_BATCH_STRIDE,
  GEMM_C_POSITIONS,
  GEMM_C_ROW_LENGTH,
  GEMM_C_KIND_PHASES2X2,
  GEMM_C_KIND_SCATTERED,
  GEMM_C_ROW_OFFSETS,
  GEMM_C_PANELS,
  GEMM_MODE_SET,
  GEMM_TILE_ROWS,
} from './params';
import { packBIm2col, directRows, directColumn } from './im2col';
import { packBWeights } from './subpixel';
import { MR, TILE_ROWS_WIDE, NR, KC, MC, NC, kcOf, mcOf, tileRowsOf } from './blocking';
export { MR, NR, KC, MC, NC, kcOf };

export function field(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

function roundUp(v: i32, m: i32): i32 {
  return ((v + m - 1) / m) * m;
}

function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * Where the tiles of tiles4 / tiles5 go (and, in GEMM_MODE_ADD, what they start from). TO_ROWS:
 * row r of tile t at c + (t · tr + r) · ldc. TO_TABLE (GEMM_C_KIND_SCATTERED): row r at c + the
 * i32 byte offset at ro + 4 · (t · tr + r). TO_PHASES (GEMM_C_KIND_PHASES2X2, 4 rows: one
 * channel's phases (py, px)): x row py of tile t at c + t · ldc + py · rowB gets rows (py, 0) and
 * (py, 1) interleaved (storePhases2x2's layout).
 */
const TO_ROWS = 0;
const TO_TABLE = 1;
const TO_PHASES = 2;

/**
 * `tiles` tiles of 4 × NR: tile t's A panel at a + t · 16 · kc (k-major), its C (mode) Ã · B̃ over
 * kc steps, stored as `to` says (above). mode: GEMM_MODE_SET, GEMM_MODE_ADD (start from C) or
 * GEMM_MODE_BIAS (start from bias[row], bias advancing 16 bytes a tile); with addBias, bv is added
 * after the sum. B̃ packed (kc × NR, k-major) at b, or read in place when rows ≠ 0: row k of the
 * micro-panel at b + rows[k] (bytes, im2col.ts directRows). Eight accumulators, two B vectors and
 * one splat of A: 11 of V8's 16 xmm registers (one k step per iteration: unrolling it by hand lets
 * the optimiser hoist the next step's loads and spill, measured 2× slower). The tiles loop around
 * the k loop lets V8 unroll it (see the header).
 */
function tiles4(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  tiles: i32,
  to: i32,
  ro: usize,
  rowB: usize,
  bv: f32,
  addBias: bool,
): void {
  const b4 = f32x4.splat(bv);
  for (let t = 0; t < tiles; t++) {
    let d0 = c,
      d1 = c + ldc,
      d2 = c + 2 * ldc,
      d3 = c + 3 * ldc;
    if (to == TO_TABLE) {
      d0 = c + <usize>load<i32>(ro);
      d1 = c + <usize>load<i32>(ro, 4);
      d2 = c + <usize>load<i32>(ro, 8);
      d3 = c + <usize>load<i32>(ro, 12);
    }
    let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
    if (mode == GEMM_MODE_ADD) {
      c00 = v128.load(d0);
      c01 = v128.load(d0, 16);
      c10 = v128.load(d1);
      c11 = v128.load(d1, 16);
      c20 = v128.load(d2);
      c21 = v128.load(d2, 16);
      c30 = v128.load(d3);
      c31 = v128.load(d3, 16);
    } else if (mode == GEMM_MODE_BIAS) {
      c00 = c01 = v128.load32_splat(bias);
      c10 = c11 = v128.load32_splat(bias, 4);
      c20 = c21 = v128.load32_splat(bias, 8);
      c30 = c31 = v128.load32_splat(bias, 12);
    } else {
      c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = f32x4.splat(0);
    }
    if (rows) {
      let r = rows;
      for (let k = 0; k < kc; k++) {
        const bp = b + <usize>load<i32>(r);
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let av = v128.load32_splat(a);
        c00 = madd(av, b0, c00);
        c01 = madd(av, b1, c01);
        av = v128.load32_splat(a, 4);
        c10 = madd(av, b0, c10);
        c11 = madd(av, b1, c11);
        av = v128.load32_splat(a, 8);
        c20 = madd(av, b0, c20);
        c21 = madd(av, b1, c21);
        av = v128.load32_splat(a, 12);
        c30 = madd(av, b0, c30);
        c31 = madd(av, b1, c31);
        a += 16;
        r += 4;
      }
    } else {
      let bp = b;
      for (let k = 0; k < kc; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let av = v128.load32_splat(a);
        c00 = madd(av, b0, c00);
        c01 = madd(av, b1, c01);
        av = v128.load32_splat(a, 4);
        c10 = madd(av, b0, c10);
        c11 = madd(av, b1, c11);
        av = v128.load32_splat(a, 8);
        c20 = madd(av, b0, c20);
        c21 = madd(av, b1, c21);
        av = v128.load32_splat(a, 12);
        c30 = madd(av, b0, c30);
        c31 = madd(av, b1, c31);
        a += 16;
        bp += 32;
      }
    }
    if (addBias) {
      c00 = f32x4.add(c00, b4);
      c01 = f32x4.add(c01, b4);
      c10 = f32x4.add(c10, b4);
      c11 = f32x4.add(c11, b4);
      c20 = f32x4.add(c20, b4);
      c21 = f32x4.add(c21, b4);
      c30 = f32x4.add(c30, b4);
      c31 = f32x4.add(c31, b4);
    }
    if (to == TO_PHASES) {
      v128.store(c, v128.shuffle<f32>(c00, c10, 0, 4, 1, 5));
      v128.store(c, v128.shuffle<f32>(c00, c10, 2, 6, 3, 7), 16);
      v128.store(c, v128.shuffle<f32>(c01, c11, 0, 4, 1, 5), 32);
      v128.store(c, v128.shuffle<f32>(c01, c11, 2, 6, 3, 7), 48);
      v128.store(c + rowB, v128.shuffle<f32>(c20, c30, 0, 4, 1, 5));
      v128.store(c + rowB, v128.shuffle<f32>(c20, c30, 2, 6, 3, 7), 16);
      v128.store(c + rowB, v128.shuffle<f32>(c21, c31, 0, 4, 1, 5), 32);
      v128.store(c + rowB, v128.shuffle<f32>(c21, c31, 2, 6, 3, 7), 48);
      c += ldc;
    } else {
      v128.store(d0, c00);
      v128.store(d0, c01, 16);
      v128.store(d1, c10);
      v128.store(d1, c11, 16);
      v128.store(d2, c20);
      v128.store(d2, c21, 16);
      v128.store(d3, c30);
      v128.store(d3, c31, 16);
      if (to == TO_ROWS) c += 4 * ldc;
    }
    ro += 16;
    bias += 16;
  }
}

/**
 * tiles4 with 5-row tiles (TILE_ROWS_WIDE in relaxed-SIMD builds; `to` TO_ROWS or TO_TABLE): ten
 * accumulators, rows 0–3 of A from one load and lane shuffles, row 4 splatted (13 vector
 * registers); a panel step is 5 floats. V8 unrolls the k loop because it is nested in the tiles
 * loop (its unroller allows more nodes to deeper loops: a separate function per tile ran this
 * kernel 7 % slower).
 */
function tiles5(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  tiles: i32,
  to: i32,
  ro: usize,
  bv: f32,
  addBias: bool,
): void {
  const b4 = f32x4.splat(bv);
  for (let t = 0; t < tiles; t++) {
    let d0 = c,
      d1 = c + ldc,
      d2 = c + 2 * ldc,
      d3 = c + 3 * ldc,
      d4 = c + 4 * ldc;
    if (to == TO_TABLE) {
      d0 = c + <usize>load<i32>(ro);
      d1 = c + <usize>load<i32>(ro, 4);
      d2 = c + <usize>load<i32>(ro, 8);
      d3 = c + <usize>load<i32>(ro, 12);
      d4 = c + <usize>load<i32>(ro, 16);
    }
    let c00: v128,
      c01: v128,
      c10: v128,
      c11: v128,
      c20: v128,
      c21: v128,
      c30: v128,
      c31: v128,
      c40: v128,
      c41: v128;
    if (mode == GEMM_MODE_ADD) {
      c00 = v128.load(d0);
      c01 = v128.load(d0, 16);
      c10 = v128.load(d1);
      c11 = v128.load(d1, 16);
      c20 = v128.load(d2);
      c21 = v128.load(d2, 16);
      c30 = v128.load(d3);
      c31 = v128.load(d3, 16);
      c40 = v128.load(d4);
      c41 = v128.load(d4, 16);
    } else if (mode == GEMM_MODE_BIAS) {
      c00 = c01 = v128.load32_splat(bias);
      c10 = c11 = v128.load32_splat(bias, 4);
      c20 = c21 = v128.load32_splat(bias, 8);
      c30 = c31 = v128.load32_splat(bias, 12);
      c40 = c41 = v128.load32_splat(bias, 16);
    } else {
      c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = f32x4.splat(0);
    }
    if (rows) {
      let r = rows;
      for (let k = 0; k < kc; k++) {
        const bp = b + <usize>load<i32>(r);
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const a4 = v128.load(a);
        let av = i32x4.shuffle(a4, a4, 0, 0, 0, 0);
        c00 = madd(av, b0, c00);
        c01 = madd(av, b1, c01);
        av = i32x4.shuffle(a4, a4, 1, 1, 1, 1);
        c10 = madd(av, b0, c10);
        c11 = madd(av, b1, c11);
        av = i32x4.shuffle(a4, a4, 2, 2, 2, 2);
        c20 = madd(av, b0, c20);
        c21 = madd(av, b1, c21);
        av = i32x4.shuffle(a4, a4, 3, 3, 3, 3);
        c30 = madd(av, b0, c30);
        c31 = madd(av, b1, c31);
        av = v128.load32_splat(a, 16);
        c40 = madd(av, b0, c40);
        c41 = madd(av, b1, c41);
        a += 20;
        r += 4;
      }
    } else {
      let bp = b;
      for (let k = 0; k < kc; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const a4 = v128.load(a);
        let av = i32x4.shuffle(a4, a4, 0, 0, 0, 0);
        c00 = madd(av, b0, c00);
        c01 = madd(av, b1, c01);
        av = i32x4.shuffle(a4, a4, 1, 1, 1, 1);
        c10 = madd(av, b0, c10);
        c11 = madd(av, b1, c11);
        av = i32x4.shuffle(a4, a4, 2, 2, 2, 2);
        c20 = madd(av, b0, c20);
        c21 = madd(av, b1, c21);
        av = i32x4.shuffle(a4, a4, 3, 3, 3, 3);
        c30 = madd(av, b0, c30);
        c31 = madd(av, b1, c31);
        av = v128.load32_splat(a, 16);
        c40 = madd(av, b0, c40);
        c41 = madd(av, b1, c41);
        a += 20;
        bp += 32;
      }
    }
    if (addBias) {
      c00 = f32x4.add(c00, b4);
      c01 = f32x4.add(c01, b4);
      c10 = f32x4.add(c10, b4);
      c11 = f32x4.add(c11, b4);
      c20 = f32x4.add(c20, b4);
      c21 = f32x4.add(c21, b4);
      c30 = f32x4.add(c30, b4);
      c31 = f32x4.add(c31, b4);
      c40 = f32x4.add(c40, b4);
      c41 = f32x4.add(c41, b4);
    }
    v128.store(d0, c00);
    v128.store(d0, c01, 16);
    v128.store(d1, c10);
    v128.store(d1, c11, 16);
    v128.store(d2, c20);
    v128.store(d2, c21, 16);
    v128.store(d3, c30);
    v128.store(d3, c31, 16);
    v128.store(d4, c40);
    v128.store(d4, c41, 16);
    if (to == TO_ROWS) c += 5 * ldc;
    ro += 20;
    bias += 20;
  }
}

/** tiles4 for one tile, TO_ROWS, of the first four columns only (edge tiles with nr ≤ 4). */
function microSimd4(kc: i32, a: usize, b: usize, c: usize, ldc: usize, mode: i32, bias: usize): void {
  let c0: v128, c1: v128, c2: v128, c3: v128;
  if (mode == GEMM_MODE_ADD) {
    c0 = v128.load(c);
    c1 = v128.load(c + ldc);
    c2 = v128.load(c + 2 * ldc);
    c3 = v128.load(c + 3 * ldc);
  } else if (mode == GEMM_MODE_BIAS) {
    c0 = v128.load32_splat(bias);
    c1 = v128.load32_splat(bias, 4);
    c2 = v128.load32_splat(bias, 8);
    c3 = v128.load32_splat(bias, 12);
  } else {
    c0 = c1 = c2 = c3 = f32x4.splat(0);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    c0 = madd(v128.load32_splat(a), b0, c0);
    c1 = madd(v128.load32_splat(a, 4), b0, c1);
    c2 = madd(v128.load32_splat(a, 8), b0, c2);
    c3 = madd(v128.load32_splat(a, 12), b0, c3);
    a += 16;
    b += 32;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

/** The scalar micro-kernel: one row of the tile (tr rows) at a time (8 accumulators). */
function microScalar(
  kc: i32,
  a: usize,
  b: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  tr: i32,
): void {
  for (let r = 0; r < tr; r++) {
    const cr = c + <usize>r * ldc;
    let s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32;
    if (mode == GEMM_MODE_ADD) {
      s0 = load<f32>(cr);
      s1 = load<f32>(cr, 4);
      s2 = load<f32>(cr, 8);
      s3 = load<f32>(cr, 12);
      s4 = load<f32>(cr, 16);
      s5 = load<f32>(cr, 20);
      s6 = load<f32>(cr, 24);
      s7 = load<f32>(cr, 28);
    } else if (mode == GEMM_MODE_BIAS) {
      s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = load<f32>(bias + ((<usize>r) << 2));
    } else {
      s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0;
    }
    let ap = a + ((<usize>r) << 2);
    let bp = b;
    for (let k = 0; k < kc; k++) {
      const av = load<f32>(ap);
      s0 += av * load<f32>(bp);
      s1 += av * load<f32>(bp, 4);
      s2 += av * load<f32>(bp, 8);
      s3 += av * load<f32>(bp, 12);
      s4 += av * load<f32>(bp, 16);
      s5 += av * load<f32>(bp, 20);
      s6 += av * load<f32>(bp, 24);
      s7 += av * load<f32>(bp, 28);
      ap += <usize>(tr << 2);
      bp += <usize>(NR << 2);
    }
    store<f32>(cr, s0);
    store<f32>(cr, s1, 4);
    store<f32>(cr, s2, 8);
    store<f32>(cr, s3, 12);
    store<f32>(cr, s4, 16);
    store<f32>(cr, s5, 20);
    store<f32>(cr, s6, 24);
    store<f32>(cr, s7, 28);
  }
}

function microScalarDirect(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  tr: i32,
): void {
  for (let r = 0; r < tr; r++) {
    const cr = c + <usize>r * ldc;
    let s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32;
    if (mode == GEMM_MODE_ADD) {
      s0 = load<f32>(cr);
      s1 = load<f32>(cr, 4);
      s2 = load<f32>(cr, 8);
      s3 = load<f32>(cr, 12);
      s4 = load<f32>(cr, 16);
      s5 = load<f32>(cr, 20);
      s6 = load<f32>(cr, 24);
      s7 = load<f32>(cr, 28);
    } else if (mode == GEMM_MODE_BIAS) {
      s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = load<f32>(bias + ((<usize>r) << 2));
    } else {
      s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0;
    }
    let ap = a + ((<usize>r) << 2);
    let rp = rows;
    for (let k = 0; k < kc; k++) {
      const av = load<f32>(ap);
      const bp = b + <usize>load<i32>(rp);
      s0 += av * load<f32>(bp);
      s1 += av * load<f32>(bp, 4);
      s2 += av * load<f32>(bp, 8);
      s3 += av * load<f32>(bp, 12);
      s4 += av * load<f32>(bp, 16);
      s5 += av * load<f32>(bp, 20);
      s6 += av * load<f32>(bp, 24);
      s7 += av * load<f32>(bp, 28);
      ap += <usize>(tr << 2);
      rp += 4;
    }
    store<f32>(cr, s0);
    store<f32>(cr, s1, 4);
    store<f32>(cr, s2, 8);
    store<f32>(cr, s3, 12);
    store<f32>(cr, s4, 16);
    store<f32>(cr, s5, 20);
    store<f32>(cr, s6, 24);
    store<f32>(cr, s7, 28);
  }
}

/** One 4-row tile (MR). */
function micro4(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    tiles4(kc, a, b, rows, c, ldc, mode, bias, 1, TO_ROWS, 0, 0, 0, false);
  } else {
    if (rows) microScalarDirect(kc, a, b, rows, c, ldc, mode, bias, MR);
    else microScalar(kc, a, b, c, ldc, mode, bias, MR);
  }
}

/** One tile of tr rows. */
function micro(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  tr: i32,
): void {
  if (ASC_FEATURE_RELAXED_SIMD && tr == 5) {
    tiles5(kc, a, b, rows, c, ldc, mode, bias, 1, TO_ROWS, 0, 0, false);
  } else micro4(kc, a, b, rows, c, ldc, mode, bias);
}

/** The tile of rows ir … ir + tr of the A block with B panel bPanel, into `tile` (NR floats a row). */
function intoTile(
  kc: i32,
  aBlock: usize,
  ir: i32,
  bPanel: usize,
  rows: usize,
  tile: usize,
  mode: i32,
  bias: usize,
  tr: i32,
): void {
  micro(kc, aBlock + ((<usize>ir * <usize>kc) << 2), bPanel, rows, tile, <usize>(NR * 4), mode, bias, tr);
}

/**
 * A partial tile (mr < tr or nr < NR, tiles of tr rows): the kernel on a scratch tile, then the valid part copied
 * out. The tile starts from the same values a full tile would (C, bias or zero), so an element's
 * arithmetic does not depend on where its tile falls. With nr ≤ 4 only one f32x4 column is computed.
 */
function edgeTile(
  kc: i32,
  a: usize,
  b: usize,
  rows: usize,
  c: usize,
  ldc: usize,
  mode: i32,
  bias: usize,
  mr: i32,
  nr: i32,
  tile: usize,
  tr: i32,
): void {
  const tb = tile + <usize>(TILE_ROWS_WIDE * NR * 4); // TILE_ROWS_WIDE floats of padded bias
  if (mode == GEMM_MODE_ADD) {
    // C's valid part, zeros around it (the micro-kernel overwrites the whole tile otherwise)
    for (let r = 0; r < tr; r++) {
      const t = tile + <usize>(r * NR * 4);
      const cr = c + <usize>r * ldc;
      for (let j = 0; j < NR; j++)
        store<f32>(t + ((<usize>j) << 2), r < mr && j < nr ? load<f32>(cr + ((<usize>j) << 2)) : 0);
    }
  } else if (mode == GEMM_MODE_BIAS) {
    for (let r = 0; r < tr; r++)
      store<f32>(tb + ((<usize>r) << 2), r < mr ? load<f32>(bias + ((<usize>r) << 2)) : 0);
  }
  if (ASC_FEATURE_SIMD && nr <= 4 && rows == 0 && tr == 4)
    microSimd4(kc, a, b, tile, <usize>(NR * 4), mode, tb);
  else micro(kc, a, b, rows, tile, <usize>(NR * 4), mode, tb, tr);
  for (let r = 0; r < mr; r++) {
    const t = tile + <usize>(r * NR * 4);
    const cr = c + <usize>r * ldc;
    if (ASC_FEATURE_SIMD && nr == NR) {
      v128.store(cr, v128.load(t));
      v128.store(cr, v128.load(t, 16), 16);
    } else for (let j = 0; j < nr; j++) store<f32>(cr + ((<usize>j) << 2), load<f32>(t + ((<usize>j) << 2)));
  }
}

/**
 * Moves a 4 × NR tile (row stride NR floats) of a phases2x2 GEMM into x (params.ts GEMM_C_KIND):
 * rows (py, px) = (0, 0), (0, 1), (1, 0), (1, 1) of one channel, columns NR adjacent positions of
 * one row; x row 2·qy + py at dst + py · rowB gets rows 2·py and 2·py + 1 interleaved. The scalar
 * build's store (and a SIMD build's for a GEMM_MODE_ADD record, which phases2x2 GEMMs, one K block
 * each, never are): SIMD builds store from the accumulators (tiles4, TO_PHASES).
 */
function storePhases2x2(t: usize, dst: usize, rowB: usize): void {
  for (let py: usize = 0; py < 2; py++) {
    const r0 = t + py * <usize>(2 * NR * 4);
    const r1 = r0 + <usize>(NR * 4);
    const d = dst + py * rowB;
    for (let j: usize = 0; j < <usize>NR; j++) {
      store<f32>(d + (j << 3), load<f32>(r0 + (j << 2)));
      store<f32>(d + (j << 3), load<f32>(r1 + (j << 2)), 4);
    }
  }
}

/**
 * The tiles of rows [ic, mEnd) of one NR-column panel of a GEMM_C_KIND_SCATTERED GEMM (params.ts):
 * each computed from zero in the first K block, else from its stored values, and stored row by
 * row at dst + its row offset; after the last K block with bias[0] added when bias ≠ 0. Whole
 * tiles go straight from the accumulators (tiles4/5 TO_TABLE: without that copy through `tile` W3 ran
 * 8–12 % faster); the partial one, and every tile of the scalar build, through `tile`, its rows
 * past mEnd computed (A's packing is zero there), not stored.
 */
function scatterTiles(
  kc: i32,
  kb: i32,
  K: i32,
  aBlock: usize,
  bPanel: usize,
  rows: usize,
  ic: i32,
  mEnd: i32,
  dst: usize,
  rowOffsets: usize,
  tile: usize,
  bias: usize,
  tr: i32,
): void {
  const last = kb + kc >= K;
  const bv: f32 = bias && last ? load<f32>(bias) : 0;
  let ir0 = ic;
  if (ASC_FEATURE_SIMD) {
    // the whole tiles straight from the accumulators, then the partial one through `tile`
    const whole = (mEnd - ic) / tr;
    const aPanel = aBlock + ((<usize>ic * <usize>kc) << 2);
    const ro = rowOffsets + ((<usize>ic) << 2);
    const mode = kb == 0 ? GEMM_MODE_SET : GEMM_MODE_ADD;
    const addBias = bias != 0 && last;
    if (ASC_FEATURE_RELAXED_SIMD && tr == 5)
      tiles5(kc, aPanel, bPanel, rows, dst, 0, mode, 0, whole, TO_TABLE, ro, bv, addBias);
    else tiles4(kc, aPanel, bPanel, rows, dst, 0, mode, 0, whole, TO_TABLE, ro, 0, bv, addBias);
    ir0 = ic + whole * tr;
  }
  for (let ir = ir0; ir < mEnd; ir += tr) {
    const mr = min(tr, mEnd - ir);
    const ro = rowOffsets + ((<usize>ir) << 2);
    if (kb > 0) {
      for (let r = 0; r < tr; r++) {
        const t = tile + <usize>(r * NR * 4);
        if (r < mr) {
          const d = dst + <usize>load<i32>(ro + ((<usize>r) << 2));
          if (ASC_FEATURE_SIMD) {
            v128.store(t, v128.load(d));
            v128.store(t, v128.load(d, 16), 16);
          } else
            for (let j = 0; j < NR; j++) store<f32>(t + ((<usize>j) << 2), load<f32>(d + ((<usize>j) << 2)));
        } else if (ASC_FEATURE_SIMD) {
          v128.store(t, f32x4.splat(0));
          v128.store(t, f32x4.splat(0), 16);
        } else for (let j = 0; j < NR; j++) store<f32>(t + ((<usize>j) << 2), 0);
      }
    }
    intoTile(kc, aBlock, ir, bPanel, rows, tile, kb > 0 ? GEMM_MODE_ADD : GEMM_MODE_SET, 0, tr);
    for (let r = 0; r < mr; r++) {
      const t = tile + <usize>(r * NR * 4);
      const d = dst + <usize>load<i32>(ro + ((<usize>r) << 2));
      if (ASC_FEATURE_SIMD) {
        const b4 = f32x4.splat(bv);
        v128.store(d, bias && last ? f32x4.add(v128.load(t), b4) : v128.load(t));
        v128.store(d, bias && last ? f32x4.add(v128.load(t, 16), b4) : v128.load(t, 16), 16);
      } else
        for (let j = 0; j < NR; j++) {
          const v = load<f32>(t + ((<usize>j) << 2));
          store<f32>(d + ((<usize>j) << 2), bias && last ? v + bv : v);
        }
    }
  }
}

/**
 * Packs the whole of A (M × K, element (m, k) at src + 4·(m·rs + k·cs)) for gemm: for each K block
 * (length kcOf(K)), panels of GEMM_TILE_ROWS rows (tileRowsOf), k-major inside a panel; rows past M are zero.
 */
export function packA(p: usize): void {
  const M = field(p, GEMM_M);
  const K = field(p, GEMM_K);
  const src = <usize>field(p, GEMM_A_SOURCE);
  const rs = field(p, GEMM_A_ROW_STRIDE);
  const cs = field(p, GEMM_A_COLUMN_STRIDE);
  const dst = <usize>field(p, GEMM_PACKED_A);
  const tr = tileRowsOf(field(p, GEMM_TILE_ROWS));
  const step = <usize>(tr << 2); // bytes per k step of a panel
  const kcb = kcOf(K);
  const Mp = roundUp(M, tr);
  for (let kb = 0; kb < K; kb += kcb) {
    const kc = min(kcb, K - kb);
    const block = dst + ((<usize>kb * <usize>Mp) << 2);
    for (let m0 = 0; m0 < Mp; m0 += tr) {
      const panel = block + ((<usize>m0 * <usize>kc) << 2);
      const full = m0 + tr <= M;
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        if (full && rs == 1) {
          // the panel's rows at one k are contiguous: rows 0–3 as one vector (row 4 of a 5-row panel after)
          for (; k < kc; k++) {
            const s0 = src + ((<usize>(m0 + (kb + k) * cs)) << 2);
            v128.store(panel + <usize>k * step, v128.load(s0));
            if (tr == 5) store<f32>(panel + <usize>k * step, load<f32>(s0, 16), 16);
          }
        } else if (full && cs == 1) {
          // rows contiguous in k: 4 × 4 transposes of rows 0–3 (row 4 of a 5-row panel one by one)
          const r0 = src + ((<usize>(m0 * rs + kb)) << 2);
          const r1 = r0 + ((<usize>rs) << 2);
          const r2 = r1 + ((<usize>rs) << 2);
          const r3 = r2 + ((<usize>rs) << 2);
          const r4 = r3 + ((<usize>rs) << 2);
          for (; k + 4 <= kc; k += 4) {
            const o = (<usize>k) << 2;
            const a0 = v128.load(r0 + o);
            const a1 = v128.load(r1 + o);
            const a2 = v128.load(r2 + o);
            const a3 = v128.load(r3 + o);
            const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
            const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
            const d = panel + <usize>k * step;
            v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(d + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
            v128.store(d + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
            v128.store(d + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
            if (tr == 5)
              for (let i: usize = 0; i < 4; i++) store<f32>(d + i * step, load<f32>(r4 + o + (i << 2)), 16);
          }
        }
      }
      for (; k < kc; k++) {
        const d = panel + <usize>k * step;
        for (let r = 0; r < tr; r++) {
          const m = m0 + r;
          store<f32>(
            d + ((<usize>r) << 2),
            m < M ? load<f32>(src + ((<usize>m * <usize>rs + <usize>(kb + k) * <usize>cs) << 2)) : 0,
          );
        }
      }
    }
  }
}

/** Packs rows [kb, kb + kc) × columns [jc, jc + nc) of a strided B into NR-column panels. */
function packBStrided(src: usize, rs: i32, cs: i32, kb: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const panel = dst + ((<usize>j0 * <usize>kc) << 2);
    const nr = min(NR, nc - j0);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      if (rs == 1 && nr == NR) {
        // columns contiguous in k (a transposed operand): two 4 × 4 transposes per 4 k
        const csB = (<usize>cs) << 2;
        const c0 = src + ((<usize>kb + <usize>(jc + j0) * <usize>cs) << 2);
        for (; k + 4 <= kc; k += 4) {
          const ck = c0 + ((<usize>k) << 2);
          const d = panel + ((<usize>(k * NR)) << 2);
          for (let h: usize = 0; h < 2; h++) {
            const col = ck + 4 * h * csB;
            const a0 = v128.load(col);
            const a1 = v128.load(col + csB);
            const a2 = v128.load(col + 2 * csB);
            const a3 = v128.load(col + 3 * csB);
            const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
            const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
            const dh = d + (h << 4);
            v128.store(dh, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(dh, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
            v128.store(dh, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
            v128.store(dh, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
          }
        }
      }
    }
    for (; k < kc; k++) {
      const d = panel + ((<usize>(k * NR)) << 2);
      const row = src + ((<usize>(kb + k) * <usize>rs + <usize>(jc + j0) * <usize>cs) << 2);
      if (ASC_FEATURE_SIMD) {
        if (cs == 1 && nr == NR) {
          v128.store(d, v128.load(row));
          v128.store(d, v128.load(row, 16), 16);
          continue;
        }
      }
      let j = 0;
      for (; j < nr; j++) store<f32>(d + ((<usize>j) << 2), load<f32>(row + ((<usize>j * <usize>cs) << 2)));
      for (; j < NR; j++) store<f32>(d + ((<usize>j) << 2), 0);
    }
  }
}

/**
 * C = A · B (or += A · B, or A · B + bias) with A packed by packA; see the record in params.ts.
 * Every element of C[R0:R1, N0:N1] is written and nothing else; concurrent calls on disjoint parts
 * (each with its own GEMM_B_PACK, GEMM_TILE and GEMM_SCRATCH) may share A, B and C.
 */
export function gemm(p: usize): void {
  const M = field(p, GEMM_M);
  const N = field(p, GEMM_N);
  const K = field(p, GEMM_K);
  const A = <usize>field(p, GEMM_PACKED_A);
  const bKind = field(p, GEMM_B_KIND);
  const B = <usize>field(p, GEMM_B);
  const brs = field(p, GEMM_B_ROW_STRIDE);
  const bcs = field(p, GEMM_B_COLUMN_STRIDE);
  const C = <usize>field(p, GEMM_C);
  const ldc = field(p, GEMM_C_ROW_STRIDE);
  const mode0 = field(p, GEMM_MODE);
  const bias = <usize>field(p, GEMM_BIAS);
  const bpack = <usize>field(p, GEMM_B_PACK);
  const tile = <usize>field(p, GEMM_TILE);
  const j0 = field(p, GEMM_FIRST_COLUMN);
  const r0 = field(p, GEMM_ROW_BEGIN);
  const r1 = field(p, GEMM_ROW_END) || M;
  const n0 = field(p, GEMM_COLUMN_BEGIN);
  const n1 = field(p, GEMM_COLUMN_END) || N;
  const scratch = <usize>field(p, GEMM_SCRATCH);
  const kcb = kcOf(K);
  const tr = tileRowsOf(field(p, GEMM_TILE_ROWS));
  const mc = mcOf(tr);
  const Mp = roundUp(M, tr);
  const Np = roundUp(N, NR);
  const ldcB = (<usize>ldc) << 2;
  // phases2x2: one K block, whole 4 × NR tiles, each computed into `tile` and moved into x
  const phases = field(p, GEMM_C_KIND) == GEMM_C_KIND_PHASES2X2;
  const cBatchB = (<usize>field(p, GEMM_C_BATCH_STRIDE)) << 2;
  const cQ = field(p, GEMM_C_POSITIONS);
  const cQx = field(p, GEMM_C_ROW_LENGTH);
  const cRowB = (<usize>cQx) << 3; // bytes per x row: 2 · qx floats
  // scattered: tiles computed into `tile`, rows and panels stored at their table offsets
  const scattered = field(p, GEMM_C_KIND) == GEMM_C_KIND_SCATTERED;
  const cRowOffsets = <usize>field(p, GEMM_C_ROW_OFFSETS);
  const cPanels = <usize>field(p, GEMM_C_PANELS);
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    // K = 0 still runs one (empty) block so that C is written: zero or bias.
    for (let kb = 0; kb < K || (K == 0 && kb == 0); kb += max(kcb, 1)) {
      const kc = min(kcb, K - kb);
      // GEMM_B_KIND_DIRECT: no packing, the micro-kernel reads im2col rows in place (rows: their offsets)
      let rows: usize = 0;
      // the packed panels of this block: bpack, or (GEMM_B_KIND_PACKED) B's whole packing at (kb, jc)
      let bBlock = bpack;
      if (bKind == GEMM_B_KIND_PACKED) bBlock = B + ((<usize>kb * <usize>Np + <usize>jc * <usize>kc) << 2);
      else if (bKind == GEMM_B_KIND_STRIDED) packBStrided(B, brs, bcs, kb, kc, jc, nc, bpack);
      else if (bKind == GEMM_B_KIND_IM2COL) packBIm2col(B, kb, kc, j0 + jc, nc, bpack, scratch);
      else if (bKind == GEMM_B_KIND_DIRECT) rows = directRows(B, kb, kc, scratch);
      else packBWeights(B, kb, kc, jc, nc, bpack, scratch);
      const mode = kb == 0 ? mode0 : GEMM_MODE_ADD;
      const aBlock = A + ((<usize>kb * <usize>Mp) << 2);
      for (let ic = r0; ic < r1; ic += mc) {
        const mEnd = min(r1, ic + mc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bPanel = rows ? directColumn(B, j0 + jc + jr) : bBlock + ((<usize>jr * <usize>kc) << 2);
          if (scattered) {
            const pe = cPanels + ((<usize>((jc + jr) / NR)) << 3);
            scatterTiles(
              kc,
              kb,
              K,
              aBlock,
              bPanel,
              rows,
              ic,
              mEnd,
              C + <usize>load<i32>(pe),
              cRowOffsets,
              tile,
              bias ? bias + ((<usize>load<i32>(pe, 4)) << 2) : 0,
              tr,
            );
            continue;
          }
          if (phases) {
            // x position of column jc + jr: batch element, row qy and column qx of the class
            const j = jc + jr;
            const bq = j / cQ;
            const q = j - bq * cQ;
            const qy = q / cQx;
            const x0 = C + <usize>bq * cBatchB + <usize>qy * (cRowB << 1) + ((<usize>(q - qy * cQx)) << 3);
            // (4-row tiles: one channel's four phases; the caller packs A so)
            if (ASC_FEATURE_SIMD && mode != GEMM_MODE_ADD) {
              const aPanel = aBlock + ((<usize>ic * <usize>kc) << 2);
              const tiles = (mEnd - ic) >> 2;
              const x = x0 + <usize>(ic >> 2) * ldcB;
              const bRow = bias + ((<usize>ic) << 2);
              tiles4(kc, aPanel, bPanel, rows, x, ldcB, mode, bRow, tiles, TO_PHASES, 0, cRowB, 0, false);
              continue;
            }
            for (let ir = ic; ir < mEnd; ir += MR) {
              intoTile(kc, aBlock, ir, bPanel, rows, tile, mode, bias + ((<usize>ir) << 2), MR);
              storePhases2x2(tile, x0 + <usize>(ir >> 2) * ldcB, cRowB);
            }
            continue;
          }
          const cCol = C + ((<usize>(jc + jr)) << 2);
          let ir0 = ic;
          if (ASC_FEATURE_RELAXED_SIMD && tr == 5 && nr == NR) {
            // the whole 5-row tiles of this panel in one call (its k loop nested in the tiles
            // loop, which V8 unrolls), then the partial one
            const whole = (mEnd - ic) / 5;
            const cPtr = cCol + <usize>ic * ldcB;
            const aPanel = aBlock + ((<usize>ic * <usize>kc) << 2);
            const bRow = bias + ((<usize>ic) << 2);
            tiles5(kc, aPanel, bPanel, rows, cPtr, ldcB, mode, bRow, whole, TO_ROWS, 0, 0, false);
            ir0 = ic + whole * 5;
          }
          for (let ir = ir0; ir < mEnd; ir += tr) {
            const mr = min(tr, mEnd - ir);
            const aPanel = aBlock + ((<usize>ir * <usize>kc) << 2);
            const cPtr = cCol + <usize>ir * ldcB;
            const bRow = bias + ((<usize>ir) << 2);
            if (mr == MR && tr == MR && nr == NR) micro4(kc, aPanel, bPanel, rows, cPtr, ldcB, mode, bRow);
            else edgeTile(kc, aPanel, bPanel, rows, cPtr, ldcB, mode, bRow, mr, nr, tile, tr);
          }
        }
      }
    }
  }
}

/**
 * Packs B of the record (kind strided or weights) whole, for a later gemm of kind
 * GEMM_B_KIND_PACKED: per K block kb (kcOf(K) rows), columns [GEMM_COLUMN_BEGIN, GEMM_COLUMN_END)
 * in NR-column panels at GEMM_B_PACK + 4·(kb·roundUp(N, NR) + j0·kc), exactly as gemm packs its
 * blocks (so a gemm on the whole packing computes what one that packs as it goes does). Column
 * ranges start at multiples of NR, so that threads can share the work.
 */
export function packB(p: usize): void {
  const N = field(p, GEMM_N);
  const K = field(p, GEMM_K);
  const bKind = field(p, GEMM_B_KIND);
  const B = <usize>field(p, GEMM_B);
  const brs = field(p, GEMM_B_ROW_STRIDE);
  const bcs = field(p, GEMM_B_COLUMN_STRIDE);
  const dst = <usize>field(p, GEMM_B_PACK);
  const n0 = field(p, GEMM_COLUMN_BEGIN);
  const n1 = field(p, GEMM_COLUMN_END) || N;
  const scratch = <usize>field(p, GEMM_SCRATCH);
  const kcb = kcOf(K);
  const Np = roundUp(N, NR);
  for (let kb = 0; kb < K; kb += kcb) {
    const kc = min(kcb, K - kb);
    const d = dst + ((<usize>kb * <usize>Np + <usize>n0 * <usize>kc) << 2);
    if (bKind == GEMM_B_KIND_STRIDED) packBStrided(B, brs, bcs, kb, kc, n0, n1 - n0, d);
    else packBWeights(B, kb, kc, n0, n1 - n0, d, scratch);
  }
}
