/**
 * The value type: a contiguous row-major array with a shape, a dtype and, when it takes part in
 * autograd, a tape node. Layout is channels-first as in PyTorch (`N, C, *spatial`).
 */
import { DeconvError, fail, show, optionPath } from './errors.js';
import { MAX_ELEMENTS, fitsOneTensor } from './limits.js';
import { product } from './geometry/arithmetic.js';
import type { TapeNode } from './autograd/tape.js';
import { chainedOps as ops } from './chained-ops.js';
import { Rng } from './random.js';
import { keepPackedStorage, releaseStorage, retainStorage, storageModified, takeStorage } from './storage.js';

/** `float64` is internal (finite-difference gradient checks); the public dtypes are the other two. */
export type DType = 'float32' | 'int32' | 'float64';
export type TensorData = Float32Array | Int32Array | Float64Array;
export type FloatData = Float32Array | Float64Array;

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export { MAX_ELEMENTS };

let nextSerial = 0;
let serialOf: (t: Tensor) => number;

const ew = (method: string) => ops(method).elementwise;

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  readonly data: TensorData;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** @internal The tape node of the op that produced this tensor, if it is tracked. */
  node: TapeNode | null = null;
  #disposed = false;
  /** Creation order, for backward() to tell the temporaries it made (see autograd/backward.ts). */
  readonly #serial = nextSerial++;

  /** @internal Wraps `data` (not copied) as a tensor of `shape`; use `tensor()` from outside. */
  constructor(data: TensorData, shape: readonly number[], requiresGrad = false) {
    checkInvariants(data, shape);
    // Counts this tensor as one more sharer of the storage (see storage.ts); storage that is back
    // in the pool belongs to a disposed tensor and may already hold another tensor's values.
    if (!retainStorage(data)) {
      throw new DeconvError(
        'Tensor',
        'data',
        'data belongs to a disposed tensor (its storage is back in the pool)',
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.size = data.length;
    this.dtype = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'float64';
    this.requiresGrad = requiresGrad;
  }

  static {
    serialOf = (t) => t.#serial;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Whether `dispose()` was called: every op then refuses this tensor. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /**
   * Gives this tensor's storage back to the pool (see `storageStats`), so that the next op output
   * of the same byte length reuses it instead of paying for fresh memory. Tensors that share the
   * storage (`detach()`, `reshape`) keep it alive: it goes back when the last of them is disposed.
   * Afterwards every op refuses this tensor with a `DeconvError`, and `data` must not be read:
   * it may hold another tensor's values. A second call does nothing. Only the data is disposed:
   * `grad`, if any, stays (dispose it on its own). Never disposing is safe; the garbage collector
   * frees the memory as without a pool, only without the reuse.
   *
   * @example
   *   const y = maxUnpool2d(x, indices, { kernelSize: 2 });
   *   use(y.data);
   *   y.dispose(); // the next maxUnpool2d of this size writes into the same memory
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    releaseStorage(this.data);
  }

  /**
   * Lets the kernels keep packed copies of this tensor's values between calls, as ONNX Runtime
   * pre-packs its constant weights: a convolution weight `(Cout, Cin/groups, *k)` or transposed-
   * convolution weight `(Cin, Cout/groups, *k)` marked so is rearranged into the GEMM's panel
   * layout on its first use and read from there by later calls of the same geometry (W3 of the
   * benchmark repacks 7 MB per call otherwise). Applies to every tensor sharing this storage
   * (`detach()`, `reshape`). Returns this tensor. `keepPacked(false)` drops the mark and the copies.
   *
   * **Your part of the bargain:** deconv cannot see writes to `data` made by your own code. After
   * changing the values of a marked tensor yourself (`t.data[i] = …`, `t.data.set(…)`, or through
   * any other view of its memory), call `t.markModified()` before the next op reads it; otherwise
   * that op may compute with the old values. Every write deconv makes itself (optimiser steps,
   * `nn.init` initialisers, `loadStateDict`, batch-norm running statistics, `gradcheck`) does this
   * for you, so a marked parameter may be trained as usual (each step repacks on next use).
   *
   * Copies are kept for storage the library allocated, of 4 KiB or more (a block of WebAssembly
   * memory, or an ordinary array where memory cannot be shared: see the README's Memory section;
   * for smaller tensors this does nothing). They live in the kernels' WebAssembly memory, at most
   * 4 per storage (one per geometry it is used with), counted in `storageStats().packedBytes`, and
   * are given back when the values change, when the storage is disposed or garbage-collected, and
   * by `releaseWasmMemory()`. A result computed from a kept copy is bit-identical to one without.
   *
   * @example
   *   const w = randn([21, 21, 64, 64], { seed: 0 }).keepPacked(); // (Cin, Cout, kH, kW)
   *   for (const x of images) convTranspose2d(x, w, { stride: 32, padding: 16 }); // packed once
   *   w.data[0] = 0.5;
   *   w.markModified(); // the next call packs the new values
   */
  keepPacked(keep = true): this {
    checkLive('keepPacked', 'this', this);
    if (typeof keep !== 'boolean') fail('keepPacked', 'keep', keep, 'must be a boolean');
    keepPackedStorage(this.data, keep);
    return this;
  }

  /**
   * Tells deconv that this tensor's values were changed by code outside deconv (writes to `data`):
   * packed copies kept since `keepPacked()` are dropped, and the next op packs the new values.
   * Needed only for tensors marked with `keepPacked()`; harmless otherwise.
   *
   * @example
   *   w.data.fill(0);
   *   w.markModified();
   */
  markModified(): void {
    storageModified(this.data);
  }

  /** Fills `grad` of every tensor created with `requiresGrad: true` that this one depends on. */
  backward(gradOutput?: Tensor): void {
    checkLive('backward', 'this', this);
    ops('backward').backward(this, gradOutput);
  }

  /** Nested arrays with this tensor's shape (a plain number for a 0-d tensor). */
  toArray(): unknown {
    checkLive('toArray', 'this', this);
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const n = this.shape[dim]!;
      let stride = 1;
      for (let i = dim + 1; i < this.shape.length; i++) stride *= this.shape[i]!;
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    checkLive('item', 'this', this);
    if (this.size !== 1) fail('item', 'this', this.shape, 'must have exactly one element');
    return this.data[0]!;
  }

  reshape(shape: readonly number[]): Tensor {
    return ew('reshape').reshape(this, shape);
  }
  /** A tensor sharing nothing with the tape: same values, no gradient history. */
  detach(): Tensor {
    checkLive('detach', 'this', this);
    return new Tensor(this.data, this.shape);
  }
  clone(): Tensor {
    return ew('clone').clone(this);
  }
  sum(dims?: number | readonly number[], keepDims = false): Tensor {
    return ew('sum').sum(this, dims, keepDims);
  }
  mean(dims?: number | readonly number[], keepDims = false): Tensor {
    return ew('mean').mean(this, dims, keepDims);
  }
  add(other: Tensor | number): Tensor {
    return ew('add').add(this, other);
  }
  sub(other: Tensor | number): Tensor {
    return ew('sub').sub(this, other);
  }
  mul(other: Tensor | number): Tensor {
    return ew('mul').mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return ew('div').div(this, other);
  }
  neg(): Tensor {
    return ew('neg').neg(this);
  }
  pow(exponent: number): Tensor {
    return ew('pow').pow(this, exponent);
  }
  square(): Tensor {
    return ew('square').pow(this, 2);
  }
  sqrt(): Tensor {
    return ew('sqrt').sqrt(this);
  }
  abs(): Tensor {
    return ew('abs').abs(this);
  }
  exp(): Tensor {
    return ew('exp').exp(this);
  }
  log(): Tensor {
    return ew('log').log(this);
  }
  relu(): Tensor {
    return ew('relu').relu(this);
  }
  sigmoid(): Tensor {
    return ew('sigmoid').sigmoid(this);
  }
  tanh(): Tensor {
    return ew('tanh').tanh(this);
  }
  /** Matrix product of two 2-d tensors, `(m, k) @ (k, n) -> (m, n)`. */
  matmul(other: Tensor): Tensor {
    return ew('matmul').matmul(this, other);
  }
  /** Transpose of a 2-d tensor. */
  t(): Tensor {
    return ew('t').transpose2d(this);
  }

  toString(): string {
    return `Tensor(shape=${show(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * What every tensor keeps true, checked before its storage is counted: `data` is one of the
 * storage types and holds exactly the elements of `shape`, whose entries are safe non-negative
 * integers. A tensor that breaks it would let a kernel read past its data (or stale memory).
 */
function checkInvariants(data: unknown, shape: unknown): void {
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Float64Array)) {
    fail('Tensor', 'data', data, 'must be a Float32Array or an Int32Array');
  }
  if (!Array.isArray(shape)) fail('Tensor', 'shape', shape, 'must be an array of non-negative integers');
  for (let i = 0; i < shape.length; i++) {
    const s: unknown = shape[i];
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0)
      fail('Tensor', `shape[${i}]`, s, 'must be a safe non-negative integer');
  }
  const n = numel(shape as number[]);
  if (n !== data.length) {
    fail(
      'Tensor',
      'data',
      data,
      `must hold exactly the ${n} elements of shape ${show(shape)} (it holds ${data.length})`,
    );
  }
}

/**
 * @internal A number that grows with every tensor constructed: a tensor whose serial is at least
 * one read earlier was created after that moment.
 */
export function tensorSerial(t?: Tensor): number {
  return t === undefined ? nextSerial : serialOf(t);
}

/** Number of elements of `shape`. */
export function numel(shape: readonly number[]): number {
  return product(shape);
}

/**
 * How new storage starts: 'zeros', or 'uninitialised' (whatever a reused pool buffer held) for
 * outputs that the kernels of every path (reference, JavaScript, WebAssembly) write in full.
 */
export type Initial = 'zeros' | 'uninitialised';

/**
 * Allocates storage of `dtype` for `shape` from the pool (storage.ts), zeroed unless `initial` is
 * 'uninitialised', refusing sizes a tensor cannot hold.
 */
export function allocate(
  fn: string,
  argument: string,
  shape: readonly number[],
  dtype: DType,
  initial: Initial = 'zeros',
): TensorData {
  const n = numel(shape);
  if (!fitsOneTensor(n)) {
    throw new DeconvError(
      fn,
      argument,
      `the result of shape ${show(shape)} would have ${n} elements, more than the ${MAX_ELEMENTS} one tensor can hold (check ${argument})`,
    );
  }
  try {
    return takeStorage(dtype, n, initial === 'zeros');
  } catch (e) {
    throw new DeconvError(
      fn,
      argument,
      `the result of shape ${show(shape)} (${n} elements) could not be allocated: ${(e as Error).message}`,
    );
  }
}

/**
 * A float tensor of `shape` with the float type of `like` (float32 unless `like` is float64),
 * zeroed unless `initial` is 'uninitialised'.
 */
export function emptyLike(
  fn: string,
  argument: string,
  shape: readonly number[],
  like: Tensor,
  initial: Initial = 'zeros',
): Tensor {
  return new Tensor(
    allocate(fn, argument, shape, like.dtype === 'float64' ? 'float64' : 'float32', initial),
    shape,
  );
}

function checkShape(fn: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) fail(fn, 'shape', shape, 'must be an array of non-negative integers');
  shape.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0)
      fail(fn, `shape[${i}]`, s, 'must be a non-negative integer');
  });
  return [...shape] as number[];
}

/**
 * The options record of a factory: an object (or undefined) with only `known` keys, `requiresGrad`
 * a boolean, and gradients only for float tensors (as PyTorch: integer tensors cannot require them).
 */
function checkFactoryOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    fail(fn, 'options', options, 'must be an object');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key) && o[key] !== undefined)
      fail(fn, optionPath(key), o[key], `is not an option of ${fn} (its options: ${known.join(', ')})`);
  }
  if (o.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean')
    fail(fn, 'requiresGrad', o.requiresGrad, 'must be a boolean');
  return o;
}

/**
 * `float64` is reachable from `tensor`, `randn` and `rand` only, to build the inputs of
 * `gradcheck` (finite differences need it); it is not a dtype of the public contract, so the
 * constant factories refuse it.
 */
function checkDtype(fn: string, dtype: unknown, float64 = false): DType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'int32' && !(float64 && dtype === 'float64')) {
    fail(fn, 'dtype', dtype, "must be 'float32' or 'int32'");
  }
  return dtype;
}

function checkRequiresGrad(fn: string, o: Record<string, unknown>, dtype: DType): boolean {
  const r = o.requiresGrad === true;
  if (r && dtype === 'int32')
    fail(fn, 'requiresGrad', true, "needs a float dtype: an 'int32' tensor cannot require gradients");
  return r;
}

/** A value for `dtype`: a number, and for 'int32' an integer in [-2³¹, 2³¹ − 1] (no wrapping). */
function checkValue(fn: string, path: string, x: unknown, dtype: DType): void {
  if (typeof x !== 'number') fail(fn, path, x, 'must be a number');
  if (dtype === 'int32' && (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31))
    fail(fn, path, x, "must be a 32-bit integer for dtype 'int32'");
}

function inferShape(fn: string, values: unknown): number[] {
  const shape: number[] = [];
  let v = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flatten(
  fn: string,
  values: unknown,
  shape: number[],
  out: number[],
  dim: number,
  path: string,
): void {
  if (dim === shape.length) {
    if (typeof values !== 'number') fail(fn, `values${path}`, values, 'must be a number');
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    fail(
      fn,
      `values${path}`,
      values,
      `must be an array of length ${shape[dim]} (nested arrays must be rectangular)`,
    );
  }
  for (let i = 0; i < values.length; i++) flatten(fn, values[i], shape, out, dim + 1, `${path}[${i}]`);
}

function fromValues(
  fn: string,
  values: ArrayLike<number>,
  dtype: DType,
  shape: readonly number[],
): TensorData {
  // Every value is checked before the storage is taken (a refusal allocates nothing); typed arrays
  // of floats or integers hold numbers by construction, so only int32's range needs a look there.
  const typed =
    ArrayBuffer.isView(values) && !(values instanceof BigInt64Array || values instanceof BigUint64Array);
  if (!typed || dtype === 'int32') {
    for (let i = 0; i < values.length; i++) checkValue(fn, `values[${i}]`, values[i], dtype);
  }
  const data = allocate(fn, 'shape', shape, dtype, 'uninitialised'); // every element is set below
  if (typed) data.set(values);
  else for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return data;
}

/**
 * Creates a tensor from flat values and a shape, or from nested arrays.
 *
 * @example
 *   const x = tensor([[1, 2], [3, 4]]);                        // shape [2, 2]
 *   const w = tensor(new Float32Array(16), [1, 1, 4, 4], { requiresGrad: true });
 */
export function tensor(
  values: ArrayLike<number> | readonly unknown[] | number,
  shape?: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const fn = 'tensor';
  const o = checkFactoryOptions(fn, options, ['dtype', 'requiresGrad']);
  const dtype = checkDtype(fn, o.dtype, true);
  const requiresGrad = checkRequiresGrad(fn, o, dtype);
  let flat: ArrayLike<number>;
  let shp: number[];
  if (typeof values === 'number') {
    flat = [values];
    shp = shape === undefined ? [] : checkShape(fn, shape);
  } else if (Array.isArray(values) && (values.length === 0 || Array.isArray(values[0]))) {
    const inferred = inferShape(fn, values);
    const out: number[] = [];
    flatten(fn, values, inferred, out, 0, '');
    flat = out;
    shp = shape === undefined ? inferred : checkShape(fn, shape);
  } else if (
    values !== null &&
    typeof values === 'object' &&
    !(values instanceof DataView || values instanceof BigInt64Array || values instanceof BigUint64Array) &&
    Number.isSafeInteger((values as ArrayLike<number>).length) &&
    (values as ArrayLike<number>).length >= 0
  ) {
    flat = values as ArrayLike<number>;
    if (shape === undefined) {
      if (ArrayBuffer.isView(values)) fail(fn, 'shape', shape, 'must be given with flat values');
      shp = [flat.length];
    } else {
      shp = checkShape(fn, shape);
    }
  } else {
    fail(fn, 'values', values, 'must be an array-like of numbers or nested arrays');
  }
  if (numel(shp) !== flat.length) {
    fail(fn, 'shape', shp, `must hold exactly the ${flat.length} values given (it holds ${numel(shp)})`);
  }
  return new Tensor(fromValues(fn, flat, dtype, shp), shp, requiresGrad);
}

function filled(fn: string, shape: readonly number[], options: TensorOptions, value: number): Tensor {
  const shp = checkShape(fn, shape);
  const o = checkFactoryOptions(fn, options, ['dtype', 'requiresGrad']);
  const dtype = checkDtype(fn, o.dtype);
  const requiresGrad = checkRequiresGrad(fn, o, dtype);
  checkValue(fn, 'value', value, dtype);
  // Object.is: -0 is not 0 for a fill (zeroed storage would lose the sign)
  const zero = Object.is(value, 0);
  const data = allocate(fn, 'shape', shp, dtype, zero ? 'zeros' : 'uninitialised');
  if (!zero) data.fill(value);
  return new Tensor(data, shp, requiresGrad);
}

/** A tensor of zeros. @example zeros([1, 3, 8, 8]) */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled('zeros', shape, options, 0);
}

/** A tensor of ones. @example ones([2, 2], { requiresGrad: true }) */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return filled('ones', shape, options, 1);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled('full', shape, options, value);
}

export interface RandomOptions {
  seed?: number;
  requiresGrad?: boolean;
  dtype?: 'float32' | 'float64';
}

function random(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (r: Rng) => number,
): Tensor {
  const shp = checkShape(fn, shape);
  const o = checkFactoryOptions(fn, options, ['seed', 'requiresGrad', 'dtype']);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) {
    fail(fn, 'seed', o.seed, 'must be a finite number');
  }
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') {
    fail(fn, 'dtype', o.dtype, "must be 'float32': random samples are floats");
  }
  const dtype = o.dtype === 'float64' ? 'float64' : 'float32';
  const data = allocate(fn, 'shape', shp, dtype, 'uninitialised'); // every element is drawn below
  const rng = new Rng(o.seed as number | undefined);
  for (let i = 0; i < data.length; i++) data[i] = draw(rng);
  return new Tensor(data, shp, o.requiresGrad === true);
}

/** Standard normal samples; the same `seed` gives the same values. @example randn([1, 16, 4, 4], { seed: 0 }) */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return random('randn', shape, options, (r) => r.normal());
}

/** Uniform samples in [0, 1); the same `seed` gives the same values. @example rand([8], { seed: 1 }) */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return random('rand', shape, options, (r) => r.uniform());
}

/**
 * Refuses a disposed tensor: its storage went back to the pool and may hold another tensor's
 * values by now.
 */
export function checkLive(fn: string, argument: string, t: Tensor): Tensor {
  // Everything a kernel relies on, checked here because every op's tensor check ends here: a deconv
  // Tensor (no look-alike object), whose data still holds exactly its shape's elements.
  if (!(t instanceof Tensor)) fail(fn, argument, t, 'must be a Tensor');
  if (t.data.length !== t.size || numel(t.shape) !== t.size) {
    fail(fn, argument, t, `has ${t.data.length} data elements for its shape ${show(t.shape)}`);
  }
  if (t.isDisposed) {
    fail(
      fn,
      argument,
      t,
      'was disposed: its storage went back to the pool (dispose() only what no op reads again)',
    );
  }
  return t;
}

/** Checks that `value` is a Tensor that was not disposed, naming `argument` otherwise. */
export function checkTensor(fn: string, argument: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) fail(fn, argument, value, 'must be a Tensor');
  return checkLive(fn, argument, value);
}

/** Checks that `value` is a float tensor. */
export function checkFloatTensor(fn: string, argument: string, value: unknown): Tensor {
  const t = checkTensor(fn, argument, value);
  if (t.dtype === 'int32') fail(fn, `${argument}.dtype`, t.dtype, "must be 'float32'");
  return t;
}
