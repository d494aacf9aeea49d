/**
 * What the explorer computes with the library for a set of parameters, without touching the page:
 * the op on a small example (its output shape, or the DeconvError that refuses the parameters),
 * the output-size formula, the animation, and the matrix view.
 */
import {
  buildAnimation,
  conv2d,
  convMatrix,
  convOutputSize,
  convTranspose2d,
  convTransposeOutputSize,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  pixelShuffle,
  sizeFormulaLines,
  tensor,
  Tensor,
  zeros,
  type Animation,
  type AnimationOptions,
  type FormulaArgs,
  type FrameOrder,
} from './lib.js';
import { matrixFromColumns, transposeRows, type MatrixPair, type Space } from './matrix.js';
import type { Params } from './params.js';

/** Example input values: small integers 1–4 that do not repeat along rows or columns. */
export function exampleInput(channels: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(channels * rows * cols);
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < rows; r++)
      for (let q = 0; q < cols; q++) out[(c * rows + r) * cols + q] = ((r * 3 + q * 2 + c) % 4) + 1;
  }
  return out;
}

/** Example kernel values: small integers 1–3 (3×3: [1 2 3; 3 1 2; 2 3 1]). */
export function exampleKernel(k: number): Float32Array {
  const out = new Float32Array(k * k);
  for (let r = 0; r < k; r++) for (let q = 0; q < k; q++) out[r * k + q] = ((q + 2 * r) % 3) + 1;
  return out;
}

/** maxUnpool's sample of the unpooled size (o × o): distinct neighbours, so each window has one argmax. */
export function unpoolSample(o: number): Float32Array {
  const out = new Float32Array(o * o);
  for (let r = 0; r < o; r++) for (let c = 0; c < o; c++) out[r * o + c] = ((r * 5 + c * 3 + r * c) % 9) + 1;
  return out;
}

/** The weight (groups, 1, k, k): the example kernel for every group (conv and convTranspose layout alike). */
export function exampleWeight(p: Params): Tensor {
  const kernel = exampleKernel(p.kernel);
  const data = new Float32Array(p.groups * kernel.length);
  for (let g = 0; g < p.groups; g++) data.set(kernel, g * kernel.length);
  return tensor(data, [p.groups, 1, p.kernel, p.kernel]);
}

function isConvLike(p: Params): boolean {
  return p.op === 'conv' || p.op === 'dilated' || p.op === 'convTranspose';
}

/** The op's example input: (groups, i, i) for convolutions, (r², i, i) for pixelShuffle, else (1, i, i). */
export function exampleTensor(p: Params): Tensor {
  const channels = isConvLike(p) ? p.groups : p.op === 'pixelShuffle' ? p.stride * p.stride : 1;
  return tensor(exampleInput(channels, p.input, p.input), [channels, p.input, p.input]);
}

export interface OpResult {
  input: Tensor;
  /** maxUnpool: the indices from pooling `unpoolSample` */
  indices: Tensor | null;
  output: Tensor;
  /** the library call, as a user writes it */
  call: string;
  /** the output size as formulas with the numbers filled in */
  formula: string[];
  /** the spatial output size */
  size: number[];
}

function fmtShape(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function options(entries: [string, number, number][]): string {
  const kept = entries.filter(([, v, def]) => v !== def).map(([k, v]) => `${k}: ${v}`);
  return kept.length ? `{ ${kept.join(', ')} }` : '{}';
}

/**
 * Runs the op on the example input with the library: throws the library's DeconvError when the
 * parameters are refused. The size also comes from `convOutputSize` / `convTransposeOutputSize`
 * for the convolutions, and the two must agree.
 */
export function runOp(p: Params): OpResult {
  let x = exampleTensor(p);
  let indices: Tensor | null = null;
  const { stride, padding, dilation, groups } = p;
  const dimArgs: FormulaArgs = { op: 'conv', inputSize: p.input };
  let output: Tensor;
  let call: string;
  let size: number[];
  switch (p.op) {
    case 'conv':
    case 'dilated': {
      const w = exampleWeight(p);
      output = conv2d(x, w, { stride, padding, dilation, groups });
      size = convOutputSize({
        inputSize: [p.input, p.input],
        kernelSize: p.kernel,
        stride,
        padding,
        dilation,
      });
      call = `conv2d(x ${fmtShape(x)}, w ${fmtShape(w)}, ${options([
        ['stride', stride, 1],
        ['padding', padding, 0],
        ['dilation', dilation, 1],
        ['groups', groups, 1],
      ])})`;
      Object.assign(dimArgs, { op: 'conv', kernelSize: p.kernel, stride, padding, dilation });
      break;
    }
    case 'convTranspose': {
      const w = exampleWeight(p);
      const outputPadding = p.outputPadding;
      output = convTranspose2d(x, w, { stride, padding, outputPadding, dilation, groups });
      size = convTransposeOutputSize({
        inputSize: [p.input, p.input],
        kernelSize: p.kernel,
        stride,
        padding,
        outputPadding,
        dilation,
      });
      call = `convTranspose2d(x ${fmtShape(x)}, w ${fmtShape(w)}, ${options([
        ['stride', stride, 1],
        ['padding', padding, 0],
        ['outputPadding', outputPadding, 0],
        ['dilation', dilation, 1],
        ['groups', groups, 1],
      ])})`;
      Object.assign(dimArgs, {
        op: 'convTranspose',
        kernelSize: p.kernel,
        stride,
        padding,
        outputPadding,
        dilation,
      });
      break;
    }
    case 'maxUnpool': {
      const unpoolOptions = { kernelSize: p.kernel, stride, padding };
      // first the op's own checks (any in-range indices do), then real indices: pool a sample
      const unchecked = zeros([1, p.input, p.input], { dtype: 'int32' });
      const o = maxUnpool2d(x, unchecked, unpoolOptions).shape.slice(1);
      const pooled = maxPool2d(tensor(unpoolSample(o[0]!), [1, o[0]!, o[1]!]), {
        ...unpoolOptions,
        returnIndices: true,
      });
      x = pooled.output;
      indices = pooled.indices;
      output = maxUnpool2d(x, indices, unpoolOptions);
      size = output.shape.slice(1);
      call =
        `maxPool2d(sample [1, ${o.join(', ')}], { kernelSize: ${p.kernel}, returnIndices: true, … }) → x, indices ${fmtShape(x)}\n` +
        `maxUnpool2d(x, indices, ${options([
          ['kernelSize', p.kernel, -1],
          ['stride', stride, p.kernel],
          ['padding', padding, 0],
        ])})`;
      Object.assign(dimArgs, { op: 'maxUnpool', kernelSize: p.kernel, stride, padding });
      break;
    }
    case 'nearest':
    case 'bilinear':
    case 'bicubic': {
      output = interpolate(x, { scaleFactor: [stride, stride], mode: p.op });
      size = output.shape.slice(1);
      call = `interpolate(x ${fmtShape(x)}, { scaleFactor: [${stride}, ${stride}], mode: '${p.op}' })`;
      Object.assign(dimArgs, { op: 'interpolate', scale: stride });
      break;
    }
    case 'pixelShuffle': {
      output = pixelShuffle(x, stride);
      size = output.shape.slice(1);
      call = `pixelShuffle(x ${fmtShape(x)}, ${stride})`;
      Object.assign(dimArgs, { op: 'pixelShuffle', scale: stride });
      break;
    }
  }
  const shown = output.shape.slice(1);
  if (shown.some((v, j) => v !== size[j])) {
    throw new Error(`the op's output ${shown.join('×')} differs from the size arithmetic ${size.join('×')}`);
  }
  return {
    input: x,
    output,
    indices,
    call: `${call} → ${fmtShape(output)}`,
    formula: sizeFormulaLines([dimArgs, dimArgs]),
    size,
  };
}

/** The animation of the op (one channel, the first group), with the page's example values. */
export function animationFor(p: Params, order: FrameOrder): Animation {
  const base = {
    inputSize: p.input,
    inputValues: exampleInput(p.op === 'pixelShuffle' ? p.stride * p.stride : 1, p.input, p.input),
  };
  let o: AnimationOptions;
  switch (p.op) {
    case 'conv':
    case 'dilated':
      o = {
        op: p.op,
        ...base,
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
        dilation: p.dilation,
        kernelValues: exampleKernel(p.kernel),
      };
      break;
    case 'convTranspose':
      o = {
        op: p.op,
        ...base,
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
        outputPadding: p.outputPadding,
        dilation: p.dilation,
        kernelValues: exampleKernel(p.kernel),
        order,
      };
      break;
    case 'maxUnpool': {
      const [size] = convTransposeOutputSize({
        inputSize: p.input,
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
      });
      o = {
        op: p.op,
        inputSize: p.input,
        inputValues: unpoolSample(size!),
        kernelSize: p.kernel,
        stride: p.stride,
        padding: p.padding,
      };
      break;
    }
    case 'nearest':
    case 'bilinear':
    case 'bicubic':
    case 'pixelShuffle':
      o = { op: p.op, ...base, scale: p.stride };
      break;
  }
  return buildAnimation(o);
}

/** The largest matrix (rows × cols) the page draws. */
export const MAX_DRAWN = 6_000_000;

function space(label: string, shape: readonly number[]): Space {
  return {
    label: `${label} ${shape.slice(1).join('×')}`,
    channels: shape[0]!,
    rows: shape[1]!,
    cols: shape[2]!,
  };
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function checkLine(what: string, diff: number): string {
  return diff < 1e-4
    ? `Check: ${what} (largest difference ${diff === 0 ? '0' : diff.toExponential(1)}).`
    : `Check FAILED: ${what} differs by ${diff}.`;
}

/**
 * The matrix view: `convMatrix` for the convolutions (C and its transpose); for the other ops the
 * op's matrix M column by column (the op applied to each unit input) and its transpose.
 */
export function matrixFor(p: Params, r: OpResult): MatrixPair | string {
  const inShape = r.input.shape;
  const outShape = r.output.shape;
  const rows = outShape.reduce((a, b) => a * b, 1);
  const cols = inShape.reduce((a, b) => a * b, 1);
  if (rows * cols > MAX_DRAWN) {
    return `The matrix would be ${rows} × ${cols}: too large to draw here. Make the input or the stride smaller.`;
  }
  const spaces = { input: space('input', inShape), output: space('output', outShape) };
  const w = isConvLike(p) ? exampleWeight(p) : null;
  const convOptions = { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups };
  if (p.op === 'conv' || p.op === 'dilated') {
    const C = convMatrix(inShape, w!, convOptions);
    const diff = largestDifference(C.matvec(r.input), r.output.data);
    return {
      names: ['C', 'Cᵀ'],
      roles: [
        'conv2d: a row per output cell, a column per input cell',
        'convTranspose2d with the same weight and options',
      ],
      mats: [C, C.transpose()],
      rowSpace: ['output', 'input'],
      spaces,
      explain:
        'convMatrix(inputShape, weight, options) lists, for every output cell, the input cells the kernel reads and the weight ' +
        'at each: conv(x) = C·x. Its transpose scatters back: Cᵀ·y is the transposed convolution with the same weight, ' +
        'which is why it is called transposed convolution (and why it is the gradient of conv).',
      check: checkLine('C·x equals conv2d(x, w)', diff),
    };
  }
  if (p.op === 'convTranspose') {
    // the convolution this op transposes: from the transposed conv's output size back to its input size
    const C = convMatrix(outShape, w!, convOptions);
    if (C.rows !== cols) {
      return (
        `With output padding ${p.outputPadding} ≥ stride ${p.stride}, the convolution of the ${outShape.slice(1).join('×')} output ` +
        `gives ${C.outputShape.slice(1).join('×')}, not the ${inShape.slice(1).join('×')} input: no single C links them.`
      );
    }
    const Ct = C.transpose();
    const diff = largestDifference(Ct.matvec(r.input), r.output.data);
    return {
      names: ['C', 'Cᵀ'],
      roles: [
        'the convolution this op transposes (a row per input cell of this op)',
        'this transposed convolution: a row per output cell',
      ],
      mats: [C, Ct],
      rowSpace: ['input', 'output'],
      spaces,
      explain:
        `A transposed convolution is the transpose of a convolution's matrix: C = convMatrix([${outShape.join(', ')}], weight, options) ` +
        'maps this op\u2019s output size back to its input size, and Cᵀ·x is convTranspose2d(x, weight, options). ' +
        'Each column of Cᵀ is the kernel stamped once onto the output (the scatter view).',
      check: checkLine('Cᵀ·x equals convTranspose2d(x, w)', diff),
    };
  }
  // the other ops are linear too: their matrix, a column per unit input
  const unit = new Float32Array(cols);
  const apply = (x: Tensor): Tensor => {
    switch (p.op) {
      case 'maxUnpool':
        return maxUnpool2d(x, r.indices!, { kernelSize: p.kernel, stride: p.stride, padding: p.padding });
      case 'nearest':
      case 'bilinear':
      case 'bicubic':
        return interpolate(x, { scaleFactor: [p.stride, p.stride], mode: p.op });
      default:
        return pixelShuffle(x, p.stride);
    }
  };
  const M = matrixFromColumns(rows, cols, (j) => {
    unit.fill(0);
    unit[j] = 1;
    return apply(tensor(unit, inShape)).data;
  });
  const names: Record<string, string> = {
    maxUnpool: 'maxUnpool2d with the indices of the pooled sample',
    nearest: "interpolate(x, { mode: 'nearest' })",
    bilinear: "interpolate(x, { mode: 'bilinear' })",
    bicubic: "interpolate(x, { mode: 'bicubic' })",
    pixelShuffle: 'pixelShuffle',
  };
  const Mt = transposeRows(M);
  const reference = apply(r.input).data;
  let diff = 0;
  for (let q = 0; q < rows; q++) {
    let sum = 0;
    for (let e = M.rowPtr[q]!; e < M.rowPtr[q + 1]!; e++) sum += M.values[e]! * r.input.data[M.colIndex[e]!]!;
    diff = Math.max(diff, Math.abs(sum - reference[q]!));
  }
  return {
    names: ['M', 'Mᵀ'],
    roles: [`${names[p.op]}: a row per output cell`, 'its transpose, the gradient: a row per input cell'],
    mats: [M, Mt],
    rowSpace: ['output', 'input'],
    spaces,
    explain:
      'This op has no kernel, but it is linear, so it is a matrix too: column j is the op applied to the j-th unit input. ' +
      'Its transpose Mᵀ is the op\u2019s gradient (and the adjoint: ⟨M·x, y⟩ = ⟨x, Mᵀ·y⟩).',
    check: checkLine('M·x equals the op on x', diff),
  };
}
