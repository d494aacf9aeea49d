/**
 * The transposed-convolution parameter solver: which (kernelSize, stride, padding, outputPadding,
 * dilation) map an input size to a wanted output size,
 *
 *     o = s·(i − 1) − 2p + d·(k − 1) + 1 + a        (geometry/arithmetic.ts, transposedOutputLength)
 *
 * and whether each one overlaps evenly (no checkerboard artifacts).
 *
 * References: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285; A. Odena, V. Dumoulin, C. Olah, "Deconvolution and
 * Checkerboard Artifacts", Distill (2016), https://distill.pub/2016/deconv-checkerboard/.
 *
 * Per dimension the search walks dilation, then outputPadding, then k + p (see `enumerateDim`):
 * for one (dilation, outputPadding) the configurations are lattice points of a cone, walked in
 * order with a heap, and outputPaddings or kernel sizes without any are skipped in O(1) (bands of
 * the size equation, the parity of its terms, a linear congruence for a fixed padding). Its work
 * is bounded (SOLVER_STEPS), however large the sizes and fixed options. Every result is then
 * checked against `transposedOutputLength` (geometry/arithmetic.ts), the one formula.
 */
import { fail, show } from '../errors.js';
import { checkOptions, perDim, POSITIVE, NON_NEGATIVE } from './args.js';
import {
  checkOutputPadding,
  largestOutputPadding,
  transposedDim,
  transposedOutputLength,
} from './arithmetic.js';

export interface SolveConvTransposeArgs {
  /** size of the transposed convolution's input, per spatial dimension */
  inputSize: number | readonly number[];
  /** wanted output size, per spatial dimension */
  outputSize: number | readonly number[];
  /** fixed kernel size (free when omitted) */
  kernelSize?: number | readonly number[];
  /** fixed stride (free when omitted) */
  stride?: number | readonly number[];
  /** fixed padding, the same at both ends (free when omitted) */
  padding?: number | readonly number[];
  /** fixed output padding (free when omitted) */
  outputPadding?: number | readonly number[];
  /** fixed dilation (free when omitted: 1 to 3) */
  dilation?: number | readonly number[];
  /** at most this many results (default 1000, at most 100000) */
  maxResults?: number;
}

/** One configuration, one number per spatial dimension. */
export interface ConvTransposeConfig {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
  /**
   * Whether every output element (away from the borders) receives the same number of kernel
   * taps, so a constant input gives a constant output: no checkerboard (see `hasEvenOverlap`).
   */
  evenOverlap: boolean;
}

/** Default `maxResults`. */
export const SOLVER_MAX_RESULTS = 1000;
/** Largest `maxResults`. */
const SOLVER_RESULTS_LIMIT = 100_000;
/** Largest free dilation the solver tries. */
const SOLVER_MAX_DILATION = 3;
/** Largest input or output size the solver accepts (keeps all products exact in doubles). */
const MAX_SIZE = 2 ** 24;

interface DimConfig {
  k: number;
  s: number;
  p: number;
  a: number;
  d: number;
}

interface Fixed {
  k?: number;
  s?: number;
  p?: number;
  a?: number;
  d?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** The inverse of `a` modulo `m` (gcd(a, m) = 1, m ≥ 1). */
function inverseMod(a: number, m: number): number {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [x0, x1] = [1, 0];
  while (r1) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [x0, x1] = [x1, x0 - q * x1];
  }
  return ((x0 % m) + m) % m;
}

/**
 * All configurations of one dimension mapping `i` to `o`, in the documented order, at most
 * `limit` of them: the first SOLVER_CANDIDATES (or `limit`, if more) in the enumeration order of
 * `enumerateDim`, sorted by `simplicity`.
 */
function solveDim(i: number, o: number, fixed: Fixed, limit: number): DimConfig[] {
  return enumerateDim(i, o, fixed, Math.max(limit, SOLVER_CANDIDATES))
    .sort((x, y) => {
      const kx = simplicity(x);
      const ky = simplicity(y);
      for (let j = 0; j < kx.length; j++) if (kx[j] !== ky[j]) return kx[j]! - ky[j]!;
      return 0;
    })
    .slice(0, limit);
}

/** Configurations enumerated per dimension before they are ordered (the order is among these). */
const SOLVER_CANDIDATES = 20000;
/**
 * The work budget of one dimension's search: each step yields a configuration or moves past an
 * outputPadding or kernel size that has none (about 0.5 µs each here, so a dimension takes well
 * under a second however large the sizes and fixed options).
 */
export const SOLVER_STEPS = 1_000_000;

/**
 * The solver's "simplest first", as a sort key: dilation 1 first, then outputPadding 0, then no
 * checkerboard (the kernel a multiple of the stride), then the fewest kernel taps plus cropped
 * rows (k + p), then the smaller padding, then the smaller stride. So 7 → 28 gives k4 s4 p0,
 * k8 s4 p2, k12 s3 p1, k16 s2 p0, …, before k22 s1 p0.
 */
function simplicity(c: DimConfig): number[] {
  return [c.d, c.a, evenDim(c.k, c.s, c.d) ? 0 : 1, c.k + c.p, c.p, c.s];
}

/**
 * A binary heap of (t, s) lattice points keyed by L = (d + 2)·t + m·s, ties by the larger t:
 * for one (dilation, outputPadding), L = 2q − 2 + R with q = k + p, and at equal q the larger
 * kernel has the smaller padding, so popping gives the configurations by (k + p, p).
 */
class PointHeap {
  private readonly key: number[] = [];
  private readonly ts: number[] = [];
  private readonly ss: number[] = [];
  private readonly ends: number[] = [];
  get size(): number {
    return this.key.length;
  }
  topKey(): number {
    return this.key[0]!;
  }
  private less(x: number, y: number): boolean {
    const kx = this.key[x]!;
    const ky = this.key[y]!;
    return kx < ky || (kx === ky && this.ts[x]! > this.ts[y]!);
  }
  private swap(x: number, y: number): void {
    for (const a of [this.key, this.ts, this.ss, this.ends]) [a[x], a[y]] = [a[y]!, a[x]!];
  }
  push(key: number, t: number, s: number, end: number): void {
    this.key.push(key);
    this.ts.push(t);
    this.ss.push(s);
    this.ends.push(end);
    for (let j = this.key.length - 1; j > 0;) {
      const up = (j - 1) >> 1;
      if (!this.less(j, up)) break;
      this.swap(j, up);
      j = up;
    }
  }
  /** Removes the smallest point: [key, t, s, end]. */
  pop(): [number, number, number, number] {
    const top: [number, number, number, number] = [this.key[0]!, this.ts[0]!, this.ss[0]!, this.ends[0]!];
    const last = this.key.length - 1;
    this.swap(0, last);
    for (const a of [this.key, this.ts, this.ss, this.ends]) a.pop();
    for (let j = 0; ;) {
      const l = 2 * j + 1;
      const r = l + 1;
      let best = j;
      if (l < last && this.less(l, best)) best = l;
      if (r < last && this.less(r, best)) best = r;
      if (best === j) break;
      this.swap(j, best);
      j = best;
    }
    return top;
  }
}

/**
 * Enumerates the configurations of one dimension by dilation, then outputPadding a, then k + p,
 * then p, stopping at `limit`. With m = i − 1, t = k − 1 and R = o − 1 − a the size equation is
 *
 *     s·m + d·t − 2p = R,   1 ≤ s, 0 ≤ t, 0 ≤ p ≤ d·t (a free p), a < max(s, d).
 *
 * For one (d, a) a free padding is p = (s·m + d·t − R)/2, so the solutions are the lattice points
 * (t, s) with |s·m − R| ≤ d·t and s·m + d·t − R even, and k + p grows with (d + 2)·t + m·s. They
 * are walked in that order with a heap, a kernel size entering it only once its smallest possible
 * key is reached; the first kernel size with a solution is found in O(1) from the strides nearest
 * R / m. A fixed padding leaves one line, d·t ≡ R + 2p (mod m), walked by t. So every step of the
 * walk yields a configuration or skips a kernel size of the wrong parity: the work is
 * proportional to the configurations returned, plus O(1) per outputPadding value without any
 * (at most max(outputSize, dilation) of them per dilation).
 */
function enumerateDim(i: number, o: number, fixed: Fixed, limit: number): DimConfig[] {
  const out: DimConfig[] = [];
  const m = i - 1;
  const S1 = fixed.s ?? 1;
  const S2 = fixed.s ?? o;
  const T1 = (fixed.k ?? 1) - 1;
  const T2 = (fixed.k ?? o) - 1;
  const P = fixed.p;
  // the work budget: every step below spends one, and the search ends when none is left
  let steps = SOLVER_STEPS;
  /** Adds one configuration; true when the list is full (or the budget spent). */
  const add: Add = (t, s, p, a, d) => {
    out.push({ k: t + 1, s, p, a, d });
    return out.length >= limit || --steps <= 0;
  };
  const spend: Spend = () => --steps <= 0;
  const dilations = fixed.d !== undefined ? [fixed.d] : [1, 2, 3].slice(0, SOLVER_MAX_DILATION);
  for (const d of dilations) {
    // R = s·m + d·t − 2p lies in [S1·m − d·T2, S2·m + d·T2] (free p; a fixed p shifts it by
    // −2p and pins t's share to [d·T1, d·T2]): outputPadding a = o − 1 − R is bounded by it.
    const rHi = P === undefined ? S2 * m + d * T2 : S2 * m + d * T2 - 2 * P;
    const rLo = P === undefined ? S1 * m - d * T2 : S1 * m + d * T1 - 2 * P;
    const aFirst = Math.max(fixed.a ?? 0, o - 1 - rHi);
    const aLast = Math.min(fixed.a ?? largestOutputPadding(S2, d), o - 1 - rLo);
    // Per stride s, R lies in the band [s·m + lo, s·m + hi]: between bands no outputPadding has
    // a configuration, so the walk jumps to the next band (a large input has bands far apart).
    const lo = P === undefined ? -d * T2 : d * T1 - 2 * P;
    const hi = P === undefined ? d * T2 : d * T2 - 2 * P;
    for (let a = aFirst; a <= aLast; a++) {
      if (spend()) return out;
      // a < max(s, d): from a = d on, only strides above a allow it
      const sLo = a >= d ? Math.max(S1, a + 1) : S1;
      if (sLo > S2) break;
      const R = o - 1 - a;
      if (m > 0) {
        const band = Math.min(S2, Math.floor((R - lo) / m));
        if (band < sLo) break; // R below every band (R only falls as a grows)
        if (R > band * m + hi) {
          a = o - 1 - (band * m + hi) - 1; // the loop's a++ lands on the band's top
          continue;
        }
      }
      const full =
        P !== undefined
          ? fixedPadding(m, d, R, P, sLo, S2, T1, T2, a, add)
          : m === 0
            ? freePaddingUnitInput(d, R, sLo, S2, T1, T2, a, add, spend)
            : freePadding(m, d, R, sLo, S2, T1, T2, a, add, spend);
      if (full) return out;
    }
  }
  return out;
}

/** Adds a configuration (k = t + 1, s, p, a, d); true when the search must end. */
type Add = (t: number, s: number, p: number, a: number, d: number) => boolean;
/** Spends one step of the work budget; true when the search must end. */
type Spend = () => boolean;

/** A fixed padding P: s·m + d·t = R + 2P, by t ascending (k + p ascending). */
function fixedPadding(
  m: number,
  d: number,
  R: number,
  P: number,
  sLo: number,
  S2: number,
  T1: number,
  T2: number,
  a: number,
  add: Add,
): boolean {
  const C = R + 2 * P;
  if (m === 0) {
    // i = 1: the stride does not change the size, every stride in range works
    if (C < 0 || C % d !== 0) return false;
    const t = C / d;
    if (t < T1 || t > T2) return false;
    for (let s = sLo; s <= S2; s++) if (add(t, s, P, a, d)) return true;
    return false;
  }
  const tLo = Math.max(T1, Math.ceil((C - S2 * m) / d));
  const tHi = Math.min(T2, Math.floor((C - sLo * m) / d));
  if (tLo > tHi) return false;
  // d·t ≡ C (mod m)
  const g = gcd(d, m);
  if (mod(C, g) !== 0) return false;
  const step = m / g;
  const t0 = step === 1 ? 0 : mod(mod(C / g, step) * inverseMod(d / g, step), step);
  for (let t = tLo + mod(t0 - tLo, step); t <= tHi; t += step) {
    if (add(t, (C - d * t) / m, P, a, d)) return true;
  }
  return false;
}

/** i = 1 and a free padding: d·t − 2p = R for every stride, by t (then stride) ascending. */
function freePaddingUnitInput(
  d: number,
  R: number,
  sLo: number,
  S2: number,
  T1: number,
  T2: number,
  a: number,
  add: Add,
  spend: Spend,
): boolean {
  // 0 ≤ p = (d·t − R)/2 ≤ d·t needs d·t ≥ |R| and d·t − R even
  if (d % 2 === 0 && mod(R, 2) !== 0) return false;
  let t = Math.max(T1, Math.ceil(Math.abs(R) / d));
  const step = d % 2 === 0 ? 1 : 2;
  if (mod(d * t - R, 2) !== 0) t++;
  for (; t <= T2; t += step) {
    if (spend()) return true;
    const p = (d * t - R) / 2;
    for (let s = sLo; s <= S2; s++) if (add(t, s, p, a, d)) return true;
  }
  return false;
}

/** i > 1 and a free padding: the lattice points (t, s) of one (d, a) by k + p, then p. */
function freePadding(
  m: number,
  d: number,
  R: number,
  sLo: number,
  S2: number,
  T1: number,
  T2: number,
  a: number,
  add: Add,
  spend: Spend,
): boolean {
  // s·m + d·t − R must be even: impossible when m and d are even and R is odd
  if (m % 2 === 0 && d % 2 === 0 && mod(R, 2) !== 0) return false;
  // The first kernel size with a solution: |s·m − R| ≤ d·t is easiest for the strides nearest
  // R / m (with each parity, as the parity of s or t may be forced).
  const fl = Math.floor(R / m);
  let tFirst = Infinity;
  for (const s of [fl - 1, fl, fl + 1, fl + 2, sLo, sLo + 1, S2 - 1, S2]) {
    if (s < sLo || s > S2) continue;
    let t = Math.max(T1, Math.ceil(Math.abs(s * m - R) / d));
    if (mod(s * m + d * t - R, 2) !== 0) {
      if (d % 2 === 0) continue; // t cannot fix the parity
      t++;
    }
    if (t < tFirst) tFirst = t;
  }
  if (tFirst > T2) return false;
  const heap = new PointHeap();
  // The smallest key a kernel size t can have, a bound that grows with t.
  const bound = (t: number): number => Math.max((d + 2) * t + m * sLo, 2 * t + R);
  const sStep = m % 2 === 0 ? 1 : 2;
  let next = tFirst;
  for (;;) {
    while (next <= T2 && (heap.size === 0 || bound(next) <= heap.topKey())) {
      if (spend()) return true;
      const t = next++;
      // strides with |s·m − R| ≤ d·t, of the parity that makes s·m + d·t − R even
      let s = Math.max(sLo, Math.ceil((R - d * t) / m));
      const end = Math.min(S2, Math.floor((R + d * t) / m));
      if (mod(s * m + d * t - R, 2) !== 0) {
        if (sStep === 1) continue; // m even: this t has the wrong parity for every stride
        s++;
      }
      if (s <= end) heap.push((d + 2) * t + m * s, t, s, end);
    }
    if (heap.size === 0) return false;
    const [key, t, s, end] = heap.pop();
    if (add(t, s, (s * m + d * t - R) / 2, a, d)) return true;
    if (s + sStep <= end) heap.push(key + m * sStep, t, s + sStep, end);
  }
}

/** `x mod n` in [0, n) for n ≥ 1 and any integer x. */
function mod(x: number, n: number): number {
  return ((x % n) + n) % n;
}

/** Number of spatial dimensions: the length of any array argument, 1 when all are numbers. */
function solverDims(fn: string, args: Record<string, unknown>): number {
  let d = 0;
  let first = '';
  for (const [name, v] of Object.entries(args)) {
    if (!Array.isArray(v)) continue;
    if (v.length < 1 || v.length > 3)
      fail(fn, name, v, 'must have 1 to 3 entries, one per spatial dimension');
    if (d !== 0 && v.length !== d) fail(fn, name, v, `must have ${d} entries like ${first}`);
    d = v.length;
    first = `${name} = ${show(v)}`;
  }
  return d || 1;
}

/**
 * Whether a transposed convolution spreads its input evenly: every output element away from the
 * borders receives the same number of kernel taps, so there is no checkerboard pattern (Odena et
 * al. 2016). With dilation 1 that is "kernelSize divisible by stride"; in general the taps
 * `k·dilation mod stride` must hit every residue equally often. Per dimension; true when all are.
 *
 * @example hasEvenOverlap({ kernelSize: 4, stride: 2 }) // true;  { kernelSize: 3, stride: 2 } → false
 */
export function hasEvenOverlap(config: {
  kernelSize: number | readonly number[];
  stride: number | readonly number[];
  dilation?: number | readonly number[];
}): boolean {
  const fn = 'hasEvenOverlap';
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    fail(fn, 'config', config, 'must be an object');
  // a solver result (ConvTransposeConfig) may be passed as it is
  checkOptions(fn, config, ['kernelSize', 'stride', 'dilation', 'padding', 'outputPadding', 'evenOverlap']);
  const d = solverDims(fn, {
    kernelSize: config.kernelSize,
    stride: config.stride,
    dilation: config.dilation,
  });
  const k = perDim(fn, 'kernelSize', config.kernelSize, d, POSITIVE);
  const s = perDim(fn, 'stride', config.stride, d, POSITIVE);
  const dl = perDim(fn, 'dilation', config.dilation, d, POSITIVE, 1);
  return k.every((kj, j) => evenDim(kj, s[j]!, dl[j]!));
}

function evenDim(k: number, s: number, d: number): boolean {
  // Output x gets the taps j with j·d ≡ x + p (mod s): count them per residue.
  if (s === 1) return true;
  if (gcd(d, s) !== 1) return false; // residues not divisible by gcd(d, s) get no tap at all
  return k % s === 0;
}

/** Orders tuples of per-dimension ranks: summed rank, then the largest rank, then lexicographic. */
function combine(lists: DimConfig[][], limit: number): DimConfig[][] {
  if (lists.some((l) => l.length === 0)) return [];
  const out: DimConfig[][] = [];
  const maxSum = lists.reduce((s, l) => s + l.length - 1, 0);
  for (let sum = 0; sum <= maxSum && out.length < limit; sum++) {
    const level: number[][] = [];
    const walk = (dim: number, left: number, acc: number[]): void => {
      if (dim === lists.length - 1) {
        if (left < lists[dim]!.length) level.push([...acc, left]);
        return;
      }
      for (let r = 0; r <= Math.min(left, lists[dim]!.length - 1); r++) walk(dim + 1, left - r, [...acc, r]);
    };
    walk(0, sum, []);
    level.sort((x, y) => {
      const mx = Math.max(...x) - Math.max(...y);
      if (mx !== 0) return mx;
      for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return x[j]! - y[j]!;
      return 0;
    });
    for (const ranks of level) {
      out.push(ranks.map((r, j) => lists[j]![r]!));
      if (out.length >= limit) break;
    }
  }
  return out;
}

/**
 * Every transposed-convolution configuration that maps `inputSize` to `outputSize`, with the given
 * options fixed, simplest first. Sizes and options are numbers (one spatial dimension) or arrays
 * with one entry per spatial dimension (1 to 3; the arrays say how many).
 *
 * Bounds on the free parameters (fixed ones are taken as given):
 *   - stride ≤ outputSize, kernelSize ≤ outputSize, dilation 1 to 3;
 *   - padding < effective kernel d·(k − 1) + 1, so the direct form's padding d·(k − 1) − p ≥ 0
 *     (no cropping);
 *   - outputPadding < max(stride, dilation) (PyTorch's rule; also enforced on a fixed one).
 * Sizes and fixed options are integers of at most 2²⁴ (16777216), `maxResults` at most 100000,
 * else a DeconvError names them; unknown options are refused.
 * Per dimension the results are ordered simplest first: dilation 1 first, then outputPadding 0,
 * then no checkerboard (kernel a multiple of the stride), then the fewest kernel taps plus cropped
 * rows (k + p), then the smaller padding, then the smaller stride; so 7 → 28 starts with k4 s4 p0,
 * k8 s4 p2, k12 s3 p1, k16 s2 p0, and k22 s1 p0 comes after those. The order is exact among the
 * first 20 000 configurations (or `maxResults`, if more) of each dimension in the order
 * (dilation, outputPadding, k + p, p), the search order; so it is exact whenever a dimension has
 * no more than that many (every test case).
 *
 * Work: per dimension the search takes at most 10⁶ steps (SOLVER_STEPS), each of which yields a
 * configuration or skips an outputPadding or kernel size that has none; so a call answers within
 * about a second per distinct dimension for any sizes and options within the bounds. Only with
 * fixed options far beyond the sizes (a fixed dilation or padding of millions with an output of
 * thousands) can the budget end the search early; the list then holds what it found.
 * With several dimensions each is solved on its own and the combinations are ordered by the sum of
 * their per-dimension ranks (ties: the smaller largest rank, then lexicographic), so equal sizes
 * give the same configuration in every dimension first. At most `maxResults` (default 1000)
 * results are returned; an empty array means no configuration within the bounds exists. Each result
 * is verified with `transposedOutputLength` and carries `evenOverlap` (no checkerboard).
 *
 * @example
 *   solveConvTranspose({ inputSize: 7, outputSize: 28 })[0];
 *   // { kernelSize: [4], stride: [4], padding: [0], outputPadding: [0], dilation: [1], evenOverlap: true }
 *   solveConvTranspose({ inputSize: [16, 16], outputSize: [32, 32], kernelSize: 4, stride: 2 })[0];
 *   // kernelSize [4, 4], stride [2, 2], padding [1, 1], outputPadding [0, 0], dilation [1, 1]
 */
export function solveConvTranspose(args: SolveConvTransposeArgs): ConvTransposeConfig[] {
  const fn = 'solveConvTranspose';
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    fail(fn, 'args', args, 'must be an object');
  checkOptions(fn, args, [
    'inputSize',
    'outputSize',
    'kernelSize',
    'stride',
    'padding',
    'outputPadding',
    'dilation',
    'maxResults',
  ]);
  const d = solverDims(fn, {
    inputSize: args.inputSize,
    outputSize: args.outputSize,
    kernelSize: args.kernelSize,
    stride: args.stride,
    padding: args.padding,
    outputPadding: args.outputPadding,
    dilation: args.dilation,
  });
  const inputSize = perDim(fn, 'inputSize', args.inputSize, d, POSITIVE);
  const outputSize = perDim(fn, 'outputSize', args.outputSize, d, POSITIVE);
  [inputSize, outputSize].forEach((sizes, n) =>
    sizes.forEach((v, j) => {
      if (v > MAX_SIZE) fail(fn, `${n ? 'outputSize' : 'inputSize'}[${j}]`, v, `must be at most ${MAX_SIZE}`);
    }),
  );
  // A fixed option is bounded like the sizes: beyond 2²⁴ no product stays exact and the search
  // (whose work grows with the options) would not end in reasonable time (dilation 2⁴⁰ hung).
  const optional = (name: string, value: unknown, rule = POSITIVE): (number | undefined)[] => {
    if (value === undefined) return new Array<undefined>(d).fill(undefined);
    const values = perDim(fn, name, value, d, rule);
    values.forEach((v, j) => {
      if (v > MAX_SIZE)
        fail(fn, Array.isArray(value) ? `${name}[${j}]` : name, v, `must be at most ${MAX_SIZE}`);
    });
    return values;
  };
  const kernel = optional('kernelSize', args.kernelSize);
  const stride = optional('stride', args.stride);
  const padding = optional('padding', args.padding, NON_NEGATIVE);
  const outputPadding = optional('outputPadding', args.outputPadding, NON_NEGATIVE);
  const dilation = optional('dilation', args.dilation);
  outputPadding.forEach((a, j) => {
    const s = stride[j];
    const dl = dilation[j];
    if (a !== undefined && s !== undefined && dl !== undefined) {
      checkOutputPadding(fn, [a], [s], [dl], () => `outputPadding[${j}]`);
    }
  });
  let limit = SOLVER_MAX_RESULTS;
  if (args.maxResults !== undefined) {
    const mr = args.maxResults;
    if (typeof mr !== 'number' || !Number.isInteger(mr) || mr < 1)
      fail(fn, 'maxResults', mr, 'must be a positive integer');
    if (mr > SOLVER_RESULTS_LIMIT) fail(fn, 'maxResults', mr, `must be at most ${SOLVER_RESULTS_LIMIT}`);
    limit = mr;
  }

  const memo = new Map<string, DimConfig[]>();
  const lists = inputSize.map((i, j) => {
    const fixed: Fixed = { k: kernel[j], s: stride[j], p: padding[j], a: outputPadding[j], d: dilation[j] };
    const key = JSON.stringify([i, outputSize[j], fixed]);
    let list = memo.get(key);
    if (!list) {
      list = solveDim(i, outputSize[j]!, fixed, limit);
      memo.set(key, list);
    }
    return list;
  });

  return combine(lists, limit).map((dims) => {
    const config: ConvTransposeConfig = {
      kernelSize: dims.map((c) => c.k),
      stride: dims.map((c) => c.s),
      padding: dims.map((c) => c.p),
      outputPadding: dims.map((c) => c.a),
      dilation: dims.map((c) => c.d),
      evenOverlap: dims.every((c) => evenDim(c.k, c.s, c.d)),
    };
    const check = inputSize.map((i, j) => transposedOutputLength(transposedDim(config, j, i)));
    if (check.some((v, j) => v !== outputSize[j])) {
      throw new Error(`${fn}: internal error: ${show(config)} gives ${show(check)}, not ${show(outputSize)}`);
    }
    return config;
  });
}
