/**
 * Deconvolution methods on the exact adjoint Cᵀ (operator.ts), with a boundary of the user's
 * choice and an optional mask of trusted pixels, for 1-3 spatial dimensions, grey or per-channel
 * colour (an image with one dimension more than the PSF is channels-first; each channel is
 * restored on its own).
 *
 * - `landweber`: gradient descent on ½‖M^½(Cx − y)‖² (Landweber 1951), step 1/‖C‖².
 * - `tikhonov`: (CᵀMC + λLᵀL) x = CᵀMy by conjugate gradients (Hestenes & Stiefel 1952), L the
 *   identity or the forward-difference gradient.
 * - `totalVariation`: ½‖M^½(Cx − y)‖² + λ‖∇x‖₂,₁ by the primal–dual method of Chambolle & Pock
 *   (J. Math. Imaging Vis. 40, 2011).
 * - `richardsonLucyAdjoint`: Richardson–Lucy with the true adjoint and the flux normalisation
 *   Cᵀ(M·1), optionally accelerated by Biggs & Andrews' vector extrapolation (Appl. Opt. 36, 1997).
 * - `blindRichardsonLucy`: image and PSF estimated together (Fish, Brinicombe, Pike & Walker,
 *   JOSA A 12, 1995).
 * - `edgeTaper`: blends the image's border with its circularly blurred self against ringing
 *   (MATLAB's `edgetaper`).
 *
 * Iterative methods call `callback({ iteration, objective, change, channel, estimate })` after
 * each iteration (`estimate()` gives the current estimate as a tensor) and stop early when the
 * relative change ‖x_k − x_{k−1}‖/‖x_k‖ drops below `tolerance`.
 */
import { namedAfter } from '../kernels/wasm/threads.js';
import { fail } from '../errors.js';
import { Tensor } from '../tensor.js';
import {
  checkImage,
  checkOptions,
  checkInteger,
  checkNumber,
  checkBoolean,
  checkFunction,
  result,
  relativeChange,
  optionsForChannel,
  type RestorationProgress,
} from './common.js';
import {
  blurOperator,
  operatorNormSquared,
  kernelAdjoint,
  BOUNDARIES,
  type Boundary,
  type BlurOperator,
} from './operator.js';

export type { Boundary } from './operator.js';

export type { RestorationProgress } from './common.js';

export interface IterativeOptions {
  /** boundary of the blur model, default 'reflect' */
  boundary?: Boundary;
  /** weights ≥ 0 of the observed pixels, the image's spatial shape (0: missing) */
  mask?: Tensor;
  /** maximum iterations */
  iterations?: number;
  /** stop when the relative change falls below this (0: never), default 0 */
  tolerance?: number;
  callback?: (progress: RestorationProgress) => void;
}

interface Setup {
  channels: number;
  /** observed planes, one per channel */
  planes: Float64Array[];
  shape: number[];
  psf: Float64Array;
  psfShape: number[];
  boundary: Boundary;
  mask: Float64Array | null;
  iterations: number;
  tolerance: number;
  callback: ((p: RestorationProgress) => void) | undefined;
  dtype: 'float32' | 'float64';
  imageShape: number[];
  o: Record<string, unknown>;
}

const COMMON = ['boundary', 'mask', 'iterations', 'tolerance', 'callback'];

function setup(
  fn: string,
  image: unknown,
  psf: unknown,
  options: unknown,
  extra: string[],
  defaultIterations: number,
): Setup {
  const o = checkOptions(fn, options, [...COMMON, ...extra]);
  const img = checkImage(fn, 'image', image, 1, 4);
  const p = checkImage(fn, 'psf', psf, 1, 3);
  let channels = 1;
  if (img.shape.length === p.shape.length + 1) channels = img.shape[0]!;
  else if (img.shape.length !== p.shape.length) {
    fail(
      fn,
      'psf.shape',
      p.shape,
      `must have the image's ${img.shape.length} dimensions, or one fewer for a channels-first image`,
    );
  }
  const shape = img.shape.slice(img.shape.length - p.shape.length);
  const boundary = (o.boundary ?? 'reflect') as Boundary;
  if (!BOUNDARIES.includes(boundary))
    fail(fn, 'boundary', o.boundary, `must be one of ${BOUNDARIES.map((b) => `'${b}'`).join(', ')}`);
  p.shape.forEach((k, i) => {
    if (k > shape[i]!) fail(fn, `psf.shape[${i}]`, k, `must not exceed the image's size ${shape[i]}`);
  });
  let mask: Float64Array | null = null;
  if (o.mask !== undefined) {
    const m = checkImage(fn, 'mask', o.mask, 1, 3);
    if (m.shape.join() !== shape.join())
      fail(fn, 'mask.shape', m.shape, `must equal the image's spatial shape ${JSON.stringify(shape)}`);
    for (let i = 0; i < m.size; i++) if (m.data[i]! < 0) fail(fn, `mask[${i}]`, m.data[i], 'must be ≥ 0');
    mask = Float64Array.from(m.data);
  }
  const iterations =
    o.iterations === undefined ? defaultIterations : checkInteger(fn, 'iterations', o.iterations, 0);
  const tolerance = o.tolerance === undefined ? 0 : checkNumber(fn, 'tolerance', o.tolerance, 'nonnegative');
  if (o.callback !== undefined) checkFunction(fn, 'callback', o.callback);
  const n = shape.reduce((a, b) => a * b, 1);
  const planes: Float64Array[] = [];
  for (let c = 0; c < channels; c++) planes.push(Float64Array.from(img.data.subarray(c * n, (c + 1) * n)));
  return {
    channels,
    planes,
    shape,
    psf: Float64Array.from(p.data),
    psfShape: [...p.shape],
    boundary,
    mask,
    iterations,
    tolerance,
    callback: o.callback as Setup['callback'],
    dtype: img.dtype === 'float64' ? 'float64' : 'float32',
    imageShape: [...img.shape],
    o,
  };
}

/**
 * The unknown's shape for the model: the image's, or for 'valid' the image grown by k − 1 (the
 * observed pixels see that much beyond themselves).
 */
function unknownShape(s: Setup): number[] {
  return s.boundary === 'valid' ? s.shape.map((n, i) => n + s.psfShape[i]! - 1) : s.shape;
}

/**
 * Embeds y in the unknown's grid (edge-replicated for 'valid') as a starting point; pixels of
 * mask weight 0 (missing) start from the weighted mean of the observed ones, not from whatever
 * value they hold.
 */
function start(s: Setup, observed: Float64Array): Float64Array {
  let y = observed;
  if (s.mask) {
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < y.length; i++) {
      sum += s.mask[i]! * y[i]!;
      weight += s.mask[i]!;
    }
    const mean = weight > 0 ? sum / weight : 0;
    y = y.map((v, i) => (s.mask![i]! > 0 ? v : mean));
  }
  if (s.boundary !== 'valid') return y.slice();
  const ushape = unknownShape(s);
  const off = s.psfShape.map((k) => k - 1 - ((k - 1) >> 1));
  const n = ushape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const nd = ushape.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let mul = 1;
    for (let d = nd - 1; d >= 0; d--) {
      const c = rem % ushape[d]!;
      rem = Math.floor(rem / ushape[d]!);
      const q = Math.min(Math.max(c - off[d]!, 0), s.shape[d]! - 1);
      src += q * mul;
      mul *= s.shape[d]!;
    }
    out[i] = y[src]!;
  }
  return out;
}

/** The estimate back on the image's grid (for 'valid', the part aligned with the observations). */
function crop(s: Setup, x: Float64Array): Float64Array {
  if (s.boundary !== 'valid') return x;
  const ushape = unknownShape(s);
  const off = s.psfShape.map((k) => k - 1 - ((k - 1) >> 1));
  const n = s.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const nd = s.shape.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let mul = 1;
    for (let d = nd - 1; d >= 0; d--) {
      const c = rem % s.shape[d]!;
      rem = Math.floor(rem / s.shape[d]!);
      src += (c + off[d]!) * mul;
      mul *= ushape[d]!;
    }
    out[i] = x[src]!;
  }
  return out;
}

function finish(fn: string, s: Setup, outs: Float64Array[]): Tensor {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const all = new Float64Array(n * s.channels);
  outs.forEach((x, c) => all.set(crop(s, x), c * n));
  return result(fn, all, s.imageShape, s.dtype);
}

/** Calls the callback (if any) for channel `channel` with `x` on the unknown's grid. */
function report(
  fn: string,
  s: Setup,
  channel: number,
  iteration: number,
  objective: number,
  change: number,
  x: Float64Array,
): void {
  s.callback?.({
    iteration,
    objective,
    change,
    channel,
    estimate: () => result(fn, crop(s, x.slice()), s.shape, s.dtype),
  });
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** ½ Σ m (Cx − y)² */
function dataTerm(
  op: BlurOperator,
  x: Float64Array,
  y: Float64Array,
  mask: Float64Array | null,
  tmp: Float64Array,
): number {
  op.apply(x, tmp);
  let s = 0;
  for (let i = 0; i < tmp.length; i++) {
    const e = tmp[i]! - y[i]!;
    s += (mask ? mask[i]! : 1) * e * e;
  }
  return 0.5 * s;
}

export interface LandweberOptions extends IterativeOptions {
  /** step size; default 1 / (‖C‖² · max mask), the largest safe one */
  step?: number;
  /** project onto x ≥ 0 after each step (projected Landweber), default false */
  nonNegative?: boolean;
}

/**
 * Landweber iteration x ← x + τ Cᵀ M (y − Cx) on the exact adjoint.
 *
 * `image` `(…spatial)` or `(C, …spatial)`, `psf` `(…spatial)`; returns the estimate, the image's
 * shape.
 *
 * @example restoration.landweber(blurred, psf, { boundary: 'symmetric', iterations: 200 })
 */
export function landweber(image: Tensor, psf: Tensor, options?: LandweberOptions): Tensor {
  return namedAfter('landweber', () => landweberUnnamed(image, psf, options));
}

function landweberUnnamed(image: Tensor, psf: Tensor, options?: LandweberOptions): Tensor {
  const fn = 'landweber';
  const s = setup(fn, image, psf, options, ['step', 'nonNegative'], 100);
  const nonNegative =
    s.o.nonNegative === undefined ? false : checkBoolean(fn, 'nonNegative', s.o.nonNegative);
  const stepOpt = s.o.step === undefined ? undefined : checkNumber(fn, 'step', s.o.step, 'positive');
  const op = blurOperator(unknownShape(s), s.psf, s.psfShape, s.boundary);
  const maxMask = s.mask ? Math.max(...s.mask) : 1;
  const tau = stepOpt ?? 1 / Math.max(operatorNormSquared(op) * maxMask, 1e-300);
  const outs = s.planes.map((y, c) => {
    const x = start(s, y);
    const r = new Float64Array(y.length);
    const g = new Float64Array(x.length);
    for (let it = 0; it < s.iterations; it++) {
      op.apply(x, r);
      let obj = 0;
      for (let i = 0; i < r.length; i++) {
        const e = y[i]! - r[i]!;
        obj += (s.mask ? s.mask[i]! : 1) * e * e;
        r[i] = (s.mask ? s.mask[i]! : 1) * e;
      }
      op.adjoint(r, g);
      const prev = x.slice();
      for (let i = 0; i < x.length; i++) {
        x[i] += tau * g[i]!;
        if (nonNegative && x[i]! < 0) x[i] = 0;
      }
      const change = relativeChange(x, prev);
      report(fn, s, c, it, 0.5 * obj, change, x);
      if (change < s.tolerance) break;
    }
    return x;
  });
  return finish(fn, s, outs);
}

/** Forward differences with a zero last difference (Neumann) along every axis, and their adjoint. */
function gradientOps(shape: readonly number[]) {
  const nd = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const last = (i: number, d: number) => Math.floor(i / strides[d]!) % shape[d]! === shape[d]! - 1;
  return {
    nd,
    /** g[d·n + i] = x[i + e_d] − x[i] */
    grad(x: Float64Array, g: Float64Array) {
      for (let d = 0; d < nd; d++) {
        const s = strides[d]!;
        for (let i = 0; i < n; i++) g[d * n + i] = last(i, d) ? 0 : x[i + s]! - x[i]!;
      }
    },
    /** out = ∇ᵀ g (= −div g) */
    gradT(g: Float64Array, out: Float64Array) {
      out.fill(0);
      for (let d = 0; d < nd; d++) {
        const s = strides[d]!;
        for (let i = 0; i < n; i++) {
          if (last(i, d)) continue;
          const v = g[d * n + i]!;
          out[i + s] += v;
          out[i] -= v;
        }
      }
    },
  };
}

export interface TikhonovOptions extends IterativeOptions {
  /** the regularisation weight λ ≥ 0 (required) */
  lambda: number;
  /** L in λ‖Lx‖²/2: 'gradient' (default, smoothness) or 'identity' (small energy) */
  regularizer?: 'gradient' | 'identity';
}

/**
 * Tikhonov-regularised deconvolution: minimises ½‖M^½(Cx − y)‖² + ½λ‖Lx‖² by conjugate
 * gradients on the normal equations (CᵀMC + λLᵀL) x = CᵀMy. `tolerance` here is on the relative
 * residual ‖r‖/‖CᵀMy‖ (default 1e-6).
 *
 * @example restoration.tikhonov(blurred, psf, { lambda: 0.01, boundary: 'reflect' })
 */
export function tikhonov(image: Tensor, psf: Tensor, options: TikhonovOptions): Tensor {
  return namedAfter('tikhonov', () => tikhonovUnnamed(image, psf, options));
}

function tikhonovUnnamed(image: Tensor, psf: Tensor, options: TikhonovOptions): Tensor {
  const fn = 'tikhonov';
  if (options === undefined) fail(fn, 'options', options, 'must be given with a lambda');
  const s = setup(fn, image, psf, options, ['lambda', 'regularizer'], 200);
  const lambda = checkNumber(fn, 'lambda', s.o.lambda, 'nonnegative');
  const reg = s.o.regularizer ?? 'gradient';
  if (reg !== 'gradient' && reg !== 'identity')
    fail(fn, 'regularizer', reg, "must be 'gradient' or 'identity'");
  const tolerance = s.o.tolerance === undefined ? 1e-6 : s.tolerance;
  const ushape = unknownShape(s);
  const op = blurOperator(ushape, s.psf, s.psfShape, s.boundary);
  const G = gradientOps(ushape);
  const n = ushape.reduce((a, b) => a * b, 1);
  const tmpOut = new Float64Array(s.planes[0]!.length);
  const tmpG = new Float64Array(n * G.nd);
  const tmpX = new Float64Array(n);
  const A = (x: Float64Array, out: Float64Array) => {
    op.apply(x, tmpOut);
    if (s.mask) for (let i = 0; i < tmpOut.length; i++) tmpOut[i] *= s.mask[i]!;
    op.adjoint(tmpOut, out);
    if (lambda === 0) return;
    if (reg === 'identity') {
      for (let i = 0; i < n; i++) out[i] += lambda * x[i]!;
    } else {
      G.grad(x, tmpG);
      G.gradT(tmpG, tmpX);
      for (let i = 0; i < n; i++) out[i] += lambda * tmpX[i]!;
    }
  };
  const outs = s.planes.map((y, c) => {
    const my = s.mask ? y.map((v, i) => v * s.mask![i]!) : y;
    const b = new Float64Array(n);
    op.adjoint(my, b);
    const yMy = dot(y, my);
    const x = start(s, y);
    const r = new Float64Array(n);
    A(x, r);
    for (let i = 0; i < n; i++) r[i] = b[i]! - r[i]!;
    const p = r.slice();
    const Ap = new Float64Array(n);
    let rr = dot(r, r);
    const bNorm = Math.sqrt(dot(b, b)) || 1;
    for (let it = 0; it < s.iterations; it++) {
      if (Math.sqrt(rr) / bNorm < tolerance) break;
      A(p, Ap);
      const pAp = dot(p, Ap);
      if (!(pAp > 0)) break;
      const alpha = rr / pAp;
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i]!;
        r[i] -= alpha * Ap[i]!;
      }
      const rrNew = dot(r, r);
      const beta = rrNew / rr;
      rr = rrNew;
      for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
      // objective = ½xᵀAx − bᵀx + ½yᵀMy with Ax = b − r
      let xAx = 0;
      let bx = 0;
      for (let i = 0; i < n; i++) {
        xAx += x[i]! * (b[i]! - r[i]!);
        bx += b[i]! * x[i]!;
      }
      if (s.callback) report(fn, s, c, it, 0.5 * xAx - bx + 0.5 * yMy, Math.sqrt(rr) / bNorm, x);
    }
    return x;
  });
  return finish(fn, s, outs);
}

export interface TotalVariationOptions extends IterativeOptions {
  /** the TV weight λ ≥ 0 (required) */
  lambda: number;
  /** isotropic (‖∇x‖₂ per pixel, default) or anisotropic (‖∇x‖₁) TV */
  isotropic?: boolean;
  /** keep x ≥ 0, default false */
  nonNegative?: boolean;
}

/**
 * Total-variation deconvolution: minimises ½‖M^½(Cx − y)‖² + λ TV(x) by Chambolle–Pock's
 * primal–dual iteration with K = [C; ∇] (no inner solves; steps τ = σ = 0.99/‖K‖).
 *
 * @example restoration.totalVariation(blurred, psf, { lambda: 0.002, iterations: 300 })
 */
export function totalVariation(image: Tensor, psf: Tensor, options: TotalVariationOptions): Tensor {
  return namedAfter('totalVariation', () => totalVariationUnnamed(image, psf, options));
}

function totalVariationUnnamed(image: Tensor, psf: Tensor, options: TotalVariationOptions): Tensor {
  const fn = 'totalVariation';
  if (options === undefined) fail(fn, 'options', options, 'must be given with a lambda');
  const s = setup(fn, image, psf, options, ['lambda', 'isotropic', 'nonNegative'], 200);
  const lambda = checkNumber(fn, 'lambda', s.o.lambda, 'nonnegative');
  const isotropic = s.o.isotropic === undefined ? true : checkBoolean(fn, 'isotropic', s.o.isotropic);
  const nonNegative =
    s.o.nonNegative === undefined ? false : checkBoolean(fn, 'nonNegative', s.o.nonNegative);
  const ushape = unknownShape(s);
  const op = blurOperator(ushape, s.psf, s.psfShape, s.boundary);
  const G = gradientOps(ushape);
  const nd = G.nd;
  const n = ushape.reduce((a, b) => a * b, 1);
  const L = Math.sqrt(operatorNormSquared(op) + 4 * nd);
  const tau = 0.99 / L;
  const sigma = 0.99 / L;
  const outs = s.planes.map((y, c) => {
    const m = y.length;
    const x = start(s, y);
    const xbar = x.slice();
    const p = new Float64Array(m);
    const q = new Float64Array(n * nd);
    const t = new Float64Array(m);
    const g = new Float64Array(n * nd);
    const u = new Float64Array(n);
    const v = new Float64Array(n);
    for (let it = 0; it < s.iterations; it++) {
      // dual steps
      op.apply(xbar, t);
      for (let i = 0; i < m; i++) {
        const w = s.mask ? s.mask[i]! : 1;
        const z = p[i]! + sigma * t[i]!;
        p[i] = (w * (z - sigma * y[i]!)) / (sigma + w);
      }
      G.grad(xbar, g);
      for (let i = 0; i < n; i++) {
        if (isotropic) {
          let norm = 0;
          for (let d = 0; d < nd; d++) {
            const z = q[d * n + i]! + sigma * g[d * n + i]!;
            q[d * n + i] = z;
            norm += z * z;
          }
          norm = Math.sqrt(norm);
          if (norm > lambda) for (let d = 0; d < nd; d++) q[d * n + i] *= lambda / norm;
        } else {
          for (let d = 0; d < nd; d++) {
            const z = q[d * n + i]! + sigma * g[d * n + i]!;
            q[d * n + i] = Math.max(-lambda, Math.min(lambda, z));
          }
        }
      }
      // primal step
      op.adjoint(p, u);
      G.gradT(q, v);
      const prev = x.slice();
      for (let i = 0; i < n; i++) {
        let z = x[i]! - tau * (u[i]! + v[i]!);
        if (nonNegative && z < 0) z = 0;
        x[i] = z;
        xbar[i] = 2 * z - prev[i]!;
      }
      const change = relativeChange(x, prev);
      if (s.callback) {
        G.grad(x, g);
        let tv = 0;
        for (let i = 0; i < n; i++) {
          let a = 0;
          for (let d = 0; d < nd; d++) a += isotropic ? g[d * n + i]! ** 2 : Math.abs(g[d * n + i]!);
          tv += isotropic ? Math.sqrt(a) : a;
        }
        report(fn, s, c, it, dataTerm(op, x, y, s.mask, t) + lambda * tv, change, x);
      }
      if (change < s.tolerance) break;
    }
    return x;
  });
  return finish(fn, s, outs);
}

export interface RichardsonLucyAdjointOptions extends IterativeOptions {
  /** Biggs–Andrews vector extrapolation, default false */
  accelerate?: boolean;
}

const EPS = 1e-12;

/** One Richardson–Lucy update of x (≥ 0) in place; returns the I-divergence at x. */
function rlStep(
  op: BlurOperator,
  x: Float64Array,
  y: Float64Array,
  mask: Float64Array | null,
  norm: Float64Array,
  t: Float64Array,
  u: Float64Array,
): number {
  op.apply(x, t);
  let div = 0;
  for (let i = 0; i < t.length; i++) {
    const w = mask ? mask[i]! : 1;
    const c = Math.max(t[i]!, 0) + EPS;
    const yi = Math.max(y[i]!, 0);
    div += w * (c - yi + (yi > 0 ? yi * Math.log(yi / c) : 0));
    t[i] = (w * yi) / c;
  }
  op.adjoint(t, u);
  for (let i = 0; i < x.length; i++) x[i] = norm[i]! > 0 ? (x[i]! * u[i]!) / norm[i]! : x[i]!;
  return div;
}

/**
 * Richardson–Lucy on the exact adjoint: x ← x · Cᵀ(M y / Cx) / Cᵀ(M·1), which conserves flux at
 * every boundary (scikit-image's version, `richardsonLucy`, uses the flipped PSF and no
 * normalisation); with `accelerate`, Biggs–Andrews extrapolation (often 2-5× fewer iterations).
 * Starts from the observed image (clamped to ≥ 0); the objective is Csiszár's I-divergence.
 *
 * @example restoration.richardsonLucyAdjoint(blurred, psf, { boundary: 'symmetric', accelerate: true })
 */
export function richardsonLucyAdjoint(
  image: Tensor,
  psf: Tensor,
  options?: RichardsonLucyAdjointOptions,
): Tensor {
  return namedAfter('richardsonLucyAdjoint', () => richardsonLucyAdjointUnnamed(image, psf, options));
}

function richardsonLucyAdjointUnnamed(
  image: Tensor,
  psf: Tensor,
  options?: RichardsonLucyAdjointOptions,
): Tensor {
  const fn = 'richardsonLucyAdjoint';
  const s = setup(fn, image, psf, options, ['accelerate'], 50);
  const accelerate = s.o.accelerate === undefined ? false : checkBoolean(fn, 'accelerate', s.o.accelerate);
  for (let i = 0; i < s.psf.length; i++)
    if (s.psf[i]! < 0) fail(fn, `psf[${i}]`, s.psf[i], 'must be ≥ 0 for Richardson–Lucy');
  const op = blurOperator(unknownShape(s), s.psf, s.psfShape, s.boundary);
  const outs = s.planes.map((y, c) => {
    const ones = s.mask ? s.mask.slice() : new Float64Array(y.length).fill(1);
    const norm = new Float64Array(op.inputShape.reduce((a, b) => a * b, 1));
    op.adjoint(ones, norm);
    let x = start(s, y).map((v) => Math.max(v, 1e-6));
    const t = new Float64Array(y.length);
    const u = new Float64Array(x.length);
    let prev = x.slice();
    let gPrev: Float64Array | null = null;
    let alpha = 0;
    for (let it = 0; it < s.iterations; it++) {
      const before = x.slice();
      let v = x;
      if (accelerate && it > 1) {
        v = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) v[i] = Math.max(x[i]! + alpha * (x[i]! - prev[i]!), 0);
      }
      const predicted = v.slice();
      const div = rlStep(op, v, y, s.mask, norm, t, u);
      if (accelerate) {
        const g = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) g[i] = v[i]! - predicted[i]!;
        if (gPrev) {
          const den = dot(gPrev, gPrev);
          alpha = den > 0 ? Math.min(Math.max(dot(g, gPrev) / den, 0), 0.99) : 0;
        }
        gPrev = g;
      }
      prev = before;
      x = v;
      const change = relativeChange(x, before);
      report(fn, s, c, it, div, change, x);
      if (change < s.tolerance) break;
    }
    return x;
  });
  return finish(fn, s, outs);
}

export interface BlindRichardsonLucyOptions {
  /** the PSF's shape (a flat start), or give `initialPsf` */
  psfShape?: number[];
  initialPsf?: Tensor;
  /** outer iterations, default 30 */
  iterations?: number;
  /** Richardson–Lucy updates of the image and of the PSF per outer iteration, default 1 each */
  imageIterations?: number;
  psfIterations?: number;
  /** boundary of the blur model, default 'circular' */
  boundary?: Boundary;
  /** weights ≥ 0 of the observed pixels, the image's spatial shape (0: missing) */
  mask?: Tensor;
  /** stop when the image's relative change falls below this (0: never), default 0 */
  tolerance?: number;
  callback?: (progress: RestorationProgress) => void;
}

export interface BlindRichardsonLucyResult {
  /** the estimate, the image's shape */
  image: Tensor;
  /** the PSF, `(…psfShape)`; for a colour image one per channel, `(C, …psfShape)` */
  psf: Tensor;
}

const BLIND_OPTIONS = [
  'psfShape',
  'initialPsf',
  'iterations',
  'imageIterations',
  'psfIterations',
  'boundary',
  'mask',
  'tolerance',
  'callback',
];

/**
 * Blind Richardson–Lucy: alternates multiplicative updates of the image x and the PSF h, both
 * kept ≥ 0 and h summing to 1 (Fish et al. 1995), on the exact adjoint with any boundary and an
 * optional mask (the PSF update is h ← h · Xᵀ(M y / (h ⊛ x)) / Xᵀ(M·1)).
 *
 * `image` `(…spatial)` (grey, 1-3 dimensions) or `(C, …spatial)` (colour: `psfShape` or
 * `initialPsf` has one dimension fewer than the image), values ≥ 0. A colour image is restored
 * channel by channel, each channel estimating its own PSF from the same start: the result's `psf`
 * is then `(C, …psfShape)`, and channel c equals the grey result on that channel.
 *
 * @example const { image: sharp, psf } = restoration.blindRichardsonLucy(blurred, { psfShape: [7, 7] })
 */
export function blindRichardsonLucy(
  image: Tensor,
  options: BlindRichardsonLucyOptions,
): BlindRichardsonLucyResult {
  return namedAfter('blindRichardsonLucy', () => blindRichardsonLucyUnnamed(image, options));
}

function blindRichardsonLucyUnnamed(
  image: Tensor,
  options: BlindRichardsonLucyOptions,
): BlindRichardsonLucyResult {
  const fn = 'blindRichardsonLucy';
  if (options === undefined) fail(fn, 'options', options, 'must be given with psfShape or initialPsf');
  const o = checkOptions(fn, options, BLIND_OPTIONS);
  const img = checkImage(fn, 'image', image, 1, 4);
  const psfRank =
    o.initialPsf !== undefined
      ? checkImage(fn, 'initialPsf', o.initialPsf, 1, 3).shape.length
      : Array.isArray(o.psfShape)
        ? o.psfShape.length
        : img.shape.length;
  if (img.shape.length === psfRank + 1 && psfRank >= 1) {
    const [C, ...rest] = img.shape as [number, ...number[]];
    const n = rest.reduce((a, b) => a * b, 1);
    const images: Tensor[] = [];
    const psfs: Tensor[] = [];
    for (let c = 0; c < C; c++) {
      const r = blindRichardsonLucy(
        new Tensor(img.data.slice(c * n, (c + 1) * n), rest),
        optionsForChannel(options, c),
      );
      images.push(r.image);
      psfs.push(r.psf);
    }
    const join = (ts: Tensor[], shape: number[]) => {
      const m = ts[0]!.size;
      const all = new Float64Array(m * ts.length);
      ts.forEach((t, c) => all.set(t.data, c * m));
      return result(fn, all, shape, ts[0]!.dtype === 'float64' ? 'float64' : 'float32');
    };
    return { image: join(images, [...img.shape]), psf: join(psfs, [C, ...psfs[0]!.shape]) };
  }
  if (img.shape.length > 3)
    fail(fn, 'image.shape', img.shape, 'must have 1 to 3 dimensions (or one more for colour)');
  const shape = [...img.shape];
  const tolerance = o.tolerance === undefined ? 0 : checkNumber(fn, 'tolerance', o.tolerance, 'nonnegative');
  let h: Float64Array;
  let kShape: number[];
  if (o.initialPsf !== undefined) {
    const p = checkImage(fn, 'initialPsf', o.initialPsf, 1, 3);
    if (p.shape.length !== shape.length)
      fail(
        fn,
        'initialPsf.shape',
        p.shape,
        `must have the image's ${shape.length} dimensions, or one fewer for a channels-first image`,
      );
    kShape = [...p.shape];
    h = Float64Array.from(p.data);
    let sum = 0;
    for (let i = 0; i < h.length; i++) {
      if (h[i]! < 0) fail(fn, `initialPsf[${i}]`, h[i], 'must be ≥ 0 for Richardson–Lucy');
      sum += h[i]!;
    }
    if (!(sum > 0)) fail(fn, 'initialPsf', sum, 'must have a positive sum');
  } else if (Array.isArray(o.psfShape) && o.psfShape.length === shape.length) {
    kShape = o.psfShape.map((k, i) => checkInteger(fn, `psfShape[${i}]`, k, 1, shape[i]));
    h = new Float64Array(kShape.reduce((a, b) => a * b, 1)).fill(1);
  } else {
    fail(
      fn,
      'psfShape',
      o.psfShape,
      `must be given (one size per image dimension, ${shape.length}, or one fewer for a channels-first image) when initialPsf is not`,
    );
  }
  kShape.forEach((k, i) => {
    if (k > shape[i]!) fail(fn, `psfShape[${i}]`, k, `must not exceed the image's size ${shape[i]}`);
  });
  const boundary = (o.boundary ?? 'circular') as Boundary;
  if (!BOUNDARIES.includes(boundary))
    fail(fn, 'boundary', o.boundary, `must be one of ${BOUNDARIES.map((b) => `'${b}'`).join(', ')}`);
  let mask: Float64Array | null = null;
  if (o.mask !== undefined) {
    const m = checkImage(fn, 'mask', o.mask, 1, 3);
    if (m.shape.join() !== shape.join())
      fail(fn, 'mask.shape', m.shape, `must equal the image's spatial shape ${JSON.stringify(shape)}`);
    for (let i = 0; i < m.size; i++) if (m.data[i]! < 0) fail(fn, `mask[${i}]`, m.data[i], 'must be ≥ 0');
    mask = Float64Array.from(m.data);
  }
  const iterations = o.iterations === undefined ? 30 : checkInteger(fn, 'iterations', o.iterations, 0);
  const imageIt =
    o.imageIterations === undefined ? 1 : checkInteger(fn, 'imageIterations', o.imageIterations, 1);
  const psfIt = o.psfIterations === undefined ? 1 : checkInteger(fn, 'psfIterations', o.psfIterations, 1);
  if (o.callback !== undefined) checkFunction(fn, 'callback', o.callback);
  const dtype = img.dtype === 'float64' ? 'float64' : 'float32';
  // the Setup the shared helpers (unknown grid, start, crop, report) read
  const s: Setup = {
    channels: 1,
    planes: [Float64Array.from(img.data, (v) => Math.max(v, 0))],
    shape,
    psf: h,
    psfShape: kShape,
    boundary,
    mask,
    iterations,
    tolerance,
    callback: o.callback as Setup['callback'],
    dtype,
    imageShape: shape,
    o,
  };
  const normalise = (k: Float64Array) => {
    let sum = 0;
    for (const v of k) sum += v;
    if (sum > 0) for (let i = 0; i < k.length; i++) k[i]! /= sum;
  };
  normalise(h);
  const y = s.planes[0]!;
  const ushape = unknownShape(s);
  let x = start(s, y).map((v) => Math.max(v, 1e-6));
  const m = y.length;
  const t = new Float64Array(m);
  const u = new Float64Array(x.length);
  // M·1: the weights the flux normalisations Cᵀ(M·1) and Xᵀ(M·1) take
  const weights = mask ? mask.slice() : new Float64Array(m).fill(1);
  for (let it = 0; it < iterations; it++) {
    const before = x.slice();
    let div = 0;
    for (let k = 0; k < psfIt; k++) {
      // h ← h · Xᵀ(M y / (h ⊛ x)) / Xᵀ(M·1), then Σh = 1
      const op = blurOperator(ushape, h, kShape, boundary);
      op.apply(x, t);
      for (let i = 0; i < m; i++) t[i] = (weights[i]! * y[i]!) / (Math.max(t[i]!, 0) + EPS);
      const g = kernelAdjoint(x, ushape, t, kShape, boundary);
      const z = kernelAdjoint(x, ushape, weights, kShape, boundary);
      for (let j = 0; j < h.length; j++) h[j] = z[j]! > 0 ? (h[j]! * g[j]!) / z[j]! : 0;
      normalise(h);
    }
    const op = blurOperator(ushape, h, kShape, boundary);
    const norm = new Float64Array(x.length);
    op.adjoint(weights, norm);
    for (let k = 0; k < imageIt; k++) div = rlStep(op, x, y, mask, norm, t, u);
    const change = relativeChange(x, before);
    report(fn, s, 0, it, div, change, x);
    if (change < tolerance) break;
  }
  x = crop(s, x).slice();
  return { image: result(fn, x, shape, dtype), psf: result(fn, h, kShape, dtype) };
}

/**
 * Edge tapering against ringing (MATLAB's `edgetaper`): the image is blended with its circularly
 * blurred self, J = α·I + (1 − α)·(h ⊛ I), where α falls from 1 inside to 0 at the border along
 * each axis as the normalised autocorrelation of the PSF's projection onto that axis. Use before
 * an FFT-based method (`wiener`) or a circular boundary.
 *
 * `image` `(…spatial)` or `(C, …spatial)`, `psf` `(…spatial)`.
 *
 * @example restoration.wiener(restoration.edgeTaper(blurred, psf), psf, { balance: 0.05 })
 */
export function edgeTaper(image: Tensor, psf: Tensor): Tensor {
  return namedAfter('edgeTaper', () => edgeTaperUnnamed(image, psf));
}

function edgeTaperUnnamed(image: Tensor, psf: Tensor): Tensor {
  const fn = 'edgeTaper';
  const s = setup(fn, image, psf, undefined, [], 0);
  const shape = s.shape;
  const nd = shape.length;
  // per axis: the PSF's projection, its autocorrelation over the image length, normalised
  const alphas = shape.map((N, d) => {
    const k = s.psfShape[d]!;
    const proj = new Float64Array(k);
    const kStrides = s.psfShape.map((_, i) => s.psfShape.slice(i + 1).reduce((a, b) => a * b, 1));
    for (let j = 0; j < s.psf.length; j++) proj[Math.floor(j / kStrides[d]!) % k] += s.psf[j]!;
    // α[lag] = 1 − ac[lag] / ac[0] with ac the autocorrelation: 0 at the border (lag 0), 1 from
    // the PSF's length inwards
    const a = new Float64Array(N).fill(1);
    let peak = 0;
    for (let j = 0; j < k; j++) peak += proj[j]! * proj[j]!;
    for (let lag = 0; lag < Math.min(k, N); lag++) {
      let v = 0;
      for (let j = 0; j + lag < k; j++) v += proj[j]! * proj[j + lag]!;
      a[lag] = peak > 0 ? 1 - v / peak : 1;
    }
    return a;
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const op = blurOperator(shape, s.psf, s.psfShape, 'circular');
  const outs = s.planes.map((y) => {
    const blurred = new Float64Array(n);
    op.apply(y, blurred);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let alpha = 1;
      for (let d = 0; d < nd; d++) {
        const c = Math.floor(i / strides[d]!) % shape[d]!;
        // distance to the border in samples: the profile's lag
        const lag = Math.min(c, shape[d]! - 1 - c);
        alpha *= alphas[d]![lag]!;
      }
      out[i] = alpha * y[i]! + (1 - alpha) * blurred[i]!;
    }
    return out;
  });
  return finish(fn, s, outs);
}
