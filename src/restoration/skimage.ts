/**
 * scikit-image 0.19's deconvolution (`skimage/restoration/deconvolution.py`, `uft.py`), with its
 * conventions and quirks:
 *
 * - Richardson–Lucy starts from 0.5 everywhere, adds `eps = 1e-12` to the denominator, convolves
 *   'same' with zero padding (scipy.signal.convolve) and "mirrors" with the flipped PSF. For an
 *   even-sized PSF the mirror step is *not* the adjoint of the forward step (it is shifted by one
 *   sample): kept, since the contract is scikit-image's values. `adjoint.ts` has the true Cᵀ.
 * - Wiener–Hunt works in the circular (Fourier) model; the regulariser is the Laplacian by
 *   default; an impulse response becomes a transfer function by `ir2tf` (zero-pad, roll by
 *   −⌊k/2⌋, FFT); only the real part of the regulariser's transfer function is used (`reg.real`);
 *   a PSF with the transfer function's shape is taken as a transfer function. The transform is
 *   over the last two axes (`urfft2`); for a 3-D image the transfer functions are 3-D, as there.
 * - `clip` clips to [−1, 1].
 *
 * References: W. H. Richardson (1972), L. B. Lucy (1974); B. R. Hunt (1971); F. Orieux,
 * J.-F. Giovannelli, T. Rodet, "Bayesian estimation of regularization and point spread function
 * parameters for Wiener–Hunt deconvolution", JOSA A 27 (2010).
 */
import { namedAfter } from '../kernels/wasm/threads.js';
import { fail } from '../errors.js';
import { Tensor, checkFloatTensor } from '../tensor.js';
import { Rng } from '../random.js';
import { fftn } from '../fft/fft.js';
import { sameConvolution } from './same.js';
import {
  checkImage,
  checkPsf,
  checkOptions,
  checkInteger,
  checkNumber,
  checkBoolean,
  checkFunction,
  field,
  result,
  clipUnit,
  optionsForChannel,
  relativeChange,
  type RestorationProgress,
} from './common.js';

export interface RichardsonLucyOptions {
  /** number of iterations (scikit-image's `num_iter`), default 50 */
  iterations?: number;
  /** clip the result to [−1, 1], default true */
  clip?: boolean;
  /** where the blurred estimate is below this, the ratio is set to 0 (default: off) */
  filterEpsilon?: number;
  /**
   * stop when the relative change of the estimate falls below this (default 0: never, which is
   * scikit-image's behaviour; not one of its options)
   */
  tolerance?: number;
  /**
   * called after each iteration with the iteration, the I-divergence of the image from the
   * blurred estimate, the relative change and the estimate (not one of scikit-image's options;
   * the values are the same with or without it)
   */
  callback?: (progress: RestorationProgress) => void;
}

/**
 * Richardson–Lucy deconvolution, equal to `skimage.restoration.richardson_lucy` 0.19.
 *
 * `image` and `psf` are float tensors of the same rank (1 to 3 dimensions); the PSF no larger
 * than the image. A channels-first colour image `(C, …)` with a PSF of one dimension fewer is
 * restored channel by channel. Returns a tensor of the image's shape and float type.
 *
 * @example
 *   const sharp = restoration.richardsonLucy(blurred, psf, { iterations: 30 });
 *   restoration.richardsonLucy(blurred, psf, { callback: (p) => console.log(p.iteration, p.change) });
 */
export function richardsonLucy(image: Tensor, psf: Tensor, options?: RichardsonLucyOptions): Tensor {
  return namedAfter('richardsonLucy', () => richardsonLucyUnnamed(image, psf, options));
}

function richardsonLucyUnnamed(image: Tensor, psf: Tensor, options?: RichardsonLucyOptions): Tensor {
  const fn = 'richardsonLucy';
  const colour = perChannel(fn, image, psf, 1, 2, (plane, c) =>
    richardsonLucy(plane, psf, optionsForChannel(options, c)),
  );
  if (colour) return colour;
  const img = checkImage(fn, 'image', image);
  const p = checkPsf(fn, img, psf);
  const o = checkOptions(fn, options, ['iterations', 'clip', 'filterEpsilon', 'tolerance', 'callback']);
  const iterations =
    o.iterations === undefined ? 50 : checkInteger(fn, 'iterations', o.iterations, 0, 100000);
  const clip = o.clip === undefined ? true : checkBoolean(fn, 'clip', o.clip);
  const filterEpsilon =
    o.filterEpsilon === undefined || o.filterEpsilon === null
      ? 0
      : checkNumber(fn, 'filterEpsilon', o.filterEpsilon, 'nonnegative');
  const tolerance = o.tolerance === undefined ? 0 : checkNumber(fn, 'tolerance', o.tolerance, 'nonnegative');
  if (o.callback !== undefined) checkFunction(fn, 'callback', o.callback);
  const callback = o.callback as RichardsonLucyOptions['callback'];
  const y = field(img);
  const h = field(p);
  const mirror = h.data.slice().reverse();
  // a float32 PSF's separability holds to its own rounding
  const rank = p.dtype === 'float64' ? 1e-13 : 2e-7;
  const forward = sameConvolution(y.shape, h.data, h.shape, rank);
  const back = sameConvolution(y.shape, mirror, h.shape, rank);
  const n = y.data.length;
  const x = new Float64Array(n).fill(0.5);
  const conv = new Float64Array(n);
  const corr = new Float64Array(n);
  const eps = 1e-12;
  const watch = callback !== undefined || tolerance > 0;
  const prev = watch ? new Float64Array(n) : null;
  for (let it = 0; it < iterations; it++) {
    forward.apply(x, conv);
    let div = 0;
    for (let i = 0; i < n; i++) {
      const c = conv[i]! + eps;
      if (callback) {
        // I-divergence Σ c − y + y log(y / c) (over y > 0; c clamped at eps as the ratio's)
        const yi = y.data[i]!;
        const cc = Math.max(c, eps);
        div += cc - yi + (yi > 0 ? yi * Math.log(yi / cc) : 0);
      }
      // filter_epsilon is tested for truth in scikit-image: 0 turns it off
      conv[i] = filterEpsilon && c < filterEpsilon ? 0 : y.data[i]! / c;
    }
    back.apply(conv, corr);
    if (prev) prev.set(x);
    for (let i = 0; i < n; i++) x[i] *= corr[i]!;
    if (!prev) continue;
    const change = relativeChange(x, prev);
    callback?.({
      iteration: it,
      objective: div,
      change,
      channel: 0,
      estimate: () => {
        const e = x.slice();
        if (clip) clipUnit(e);
        return result(fn, e, y.shape, y.dtype);
      },
    });
    if (change < tolerance) break;
  }
  if (clip) clipUnit(x);
  return result(fn, x, y.shape, y.dtype);
}

/**
 * Per-channel colour: an image with one dimension more than its PSF (of `minDims`–`maxDims`
 * dimensions) is channels-first, and each channel is restored alone with the same PSF (scikit-image
 * would refuse the mismatched ranks). Returns null when the ranks match (the grey case).
 */
function perChannel(
  fn: string,
  image: Tensor,
  psf: Tensor,
  minDims: number,
  maxDims: number,
  one: (plane: Tensor, channel: number) => Tensor,
): Tensor | null {
  const img = checkFloatTensor(fn, 'image', image);
  const p = checkFloatTensor(fn, 'psf', psf);
  if (img.shape.length !== p.shape.length + 1 || p.shape.length < minDims || p.shape.length > maxDims)
    return null;
  const [C, ...rest] = img.shape as [number, ...number[]];
  if (C === 0) fail(fn, 'image.shape', img.shape, 'must not be empty');
  const n = rest.reduce((a, b) => a * b, 1);
  let out: Float32Array | Float64Array | null = null;
  for (let c = 0; c < C; c++) {
    const r = one(new Tensor(img.data.slice(c * n, (c + 1) * n), rest), c);
    out ??= r.dtype === 'float64' ? new Float64Array(C * n) : new Float32Array(C * n);
    out.set(r.data as ArrayLike<number>, c * n);
  }
  return new Tensor(out!, img.shape);
}

// ---------------------------------------------------------------- transfer functions

/** `uft.ir2tf`: the full (not half) transfer function of impulse response `h` on `shape`. */
function ir2tf(
  h: Float64Array,
  kShape: readonly number[],
  shape: readonly number[],
): { re: Float64Array; im: Float64Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const nd = shape.length;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const kStrides = kShape.map((_, i) => kShape.slice(i + 1).reduce((a, b) => a * b, 1));
  // zero-pad at the start, then roll each axis by −⌊k/2⌋
  for (let j = 0; j < h.length; j++) {
    let dst = 0;
    for (let d = 0; d < nd; d++) {
      const kj = Math.floor(j / kStrides[d]!) % kShape[d]!;
      const idx = (kj - Math.floor(kShape[d]! / 2) + shape[d]!) % shape[d]!;
      dst += idx * strides[d]!;
    }
    re[dst] += h[j]!;
  }
  fftn(re, im, shape, false);
  return { re, im };
}

/** `uft.laplacian`'s impulse response: 2·ndim at the centre, −1 at its 2·ndim neighbours. */
function laplacianImpulse(nd: number): { data: Float64Array; shape: number[] } {
  const shape = new Array<number>(nd).fill(3);
  const data = new Float64Array(3 ** nd);
  const centre = (3 ** nd - 1) / 2;
  data[centre] = 2 * nd;
  for (let d = 0; d < nd; d++) {
    const s = 3 ** (nd - 1 - d);
    data[centre - s] = -1;
    data[centre + s] = -1;
  }
  return { data, shape };
}

interface Spectra {
  /** |H|² and the transfer function H, full grid */
  hr: Float64Array;
  hi: Float64Array;
  /** (Re R)², full grid */
  reg2: Float64Array;
}

/**
 * scikit-image's handling of `reg` and `psf` for `wiener` / `unsupervised_wiener`, on the full
 * frequency grid of the image's shape. `halfShape` is the transfer function shape it compares
 * the PSF's shape with (`(…, M, N//2+1)` when `isReal`, else the image's shape).
 */
function transferFunctions(
  shape: readonly number[],
  psf: Field,
  reg: Field | null,
  isReal: boolean,
): Spectra {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = reg ?? { ...laplacianImpulse(shape.length), dtype: 'float64' as const };
  const R = ir2tf(r.data, r.shape, shape);
  const reg2 = new Float64Array(n);
  for (let i = 0; i < n; i++) reg2[i] = R.re[i]! * R.re[i]!;
  const tfShape = isReal ? [...shape.slice(0, -1), Math.floor(shape[shape.length - 1]! / 2) + 1] : [...shape];
  if (psf.shape.join() === tfShape.join()) {
    // the PSF is taken as a (real) transfer function; Hermitian completion of the half plane
    const hr = new Float64Array(n);
    const hi = new Float64Array(n);
    const nd = shape.length;
    const W = shape[nd - 1]!;
    const kw = tfShape[nd - 1]!;
    const lead = n / W;
    for (let l = 0; l < lead; l++) {
      const neg = negatedLead(l, shape);
      for (let b = 0; b < W; b++) {
        hr[l * W + b] = isReal
          ? b < kw
            ? psf.data[l * kw + b]!
            : psf.data[neg * kw + (W - b)]!
          : psf.data[l * W + b]!;
      }
    }
    return { hr, hi, reg2 };
  }
  const H = ir2tf(psf.data, psf.shape, shape);
  return { hr: H.re, hi: H.im, reg2 };
}

type Field = ReturnType<typeof field>;

/** The flat index of −l (mod each size) over all axes but the last, l a flat leading index. */
function negatedLead(l: number, shape: readonly number[]): number {
  let rem = l;
  let neg = 0;
  let mul = 1;
  for (let d = shape.length - 2; d >= 0; d--) {
    const s = shape[d]!;
    const c = rem % s;
    rem = Math.floor(rem / s);
    neg += ((s - c) % s) * mul;
    mul *= s;
  }
  return neg;
}

/**
 * The real inverse of a half spectrum (`b ≤ ⌊W/2⌋` along the last axis) over all axes: the rest
 * of the grid is the conjugate mirror X[−l, W − b], then the inverse transform of every axis.
 */
function inverseHalfAll(
  re: Float64Array,
  im: Float64Array,
  shape: readonly number[],
  scale: number,
): Float64Array {
  const W = shape[shape.length - 1]!;
  const kw = Math.floor(W / 2) + 1;
  const lead = re.length / W;
  for (let l = 0; l < lead; l++) {
    const neg = negatedLead(l, shape);
    for (let b = kw; b < W; b++) {
      re[l * W + b] = re[neg * W + (W - b)]!;
      im[l * W + b] = -im[neg * W + (W - b)]!;
    }
  }
  fftn(re, im, shape, true, undefined, scale);
  return re;
}

/** Forward 2-D transform over the last two axes of every slice (full grid, `scale` applied). */
function fft2Last(
  re: Float64Array,
  im: Float64Array,
  shape: readonly number[],
  inverse: boolean,
  scale: number,
): void {
  const nd = shape.length;
  fftn(re, im, shape, inverse, [nd - 2, nd - 1], scale);
}

/**
 * `uirfft2` of a half-plane spectrum given on the full grid: the half `b ≤ ⌊W/2⌋` is kept, the
 * rest replaced by the conjugate mirror within each slice, then the real part of the inverse.
 */
function inverseHalf(
  re: Float64Array,
  im: Float64Array,
  shape: readonly number[],
  scale: number,
): Float64Array {
  const nd = shape.length;
  const W = shape[nd - 1]!;
  const Hh = shape[nd - 2]!;
  const kw = Math.floor(W / 2) + 1;
  const slices = re.length / (Hh * W);
  for (let s = 0; s < slices; s++) {
    for (let a = 0; a < Hh; a++) {
      const na = (Hh - a) % Hh;
      for (let b = kw; b < W; b++) {
        const src = (s * Hh + na) * W + (W - b);
        re[(s * Hh + a) * W + b] = re[src]!;
        im[(s * Hh + a) * W + b] = -im[src]!;
      }
    }
  }
  fft2Last(re, im, shape, true, scale);
  return re;
}

export interface WienerOptions {
  /** the regularisation weight λ (scikit-image's `balance`), required */
  balance: number;
  /** the regulariser's impulse response (same rank as the image); default the Laplacian */
  reg?: Tensor;
  /** scikit-image's `is_real` (Hermitian half spectra), default true */
  isReal?: boolean;
  /** clip the result to [−1, 1], default true */
  clip?: boolean;
}

function checkWienerInputs(fn: string, image: unknown, psf: unknown, reg: unknown) {
  const img = checkImage(fn, 'image', image, 2, 3);
  const p = checkImage(fn, 'psf', psf, 2, 3);
  if (p.shape.length !== img.shape.length)
    fail(fn, 'psf.shape', p.shape, `must have the image's ${img.shape.length} dimensions`);
  p.shape.forEach((k, i) => {
    if (k > img.shape[i]!) fail(fn, `psf.shape[${i}]`, k, `must not exceed the image's size ${img.shape[i]}`);
  });
  const r = reg === undefined || reg === null ? null : checkPsf(fn, img, reg, 'reg');
  return { img, p, r };
}

/**
 * A 1-D signal `(N)` as the `(1, N)` image the Wiener methods transform, with its PSF `(1, k)` and
 * regulariser `(1, r)` (default: the 1-D Laplacian [−1, 2, −1], which the 2-D default would not
 * be). The 2-D transform over a length-1 axis is the identity, so this is the 1-D method —
 * scikit-image's formula over the one axis (it refuses 1-D input: its transforms are over the last
 * two axes). Null when the image is not 1-D.
 */
function asLine(
  fn: string,
  image: unknown,
  psf: unknown,
  reg: unknown,
): { image: Tensor; psf: Tensor; reg: Tensor } | null {
  const img = checkFloatTensor(fn, 'image', image);
  if (img.shape.length !== 1) return null;
  const y = checkImage(fn, 'image', img, 1, 1);
  const p = checkPsf(fn, y, psf);
  const r =
    reg === undefined || reg === null
      ? new Tensor(Float64Array.from([-1, 2, -1]), [3])
      : checkPsf(fn, y, reg, 'reg');
  const line = (t: Tensor) => new Tensor(t.data.slice(), [1, t.shape[0]!]);
  return { image: line(y), psf: line(p), reg: line(r) };
}

/** `t`'s values in `like`'s shape (a 1-D result back from its (1, N) computation). */
function reshaped(t: Tensor, like: Tensor): Tensor {
  return new Tensor(t.data, [...like.shape]);
}

/**
 * Wiener–Hunt deconvolution, equal to `skimage.restoration.wiener` 0.19: x̂ = F⁻¹[H* / (|H|² +
 * λ|R|²) · F y] with circular boundaries.
 *
 * `image` `(M, N)` (or `(P, M, N)`, transformed over the last two axes as scikit-image does),
 * `psf` of the same rank and no larger; or a colour image `(C, M, N)` with a PSF `(kM, kN)`,
 * restored channel by channel. A 1-D signal `(N)` with a PSF `(k)` (which scikit-image refuses)
 * is the same formula over its one axis, with the 1-D Laplacian by default (`(C, N)` with `(k)`:
 * per channel). Returns a tensor of the image's shape and float type
 * (for `isReal: false` scikit-image returns a complex array; this is its real part).
 *
 * @example
 *   const sharp = restoration.wiener(blurred, psf, { balance: 0.1 });
 */
export function wiener(image: Tensor, psf: Tensor, options: WienerOptions): Tensor {
  return namedAfter('wiener', () => wienerUnnamed(image, psf, options));
}

function wienerUnnamed(image: Tensor, psf: Tensor, options: WienerOptions): Tensor {
  const fn = 'wiener';
  if (options === undefined) fail(fn, 'options', options, 'must be given with a balance');
  const colour = perChannel(fn, image, psf, 1, 2, (plane) => wiener(plane, psf, options));
  if (colour) return colour;
  const o = checkOptions(fn, options, ['balance', 'reg', 'isReal', 'clip']);
  const line = asLine(fn, image, psf, o.reg);
  if (line)
    return reshaped(wiener(line.image, line.psf, { ...(options as WienerOptions), reg: line.reg }), image);
  const { img, p, r } = checkWienerInputs(fn, image, psf, o.reg);
  const balance = checkNumber(fn, 'balance', o.balance, 'nonnegative');
  const isReal = o.isReal === undefined ? true : checkBoolean(fn, 'isReal', o.isReal);
  const clip = o.clip === undefined ? true : checkBoolean(fn, 'clip', o.clip);
  const y = field(img);
  const shape = y.shape;
  const { hr, hi, reg2 } = transferFunctions(shape, field(p), r ? field(r) : null, isReal);
  const n = y.data.length;
  const re = y.data.slice();
  const im = new Float64Array(n);
  fft2Last(re, im, shape, false, 1);
  for (let i = 0; i < n; i++) {
    const a = hr[i]!,
      b = hi[i]!;
    const den = a * a + b * b + balance * reg2[i]!;
    // conj(H)/den · Y
    const fr = a / den,
      fi = -b / den;
    const yr = re[i]!,
      yi = im[i]!;
    re[i] = fr * yr - fi * yi;
    im[i] = fr * yi + fi * yr;
  }
  const hw = shape[shape.length - 1]! * shape[shape.length - 2]!;
  const x = isReal ? inverseHalf(re, im, shape, 1 / hw) : (fft2Last(re, im, shape, true, 1 / hw), re);
  if (clip) clipUnit(x);
  return result(fn, x, shape, y.dtype);
}

export interface UnsupervisedWienerOptions {
  /** the regulariser's impulse response; default the Laplacian */
  reg?: Tensor;
  isReal?: boolean;
  clip?: boolean;
  /** seed of the sampler (our own generator: the chain differs from NumPy's for the same seed) */
  seed?: number;
  /** stop when the relative change of the mean falls below this (1e-4) */
  threshold?: number;
  /** samples ignored before averaging (15) */
  burnin?: number;
  /** scikit-image's `min_num_iter` (30) */
  minIterations?: number;
  /** scikit-image's `max_num_iter` (200) */
  maxIterations?: number;
  /**
   * called after each sample with the iteration, the change of the mean (NaN until two samples
   * are averaged), the channel (0 for grey) and `estimate()`: the current posterior mean (the
   * current sample before the burn-in ends), clipped as the result would be
   */
  callback?: (progress: UnsupervisedWienerProgress) => void;
}

export interface UnsupervisedWienerProgress {
  iteration: number;
  delta: number;
  channel: number;
  estimate(): Tensor;
}

export interface UnsupervisedWienerResult {
  /** the posterior mean, the image's shape and float type */
  image: Tensor;
  /** the chain of the noise precision γ_n, starting at 1 (for a colour image: channel 0's) */
  noise: number[];
  /** the chain of the prior precision γ_x, starting at 1 (for a colour image: channel 0's) */
  prior: number[];
  /** every channel's chains, one entry per channel (one for a grey image) */
  channels: { noise: number[]; prior: number[] }[];
}

/** Gamma(shape k, scale θ) by Marsaglia and Tsang (2000); k > 1 here. */
function gamma(rng: Rng, k: number, theta: number): number {
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v)))
      return d * v * theta;
  }
}

/**
 * Unsupervised Wiener–Hunt deconvolution: the Gibbs sampler of
 * `skimage.restoration.unsupervised_wiener` 0.19 (same model, stopping rule, burn-in and
 * half-spectrum conventions), drawing from this library's seeded generator instead of NumPy's,
 * so results agree with scikit-image's in distribution, not sample by sample.
 *
 * `image` `(M, N)`, `psf` 2-D no larger; or a 1-D signal `(N)` with a PSF `(k)` (scikit-image
 * refuses 1-D input; here it is its sampler on the `(1, N)` image with the 1-D Laplacian as the
 * default regulariser, see `wiener`); or a volume `(P, M, N)` with a 3-D PSF no larger: the same
 * model over the volume's 3-D spectrum (half along the last axis), one noise and one prior
 * precision for the whole volume, the 3-D Laplacian by default. scikit-image 0.19 has no 3-D
 * sampler to follow (its transforms are over the last two axes only and its precisions come out
 * one per slice, which its update cannot broadcast); this is its model in three dimensions, and a
 * volume of one slice gives the 2-D result. Returns `{ image, noise, prior, channels }`.
 *
 * A colour image `(C, M, N)` with a 2-D PSF is restored channel by channel, each channel with
 * its own sampler: channel c draws from a generator seeded with `(seed + c) mod 2³²`, so its
 * result equals the grey result on that plane with that seed and does not depend on the other
 * channels (without a seed every channel draws its own random seed). The chains of every
 * channel are in `channels`.
 *
 * @example
 *   const { image: sharp, noise } = restoration.unsupervisedWiener(blurred, psf, { seed: 1 });
 */
export function unsupervisedWiener(
  image: Tensor,
  psf: Tensor,
  options?: UnsupervisedWienerOptions,
): UnsupervisedWienerResult {
  return namedAfter('unsupervisedWiener', () => unsupervisedWienerUnnamed(image, psf, options));
}

function unsupervisedWienerUnnamed(
  image: Tensor,
  psf: Tensor,
  options?: UnsupervisedWienerOptions,
): UnsupervisedWienerResult {
  const fn = 'unsupervisedWiener';
  const o = checkOptions(fn, options, [
    'reg',
    'isReal',
    'clip',
    'seed',
    'threshold',
    'burnin',
    'minIterations',
    'maxIterations',
    'callback',
  ]);
  const img0 = checkFloatTensor(fn, 'image', image);
  const psf0 = checkFloatTensor(fn, 'psf', psf);
  if (img0.shape.length === psf0.shape.length + 1 && psf0.shape.length >= 1 && psf0.shape.length <= 2) {
    const [C, ...rest] = img0.shape as [number, ...number[]];
    if (C === 0) fail(fn, 'image.shape', img0.shape, 'must not be empty');
    const n = rest.reduce((a, b) => a * b, 1);
    const seed = o.seed;
    let out: Float32Array | Float64Array | null = null;
    const channels: { noise: number[]; prior: number[] }[] = [];
    for (let c = 0; c < C; c++) {
      let o = optionsForChannel(options, c) as UnsupervisedWienerOptions | undefined;
      // channel 0 passes the seed as given, so the grey call checks it
      if (c > 0 && typeof seed === 'number') o = { ...o, seed: (seed + c) % 2 ** 32 };
      const r = unsupervisedWiener(new Tensor(img0.data.slice(c * n, (c + 1) * n), rest), psf0, o);
      out ??= r.image.dtype === 'float64' ? new Float64Array(C * n) : new Float32Array(C * n);
      out.set(r.image.data as ArrayLike<number>, c * n);
      channels.push({ noise: r.noise, prior: r.prior });
    }
    return { image: new Tensor(out!, img0.shape), ...channels[0]!, channels };
  }
  const line = asLine(fn, image, psf, o.reg);
  if (line) {
    const r = unsupervisedWiener(line.image, line.psf, { ...options, reg: line.reg });
    return { ...r, image: reshaped(r.image, image) };
  }
  const img = checkImage(fn, 'image', image, 2, 3);
  const { p, r } = checkWienerInputs(fn, img, psf, o.reg);
  const isReal = o.isReal === undefined ? true : checkBoolean(fn, 'isReal', o.isReal);
  const clip = o.clip === undefined ? true : checkBoolean(fn, 'clip', o.clip);
  const seed = o.seed === undefined ? undefined : checkInteger(fn, 'seed', o.seed, 0, 2 ** 32 - 1);
  const threshold =
    o.threshold === undefined ? 1e-4 : checkNumber(fn, 'threshold', o.threshold, 'nonnegative');
  const burnin = o.burnin === undefined ? 15 : checkInteger(fn, 'burnin', o.burnin, 0);
  const minIt = o.minIterations === undefined ? 30 : checkInteger(fn, 'minIterations', o.minIterations, 0);
  const maxIt = o.maxIterations === undefined ? 200 : checkInteger(fn, 'maxIterations', o.maxIterations, 1);
  if (maxIt <= burnin + 1)
    fail(fn, 'maxIterations', maxIt, `must exceed burnin + 1 = ${burnin + 1} (the mean needs samples)`);
  if (o.callback !== undefined) checkFunction(fn, 'callback', o.callback);
  const callback = o.callback as UnsupervisedWienerOptions['callback'];

  const y = field(img);
  const shape = y.shape;
  // M: the leading axes flattened (the rows of a 2-D image; slices × rows of a volume), N: the last
  const N = shape[shape.length - 1]!;
  const M = y.data.length / N;
  const { hr, hi, reg2 } = transferFunctions(shape, field(p), r ? field(r) : null, isReal);
  // the sampled spectrum: scikit-image's half plane (…, N//2+1) when isReal, else the full grid
  const K = isReal ? Math.floor(N / 2) + 1 : N;
  const n = M * K;
  const pick = (full: Float64Array) => {
    const out = new Float64Array(n);
    for (let a = 0; a < M; a++) for (let b = 0; b < K; b++) out[a * K + b] = full[a * N + b]!;
    return out;
  };
  const Hr = pick(hr);
  const Hi = pick(hi);
  const areg2 = pick(reg2);
  const atf2 = new Float64Array(n);
  for (let i = 0; i < n; i++) atf2[i] = Hr[i]! * Hr[i]! + Hi[i]! * Hi[i]!;
  const fr = y.data.slice();
  const fi = new Float64Array(M * N);
  fftn(fr, fi, shape, false, undefined, 1 / Math.sqrt(M * N));
  const Yr = pick(fr);
  const Yi = pick(fi);
  // image_quad_norm: a half plane counts twice except its first column — unless the spectrum is
  // square, which scikit-image takes for a full plane
  const halfNorm = K !== shape[shape.length - 2]!;
  const quadNorm = (re: Float64Array, im: Float64Array) => {
    let s = 0;
    let first = 0;
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < K; b++) {
        const v = re[a * K + b]! ** 2 + im[a * K + b]! ** 2;
        s += v;
        if (b === 0) first += v;
      }
    }
    return halfNorm ? 2 * s - first : s;
  };

  const rng = new Rng(seed);
  const gn: number[] = [1];
  const gx: number[] = [1];
  const sumR = new Float64Array(n);
  const sumI = new Float64Array(n);
  const xr = new Float64Array(n);
  const xi = new Float64Array(n);
  const tr = new Float64Array(n);
  const ti = new Float64Array(n);
  const size = M * N;
  let delta = NaN;
  let iteration = 0;
  // the posterior mean of k samples (or the sample x when k = 0) as an image, clipped as asked
  const meanImage = (k: number): Float64Array => {
    const re = new Float64Array(M * N);
    const im = new Float64Array(M * N);
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < K; b++) {
        re[a * N + b] = k > 0 ? sumR[a * K + b]! / k : xr[a * K + b]!;
        im[a * N + b] = k > 0 ? sumI[a * K + b]! / k : xi[a * K + b]!;
      }
    }
    const x = isReal
      ? inverseHalfAll(re, im, shape, 1 / Math.sqrt(M * N))
      : (fftn(re, im, shape, true, undefined, 1 / Math.sqrt(M * N)), re);
    if (clip) clipUnit(x);
    return x;
  };
  for (iteration = 0; iteration < maxIt; iteration++) {
    const gnl = gn[gn.length - 1]!;
    const gxl = gx[gx.length - 1]!;
    for (let i = 0; i < n; i++) {
      const prec = gnl * atf2[i]! + gxl * areg2[i]!;
      const s = Math.sqrt(0.5 / prec);
      const wr = (gnl * Hr[i]!) / prec,
        wi = (-gnl * Hi[i]!) / prec;
      xr[i] = wr * Yr[i]! - wi * Yi[i]! + s * rng.normal();
      xi[i] = wr * Yi[i]! + wi * Yr[i]! + s * rng.normal();
    }
    // residual Y − X·H and the regularised sample X·R (R real)
    for (let i = 0; i < n; i++) {
      tr[i] = Yr[i]! - (xr[i]! * Hr[i]! - xi[i]! * Hi[i]!);
      ti[i] = Yi[i]! - (xr[i]! * Hi[i]! + xi[i]! * Hr[i]!);
    }
    gn.push(gamma(rng, size / 2, 2 / quadNorm(tr, ti)));
    for (let i = 0; i < n; i++) {
      const rr = Math.sqrt(areg2[i]!);
      tr[i] = xr[i]! * rr;
      ti[i] = xi[i]! * rr;
    }
    gx.push(gamma(rng, (size - 1) / 2, 2 / quadNorm(tr, ti)));
    if (iteration > burnin) {
      const k = iteration - burnin;
      if (iteration > burnin + 1) {
        // Σ|current − previous| / Σ|x_postmean| / k with current = (S + x)/k, previous = S/(k−1)
        let num = 0;
        let den = 0;
        for (let i = 0; i < n; i++) {
          const cr = (sumR[i]! + xr[i]!) / k,
            ci = (sumI[i]! + xi[i]!) / k;
          const pr = sumR[i]! / (k - 1),
            pi = sumI[i]! / (k - 1);
          num += Math.hypot(cr - pr, ci - pi);
          den += Math.hypot(sumR[i]! + xr[i]!, sumI[i]! + xi[i]!);
        }
        delta = num / den / k;
      }
      for (let i = 0; i < n; i++) {
        sumR[i] += xr[i]!;
        sumI[i] += xi[i]!;
      }
    }
    if (callback) {
      const k = Math.max(iteration - burnin, 0);
      callback({ iteration, delta, channel: 0, estimate: () => result(fn, meanImage(k), shape, y.dtype) });
    }
    if (iteration > minIt && delta < threshold) break;
  }
  if (iteration === maxIt) iteration = maxIt - 1;
  const x = meanImage(iteration - burnin);
  return { image: result(fn, x, shape, y.dtype), noise: gn, prior: gx, channels: [{ noise: gn, prior: gx }] };
}
