/**
 * `unfold` (im2col) and `fold` (col2im), 1-D to 3-D: PyTorch's `F.unfold` / `F.fold` (2-d there),
 * generalised to 1 to 3 spatial dimensions the way Caffe's `im2col_nd` / `col2im_nd` do.
 *
 * References: PyTorch `torch.nn.Unfold` and `torch.nn.Fold` docs; Caffe `im2col.cpp`.
 *
 * The two ops are each other's adjoint on one geometry record (geometry/fold.ts): unfold's gradient
 * is fold of the output gradient, fold's gradient is unfold of the output gradient.
 */
import { record } from '../autograd/tape.js';
import type { GradTable } from '../autograd/registry.js';
import { checkOptions } from '../geometry/args.js';
import {
  columnsShape,
  foldGeometry,
  foldParams,
  imageShape,
  unfoldGeometry,
  type FoldGeometry,
  type FoldOptions,
  type UnfoldOptions,
} from '../geometry/fold.js';
import { foldKernels } from '../kernels/dispatch.js';
import { checkFloatTensor, emptyLike, type FloatData, type Tensor } from '../tensor.js';

export type { FoldOptions, UnfoldOptions, FoldPaddingArg } from '../geometry/fold.js';

declare module '../autograd/registry.js' {
  interface OpSaved {
    unfold: { g: FoldGeometry };
    fold: { g: FoldGeometry };
  }
}

const UNFOLD_KEYS = ['kernelSize', 'dilation', 'padding', 'stride'] as const;
const FOLD_KEYS = ['outputSize', 'kernelSize', 'dilation', 'padding', 'stride'] as const;

// The two directions on raw geometry, shared by the forward passes and the gradient rules. Both
// kernels of both directions write every element (col2im sums each plane apart, then copies it).
function im2col(g: FoldGeometry, image: Tensor): Tensor {
  const cols = emptyLike(g.fn, 'input', columnsShape(g), image, 'uninitialised');
  // An empty result needs no kernel (its tables and loops are sized by planes an empty batch leaves big).
  if (cols.size > 0) foldKernels().im2col(g, image.data as FloatData, cols.data as FloatData);
  return cols;
}
function col2im(g: FoldGeometry, cols: Tensor): Tensor {
  const image = emptyLike(g.fn, 'input', imageShape(g), cols, 'uninitialised');
  if (image.size > 0) foldKernels().col2im(g, cols.data as FloatData, image.data as FloatData);
  return image;
}

export const foldRules: Pick<GradTable, 'unfold' | 'fold'> = {
  // unfold: image → columns; its adjoint (and so its input gradient) is col2im.
  unfold: ({ g }, gradOutput, need) => [need[0] ? col2im(g, gradOutput) : null],
  // fold: columns → image; its input gradient is im2col.
  fold: ({ g }, gradOutput, need) => [need[0] ? im2col(g, gradOutput) : null],
};

/**
 * Extracts sliding local blocks (im2col). `input` (N, C, *spatial) or unbatched (C, *spatial) with
 * 1 to 3 spatial dimensions → (N, C·∏kernelSize, L) or (C·∏kernelSize, L), rows ordered
 * (c, kz, ky, kx), L = ∏ number of blocks per dimension (conv's output size). The number of spatial
 * dimensions is the length of any array-valued option, 2 when all are numbers (as PyTorch).
 * `padding` is a number, one per dimension, or per-dimension `[begin, end]` pairs.
 *
 * @example
 *   unfold(randn([1, 3, 4, 5]), { kernelSize: [2, 3], padding: 1, stride: 2 }); // (1, 18, 9)
 *   unfold(randn([2, 4, 10]), { kernelSize: [3], dilation: [2] });          // (2, 12, 6), 1-d
 */
export function unfold(input: Tensor, options: UnfoldOptions): Tensor {
  const fn = 'unfold';
  const opts = checkOptions<UnfoldOptions>(fn, options, UNFOLD_KEYS);
  const params = foldParams(fn, opts, false);
  const g = unfoldGeometry(params, checkFloatTensor(fn, 'input', input).shape);
  const cols = im2col(g, input);
  return record('unfold', cols, [input], () => ({ g }));
}

/**
 * Combines sliding local blocks into an image (col2im), summing where blocks overlap: the adjoint
 * of `unfold`. `input` (N, C·∏kernelSize, L) or unbatched (C·∏kernelSize, L) → (N, C, *outputSize)
 * or (C, *outputSize). L must be the number of blocks that outputSize, kernelSize, stride, padding
 * and dilation give. The number of spatial dimensions is the length of any array-valued option,
 * 2 when all are numbers (as PyTorch).
 *
 * @example
 *   fold(ones([1, 4, 4]), { outputSize: [3, 3], kernelSize: 2 }); // (1, 1, 3, 3), centre value 4
 *   fold(ones([6, 7]), { outputSize: [9], kernelSize: [3] });     // (2, 9), 1-d unbatched
 */
export function fold(input: Tensor, options: FoldOptions): Tensor {
  const fn = 'fold';
  const opts = checkOptions<FoldOptions>(fn, options, FOLD_KEYS);
  const params = foldParams(fn, opts, true);
  const g = foldGeometry(params, checkFloatTensor(fn, 'input', input).shape);
  const image = col2im(g, input);
  return record('fold', image, [input], () => ({ g }));
}
