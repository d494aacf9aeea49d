/**
 * The plain N-d array steps the ONNX importer needs around deconv's ops (layout moves, broadcasting
 * element-wise arithmetic, reductions, indexing), on float32 and int32 tensors of any rank. They are
 * not differentiable: an imported model runs forward only. Shapes here are already checked by the
 * importer's shape inference; these functions only compute.
 */
import { fitsOneTensor, MAX_ELEMENTS } from '../limits.js';
import { Tensor, numel } from '../tensor.js';

export type Data = Float32Array | Int32Array;

export function make(dtype: 'float32' | 'int32', shape: readonly number[], data?: Data): Tensor {
  const n = numel(shape);
  // the importer names the node around this (a folded or run-time shape beyond the limit)
  if (!data && !fitsOneTensor(n))
    throw new RangeError(`a result of shape [${shape.join(', ')}] would exceed ${MAX_ELEMENTS} elements`);
  return new Tensor(data ?? (dtype === 'int32' ? new Int32Array(n) : new Float32Array(n)), shape);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Visits every index of `shape` in row-major order, calling `f(flat, index)`. */
function forEachIndex(shape: readonly number[], f: (flat: number, index: number[]) => void): void {
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(flat, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** `y[index] = x[index permuted]`: output dimension `i` is input dimension `perm[i]`. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const st = perm.map((p) => inStrides[p]!);
  const y = make(x.dtype as 'float32', outShape);
  const src = x.data;
  const dst = y.data;
  forEachIndex(outShape, (flat, idx) => {
    let at = 0;
    for (let d = 0; d < idx.length; d++) at += idx[d]! * st[d]!;
    dst[flat] = src[at]!;
  });
  return y;
}

/** Multidirectional (numpy) broadcasting of shapes; null where they do not broadcast. */
export function broadcastShape(shapes: readonly (readonly number[])[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = rank - s.length + i;
      const v = s[i]!;
      if (out[d] === 1) out[d] = v;
      else if (v !== 1 && v !== out[d]) return null;
    }
  }
  return out;
}

/** Strides of `shape` read as broadcast to `to` (0 along broadcast dimensions). */
function broadcastStrides(shape: readonly number[], to: readonly number[]): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(to.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const d = to.length - shape.length + i;
    out[d] = shape[i] === 1 ? 0 : st[i]!;
  }
  return out;
}

/** `f` applied element-wise to the broadcast inputs, giving a tensor of `dtype`. */
export function broadcastMap(
  inputs: readonly Tensor[],
  dtype: 'float32' | 'int32',
  f: (...v: number[]) => number,
): Tensor {
  const shape = broadcastShape(inputs.map((t) => t.shape))!;
  const y = make(dtype, shape);
  const dst = y.data;
  const strides = inputs.map((t) => broadcastStrides(t.shape, shape));
  const datas = inputs.map((t) => t.data);
  const vals = new Array<number>(inputs.length);
  if (inputs.every((t) => t.size === y.size)) {
    for (let i = 0; i < y.size; i++) {
      for (let k = 0; k < datas.length; k++) vals[k] = datas[k]![i]!;
      dst[i] = f(...vals);
    }
    return y;
  }
  forEachIndex(shape, (flat, idx) => {
    for (let k = 0; k < datas.length; k++) {
      let at = 0;
      const s = strides[k]!;
      for (let d = 0; d < idx.length; d++) at += idx[d]! * s[d]!;
      vals[k] = datas[k]![at]!;
    }
    dst[flat] = f(...vals);
  });
  return y;
}

/** Reduces `axes` (sorted, non-negative) with `step`, starting from `init`, then `finish(acc, count)`. */
export function reduce(
  x: Tensor,
  axes: readonly number[],
  keepDims: boolean,
  init: number,
  step: (acc: number, v: number) => number,
  finish: (acc: number, count: number) => number = (a) => a,
): Tensor {
  const keptShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const y = make(x.dtype as 'float32', outShape);
  const acc = new Float64Array(y.size).fill(init);
  const outStrides = broadcastStrides(keptShape, x.shape);
  const src = x.data;
  forEachIndex(x.shape, (flat, idx) => {
    let at = 0;
    for (let d = 0; d < idx.length; d++) at += idx[d]! * outStrides[d]!;
    acc[at] = step(acc[at]!, src[flat]!);
  });
  const count = numel(axes.map((a) => x.shape[a]!));
  for (let i = 0; i < y.size; i++) y.data[i] = finish(acc[i]!, count);
  return y;
}

/** `x[starts[i] : … : steps[i]]` along every dimension, `outShape` already computed. */
export function slice(
  x: Tensor,
  starts: readonly number[],
  steps: readonly number[],
  outShape: readonly number[],
): Tensor {
  const st = stridesOf(x.shape);
  const y = make(x.dtype as 'float32', outShape);
  const src = x.data;
  forEachIndex(outShape, (flat, idx) => {
    let at = 0;
    for (let d = 0; d < idx.length; d++) at += (starts[d]! + idx[d]! * steps[d]!) * st[d]!;
    y.data[flat] = src[at]!;
  });
  return y;
}

/** Concatenation along `axis`. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, t) => a + t.shape[axis]!, 0);
  const y = make(xs[0]!.dtype as 'float32', shape);
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  let offset = 0;
  for (const t of xs) {
    const block = t.shape[axis]! * inner;
    for (let o = 0; o < outer; o++)
      y.data.set(t.data.subarray(o * block, (o + 1) * block), o * shape[axis]! * inner + offset);
    offset += block;
  }
  return y;
}

/**
 * Padding by `begin`/`end` per dimension (negative crops) with `mode` 'constant' (value),
 * 'reflect' or 'edge'.
 */
export function pad(
  x: Tensor,
  begin: readonly number[],
  end: readonly number[],
  mode: 'constant' | 'reflect' | 'edge',
  value: number,
): Tensor {
  const outShape = x.shape.map((s, i) => s + begin[i]! + end[i]!);
  const st = stridesOf(x.shape);
  const y = make(x.dtype as 'float32', outShape);
  const src = x.data;
  forEachIndex(outShape, (flat, idx) => {
    let at = 0;
    for (let d = 0; d < idx.length; d++) {
      let i = idx[d]! - begin[d]!;
      const n = x.shape[d]!;
      if (i < 0 || i >= n) {
        if (mode === 'constant') {
          at = -1;
          break;
        }
        if (mode === 'edge') i = i < 0 ? 0 : n - 1;
        else {
          const period = 2 * (n - 1);
          i = period === 0 ? 0 : ((i % period) + period) % period;
          if (i >= n) i = period - i;
        }
      }
      at += i * st[d]!;
    }
    y.data[flat] = at < 0 ? value : src[at]!;
  });
  return y;
}

/** `Gather` along `axis` with int32 `indices` (negative counts from the end). */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const n = x.shape[axis]!;
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const y = make(x.dtype as 'float32', outShape);
  const k = indices.size;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      let i = indices.data[j]!;
      if (i < 0) i += n;
      const from = (o * n + i) * inner;
      y.data.set(x.data.subarray(from, from + inner), (o * k + j) * inner);
    }
  }
  return y;
}

/** A view of `x` with another shape of the same size (the data is shared). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(x.data, shape);
}

/** A copy of `x` in `dtype` (float to int truncates toward zero, as a C cast). */
export function cast(x: Tensor, dtype: 'float32' | 'int32'): Tensor {
  if (x.dtype === dtype) return x;
  const y = make(dtype, x.shape);
  for (let i = 0; i < x.size; i++) y.data[i] = dtype === 'int32' ? Math.trunc(x.data[i]!) : x.data[i]!;
  return y;
}

/** Matrix product with numpy's broadcasting of the leading dimensions (`MatMul`). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const a2 = a.ndim === 1 ? view(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? view(b, [b.shape[0]!, 1]) : b;
  const m = a2.shape[a2.ndim - 2]!;
  const k = a2.shape[a2.ndim - 1]!;
  const n = b2.shape[b2.ndim - 1]!;
  const lead = broadcastShape([a2.shape.slice(0, -2), b2.shape.slice(0, -2)])!;
  const batches = numel(lead);
  const aSt = broadcastStrides(a2.shape.slice(0, -2), lead);
  const bSt = broadcastStrides(b2.shape.slice(0, -2), lead);
  const y = make('float32', [...lead, m, n]);
  let bi = 0;
  forEachIndex(lead, (_, idx) => {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < idx.length; d++) {
      ao += idx[d]! * aSt[d]!;
      bo += idx[d]! * bSt[d]!;
    }
    ao *= m * k;
    bo *= k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a2.data[ao + i * k + p]! * b2.data[bo + p * n + j]!;
        y.data[bi * m * n + i * n + j] = s;
      }
    }
    bi++;
  });
  if (batches === 0) return y;
  let shape = [...lead, m, n];
  if (a.ndim === 1) shape = [...lead, n];
  if (b.ndim === 1) shape = a.ndim === 1 ? [...lead] : [...lead, m];
  return view(y, shape);
}
