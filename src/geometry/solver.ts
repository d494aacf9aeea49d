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
 * Per dimension the search loops over dilation, outputPadding and padding (in the order of the
 * results) and, for each, solves `s·(i − 1) + d·(k − 1) = o − 1 − a + 2p` for the kernel sizes
 * whose stride comes out a whole number in range (a linear congruence in k), so it never walks
 * over configurations that cannot work. Every result is then checked against
 * `transposedOutputLength` (geometry/arithmetic.ts), the one formula.
 */
import { fail, show } from '../errors.js';
import { checkOptions, perDim, POSITIVE, NON_NEGATIVE } from './args.js';
import { checkOutputPadding, largestOutputPadding, transposedOutputLength } from './arithmetic.js';

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
  /** at most this many results (default 1000) */
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
 * `limit` of them. Unknowns t = k − 1; the equation is s·m + d·t = C with m = i − 1 and
 * C = o − 1 − a + 2p.
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
 * The solver's "simplest first", as a sort key: dilation 1 first, then outputPadding 0, then no
 * checkerboard (the kernel a multiple of the stride), then the fewest kernel taps plus cropped
 * rows (k + p), then the smaller padding, then the smaller stride. So 7 → 28 gives k4 s4 p0,
 * k8 s4 p2, k12 s3 p1, k16 s2 p0, …, before k22 s1 p0.
 */
function simplicity(c: DimConfig): number[] {
  return [c.d, c.a, evenDim(c.k, c.s, c.d) ? 0 : 1, c.k + c.p, c.p, c.s];
}

function enumerateDim(i: number, o: number, fixed: Fixed, limit: number): DimConfig[] {
  const out: DimConfig[] = [];
  const m = i - 1;
  const sLo = fixed.s ?? 1;
  const sHi = fixed.s ?? o;
  const tLo0 = (fixed.k ?? 1) - 1;
  const tHi0 = (fixed.k ?? o) - 1;
  const dilations = fixed.d !== undefined ? [fixed.d] : [1, 2, 3].slice(0, SOLVER_MAX_DILATION);
  for (const d of dilations) {
    // s·m = C − d·t = o − 1 − a + 2p − d·t is at most o − 1 + d·tHi0 (free p ≤ d·t) or
    // o − 1 + 2p − d·tLo0 (fixed p): that bounds the stride, hence outputPadding < max(s, d).
    const sSpan = fixed.p === undefined ? o - 1 + d * tHi0 : o - 1 + 2 * fixed.p - d * tLo0;
    const sMax = m > 0 ? Math.min(sHi, Math.floor(sSpan / m)) : sHi;
    const aLo = fixed.a ?? 0;
    const aHi = fixed.a ?? largestOutputPadding(sMax, d);
    for (let a = aLo; a <= aHi; a++) {
      if (fixed.k !== undefined && fixed.p === undefined && m > 0) {
        // A fixed kernel: 2p = s·m + d·t + 1 + a − o grows with s, so walking s ascending walks
        // p ascending, and only the strides with 0 ≤ p ≤ d·t are visited.
        const t = tLo0;
        const sFirst = Math.max(sLo, Math.ceil((o - 1 - a - d * t) / m));
        const sLast = Math.min(sHi, Math.floor((d * t + o - 1 - a) / m));
        for (let s = sFirst; s <= sLast; s++) {
          const twoP = s * m + d * t + 1 + a - o;
          if (twoP < 0 || twoP % 2 !== 0 || twoP / 2 > d * t || a > largestOutputPadding(s, d)) continue;
          out.push({ k: t + 1, s, p: twoP / 2, a, d });
          if (out.length >= limit) return out;
        }
        continue;
      }
      // p range: C must reach s·m + d·t for some s in [sLo, sHi], t in [tLo0, tHi0]; a free p
      // must also stay below the effective kernel (p ≤ d·t, so C − s·m ≥ p, i.e. p ≥ s·m + 1 + a − o).
      let pLo = fixed.p ?? Math.max(0, Math.ceil((sLo * m + d * tLo0 - o + 1 + a) / 2));
      const pHi = fixed.p ?? Math.min(d * tHi0, Math.floor((sHi * m + d * tHi0 - o + 1 + a) / 2));
      if (fixed.p === undefined) pLo = Math.max(pLo, sLo * m + 1 + a - o);
      for (let p = pLo; p <= pHi; p++) {
        const C = o - 1 - a + 2 * p;
        // t range from s in [sLo, sHi], k in its range and (free p) p ≤ d·t.
        let tLo = tLo0;
        let tHi = tHi0;
        if (fixed.p === undefined) tLo = Math.max(tLo, Math.ceil(p / d));
        if (m === 0) {
          // i = 1: the stride does not change the size, every s in range works.
          if (C % d !== 0) continue;
          const t = C / d;
          if (t < tLo || t > tHi) continue;
          for (let s = sLo; s <= sHi; s++) {
            if (a > largestOutputPadding(s, d)) continue;
            out.push({ k: t + 1, s, p, a, d });
            if (out.length >= limit) return out;
          }
          continue;
        }
        tLo = Math.max(tLo, Math.ceil((C - sHi * m) / d));
        tHi = Math.min(tHi, Math.floor((C - sLo * m) / d));
        if (tLo > tHi) continue;
        // d·t ≡ C (mod m)
        const g = gcd(d, m);
        if (C % g !== 0) continue;
        const step = m / g;
        const t0 = step === 1 ? 0 : (((((C / g) % step) * inverseMod(d / g, step)) % step) + step) % step;
        for (let t = tLo + ((((t0 - tLo) % step) + step) % step); t <= tHi; t += step) {
          const s = (C - d * t) / m;
          if (a > largestOutputPadding(s, d)) continue;
          out.push({ k: t + 1, s, p, a, d });
          if (out.length >= limit) return out;
        }
      }
    }
  }
  return out;
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
  if (config === null || typeof config !== 'object') fail(fn, 'config', config, 'must be an object');
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
 * Sizes and fixed options are integers of at most 2²⁴ (16777216), else a DeconvError names them.
 * Per dimension the results are ordered simplest first: dilation 1 first, then outputPadding 0,
 * then no checkerboard (kernel a multiple of the stride), then the fewest kernel taps plus cropped
 * rows (k + p), then the smaller padding, then the smaller stride; so 7 → 28 starts with k4 s4 p0,
 * k8 s4 p2, k12 s3 p1, k16 s2 p0, and k22 s1 p0 comes after those (among the first 20 000 configurations the
 * search finds per dimension, by padding ascending).
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
    const check = inputSize.map((i, j) =>
      transposedOutputLength({
        inputSize: i,
        kernelSize: config.kernelSize[j]!,
        stride: config.stride[j]!,
        padBegin: config.padding[j]!,
        padEnd: config.padding[j]!,
        dilation: config.dilation[j]!,
        outputPadding: config.outputPadding[j]!,
      }),
    );
    if (check.some((v, j) => v !== outputSize[j])) {
      throw new Error(`${fn}: internal error: ${show(config)} gives ${show(check)}, not ${show(outputSize)}`);
    }
    return config;
  });
}
