/**
 * A discrete Fourier transform of any length, batched: mixed-radix Stockham (radices 4, 2, 3, 5
 * and any other small factor), Bluestein's chirp-z for lengths with a large prime factor.
 *
 * Why written here: fft.js (the well-kept JavaScript FFT) is power-of-two only and transforms one
 * array at a time; scikit-image's Wiener filter and SPORCO-style sparse coding need exact
 * transforms of arbitrary image sizes, many at once. The layout makes batching cheap: a batch of
 * `B` transforms of length `n` is stored as `x[j·B + b]` (sample `j` of transform `b`), so every
 * butterfly's innermost loop runs over a contiguous block with one twiddle.
 *
 * References: P. N. Swarztrauber, "FFT algorithms for vector computers" (1984) for the Stockham
 * autosort form; L. Bluestein, "A linear filtering approach to the computation of the discrete
 * Fourier transform" (1970).
 *
 * Sign convention as NumPy: forward `X[k] = Σ x[j] e^{−2πi jk/n}`, inverse without scaling here
 * (callers scale, so unitary, 'backward' and 'forward' norms are all one multiply).
 */

/** Largest prime factor handled by the generic O(p²) butterfly; larger ones go to Bluestein. */
const MAX_DIRECT_RADIX = 31;

interface Stage {
  /** radix of this stage */
  p: number;
  /** remaining length n/(s·p) after this stage */
  m: number;
  /** stride (product of the radices before this stage) */
  s: number;
  /** twiddles w^{t·q} for q < m, t < p: cos at [q·p + t], −sin likewise (forward sign) */
  wr: Float64Array;
  wi: Float64Array;
}

interface Bluestein {
  /** padded length ≥ 2n − 1, a power of two */
  big: number;
  plan: FftPlan;
  /** chirp e^{−πi j²/n}, j < n */
  cr: Float64Array;
  ci: Float64Array;
  /** forward transform of the conjugate chirp, wrapped, length big */
  br: Float64Array;
  bi: Float64Array;
}

/** A reusable plan for transforms of length `n`. */
export class FftPlan {
  readonly n: number;
  readonly stages: Stage[] = [];
  readonly bluestein: Bluestein | null = null;

  constructor(n: number) {
    this.n = n;
    const factors = factorize(n);
    if (factors.some((f) => f > MAX_DIRECT_RADIX)) {
      let big = 1;
      while (big < 2 * n - 1) big *= 2;
      const plan = new FftPlan(big);
      const cr = new Float64Array(n);
      const ci = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        // j² mod 2n keeps the angle exact for large j
        const a = (Math.PI * ((j * j) % (2 * n))) / n;
        cr[j] = Math.cos(a);
        ci[j] = -Math.sin(a);
      }
      const br = new Float64Array(big);
      const bi = new Float64Array(big);
      br[0] = cr[0]!;
      bi[0] = -ci[0]!;
      for (let j = 1; j < n; j++) {
        br[j] = br[big - j] = cr[j]!;
        bi[j] = bi[big - j] = -ci[j]!;
      }
      plan.transform(br, bi, 1);
      this.bluestein = { big, plan, cr, ci, br, bi };
      return;
    }
    let s = 1;
    let rest = n;
    for (const p of factors) {
      const m = rest / p;
      const len = n / s; // = p·m
      const wr = new Float64Array(m * p);
      const wi = new Float64Array(m * p);
      for (let q = 0; q < m; q++) {
        for (let t = 0; t < p; t++) {
          const a = (-2 * Math.PI * ((q * t) % len)) / len;
          wr[q * p + t] = Math.cos(a);
          wi[q * p + t] = Math.sin(a);
        }
      }
      this.stages.push({ p, m, s, wr, wi });
      s *= p;
      rest = m;
    }
  }

  /**
   * Forward DFT, in place, of `batch` interleaved transforms (`re[j·batch + b]`). For the inverse
   * (unscaled) pass the arrays swapped: `transform(im, re, batch)`.
   */
  transform(re: Float64Array, im: Float64Array, batch: number, offset = 0): void {
    const n = this.n;
    if (n === 1) return;
    if (this.bluestein) {
      bluesteinTransform(this.bluestein, n, re, im, batch, offset);
      return;
    }
    const total = n * batch;
    const tr = scratch(0, total);
    const ti = scratch(1, total);
    let xr = re;
    let xi = im;
    let xo = offset;
    let yr = tr;
    let yi = ti;
    let yo = 0;
    for (const st of this.stages) {
      stage(st, batch, xr, xi, xo, yr, yi, yo);
      const ar = xr;
      const ai = xi;
      const ao = xo;
      xr = yr;
      xi = yi;
      xo = yo;
      yr = ar;
      yi = ai;
      yo = ao;
    }
    if (xr !== re) {
      re.set(xr.subarray(0, total), offset);
      im.set(xi.subarray(0, total), offset);
    }
  }
}

const scratchPool: Float64Array[] = [];
/** Per-slot growing scratch buffers (the library is single-threaded per realm). */
function scratch(slot: number, n: number): Float64Array {
  let a = scratchPool[slot];
  if (!a || a.length < n) {
    a = new Float64Array(Math.max(n, 2 * (a?.length ?? 0)));
    scratchPool[slot] = a;
  }
  return a;
}

/** Factors of `n`, fours first (fewest passes), then twos, threes, fives, other primes. */
export function factorize(n: number): number[] {
  const out: number[] = [];
  let r = n;
  while (r % 4 === 0) {
    out.push(4);
    r /= 4;
  }
  for (const p of [2, 3, 5]) {
    while (r % p === 0) {
      out.push(p);
      r /= p;
    }
  }
  for (let p = 7; p * p <= r; p += 2) {
    while (r % p === 0) {
      out.push(p);
      r /= p;
    }
  }
  if (r > 1) out.push(r);
  return out;
}

/** Smallest length ≥ n whose factors are 2, 3 and 5 only (fast for this FFT). */
export function nextFastLength(n: number): number {
  for (let m = Math.max(1, n); ; m++) {
    let r = m;
    for (const p of [2, 3, 5]) while (r % p === 0) r /= p;
    if (r === 1) return m;
  }
}

const SQRT3_2 = Math.sqrt(3) / 2;

/**
 * One Stockham stage: x viewed as [p][m][s·B], y as [m][p][s·B]; y[q][t] = w^{tq} Σ_r x[r][q] ω_p^{rt}.
 */
function stage(
  st: Stage,
  batch: number,
  xr: Float64Array,
  xi: Float64Array,
  xo: number,
  yr: Float64Array,
  yi: Float64Array,
  yo: number,
): void {
  const { p, m, wr, wi } = st;
  const sb = st.s * batch; // contiguous block length
  const mS = m * sb; // distance between x[r] and x[r+1]
  if (p === 4) {
    for (let q = 0; q < m; q++) {
      const w1r = wr[q * 4 + 1]!,
        w1i = wi[q * 4 + 1]!,
        w2r = wr[q * 4 + 2]!,
        w2i = wi[q * 4 + 2]!,
        w3r = wr[q * 4 + 3]!,
        w3i = wi[q * 4 + 3]!;
      const x0 = xo + q * sb;
      const y0 = yo + q * 4 * sb;
      for (let k = 0; k < sb; k++) {
        const i0 = x0 + k;
        const ar = xr[i0]!,
          ai = xi[i0]!,
          br = xr[i0 + mS]!,
          bi = xi[i0 + mS]!,
          cr = xr[i0 + 2 * mS]!,
          ci = xi[i0 + 2 * mS]!,
          dr = xr[i0 + 3 * mS]!,
          di = xi[i0 + 3 * mS]!;
        const t0r = ar + cr,
          t0i = ai + ci,
          t1r = ar - cr,
          t1i = ai - ci,
          t2r = br + dr,
          t2i = bi + di,
          // −i·(b − d)
          t3r = bi - di,
          t3i = dr - br;
        const j = y0 + k;
        yr[j] = t0r + t2r;
        yi[j] = t0i + t2i;
        const u1r = t1r + t3r,
          u1i = t1i + t3i;
        yr[j + sb] = u1r * w1r - u1i * w1i;
        yi[j + sb] = u1r * w1i + u1i * w1r;
        const u2r = t0r - t2r,
          u2i = t0i - t2i;
        yr[j + 2 * sb] = u2r * w2r - u2i * w2i;
        yi[j + 2 * sb] = u2r * w2i + u2i * w2r;
        const u3r = t1r - t3r,
          u3i = t1i - t3i;
        yr[j + 3 * sb] = u3r * w3r - u3i * w3i;
        yi[j + 3 * sb] = u3r * w3i + u3i * w3r;
      }
    }
    return;
  }
  if (p === 2) {
    for (let q = 0; q < m; q++) {
      const w1r = wr[q * 2 + 1]!,
        w1i = wi[q * 2 + 1]!;
      const x0 = xo + q * sb;
      const y0 = yo + q * 2 * sb;
      for (let k = 0; k < sb; k++) {
        const i0 = x0 + k;
        const ar = xr[i0]!,
          ai = xi[i0]!,
          br = xr[i0 + mS]!,
          bi = xi[i0 + mS]!;
        const j = y0 + k;
        yr[j] = ar + br;
        yi[j] = ai + bi;
        const ur = ar - br,
          ui = ai - bi;
        yr[j + sb] = ur * w1r - ui * w1i;
        yi[j + sb] = ur * w1i + ui * w1r;
      }
    }
    return;
  }
  if (p === 3) {
    for (let q = 0; q < m; q++) {
      const w1r = wr[q * 3 + 1]!,
        w1i = wi[q * 3 + 1]!,
        w2r = wr[q * 3 + 2]!,
        w2i = wi[q * 3 + 2]!;
      const x0 = xo + q * sb;
      const y0 = yo + q * 3 * sb;
      for (let k = 0; k < sb; k++) {
        const i0 = x0 + k;
        const ar = xr[i0]!,
          ai = xi[i0]!,
          br = xr[i0 + mS]!,
          bi = xi[i0 + mS]!,
          cr = xr[i0 + 2 * mS]!,
          ci = xi[i0 + 2 * mS]!;
        const sr = br + cr,
          si = bi + ci;
        const mr = ar - 0.5 * sr,
          mi = ai - 0.5 * si;
        // −i·(√3/2)(b − c)
        const dr = SQRT3_2 * (bi - ci),
          di = -SQRT3_2 * (br - cr);
        const j = y0 + k;
        yr[j] = ar + sr;
        yi[j] = ai + si;
        const u1r = mr + dr,
          u1i = mi + di;
        yr[j + sb] = u1r * w1r - u1i * w1i;
        yi[j + sb] = u1r * w1i + u1i * w1r;
        const u2r = mr - dr,
          u2i = mi - di;
        yr[j + 2 * sb] = u2r * w2r - u2i * w2i;
        yi[j + 2 * sb] = u2r * w2i + u2i * w2r;
      }
    }
    return;
  }
  // generic radix p (odd primes): O(p²) per output group
  const cr = new Float64Array(p);
  const ci = new Float64Array(p);
  for (let t = 0; t < p; t++) {
    cr[t] = Math.cos((-2 * Math.PI * t) / p);
    ci[t] = Math.sin((-2 * Math.PI * t) / p);
  }
  const ar = new Float64Array(p);
  const ai = new Float64Array(p);
  for (let q = 0; q < m; q++) {
    const x0 = xo + q * sb;
    const y0 = yo + q * p * sb;
    for (let k = 0; k < sb; k++) {
      for (let r = 0; r < p; r++) {
        ar[r] = xr[x0 + k + r * mS]!;
        ai[r] = xi[x0 + k + r * mS]!;
      }
      for (let t = 0; t < p; t++) {
        let sr = 0;
        let si = 0;
        for (let r = 0, e = 0; r < p; r++, e = (e + t) % p) {
          sr += ar[r]! * cr[e]! - ai[r]! * ci[e]!;
          si += ar[r]! * ci[e]! + ai[r]! * cr[e]!;
        }
        const tw = q * p + t;
        const j = y0 + t * sb + k;
        yr[j] = sr * wr[tw]! - si * wi[tw]!;
        yi[j] = sr * wi[tw]! + si * wr[tw]!;
      }
    }
  }
}

function bluesteinTransform(
  b: Bluestein,
  n: number,
  re: Float64Array,
  im: Float64Array,
  batch: number,
  offset: number,
): void {
  const { big, plan, cr, ci, br, bi } = b;
  // private buffers: the inner power-of-two plan uses the shared scratch slots
  const ar = new Float64Array(big * batch);
  const ai = new Float64Array(big * batch);
  for (let j = 0; j < n; j++) {
    const c = cr[j]!,
      s = ci[j]!;
    for (let k = 0; k < batch; k++) {
      const x = re[offset + j * batch + k]!,
        y = im[offset + j * batch + k]!;
      ar[j * batch + k] = x * c - y * s;
      ai[j * batch + k] = x * s + y * c;
    }
  }
  plan.transform(ar, ai, batch);
  for (let j = 0; j < big; j++) {
    const c = br[j]!,
      s = bi[j]!;
    for (let k = 0; k < batch; k++) {
      const i = j * batch + k;
      const x = ar[i]!,
        y = ai[i]!;
      // multiply, then conjugate: the inverse transform as a forward one on conjugates
      ar[i] = x * c - y * s;
      ai[i] = -(x * s + y * c);
    }
  }
  plan.transform(ar, ai, batch);
  const scale = 1 / big;
  for (let j = 0; j < n; j++) {
    const c = cr[j]!,
      s = ci[j]!;
    for (let k = 0; k < batch; k++) {
      const i = j * batch + k;
      const x = ar[i]! * scale,
        y = -ai[i]! * scale;
      re[offset + i] = x * c - y * s;
      im[offset + i] = x * s + y * c;
    }
  }
}

const plans = new Map<number, FftPlan>();
/** The cached plan for length `n`. */
export function planFor(n: number): FftPlan {
  let p = plans.get(n);
  if (!p) {
    p = new FftPlan(n);
    if (plans.size > 64) plans.clear();
    plans.set(n, p);
  }
  return p;
}

/**
 * In-place complex N-D DFT of `re`/`im` (row-major `shape`) over `axes` (all by default),
 * forward or inverse; `scale` multiplies the result (e.g. 1/√n for the unitary transform).
 */
export function fftn(
  re: Float64Array,
  im: Float64Array,
  shape: readonly number[],
  inverse: boolean,
  axes: readonly number[] = shape.map((_, i) => i),
  scale = 1,
): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const [a, b] = inverse ? [im, re] : [re, im];
  for (const axis of axes) {
    const n = shape[axis]!;
    if (n === 1) continue;
    const plan = planFor(n);
    let inner = 1;
    for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
    const outer = size / (n * inner);
    if (inner >= 16) {
      for (let o = 0; o < outer; o++) plan.transform(a, b, inner, o * n * inner);
    } else {
      // gather [outer][n][inner] -> [n][outer·inner], transform as one batch, scatter back
      const batch = outer * inner;
      const tr = new Float64Array(size);
      const ti = new Float64Array(size);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n; j++) {
          const src = (o * n + j) * inner;
          const dst = j * batch + o * inner;
          for (let k = 0; k < inner; k++) {
            tr[dst + k] = a[src + k]!;
            ti[dst + k] = b[src + k]!;
          }
        }
      }
      plan.transform(tr, ti, batch);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < n; j++) {
          const dst = (o * n + j) * inner;
          const src = j * batch + o * inner;
          for (let k = 0; k < inner; k++) {
            a[dst + k] = tr[src + k]!;
            b[dst + k] = ti[src + k]!;
          }
        }
      }
    }
  }
  if (scale !== 1) {
    for (let i = 0; i < size; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }
}
