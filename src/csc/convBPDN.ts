/**
 * Convolutional basis pursuit denoising,
 *
 *     minimise over x_m   ½‖W ⊙ (Σ_m d_m ⊛ x_m − s)‖² + λ Σ_m ‖x_m‖₁,
 *
 * with ⊛ the circular true convolution, filter origin at index 0 (SPORCO's `ConvBPDN`
 * convention): (d ⊛ x)[i, j] = Σ_{a,b} d[a, b] · x[(i − a) mod H, (j − b) mod W]; W = 1 unless a
 * mask is given.
 *
 * ADMM in the DFT domain (Wohlberg, "Efficient algorithms for convolutional sparse
 * representations", IEEE TIP 2016): the x-step is one Sherman–Morrison solve per frequency, the
 * y-step soft thresholding, with over-relaxation α and residual-balancing ρ (Boyd et al.,
 * "Distributed optimization and statistical learning via ADMM", 2011, §3.4.1). The masked form
 * splits the model Dx as a second variable (SPORCO's `ConvBPDNMaskDcpl`; Heide et al. 2015,
 * Wohlberg 2016 "Boundary handling for convolutional sparse representations").
 */
import { namedAfter } from '../kernels/wasm/threads.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../fft/real.js';
import {
  activeFftEngine,
  wasmLength,
  wasmSolveRankOne,
  wasmAdmmStep,
  type AdmmSums,
  type FftEngine,
} from '../fft/wasm.js';
import { ADMM_CHUNK } from '../fft/wasm-layout.js';
import {
  checkImage,
  checkOptions,
  checkInteger,
  checkNumber,
  checkBoolean,
  checkFunction,
  result,
} from '../restoration/common.js';
import {
  spectra,
  sumSquares,
  conjTimes,
  solveRankOne,
  halfSpectrumEnergy,
  type Spectra,
} from './spectral.js';

/** One iteration's report to `callback`. */
export interface CscProgress {
  iteration: number;
  /** the objective at this iteration's x-step solution */
  objective: number;
  /** primal and dual residual norms, and ρ after this iteration */
  primal: number;
  dual: number;
  rho: number;
}

export interface ConvBPDNOptions {
  /** the ℓ1 weight λ ≥ 0 (required) */
  lambda: number;
  /** maximum number of ADMM iterations, default 200 */
  iterations?: number;
  /** relative stopping tolerance on the primal and dual residuals, default 1e-3 (0: run all) */
  tolerance?: number;
  /** the ADMM penalty ρ > 0, default 50λ + 1 (SPORCO's default) */
  rho?: number;
  /** over-relaxation α in (0, 2), default 1.8 */
  relaxation?: number;
  /** adapt ρ every 10 iterations when the normalised residuals differ by more than 1.2×, default true */
  autoRho?: boolean;
  /** per-pixel weights W ≥ 0 of the data term, `(H, W)` (0 marks missing pixels or a boundary) */
  mask?: Tensor;
  /** called after every iteration */
  callback?: (progress: CscProgress) => void;
}

export interface ConvBPDNResult {
  /** the sparse maps x_m, `(M, H, W)` */
  coefficients: Tensor;
  /** Σ_m d_m ⊛ x_m, `(H, W)` */
  reconstruction: Tensor;
  /** the objective after each iteration (at its x-step solution) */
  objective: number[];
}

/** Pads each `(kH, kW)` filter into an `(H, W)` plane at the origin. */
export function padFilters(
  d: ArrayLike<number>,
  M: number,
  kh: number,
  kw: number,
  H: number,
  W: number,
): Float64Array {
  const out = new Float64Array(M * H * W);
  for (let m = 0; m < M; m++) {
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) out[(m * H + a) * W + b] = d[(m * kh + a) * kw + b]!;
    }
  }
  return out;
}

const RHO_PERIOD = 10;
const RHO_RATIO = 1.2;
const RHO_MAX_SCALING = 100;

/**
 * The FFT module for a problem of M planes (H, W), or null for the JavaScript path: the solver's
 * arrays then live on the module's memory (released by the caller, see `withSolverMemory`).
 */
function solverEngine(M: number, H: number, W: number): FftEngine | null {
  const e = activeFftEngine(M * H * W);
  if (!e || !wasmLength(H) || !wasmLength(W)) return null;
  // X, Y, U, T; Z, DhS, Df, B (complex); per-thread transform scratch, generously
  const bytes = 8 * (4 * M * H * W + 8 * M * H * spectrumWidth(W) + 64 * H * W);
  return e.fits(bytes) ? e : null;
}

/**
 * Runs `f` with the engine for the problem (or null) and releases whatever the solver allocated
 * on the module's memory when `f` returns or throws. `f` must copy out what it keeps.
 */
export function withSolverMemory<T>(M: number, H: number, W: number, f: (e: FftEngine | null) => T): T {
  const e = solverEngine(M, H, W);
  if (!e) return f(null);
  const mark = e.mark();
  try {
    return f(e);
  } finally {
    e.release(mark);
  }
}

/**
 * convBPDN's relaxed y- and u-steps (JavaScript path), with the six sums in the FFT module's
 * order (per ADMM_CHUNK, even and odd elements apart) so that both paths agree to the bit.
 */
function admmStepJs(
  X: Float64Array,
  Y: Float64Array,
  U: Float64Array,
  T: Float64Array,
  a: number,
  thr: number,
): AdmmSums {
  const n = X.length;
  const out: AdmmSums = [0, 0, 0, 0, 0, 0];
  const lane = new Float64Array(12);
  for (let c0 = 0; c0 < n; c0 += ADMM_CHUNK) {
    const c1 = Math.min(n, c0 + ADMM_CHUNK);
    lane.fill(0);
    for (let i = c0; i < c1; i++) {
      // lane 1 holds the odd elements of a chunk, lane 0 the even ones (and an odd last one)
      const l = (i - c0) & 1 && i < c0 + ((c1 - c0) & ~1) ? 6 : 0;
      const x = X[i]!;
      const yOld = Y[i]!;
      const v = a * x + (1 - a) * yOld + U[i]!;
      const y = v - Math.min(Math.max(v, -thr), thr);
      const u = v - y;
      Y[i] = y;
      U[i] = u;
      T[i] = y - u;
      const e = x - y;
      const f = y - yOld;
      lane[l] += Math.abs(x);
      lane[l + 1] += e * e;
      lane[l + 2] += f * f;
      lane[l + 3] += x * x;
      lane[l + 4] += y * y;
      lane[l + 5] += u * u;
    }
    for (let j = 0; j < 6; j++) out[j] += lane[j]! + lane[j + 6]!;
  }
  return out;
}

/** The ADMM state of one problem, reusable with a changing dictionary (dictionary learning). */
export class CbpdnSolver {
  readonly M: number;
  readonly H: number;
  readonly W: number;
  readonly F: number;
  lambda: number;
  rho: number;
  relaxation: number;
  autoRho: boolean;
  /** spatial variables, (M, H, W) */
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly U: Float64Array;
  private readonly S: Float64Array;
  private readonly Sf: Spectra;
  private readonly Df: Spectra;
  private readonly dd: Float64Array;
  private readonly DhS: Spectra;
  private readonly Z: Spectra;
  private readonly c: Spectra;
  private readonly T: Float64Array;
  /** the FFT module whose memory holds the arrays above, or null (JavaScript) */
  private readonly engine: FftEngine | null;
  // masked form
  private readonly mask: Float64Array | null;
  private readonly Y0: Float64Array | null = null;
  private readonly U0: Float64Array | null = null;
  private readonly DX: Float64Array | null = null;
  private readonly T0: Float64Array | null = null;
  private readonly Z0: Spectra | null = null;
  private readonly B: Spectra | null = null;

  /**
   * With an `engine` (from `withSolverMemory`), the arrays are allocated on its memory and the
   * transforms, the solve and the y/u pass run there; results are the same to the bit.
   */
  constructor(
    signal: Float64Array,
    H: number,
    W: number,
    M: number,
    paddedFilters: Float64Array,
    options: { lambda: number; rho: number; relaxation: number; autoRho: boolean; mask: Float64Array | null },
    engine: FftEngine | null = null,
  ) {
    this.M = M;
    this.H = H;
    this.W = W;
    this.F = H * spectrumWidth(W);
    this.lambda = options.lambda;
    this.rho = options.rho;
    this.relaxation = options.relaxation;
    this.autoRho = options.autoRho;
    this.mask = options.mask;
    this.engine = engine;
    const f64 = (k: number): Float64Array => (engine ? engine.view(k) : new Float64Array(k));
    const cplx = (k: number): Spectra => ({ re: f64(k), im: f64(k) });
    const n = M * H * W;
    const F = this.F;
    this.X = f64(n);
    this.Y = f64(n);
    this.U = f64(n);
    this.T = f64(n);
    this.S = signal;
    this.Sf = realFft2(signal, 1, H, W);
    this.Z = cplx(M * F);
    this.c = cplx(F);
    this.Df = cplx(M * F);
    this.dd = f64(F);
    this.DhS = cplx(M * F);
    if (this.mask) {
      this.Y0 = new Float64Array(H * W);
      this.U0 = new Float64Array(H * W);
      this.DX = new Float64Array(H * W);
      this.T0 = new Float64Array(H * W);
      this.Z0 = spectra(F);
      this.B = cplx(M * F);
    }
    this.setDictionary(paddedFilters);
  }

  /** Replaces the dictionary (M planes of (H, W), filters at the origin). */
  setDictionary(paddedFilters: Float64Array): void {
    realFft2(paddedFilters, this.M, this.H, this.W, this.Df);
    this.dd.set(sumSquares(this.Df, this.M, this.F));
    const dhs = conjTimes(this.Df, this.Sf, this.M, this.F);
    this.DhS.re.set(dhs.re);
    this.DhS.im.set(dhs.im);
  }

  /** The x-step's per-frequency solve (spectral.ts solveRankOne) on this solver's path. */
  private solve(b: Spectra, rho: number): void {
    const { Df, dd, Z, c, M, F } = this;
    if (this.engine) {
      wasmSolveRankOne(
        this.engine,
        { Ar: Df.re, Ai: Df.im, aa: dd, Br: b.re, Bi: b.im, Zr: Z.re, Zi: Z.im, Cr: c.re, Ci: c.im },
        rho,
        M,
        F,
      );
    } else solveRankOne(Df, dd, b, Z, rho, M, F, c);
  }

  /** One ADMM iteration; returns the objective at the x-step solution and the residuals. */
  step(): { objective: number; primal: number; dual: number } {
    const { M, H, W, F, X, Y, U, T, Z, c } = this;
    const HW = H * W;
    const n = M * HW;
    const rho = this.rho;
    // T = Y − U was left by the previous step (zero at the start)
    realFft2(T, M, H, W, Z);
    let fidelity: number;
    if (!this.mask) {
      this.solve(this.DhS, rho);
      inverseRealFft2(Z.re, Z.im, M, H, W, X);
      for (let k = 0; k < F; k++) {
        c.re[k] -= this.Sf.re[k]!;
        c.im[k] -= this.Sf.im[k]!;
      }
      fidelity = 0.5 * halfSpectrumEnergy(c.re, c.im, H, W);
    } else {
      // b = D^H F(Y0 − U0) + F(Y1 − U1), solved with ρ = 1 (both constraints share ρ)
      const Y0 = this.Y0!,
        U0 = this.U0!,
        T0 = this.T0!,
        Z0 = this.Z0!,
        DX = this.DX!,
        B = this.B!;
      for (let i = 0; i < HW; i++) T0[i] = Y0[i]! - U0[i]!;
      realFft2(T0, 1, H, W, Z0);
      const b = conjTimes(this.Df, Z0, M, F);
      B.re.set(b.re);
      B.im.set(b.im);
      this.solve(B, 1);
      inverseRealFft2(Z.re, Z.im, M, H, W, X);
      inverseRealFft2(c.re, c.im, 1, H, W, DX);
      const w = this.mask;
      let s = 0;
      for (let i = 0; i < HW; i++) {
        const e = w[i]! * (DX[i]! - this.S[i]!);
        s += e * e;
      }
      fidelity = 0.5 * s;
    }
    // relaxed y- and u-steps, residuals, ‖x‖₁ and the next step's Y − U in one pass
    const a = this.relaxation;
    const thr = this.lambda / rho;
    const sums = this.engine ? wasmAdmmStep(this.engine, X, Y, U, T, a, thr) : admmStepJs(X, Y, U, T, a, thr);
    const l1 = sums[0];
    let [, r2, s2, x2, y2, u2] = sums;
    const objective = fidelity + this.lambda * l1;
    if (this.mask) {
      const Y0 = this.Y0!,
        U0 = this.U0!,
        DX = this.DX!,
        w = this.mask;
      for (let i = 0; i < HW; i++) {
        const dx = DX[i]!;
        const yOld = Y0[i]!;
        const dxr = a * dx + (1 - a) * yOld;
        const v = dxr + U0[i]!;
        const w2 = w[i]! * w[i]!;
        const y = (w2 * this.S[i]! + rho * v) / (w2 + rho);
        Y0[i] = y;
        U0[i] = v - y;
        const e = dx - y;
        const f = y - yOld;
        r2 += e * e;
        s2 += f * f;
        x2 += dx * dx;
        y2 += y * y;
        u2 += U0[i]! * U0[i]!;
      }
    }
    const primal = Math.sqrt(r2);
    const dual = rho * Math.sqrt(s2);
    this.primalScale = Math.max(Math.sqrt(x2), Math.sqrt(y2));
    this.dualScale = rho * Math.sqrt(u2);
    // residual balancing on the normalised residuals (the ones the stopping rule reads), every
    // RHO_PERIOD iterations, by √ of their ratio (SPORCO's AutoRho with AutoScaling)
    if (this.autoRho && ++this.count % RHO_PERIOD === 0 && primal > 0 && dual > 0) {
      const ratio = primal / Math.max(this.primalScale, 1e-300) / (dual / Math.max(this.dualScale, 1e-300));
      if (ratio > RHO_RATIO || ratio < 1 / RHO_RATIO) {
        const f = Math.min(Math.max(Math.sqrt(ratio), 1 / RHO_MAX_SCALING), RHO_MAX_SCALING);
        this.rho *= f;
        for (let i = 0; i < n; i++) {
          U[i] /= f;
          T[i] = Y[i]! - U[i]!;
        }
        if (this.U0) for (let i = 0; i < HW; i++) this.U0[i] /= f;
      }
    }
    return { objective, primal, dual };
  }

  /** max(‖x‖, ‖y‖) and ρ‖u‖ of the last step, for relative stopping. */
  primalScale = 0;
  dualScale = 0;
  private count = 0;

  /** Σ_m d_m ⊛ y_m with the current dictionary. */
  reconstruct(): Float64Array {
    const { M, H, W, F } = this;
    const Yf = realFft2(this.Y, M, H, W);
    const c = spectra(F);
    for (let m = 0; m < M; m++) {
      const o = m * F;
      for (let k = 0; k < F; k++) {
        const ar = this.Df.re[o + k]!,
          ai = this.Df.im[o + k]!,
          br = Yf.re[o + k]!,
          bi = Yf.im[o + k]!;
        c.re[k] += ar * br - ai * bi;
        c.im[k] += ar * bi + ai * br;
      }
    }
    return inverseRealFft2(c.re, c.im, 1, H, W) as Float64Array;
  }

  /** The objective ½‖W(Σ d ⊛ y − s)‖² + λ‖y‖₁ at the sparse variable y, given its reconstruction. */
  objectiveAtY(recon: Float64Array): number {
    let s = 0;
    for (let i = 0; i < recon.length; i++)
      s += ((this.mask ? this.mask[i]! : 1) * (recon[i]! - this.S[i]!)) ** 2;
    let l1 = 0;
    for (let i = 0; i < this.Y.length; i++) l1 += Math.abs(this.Y[i]!);
    return 0.5 * s + this.lambda * l1;
  }
}

/** Converged when both residuals are below `tolerance` times their scales. */
export function converged(
  solver: CbpdnSolver,
  r: { primal: number; dual: number },
  tolerance: number,
): boolean {
  return (
    tolerance > 0 && r.primal <= tolerance * solver.primalScale && r.dual <= tolerance * solver.dualScale
  );
}

/** Checks the options shared by `convBPDN` and `learnDictionary`'s coding step. */
export function checkAdmmOptions(fn: string, o: Record<string, unknown>) {
  const lambda = checkNumber(fn, 'lambda', o.lambda, 'nonnegative');
  const tolerance =
    o.tolerance === undefined ? 1e-3 : checkNumber(fn, 'tolerance', o.tolerance, 'nonnegative');
  const rho = o.rho === undefined ? 50 * lambda + 1 : checkNumber(fn, 'rho', o.rho, 'positive');
  const relaxation =
    o.relaxation === undefined ? 1.8 : checkNumber(fn, 'relaxation', o.relaxation, 'positive');
  if (relaxation >= 2) fail(fn, 'relaxation', relaxation, 'must be in (0, 2)');
  const autoRho = o.autoRho === undefined ? true : checkBoolean(fn, 'autoRho', o.autoRho);
  if (o.callback !== undefined) checkFunction(fn, 'callback', o.callback);
  return {
    lambda,
    tolerance,
    rho,
    relaxation,
    autoRho,
    callback: o.callback as ((p: CscProgress) => void) | undefined,
  };
}

/**
 * Convolutional basis pursuit denoising: sparse maps x_m with Σ_m d_m ⊛ x_m ≈ s (SPORCO's
 * `ConvBPDN` problem and convention, see the file's header), by ADMM in the DFT domain.
 *
 * `signal` `(H, W)`, `dictionary` `(M, kH, kW)` with kH ≤ H, kW ≤ W. Returns `coefficients`
 * `(M, H, W)` (the sparse ADMM variable: exact zeros), `reconstruction` `(H, W)` and the
 * `objective` of each iteration.
 *
 * @example
 *   const { coefficients, reconstruction, objective } = csc.convBPDN(image, filters, { lambda: 0.05 });
 */
export function convBPDN(signal: Tensor, dictionary: Tensor, options: ConvBPDNOptions): ConvBPDNResult {
  return namedAfter('convBPDN', () => convBPDNUnnamed(signal, dictionary, options));
}

function convBPDNUnnamed(signal: Tensor, dictionary: Tensor, options: ConvBPDNOptions): ConvBPDNResult {
  const fn = 'convBPDN';
  if (options === undefined) fail(fn, 'options', options, 'must be given with a lambda');
  const o = checkOptions(fn, options, [
    'lambda',
    'iterations',
    'tolerance',
    'rho',
    'relaxation',
    'autoRho',
    'mask',
    'callback',
  ]);
  const s = checkImage(fn, 'signal', signal, 2, 2);
  const d = checkImage(fn, 'dictionary', dictionary, 3, 3);
  const [H, W] = [s.shape[0]!, s.shape[1]!];
  const [M, kh, kw] = [d.shape[0]!, d.shape[1]!, d.shape[2]!];
  if (kh > H) fail(fn, 'dictionary.shape[1]', kh, `must not exceed the signal's height ${H}`);
  if (kw > W) fail(fn, 'dictionary.shape[2]', kw, `must not exceed the signal's width ${W}`);
  const a = checkAdmmOptions(fn, o);
  const iterations = o.iterations === undefined ? 200 : checkInteger(fn, 'iterations', o.iterations, 1);
  let mask: Float64Array | null = null;
  if (o.mask !== undefined) {
    const m = checkImage(fn, 'mask', o.mask, 2, 2);
    if (m.shape[0] !== H || m.shape[1] !== W)
      fail(fn, 'mask.shape', m.shape, `must equal the signal's shape [${H}, ${W}]`);
    for (let i = 0; i < m.size; i++) if (m.data[i]! < 0) fail(fn, `mask[${i}]`, m.data[i], 'must be ≥ 0');
    mask = Float64Array.from(m.data);
  }
  return withSolverMemory(M, H, W, (engine) => {
    const solver = new CbpdnSolver(
      Float64Array.from(s.data),
      H,
      W,
      M,
      padFilters(d.data, M, kh, kw, H, W),
      { lambda: a.lambda, rho: a.rho, relaxation: a.relaxation, autoRho: a.autoRho, mask },
      engine,
    );
    const objective: number[] = [];
    for (let it = 0; it < iterations; it++) {
      const r = solver.step();
      objective.push(r.objective);
      a.callback?.({
        iteration: it,
        objective: r.objective,
        primal: r.primal,
        dual: r.dual,
        rho: solver.rho,
      });
      if (converged(solver, r, a.tolerance)) break;
    }
    const dtype = s.dtype === 'float64' ? 'float64' : 'float32';
    return {
      coefficients: result(fn, solver.Y, [M, H, W], dtype),
      reconstruction: result(fn, solver.reconstruct(), [H, W], dtype),
      objective,
    };
  });
}
