/**
 * Element-wise arithmetic with NumPy/PyTorch broadcasting, reductions, reshape and the 2-d matrix
 * product: what training code needs around the deconvolution ops. Gradient rules are beside each.
 */
import { fail, show } from '../errors.js';
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { Tensor, allocate, checkLive, numel, type DType, type TensorData } from '../tensor.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    add: { aShape: readonly number[]; bShape: readonly number[] };
    sub: { aShape: readonly number[]; bShape: readonly number[] };
    mul: { a: Tensor; b: Tensor };
    div: { a: Tensor; b: Tensor };
    neg: null;
    pow: { x: Tensor; exponent: number };
    sqrt: { y: Tensor };
    abs: { x: Tensor };
    exp: { y: Tensor };
    log: { x: Tensor };
    relu: { x: Tensor };
    sigmoid: { y: Tensor };
    tanh: { y: Tensor };
    sum: { shape: readonly number[]; dims: number[] };
    mean: { shape: readonly number[]; dims: number[]; count: number };
    reshape: { shape: readonly number[] };
    clone: null;
    matmul: { a: Tensor; b: Tensor };
    transpose2d: null;
  }
}

function resultType(a: DType, b: DType, alwaysFloat: boolean): DType {
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32' || alwaysFloat) return 'float32';
  return 'int32';
}

function asTensor(x: Tensor | number, like: Tensor): Tensor {
  if (x instanceof Tensor) return checkLive('arithmetic', 'other', x);
  if (typeof x !== 'number') fail('arithmetic', 'other', x, 'must be a Tensor or a number');
  const data = like.dtype === 'float64' ? new Float64Array([x]) : new Float32Array([x]);
  return new Tensor(data, []);
}

/** The broadcast shape of `a` and `b`, as PyTorch defines it. */
export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(fn, 'other', b, `must broadcast with the shape ${show(a)} (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` broadcast to `outShape` (0 on broadcast dimensions). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = outShape.length - shape.length + i;
    strides[j] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

function binary(fn: string, a: Tensor, b: Tensor, dtype: DType, f: (x: number, y: number) => number): Tensor {
  checkLive(fn, 'input', a);
  checkLive(fn, 'other', b);
  const shape = broadcastShapes(fn, a.shape, b.shape);
  const out = allocate(fn, 'other', shape, dtype);
  const ad = a.data;
  const bd = b.data;
  if (a.size === out.length && b.size === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i]!, bd[i]!);
  } else if (b.size === 1 && a.size === out.length) {
    const y = bd[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i]!, y);
  } else {
    const sa = broadcastStrides(a.shape, shape);
    const sb = broadcastStrides(b.shape, shape);
    const idx = new Array<number>(shape.length).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < out.length; i++) {
      out[i] = f(ad[ia]!, bd[ib]!);
      for (let d = shape.length - 1; d >= 0; d--) {
        idx[d]!++;
        ia += sa[d]!;
        ib += sb[d]!;
        if (idx[d]! < shape[d]!) break;
        ia -= sa[d]! * shape[d]!;
        ib -= sb[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  }
  return new Tensor(out, shape);
}

function unary(x: Tensor, f: (v: number) => number, keepInt = false): Tensor {
  checkLive('arithmetic', 'input', x);
  const dtype: DType = x.dtype === 'int32' && !keepInt ? 'float32' : x.dtype;
  const out = allocate('arithmetic', 'input', x.shape, dtype);
  const d = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(d[i]!);
  return new Tensor(out, x.shape);
}

/** Sums `g` over the dimensions that broadcasting expanded, back to `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const out = allocate('backward', 'gradOutput', shape, g.dtype);
  const strides = broadcastStrides(shape, g.shape);
  const idx = new Array<number>(g.shape.length).fill(0);
  let io = 0;
  const gd = g.data;
  for (let i = 0; i < gd.length; i++) {
    out[io] += gd[i]!;
    for (let d = g.shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      io += strides[d]!;
      if (idx[d]! < g.shape[d]!) break;
      io -= strides[d]! * g.shape[d]!;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

export function add(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a);
  const y = binary('add', a, b, resultType(a.dtype, b.dtype, false), (x, z) => x + z);
  return record('add', y, [a, b], () => ({ aShape: a.shape, bShape: b.shape }));
}
export function sub(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a);
  const y = binary('sub', a, b, resultType(a.dtype, b.dtype, false), (x, z) => x - z);
  return record('sub', y, [a, b], () => ({ aShape: a.shape, bShape: b.shape }));
}
export function mul(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a);
  const y = binary('mul', a, b, resultType(a.dtype, b.dtype, false), (x, z) => x * z);
  return record('mul', y, [a, b], () => ({ a, b }));
}
export function div(a: Tensor, other: Tensor | number): Tensor {
  const b = asTensor(other, a);
  const y = binary('div', a, b, resultType(a.dtype, b.dtype, true), (x, z) => x / z);
  return record('div', y, [a, b], () => ({ a, b }));
}
export function neg(x: Tensor): Tensor {
  return record(
    'neg',
    unary(x, (v) => -v, true),
    [x],
    () => null,
  );
}
export function pow(x: Tensor, exponent: number): Tensor {
  if (typeof exponent !== 'number') fail('pow', 'exponent', exponent, 'must be a number');
  return record(
    'pow',
    unary(x, (v) => v ** exponent),
    [x],
    () => ({ x, exponent }),
  );
}
export function sqrt(x: Tensor): Tensor {
  const y = unary(x, Math.sqrt);
  return record('sqrt', y, [x], () => ({ y }));
}
export function abs(x: Tensor): Tensor {
  return record('abs', unary(x, Math.abs, true), [x], () => ({ x }));
}
export function exp(x: Tensor): Tensor {
  const y = unary(x, Math.exp);
  return record('exp', y, [x], () => ({ y }));
}
export function log(x: Tensor): Tensor {
  return record('log', unary(x, Math.log), [x], () => ({ x }));
}
export function relu(x: Tensor): Tensor {
  return record(
    'relu',
    unary(x, (v) => (v > 0 ? v : 0), true),
    [x],
    () => ({ x }),
  );
}
export function sigmoid(x: Tensor): Tensor {
  const y = unary(x, (v) => 1 / (1 + Math.exp(-v)));
  return record('sigmoid', y, [x], () => ({ y }));
}
export function tanh(x: Tensor): Tensor {
  const y = unary(x, Math.tanh);
  return record('tanh', y, [x], () => ({ y }));
}

function normDims(
  fn: string,
  x: Tensor,
  dims: number | readonly number[] | undefined,
  keepDims: unknown,
): number[] {
  checkLive(fn, 'input', x);
  if (typeof keepDims !== 'boolean') fail(fn, 'keepDims', keepDims, 'must be a boolean');
  if (dims === undefined) return x.shape.map((_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims))
    fail(fn, 'dims', dims, 'must be an integer or an array of distinct integers');
  const list: unknown[] = typeof dims === 'number' ? [dims] : [...(dims as unknown[])];
  const seen = new Set<number>();
  return list.map((d, i) => {
    const nd = x.shape.length;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < -nd || d >= Math.max(nd, 1)) {
      fail(
        fn,
        typeof dims === 'number' ? 'dims' : `dims[${i}]`,
        d,
        `must be an integer in [${-nd}, ${nd - 1}]`,
      );
    }
    const dim = d < 0 ? d + nd : d;
    // as PyTorch ("dim 1 appears multiple times in the list of dims"): a repeat is an error
    if (seen.has(dim)) fail(fn, `dims[${i}]`, d, `repeats dimension ${dim}: each dimension may appear once`);
    seen.add(dim);
    return dim;
  });
}

function reduceSum(x: Tensor, dims: number[], keepDims: boolean): Tensor {
  checkLive('sum', 'input', x);
  const keptShape = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const out = allocate('sum', 'input', keptShape, x.dtype === 'int32' ? 'int32' : x.dtype);
  const strides = broadcastStrides(keptShape, x.shape);
  const idx = new Array<number>(x.shape.length).fill(0);
  let io = 0;
  const xd = x.data;
  if (dims.length === x.shape.length) {
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i]!;
    out[0] = s;
  } else {
    for (let i = 0; i < xd.length; i++) {
      out[io] += xd[i]!;
      for (let d = x.shape.length - 1; d >= 0; d--) {
        idx[d]!++;
        io += strides[d]!;
        if (idx[d]! < x.shape[d]!) break;
        io -= strides[d]! * x.shape[d]!;
        idx[d] = 0;
      }
    }
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !dims.includes(i));
  return new Tensor(out, shape);
}

/** Sum over `dims` (all by default). */
export function sum(x: Tensor, dims?: number | readonly number[], keepDims = false): Tensor {
  const ds = normDims('sum', x, dims, keepDims);
  return record('sum', reduceSum(x, ds, keepDims), [x], () => ({ shape: x.shape, dims: ds }));
}

/** Mean over `dims` (all by default). */
export function mean(x: Tensor, dims?: number | readonly number[], keepDims = false): Tensor {
  const ds = normDims('mean', x, dims, keepDims);
  const s = reduceSum(x.dtype === 'int32' ? unary(x, (v) => v) : x, ds, keepDims);
  let count = 1;
  for (const d of ds) count *= x.shape[d]!;
  const sd = s.data;
  for (let i = 0; i < sd.length; i++) sd[i] = sd[i]! / count;
  return record('mean', s, [x], () => ({ shape: x.shape, dims: ds, count }));
}

/** Same data, another shape; one entry may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkLive('reshape', 'input', x);
  if (!Array.isArray(shape)) fail('reshape', 'shape', shape, 'must be an array of integers');
  let infer = -1;
  let known = 1;
  shape.forEach((s, i) => {
    if (s === -1 && infer < 0) infer = i;
    else if (!Number.isInteger(s) || s < 0)
      fail('reshape', `shape[${i}]`, s, 'must be a non-negative integer or one -1');
    else known *= s;
  });
  const shp = [...shape];
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      fail('reshape', 'shape', shape, `cannot hold the ${x.size} elements of shape ${show(x.shape)}`);
    }
    shp[infer] = x.size / known;
  }
  if (numel(shp) !== x.size) {
    fail('reshape', 'shape', shape, `must hold the ${x.size} elements of shape ${show(x.shape)}`);
  }
  const y = new Tensor(x.data, shp);
  return record('reshape', y, [x], () => ({ shape: x.shape }));
}

export function clone(x: Tensor): Tensor {
  checkLive('clone', 'input', x);
  const y = new Tensor(x.data.slice() as TensorData, x.shape);
  return record('clone', y, [x], () => null);
}

function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  checkLive('matmul', 'input', a);
  checkLive('matmul', 'other', b);
  const m = transA ? a.shape[1]! : a.shape[0]!;
  const k = transA ? a.shape[0]! : a.shape[1]!;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  const out = allocate('matmul', 'other', [m, n], resultType(a.dtype, b.dtype, true));
  const ad = a.data;
  const bd = b.data;
  const as0 = transA ? 1 : k;
  const as1 = transA ? m : 1;
  const bs0 = transB ? 1 : n;
  const bs1 = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += ad[i * as0 + p * as1]! * bd[p * bs0 + j * bs1]!;
      out[i * n + j] = s;
    }
  }
  return new Tensor(out, [m, n]);
}

/** `(m, k) @ (k, n) -> (m, n)`. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2) fail('matmul', 'input', a.shape, 'must be 2-d');
  if (!(b instanceof Tensor) || b.shape.length !== 2) fail('matmul', 'other', b, 'must be a 2-d Tensor');
  if (a.shape[1] !== b.shape[0]) {
    fail('matmul', 'other.shape[0]', b.shape[0], `must equal input.shape[1] = ${a.shape[1]}`);
  }
  return record('matmul', matmulRaw(a, b, false, false), [a, b], () => ({ a, b }));
}

function transposeRaw(x: Tensor): Tensor {
  checkLive('t', 'input', x);
  const [r, c] = x.shape as [number, number];
  const out = allocate('t', 'input', [c, r], x.dtype);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x.data[i * c + j]!;
  return new Tensor(out, [c, r]);
}

export function transpose2d(x: Tensor): Tensor {
  if (x.shape.length !== 2) fail('t', 'input', x.shape, 'must be 2-d');
  return record('transpose2d', transposeRaw(x), [x], () => null);
}

// The rules run under noGrad (see backward.ts), so they may use the ops above freely.
export const elementwiseRules: Pick<GradTable, keyof GradTable & ElementwiseOp> = {
  add: (s, g) => [sumToShape(g, s.aShape), sumToShape(g, s.bShape)],
  sub: (s, g) => [sumToShape(g, s.aShape), sumToShape(neg(g), s.bShape)],
  mul: (s, g, need) => [
    need[0] ? sumToShape(mul(g, s.b), s.a.shape) : null,
    need[1] ? sumToShape(mul(g, s.a), s.b.shape) : null,
  ],
  div: (s, g, need) => [
    need[0] ? sumToShape(div(g, s.b), s.a.shape) : null,
    need[1] ? sumToShape(neg(div(mul(g, s.a), mul(s.b, s.b))), s.b.shape) : null,
  ],
  neg: (_s, g) => [neg(g)],
  pow: (s, g) => [mul(g, mul(pow(s.x, s.exponent - 1), s.exponent))],
  sqrt: (s, g) => [div(g, mul(s.y, 2))],
  abs: (s, g) => [mul(g, unary(s.x, Math.sign))],
  exp: (s, g) => [mul(g, s.y)],
  log: (s, g) => [div(g, s.x)],
  relu: (s, g) => [
    mul(
      g,
      unary(s.x, (v) => (v > 0 ? 1 : 0)),
    ),
  ],
  sigmoid: (s, g) => [
    mul(
      g,
      unary(s.y, (v) => v * (1 - v)),
    ),
  ],
  tanh: (s, g) => [
    mul(
      g,
      unary(s.y, (v) => 1 - v * v),
    ),
  ],
  sum: (s, g) => [expandBack(g, s.shape, s.dims, 1)],
  mean: (s, g) => [expandBack(g, s.shape, s.dims, 1 / s.count)],
  reshape: (s, g) => [new Tensor(g.data, s.shape)],
  clone: (_s, g) => [g],
  matmul: (s, g, need) => [
    need[0] ? matmulRaw(g, s.b, false, true) : null,
    need[1] ? matmulRaw(s.a, g, true, false) : null,
  ],
  transpose2d: (_s, g) => [transposeRaw(g)],
};

type ElementwiseOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'neg'
  | 'pow'
  | 'sqrt'
  | 'abs'
  | 'exp'
  | 'log'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'sum'
  | 'mean'
  | 'reshape'
  | 'clone'
  | 'matmul'
  | 'transpose2d';

/** Broadcasts a reduced gradient back over the reduced dimensions, times `scale`. */
function expandBack(g: Tensor, shape: readonly number[], dims: number[], scale: number): Tensor {
  const kept = shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const gk = new Tensor(g.data, kept);
  const out = allocate('backward', 'gradOutput', shape, g.dtype);
  const strides = broadcastStrides(kept, shape);
  const idx = new Array<number>(shape.length).fill(0);
  let ig = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = gk.data[ig]! * scale;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      ig += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      ig -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

// ------------------------------------------------------------------------------------------------
// Ops for training (nn/): leaky ReLU, softplus, log-softmax, the negative log-likelihood gather and
// batch normalisation. Their rules are in `trainingRules` below (a table of its own, beside
// `elementwiseRules`, so the ops above stay untouched).

declare module '../autograd/registry.js' {
  interface OpSaved {
    leakyRelu: { x: Tensor; negativeSlope: number };
    softplus: { x: Tensor };
    logSoftmax: { y: Tensor; dim: number };
    nll: {
      shape: readonly number[];
      target: Int32Array;
      weight: Float64Array | null;
      ignoreIndex: number;
    };
    batchNorm: {
      x: Tensor;
      weight: Tensor | null;
      hasBias: boolean;
      mean: Float64Array;
      invstd: Float64Array;
      /** statistics of this batch (true) or the running statistics (false): the gradient differs */
      batchStats: boolean;
      /** the running statistics the op read (eval) or updated (training), for exportOnnx */
      runningMean: Tensor | null;
      runningVar: Tensor | null;
      eps: number;
      momentum: number;
    };
  }
}

function floatDtype(x: Tensor): DType {
  return x.dtype === 'float64' ? 'float64' : 'float32';
}

function checkFloat(fn: string, argument: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) fail(fn, argument, x, 'must be a Tensor');
  checkLive(fn, argument, x);
  if (x.dtype === 'int32') fail(fn, `${argument}.dtype`, x.dtype, "must be 'float32'");
  return x;
}

/** `x` for `x > 0`, `negativeSlope · x` otherwise (PyTorch's `leaky_relu`, default slope 0.01). */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  checkFloat('leakyRelu', 'input', input);
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope))
    fail('leakyRelu', 'negativeSlope', negativeSlope, 'must be a finite number');
  const y = unary(input, (v) => (v > 0 ? v : v * negativeSlope));
  return record('leakyRelu', y, [input], () => ({ x: input, negativeSlope }));
}

/**
 * `log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(−|x|))` so it neither overflows nor loses
 * the small values (no linear cut-off at `x > 20` as `torch.nn.functional.softplus` has: the
 * difference there is below float32 resolution). Gradient `sigmoid(x)`.
 */
export function softplus(input: Tensor): Tensor {
  checkFloat('softplus', 'input', input);
  const y = unary(input, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
  return record('softplus', y, [input], () => ({ x: input }));
}

/** Sizes around `dim`: (outer, n, inner) with `shape = (...outer, n, ...inner)`. */
function around(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim]!, inner];
}

/** `x − log Σ exp(x)` along `dim` (the max is subtracted first, so large logits do not overflow). */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  const fn = 'logSoftmax';
  checkFloat(fn, 'input', input);
  const nd = input.shape.length;
  if (!Number.isInteger(dim) || dim < -Math.max(nd, 1) || dim >= Math.max(nd, 1))
    fail(fn, 'dim', dim, `must be an integer in [${-Math.max(nd, 1)}, ${Math.max(nd, 1) - 1}]`);
  const d = dim < 0 ? dim + Math.max(nd, 1) : dim;
  const shape = nd === 0 ? [1] : input.shape;
  const [outer, n, inner] = around(shape, d);
  const out = allocate(fn, 'input', input.shape, floatDtype(input));
  const xd = input.data;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, xd[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(xd[base + k * inner]! - max);
      const lse = max + Math.log(s);
      for (let k = 0; k < n; k++) out[base + k * inner] = xd[base + k * inner]! - lse;
    }
  const y = new Tensor(out, input.shape);
  return record('logSoftmax', y, [input], () => ({ y, dim: d }));
}

/**
 * The negative log-likelihood of each target, without reduction: from log-probabilities
 * `(N, C, *)` and class indices `(N, *)` (int32), `loss[n, *] = −weight[t] · input[n, t, *]` with
 * `t = target[n, *]`, and 0 where `t === ignoreIndex`. Targets must be valid class indices or
 * `ignoreIndex` (the caller checks them and names the offending one; here they are asserted).
 */
export function nll(input: Tensor, target: Tensor, weight: Float64Array | null, ignoreIndex: number): Tensor {
  const fn = 'nll';
  checkFloat(fn, 'input', input);
  const [N, C, inner] = around(input.shape, 1);
  checkLive(fn, 'target', target);
  const td = target.data as Int32Array;
  if (!(td instanceof Int32Array) || td.length !== N * inner)
    fail(fn, 'target', target, `must be int32 with ${N * inner} elements`);
  const out = allocate(fn, 'target', target.shape, floatDtype(input));
  const xd = input.data;
  for (let n = 0; n < N; n++)
    for (let i = 0; i < inner; i++) {
      const t = td[n * inner + i]!;
      if (t === ignoreIndex) continue;
      if (t < 0 || t >= C) fail(fn, `target[${n * inner + i}]`, t, `must be in [0, ${C - 1}]`);
      out[n * inner + i] = -(weight ? weight[t]! : 1) * xd[(n * C + t) * inner + i]!;
    }
  const y = new Tensor(out, target.shape);
  return record('nll', y, [input], () => ({ shape: input.shape, target: td.slice(), weight, ignoreIndex }));
}

export interface BatchNormArgs {
  /** per-channel scale `(C)`, or null for 1 */
  weight?: Tensor | null;
  /** per-channel shift `(C)`, or null for 0 */
  bias?: Tensor | null;
  /** `(C)`, updated in place when `training` (not differentiable) */
  runningMean?: Tensor | null;
  /** `(C)`, updated in place with the unbiased batch variance when `training` */
  runningVar?: Tensor | null;
  /** normalise with this batch's statistics (and update the running ones) instead of the running ones */
  training: boolean;
  /** weight of the new batch in the running averages; default 0.1 */
  momentum?: number;
  /** added to the variance; default 1e-5 */
  eps?: number;
}

/**
 * Batch normalisation over `(N, C, *)`, as `torch.nn.functional.batch_norm`:
 * `y = (x − mean) / sqrt(var + eps) · weight + bias` per channel. In training mode `mean` and the
 * biased `var` are this batch's (over N and every spatial position), and the running statistics
 * (if given) become `(1 − momentum) · running + momentum · batch` with the unbiased variance; in
 * eval mode the running statistics are used. Statistics are accumulated in float64. Differentiable
 * in `input`, `weight` and `bias`.
 */
export function batchNorm(input: Tensor, args: BatchNormArgs): Tensor {
  const fn = 'batchNorm';
  checkFloat(fn, 'input', input);
  if (input.shape.length < 2) fail(fn, 'input', input.shape, 'must be (N, C, *) with at least 2 dimensions');
  const [N, C, inner] = around(input.shape, 1);
  const perChannel = (name: string, t: Tensor | null | undefined): Tensor | null => {
    if (t === undefined || t === null) return null;
    checkFloat(fn, name, t);
    if (t.size !== C) fail(fn, name, t.shape, `must have the ${C} elements of the input's channels`);
    return t;
  };
  const weight = perChannel('weight', args.weight);
  const bias = perChannel('bias', args.bias);
  const runningMean = perChannel('runningMean', args.runningMean);
  const runningVar = perChannel('runningVar', args.runningVar);
  const { training, momentum = 0.1, eps = 1e-5 } = args;
  if ((runningMean === null) !== (runningVar === null))
    fail(fn, 'runningVar', args.runningVar, 'must be given together with runningMean');
  if (!training && runningMean === null)
    fail(fn, 'runningMean', args.runningMean, 'is required in eval mode (training: false)');
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
    fail(fn, 'momentum', momentum, 'must be a number in [0, 1]');
  if (typeof eps !== 'number' || !(eps > 0)) fail(fn, 'eps', eps, 'must be a positive number');
  const count = N * inner;
  if (training && count <= 1)
    fail(fn, 'input', input.shape, 'must have more than one value per channel in training mode');

  const xd = input.data;
  const mean = new Float64Array(C);
  const invstd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    if (training) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = 0, b = (n * C + c) * inner; i < inner; i++) s += xd[b + i]!;
      const m = s / count;
      let v = 0;
      for (let n = 0; n < N; n++)
        for (let i = 0, b = (n * C + c) * inner; i < inner; i++) v += (xd[b + i]! - m) ** 2;
      mean[c] = m;
      invstd[c] = 1 / Math.sqrt(v / count + eps);
      if (runningMean && runningVar) {
        runningMean.data[c] = (1 - momentum) * runningMean.data[c]! + momentum * m;
        runningVar.data[c] = (1 - momentum) * runningVar.data[c]! + (momentum * v) / (count - 1);
      }
    } else {
      mean[c] = runningMean!.data[c]!;
      invstd[c] = 1 / Math.sqrt(runningVar!.data[c]! + eps);
    }
  }
  if (training && runningMean && runningVar) {
    // updated in place: packed copies of the old values go (Tensor.keepPacked)
    runningMean.markModified();
    runningVar.markModified();
  }
  const out = allocate(fn, 'input', input.shape, floatDtype(input));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const a = invstd[c]! * (weight ? weight.data[c]! : 1);
      const b = (bias ? bias.data[c]! : 0) - mean[c]! * a;
      for (let i = 0, base = (n * C + c) * inner; i < inner; i++) out[base + i] = xd[base + i]! * a + b;
    }
  const y = new Tensor(out, input.shape);
  const inputs = [input, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record('batchNorm', y, inputs, () => ({
    x: input,
    weight,
    hasBias: bias !== null,
    mean,
    invstd,
    batchStats: training,
    runningMean,
    runningVar,
    eps,
    momentum,
  }));
}

function batchNormBackward(s: OpSavedBatchNorm, g: Tensor, need: readonly boolean[]): (Tensor | null)[] {
  const [N, C, inner] = around(s.x.shape, 1);
  const count = N * inner;
  const xd = s.x.data;
  const gd = g.data;
  const gx = need[0] ? allocate('backward', 'gradOutput', s.x.shape, floatDtype(s.x)) : null;
  const gw = s.weight ? allocate('backward', 'gradOutput', [C], floatDtype(s.weight)) : null;
  const gb = s.hasBias ? allocate('backward', 'gradOutput', [C], floatDtype(s.x)) : null;
  for (let c = 0; c < C; c++) {
    const m = s.mean[c]!;
    const is = s.invstd[c]!;
    // sum of dy and of dy · xhat over the channel
    let sumG = 0;
    let sumGX = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0, b = (n * C + c) * inner; i < inner; i++) {
        sumG += gd[b + i]!;
        sumGX += gd[b + i]! * (xd[b + i]! - m) * is;
      }
    if (gw) gw[c] = sumGX;
    if (gb) gb[c] = sumG;
    if (!gx) continue;
    const w = s.weight ? s.weight.data[c]! : 1;
    for (let n = 0; n < N; n++)
      for (let i = 0, b = (n * C + c) * inner; i < inner; i++) {
        // batch statistics: the mean and variance depend on x too, which removes the projections
        // of dy on 1 and on xhat: dx = invstd · w · (dy − mean(dy) − xhat · mean(dy · xhat))
        gx[b + i] = s.batchStats
          ? is * w * (gd[b + i]! - sumG / count - (xd[b + i]! - m) * is * (sumGX / count))
          : is * w * gd[b + i]!;
      }
  }
  const grads: (Tensor | null)[] = [gx ? new Tensor(gx, s.x.shape) : null];
  if (gw) grads.push(new Tensor(gw, s.weight!.shape));
  if (gb) grads.push(new Tensor(gb, [C]));
  return grads;
}

type OpSavedBatchNorm = Parameters<GradTable['batchNorm']>[0];

export const trainingRules: Pick<GradTable, 'leakyRelu' | 'softplus' | 'logSoftmax' | 'nll' | 'batchNorm'> = {
  leakyRelu: (s, g) => [
    mul(
      g,
      unary(s.x, (v) => (v > 0 ? 1 : s.negativeSlope)),
    ),
  ],
  softplus: (s, g) => [mul(g, sigmoid(s.x))],
  logSoftmax: (s, g) => {
    // dx = g − softmax · Σ g along dim
    const [outer, n, inner] = around(s.y.shape.length === 0 ? [1] : s.y.shape, s.dim);
    const out = allocate('backward', 'gradOutput', s.y.shape, floatDtype(s.y));
    const yd = s.y.data;
    const gd = g.data;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let sg = 0;
        for (let k = 0; k < n; k++) sg += gd[base + k * inner]!;
        for (let k = 0; k < n; k++)
          out[base + k * inner] = gd[base + k * inner]! - Math.exp(yd[base + k * inner]!) * sg;
      }
    return [new Tensor(out, s.y.shape)];
  },
  nll: (s, g) => {
    const [N, C, inner] = around(s.shape, 1);
    const out = allocate('backward', 'gradOutput', s.shape, floatDtype(g));
    const gd = g.data;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < inner; i++) {
        const t = s.target[n * inner + i]!;
        if (t === s.ignoreIndex || t < 0 || t >= C) continue;
        out[(n * C + t) * inner + i] = -(s.weight ? s.weight[t]! : 1) * gd[n * inner + i]!;
      }
    return [new Tensor(out, s.shape)];
  },
  batchNorm: batchNormBackward,
};
