/**
 * Transposed convolution by sub-pixel decomposition (W. Shi et al., "Is the deconvolution layer the
 * same as a convolutional layer?", 2016, arXiv:1609.07009): with dilation 1, output element
 * i = r − p + s·m (residue r = (i + p) mod s) receives y[m − j] · w[r + j·s] for j < KR = ⌈(K − r)/s⌉.
 * So each residue class of outputs is a small stride-1 convolution of y with the taps of w that are
 * ≡ r (mod s), flipped: no multiplications by inserted zeros and no scatter. Phases (per-dimension
 * residue tuples) whose stride-1 convolutions have the same geometry form a class: they share one
 * im2col of y and their weights are stacked as the rows (c, phase) of one GEMM (planning in
 * src/kernels/wasm/conv.ts).
 *
 * Rows are ordered (c, phase), phase fastest, because neighbouring residues sit side by side twice
 * over: their taps are adjacent in w (one f32x4 load packs four rows) and their outputs are
 * adjacent in x (the store interleaves rows, four at a time with a 4 × 4 transpose).
 *
 * Large strides (FCN's s = 32) make classes of many phases over few positions (7 × 7): a tall,
 * thin GEMM. There the GEMM runs transposed, Cᵀ[(b, q)][(c, phase)] = im2col(y)ᵀ · Wᵀ, with the
 * weights as B (gemm's B kind 3): eight neighbouring phases of one channel are eight adjacent
 * floats of w at every tap, so a B panel row is two f32x4 copies (packBWeights; reading them in
 * place instead measured 15% slower), and the GEMM stores each tile row, a run of eight residues
 * of one output row, straight into x (GEMM_C_KIND_SCATTERED in gemm.ts).
 */
import {
  WPACK_WEIGHTS,
  WPACK_X_CHANNELS,
  WPACK_Y_CHANNELS,
  WPACK_KERNEL_SIZE,
  WPACK_STRIDE,
  WPACK_TAPS,
  WPACK_FIRST_RESIDUE,
  WPACK_PHASE_COUNT,
  WPACK_DST,
  WPACK_ROW_BEGIN,
  WPACK_ROW_END,
  WPACK_SCRATCH,
  PHASE_CHANNELS,
  PHASE_SRC,
  PHASE_SRC_STRIDE,
  PHASE_POSITIONS,
  PHASE_X_SIZE,
  PHASE_FIRST_OUTPUT,
  PHASE_STRIDE,
  PHASE_PHASE_COUNT,
  PHASE_DST,
  PHASE_CHANNEL_STRIDE,
  PHASE_BATCH_STRIDE,
  PHASE_BATCH_COUNT,
  PHASE_PAIR_SRC,
  WPACK_TILE_ROWS,
} from './params';
import { MR, NR, kcOf, tileRowsOf } from './blocking';

function f(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

/**
 * Packs A for one class (record W_*) in packA's layout (K blocks, panels of WPACK_TILE_ROWS rows): row (c, phase),
 * column (o, jz, jy, jx) holds w[o, c, rz + (KRz − 1 − jz)·sz, ry + …, rx + …]. Writes the rows
 * [WPACK_ROW_BEGIN, WPACK_ROW_END) only (whole panels), so that threads can share the work. WPACK_SCRATCH: nph · (KRvol + 1)
 * i32s (tap offsets and a per-phase flag).
 */
export function packASubpixel(p: usize): void {
  const scratch = <usize>f(p, WPACK_SCRATCH);
  const w = <usize>f(p, WPACK_WEIGHTS);
  const cx = f(p, WPACK_X_CHANNELS);
  const cy = f(p, WPACK_Y_CHANNELS);
  const K1 = f(p, WPACK_KERNEL_SIZE + 1),
    K2 = f(p, WPACK_KERNEL_SIZE + 2);
  const kVol = f(p, WPACK_KERNEL_SIZE) * K1 * K2;
  const R0 = f(p, WPACK_TAPS),
    R1 = f(p, WPACK_TAPS + 1),
    R2 = f(p, WPACK_TAPS + 2);
  const nz = f(p, WPACK_PHASE_COUNT),
    ny = f(p, WPACK_PHASE_COUNT + 1),
    nx = f(p, WPACK_PHASE_COUNT + 2);
  const dst = <usize>f(p, WPACK_DST);
  const tr = tileRowsOf(f(p, WPACK_TILE_ROWS));
  const rVol = R0 * R1 * R2;
  const nph = nz * ny * nx;
  // tap offsets (within one kernel) of every phase, in column order (jz, jy, jx)
  const taps = scratch;
  for (let iz = 0; iz < nz; iz++)
    for (let iy = 0; iy < ny; iy++)
      for (let ix = 0; ix < nx; ix++) {
        const ph = (iz * ny + iy) * nx + ix;
        let t = 0;
        for (let jz = 0; jz < R0; jz++)
          for (let jy = 0; jy < R1; jy++)
            for (let jx = 0; jx < R2; jx++, t++) {
              const kz = f(p, WPACK_FIRST_RESIDUE) + iz + (R0 - 1 - jz) * f(p, WPACK_STRIDE);
              const ky = f(p, WPACK_FIRST_RESIDUE + 1) + iy + (R1 - 1 - jy) * f(p, WPACK_STRIDE + 1);
              const kx = f(p, WPACK_FIRST_RESIDUE + 2) + ix + (R2 - 1 - jx) * f(p, WPACK_STRIDE + 2);
              store<i32>(taps + ((<usize>(ph * rVol + t)) << 2), (kz * K1 + ky) * K2 + kx);
            }
      }
  // adjacent[ph]: phases ph … ph + 3 read adjacent weights at every tap (one f32x4 load; 4-row panels)
  const adjacent = taps + ((<usize>(nph * rVol)) << 2);
  for (let ph = 0; ph < nph; ph++) {
    let ok = ph + MR <= nph;
    for (let i = 1; ok && i < MR; i++)
      for (let t = 0; ok && t < rVol; t++) ok = f(taps, (ph + i) * rVol + t) == f(taps, ph * rVol + t) + i;
    store<i32>(adjacent + ((<usize>ph) << 2), ok ? 1 : 0);
  }
  const M = nph * cx;
  const K = cy * rVol;
  const Mp = ((M + tr - 1) / tr) * tr;
  const mBegin = f(p, WPACK_ROW_BEGIN);
  const mEnd = f(p, WPACK_ROW_END) || Mp;
  const kcb = kcOf(K);
  const oStride = (<usize>(cx * kVol)) << 2; // bytes from w[o, c] to w[o + 1, c]
  const kB = (<usize>kVol) << 2;
  // columns in chunks of about 64 K weights (at least 64 columns), all panels per chunk: the
  // weights are read a chunk at a time in address order, instead of one 8 KB-strided column per
  // element, and neighbouring panels reuse the chunk's cache lines
  const ksub = max(64, max(1, 65536 / (cx * kVol)) * rVol);
  for (let kb = 0; kb < K; kb += kcb) {
    const kc = min(kcb, K - kb);
    const block = dst + ((<usize>kb * <usize>Mp) << 2);
    for (let ks = 0; ks < kc; ks += ksub) {
      const kn = min(ksub, kc - ks);
      const k0 = kb + ks;
      const o0 = k0 / rVol;
      const t0 = k0 - o0 * rVol;
      for (let m0 = mBegin; m0 < mEnd; m0 += tr) {
        const panel = block + ((<usize>m0 * <usize>kc + <usize>ks * tr) << 2);
        const c0 = m0 / nph;
        const ph0 = m0 - c0 * nph;
        if (tr == MR && m0 + MR <= M && load<i32>(adjacent + ((<usize>ph0) << 2))) {
          // (4-row panels) four phases of one channel, adjacent in w
          const tp = taps + ((<usize>(ph0 * rVol)) << 2);
          let wo = w + ((<usize>(c0 * kVol)) << 2) + <usize>o0 * oStride;
          let t = t0;
          let d = panel;
          for (let k = 0; k < kn; k++, d += <usize>(tr << 2)) {
            const s = wo + ((<usize>load<i32>(tp + ((<usize>t) << 2))) << 2);
            if (ASC_FEATURE_SIMD) v128.store(d, v128.load(s));
            else {
              store<f32>(d, load<f32>(s));
              store<f32>(d, load<f32>(s, 4), 4);
              store<f32>(d, load<f32>(s, 8), 8);
              store<f32>(d, load<f32>(s, 12), 12);
            }
            if (++t == rVol) {
              t = 0;
              wo += oStride;
            }
          }
        } else if (tr == MR && m0 + MR <= M && nph == 1) {
          // (4-row panels) four channels of the one phase, kVol apart in w
          let wo = w + ((<usize>(c0 * kVol)) << 2) + <usize>o0 * oStride;
          let t = t0;
          let d = panel;
          for (let k = 0; k < kn; k++, d += <usize>(tr << 2)) {
            const s = wo + ((<usize>load<i32>(taps + ((<usize>t) << 2))) << 2);
            store<f32>(d, load<f32>(s));
            store<f32>(d, load<f32>(s + kB), 4);
            store<f32>(d, load<f32>(s + 2 * kB), 8);
            store<f32>(d, load<f32>(s + 3 * kB), 12);
            if (++t == rVol) {
              t = 0;
              wo += oStride;
            }
          }
        } else {
          // any rows: one at a time (rows past M are zero)
          for (let r = 0; r < tr; r++) {
            const m = m0 + r;
            let d = panel + ((<usize>r) << 2);
            if (m >= M) {
              for (let k = 0; k < kn; k++, d += <usize>(tr << 2)) store<f32>(d, 0);
              continue;
            }
            const c = m / nph;
            const tp = taps + ((<usize>((m - c * nph) * rVol)) << 2);
            let wo = w + ((<usize>(c * kVol)) << 2) + <usize>o0 * oStride;
            let t = t0;
            for (let k = 0; k < kn; k++, d += <usize>(tr << 2)) {
              store<f32>(d, load<f32>(wo + ((<usize>load<i32>(tp + ((<usize>t) << 2))) << 2)));
              if (++t == rVol) {
                t = 0;
                wo += oStride;
              }
            }
          }
        }
      }
    }
  }
}

/** dst[2·q] = r0[q], dst[2·q + 1] = r1[q] for q < Q: two rows of stride-2 outputs zipped. */
function zip(dst: usize, r0: usize, r1: usize, Q: i32): void {
  let q = 0;
  if (ASC_FEATURE_SIMD)
    for (; q + 4 <= Q; q += 4) {
      const o = (<usize>q) << 2;
      const a = v128.load(r0 + o);
      const b = v128.load(r1 + o);
      v128.store(dst + (o << 1), v128.shuffle<f32>(a, b, 0, 4, 1, 5));
      v128.store(dst + (o << 1), v128.shuffle<f32>(a, b, 2, 6, 3, 7), 16);
    }
  for (; q < Q; q++) {
    store<f32>(dst + ((<usize>q) << 3), load<f32>(r0 + ((<usize>q) << 2)));
    store<f32>(dst + ((<usize>q) << 3), load<f32>(r1 + ((<usize>q) << 2)), 4);
  }
}

/**
 * dst[q·sx + i] = row_i[q] for i < n rows (row stride ldB bytes), q < Q: the outputs of n adjacent
 * residues interleave in x.
 */
function interleave(dst: usize, src: usize, ldB: usize, n: i32, Q: i32, sx: i32): void {
  const sxB = (<usize>sx) << 2;
  if (n == 1) {
    let q = 0;
    if (ASC_FEATURE_SIMD) {
      if (sx == 1)
        for (; q + 4 <= Q; q += 4) v128.store(dst + ((<usize>q) << 2), v128.load(src + ((<usize>q) << 2)));
    }
    for (; q < Q; q++) store<f32>(dst + <usize>q * sxB, load<f32>(src + ((<usize>q) << 2)));
    return;
  }
  let i0 = 0;
  if (ASC_FEATURE_SIMD) {
    if (n == 2 && sx == 2) {
      // two residues of stride 2: one contiguous row, zipped
      zip(dst, src, src + ldB, Q);
      return;
    }
    // four residues at a time: 4 × 4 transposes, rows (residues) become runs of four in x
    for (; i0 + 4 <= n; i0 += 4) {
      const s0 = src + <usize>i0 * ldB;
      const s1 = s0 + ldB;
      const s2 = s1 + ldB;
      const s3 = s2 + ldB;
      const d = dst + ((<usize>i0) << 2);
      let q = 0;
      for (; q + 4 <= Q; q += 4) {
        const o = (<usize>q) << 2;
        const a0 = v128.load(s0 + o);
        const a1 = v128.load(s1 + o);
        const a2 = v128.load(s2 + o);
        const a3 = v128.load(s3 + o);
        const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
        const dq = d + <usize>q * sxB;
        v128.store(dq, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(dq + sxB, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(dq + 2 * sxB, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(dq + 3 * sxB, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
      for (; q < Q; q++) {
        const o = (<usize>q) << 2;
        const dq = d + <usize>q * sxB;
        store<f32>(dq, load<f32>(s0 + o));
        store<f32>(dq, load<f32>(s1 + o), 4);
        store<f32>(dq, load<f32>(s2 + o), 8);
        store<f32>(dq, load<f32>(s3 + o), 12);
      }
    }
  }
  for (let i = i0; i < n; i++) {
    const s = src + <usize>i * ldB;
    const d = dst + ((<usize>i) << 2);
    for (let q = 0; q < Q; q++) store<f32>(d + <usize>q * sxB, load<f32>(s + ((<usize>q) << 2)));
  }
}

/** The GEMM result of one class (rows (c, phase), columns (b, q)) to its places in x (record H_*). */
export function phaseStore(p: usize): void {
  const cx = f(p, PHASE_CHANNELS);
  const src = <usize>f(p, PHASE_SRC);
  const ld = f(p, PHASE_SRC_STRIDE);
  const Q0 = f(p, PHASE_POSITIONS),
    Q1 = f(p, PHASE_POSITIONS + 1),
    Q2 = f(p, PHASE_POSITIONS + 2);
  const X1 = f(p, PHASE_X_SIZE + 1),
    X2 = f(p, PHASE_X_SIZE + 2);
  const i0 = f(p, PHASE_FIRST_OUTPUT),
    i1 = f(p, PHASE_FIRST_OUTPUT + 1),
    i2 = f(p, PHASE_FIRST_OUTPUT + 2);
  const s0 = f(p, PHASE_STRIDE),
    s1 = f(p, PHASE_STRIDE + 1),
    s2 = f(p, PHASE_STRIDE + 2);
  const nz = f(p, PHASE_PHASE_COUNT),
    ny = f(p, PHASE_PHASE_COUNT + 1),
    nx = f(p, PHASE_PHASE_COUNT + 2);
  const dst = <usize>f(p, PHASE_DST);
  const cs = f(p, PHASE_CHANNEL_STRIDE);
  const bs = f(p, PHASE_BATCH_STRIDE);
  const nb = f(p, PHASE_BATCH_COUNT);
  // a paired class (PHASE_PAIR_SRC): its row at the same offset holds the outputs one further along x
  const pair = <usize>f(p, PHASE_PAIR_SRC);
  const nph = nz * ny * nx;
  const qVol = Q0 * Q1 * Q2;
  const ldB = (<usize>ld) << 2;
  for (let c = 0; c < cx; c++)
    for (let b = 0; b < nb; b++)
      for (let iz = 0; iz < nz; iz++)
        for (let qz = 0; qz < Q0; qz++)
          for (let iy = 0; iy < ny; iy++)
            for (let qy = 0; qy < Q1; qy++) {
              const row = c * nph + (iz * ny + iy) * nx;
              const s = src + <usize>row * ldB + ((<usize>(b * qVol + (qz * Q1 + qy) * Q2)) << 2);
              const xz = i0 + iz + qz * s0;
              const xy = i1 + iy + qy * s1;
              const d = dst + ((<usize>(b * bs + c * cs + (xz * X1 + xy) * X2 + i2)) << 2);
              if (pair) zip(d, s, pair + (s - src), Q2);
              else interleave(d, s, ldB, nx, Q2, s2);
            }
}

/** Kernel offset of tap 0 of phase ph of the class (record W_*). */
function phaseTap0(p: usize, ph: i32): i32 {
  const K1 = f(p, WPACK_KERNEL_SIZE + 1),
    K2 = f(p, WPACK_KERNEL_SIZE + 2);
  const ny = f(p, WPACK_PHASE_COUNT + 1),
    nx = f(p, WPACK_PHASE_COUNT + 2);
  const iz = ph / (ny * nx);
  const iy = (ph - iz * ny * nx) / nx;
  const ix = ph - (iz * ny + iy) * nx;
  const kz = f(p, WPACK_FIRST_RESIDUE) + iz + (f(p, WPACK_TAPS) - 1) * f(p, WPACK_STRIDE);
  const ky = f(p, WPACK_FIRST_RESIDUE + 1) + iy + (f(p, WPACK_TAPS + 1) - 1) * f(p, WPACK_STRIDE + 1);
  const kx = f(p, WPACK_FIRST_RESIDUE + 2) + ix + (f(p, WPACK_TAPS + 2) - 1) * f(p, WPACK_STRIDE + 2);
  return (kz * K1 + ky) * K2 + kx;
}

/**
 * The weights of a class as the GEMM's B (gemm's B kind 3): element (k, j) with k = (o, jz, jy, jx),
 * j = (c, phase) is at weightColumn(j) + rows[k] (bytes), because a tap's kernel offset is the
 * phase's tap-0 offset plus a shift that depends on the tap only. Returns the row table for
 * [k0, k0 + kc), written to `scratch` (KC i32s).
 */
export function weightRows(p: usize, k0: i32, kc: i32, scratch: usize): usize {
  const W_ROWS = scratch;
  const cx = f(p, WPACK_X_CHANNELS);
  const K1 = f(p, WPACK_KERNEL_SIZE + 1),
    K2 = f(p, WPACK_KERNEL_SIZE + 2);
  const kVol = f(p, WPACK_KERNEL_SIZE) * K1 * K2;
  const R0 = f(p, WPACK_TAPS),
    R1 = f(p, WPACK_TAPS + 1),
    R2 = f(p, WPACK_TAPS + 2);
  const rVol = R0 * R1 * R2;
  for (let kk = 0; kk < kc; kk++) {
    const k = k0 + kk;
    const o = k / rVol;
    const t = k - o * rVol;
    const jz = t / (R1 * R2);
    const jy = (t - jz * R1 * R2) / R2;
    const jx = t - jz * R1 * R2 - jy * R2;
    // tap (jz, jy, jx) sits (KR − 1 − j)·s before tap 0 in each dimension
    const shift =
      (-jz * f(p, WPACK_STRIDE) * K1 - jy * f(p, WPACK_STRIDE + 1)) * K2 - jx * f(p, WPACK_STRIDE + 2);
    store<i32>(W_ROWS + ((<usize>kk) << 2), (o * cx * kVol + shift) << 2);
  }
  return W_ROWS;
}

/** The address of column j = (c, phase) of the class's weights at tap 0 of channel o = 0. */
export function weightColumn(p: usize, j: i32): usize {
  const K1 = f(p, WPACK_KERNEL_SIZE + 1),
    K2 = f(p, WPACK_KERNEL_SIZE + 2);
  const kVol = f(p, WPACK_KERNEL_SIZE) * K1 * K2;
  const nph = f(p, WPACK_PHASE_COUNT) * f(p, WPACK_PHASE_COUNT + 1) * f(p, WPACK_PHASE_COUNT + 2);
  const c = j / nph;
  return <usize>f(p, WPACK_WEIGHTS) + ((<usize>(c * kVol + phaseTap0(p, j - c * nph))) << 2);
}

/** Packs the class's weights as the GEMM's B (see weightRows): NR adjacent phases per panel row. */
export function packBWeights(p: usize, kb: i32, kc: i32, jc: i32, nc: i32, dst: usize, scratch: usize): void {
  const rows = weightRows(p, kb, kc, scratch);
  for (let jp = 0; jp < nc; jp += NR) {
    const base = weightColumn(p, jc + jp);
    let d = dst + ((<usize>jp * <usize>kc) << 2);
    for (let kk = 0; kk < kc; kk++, d += <usize>(NR << 2)) {
      const s = base + <usize>load<i32>(rows + ((<usize>kk) << 2));
      if (ASC_FEATURE_SIMD) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      } else {
        for (let e = 0; e < NR; e++) store<f32>(d + ((<usize>e) << 2), load<f32>(s + ((<usize>e) << 2)));
      }
    }
  }
}
