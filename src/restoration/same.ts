/**
 * `scipy.signal.convolve(x, h, mode='same')` for 1-3 dimensions in float64: the full linear
 * convolution cropped to the input's size starting at ⌊(k − 1)/2⌋ along each axis,
 *
 *     same[i] = Σ_j h[j] · x[i + ⌊(k − 1)/2⌋ − j]     (zero outside x).
 *
 * Direct loops for small kernels, a zero-padded real FFT (2-D) for large ones; both give the
 * same values up to rounding. A plan precomputes what every Richardson–Lucy iteration reuses.
 */
import { as3d } from './common.js';
import { nextFastLength } from '../fft/fft.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../fft/real.js';

/** Kernel size (taps) above which a 2-D 'same' convolution goes through the FFT. */
const FFT_TAPS = 100;

export interface SameConvolution {
  /** out ← same(x, h) */
  apply(x: Float64Array, out: Float64Array): void;
}

/** A reusable 'same' convolution with kernel `h` (shape `kShape`) on inputs of shape `shape`. */
export function sameConvolution(
  shape: readonly number[],
  h: Float64Array,
  kShape: readonly number[],
  rankTolerance = 1e-13,
): SameConvolution {
  const taps = h.length;
  if (shape.length === 2) {
    // a separable (rank-one) PSF — box, Gaussian — as two 1-D passes: kh + kw taps, not kh·kw
    const factors = rankOne(h, kShape[0]!, kShape[1]!, rankTolerance);
    if (factors && kShape[0]! > 1 && kShape[1]! > 1) return separableSame(shape, factors.u, factors.v);
  }
  if (shape.length === 2 && taps > FFT_TAPS) return fftSame(shape, h, kShape);
  return directSame(shape, h, kShape);
}

/**
 * h = u vᵀ when every entry agrees with the product to `tolerance` of the largest |h| (a float32
 * PSF rounds its product structure at ~1e-7, within the float32 result's own rounding).
 */
function rankOne(
  h: Float64Array,
  kh: number,
  kw: number,
  tolerance: number,
): { u: Float64Array; v: Float64Array } | null {
  let p = 0;
  for (let i = 1; i < h.length; i++) if (Math.abs(h[i]!) > Math.abs(h[p]!)) p = i;
  const peak = h[p]!;
  if (peak === 0) return null;
  const pr = Math.floor(p / kw);
  const pc = p % kw;
  const u = new Float64Array(kh);
  const v = new Float64Array(kw);
  for (let a = 0; a < kh; a++) u[a] = h[a * kw + pc]!;
  for (let b = 0; b < kw; b++) v[b] = h[pr * kw + b]! / peak;
  const tol = tolerance * Math.abs(peak);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++) if (Math.abs(h[a * kw + b]! - u[a]! * v[b]!) > tol) return null;
  return { u, v };
}

/** same(x, u vᵀ): rows with v, then columns with u (zero outside, scipy's 'same' offsets). */
function separableSame(shape: readonly number[], u: Float64Array, v: Float64Array): SameConvolution {
  const [H, W] = [shape[0]!, shape[1]!];
  const kh = u.length;
  const kw = v.length;
  const oh = (kh - 1) >> 1;
  const ow = (kw - 1) >> 1;
  // rows: t[r][j] = Σ_b v[b] x[r][j + ow − b]; columns: out[i][j] = Σ_a u[a] t[i + oh − a][j]
  const bw = kw - 1 - ow;
  const PW = W + kw - 1;
  const row = new Float64Array(PW);
  const t = new Float64Array(H * W);
  return {
    apply(x, out) {
      for (let r = 0; r < H; r++) {
        row.set(x.subarray(r * W, (r + 1) * W), bw);
        const o = r * W;
        for (let j = 0; j < W; j++) {
          let s = 0;
          // correlation with the flipped v over the padded row
          for (let b = 0; b < kw; b++) s += v[kw - 1 - b]! * row[j + b]!;
          t[o + j] = s;
        }
      }
      out.fill(0);
      for (let i = 0; i < H; i++) {
        const o = i * W;
        for (let a = 0; a < kh; a++) {
          const src = i + oh - a;
          if (src < 0 || src >= H) continue;
          const ua = u[a]!;
          const so = src * W;
          for (let j = 0; j < W; j++) out[o + j] += ua * t[so + j]!;
        }
      }
    },
  };
}

function directSame(shape: readonly number[], h: Float64Array, kShape: readonly number[]): SameConvolution {
  const [D, H, W] = as3d(shape);
  const [kd, kh, kw] = as3d(kShape);
  // correlation with the flipped kernel over a padded copy: out[i] = Σ_j w[j] P[i + j],
  // w[j] = h[k − 1 − j], P[m] = x[m − (k − 1 − ⌊(k − 1)/2⌋)]
  const bd = kd - 1 - ((kd - 1) >> 1);
  const bh = kh - 1 - ((kh - 1) >> 1);
  const bw = kw - 1 - ((kw - 1) >> 1);
  const PD = D + kd - 1;
  const PH = H + kh - 1;
  const PW = W + kw - 1;
  const padded = new Float64Array(PD * PH * PW);
  const w = new Float64Array(taps(kShape));
  for (let i = 0; i < w.length; i++) w[i] = h[w.length - 1 - i]!;
  return {
    apply(x, out) {
      for (let d = 0; d < D; d++) {
        for (let r = 0; r < H; r++) {
          padded.set(x.subarray((d * H + r) * W, (d * H + r + 1) * W), ((d + bd) * PH + r + bh) * PW + bw);
        }
      }
      out.fill(0);
      for (let d = 0; d < D; d++) {
        for (let r = 0; r < H; r++) {
          const o = (d * H + r) * W;
          for (let a = 0; a < kd; a++) {
            for (let b = 0; b < kh; b++) {
              const p0 = ((d + a) * PH + r + b) * PW;
              for (let c = 0; c < kw; c++) {
                const wv = w[(a * kh + b) * kw + c]!;
                if (wv === 0) continue;
                const p = p0 + c;
                for (let i = 0; i < W; i++) out[o + i] += wv * padded[p + i]!;
              }
            }
          }
        }
      }
    },
  };
}

function taps(kShape: readonly number[]): number {
  return kShape.reduce((a, b) => a * b, 1);
}

function fftSame(shape: readonly number[], h: Float64Array, kShape: readonly number[]): SameConvolution {
  const [H, W] = [shape[0]!, shape[1]!];
  const [kh, kw] = [kShape[0]!, kShape[1]!];
  const FH = nextFastLength(H + kh - 1);
  const FW = nextFastLength(W + kw - 1);
  const oh = (kh - 1) >> 1;
  const ow = (kw - 1) >> 1;
  const hp = new Float64Array(FH * FW);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) hp[a * FW + b] = h[a * kw + b]!;
  const K = realFft2(hp, 1, FH, FW);
  const xp = new Float64Array(FH * FW);
  const n = FH * spectrumWidth(FW);
  const spec = { re: new Float64Array(n), im: new Float64Array(n) };
  const full = new Float64Array(FH * FW);
  return {
    apply(x, out) {
      xp.fill(0);
      for (let r = 0; r < H; r++) xp.set(x.subarray(r * W, (r + 1) * W), r * FW);
      realFft2(xp, 1, FH, FW, spec);
      const { re, im } = spec;
      for (let i = 0; i < n; i++) {
        const a = re[i]!,
          b = im[i]!,
          c = K.re[i]!,
          d = K.im[i]!;
        re[i] = a * c - b * d;
        im[i] = a * d + b * c;
      }
      inverseRealFft2(re, im, 1, FH, FW, full);
      for (let r = 0; r < H; r++) out.set(full.subarray((r + oh) * FW + ow, (r + oh) * FW + ow + W), r * W);
    },
  };
}
