/**
 * Convolutional dictionary learning: minimise over filters d_m (support kH × kW at the origin,
 * ‖d_m‖₂ ≤ 1) and maps x_m
 *
 *     ½‖Σ_m d_m ⊛ x_m − s‖² + λ Σ_m ‖x_m‖₁,
 *
 * alternating sparse coding (ADMM, `convBPDN`'s solver, warm-started) with the constrained
 * dictionary update (ADMM in the DFT domain with the same per-frequency Sherman–Morrison solve
 * and a projection onto the constraint set — SPORCO's `ConvCnstrMOD`; Wohlberg, "Efficient
 * algorithms for convolutional sparse representations", IEEE TIP 2016). This is the problem of
 * Zeiler, Krishnan, Taylor and Fergus, "Deconvolutional Networks" (CVPR 2010).
 *
 * Several signals are laid out as tiles of one canvas, kH − 1 / kW − 1 zero rows and columns
 * apart, so that one rank-one solve per frequency serves them all (a coefficient in a gap may
 * still help draw its tile's border; the maps returned are the tiles' own).
 */
import { namedAfter } from '../kernels/wasm/threads.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import { realFft2, inverseRealFft2, spectrumWidth } from '../fft/real.js';
import { nextFastLength } from '../fft/fft.js';
import { checkImage, checkOptions, checkInteger, checkNumber, result } from '../restoration/common.js';
import { CbpdnSolver, checkAdmmOptions, padFilters, withSolverMemory, type CscProgress } from './convBPDN.js';
import { spectra, sumSquares, conjTimes, solveRankOne } from './spectral.js';

export interface LearnDictionaryOptions {
  /** number of filters M */
  atoms: number;
  /** filter size: one number or [kH, kW] */
  kernelSize: number | [number, number];
  /** the ℓ1 weight λ */
  lambda: number;
  /** outer iterations (coding + dictionary update), default 50 */
  iterations?: number;
  /** seed of the random initial dictionary */
  seed?: number;
  /** ADMM iterations of sparse coding per outer iteration, default 10 */
  codingIterations?: number;
  /** ADMM iterations of the dictionary update per outer iteration, default 10 */
  dictionaryIterations?: number;
  /** the initial dictionary `(M, kH, kW)` instead of a random one */
  initialDictionary?: Tensor;
  /** sparse coding ρ (default 50λ + 1) and relaxation (1.8) */
  rho?: number;
  relaxation?: number;
  /**
   * stop when the objective's relative change between outer iterations,
   * |f_k − f_{k−1}| / |f_k|, falls below this (default 0: run every iteration)
   */
  tolerance?: number;
  /** called after each outer iteration with its objective */
  callback?: (progress: CscProgress) => void;
}

export interface LearnDictionaryResult {
  /** the filters, `(M, kH, kW)` */
  dictionary: Tensor;
  /** the sparse maps, `(N, M, H, W)` for signals `(N, H, W)`, `(M, H, W)` for one `(H, W)` */
  coefficients: Tensor;
  /** the objective after each outer iteration */
  objective: number[];
}

/**
 * Learns a convolutional dictionary from `signals` `(H, W)` or `(N, H, W)`.
 *
 * @example
 *   const { dictionary, objective } = csc.learnDictionary(patches, { atoms: 8, kernelSize: 5, lambda: 0.1 });
 */
export function learnDictionary(signals: Tensor, options: LearnDictionaryOptions): LearnDictionaryResult {
  return namedAfter('learnDictionary', () => learnDictionaryUnnamed(signals, options));
}

function learnDictionaryUnnamed(signals: Tensor, options: LearnDictionaryOptions): LearnDictionaryResult {
  const fn = 'learnDictionary';
  if (options === undefined) fail(fn, 'options', options, 'must be given with atoms, kernelSize and lambda');
  const o = checkOptions(fn, options, [
    'atoms',
    'kernelSize',
    'lambda',
    'iterations',
    'seed',
    'codingIterations',
    'dictionaryIterations',
    'initialDictionary',
    'rho',
    'relaxation',
    'tolerance',
    'callback',
  ]);
  const sig = checkImage(fn, 'signals', signals, 2, 3);
  const batched = sig.shape.length === 3;
  const N = batched ? sig.shape[0]! : 1;
  const H = sig.shape[sig.shape.length - 2]!;
  const W = sig.shape[sig.shape.length - 1]!;
  const M = checkInteger(fn, 'atoms', o.atoms, 1, 4096);
  const ks = o.kernelSize;
  let kh: number, kw: number;
  if (typeof ks === 'number') {
    kh = kw = checkInteger(fn, 'kernelSize', ks, 1, H);
  } else if (Array.isArray(ks) && ks.length === 2) {
    kh = checkInteger(fn, 'kernelSize[0]', ks[0], 1, H);
    kw = checkInteger(fn, 'kernelSize[1]', ks[1], 1, W);
  } else {
    fail(fn, 'kernelSize', ks, 'must be a number or [kH, kW]');
  }
  if (kw > W) fail(fn, 'kernelSize', ks, `must not exceed the signal's width ${W}`);
  // the inner ADMM runs its fixed counts; `tolerance` is the outer loop's
  const a = checkAdmmOptions(fn, { ...o, autoRho: true, tolerance: 0 });
  const tolerance = o.tolerance === undefined ? 0 : checkNumber(fn, 'tolerance', o.tolerance, 'nonnegative');
  const iterations = o.iterations === undefined ? 50 : checkInteger(fn, 'iterations', o.iterations, 1);
  const codingIt =
    o.codingIterations === undefined ? 10 : checkInteger(fn, 'codingIterations', o.codingIterations, 1);
  const dictIt =
    o.dictionaryIterations === undefined
      ? 10
      : checkInteger(fn, 'dictionaryIterations', o.dictionaryIterations, 1);
  const seed = o.seed === undefined ? 0 : checkInteger(fn, 'seed', o.seed, 0, 2 ** 32 - 1);
  let init: Float64Array;
  if (o.initialDictionary !== undefined) {
    const d = checkImage(fn, 'initialDictionary', o.initialDictionary, 3, 3);
    if (d.shape[0] !== M || d.shape[1] !== kh || d.shape[2] !== kw) {
      fail(fn, 'initialDictionary.shape', d.shape, `must be [atoms, kH, kW] = [${M}, ${kh}, ${kw}]`);
    }
    init = Float64Array.from(d.data);
  } else {
    const rng = new Rng(seed);
    init = new Float64Array(M * kh * kw).map(() => rng.normal());
  }

  // the canvas: tiles in a near-square grid, gaps of k − 1
  const cols = Math.ceil(Math.sqrt(N));
  const rows = Math.ceil(N / cols);
  // one signal is coded on its own circular grid; several get gaps (so no filter straddles two
  // tiles) and a canvas rounded up to a fast FFT length
  const TH = N === 1 ? H : H + kh - 1;
  const TW = N === 1 ? W : W + kw - 1;
  const CH = N === 1 ? H : nextFastLength(rows * TH);
  const CW = N === 1 ? W : nextFastLength(cols * TW);
  const canvas = new Float64Array(CH * CW);
  const origin = (n: number) => [Math.floor(n / cols) * TH, (n % cols) * TW] as const;
  for (let n = 0; n < N; n++) {
    const [r0, c0] = origin(n);
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) canvas[(r0 + i) * CW + c0 + j] = sig.data[(n * H + i) * W + j]!;
  }

  const project = (G: Float64Array) => {
    // support kh × kw at the origin, then into the unit ball
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let i = 0; i < CH; i++) {
        for (let j = 0; j < CW; j++) {
          const idx = (m * CH + i) * CW + j;
          if (i >= kh || j >= kw) G[idx] = 0;
          else s += G[idx]! ** 2;
        }
      }
      if (s > 1) {
        const f = 1 / Math.sqrt(s);
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) G[(m * CH + i) * CW + j]! *= f;
      }
    }
  };
  const G = padFilters(init, M, kh, kw, CH, CW);
  // start on the unit sphere
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let i = 0; i < kh * kw; i++) s += init[m * kh * kw + i]! ** 2;
    const f = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) G[(m * CH + i) * CW + j]! *= f;
  }
  return withSolverMemory(M, CH, CW, (engine) => {
    const solver = new CbpdnSolver(
      canvas,
      CH,
      CW,
      M,
      G,
      { lambda: a.lambda, rho: a.rho, relaxation: a.relaxation, autoRho: true, mask: null },
      engine,
    );
    const F = CH * spectrumWidth(CW);
    const n = M * CH * CW;
    const Sf = realFft2(canvas, 1, CH, CW);
    const Hd = new Float64Array(n);
    const D = new Float64Array(n);
    const T = new Float64Array(n);
    const Z = spectra(M * F);
    const c = spectra(F);
    const alpha = a.relaxation;
    const objective: number[] = [];
    for (let it = 0; it < iterations; it++) {
      solver.setDictionary(G);
      let last = { primal: 0, dual: 0 };
      for (let k = 0; k < codingIt; k++) last = solver.step();
      // dictionary update with the sparse maps fixed
      const Xf = realFft2(solver.Y, M, CH, CW);
      const aa = sumSquares(Xf, M, F);
      const XhS = conjTimes(Xf, Sf, M, F);
      let sigma = 0;
      for (let k = 0; k < F; k++) sigma += aa[k]!;
      sigma = Math.max(sigma / F, 1e-6);
      for (let k = 0; k < dictIt; k++) {
        for (let i = 0; i < n; i++) T[i] = G[i]! - Hd[i]!;
        realFft2(T, M, CH, CW, Z);
        solveRankOne(Xf, aa, XhS, Z, sigma, M, F, c);
        inverseRealFft2(Z.re, Z.im, M, CH, CW, D);
        for (let i = 0; i < n; i++) {
          const dr = alpha * D[i]! + (1 - alpha) * G[i]!;
          T[i] = dr;
          G[i] = dr + Hd[i]!;
        }
        project(G);
        for (let i = 0; i < n; i++) Hd[i] += T[i]! - G[i]!;
      }
      solver.setDictionary(G);
      const obj = solver.objectiveAtY(solver.reconstruct());
      objective.push(obj);
      a.callback?.({ iteration: it, objective: obj, primal: last.primal, dual: last.dual, rho: solver.rho });
      const before = objective[objective.length - 2];
      if (tolerance > 0 && before !== undefined && Math.abs(obj - before) < tolerance * Math.abs(obj)) break;
    }

    const dict = new Float64Array(M * kh * kw);
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) dict[(m * kh + i) * kw + j] = G[(m * CH + i) * CW + j]!;
    }
    const coef = new Float64Array(N * M * H * W);
    for (let s = 0; s < N; s++) {
      const [r0, c0] = origin(s);
      for (let m = 0; m < M; m++) {
        for (let i = 0; i < H; i++) {
          for (let j = 0; j < W; j++)
            coef[((s * M + m) * H + i) * W + j] = solver.Y[(m * CH + r0 + i) * CW + c0 + j]!;
        }
      }
    }
    const dtype = sig.dtype === 'float64' ? 'float64' : 'float32';
    return {
      dictionary: result(fn, dict, [M, kh, kw], dtype),
      coefficients: result(fn, coef, batched ? [N, M, H, W] : [M, H, W], dtype),
      objective,
    };
  });
}
