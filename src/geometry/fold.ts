/**
 * Shape arithmetic of `unfold` (im2col) and `fold` (col2im), 1 to 3 spatial dimensions.
 *
 * References: PyTorch `torch.nn.Unfold` / `torch.nn.Fold` docs; K. Chellapilla et al., "High
 * Performance Convolutional Neural Networks for Document Processing" (2006) for im2col; Caffe's
 * `im2col_nd` / `col2im_nd` for the generalisation to any number of spatial dimensions.
 *
 * An unfold is a convolution with an identity weight: with `groups = C` and the weight
 * `w[c·K + k, 0, k'] = δ(k, k')` (K = ∏ kernelSize), conv's output channel `c·K + k` at position
 * `l` is the input value under kernel tap `k` of sliding block `l`. So the number of sliding blocks
 * per dimension is conv's output size (`convOutputLength` of arithmetic.ts). `fold` is the adjoint of
 * `unfold` on the same record: it scatters each column back and sums where blocks overlap.
 *
 * Layouts (rows ordered (c, kz, ky, kx), columns `l` ordered (oz, oy, ox), row-major):
 *   image    (N, C, *imageSize)   or unbatched (C, *imageSize)
 *   columns  (N, C·∏k, L)          or unbatched (C·∏k, L),   L = ∏ blocks
 *
 * Number of spatial dimensions `d`: the length of any array-valued size option; when every size
 * option is a number, d = 2 (PyTorch's `nn.Unfold` / `nn.Fold` are 2-d).
 */
import { fail, show } from '../errors.js';
import { explicitPairs, layoutOf, perDim, POSITIVE } from './args.js';
import { convOutputLength, effectiveKernel as effectiveKernelSize, product } from './arithmetic.js';

/** `padding` of unfold/fold: a number, one per dimension, or per-dimension `[begin, end]` pairs. */
export type FoldPaddingArg = number | readonly (number | readonly [number, number])[];

export interface UnfoldOptions {
  /** size of the sliding blocks (required) */
  kernelSize: number | readonly number[];
  dilation?: number | readonly number[];
  padding?: FoldPaddingArg;
  stride?: number | readonly number[];
}

export interface FoldOptions extends UnfoldOptions {
  /** spatial size of the folded image (required) */
  outputSize: number | readonly number[];
}

export interface FoldGeometry {
  readonly fn: string;
  /** number of spatial dimensions */
  readonly d: number;
  /** whether the tensors carry a batch dimension */
  readonly batched: boolean;
  readonly batch: number;
  /** image channels C (the columns have C·∏k rows) */
  readonly channels: number;
  /** spatial size of the image (unfold's input, fold's output) */
  readonly imageSize: readonly number[];
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  /** dilated kernel extent d·(k − 1) + 1 */
  readonly effectiveKernel: readonly number[];
  /** number of sliding blocks per dimension (the identity conv's output size) */
  readonly blocks: readonly number[];
  /** L = ∏ blocks */
  readonly blockCount: number;
  /** ∏ kernel */
  readonly kernelVolume: number;
}

/** d from the array-valued size options; 2 when all are numbers (PyTorch's rule). */
function foldDims(fn: string, args: Record<string, unknown>): number {
  let d = 0;
  let first = '';
  for (const [name, v] of Object.entries(args)) {
    if (!Array.isArray(v)) continue;
    if (v.length < 1 || v.length > 3) {
      fail(fn, name, v, 'must have 1 to 3 entries, one per spatial dimension');
    }
    if (d !== 0 && v.length !== d) {
      fail(fn, name, v, `must have ${d} entries like ${first} (one per spatial dimension)`);
    }
    d = v.length;
    first = `${name} = ${show(v)}`;
  }
  return d || 2;
}

/** unfold's / fold's options, checked once. */
export interface FoldParams {
  readonly fn: string;
  readonly d: number;
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly pad: { readonly begin: readonly number[]; readonly end: readonly number[] };
  readonly effectiveKernel: readonly number[];
  /** fold only: the image's spatial size */
  readonly outputSize: readonly number[] | null;
}

/** Checks unfold's options, or fold's (with `outputSize`) when `fold` is true, into `FoldParams`. */
export function foldParams(fn: string, options: FoldOptions | UnfoldOptions, fold: boolean): FoldParams {
  const raw = options as Partial<FoldOptions>;
  const d = foldDims(fn, {
    ...(fold ? { outputSize: raw.outputSize } : {}),
    kernelSize: options.kernelSize,
    dilation: options.dilation,
    padding: options.padding,
    stride: options.stride,
  });
  const outputSize = fold ? perDim(fn, 'outputSize', raw.outputSize, d, POSITIVE) : null;
  const kernel = perDim(fn, 'kernelSize', options.kernelSize, d, POSITIVE);
  const dilation = perDim(fn, 'dilation', options.dilation, d, POSITIVE, 1);
  const pad = explicitPairs(fn, options.padding, d);
  const stride = perDim(fn, 'stride', options.stride, d, POSITIVE, 1);
  const effectiveKernel = kernel.map((k, i) => effectiveKernelSize(k, dilation[i]!));
  return Object.freeze({ fn, d, kernel, stride, dilation, pad, effectiveKernel, outputSize });
}

/** Sliding blocks per dimension; `sizes` must already fit the kernel. */
function blocksOf(sizes: readonly number[], c: FoldParams): number[] {
  return sizes.map((n, k) =>
    convOutputLength({
      inputSize: n,
      kernelSize: c.kernel[k]!,
      stride: c.stride[k]!,
      padBegin: c.pad.begin[k]!,
      padEnd: c.pad.end[k]!,
      dilation: c.dilation[k]!,
    }),
  );
}

function padWords(c: FoldParams, k: number): string {
  const b = c.pad.begin[k]!;
  const e = c.pad.end[k]!;
  return b === e ? `padding ${b}` : `padding [${b}, ${e}]`;
}

function freeze(
  fn: string,
  d: number,
  batched: boolean,
  batch: number,
  channels: number,
  imageSize: readonly number[],
  c: FoldParams,
): FoldGeometry {
  const blocks = blocksOf(imageSize, c);
  return Object.freeze({
    fn,
    d,
    batched,
    batch,
    channels,
    imageSize: Object.freeze([...imageSize]),
    kernel: Object.freeze(c.kernel),
    stride: Object.freeze(c.stride),
    dilation: Object.freeze(c.dilation),
    padBegin: Object.freeze(c.pad.begin),
    padEnd: Object.freeze(c.pad.end),
    effectiveKernel: Object.freeze(c.effectiveKernel),
    blocks: Object.freeze(blocks),
    blockCount: product(blocks),
    kernelVolume: product(c.kernel),
  });
}

/** unfold's geometry from its params and the image shape (N, C, *spatial) or (C, *spatial). */
export function unfoldGeometry(c: FoldParams, inputShape: readonly number[]): FoldGeometry {
  const { fn, d } = c;
  const layout = layoutOf(fn, 'input.shape', inputShape, d);
  const off = layout.batched ? 1 : 0;
  if (layout.channels < 1) {
    fail(fn, `input.shape[${off}]`, layout.channels, 'must be positive (only the batch dimension may be 0)');
  }
  layout.spatial.forEach((s, k) => {
    if (s < 1)
      fail(fn, `input.shape[${off + 1 + k}]`, s, 'must be positive (only the batch dimension may be 0)');
  });
  layout.spatial.forEach((s, k) => {
    const padded = s + c.pad.begin[k]! + c.pad.end[k]!;
    if (padded < c.effectiveKernel[k]!) {
      fail(
        fn,
        `input.shape[${off + 1 + k}]`,
        s,
        `is too small for kernelSize[${k}] = ${c.kernel[k]} with dilation[${k}] = ${c.dilation[k]} and ` +
          `${padWords(c, k)}: padded to ${padded}, it is smaller than the dilated kernel size ${c.effectiveKernel[k]}, ` +
          'so there is no sliding block',
      );
    }
  });
  return freeze(fn, d, layout.batched, layout.batch, layout.channels, layout.spatial, c);
}

/** fold's geometry from its params and the columns shape (N, C·∏k, L) or (C·∏k, L). */
export function foldGeometry(c: FoldParams, inputShape: readonly number[]): FoldGeometry {
  const { fn, d } = c;
  const outputSize = c.outputSize!;
  const t = { shape: inputShape };
  const r = t.shape.length;
  if (r !== 2 && r !== 3) {
    fail(
      fn,
      'input.shape',
      t.shape,
      `must have 3 dimensions (N, C·∏kernelSize, L) or 2 without the batch (C·∏kernelSize, L)`,
    );
  }
  const rows = t.shape[r - 2]!;
  const columns = t.shape[r - 1]!;
  const kernelVolume = product(c.kernel);
  if (rows < 1)
    fail(fn, `input.shape[${r - 2}]`, rows, 'must be positive (only the batch dimension may be 0)');
  if (rows % kernelVolume !== 0) {
    fail(
      fn,
      `input.shape[${r - 2}]`,
      rows,
      `must be divisible by the product of kernelSize ${show(c.kernel)}, ${kernelVolume} (it is C·∏kernelSize)`,
    );
  }
  outputSize.forEach((s, k) => {
    const padded = s + c.pad.begin[k]! + c.pad.end[k]!;
    if (padded < c.effectiveKernel[k]!) {
      fail(
        fn,
        `outputSize[${k}]`,
        s,
        `is too small for kernelSize[${k}] = ${c.kernel[k]} with dilation[${k}] = ${c.dilation[k]} and ` +
          `${padWords(c, k)}: padded to ${padded}, it is smaller than the dilated kernel size ${c.effectiveKernel[k]}, ` +
          'so there is no sliding block',
      );
    }
  });
  const g = freeze(fn, d, r === 3, r === 3 ? t.shape[0]! : 1, rows / kernelVolume, outputSize, c);
  if (columns !== g.blockCount) {
    fail(
      fn,
      `input.shape[${r - 1}]`,
      columns,
      `must equal the number of sliding blocks ${g.blocks.join(' × ')} = ${g.blockCount} that outputSize ` +
        `${show(outputSize)}, kernelSize ${show(c.kernel)}, stride ${show(c.stride)}, padding ` +
        `${show(c.pad.begin.map((b, i) => (b === c.pad.end[i] ? b : [b, c.pad.end[i]!])))} and dilation ` +
        `${show(c.dilation)} give`,
    );
  }
  return g;
}

/** Shape of the image side: (N, C, *imageSize) or (C, *imageSize). */
export function imageShape(g: FoldGeometry): number[] {
  return g.batched ? [g.batch, g.channels, ...g.imageSize] : [g.channels, ...g.imageSize];
}

/** Shape of the columns side: (N, C·∏k, L) or (C·∏k, L). */
export function columnsShape(g: FoldGeometry): number[] {
  const rows = g.channels * g.kernelVolume;
  return g.batched ? [g.batch, rows, g.blockCount] : [rows, g.blockCount];
}
