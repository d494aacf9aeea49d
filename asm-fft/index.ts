/**
 * The FFT module: src/fft/fft.ts's batched Stockham transform and src/fft/real.ts's paired real
 * 2-D transforms, with the same arithmetic in the same order (results are bit-identical to the
 * JavaScript path), in 128-bit SIMD: two f64 lanes are two neighbouring transforms of a batch, so
 * every butterfly is the scalar one on f64x2. Plus the two per-frequency and per-element passes of
 * convBPDN's ADMM iteration (src/csc/spectral.ts solveRankOne, src/csc/convBPDN.ts).
 *
 * Every export takes one parameter record (src/fft/wasm-layout.ts, imported here as it is) and
 * works on a part of the problem (planes, frequencies, elements), so src/fft/wasm.ts can run the
 * parts on several threads over one shared memory. No allocator: the caller lays out memory.
 *
 * Built by scripts/build-wasm-fft.ts (part of `npm run build:wasm`) with SIMD and a shared,
 * imported memory. P. N. Swarztrauber, "FFT algorithms for vector computers" (1984).
 */
import {
  RECORD_F64_OFFSET,
  STAGE_FIELDS,
  STAGE_P,
  STAGE_M,
  STAGE_S,
  STAGE_WR,
  STAGE_WI,
  STAGE_CR,
  STAGE_CI,
  FFT_REAL,
  FFT_RE,
  FFT_IM,
  FFT_PLANE_BEGIN,
  FFT_PLANE_END,
  FFT_H,
  FFT_W,
  FFT_STAGES_H,
  FFT_STAGES_W,
  FFT_SLAB,
  FFT_PR,
  FFT_PI,
  FFT_QR,
  FFT_QI,
  FFT_S0R,
  FFT_S0I,
  FFT_S1R,
  FFT_S1I,
  FFT_GENERIC,
  FFT_SCALE,
  SOLVE_A_RE,
  SOLVE_A_IM,
  SOLVE_AA,
  SOLVE_B_RE,
  SOLVE_B_IM,
  SOLVE_Z_RE,
  SOLVE_Z_IM,
  SOLVE_C_RE,
  SOLVE_C_IM,
  SOLVE_PLANES,
  SOLVE_F,
  SOLVE_BEGIN,
  SOLVE_END,
  SOLVE_RHO,
  ADMM_CHUNK,
  ADMM_X,
  ADMM_Y,
  ADMM_U,
  ADMM_T,
  ADMM_BEGIN,
  ADMM_END,
  ADMM_SUMS,
  ADMM_RELAXATION,
  ADMM_THRESHOLD,
} from '../src/fft/wasm-layout';

function field(r: usize, i: i32): i32 {
  return load<i32>(r + ((<usize>i) << 2));
}
function ptr(r: usize, i: i32): usize {
  return <usize>load<i32>(r + ((<usize>i) << 2));
}
function real(r: usize, i: i32): f64 {
  return load<f64>(r + RECORD_F64_OFFSET + ((<usize>i) << 3));
}
/** byte offset of element i of an f64 array */
function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 3);
}
function cmulR(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.sub(f64x2.mul(ar, br), f64x2.mul(ai, bi));
}
function cmulI(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f64x2.add(f64x2.mul(ar, bi), f64x2.mul(ai, br));
}

const SQRT3_2: f64 = Math.sqrt(3) / 2;

/**
 * One Stockham stage (fft.ts `stage`): x viewed as [p][m][s·B], y as [m][p][s·B]. `sb` is even.
 * `gen` is scratch for 2·p v128 (generic radices).
 */
function stage(st: usize, batch: i32, xr: usize, xi: usize, yr: usize, yi: usize, gen: usize): void {
  const p = field(st, STAGE_P);
  const m = field(st, STAGE_M);
  const wr = ptr(st, STAGE_WR);
  const wi = ptr(st, STAGE_WI);
  const sb = field(st, STAGE_S) * batch;
  const mS = (<usize>(m * sb)) << 3; // bytes between x[r] and x[r+1]
  const sB = (<usize>sb) << 3;
  if (p == 4) {
    for (let q = 0; q < m; q++) {
      const w1r = f64x2.splat(load<f64>(at(wr, q * 4 + 1)));
      const w1i = f64x2.splat(load<f64>(at(wi, q * 4 + 1)));
      const w2r = f64x2.splat(load<f64>(at(wr, q * 4 + 2)));
      const w2i = f64x2.splat(load<f64>(at(wi, q * 4 + 2)));
      const w3r = f64x2.splat(load<f64>(at(wr, q * 4 + 3)));
      const w3i = f64x2.splat(load<f64>(at(wi, q * 4 + 3)));
      const x0 = (<usize>(q * sb)) << 3;
      const y0 = (<usize>(q * 4 * sb)) << 3;
      for (let k: usize = 0; k < sB; k += 16) {
        const i0 = x0 + k;
        const ar = v128.load(xr + i0);
        const ai = v128.load(xi + i0);
        const br = v128.load(xr + i0 + mS);
        const bi = v128.load(xi + i0 + mS);
        const cr = v128.load(xr + i0 + 2 * mS);
        const ci = v128.load(xi + i0 + 2 * mS);
        const dr = v128.load(xr + i0 + 3 * mS);
        const di = v128.load(xi + i0 + 3 * mS);
        const t0r = f64x2.add(ar, cr);
        const t0i = f64x2.add(ai, ci);
        const t1r = f64x2.sub(ar, cr);
        const t1i = f64x2.sub(ai, ci);
        const t2r = f64x2.add(br, dr);
        const t2i = f64x2.add(bi, di);
        const t3r = f64x2.sub(bi, di);
        const t3i = f64x2.sub(dr, br);
        const j = y0 + k;
        v128.store(yr + j, f64x2.add(t0r, t2r));
        v128.store(yi + j, f64x2.add(t0i, t2i));
        const u1r = f64x2.add(t1r, t3r);
        const u1i = f64x2.add(t1i, t3i);
        v128.store(yr + j + sB, cmulR(u1r, u1i, w1r, w1i));
        v128.store(yi + j + sB, cmulI(u1r, u1i, w1r, w1i));
        const u2r = f64x2.sub(t0r, t2r);
        const u2i = f64x2.sub(t0i, t2i);
        v128.store(yr + j + 2 * sB, cmulR(u2r, u2i, w2r, w2i));
        v128.store(yi + j + 2 * sB, cmulI(u2r, u2i, w2r, w2i));
        const u3r = f64x2.sub(t1r, t3r);
        const u3i = f64x2.sub(t1i, t3i);
        v128.store(yr + j + 3 * sB, cmulR(u3r, u3i, w3r, w3i));
        v128.store(yi + j + 3 * sB, cmulI(u3r, u3i, w3r, w3i));
      }
    }
    return;
  }
  if (p == 2) {
    for (let q = 0; q < m; q++) {
      const w1r = f64x2.splat(load<f64>(at(wr, q * 2 + 1)));
      const w1i = f64x2.splat(load<f64>(at(wi, q * 2 + 1)));
      const x0 = (<usize>(q * sb)) << 3;
      const y0 = (<usize>(q * 2 * sb)) << 3;
      for (let k: usize = 0; k < sB; k += 16) {
        const i0 = x0 + k;
        const ar = v128.load(xr + i0);
        const ai = v128.load(xi + i0);
        const br = v128.load(xr + i0 + mS);
        const bi = v128.load(xi + i0 + mS);
        const j = y0 + k;
        v128.store(yr + j, f64x2.add(ar, br));
        v128.store(yi + j, f64x2.add(ai, bi));
        const ur = f64x2.sub(ar, br);
        const ui = f64x2.sub(ai, bi);
        v128.store(yr + j + sB, cmulR(ur, ui, w1r, w1i));
        v128.store(yi + j + sB, cmulI(ur, ui, w1r, w1i));
      }
    }
    return;
  }
  if (p == 3) {
    const half = f64x2.splat(0.5);
    const c3 = f64x2.splat(SQRT3_2);
    const c3n = f64x2.splat(-SQRT3_2);
    for (let q = 0; q < m; q++) {
      const w1r = f64x2.splat(load<f64>(at(wr, q * 3 + 1)));
      const w1i = f64x2.splat(load<f64>(at(wi, q * 3 + 1)));
      const w2r = f64x2.splat(load<f64>(at(wr, q * 3 + 2)));
      const w2i = f64x2.splat(load<f64>(at(wi, q * 3 + 2)));
      const x0 = (<usize>(q * sb)) << 3;
      const y0 = (<usize>(q * 3 * sb)) << 3;
      for (let k: usize = 0; k < sB; k += 16) {
        const i0 = x0 + k;
        const ar = v128.load(xr + i0);
        const ai = v128.load(xi + i0);
        const br = v128.load(xr + i0 + mS);
        const bi = v128.load(xi + i0 + mS);
        const cr = v128.load(xr + i0 + 2 * mS);
        const ci = v128.load(xi + i0 + 2 * mS);
        const sr = f64x2.add(br, cr);
        const si = f64x2.add(bi, ci);
        const mr = f64x2.sub(ar, f64x2.mul(half, sr));
        const mi = f64x2.sub(ai, f64x2.mul(half, si));
        const dr = f64x2.mul(c3, f64x2.sub(bi, ci));
        const di = f64x2.mul(c3n, f64x2.sub(br, cr));
        const j = y0 + k;
        v128.store(yr + j, f64x2.add(ar, sr));
        v128.store(yi + j, f64x2.add(ai, si));
        const u1r = f64x2.add(mr, dr);
        const u1i = f64x2.add(mi, di);
        v128.store(yr + j + sB, cmulR(u1r, u1i, w1r, w1i));
        v128.store(yi + j + sB, cmulI(u1r, u1i, w1r, w1i));
        const u2r = f64x2.sub(mr, dr);
        const u2i = f64x2.sub(mi, di);
        v128.store(yr + j + 2 * sB, cmulR(u2r, u2i, w2r, w2i));
        v128.store(yi + j + 2 * sB, cmulI(u2r, u2i, w2r, w2i));
      }
    }
    return;
  }
  // generic odd radix: O(p²) per output group, the roots' index e = r·t mod p as in fft.ts
  const cr = ptr(st, STAGE_CR);
  const ci = ptr(st, STAGE_CI);
  const gi = gen + ((<usize>p) << 4);
  for (let q = 0; q < m; q++) {
    const x0 = (<usize>(q * sb)) << 3;
    const y0 = (<usize>(q * p * sb)) << 3;
    for (let k: usize = 0; k < sB; k += 16) {
      for (let r = 0; r < p; r++) {
        const o = x0 + k + <usize>r * mS;
        v128.store(gen + ((<usize>r) << 4), v128.load(xr + o));
        v128.store(gi + ((<usize>r) << 4), v128.load(xi + o));
      }
      for (let t = 0; t < p; t++) {
        let sr = f64x2.splat(0);
        let si = f64x2.splat(0);
        for (let r = 0, e = 0; r < p; r++, e = (e + t) % p) {
          const ar = v128.load(gen + ((<usize>r) << 4));
          const ai = v128.load(gi + ((<usize>r) << 4));
          const c = f64x2.splat(load<f64>(at(cr, e)));
          const s = f64x2.splat(load<f64>(at(ci, e)));
          sr = f64x2.add(sr, f64x2.sub(f64x2.mul(ar, c), f64x2.mul(ai, s)));
          si = f64x2.add(si, f64x2.add(f64x2.mul(ar, s), f64x2.mul(ai, c)));
        }
        const tw = q * p + t;
        const twr = f64x2.splat(load<f64>(at(wr, tw)));
        const twi = f64x2.splat(load<f64>(at(wi, tw)));
        const j = y0 + <usize>t * sB + k;
        v128.store(yr + j, cmulR(sr, si, twr, twi));
        v128.store(yi + j, cmulI(sr, si, twr, twi));
      }
    }
  }
}

/**
 * The stages of a stage table on a batch (even) starting in buffer 0 (xr, xi), ping-ponging with
 * buffer 1 (yr, yi); returns the buffer that holds the result.
 */
function transform(table: usize, batch: i32, xr: usize, xi: usize, yr: usize, yi: usize, gen: usize): i32 {
  const count = load<i32>(table);
  let where = 0;
  for (let i = 0; i < count; i++) {
    const st = table + 4 + ((<usize>(i * STAGE_FIELDS)) << 2);
    if (where == 0) stage(st, batch, xr, xi, yr, yi, gen);
    else stage(st, batch, yr, yi, xr, xi, gen);
    where ^= 1;
  }
  return where;
}

const BLOCK = 32;
const SLAB = FFT_SLAB;

/**
 * One pass of transforms of length `len` over `count` lines: element t of line b is read at
 * t·inT + b·inB of (ar, ai) (`ai` = 0: the imaginary part is zero) and written at
 * t·outT + b·outB of (dr, di) — or, when `realOut` (the inverse's last pass; outB = 1 there),
 * the real part times `scale` into dr and −imaginary times `scale` into di (unless di is 0). The lines go
 * through the record's cache-sized scratch SLAB at a time, batch-interleaved (element t of line
 * c at t·cw2 + c: the transform's batch runs over the lines; an odd slab padded with a zero line),
 * transformed between s0 and s1. The row and the column passes of both real 2-D transforms are
 * this one loop with their strides.
 */
function pass(
  rec: usize,
  table: usize,
  len: i32,
  count: i32,
  ar: usize,
  ai: usize,
  inT: i32,
  inB: i32,
  dr: usize,
  di: usize,
  outT: i32,
  outB: i32,
  realOut: bool,
  scale: f64,
): void {
  const s0r = ptr(rec, FFT_S0R);
  const s0i = ptr(rec, FFT_S0I);
  const s1r = ptr(rec, FFT_S1R);
  const s1i = ptr(rec, FFT_S1I);
  const gen = ptr(rec, FFT_GENERIC);
  for (let b0 = 0; b0 < count; b0 += SLAB) {
    const cw = min(SLAB, count - b0);
    const cw2 = (cw + 1) & ~1;
    // gather, walking the source along its unit stride (the lines when inB = 1, else along each line)
    if (inB == 1) {
      for (let t = 0; t < len; t++) {
        const o = t * inT + b0;
        const so = t * cw2;
        for (let c = 0; c < cw; c++) {
          store<f64>(at(s0r, so + c), load<f64>(at(ar, o + c)));
          store<f64>(at(s0i, so + c), ai ? load<f64>(at(ai, o + c)) : 0);
        }
      }
    } else {
      for (let c = 0; c < cw; c++) {
        const o = (b0 + c) * inB;
        for (let t = 0; t < len; t++) {
          store<f64>(at(s0r, t * cw2 + c), load<f64>(at(ar, o + t * inT)));
          store<f64>(at(s0i, t * cw2 + c), ai ? load<f64>(at(ai, o + t * inT)) : 0);
        }
      }
    }
    if (cw2 > cw) {
      for (let t = 0; t < len; t++) {
        store<f64>(at(s0r, t * cw2 + cw), 0);
        store<f64>(at(s0i, t * cw2 + cw), 0);
      }
    }
    let rr = s0r,
      ri = s0i;
    if (transform(table, cw2, s0r, s0i, s1r, s1i, gen) == 1) {
      rr = s1r;
      ri = s1i;
    }
    // scatter, walking the destination along its unit stride
    if (realOut) {
      // (the inverse's last pass: outB = 1)
      for (let t = 0; t < len; t++) {
        const d = t * outT + b0;
        const so = t * cw2;
        for (let c = 0; c < cw; c++) {
          store<f64>(at(dr, d + c), load<f64>(at(rr, so + c)) * scale);
          if (di) store<f64>(at(di, d + c), -load<f64>(at(ri, so + c)) * scale);
        }
      }
    } else if (outB == 1) {
      for (let t = 0; t < len; t++) {
        const d = t * outT + b0;
        const so = t * cw2;
        for (let c = 0; c < cw; c++) {
          store<f64>(at(dr, d + c), load<f64>(at(rr, so + c)));
          store<f64>(at(di, d + c), load<f64>(at(ri, so + c)));
        }
      }
    } else {
      for (let c = 0; c < cw; c++) {
        const d = (b0 + c) * outB;
        for (let t = 0; t < len; t++) {
          store<f64>(at(dr, d + t * outT), load<f64>(at(rr, t * cw2 + c)));
          store<f64>(at(di, d + t * outT), load<f64>(at(ri, t * cw2 + c)));
        }
      }
    }
  }
}

/** Forward real 2-D DFT of planes [begin, end) (real.ts realFft2, one pair at a time). */
export function realFft2(rec: usize): void {
  const x = ptr(rec, FFT_REAL);
  const re = ptr(rec, FFT_RE);
  const im = ptr(rec, FFT_IM);
  const begin = field(rec, FFT_PLANE_BEGIN);
  const end = field(rec, FFT_PLANE_END);
  const h = field(rec, FFT_H);
  const w = field(rec, FFT_W);
  const tabH = ptr(rec, FFT_STAGES_H);
  const tabW = ptr(rec, FFT_STAGES_W);
  const kw = w / 2 + 1;
  const hw = h * w;
  const pr = ptr(rec, FFT_PR);
  const pi = ptr(rec, FFT_PI);
  const qr = ptr(rec, FFT_QR);
  const qi = ptr(rec, FFT_QI);
  for (let p = begin; p < end; p += 2) {
    const pair = p + 1 < end;
    const a0 = p * hw;
    const bo = (p + 1) * hw;
    // z = a + i·b along h (the columns: element t of column b at t·w + b) into P [h][w]; along w
    // (the rows of P: element t of row b at b·w + t) into Q = Z^T [w][h]
    pass(rec, tabH, h, w, at(x, a0), pair ? at(x, bo) : 0, w, 1, pr, pi, w, 1, false, 1);
    pass(rec, tabW, w, h, pr, pi, 1, w, qr, qi, h, 1, false, 1);
    // Z^T[b][a] -> half spectra [a][b], separating the pair, in cache-sized blocks
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    for (let bb = 0; bb < kw; bb += BLOCK) {
      const b1 = min(kw, bb + BLOCK);
      for (let aa = 0; aa < h; aa += BLOCK) {
        const a1 = min(h, aa + BLOCK);
        for (let b = bb; b < b1; b++) {
          const nb = b == 0 ? 0 : w - b;
          const zb = b * h;
          const cb = nb * h;
          for (let a = aa; a < a1; a++) {
            const na = a == 0 ? 0 : h - a;
            const o = a * kw + b;
            const zRe = load<f64>(at(qr, zb + a));
            const zIm = load<f64>(at(qi, zb + a));
            if (!pair) {
              store<f64>(at(re, oa + o), zRe);
              store<f64>(at(im, oa + o), zIm);
              continue;
            }
            const cRe = load<f64>(at(qr, cb + na));
            const cIm = -load<f64>(at(qi, cb + na));
            store<f64>(at(re, oa + o), 0.5 * (zRe + cRe));
            store<f64>(at(im, oa + o), 0.5 * (zIm + cIm));
            store<f64>(at(re, ob + o), 0.5 * (zIm - cIm));
            store<f64>(at(im, ob + o), -0.5 * (zRe - cRe));
          }
        }
      }
    }
  }
}

/** Inverse real 2-D DFT of planes [begin, end) (real.ts inverseRealFft2). */
export function inverseRealFft2(rec: usize): void {
  const y = ptr(rec, FFT_REAL);
  const re = ptr(rec, FFT_RE);
  const im = ptr(rec, FFT_IM);
  const begin = field(rec, FFT_PLANE_BEGIN);
  const end = field(rec, FFT_PLANE_END);
  const h = field(rec, FFT_H);
  const w = field(rec, FFT_W);
  const tabH = ptr(rec, FFT_STAGES_H);
  const tabW = ptr(rec, FFT_STAGES_W);
  const scale = real(rec, FFT_SCALE);
  const kw = w / 2 + 1;
  const hw = h * w;
  const pr = ptr(rec, FFT_PR);
  const pi = ptr(rec, FFT_PI);
  const qr = ptr(rec, FFT_QR);
  const qi = ptr(rec, FFT_QI);
  for (let p = begin; p < end; p += 2) {
    const pair = p + 1 < end;
    const oa = p * h * kw;
    const ob = (p + 1) * h * kw;
    // conj(X_a + i X_b) on the full plane, transposed: Q[b][a]
    for (let bb = 0; bb < w; bb += BLOCK) {
      const b1 = min(w, bb + BLOCK);
      for (let aa = 0; aa < h; aa += BLOCK) {
        const a1 = min(h, aa + BLOCK);
        for (let b = bb; b < b1; b++) {
          const half = b < kw;
          for (let a = aa; a < a1; a++) {
            const i = half ? a * kw + b : (a == 0 ? 0 : h - a) * kw + (w - b);
            const s: f64 = half ? 1 : -1;
            const ar = load<f64>(at(re, oa + i));
            const ai = s * load<f64>(at(im, oa + i));
            const br: f64 = pair ? load<f64>(at(re, ob + i)) : 0;
            const bi: f64 = pair ? s * load<f64>(at(im, ob + i)) : 0;
            store<f64>(at(qr, b * h + a), ar - bi);
            store<f64>(at(qi, b * h + a), -(ai + br));
          }
        }
      }
    }
    // along w: Q is (w, h), its columns are the transforms (element t of column b at t·h + b);
    // written transposed into P [h][w] (at b·w + t)
    pass(rec, tabW, w, h, qr, qi, h, 1, pr, pi, 1, w, false, 1);
    // along h: the columns of P, z = conj(result)·scale: real part -> plane a, imaginary -> b
    const a0 = p * hw;
    const bo = (p + 1) * hw;
    pass(rec, tabH, h, w, pr, pi, w, 1, at(y, a0), pair ? at(y, bo) : 0, w, 1, true, scale);
  }
}

/**
 * spectral.ts solveRankOne on frequencies [begin, end): z = (b − conj(a)·(Σ a z̃)/(ρ + aa))/ρ with
 * b = AhS + ρZ, and c = Σ_m A_m z_m. `begin` is even; an odd end gets a scalar last element.
 */
export function solveRankOne(rec: usize): void {
  const Ar = ptr(rec, SOLVE_A_RE);
  const Ai = ptr(rec, SOLVE_A_IM);
  const aa = ptr(rec, SOLVE_AA);
  const Br = ptr(rec, SOLVE_B_RE);
  const Bi = ptr(rec, SOLVE_B_IM);
  const Zr = ptr(rec, SOLVE_Z_RE);
  const Zi = ptr(rec, SOLVE_Z_IM);
  const Cr = ptr(rec, SOLVE_C_RE);
  const Ci = ptr(rec, SOLVE_C_IM);
  const planes = field(rec, SOLVE_PLANES);
  const F = field(rec, SOLVE_F);
  const begin = field(rec, SOLVE_BEGIN);
  const end = field(rec, SOLVE_END);
  const rho = real(rec, SOLVE_RHO);
  const vend = begin + ((end - begin) & ~1);
  const vrho = f64x2.splat(rho);
  for (let k = begin; k < end; k++) {
    store<f64>(at(Cr, k), 0);
    store<f64>(at(Ci, k), 0);
  }
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    let k = begin;
    for (; k < vend; k += 2) {
      const i = at(0, o + k);
      const br = f64x2.add(v128.load(Br + i), f64x2.mul(vrho, v128.load(Zr + i)));
      const bi = f64x2.add(v128.load(Bi + i), f64x2.mul(vrho, v128.load(Zi + i)));
      v128.store(Zr + i, br);
      v128.store(Zi + i, bi);
      const ar = v128.load(Ar + i);
      const ai = v128.load(Ai + i);
      const c = at(0, k);
      v128.store(Cr + c, f64x2.add(v128.load(Cr + c), cmulR(ar, ai, br, bi)));
      v128.store(Ci + c, f64x2.add(v128.load(Ci + c), cmulI(ar, ai, br, bi)));
    }
    for (; k < end; k++) {
      const i = at(0, o + k);
      const br = load<f64>(Br + i) + rho * load<f64>(Zr + i);
      const bi = load<f64>(Bi + i) + rho * load<f64>(Zi + i);
      store<f64>(Zr + i, br);
      store<f64>(Zi + i, bi);
      const ar = load<f64>(Ar + i);
      const ai = load<f64>(Ai + i);
      const c = at(0, k);
      store<f64>(Cr + c, load<f64>(Cr + c) + (ar * br - ai * bi));
      store<f64>(Ci + c, load<f64>(Ci + c) + (ar * bi + ai * br));
    }
  }
  const inv = 1 / rho;
  for (let k = begin; k < end; k++) {
    const s = 1 / (rho + load<f64>(at(aa, k)));
    store<f64>(at(Cr, k), load<f64>(at(Cr, k)) * s);
    store<f64>(at(Ci, k), load<f64>(at(Ci, k)) * s);
  }
  const vinv = f64x2.splat(inv);
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    let k = begin;
    for (; k < vend; k += 2) {
      const i = at(0, o + k);
      const ar = v128.load(Ar + i);
      const ai = f64x2.neg(v128.load(Ai + i));
      const c = at(0, k);
      const gr = v128.load(Cr + c);
      const gi = v128.load(Ci + c);
      v128.store(Zr + i, f64x2.mul(f64x2.sub(v128.load(Zr + i), cmulR(ar, ai, gr, gi)), vinv));
      v128.store(Zi + i, f64x2.mul(f64x2.sub(v128.load(Zi + i), cmulI(ar, ai, gr, gi)), vinv));
    }
    for (; k < end; k++) {
      const i = at(0, o + k);
      const ar = load<f64>(Ar + i);
      const ai = -load<f64>(Ai + i);
      const c = at(0, k);
      const gr = load<f64>(Cr + c);
      const gi = load<f64>(Ci + c);
      store<f64>(Zr + i, (load<f64>(Zr + i) - (ar * gr - ai * gi)) * inv);
      store<f64>(Zi + i, (load<f64>(Zi + i) - (ar * gi + ai * gr)) * inv);
    }
  }
}

/**
 * convBPDN's relaxed y- and u-steps on elements [begin, end) (chunk-aligned begin):
 * v = αx + (1 − α)y + u, y = soft(v, λ/ρ), u = v − y, T = y − u, with the six sums of the
 * residuals per ADMM_CHUNK (lane 0 the even elements and an odd last one, lane 1 the odd).
 */
export function admmStep(rec: usize): void {
  const X = ptr(rec, ADMM_X);
  const Y = ptr(rec, ADMM_Y);
  const U = ptr(rec, ADMM_U);
  const T = ptr(rec, ADMM_T);
  const begin = field(rec, ADMM_BEGIN);
  const end = field(rec, ADMM_END);
  const sums = ptr(rec, ADMM_SUMS);
  const a = real(rec, ADMM_RELAXATION);
  const thr = real(rec, ADMM_THRESHOLD);
  const va = f64x2.splat(a);
  const vb = f64x2.splat(1 - a);
  const vt = f64x2.splat(thr);
  const vnt = f64x2.splat(-thr);
  for (let c0 = begin; c0 < end; c0 += ADMM_CHUNK) {
    const c1 = min(end, c0 + ADMM_CHUNK);
    const vend = c0 + ((c1 - c0) & ~1);
    let l1 = f64x2.splat(0),
      r2 = f64x2.splat(0),
      s2 = f64x2.splat(0),
      x2 = f64x2.splat(0),
      y2 = f64x2.splat(0),
      u2 = f64x2.splat(0);
    for (let i = c0; i < vend; i += 2) {
      const o = at(0, i);
      const x = v128.load(X + o);
      const yOld = v128.load(Y + o);
      const v = f64x2.add(f64x2.add(f64x2.mul(va, x), f64x2.mul(vb, yOld)), v128.load(U + o));
      const y = f64x2.sub(v, f64x2.min(f64x2.max(v, vnt), vt));
      const u = f64x2.sub(v, y);
      v128.store(Y + o, y);
      v128.store(U + o, u);
      v128.store(T + o, f64x2.sub(y, u));
      l1 = f64x2.add(l1, f64x2.abs(x));
      const e = f64x2.sub(x, y);
      const f = f64x2.sub(y, yOld);
      r2 = f64x2.add(r2, f64x2.mul(e, e));
      s2 = f64x2.add(s2, f64x2.mul(f, f));
      x2 = f64x2.add(x2, f64x2.mul(x, x));
      y2 = f64x2.add(y2, f64x2.mul(y, y));
      u2 = f64x2.add(u2, f64x2.mul(u, u));
    }
    let sl1 = f64x2.extract_lane(l1, 0),
      sr2 = f64x2.extract_lane(r2, 0),
      ss2 = f64x2.extract_lane(s2, 0),
      sx2 = f64x2.extract_lane(x2, 0),
      sy2 = f64x2.extract_lane(y2, 0),
      su2 = f64x2.extract_lane(u2, 0);
    if (vend < c1) {
      const o = at(0, vend);
      const x = load<f64>(X + o);
      const yOld = load<f64>(Y + o);
      const v = a * x + (1 - a) * yOld + load<f64>(U + o);
      const y = v - min(max(v, -thr), thr);
      const u = v - y;
      store<f64>(Y + o, y);
      store<f64>(U + o, u);
      store<f64>(T + o, y - u);
      sl1 += abs(x);
      const e = x - y;
      const f = y - yOld;
      sr2 += e * e;
      ss2 += f * f;
      sx2 += x * x;
      sy2 += y * y;
      su2 += u * u;
    }
    const s = sums + ((<usize>((c0 / ADMM_CHUNK) * 6)) << 3);
    store<f64>(s, sl1 + f64x2.extract_lane(l1, 1));
    store<f64>(s + 8, sr2 + f64x2.extract_lane(r2, 1));
    store<f64>(s + 16, ss2 + f64x2.extract_lane(s2, 1));
    store<f64>(s + 24, sx2 + f64x2.extract_lane(x2, 1));
    store<f64>(s + 32, sy2 + f64x2.extract_lane(y2, 1));
    store<f64>(s + 40, su2 + f64x2.extract_lane(u2, 1));
  }
}

/** Where the caller's memory may start (above the module's stack and static data). */
export function heapBase(): usize {
  return __heap_base;
}
