/**
 * im2col and col2im over a convolution slice record (params.ts, V_*), 1-3 spatial dimensions padded
 * to 3. im2col row (c, kz, ky, kx), column (b, oz, oy, ox) holds
 *   x[b·bs + c·cs + (oz·Sz − Pz + kz·Dz, oy·Sy − Py + ky·Dy, ox·Sx − Px + kx·Dx)]   (0 outside x).
 *
 * packBIm2col packs a block of im2col straight into the GEMM's NR-column B panels (no im2col
 * matrix in memory), panel by panel so that the writes are sequential. im2colBlock writes a plain
 * row-major im2col matrix, or adds one back into x (col2im): each row is walked as runs along ox
 * that split into a left zero part, a part inside x and a right zero part, found once per kernel
 * tap. Where the stride along x is 1 the inside parts are copied (or added) with f32x4.
 * padCopy makes a zero-padded copy of x so that no tap falls outside it; then packBIm2col runs
 * without bounds tests, or the GEMM skips packing and reads im2col in place (directRows).
 */
import {
  SLICE_CHANNELS,
  SLICE_X_SIZE,
  SLICE_Y_SIZE,
  SLICE_KERNEL_SIZE,
  SLICE_STRIDE,
  SLICE_DILATION,
  SLICE_PAD_BEGIN,
  SLICE_SRC,
  SLICE_CHANNEL_STRIDE,
  SLICE_BATCH_STRIDE,
  SLICE_BATCH_COUNT,
  SLICE_COLUMNS,
  SLICE_COLUMN_STRIDE,
} from './params';
import {
  PAD_SRC,
  PAD_SRC_PLANE_STRIDE,
  PAD_DST,
  PAD_PLANES,
  PAD_INPUT_SIZE,
  PAD_PAD_BEGIN,
  PAD_PAD_END,
  PAD_DST_PLANE_STRIDE,
} from './params';
import { KC, NR } from './blocking';

function f(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

/** First o ≥ 0 with o·s + off ≥ 0, at most n. */
function firstInside(off: i32, s: i32, n: i32): i32 {
  return off >= 0 ? 0 : min(n, (s - 1 - off) / s);
}

/** One past the last o < n with o·s + off ≤ size − 1 (at least lo). */
function endInside(off: i32, s: i32, size: i32, n: i32, lo: i32): i32 {
  const last = size - 1 - off;
  return last < 0 ? lo : max(lo, min(n, last / s + 1));
}

/** n contiguous floats: dst ← src (accumulate false) or src ← src + dst (accumulate: col2im). */
function copyRun(dst: usize, src: usize, n: i32, stride: i32, accumulate: bool): void {
  let i = 0;
  if (stride == 1) {
    if (ASC_FEATURE_SIMD) {
      if (accumulate) {
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(src + o, f32x4.add(v128.load(src + o), v128.load(dst + o)));
        }
      } else {
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(dst + o, v128.load(src + o));
        }
      }
    }
  }
  const sb = (<usize>stride) << 2;
  if (accumulate) {
    for (; i < n; i++) {
      const s = src + <usize>i * sb;
      store<f32>(s, load<f32>(s) + load<f32>(dst + ((<usize>i) << 2)));
    }
  } else {
    for (; i < n; i++) store<f32>(dst + ((<usize>i) << 2), load<f32>(src + <usize>i * sb));
  }
}

function zeroRun(dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) v128.store(dst + ((<usize>i) << 2), z);
  }
  for (; i < n; i++) store<f32>(dst + ((<usize>i) << 2), 0);
}

/**
 * Rows [k0, k0 + kc) × columns [j0, j0 + nc) of im2col of the slice at g, as a row-major matrix
 * at dst (row stride rowStride floats). accumulate: col2im, x += the matrix (dst is then read, and
 * the zero parts are skipped).
 */
function im2colBlock(
  g: usize,
  k0: i32,
  kc: i32,
  j0: i32,
  nc: i32,
  dst: usize,
  rowStride: i32,
  accumulate: bool,
): void {
  const X0 = f(g, SLICE_X_SIZE),
    X1 = f(g, SLICE_X_SIZE + 1),
    X2 = f(g, SLICE_X_SIZE + 2);
  const Y0 = f(g, SLICE_Y_SIZE),
    Y1 = f(g, SLICE_Y_SIZE + 1),
    Y2 = f(g, SLICE_Y_SIZE + 2);
  const K1 = f(g, SLICE_KERNEL_SIZE + 1),
    K2 = f(g, SLICE_KERNEL_SIZE + 2);
  const kVol = f(g, SLICE_KERNEL_SIZE) * K1 * K2;
  const S0 = f(g, SLICE_STRIDE),
    S1 = f(g, SLICE_STRIDE + 1),
    S2 = f(g, SLICE_STRIDE + 2);
  const D0 = f(g, SLICE_DILATION),
    D1 = f(g, SLICE_DILATION + 1),
    D2 = f(g, SLICE_DILATION + 2);
  const P0 = f(g, SLICE_PAD_BEGIN),
    P1 = f(g, SLICE_PAD_BEGIN + 1),
    P2 = f(g, SLICE_PAD_BEGIN + 2);
  const src = <usize>f(g, SLICE_SRC);
  const cs = f(g, SLICE_CHANNEL_STRIDE);
  const bs = f(g, SLICE_BATCH_STRIDE);
  const yPlane = Y1 * Y2;
  const yVol = Y0 * yPlane;
  // decode the first column once
  const b0 = j0 / yVol;
  const r0 = j0 - b0 * yVol;
  const oz0 = r0 / yPlane;
  const oy0 = (r0 - oz0 * yPlane) / Y2;
  const ox0 = r0 - oz0 * yPlane - oy0 * Y2;
  for (let kk = 0; kk < kc; kk++) {
    const k = k0 + kk;
    const c = k / kVol;
    const t = k - c * kVol;
    const kz = t / (K1 * K2);
    const ky = (t - kz * K1 * K2) / K2;
    const kx = t - kz * K1 * K2 - ky * K2;
    const offz = kz * D0 - P0;
    const offy = ky * D1 - P1;
    const offx = kx * D2 - P2;
    const lo = firstInside(offx, S2, Y2);
    const hi = endInside(offx, S2, X2, Y2, lo);
    const rowBase = dst + ((<usize>kk * <usize>rowStride) << 2);
    let b = b0,
      oz = oz0,
      oy = oy0,
      ox = ox0;
    let jj = 0;
    while (jj < nc) {
      const run = min(Y2 - ox, nc - jj);
      const iz = oz * S0 + offz;
      const iy = oy * S1 + offy;
      // the run [ox, ox + run) splits into zeros [ox, a), inside [a, e), zeros [e, ox + run)
      let a = ox + run,
        e = ox + run;
      if (iz >= 0 && iz < X0 && iy >= 0 && iy < X1) {
        a = min(max(lo, ox), ox + run);
        e = max(a, min(hi, ox + run));
      }
      const sRow = src + ((<usize>(b * bs + c * cs + (iz * X1 + iy) * X2 + offx)) << 2);
      const d = rowBase + ((<usize>jj) << 2);
      const za = a - ox; // zeros before the inside part
      const ze = e - ox; // end of the inside part
      if (!accumulate) zeroRun(d, za);
      if (ze > za) copyRun(d + ((<usize>za) << 2), sRow + ((<usize>(a * S2)) << 2), ze - za, S2, accumulate);
      if (!accumulate) zeroRun(d + ((<usize>ze) << 2), run - ze);
      jj += run;
      ox += run;
      if (ox == Y2) {
        ox = 0;
        if (++oy == Y1) {
          oy = 0;
          if (++oz == Y0) {
            oz = 0;
            b++;
          }
        }
      }
    }
  }
}

/** Plain im2col: cols (C·kVol rows, NB·Yvol columns, row stride SLICE_COLUMN_STRIDE) ← x slice. */
export function im2col(g: usize): void {
  const rows =
    f(g, SLICE_CHANNELS) *
    f(g, SLICE_KERNEL_SIZE) *
    f(g, SLICE_KERNEL_SIZE + 1) *
    f(g, SLICE_KERNEL_SIZE + 2);
  const ncol = f(g, SLICE_BATCH_COUNT) * f(g, SLICE_Y_SIZE) * f(g, SLICE_Y_SIZE + 1) * f(g, SLICE_Y_SIZE + 2);
  im2colBlock(g, 0, rows, 0, ncol, <usize>f(g, SLICE_COLUMNS), f(g, SLICE_COLUMN_STRIDE), false);
}

/** col2im: x slice += cols (the x slice must be initialised; every tap adds its column). */
export function col2im(g: usize): void {
  const rows =
    f(g, SLICE_CHANNELS) *
    f(g, SLICE_KERNEL_SIZE) *
    f(g, SLICE_KERNEL_SIZE + 1) *
    f(g, SLICE_KERNEL_SIZE + 2);
  const ncol = f(g, SLICE_BATCH_COUNT) * f(g, SLICE_Y_SIZE) * f(g, SLICE_Y_SIZE + 1) * f(g, SLICE_Y_SIZE + 2);
  im2colBlock(g, 0, rows, 0, ncol, <usize>f(g, SLICE_COLUMNS), f(g, SLICE_COLUMN_STRIDE), true);
}

/** Per K row of a packed block: x offset of the tap, then the valid output ranges [lo, hi) per dim. */
const ROW_FIELDS = 7;

/**
 * Rows [k0, k0 + kc) × columns [j0, j0 + nc) of im2col of the slice at g, packed for the GEMM:
 * NR-column panels, k-major inside a panel (panel stride kc·NR floats), lanes past nc zero.
 * `scratch`: the caller's SCRATCH_I32 i32s (the row table, then the column table of a panel that
 * crosses output rows: x offset of the column, oz, oy, ox), so that concurrent calls do not share it.
 */
export function packBIm2col(g: usize, k0: i32, kc: i32, j0: i32, nc: i32, dst: usize, scratch: usize): void {
  const ROWS = scratch;
  const COLS = scratch + <usize>(KC * ROW_FIELDS * 4);
  const X0 = f(g, SLICE_X_SIZE),
    X1 = f(g, SLICE_X_SIZE + 1),
    X2 = f(g, SLICE_X_SIZE + 2);
  const Y0 = f(g, SLICE_Y_SIZE),
    Y1 = f(g, SLICE_Y_SIZE + 1),
    Y2 = f(g, SLICE_Y_SIZE + 2);
  const K1 = f(g, SLICE_KERNEL_SIZE + 1),
    K2 = f(g, SLICE_KERNEL_SIZE + 2);
  const kVol = f(g, SLICE_KERNEL_SIZE) * K1 * K2;
  const S0 = f(g, SLICE_STRIDE),
    S1 = f(g, SLICE_STRIDE + 1),
    S2 = f(g, SLICE_STRIDE + 2);
  const D0 = f(g, SLICE_DILATION),
    D1 = f(g, SLICE_DILATION + 1),
    D2 = f(g, SLICE_DILATION + 2);
  const P0 = f(g, SLICE_PAD_BEGIN),
    P1 = f(g, SLICE_PAD_BEGIN + 1),
    P2 = f(g, SLICE_PAD_BEGIN + 2);
  const src = <usize>f(g, SLICE_SRC);
  const cs = f(g, SLICE_CHANNEL_STRIDE);
  const bs = f(g, SLICE_BATCH_STRIDE);
  const xPlane = X1 * X2;
  const yPlane = Y1 * Y2;
  const yVol = Y0 * yPlane;
  // the row table; allIn: every tap of every column lies inside x (a padded copy), no tests needed
  let allIn = true;
  for (let kk = 0; kk < kc; kk++) {
    const k = k0 + kk;
    const c = k / kVol;
    const t = k - c * kVol;
    const kz = t / (K1 * K2);
    const ky = (t - kz * K1 * K2) / K2;
    const kx = t - kz * K1 * K2 - ky * K2;
    const offz = kz * D0 - P0;
    const offy = ky * D1 - P1;
    const offx = kx * D2 - P2;
    const r = ROWS + ((<usize>(kk * ROW_FIELDS)) << 2);
    store<i32>(r, c * cs + offz * xPlane + offy * X2 + offx);
    let lo = firstInside(offz, S0, Y0);
    store<i32>(r, lo, 4);
    store<i32>(r, endInside(offz, S0, X0, Y0, lo), 8);
    lo = firstInside(offy, S1, Y1);
    store<i32>(r, lo, 12);
    store<i32>(r, endInside(offy, S1, X1, Y1, lo), 16);
    lo = firstInside(offx, S2, Y2);
    store<i32>(r, lo, 20);
    store<i32>(r, endInside(offx, S2, X2, Y2, lo), 24);
    allIn =
      allIn &&
      load<i32>(r, 4) == 0 &&
      load<i32>(r, 8) == Y0 &&
      load<i32>(r, 12) == 0 &&
      load<i32>(r, 16) == Y1 &&
      load<i32>(r, 20) == 0 &&
      load<i32>(r, 24) == Y2;
  }
  // the first column
  let b = j0 / yVol;
  let rem = j0 - b * yVol;
  let oz = rem / yPlane;
  rem -= oz * yPlane;
  let oy = rem / Y2;
  let ox = rem - oy * Y2;
  const sxB = (<usize>S2) << 2;
  for (let jp = 0; jp < nc; jp += NR) {
    const panel = dst + ((<usize>jp * <usize>kc) << 2);
    const nr = min(NR, nc - jp);
    if (allIn && nr == NR && ox + NR <= Y2) {
      // one output row, every tap inside: a copy per tap, no tests
      const base = src + ((<usize>(b * bs + oz * S0 * xPlane + oy * S1 * X2 + ox * S2)) << 2);
      let d = panel;
      let r = ROWS;
      let copied = false;
      if (ASC_FEATURE_SIMD) {
        if (S2 == 1) {
          for (let kk = 0; kk < kc; kk++, d += <usize>(NR << 2), r += <usize>(ROW_FIELDS << 2)) {
            const s = base + ((<usize>load<i32>(r)) << 2);
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
          }
          copied = true;
        }
      }
      if (!copied) {
        for (let kk = 0; kk < kc; kk++, d += <usize>(NR << 2), r += <usize>(ROW_FIELDS << 2)) {
          const s = base + ((<usize>load<i32>(r)) << 2);
          for (let e = 0; e < NR; e++) store<f32>(d + ((<usize>e) << 2), load<f32>(s + <usize>e * sxB));
        }
      }
    } else if (nr == NR && ox + NR <= Y2) {
      // the panel lies in one output row: per tap, all inside, all outside, or mixed
      const colOff = b * bs + oz * S0 * xPlane + oy * S1 * X2 + ox * S2;
      for (let kk = 0; kk < kc; kk++) {
        const r = ROWS + ((<usize>(kk * ROW_FIELDS)) << 2);
        const d = panel + ((<usize>(kk * NR)) << 2);
        const rowIn =
          oz >= load<i32>(r, 4) && oz < load<i32>(r, 8) && oy >= load<i32>(r, 12) && oy < load<i32>(r, 16);
        const xlo = load<i32>(r, 20);
        const xhi = load<i32>(r, 24);
        const s = src + ((<usize>(colOff + load<i32>(r))) << 2);
        if (rowIn && ox >= xlo && ox + NR <= xhi) {
          if (ASC_FEATURE_SIMD) {
            if (S2 == 1) {
              v128.store(d, v128.load(s));
              v128.store(d, v128.load(s, 16), 16);
              continue;
            }
          }
          for (let e = 0; e < NR; e++) store<f32>(d + ((<usize>e) << 2), load<f32>(s + <usize>e * sxB));
        } else if (!rowIn || ox >= xhi || ox + NR <= xlo) {
          zeroRun(d, NR);
        } else {
          for (let e = 0; e < NR; e++) {
            const o = ox + e;
            store<f32>(d + ((<usize>e) << 2), o >= xlo && o < xhi ? load<f32>(s + <usize>e * sxB) : 0);
          }
        }
      }
    } else {
      // a panel across output rows (or the last, partial one): column by column
      let cb = b,
        cz = oz,
        cy = oy,
        cx = ox;
      for (let e = 0; e < nr; e++) {
        const col = COLS + ((<usize>(e * 4)) << 2);
        store<i32>(col, cb * bs + cz * S0 * xPlane + cy * S1 * X2 + cx * S2);
        store<i32>(col, cz, 4);
        store<i32>(col, cy, 8);
        store<i32>(col, cx, 12);
        if (++cx == Y2) {
          cx = 0;
          if (++cy == Y1) {
            cy = 0;
            if (++cz == Y0) {
              cz = 0;
              cb++;
            }
          }
        }
      }
      for (let kk = 0; kk < kc; kk++) {
        const r = ROWS + ((<usize>(kk * ROW_FIELDS)) << 2);
        const d = panel + ((<usize>(kk * NR)) << 2);
        const rowOff = load<i32>(r);
        const zlo = load<i32>(r, 4),
          zhi = load<i32>(r, 8),
          ylo = load<i32>(r, 12),
          yhi = load<i32>(r, 16),
          xlo = load<i32>(r, 20),
          xhi = load<i32>(r, 24);
        let e = 0;
        for (; e < nr; e++) {
          const col = COLS + ((<usize>(e * 4)) << 2);
          const z = load<i32>(col, 4),
            y = load<i32>(col, 8),
            x = load<i32>(col, 12);
          const inside = z >= zlo && z < zhi && y >= ylo && y < yhi && x >= xlo && x < xhi;
          store<f32>(
            d + ((<usize>e) << 2),
            inside ? load<f32>(src + ((<usize>(load<i32>(col) + rowOff)) << 2)) : 0,
          );
        }
        for (; e < NR; e++) store<f32>(d + ((<usize>e) << 2), 0);
      }
    }
    // advance the column counters by NR
    ox += NR;
    while (ox >= Y2) {
      ox -= Y2;
      if (++oy == Y1) {
        oy = 0;
        if (++oz == Y0) {
          oz = 0;
          b++;
        }
      }
    }
  }
}

/** Zero-padded copy of planes (record Z_* in params.ts), so that im2col never tests bounds. */
export function padCopy(p: usize): void {
  const src = <usize>f(p, PAD_SRC);
  const sps = f(p, PAD_SRC_PLANE_STRIDE);
  const dst = <usize>f(p, PAD_DST);
  const npl = f(p, PAD_PLANES);
  const X0 = f(p, PAD_INPUT_SIZE),
    X1 = f(p, PAD_INPUT_SIZE + 1),
    X2 = f(p, PAD_INPUT_SIZE + 2);
  const b0 = f(p, PAD_PAD_BEGIN),
    b1 = f(p, PAD_PAD_BEGIN + 1),
    b2 = f(p, PAD_PAD_BEGIN + 2);
  const W0 = X0 + b0 + f(p, PAD_PAD_END),
    W1 = X1 + b1 + f(p, PAD_PAD_END + 1),
    W2 = X2 + b2 + f(p, PAD_PAD_END + 2);
  const dps = f(p, PAD_DST_PLANE_STRIDE);
  const rowB = (<usize>W2) << 2;
  for (let pl = 0; pl < npl; pl++) {
    const s = src + ((<usize>pl * <usize>sps) << 2);
    let d = dst + ((<usize>pl * <usize>dps) << 2);
    for (let z = 0; z < W0; z++) {
      const iz = z - b0;
      for (let y = 0; y < W1; y++, d += rowB) {
        const iy = y - b1;
        if (iz < 0 || iz >= X0 || iy < 0 || iy >= X1) {
          zeroRun(d, W2);
          continue;
        }
        zeroRun(d, b2);
        copyRun(d + ((<usize>b2) << 2), s + ((<usize>((iz * X1 + iy) * X2)) << 2), X2, 1, false);
        zeroRun(d + ((<usize>(b2 + X2)) << 2), W2 - b2 - X2);
      }
    }
  }
}

/**
 * In-place B (GEMM_B_KIND 2): when every tap of every column lies inside x (a padded copy), the stride
 * along x is 1 and NR columns never straddle an output row, im2col element (k, j) sits at
 * directColumn(j) + rows[k]: the micro-kernel reads NR contiguous floats per row and nothing is
 * packed. Returns the row table for [k0, k0 + kc): byte offsets in x, written to `scratch` (KC i32s).
 */
export function directRows(g: usize, k0: i32, kc: i32, scratch: usize): usize {
  const DIRECT_ROWS = scratch;
  const X1 = f(g, SLICE_X_SIZE + 1),
    X2 = f(g, SLICE_X_SIZE + 2);
  const K1 = f(g, SLICE_KERNEL_SIZE + 1),
    K2 = f(g, SLICE_KERNEL_SIZE + 2);
  const kVol = f(g, SLICE_KERNEL_SIZE) * K1 * K2;
  const cs = f(g, SLICE_CHANNEL_STRIDE);
  for (let kk = 0; kk < kc; kk++) {
    const k = k0 + kk;
    const c = k / kVol;
    const t = k - c * kVol;
    const kz = t / (K1 * K2);
    const ky = (t - kz * K1 * K2) / K2;
    const kx = t - kz * K1 * K2 - ky * K2;
    const off =
      c * cs +
      (kz * f(g, SLICE_DILATION) - f(g, SLICE_PAD_BEGIN)) * X1 * X2 +
      (ky * f(g, SLICE_DILATION + 1) - f(g, SLICE_PAD_BEGIN + 1)) * X2 +
      kx * f(g, SLICE_DILATION + 2) -
      f(g, SLICE_PAD_BEGIN + 2);
    store<i32>(DIRECT_ROWS + ((<usize>kk) << 2), off << 2);
  }
  return DIRECT_ROWS;
}

/** The address of im2col column j's tap-0 row origin (see directRows). */
export function directColumn(g: usize, j: i32): usize {
  const X1 = f(g, SLICE_X_SIZE + 1),
    X2 = f(g, SLICE_X_SIZE + 2);
  const Y1 = f(g, SLICE_Y_SIZE + 1),
    Y2 = f(g, SLICE_Y_SIZE + 2);
  const yPlane = Y1 * Y2;
  const yVol = f(g, SLICE_Y_SIZE) * yPlane;
  const b = j / yVol;
  let r = j - b * yVol;
  const oz = r / yPlane;
  r -= oz * yPlane;
  const oy = r / Y2;
  const ox = r - oy * Y2;
  const col =
    b * f(g, SLICE_BATCH_STRIDE) +
    oz * f(g, SLICE_STRIDE) * X1 * X2 +
    oy * f(g, SLICE_STRIDE + 1) * X2 +
    ox * f(g, SLICE_STRIDE + 2);
  return <usize>f(g, SLICE_SRC) + ((<usize>col) << 2);
}
