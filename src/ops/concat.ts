/**
 * `concat`: tensors joined along one dimension, as `torch.cat`. U-Net's decoder needs it to stack
 * the upsampled features with the encoder's skip features along the channels. Its gradient splits
 * the output gradient back into the pieces.
 *
 * Reference: https://pytorch.org/docs/1.13/generated/torch.cat.html
 */
import { fail, show } from '../errors.js';
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { Tensor, allocate, checkLive, type DType } from '../tensor.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    concat: { shapes: readonly (readonly number[])[]; dtypes: readonly DType[]; dim: number };
  }
}

/** Copies `parts` (row-major, each `[outer, size_i · inner]`) into `out` along the middle axis. */
function join(
  out: Float32Array | Float64Array | Int32Array,
  parts: readonly ArrayLike<number>[],
  sizes: readonly number[],
  outer: number,
  inner: number,
): void {
  const total = sizes.reduce((a, b) => a + b, 0) * inner;
  let offset = 0;
  parts.forEach((p, k) => {
    const len = sizes[k]! * inner;
    for (let o = 0; o < outer; o++)
      for (let i = 0, src = o * len, dst = o * total + offset; i < len; i++) out[dst + i] = p[src + i]!;
    offset += len;
  });
}

/**
 * Joins `tensors` along `dim` (default 0; negative counts from the end). Every tensor has the same
 * rank and the same size on every other dimension; the result's dtype is the widest of theirs
 * (`float64` over `float32` over `int32`). Differentiable in every float input.
 *
 * @example
 *   import { concat, randn } from 'deconv';
 *   const up = randn([1, 16, 8, 8]);
 *   const skip = randn([1, 8, 8, 8]);
 *   concat([up, skip], 1).shape; // [1, 24, 8, 8]
 */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  const fn = 'concat';
  if (!Array.isArray(tensors as unknown) || tensors.length === 0)
    fail(fn, 'tensors', tensors, 'must be a non-empty array of Tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail(fn, `tensors[${i}]`, t, 'must be a Tensor');
    checkLive(fn, `tensors[${i}]`, t);
  });
  const first = tensors[0]!.shape;
  const rank = first.length;
  if (rank === 0) fail(fn, 'tensors[0].shape', first, 'must have at least one dimension');
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank)
    fail(fn, 'dim', dim, `must be an integer in [${-rank}, ${rank - 1}] for rank ${rank}`);
  const d = dim < 0 ? dim + rank : dim;
  tensors.forEach((t, i) => {
    const ok = t.shape.length === rank && t.shape.every((s, j) => j === d || s === first[j]);
    if (!ok)
      fail(
        fn,
        `tensors[${i}].shape`,
        t.shape,
        `must equal tensors[0].shape ${show(first)} except on dimension ${d}`,
      );
  });
  const sizes = tensors.map((t) => t.shape[d]!);
  const shape = first.map((s, j) => (j === d ? sizes.reduce((a, b) => a + b, 0) : s));
  const dtype: DType = tensors.some((t) => t.dtype === 'float64')
    ? 'float64'
    : tensors.some((t) => t.dtype === 'float32')
      ? 'float32'
      : 'int32';
  let outer = 1;
  for (let j = 0; j < d; j++) outer *= first[j]!;
  let inner = 1;
  for (let j = d + 1; j < rank; j++) inner *= first[j]!;
  const out = allocate(fn, 'tensors', shape, dtype, 'uninitialised');
  join(
    out,
    tensors.map((t) => t.data),
    sizes,
    outer,
    inner,
  );
  const y = new Tensor(out, shape);
  return record('concat', y, tensors, () => ({
    shapes: tensors.map((t) => t.shape),
    dtypes: tensors.map((t) => t.dtype),
    dim: d,
  }));
}

export const concatRules: Pick<GradTable, 'concat'> = {
  // (outer, Σ size_i, inner) → one (outer, size_i, inner) slice per input
  concat: (s, g, need) => {
    const d = s.dim;
    const sizes = s.shapes.map((sh) => sh[d]!);
    const total = sizes.reduce((a, b) => a + b, 0);
    let outer = 1;
    for (let j = 0; j < d; j++) outer *= g.shape[j]!;
    let inner = 1;
    for (let j = d + 1; j < g.shape.length; j++) inner *= g.shape[j]!;
    let offset = 0;
    return s.shapes.map((shape, k) => {
      const len = sizes[k]! * inner;
      const start = offset;
      offset += len;
      if (!need[k]) return null;
      const out = allocate('backward', 'gradOutput', shape, s.dtypes[k]!, 'uninitialised');
      const gd = g.data;
      for (let o = 0; o < outer; o++)
        for (let i = 0, src = o * total * inner + start, dst = o * len; i < len; i++)
          out[dst + i] = gd[src + i]!;
      return new Tensor(out, shape);
    });
  },
};
