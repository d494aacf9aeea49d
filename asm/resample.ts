/**
 * Memory-bound kernels of the resampling family, driven by src/kernels/wasm/resample.ts: the
 * separable resample of `interpolate` (every mode, both directions), max unpooling and its
 * backward pass, pixel shuffle and unshuffle. Each call covers a run of independent planes, so
 * the driver splits a call across threads by planes and every output element is written by one
 * call, with the same arithmetic whatever the split.
 *
 * resample computes exactly what src/kernels/ref/resample.ts computes, in float64 and in the same
 * order: row = Σ_k2 w2 · src along dimension 2 (in k2 order), then Σ_(k0, k1) (w0 · w1) · row (in
 * (k0, k1) order), rounded to float32 once. Like src/kernels/fast/resample.ts, each source row
 * needed is resampled along dimension 2 once into a float64 row cache (direct-mapped, slot
 * (i1 + 3 · i0) mod SLOTS), and each output row blends cached rows; rows whose dimension-1 taps
slide as ×2 upsampling's blend the passes of a band of source rows instead, each multiplied by its
two weights once (slidingRows). The blend uses f64x2 lanes
 * with a separate multiply and add, exactly the scalar operations per lane (never a fused
 * multiply-add). A sum starts from its first term (as the reference's from −0, the identity of
 * addition), and where the taps' sums start from +0 ('area', RESAMPLE_KIND_SEPARABLE_FROM_ZERO) +0
 * is added to each result, which turns a −0 result into +0 and changes nothing else. Nearest taps (one tap of weight 1 everywhere) take a
 * gather path: values are moved as 32-bit words, never computed.
 */
import {
  RESAMPLE_SRC,
  RESAMPLE_DST,
  RESAMPLE_PLANES,
  RESAMPLE_INPUT_SIZE,
  RESAMPLE_OUTPUT_SIZE,
  RESAMPLE_TAP_START,
  RESAMPLE_TAP_INDEX,
  RESAMPLE_TAP_WEIGHT,
  RESAMPLE_KIND,
  RESAMPLE_HORIZONTAL_TAPS,
  RESAMPLE_CACHE,
  RESAMPLE_TAGS,
  RESAMPLE_SLOTS,
  RESAMPLE_PAIRS_BEGIN,
  RESAMPLE_PAIRS_END,
  RESAMPLE_ROW_PAIRS_BEGIN,
  RESAMPLE_ROW_PAIRS_END,
  RESAMPLE_BAND,
  RESAMPLE_BAND_PAIRS,
  UNPOOL_SRC,
  UNPOOL_INDICES,
  UNPOOL_DST,
  UNPOOL_PLANES,
  UNPOOL_SMALL_PLANE,
  UNPOOL_LARGE_PLANE,
  SHUFFLE_SRC,
  SHUFFLE_DST,
  SHUFFLE_GROUPS,
  SHUFFLE_FACTOR,
  SHUFFLE_HEIGHT,
  SHUFFLE_WIDTH,
  SHUFFLE_UNSHUFFLE,
  UNPOOL_FIRST_INVALID,
  RESAMPLE_KIND_COPY_ROWS,
  RESAMPLE_KIND_DOUBLE_ROWS,
  RESAMPLE_KIND_SEPARABLE_FROM_ZERO,
} from './params';

function f(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

function ptr(p: usize, i: i32): usize {
  return <usize>load<i32>(p + ((<usize>i) << 2));
}

function w64(p: usize, k: i32): f64 {
  return load<f64>(p + ((<usize>k) << 3));
}

function src32(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + ((<usize>i) << 2));
}

/**
 * Two-tap outputs [o, end) of one row: out[o] = weight[2o] · row[index[2o]] + weight[2o + 1] ·
 * row[index[2o + 1]] in float64, two outputs a step in f64x2 lanes (the same multiplies and add
 * per output as the scalar tail).
 */
function pairs(row: usize, index: usize, weight: usize, o: i32, end: i32, out: usize): void {
  if (ASC_FEATURE_SIMD) {
    // two outputs a step in f64x2 lanes: the same multiplies and add per output as below; a
    // tap pair on adjacent source elements (every pair but the clamped edge) in one 64-bit load
    for (; o + 2 <= end; o += 2) {
      const k = o << 1;
      const w0 = v128.load(weight + ((<usize>k) << 3)); // (w[k], w[k + 1]): output o
      const w1 = v128.load(weight + ((<usize>k) << 3), 16); // output o + 1
      const ix = v128.load(index + ((<usize>k) << 2)); // index[k .. k + 3]
      const i0 = i32x4.extract_lane(ix, 0);
      const i1 = i32x4.extract_lane(ix, 1);
      const i2 = i32x4.extract_lane(ix, 2);
      const i3 = i32x4.extract_lane(ix, 3);
      const x0 =
        i1 == i0 + 1
          ? f64x2.promote_low_f32x4(v128.load64_zero(row + ((<usize>i0) << 2)))
          : f64x2.replace_lane(f64x2.splat(src32(row, i0)), 1, src32(row, i1));
      const x1 =
        i3 == i2 + 1
          ? f64x2.promote_low_f32x4(v128.load64_zero(row + ((<usize>i2) << 2)))
          : f64x2.replace_lane(f64x2.splat(src32(row, i2)), 1, src32(row, i3));
      const p0 = f64x2.mul(w0, x0);
      const p1 = f64x2.mul(w1, x1);
      const a = v128.shuffle<i64>(p0, p1, 0, 2);
      const b = v128.shuffle<i64>(p0, p1, 1, 3);
      v128.store(out + ((<usize>o) << 3), f64x2.add(a, b));
    }
  }
  for (let k = o << 1; o < end; o++, k += 2) {
    const a = w64(weight, k) * src32(row, f(index, k));
    const b = w64(weight, k + 1) * src32(row, f(index, k + 1));
    store<f64>(out + ((<usize>o) << 3), a + b);
  }
}

/**
 * pairs() on [o, end) where the taps slide as ×2 upsampling's with repeating weights (RESAMPLE
 * pairsBegin / pairsEnd, src/kernels/wasm/resample.ts slidingPairs): outputs o and o + 1 read
 * (x0, x1) with weights (a, b) and (b, a), outputs o + 2 and o + 3 read (x1, x2) the same way, x0
 * at index[2o]. Each source element is multiplied by (a, b) once, Q = (a · x, b · x), and
 * (out[o], out[o + 1]) = Q(x0) + swap(Q(x1)): the same products and sums per output as pairs().
 */
function slidingPairs(row: usize, index: usize, weight: usize, o: i32, end: i32, out: usize): void {
  if (o >= end) return;
  const ab = v128.load(weight + ((<usize>(o << 1)) << 3)); // (a, b)
  let x = row + ((<usize>f(index, o << 1)) << 2);
  let q0 = f64x2.mul(ab, f64x2.splat(<f64>load<f32>(x)));
  // eight outputs a step (V8 does not unroll this loop; its overhead was a third of the
  // instructions), then four
  for (; o + 8 <= end; o += 8) {
    // x1 … x4 promoted two at a time, then each splat across a pair
    const v12 = f64x2.promote_low_f32x4(v128.load64_zero(x, 4));
    const v34 = f64x2.promote_low_f32x4(v128.load64_zero(x, 12));
    const q1 = f64x2.mul(ab, v128.shuffle<f64>(v12, v12, 0, 0));
    const q2 = f64x2.mul(ab, v128.shuffle<f64>(v12, v12, 1, 1));
    const q3 = f64x2.mul(ab, v128.shuffle<f64>(v34, v34, 0, 0));
    const q4 = f64x2.mul(ab, v128.shuffle<f64>(v34, v34, 1, 1));
    const d = out + ((<usize>o) << 3);
    v128.store(d, f64x2.add(q0, v128.shuffle<i64>(q1, q1, 1, 0)));
    v128.store(d, f64x2.add(q1, v128.shuffle<i64>(q2, q2, 1, 0)), 16);
    v128.store(d, f64x2.add(q2, v128.shuffle<i64>(q3, q3, 1, 0)), 32);
    v128.store(d, f64x2.add(q3, v128.shuffle<i64>(q4, q4, 1, 0)), 48);
    q0 = q4;
    x += 16;
  }
  for (; o < end; o += 4) {
    const q1 = f64x2.mul(ab, f64x2.splat(<f64>load<f32>(x, 4)));
    const q2 = f64x2.mul(ab, f64x2.splat(<f64>load<f32>(x, 8)));
    const d = out + ((<usize>o) << 3);
    v128.store(d, f64x2.add(q0, v128.shuffle<i64>(q1, q1, 1, 0)));
    v128.store(d, f64x2.add(q1, v128.shuffle<i64>(q2, q2, 1, 0)), 16);
    q0 = q2;
    x += 8;
  }
}

/**
 * out[o] = Σ_k weight[k] · row[index[k]] for the n outputs of one source row, in float64. kind 1
 * and 2: every output has that many taps (at 1·o and 2·o); kind 2's outputs [pb, pe) slide as ×2
 * upsampling's (see slidingPairs).
 */
function horizontal(
  row: usize,
  start: usize,
  index: usize,
  weight: usize,
  n: i32,
  kind: i32,
  out: usize,
  pb: i32,
  pe: i32,
): void {
  if (kind == 1) {
    for (let o = 0; o < n; o++) store<f64>(out + ((<usize>o) << 3), w64(weight, o) * src32(row, f(index, o)));
  } else if (kind == 2) {
    if (ASC_FEATURE_SIMD && pe > pb) {
      pairs(row, index, weight, 0, pb, out);
      slidingPairs(row, index, weight, pb, pe, out);
      pairs(row, index, weight, pe, n, out);
    } else pairs(row, index, weight, 0, n, out);
  } else {
    for (let o = 0; o < n; o++) {
      let sum: f64 = -0.0;
      const end = f(start, o + 1);
      for (let k = f(start, o); k < end; k++) sum += w64(weight, k) * src32(row, f(index, k));
      store<f64>(out + ((<usize>o) << 3), sum);
    }
  }
}

/** dst[o] = f32(w · h[o]) (w == 1: f32(h[o])) for n outputs. */
function blend1(dst: usize, h: usize, w: f64, n: i32): void {
  let o = 0;
  if (ASC_FEATURE_SIMD) {
    const vw = f64x2.splat(w);
    const one = w == 1;
    for (; o + 4 <= n; o += 4) {
      const p = h + ((<usize>o) << 3);
      let a = v128.load(p);
      let b = v128.load(p, 16);
      if (!one) {
        a = f64x2.mul(vw, a);
        b = f64x2.mul(vw, b);
      }
      const lo = f32x4.demote_f64x2_zero(a);
      const hi = f32x4.demote_f64x2_zero(b);
      v128.store(dst + ((<usize>o) << 2), v128.shuffle<i32>(lo, hi, 0, 1, 4, 5));
    }
  }
  if (w == 1) for (; o < n; o++) store<f32>(dst + ((<usize>o) << 2), <f32>load<f64>(h + ((<usize>o) << 3)));
  else for (; o < n; o++) store<f32>(dst + ((<usize>o) << 2), <f32>(w * load<f64>(h + ((<usize>o) << 3))));
}

/** dst[o] = f32(wa · ha[o] + wb · hb[o]) for n outputs. */
function blend2(dst: usize, ha: usize, hb: usize, wa: f64, wb: f64, n: i32): void {
  let o = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(wa);
    const vb = f64x2.splat(wb);
    // eight outputs a step (two independent groups of four: less loop overhead per output)
    for (; o + 8 <= n; o += 8) {
      const p = (<usize>o) << 3;
      const s0 = f64x2.add(f64x2.mul(va, v128.load(ha + p)), f64x2.mul(vb, v128.load(hb + p)));
      const s1 = f64x2.add(f64x2.mul(va, v128.load(ha + p, 16)), f64x2.mul(vb, v128.load(hb + p, 16)));
      const s2 = f64x2.add(f64x2.mul(va, v128.load(ha + p, 32)), f64x2.mul(vb, v128.load(hb + p, 32)));
      const s3 = f64x2.add(f64x2.mul(va, v128.load(ha + p, 48)), f64x2.mul(vb, v128.load(hb + p, 48)));
      const d = dst + ((<usize>o) << 2);
      v128.store(d, v128.shuffle<i32>(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
      v128.store(
        d,
        v128.shuffle<i32>(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 1, 4, 5),
        16,
      );
    }
    for (; o + 4 <= n; o += 4) {
      const p = (<usize>o) << 3;
      const s0 = f64x2.add(f64x2.mul(va, v128.load(ha + p)), f64x2.mul(vb, v128.load(hb + p)));
      const s1 = f64x2.add(f64x2.mul(va, v128.load(ha + p, 16)), f64x2.mul(vb, v128.load(hb + p, 16)));
      const lo = f32x4.demote_f64x2_zero(s0);
      const hi = f32x4.demote_f64x2_zero(s1);
      v128.store(dst + ((<usize>o) << 2), v128.shuffle<i32>(lo, hi, 0, 1, 4, 5));
    }
  }
  for (; o < n; o++) {
    const p = (<usize>o) << 3;
    store<f32>(dst + ((<usize>o) << 2), <f32>(wa * load<f64>(ha + p) + wb * load<f64>(hb + p)));
  }
}

/** acc[o] = w · h[o] (first) or acc[o] += w · h[o], n entries. */
function accumulate(acc: usize, h: usize, w: f64, n: i32, first: bool): void {
  let o = 0;
  if (ASC_FEATURE_SIMD) {
    const vw = f64x2.splat(w);
    if (first) {
      for (; o + 2 <= n; o += 2) {
        const p = (<usize>o) << 3;
        v128.store(acc + p, f64x2.mul(vw, v128.load(h + p)));
      }
    } else {
      for (; o + 2 <= n; o += 2) {
        const p = (<usize>o) << 3;
        v128.store(acc + p, f64x2.add(v128.load(acc + p), f64x2.mul(vw, v128.load(h + p))));
      }
    }
  }
  if (first) {
    for (; o < n; o++) {
      const p = (<usize>o) << 3;
      store<f64>(acc + p, w * load<f64>(h + p));
    }
  } else {
    for (; o < n; o++) {
      const p = (<usize>o) << 3;
      store<f64>(acc + p, load<f64>(acc + p) + w * load<f64>(h + p));
    }
  }
}

/** Source row `row` (i0 · in1 + i1) of the plane at si resampled along dimension 2 into out (f64). */
function resampleRow(r: usize, si: usize, row: i32, out: usize): void {
  horizontal(
    si + <usize>row * ((<usize>f(r, RESAMPLE_INPUT_SIZE + 2)) << 2),
    ptr(r, RESAMPLE_TAP_START + 2),
    ptr(r, RESAMPLE_TAP_INDEX + 2),
    ptr(r, RESAMPLE_TAP_WEIGHT + 2),
    f(r, RESAMPLE_OUTPUT_SIZE + 2),
    f(r, RESAMPLE_HORIZONTAL_TAPS),
    out,
    f(r, RESAMPLE_PAIRS_BEGIN),
    f(r, RESAMPLE_PAIRS_END),
  );
}

/** The cached row (i0, i1) of the plane at si resampled along dimension 2; computes it on a miss. */
function cachedRow(r: usize, si: usize, i0: i32, i1: i32): usize {
  const in1 = f(r, RESAMPLE_INPUT_SIZE + 1);
  const out2 = f(r, RESAMPLE_OUTPUT_SIZE + 2);
  const tags = ptr(r, RESAMPLE_TAGS);
  const row = i0 * in1 + i1;
  const slot = (i1 + 3 * i0) & (f(r, RESAMPLE_SLOTS) - 1);
  const buffer = ptr(r, RESAMPLE_CACHE) + <usize>slot * ((<usize>out2) << 3);
  const tag = tags + ((<usize>slot) << 2);
  if (load<i32>(tag) != row) {
    resampleRow(r, si, row, buffer);
    store<i32>(tag, row);
  }
  return buffer;
}

/**
 * Output rows [vb, ve) of source slice i0 (dimension 0's one tap, weight 1) where the dimension-1
 * taps slide as ×2 upsampling's (RESAMPLE rowPairsBegin / rowPairsEnd): rows vb + 2m and vb + 2m + 1
 * read source rows J + m and J + m + 1 with weights (a, b) and (b, a), so with P = a · h and
 * Q = b · h per source row h (its dimension-2 pass), row vb + 2m = P(J + m) + Q(J + m + 1) and row
 * vb + 2m + 1 = Q(J + m) + P(J + m + 1): the products and sums of blend2 (wa = 1 · a), each source
 * row multiplied twice instead of four times. In bands of bandPairs row pairs, whose source rows'
 * passes sit in `band`, blended in strips of four columns down the band with P and Q in registers.
 */
function slidingRows(r: usize, si: usize, i0: i32, dst: usize, vb: i32, ve: i32): void {
  const out2 = f(r, RESAMPLE_OUTPUT_SIZE + 2);
  const x1 = ptr(r, RESAMPLE_TAP_INDEX + 1);
  const w1 = ptr(r, RESAMPLE_TAP_WEIGHT + 1);
  const band = ptr(r, RESAMPLE_BAND);
  const bp = f(r, RESAMPLE_BAND_PAIRS);
  const first = i0 * f(r, RESAMPLE_INPUT_SIZE + 1) + f(x1, vb << 1);
  const a = w64(w1, vb << 1);
  const b = w64(w1, (vb << 1) + 1);
  const h64 = (<usize>out2) << 3;
  const d32 = (<usize>out2) << 2;
  const pairs = (ve - vb) >> 1;
  resampleRow(r, si, first, band);
  for (let m0 = 0; m0 < pairs; m0 += bp) {
    const nm = min(bp, pairs - m0);
    // the last source row of the previous band is this band's first
    if (m0 > 0) memory.copy(band, band + <usize>bp * h64, h64);
    for (let m = 1; m <= nm; m++) resampleRow(r, si, first + m0 + m, band + <usize>m * h64);
    const d0 = dst + <usize>(m0 << 1) * d32;
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      const va = f64x2.splat(a);
      const vw = f64x2.splat(b);
      for (; c + 4 <= out2; c += 4) {
        let h = band + ((<usize>c) << 3);
        let lo = v128.load(h);
        let hi = v128.load(h, 16);
        let p0 = f64x2.mul(va, lo);
        let p1 = f64x2.mul(va, hi);
        let q0 = f64x2.mul(vw, lo);
        let q1 = f64x2.mul(vw, hi);
        let d = d0 + ((<usize>c) << 2);
        for (let m = 0; m < nm; m++) {
          h += h64;
          lo = v128.load(h);
          hi = v128.load(h, 16);
          const pn0 = f64x2.mul(va, lo);
          const pn1 = f64x2.mul(va, hi);
          const qn0 = f64x2.mul(vw, lo);
          const qn1 = f64x2.mul(vw, hi);
          const e0 = f32x4.demote_f64x2_zero(f64x2.add(p0, qn0));
          const e1 = f32x4.demote_f64x2_zero(f64x2.add(p1, qn1));
          v128.store(d, v128.shuffle<i32>(e0, e1, 0, 1, 4, 5));
          const o0 = f32x4.demote_f64x2_zero(f64x2.add(q0, pn0));
          const o1 = f32x4.demote_f64x2_zero(f64x2.add(q1, pn1));
          v128.store(d + d32, v128.shuffle<i32>(o0, o1, 0, 1, 4, 5));
          p0 = pn0;
          p1 = pn1;
          q0 = qn0;
          q1 = qn1;
          d += d32 << 1;
        }
      }
    }
    for (; c < out2; c++) {
      let h = band + ((<usize>c) << 3);
      let x = load<f64>(h);
      let d = d0 + ((<usize>c) << 2);
      for (let m = 0; m < nm; m++) {
        h += h64;
        const y = load<f64>(h);
        store<f32>(d, <f32>(a * x + b * y));
        store<f32>(d + d32, <f32>(b * x + a * y));
        x = y;
        d += d32 << 1;
      }
    }
  }
}

/** Adds +0 to the n floats at p: −0 becomes +0, every other value stays. */
function positiveZeros(p: usize, n: usize): void {
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) v128.store(p + (i << 2), f32x4.add(v128.load(p + (i << 2)), zero));
  }
  for (; i < n; i++) store<f32>(p + (i << 2), load<f32>(p + (i << 2)) + 0);
}

function separable(r: usize): void {
  const fromZero = f(r, RESAMPLE_KIND) == RESAMPLE_KIND_SEPARABLE_FROM_ZERO;
  const npl = f(r, RESAMPLE_PLANES);
  const out0 = f(r, RESAMPLE_OUTPUT_SIZE);
  const out1 = f(r, RESAMPLE_OUTPUT_SIZE + 1);
  const out2 = f(r, RESAMPLE_OUTPUT_SIZE + 2);
  const inPlane =
    <usize>f(r, RESAMPLE_INPUT_SIZE) *
    <usize>f(r, RESAMPLE_INPUT_SIZE + 1) *
    <usize>f(r, RESAMPLE_INPUT_SIZE + 2);
  const outPlane = <usize>out0 * <usize>out1 * <usize>out2;
  const s0 = ptr(r, RESAMPLE_TAP_START);
  const x0 = ptr(r, RESAMPLE_TAP_INDEX);
  const w0 = ptr(r, RESAMPLE_TAP_WEIGHT);
  const s1 = ptr(r, RESAMPLE_TAP_START + 1);
  const x1 = ptr(r, RESAMPLE_TAP_INDEX + 1);
  const w1 = ptr(r, RESAMPLE_TAP_WEIGHT + 1);
  const slots = f(r, RESAMPLE_SLOTS);
  const tags = ptr(r, RESAMPLE_TAGS);
  const acc = ptr(r, RESAMPLE_CACHE) + <usize>slots * ((<usize>out2) << 3);
  const rowBytes = (<usize>out2) << 2;
  const vb = f(r, RESAMPLE_ROW_PAIRS_BEGIN);
  const ve = f(r, RESAMPLE_ROW_PAIRS_END);
  for (let p = 0; p < npl; p++) {
    const si = ptr(r, RESAMPLE_SRC) + <usize>p * (inPlane << 2);
    let di = ptr(r, RESAMPLE_DST) + <usize>p * (outPlane << 2);
    for (let t = 0; t < slots; t++) store<i32>(tags + ((<usize>t) << 2), -1);
    for (let o0 = 0; o0 < out0; o0++) {
      const a0 = f(s0, o0);
      const b0 = f(s0, o0 + 1);
      for (let o1 = 0; o1 < out1; o1++, di += rowBytes) {
        if (o1 == vb && ve > vb) {
          slidingRows(r, si, f(x0, a0), di, vb, ve);
          di += <usize>(ve - vb - 1) * rowBytes;
          o1 = ve - 1;
          continue;
        }
        const a1 = f(s1, o1);
        const b1 = f(s1, o1 + 1);
        const count = (b0 - a0) * (b1 - a1);
        if (count == 1) {
          const h = cachedRow(r, si, f(x0, a0), f(x1, a1));
          blend1(di, h, w64(w0, a0) * w64(w1, a1), out2);
          continue;
        }
        if (count == 2) {
          // one of the two dimensions has 2 taps, the other 1
          const two0 = b0 - a0 == 2;
          const kb0 = two0 ? a0 + 1 : a0;
          const kb1 = two0 ? a1 : a1 + 1;
          const wa = w64(w0, a0) * w64(w1, a1);
          const wb = w64(w0, kb0) * w64(w1, kb1);
          const ha = cachedRow(r, si, f(x0, a0), f(x1, a1));
          const hb = cachedRow(r, si, f(x0, kb0), f(x1, kb1));
          // on a collision (one slot for both rows) ha was overwritten: take the generic blend
          if (ha != hb) {
            blend2(di, ha, hb, wa, wb, out2);
            continue;
          }
        }
        let first = true;
        for (let k0 = a0; k0 < b0; k0++) {
          const wk0 = w64(w0, k0);
          const i0 = f(x0, k0);
          for (let k1 = a1; k1 < b1; k1++) {
            const h = cachedRow(r, si, i0, f(x1, k1));
            accumulate(acc, h, wk0 * w64(w1, k1), out2, first);
            first = false;
          }
        }
        if (first) for (let o = 0; o < out2; o++) store<f32>(di + ((<usize>o) << 2), -0.0);
        else blend1(di, acc, 1, out2);
      }
    }
    if (fromZero) positiveZeros(di - (outPlane << 2), outPlane);
  }
}

/** Nearest taps: output rows gathered (or copied) from source rows; repeated rows copied. */
function nearest(r: usize): void {
  const kind = f(r, RESAMPLE_KIND);
  const npl = f(r, RESAMPLE_PLANES);
  const in1 = f(r, RESAMPLE_INPUT_SIZE + 1);
  const in2 = f(r, RESAMPLE_INPUT_SIZE + 2);
  const out0 = f(r, RESAMPLE_OUTPUT_SIZE);
  const out1 = f(r, RESAMPLE_OUTPUT_SIZE + 1);
  const out2 = f(r, RESAMPLE_OUTPUT_SIZE + 2);
  const inPlane = <usize>f(r, RESAMPLE_INPUT_SIZE) * <usize>in1 * <usize>in2;
  const outPlane = <usize>out0 * <usize>out1 * <usize>out2;
  const x0 = ptr(r, RESAMPLE_TAP_INDEX);
  const x1 = ptr(r, RESAMPLE_TAP_INDEX + 1);
  const x2 = ptr(r, RESAMPLE_TAP_INDEX + 2);
  const rowBytes = (<usize>out2) << 2;
  for (let p = 0; p < npl; p++) {
    const si = ptr(r, RESAMPLE_SRC) + <usize>p * (inPlane << 2);
    let di = ptr(r, RESAMPLE_DST) + <usize>p * (outPlane << 2);
    let previous = -1;
    for (let o0 = 0; o0 < out0; o0++) {
      const r0 = f(x0, o0) * in1;
      for (let o1 = 0; o1 < out1; o1++, di += rowBytes) {
        const row = r0 + f(x1, o1);
        if (row == previous) {
          memory.copy(di, di - rowBytes, rowBytes);
          continue;
        }
        previous = row;
        const s = si + <usize>row * ((<usize>in2) << 2);
        if (kind == RESAMPLE_KIND_COPY_ROWS) {
          memory.copy(di, s, rowBytes);
          continue;
        }
        let o = 0;
        if (kind == RESAMPLE_KIND_DOUBLE_ROWS) {
          if (ASC_FEATURE_SIMD) {
            for (; o + 8 <= out2; o += 8) {
              const v = v128.load(s + ((<usize>o) << 1));
              const q = di + ((<usize>o) << 2);
              v128.store(q, v128.shuffle<i32>(v, v, 0, 0, 1, 1));
              v128.store(q, v128.shuffle<i32>(v, v, 2, 2, 3, 3), 16);
            }
          }
          for (; o < out2; o++) store<i32>(di + ((<usize>o) << 2), load<i32>(s + ((<usize>(o >> 1)) << 2)));
        } else {
          for (; o < out2; o++) store<i32>(di + ((<usize>o) << 2), load<i32>(s + ((<usize>f(x2, o)) << 2)));
        }
      }
    }
  }
}

/** Resampling of the planes of a record R_* (params.ts). */
export function resample(r: usize): void {
  const kind = f(r, RESAMPLE_KIND);
  if (kind == 0 || kind == RESAMPLE_KIND_SEPARABLE_FROM_ZERO) separable(r);
  else nearest(r);
}

/**
 * Max unpooling of the planes of a record U_*: each large plane zeroed, then
 * dst[j] = src[i] for j = idx[i] in input order; an index outside the plane is skipped.
 */
export function maxUnpool(r: usize): void {
  const npl = f(r, UNPOOL_PLANES);
  const small = f(r, UNPOOL_SMALL_PLANE);
  const large = f(r, UNPOOL_LARGE_PLANE);
  const smallBytes = (<usize>small) << 2;
  const largeBytes = (<usize>large) << 2;
  store<i32>(r + ((<usize>UNPOOL_FIRST_INVALID) << 2), -1);
  for (let p = 0; p < npl; p++) {
    const s = ptr(r, UNPOOL_SRC) + <usize>p * smallBytes;
    const ix = ptr(r, UNPOOL_INDICES) + <usize>p * smallBytes;
    const d = ptr(r, UNPOOL_DST) + <usize>p * largeBytes;
    // the plane's indices checked before the plane is written (they stay in cache for the scatter)
    const bad = firstOutside(ix, small, large);
    if (bad >= 0) {
      store<i32>(r + ((<usize>UNPOOL_FIRST_INVALID) << 2), p * small + bad);
      return;
    }
    memory.fill(d, 0, largeBytes);
    for (let i = 0; i < small; i++) store<i32>(d + ((<usize>f(ix, i)) << 2), f(s, i));
  }
}

/** The first i < n with idx[i] outside [0, limit) (one unsigned comparison), or −1. */
function firstOutside(ix: usize, n: i32, limit: i32): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lim = i32x4.splat(limit);
    for (; i + 8 <= n; i += 8) {
      const a = i32x4.ge_u(v128.load(ix + ((<usize>i) << 2)), lim);
      const b = i32x4.ge_u(v128.load(ix + ((<usize>i) << 2), 16), lim);
      if (v128.any_true(v128.or(a, b))) break;
    }
  }
  for (; i < n; i++) if (<u32>f(ix, i) >= <u32>limit) return i;
  return -1;
}

/** Max unpooling's backward pass (record U_*, SRC the large side): dst[i] = src[idx[i]] (0 outside). */
export function maxUnpoolBackward(r: usize): void {
  const npl = f(r, UNPOOL_PLANES);
  const small = f(r, UNPOOL_SMALL_PLANE);
  const large = f(r, UNPOOL_LARGE_PLANE);
  const smallBytes = (<usize>small) << 2;
  for (let p = 0; p < npl; p++) {
    const s = ptr(r, UNPOOL_SRC) + <usize>p * ((<usize>large) << 2);
    const ix = ptr(r, UNPOOL_INDICES) + <usize>p * smallBytes;
    const d = ptr(r, UNPOOL_DST) + <usize>p * smallBytes;
    for (let i = 0; i < small; i++) {
      const j = f(ix, i);
      store<i32>(d + ((<usize>i) << 2), <u32>j < <u32>large ? f(s, j) : 0);
    }
  }
}

/**
 * Pixel shuffle (or unshuffle) of a record P_*: high row (bc, y·r + i) interleaves the low rows
 * (bc·r² + i·r + j, y), j < r, element x of low row j at high position x·r + j. r = 2 moves four
 * elements of each of two low rows per pair of v128 shuffles.
 */
export function pixelShuffle(rec: usize): void {
  const nbc = f(rec, SHUFFLE_GROUPS);
  const r = f(rec, SHUFFLE_FACTOR);
  const h = f(rec, SHUFFLE_HEIGHT);
  const w = f(rec, SHUFFLE_WIDTH);
  const un = f(rec, SHUFFLE_UNSHUFFLE) != 0;
  const plane = (<usize>h * <usize>w) << 2;
  const src = ptr(rec, SHUFFLE_SRC);
  const dst = ptr(rec, SHUFFLE_DST);
  let high = un ? src : dst;
  const lowBase = un ? dst : src;
  const wrBytes = (<usize>(w * r)) << 2;
  for (let bc = 0; bc < nbc; bc++) {
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < r; i++, high += wrBytes) {
        const low0 = lowBase + <usize>(bc * r * r + i * r) * plane + ((<usize>(y * w)) << 2);
        let x = 0;
        if (ASC_FEATURE_SIMD) {
          if (r == 2) {
            const low1 = low0 + plane;
            if (un) {
              for (; x + 4 <= w; x += 4) {
                const q = high + ((<usize>x) << 3);
                const a = v128.load(q);
                const b = v128.load(q, 16);
                v128.store(low0 + ((<usize>x) << 2), v128.shuffle<i32>(a, b, 0, 2, 4, 6));
                v128.store(low1 + ((<usize>x) << 2), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
              }
            } else {
              for (; x + 4 <= w; x += 4) {
                const q = high + ((<usize>x) << 3);
                const a = v128.load(low0 + ((<usize>x) << 2));
                const b = v128.load(low1 + ((<usize>x) << 2));
                v128.store(q, v128.shuffle<i32>(a, b, 0, 4, 1, 5));
                v128.store(q, v128.shuffle<i32>(a, b, 2, 6, 3, 7), 16);
              }
            }
          }
        }
        for (let j = 0; j < r; j++) {
          const low = low0 + <usize>j * plane;
          for (let xx = x; xx < w; xx++) {
            const at = high + ((<usize>(xx * r + j)) << 2);
            const l = low + ((<usize>xx) << 2);
            if (un) store<i32>(l, load<i32>(at));
            else store<i32>(at, load<i32>(l));
          }
        }
      }
    }
  }
}
