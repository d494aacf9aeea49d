/**
 * The frame model of the convolution-arithmetic animations, in the style of Dumoulin & Visin's
 * conv_arithmetic figures, for any parameters, in two spatial dimensions.
 *
 * References: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285 and https://github.com/vdumoulin/conv_arithmetic; PyTorch
 * `torch.nn.ConvTranspose2d`, `MaxUnpool2d`, `interpolate`, `PixelShuffle` docs.
 *
 * An animation is a list of frames. Each frame is a set of *contributions* — input element ×
 * weight → output element — and the output state after adding (or, for max unpooling, setting)
 * them. A *view* draws the same frames on its own grids: for every frame it says which cells are
 * under the window ('window'), which are read ('read') and which are written ('write').
 *
 * Transposed convolution has two views, frame-synchronised because they draw the same
 * contributions in every frame:
 * - the scatter view: input cell i stamps `x[i]·w` onto the output at `i·s − p + k·d`;
 * - the direct view: `s − 1` zeros inserted between the inputs, padding `d·(k − 1) − p` before and
 *   `d·(k − 1) − p + a` after (negative: cropped), stride 1, flipped kernel (`asDirectConv`).
 * Contribution (i, k, o) is drawn in the direct view at the padded position `i·s + d·(k − 1) − p`
 * with the flipped tap `K − 1 − k`, which is inside the window of output o: `o + (K − 1 − k)·d`.
 *
 * Frame order (`order`):
 * - 'output' (default for the gather ops conv, dilated, bilinear, and for convTranspose): one
 *   frame per output cell. The direct view slides its window over the zero-inserted input as in
 *   the conv_arithmetic GIFs; the scatter view highlights the input cells and kernel taps whose
 *   stamps reach that output cell. Each frame completes one output cell, so both views show the
 *   same finished cells and blank ones.
 * - 'input' (convTranspose on request; always for nearest, maxUnpool, pixelShuffle, which move
 *   each input somewhere): one frame per input cell. The scatter view stamps it; the direct view
 *   highlights that input in the zero-inserted grid, every window that covers it, and the output
 *   cells those windows compute. Outputs start at zero and hold partial sums until the last frame.
 * Either way the last frame's output is the op's output (the tests check it against
 * `convTranspose2d`, `conv2d`, `maxUnpool2d`, `interpolate` and `pixelShuffle`).
 */
import { fail } from '../errors.js';
import { perDim, POSITIVE, NON_NEGATIVE } from '../geometry/args.js';
import { effectiveKernel, scaledLength, unpoolOutputLength, windowStart } from '../geometry/arithmetic.js';
import {
  asDirectConv,
  convGeometry,
  convParams,
  convTransposeGeometry,
  convOutputSizeOf,
  convTransposeParams,
} from '../geometry/conv.js';
import { interpolateGeometry, interpolateParams, type Taps } from '../geometry/interpolate.js';
import { maxPool2d } from '../ops/pool.js';
import { tensor } from '../tensor.js';
import { cellName, fmt, range } from './format.js';
import { sizeFormulaLines, type FormulaArgs } from './formula.js';

export type AnimationOp =
  'conv' | 'convTranspose' | 'dilated' | 'maxUnpool' | 'nearest' | 'bilinear' | 'bicubic' | 'pixelShuffle';

export const ANIMATION_OPS: readonly AnimationOp[] = [
  'conv',
  'convTranspose',
  'dilated',
  'maxUnpool',
  'nearest',
  'bilinear',
  'bicubic',
  'pixelShuffle',
];

/** Frames per output cell ('output') or per input cell ('input'). */
export type FrameOrder = 'output' | 'input';

/** What a cell of a drawn grid holds: an input value, padding, an inserted zero, output padding. */
export type CellKind = 'data' | 'padding' | 'inserted' | 'outputPadding';

export type GridRole = 'input' | 'kernel' | 'output' | 'indices';

export interface AnimationGrid {
  /** unique within the animation: `${view}.${role}`, plus `.c${channel}` for pixelShuffle inputs */
  readonly id: string;
  readonly role: GridRole;
  readonly label: string;
  readonly rows: number;
  readonly cols: number;
  /** per cell, row-major */
  readonly kinds: readonly CellKind[];
  /** static values per cell (null: drawn empty); outputs are `dynamic` and read the frames */
  readonly values: readonly (number | null)[];
  /** true for the output grid: its values are `frames[t].output` */
  readonly dynamic: boolean;
}

export type MarkLevel = 'window' | 'read' | 'write';

/** One highlighted cell in one frame. `note`: a small label, e.g. the kernel weight over a cell. */
export interface Mark {
  readonly grid: string;
  readonly cell: number;
  readonly level: MarkLevel;
  readonly note?: string;
}

/** input element × weight → output element. */
export interface Contribution {
  /** flat index into the input (channel·H·W + r·W + c) */
  readonly input: number;
  /** flat index of the kernel tap in the (unflipped) kernel, or −1 for ops without a kernel */
  readonly tap: number;
  /** flat index into the output plane (r·W + c) */
  readonly output: number;
  readonly value: number;
  /** the kernel value, the interpolation weight, or 1 for a copy */
  readonly weight: number;
  readonly product: number;
}

export interface AnimationFrame {
  readonly contributions: readonly Contribution[];
  /** the output plane after this frame, row-major; NaN where nothing has been computed yet */
  readonly output: Float64Array;
  readonly caption: string;
}

export interface AnimationView {
  readonly id: 'main' | 'scatter' | 'direct';
  readonly title: string;
  readonly subtitle: string;
  readonly grids: readonly AnimationGrid[];
  /** per frame, the highlighted cells of this view's grids */
  readonly marks: readonly (readonly Mark[])[];
}

/** The direct view's grid: the input with `inputDilation − 1` zeros inserted and padded (per dim). */
export interface DirectInput {
  readonly inputDilation: readonly number[];
  /** before / after, negative when cropped; `padEnd` includes the output padding */
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  /** rows, cols: `s·(i − 1) + 1 + padBegin + padEnd` */
  readonly size: readonly number[];
}

export interface Animation {
  readonly op: AnimationOp;
  readonly title: string;
  readonly order: FrameOrder;
  /** how a frame's contributions meet the output: added, or set (max unpooling) */
  readonly combine: 'sum' | 'set';
  /** input planes (pixelShuffle: r², else 1) */
  readonly channels: number;
  readonly inputSize: readonly number[];
  readonly outputSize: readonly number[];
  /** conv-like ops and maxUnpool (the pooling window); null for the resampling ops */
  readonly kernelSize: readonly number[] | null;
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  readonly dilation: readonly number[];
  /** nearest, bilinear, pixelShuffle: the scale factor; else null */
  readonly scale: number | null;
  /** channels × rows × cols */
  readonly input: Float64Array;
  /** kernel values (rows × cols), null for ops without one */
  readonly kernel: Float64Array | null;
  /** maxUnpool only: the flat index of each input value in the output plane */
  readonly indices: Int32Array | null;
  /** convTranspose only */
  readonly direct: DirectInput | null;
  /** the output size as formulas with the numbers filled in */
  readonly formula: readonly string[];
  readonly views: readonly AnimationView[];
  readonly frames: readonly AnimationFrame[];
}

export interface AnimationOptions {
  op: AnimationOp;
  /** the op's input size: a number (square) or [rows, cols]; for maxUnpool the pooled size */
  inputSize: number | readonly number[];
  /** conv, convTranspose, dilated (default 3); maxUnpool: the pooling window (default 2) */
  kernelSize?: number | readonly number[];
  /** default 1; maxUnpool: the kernel size */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  /** convTranspose only */
  outputPadding?: number | readonly number[];
  /** default 1; 'dilated' default 2 */
  dilation?: number | readonly number[];
  /** nearest, bilinear, pixelShuffle: default `stride` if given, else 2 */
  scale?: number;
  /** convTranspose only: 'output' (default) or 'input' */
  order?: FrameOrder;
  /** input values, channels × rows × cols (default: small integers 1–4) */
  inputValues?: ArrayLike<number>;
  /** kernel values, rows × cols (default: small integers 1–3) */
  kernelValues?: ArrayLike<number>;
}

/** At most this many frames: an animation is for looking at, not for big tensors. */
export const MAX_FRAMES = 1024;

/**
 * At most this many cells in one grid (input, kernel or output), checked before its values are
 * made: a grid past it could not be drawn, and its array alone could exceed memory.
 */
export const MAX_GRID_CELLS = 16 * MAX_FRAMES;

const FN = 'buildAnimation';

const OPTIONS: Record<AnimationOp, readonly string[]> = {
  conv: ['kernelSize', 'stride', 'padding', 'dilation', 'inputValues', 'kernelValues'],
  dilated: ['kernelSize', 'stride', 'padding', 'dilation', 'inputValues', 'kernelValues'],
  convTranspose: [
    'kernelSize',
    'stride',
    'padding',
    'outputPadding',
    'dilation',
    'order',
    'inputValues',
    'kernelValues',
  ],
  maxUnpool: ['kernelSize', 'stride', 'padding', 'inputValues'],
  nearest: ['scale', 'stride', 'inputValues'],
  bilinear: ['scale', 'stride', 'inputValues'],
  bicubic: ['scale', 'stride', 'inputValues'],
  pixelShuffle: ['scale', 'stride', 'inputValues'],
};

/** Default input values: small integers 1–4 in a pattern that does not repeat along rows or cols. */
function defaultInput(channels: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(channels * rows * cols);
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) out[(c * rows + r) * cols + q] = ((r * 3 + q * 2 + c) % 4) + 1;
    }
  }
  return out;
}

/** Default kernel: small integers 1–3 (for 3×3: [1 2 3; 3 1 2; 2 3 1]). */
function defaultKernel(rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) out[r * cols + q] = ((q + 2 * r) % 3) + 1;
  return out;
}

function values(
  name: string,
  given: ArrayLike<number> | undefined,
  n: number,
  fallback: () => Float64Array,
): Float64Array {
  if (given === undefined) return fallback();
  if (given === null || typeof given !== 'object' || typeof given.length !== 'number') {
    fail(FN, name, given, `must be an array of ${n} numbers`);
  }
  if (given.length !== n) fail(FN, `${name}.length`, given.length, `must be ${n}, one value per cell`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = given[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(FN, `${name}[${i}]`, v, 'must be a finite number');
    out[i] = v;
  }
  return out;
}

/** Per-dimension kinds and source indices of a zero-inserted, padded axis. */
interface Axis {
  length: number;
  kind: CellKind[];
  /** index into the undilated input, or −1 */
  src: number[];
}

/**
 * An input axis of `n` cells with `dil − 1` zeros between them, `begin` cells before and `end`
 * after (negative: cropped); the last `outPad` cells are output padding unless they hold data.
 */
function paddedAxis(n: number, dil: number, begin: number, end: number, outPad: number): Axis {
  // n cells with dil − 1 zeros between them span what an n-tap kernel dilated by dil spans
  const dilated = effectiveKernel(n, dil);
  const length = dilated + begin + end;
  const kind: CellKind[] = [];
  const src: number[] = [];
  for (let q = 0; q < length; q++) {
    const u = q - begin;
    if (u >= 0 && u < dilated) {
      kind.push(u % dil === 0 ? 'data' : 'inserted');
      src.push(u % dil === 0 ? u / dil : -1);
    } else {
      kind.push(u >= dilated && q >= length - outPad ? 'outputPadding' : 'padding');
      src.push(-1);
    }
  }
  return { length, kind, src };
}

const KIND_ORDER: Record<CellKind, number> = { data: 0, inserted: 1, padding: 2, outputPadding: 3 };

/** A 2-d grid from two axes: the stronger of the two kinds, the source cell when both are data. */
function paddedGrid(
  id: string,
  label: string,
  rows: Axis,
  cols: Axis,
  input: Float64Array,
  inCols: number,
): { grid: AnimationGrid; src: number[] } {
  const kinds: CellKind[] = [];
  const vals: (number | null)[] = [];
  const src: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < cols.length; c++) {
      const a = rows.kind[r]!;
      const b = cols.kind[c]!;
      const kind = KIND_ORDER[a] >= KIND_ORDER[b] ? a : b;
      kinds.push(kind);
      const s = kind === 'data' ? rows.src[r]! * inCols + cols.src[c]! : -1;
      src.push(s);
      vals.push(s >= 0 ? input[s]! : kind === 'inserted' ? 0 : null);
    }
  }
  return {
    grid: {
      id,
      role: 'input',
      label,
      rows: rows.length,
      cols: cols.length,
      kinds,
      values: vals,
      dynamic: false,
    },
    src,
  };
}

function plainGrid(
  id: string,
  role: GridRole,
  label: string,
  rows: number,
  cols: number,
  vals: ArrayLike<number> | null,
  offset = 0,
): AnimationGrid {
  const n = rows * cols;
  return {
    id,
    role,
    label,
    rows,
    cols,
    kinds: new Array<CellKind>(n).fill('data'),
    values: Array.from({ length: n }, (_, i) => (vals ? vals[offset + i]! : null)),
    dynamic: role === 'output',
  };
}

/**
 * Refuses `n` frames past MAX_FRAMES, naming the argument that made them (`argument`, `value`):
 * the caller picks it, as the one that grew the frame count (`hint`: what else would help).
 */
function checkFrames(n: number, what: string, argument: string, value: unknown, hint = ''): void {
  if (n > MAX_FRAMES) {
    fail(
      FN,
      argument,
      Array.isArray(value) ? [...(value as unknown[])] : value,
      `gives ${n} ${what}, one frame each: more frames than an animation may have (${MAX_FRAMES}); use smaller sizes${hint}`,
    );
  }
}

/**
 * Refuses an animation with one frame per output cell past MAX_FRAMES. With no more input cells
 * than frames allowed, the input size is not what made them: `grown` names the argument that did.
 */
function checkOutputFrames(
  outputSize: readonly number[],
  inputSize: readonly number[],
  grown: { argument: string; value: unknown },
  hint = '',
): void {
  const n = outputSize[0]! * outputSize[1]!;
  const what = `output cells (${outputSize.join('×')})`;
  if (inputSize[0]! * inputSize[1]! > MAX_FRAMES) checkFrames(n, what, 'inputSize', inputSize, hint);
  else checkFrames(n, what, grown.argument, grown.value, hint);
}

/** Refuses a grid of `n` cells past MAX_GRID_CELLS, naming the argument that made it. */
function checkCells(n: number, argument: string, value: unknown, what: string): void {
  if (n > MAX_GRID_CELLS) {
    fail(
      FN,
      argument,
      Array.isArray(value) ? [...(value as unknown[])] : value,
      `gives ${n} ${what}: more than an animation may draw in one grid (${MAX_GRID_CELLS}); use smaller sizes`,
    );
  }
}

/** The frames and their captions: one builder shared by every op. */
class FrameBuilder {
  readonly frames: AnimationFrame[] = [];
  private state: Float64Array;
  constructor(
    cells: number,
    private readonly combine: 'sum' | 'set',
    start: 'blank' | 'zero',
  ) {
    this.state = new Float64Array(cells).fill(start === 'blank' ? NaN : 0);
  }
  /** Adds one frame; `complete` lists output cells computed in full by it (blank before). */
  push(contributions: Contribution[], caption: string, complete: readonly number[] = []): void {
    const next = Float64Array.from(this.state);
    for (const o of complete) next[o] = 0;
    for (const c of contributions) {
      if (this.combine === 'set') next[c.output] = c.product;
      else next[c.output] = (Number.isNaN(next[c.output]!) ? 0 : next[c.output]!) + c.product;
    }
    this.state = next;
    this.frames.push({ contributions, output: next, caption });
  }
}

/** `out[r, c] = 1·2 + 3·1 = 5` with at most 8 terms written out. */
function sumCaption(target: string, cs: readonly Contribution[], total: number, empty: string): string {
  if (cs.length === 0) return `${target} = 0: ${empty}`;
  const terms = cs.map((c) => `${fmt(c.value)}·${fmt(c.weight)}`);
  const shown =
    terms.length > 8 ? `${terms.slice(0, 7).join(' + ')} + … (${terms.length} terms)` : terms.join(' + ');
  return `${target} = ${shown} = ${fmt(total)}`;
}

function total(cs: readonly Contribution[]): number {
  return cs.reduce((s, c) => s + c.product, 0);
}

/** Resolved common parameters. */
interface Params {
  inputSize: number[];
  kernelSize: number[];
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
}

function checkKeys(options: AnimationOptions): void {
  if (options === null || typeof options !== 'object') fail(FN, 'options', options, 'must be an object');
  if (!ANIMATION_OPS.includes(options.op))
    fail(FN, 'op', options.op, `must be one of ${ANIMATION_OPS.join(', ')}`);
  const allowed = ['op', 'inputSize', ...OPTIONS[options.op]];
  for (const [key, v] of Object.entries(options)) {
    if (v !== undefined && !allowed.includes(key)) {
      fail(
        FN,
        key,
        v,
        `is not a parameter of '${options.op}' (its parameters: ${allowed.slice(1).join(', ')})`,
      );
    }
  }
  if (options.order !== undefined && options.order !== 'output' && options.order !== 'input') {
    fail(FN, 'order', options.order, "must be 'output' or 'input'");
  }
}

/**
 * Builds the frames of an animation of `options.op` for the given parameters (2-d, one channel).
 *
 * - conv, dilated: one view, the kernel sliding over the padded input; one frame per output cell.
 * - convTranspose: the scatter and the direct view, frame-synchronised (see the file comment).
 * - maxUnpool: each pooled value goes back to its argmax (computed by `maxPool2d` on a sample
 *   input of the unpooled size); one frame per input cell.
 * - nearest, bilinear: `interpolate`'s taps (PyTorch's, alignCorners false); nearest stamps each
 *   input onto its block, bilinear computes one output cell per frame from up to 4 inputs.
 * - pixelShuffle: input `(r², H, W)` → output `(H·r, W·r)`; one frame per input position.
 *
 * @example
 *   import { buildAnimation } from 'deconv';
 *   const a = buildAnimation({ op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2 });
 *   a.outputSize;            // [5, 5]
 *   a.views.map((v) => v.id); // ['scatter', 'direct']
 *   a.frames.length;         // 25: one per output cell
 */
export function buildAnimation(options: AnimationOptions): Animation {
  checkKeys(options);
  const op = options.op;
  const inputSize = perDim(FN, 'inputSize', options.inputSize, 2, POSITIVE);
  switch (op) {
    case 'conv':
    case 'dilated':
    case 'convTranspose': {
      const p: Params = {
        inputSize,
        kernelSize: perDim(FN, 'kernelSize', options.kernelSize, 2, POSITIVE, 3),
        stride: perDim(FN, 'stride', options.stride, 2, POSITIVE, 1),
        padding: perDim(FN, 'padding', options.padding, 2, NON_NEGATIVE, 0),
        outputPadding: perDim(FN, 'outputPadding', options.outputPadding, 2, NON_NEGATIVE, 0),
        dilation: perDim(FN, 'dilation', options.dilation, 2, POSITIVE, op === 'dilated' ? 2 : 1),
      };
      checkCells(inputSize[0]! * inputSize[1]!, 'inputSize', inputSize, 'input cells');
      checkCells(p.kernelSize[0]! * p.kernelSize[1]!, 'kernelSize', p.kernelSize, 'kernel cells');
      const input = values('inputValues', options.inputValues, inputSize[0]! * inputSize[1]!, () =>
        defaultInput(1, inputSize[0]!, inputSize[1]!),
      );
      const kernel = values('kernelValues', options.kernelValues, p.kernelSize[0]! * p.kernelSize[1]!, () =>
        defaultKernel(p.kernelSize[0]!, p.kernelSize[1]!),
      );
      return op === 'convTranspose'
        ? transposed(p, input, kernel, options.order ?? 'output')
        : direct(op, p, input, kernel);
    }
    case 'maxUnpool':
      return unpool(options, inputSize);
    case 'nearest':
    case 'bilinear':
    case 'bicubic':
      return resample(op, options, inputSize);
    case 'pixelShuffle':
      return shuffle(options, inputSize);
  }
}

function scaleOf(options: AnimationOptions): number {
  let s = options.scale;
  let name = 'scale';
  if (s === undefined && options.stride !== undefined) {
    if (typeof options.stride !== 'number')
      fail(FN, 'stride', options.stride, `must be one number for '${options.op}' (its scale factor)`);
    s = options.stride;
    name = 'stride';
  }
  s ??= 2;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) fail(FN, name, s, 'must be a positive number');
  if (options.op === 'pixelShuffle' && !Number.isInteger(s))
    fail(FN, name, s, "must be a positive integer for 'pixelShuffle'");
  return s;
}

function formulaArgs(op: FormulaArgs['op'], p: Params, extra: Partial<FormulaArgs> = {}): FormulaArgs[] {
  return [0, 1].map((n) => ({
    op,
    inputSize: p.inputSize[n]!,
    kernelSize: p.kernelSize[n],
    stride: p.stride[n],
    padding: p.padding[n],
    ...(op === 'convTranspose' ? { outputPadding: p.outputPadding[n] } : {}),
    ...(op === 'maxUnpool' ? {} : { dilation: p.dilation[n] }),
    ...extra,
  }));
}

/** conv and dilated conv: the kernel slides over the padded input, one frame per output cell. */
function direct(op: 'conv' | 'dilated', p: Params, input: Float64Array, kernel: Float64Array): Animation {
  // the library's own checks and geometry, on the shapes the animation shows; first the size
  // check of convOutputSize, so that a kernel the padded input cannot hold is refused naming this
  // function's inputSize (with kernelSize and dilation in the rule), not a tensor's shape
  convOutputSizeOf(FN, {
    inputSize: p.inputSize,
    kernelSize: p.kernelSize,
    stride: p.stride,
    padding: p.padding,
    dilation: p.dilation,
  });
  const g = convGeometry(convParams(FN, 2, { stride: p.stride, padding: p.padding, dilation: p.dilation }), {
    input: [1, 1, ...p.inputSize],
    weight: [1, 1, ...p.kernelSize],
  });
  const outputSize = [...g.ySize];
  const [oh, ow] = outputSize as [number, number];
  // without padding a convolution has at most as many outputs as inputs: padding grew them
  checkOutputFrames(outputSize, p.inputSize, { argument: 'padding', value: p.padding });
  // with a stride, the padded input may be far larger than the output: its grid is checked too
  const paddedSize = [0, 1].map((k) => p.inputSize[k]! + g.padBegin[k]! + g.padEnd[k]!);
  checkCells(
    paddedSize[0]! * paddedSize[1]!,
    'padding',
    p.padding,
    `padded input cells (${paddedSize.join('×')})`,
  );
  const [kh, kw] = p.kernelSize as [number, number];
  const rows = paddedAxis(p.inputSize[0]!, 1, g.padBegin[0]!, g.padEnd[0]!, 0);
  const cols = paddedAxis(p.inputSize[1]!, 1, g.padBegin[1]!, g.padEnd[1]!, 0);
  const padded = paddedGrid(
    'main.input',
    `input ${p.inputSize.join('×')}, padding ${p.padding.join('×')}`,
    rows,
    cols,
    input,
    p.inputSize[1]!,
  );
  const grids = [
    padded.grid,
    plainGrid('main.kernel', 'kernel', `kernel ${kh}×${kw}`, kh, kw, kernel),
    plainGrid('main.output', 'output', `output ${oh}×${ow}`, oh, ow, null),
  ];
  const builder = new FrameBuilder(oh * ow, 'sum', 'blank');
  const marks: Mark[][] = [];
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const o = r * ow + c;
      const m: Mark[] = [];
      const cs: Contribution[] = [];
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const qr = r * p.stride[0]! + a * p.dilation[0]!;
          const qc = c * p.stride[1]! + b * p.dilation[1]!;
          const cell = qr * padded.grid.cols + qc;
          const tap = a * kw + b;
          const src = padded.src[cell]!;
          const w = kernel[tap]!;
          if (src >= 0) {
            cs.push({ input: src, tap, output: o, value: input[src]!, weight: w, product: input[src]! * w });
          }
          m.push({ grid: 'main.input', cell, level: src >= 0 ? 'read' : 'window', note: fmt(w) });
          m.push({ grid: 'main.kernel', cell: tap, level: src >= 0 ? 'read' : 'window' });
        }
      }
      m.push({ grid: 'main.output', cell: o, level: 'write' });
      marks.push(m);
      builder.push(cs, sumCaption(`out[${r}, ${c}]`, cs, total(cs), 'the window covers only padding'), [o]);
    }
  }
  const dil = p.dilation.some((d) => d !== 1) ? `, dilation ${p.dilation.join('×')}` : '';
  return {
    op,
    title: op === 'dilated' ? 'Dilated convolution' : 'Convolution',
    order: 'output',
    combine: 'sum',
    channels: 1,
    inputSize: p.inputSize,
    outputSize,
    kernelSize: p.kernelSize,
    stride: p.stride,
    padding: p.padding,
    outputPadding: [0, 0],
    dilation: p.dilation,
    scale: null,
    input,
    kernel,
    indices: null,
    direct: null,
    formula: sizeFormulaLines(formulaArgs('conv', p)),
    views: [
      {
        id: 'main',
        title: op === 'dilated' ? 'dilated convolution' : 'convolution',
        subtitle: `kernel ${kh}×${kw} slides with stride ${p.stride.join('×')} over the input padded by ${p.padding.join('×')}${dil}`,
        grids,
        marks,
      },
    ],
    frames: builder.frames,
  };
}

/** Transposed convolution: the scatter view and the direct view, frame-synchronised. */
function transposed(p: Params, input: Float64Array, kernel: Float64Array, order: FrameOrder): Animation {
  const params = convTransposeParams(FN, 2, {
    stride: p.stride,
    padding: p.padding,
    outputPadding: p.outputPadding,
    dilation: p.dilation,
  });
  const g = convTransposeGeometry(params, { input: [1, 1, ...p.inputSize], weight: [1, 1, ...p.kernelSize] });
  const outputSize = [...g.xSize];
  const dc = asDirectConv(g);
  const [ih, iw] = p.inputSize as [number, number];
  const [oh, ow] = outputSize as [number, number];
  const [kh, kw] = p.kernelSize as [number, number];
  const [sh, sw] = p.stride as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  // the output outgrows the input by the stride's share (s − 1)·(i − 1) and the dilated
  // kernel's d·(k − 1): the larger one, in the larger dimension, is named
  const n = oh >= ow ? 0 : 1;
  const strideShare = (p.stride[n]! - 1) * (p.inputSize[n]! - 1);
  const kernelShare = p.dilation[n]! * (p.kernelSize[n]! - 1);
  const grown =
    strideShare >= kernelShare
      ? { argument: 'stride', value: p.stride }
      : p.dilation[n]! > 1
        ? { argument: 'dilation', value: p.dilation }
        : { argument: 'kernelSize', value: p.kernelSize };
  if (order === 'input') checkFrames(ih * iw, 'input cells', 'inputSize', p.inputSize);
  else {
    const hint = ih * iw <= MAX_FRAMES ? `, or order: 'input' (one frame per input cell, ${ih * iw})` : '';
    checkOutputFrames(outputSize, p.inputSize, grown, hint);
  }
  // the grids, before their arrays are made (one frame per input cell does not bound them)
  checkCells(oh * ow, grown.argument, grown.value, `output cells (${oh}×${ow})`);
  const directSize = [0, 1].map(
    (k) => effectiveKernel(p.inputSize[k]!, p.stride[k]!) + dc.padBegin[k]! + dc.padEnd[k]!,
  );
  checkCells(
    directSize[0]! * directSize[1]!,
    grown.argument,
    grown.value,
    `zero-inserted, padded input cells (${directSize.join('×')})`,
  );

  // direct view: zero-inserted, padded input and the flipped kernel
  const rows = paddedAxis(ih, sh, dc.padBegin[0]!, dc.padEnd[0]!, p.outputPadding[0]!);
  const cols = paddedAxis(iw, sw, dc.padBegin[1]!, dc.padEnd[1]!, p.outputPadding[1]!);
  const L = [rows.length, cols.length];
  const padded = paddedGrid(
    'direct.input',
    `zero-inserted, padded input ${L.join('×')}`,
    rows,
    cols,
    input,
    iw,
  );
  const flipped = new Float64Array(kh * kw);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++) flipped[a * kw + b] = kernel[(kh - 1 - a) * kw + (kw - 1 - b)]!;

  const scatterGrids = [
    plainGrid('scatter.input', 'input', `input ${ih}×${iw}`, ih, iw, input),
    plainGrid('scatter.kernel', 'kernel', `kernel ${kh}×${kw}`, kh, kw, kernel),
    plainGrid('scatter.output', 'output', `output ${oh}×${ow}`, oh, ow, null),
  ];
  const directGrids = [
    padded.grid,
    plainGrid('direct.kernel', 'kernel', `flipped kernel ${kh}×${kw}`, kh, kw, flipped),
    plainGrid('direct.output', 'output', `output ${oh}×${ow}`, oh, ow, null),
  ];

  // every contribution (i, k, o) of the scatter definition, and where the direct view draws it
  const byOutput: Contribution[][] = Array.from({ length: oh * ow }, () => []);
  const byInput: Contribution[][] = Array.from({ length: ih * iw }, () => []);
  const cropped: number[] = new Array<number>(ih * iw).fill(0);
  for (let r = 0; r < ih; r++) {
    for (let c = 0; c < iw; c++) {
      const i = r * iw + c;
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const or = r * sh - g.padBegin[0]! + a * dh;
          const oc = c * sw - g.padBegin[1]! + b * dw;
          if (or < 0 || or >= oh || oc < 0 || oc >= ow) {
            cropped[i]!++;
            continue;
          }
          const tap = a * kw + b;
          const cn: Contribution = {
            input: i,
            tap,
            output: or * ow + oc,
            value: input[i]!,
            weight: kernel[tap]!,
            product: input[i]! * kernel[tap]!,
          };
          byOutput[cn.output]!.push(cn);
          byInput[i]!.push(cn);
        }
      }
    }
  }
  /** the direct grid cell of input i, checked against the grid's own bookkeeping */
  const directCell = (i: number): number => {
    const r = Math.floor(i / iw);
    const c = i % iw;
    const cell = (r * sh + dc.padBegin[0]!) * L[1]! + c * sw + dc.padBegin[1]!;
    if (padded.src[cell] !== i)
      throw new Error(`${FN}: internal error, input ${i} is not at direct cell ${cell}`);
    return cell;
  };
  const flipTap = (tap: number): number => {
    const a = Math.floor(tap / kw);
    const b = tap % kw;
    return (kh - 1 - a) * kw + (kw - 1 - b);
  };
  /** the window of output o in the direct view: cells and flipped taps */
  const windowOf = (o: number): { cell: number; tap: number }[] => {
    const r = Math.floor(o / ow);
    const c = o % ow;
    const out: { cell: number; tap: number }[] = [];
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++) out.push({ cell: (r + a * dh) * L[1]! + c + b * dw, tap: a * kw + b });
    return out;
  };

  const builder = new FrameBuilder(oh * ow, 'sum', order === 'output' ? 'blank' : 'zero');
  const scatterMarks: Mark[][] = [];
  const directMarks: Mark[][] = [];
  if (order === 'output') {
    for (let o = 0; o < oh * ow; o++) {
      const cs = byOutput[o]!;
      const sm: Mark[] = [];
      const dm: Mark[] = [];
      const readCells = new Set(cs.map((cn) => directCell(cn.input)));
      for (const wdw of windowOf(o)) {
        const hit = readCells.has(wdw.cell);
        dm.push({
          grid: 'direct.input',
          cell: wdw.cell,
          level: hit ? 'read' : 'window',
          note: fmt(flipped[wdw.tap]!),
        });
        dm.push({ grid: 'direct.kernel', cell: wdw.tap, level: hit ? 'read' : 'window' });
      }
      for (const cn of cs) {
        sm.push({ grid: 'scatter.input', cell: cn.input, level: 'read', note: fmt(cn.weight) });
        sm.push({ grid: 'scatter.kernel', cell: cn.tap, level: 'read' });
        // the transposition rule, checked: the flipped tap of the output's window meets the input
        if (windowOf(o)[flipTap(cn.tap)]!.cell !== directCell(cn.input)) {
          throw new Error(`${FN}: internal error, contribution ${cn.input} → ${o} is not under its window`);
        }
      }
      sm.push({ grid: 'scatter.output', cell: o, level: 'write' });
      dm.push({ grid: 'direct.output', cell: o, level: 'write' });
      scatterMarks.push(sm);
      directMarks.push(dm);
      const empty =
        p.outputPadding.some((a) => a > 0) && cs.length === 0
          ? 'no input reaches it (the window covers only zeros and output padding)'
          : 'no input reaches it (the window covers only inserted zeros and padding)';
      builder.push(cs, sumCaption(`out${cellName(o, ow)}`, cs, total(cs), empty), [o]);
    }
  } else {
    for (let i = 0; i < ih * iw; i++) {
      const cs = byInput[i]!;
      const sm: Mark[] = [{ grid: 'scatter.input', cell: i, level: 'read' }];
      const dm: Mark[] = [{ grid: 'direct.input', cell: directCell(i), level: 'read' }];
      const used = new Set(cs.map((cn) => cn.tap));
      for (let t = 0; t < kh * kw; t++) {
        sm.push({ grid: 'scatter.kernel', cell: t, level: used.has(t) ? 'read' : 'window' });
        dm.push({ grid: 'direct.kernel', cell: flipTap(t), level: used.has(t) ? 'read' : 'window' });
      }
      const windows = new Set<number>();
      for (const cn of cs) {
        sm.push({ grid: 'scatter.output', cell: cn.output, level: 'write', note: fmt(cn.product) });
        dm.push({ grid: 'direct.output', cell: cn.output, level: 'write', note: fmt(cn.product) });
        for (const wdw of windowOf(cn.output)) windows.add(wdw.cell);
      }
      windows.delete(directCell(i));
      for (const cell of windows) dm.push({ grid: 'direct.input', cell, level: 'window' });
      scatterMarks.push(sm);
      directMarks.push(dm);
      const r = Math.floor(i / iw);
      const c = i % iw;
      const outs = cs.map((cn) => cn.output);
      const rs = outs.map((o) => Math.floor(o / ow));
      const qs = outs.map((o) => o % ow);
      const where = outs.length
        ? `out[${range(Math.min(...rs), Math.max(...rs))}, ${range(Math.min(...qs), Math.max(...qs))}] += ${fmt(input[i]!)}·kernel`
        : 'nothing: every tap falls in the cropped padding';
      const crop =
        cropped[i]! > 0 && outs.length
          ? ` (${cropped[i]} of ${kh * kw} taps fall in the cropped padding)`
          : '';
      builder.push(cs, `in[${r}, ${c}] = ${fmt(input[i]!)}: ${where}${crop}`);
    }
  }

  const s = p.stride;
  const zeros = s.every((v) => v === s[0])
    ? `${s[0]! - 1} zero${s[0] === 2 ? '' : 's'}`
    : `${s.map((v) => v - 1).join('×')} zeros`;
  const padB = dc.padBegin;
  const padE = dc.padEnd;
  const padText = (v: readonly number[]): string => (v.every((x) => x === v[0]) ? `${v[0]}` : v.join('×'));
  const dilNote = p.dilation.some((d) => d !== 1) ? `, dilation ${p.dilation.join('×')}` : '';
  return {
    op: 'convTranspose',
    title: 'Transposed convolution',
    order,
    combine: 'sum',
    channels: 1,
    inputSize: p.inputSize,
    outputSize,
    kernelSize: p.kernelSize,
    stride: p.stride,
    padding: p.padding,
    outputPadding: p.outputPadding,
    dilation: p.dilation,
    scale: null,
    input,
    kernel,
    indices: null,
    direct: { inputDilation: dc.inputDilation, padBegin: padB, padEnd: padE, size: L },
    formula: sizeFormulaLines(formulaArgs('convTranspose', p)),
    views: [
      {
        id: 'scatter',
        title: 'scatter view',
        subtitle: `each input cell stamps value × kernel onto the output at stride ${p.stride.join('×')}, cropped by padding ${p.padding.join('×')}${dilNote}`,
        grids: scatterGrids,
        marks: scatterMarks,
      },
      {
        id: 'direct',
        title: 'direct view',
        subtitle:
          `${zeros} inserted, padding ${p.dilation.every((d) => d === 1) ? 'k − p − 1' : 'd·(k − 1) − p'} = ${padText(padB)}` +
          `${p.outputPadding.some((a) => a > 0) ? ` (+ output padding ${p.outputPadding.join('×')} at the end: ${padText(padE)})` : ''}` +
          `${[...padB, ...padE].some((v) => v < 0) ? ' (negative: cropped)' : ''}, stride 1, flipped kernel${dilNote}`,
        grids: directGrids,
        marks: directMarks,
      },
    ],
    frames: builder.frames,
  };
}

/** maxUnpool: each pooled value goes back to its argmax in the output, one frame per input cell. */
function unpool(options: AnimationOptions, inputSize: number[]): Animation {
  const kernelSize = perDim(FN, 'kernelSize', options.kernelSize, 2, POSITIVE, 2);
  const stride =
    options.stride === undefined ? [...kernelSize] : perDim(FN, 'stride', options.stride, 2, POSITIVE);
  const padding = perDim(FN, 'padding', options.padding, 2, NON_NEGATIVE, 0);
  const p: Params = { inputSize, kernelSize, stride, padding, outputPadding: [0, 0], dilation: [1, 1] };
  const outputSize = inputSize.map((n, k) => {
    const o = unpoolOutputLength(n, kernelSize[k]!, stride[k]!, padding[k]!);
    if (o < 1)
      fail(
        FN,
        'padding',
        options.padding,
        `is too large: output size ${o} in dimension ${k} (it must be at least 1)`,
      );
    return o;
  });
  const [ih, iw] = inputSize as [number, number];
  const [oh, ow] = outputSize as [number, number];
  checkFrames(ih * iw, 'input cells', 'inputSize', inputSize);
  checkCells(
    oh * ow,
    options.stride === undefined ? 'kernelSize' : 'stride',
    options.stride ?? kernelSize,
    `unpooled output cells (${oh}×${ow})`,
  );
  // a sample of the unpooled size, pooled by the library for the values and the indices
  const sample = values('inputValues', options.inputValues, oh * ow, () => {
    const v = new Float64Array(oh * ow);
    for (let r = 0; r < oh; r++)
      for (let c = 0; c < ow; c++) v[r * ow + c] = ((r * 5 + c * 3 + r * c) % 9) + 1;
    return v;
  });
  const pooled = maxPool2d(tensor(sample, [1, oh, ow]), { kernelSize, stride, padding, returnIndices: true });
  if (pooled.output.shape[1] !== ih || pooled.output.shape[2] !== iw) {
    fail(
      FN,
      'inputSize',
      inputSize,
      `cannot be reached: pooling ${oh}×${ow} with these parameters gives ${pooled.output.shape.slice(1).join('×')}`,
    );
  }
  const input = Float64Array.from(pooled.output.data);
  const indices = Int32Array.from(pooled.indices.data);
  const [kh, kw] = kernelSize as [number, number];
  const grids = [
    plainGrid('main.input', 'input', `pooled input ${ih}×${iw}`, ih, iw, input),
    plainGrid('main.indices', 'indices', 'indices (argmax)', ih, iw, indices),
    plainGrid('main.output', 'output', `output ${oh}×${ow}`, oh, ow, null),
  ];
  const builder = new FrameBuilder(oh * ow, 'set', 'zero');
  const marks: Mark[][] = [];
  for (let i = 0; i < ih * iw; i++) {
    const r = Math.floor(i / iw);
    const c = i % iw;
    const r0 = windowStart(r, stride[0]!, padding[0]!);
    const c0 = windowStart(c, stride[1]!, padding[1]!);
    const m: Mark[] = [
      { grid: 'main.input', cell: i, level: 'read' },
      { grid: 'main.indices', cell: i, level: 'read' },
    ];
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const or = r0 + a;
        const oc = c0 + b;
        if (or >= 0 && or < oh && oc >= 0 && oc < ow && or * ow + oc !== indices[i]) {
          m.push({ grid: 'main.output', cell: or * ow + oc, level: 'window' });
        }
      }
    }
    const o = indices[i]!;
    m.push({ grid: 'main.output', cell: o, level: 'write' });
    marks.push(m);
    const cn: Contribution = {
      input: i,
      tap: -1,
      output: o,
      value: input[i]!,
      weight: 1,
      product: input[i]!,
    };
    builder.push(
      [cn],
      `in[${r}, ${c}] = ${fmt(input[i]!)} goes back to index ${o} = out${cellName(o, ow)}, the argmax of its window ` +
        `rows ${range(Math.max(0, r0), Math.min(oh - 1, r0 + kh - 1))}, ` +
        `cols ${range(Math.max(0, c0), Math.min(ow - 1, c0 + kw - 1))}`,
    );
  }
  return {
    op: 'maxUnpool',
    title: 'Max unpooling',
    order: 'input',
    combine: 'set',
    channels: 1,
    inputSize,
    outputSize,
    kernelSize,
    stride,
    padding,
    outputPadding: [0, 0],
    dilation: [1, 1],
    scale: null,
    input,
    kernel: null,
    indices,
    direct: null,
    formula: sizeFormulaLines(formulaArgs('maxUnpool', p)),
    views: [
      {
        id: 'main',
        title: 'max unpooling',
        subtitle: `each value goes to its index in a ${oh}×${ow} output of zeros (window ${kh}×${kw}, stride ${stride.join('×')}, padding ${padding.join('×')})`,
        grids,
        marks,
      },
    ],
    frames: builder.frames,
  };
}

/** The taps of `interpolate` along both dimensions (PyTorch's, alignCorners false). */
function tapsOf(mode: ResampleOp, inputSize: number[], scale: number): [Taps, Taps] {
  const g = interpolateGeometry(interpolateParams(FN, { scaleFactor: scale, mode }), [1, 1, ...inputSize]);
  return [g.forward[1], g.forward[2]];
}

type ResampleOp = 'nearest' | 'bilinear' | 'bicubic';

/** nearest (one frame per input cell: its block), bilinear and bicubic (one frame per output cell). */
function resample(op: ResampleOp, options: AnimationOptions, inputSize: number[]): Animation {
  const scale = scaleOf(options);
  // the scale factor's name as the user gave it
  const scaleArg = options.scale === undefined && options.stride !== undefined ? 'stride' : 'scale';
  const [ih, iw] = inputSize as [number, number];
  checkCells(ih * iw, 'inputSize', inputSize, 'input cells');
  // the output grid, before its taps are made (interpolate's size rule, ⌊i·scale⌋)
  const scaled = inputSize.map((i) => scaledLength(i, scale));
  checkCells(scaled[0]! * scaled[1]!, scaleArg, scale, `output cells (${scaled.join('×')})`);
  const input = values('inputValues', options.inputValues, ih * iw, () => defaultInput(1, ih, iw));
  const [th, tw] = tapsOf(op, inputSize, scale);
  const oh = th.outSize;
  const ow = tw.outSize;
  const outputSize = [oh, ow];
  const grids = [
    plainGrid('main.input', 'input', `input ${ih}×${iw}`, ih, iw, input),
    plainGrid('main.output', 'output', `output ${oh}×${ow}`, oh, ow, null),
  ];
  // all contributions, from the separable taps: out[r, c] = Σ wr·wc·in[ir, ic]
  const byOutput: Contribution[][] = [];
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const cs = new Map<number, Contribution>();
      for (let a = th.start[r]!; a < th.start[r + 1]!; a++) {
        for (let b = tw.start[c]!; b < tw.start[c + 1]!; b++) {
          const i = th.index[a]! * iw + tw.index[b]!;
          const w = th.weight[a]! * tw.weight[b]!;
          const prev = cs.get(i);
          const weight = (prev?.weight ?? 0) + w;
          cs.set(i, {
            input: i,
            tap: -1,
            output: r * ow + c,
            value: input[i]!,
            weight,
            product: input[i]! * weight,
          });
        }
      }
      byOutput.push([...cs.values()].filter((cn) => cn.weight !== 0));
    }
  }
  const marks: Mark[][] = [];
  let builder: FrameBuilder;
  if (op !== 'nearest') {
    checkOutputFrames(outputSize, inputSize, { argument: scaleArg, value: scale });
    builder = new FrameBuilder(oh * ow, 'sum', 'blank');
    byOutput.forEach((cs, o) => {
      const m: Mark[] = cs.map((cn) => ({
        grid: 'main.input',
        cell: cn.input,
        level: 'read',
        note: fmt(cn.weight, 2),
      }));
      m.push({ grid: 'main.output', cell: o, level: 'write' });
      marks.push(m);
      const terms = cs.map((cn) => `${fmt(cn.weight, 4)}·${fmt(cn.value)}`).join(' + ');
      builder.push(cs, `out${cellName(o, ow)} = ${terms} = ${fmt(total(cs))}`, [o]);
    });
  } else {
    checkFrames(ih * iw, 'input cells', 'inputSize', inputSize);
    builder = new FrameBuilder(oh * ow, 'sum', 'blank');
    const byInput: Contribution[][] = Array.from({ length: ih * iw }, () => []);
    for (const cs of byOutput) for (const cn of cs) byInput[cn.input]!.push(cn);
    byInput.forEach((cs, i) => {
      const m: Mark[] = [{ grid: 'main.input', cell: i, level: 'read' }];
      for (const cn of cs) m.push({ grid: 'main.output', cell: cn.output, level: 'write' });
      marks.push(m);
      const rs = cs.map((cn) => Math.floor(cn.output / ow));
      const qs = cs.map((cn) => cn.output % ow);
      const where = cs.length
        ? `copied to out[${range(Math.min(...rs), Math.max(...rs))}, ${range(Math.min(...qs), Math.max(...qs))}]${cs.length !== (Math.max(...rs) - Math.min(...rs) + 1) * (Math.max(...qs) - Math.min(...qs) + 1) ? ` (${cs.length} cells)` : ''}`
        : 'not read by any output cell (scale below 1)';
      builder.push(
        cs,
        `in${cellName(i, iw)} = ${fmt(input[i]!)} ${where}`,
        cs.map((cn) => cn.output),
      );
    });
  }
  const p: Params = {
    inputSize,
    kernelSize: [1, 1],
    stride: [1, 1],
    padding: [0, 0],
    outputPadding: [0, 0],
    dilation: [1, 1],
  };
  return {
    op,
    title: {
      nearest: 'Nearest-neighbour upsampling',
      bilinear: 'Bilinear upsampling',
      bicubic: 'Bicubic upsampling',
    }[op],
    order: op === 'nearest' ? 'input' : 'output',
    combine: 'sum',
    channels: 1,
    inputSize,
    outputSize,
    kernelSize: null,
    stride: [1, 1],
    padding: [0, 0],
    outputPadding: [0, 0],
    dilation: [1, 1],
    scale,
    input,
    kernel: null,
    indices: null,
    direct: null,
    formula: sizeFormulaLines([0, 1].map((n) => ({ op: 'interpolate', inputSize: p.inputSize[n]!, scale }))),
    views: [
      {
        id: 'main',
        title: op,
        subtitle: {
          nearest: `interpolate(mode 'nearest', scaleFactor ${scale}): output cell o copies input ⌊o / ${scale}⌋`,
          bilinear: `interpolate(mode 'bilinear', scaleFactor ${scale}, alignCorners false): x = (o + 0.5)/${scale} − 0.5, weights 1 − λ and λ`,
          bicubic: `interpolate(mode 'bicubic', scaleFactor ${scale}, alignCorners false): x = (o + 0.5)/${scale} − 0.5, 4 × 4 taps with Keys' cubic weights (A = −0.75), edges clamped`,
        }[op],
        grids,
        marks,
      },
    ],
    frames: builder.frames,
  };
}

/** pixelShuffle: the r² channel values at (h, w) fill the r×r output block; one frame per position. */
function shuffle(options: AnimationOptions, inputSize: number[]): Animation {
  const r = scaleOf(options);
  const channels = r * r;
  const [ih, iw] = inputSize as [number, number];
  checkFrames(ih * iw, 'input positions', 'inputSize', inputSize);
  checkCells(
    channels * ih * iw,
    options.scale === undefined && options.stride !== undefined ? 'stride' : 'scale',
    r,
    `input cells (${channels} channels of ${ih}×${iw})`,
  );
  const input = values('inputValues', options.inputValues, channels * ih * iw, () =>
    defaultInput(channels, ih, iw),
  );
  const oh = ih * r;
  const ow = iw * r;
  const grids: AnimationGrid[] = [];
  for (let c = 0; c < channels; c++) {
    grids.push(plainGrid(`main.input.c${c}`, 'input', `channel ${c}`, ih, iw, input, c * ih * iw));
  }
  grids.push(plainGrid('main.output', 'output', `output ${oh}×${ow}`, oh, ow, null));
  const builder = new FrameBuilder(oh * ow, 'set', 'blank');
  const marks: Mark[][] = [];
  for (let h = 0; h < ih; h++) {
    for (let w = 0; w < iw; w++) {
      const cs: Contribution[] = [];
      const m: Mark[] = [];
      for (let a = 0; a < r; a++) {
        for (let b = 0; b < r; b++) {
          const c = a * r + b;
          const i = (c * ih + h) * iw + w;
          const o = (h * r + a) * ow + w * r + b;
          cs.push({ input: i, tap: -1, output: o, value: input[i]!, weight: 1, product: input[i]! });
          m.push({ grid: `main.input.c${c}`, cell: h * iw + w, level: 'read' });
          m.push({ grid: 'main.output', cell: o, level: 'write', note: `c${c}` });
        }
      }
      marks.push(m);
      builder.push(
        cs,
        `position [${h}, ${w}]: channel a·${r} + b goes to out[${h}·${r} + a, ${w}·${r} + b] = out[${range(h * r, h * r + r - 1)}, ${range(w * r, w * r + r - 1)}]`,
      );
    }
  }
  return {
    op: 'pixelShuffle',
    title: 'Pixel shuffle',
    order: 'input',
    combine: 'set',
    channels,
    inputSize,
    outputSize: [oh, ow],
    kernelSize: null,
    stride: [1, 1],
    padding: [0, 0],
    outputPadding: [0, 0],
    dilation: [1, 1],
    scale: r,
    input,
    kernel: null,
    indices: null,
    direct: null,
    formula: sizeFormulaLines(
      [0, 1].map((n) => ({ op: 'pixelShuffle', inputSize: inputSize[n]!, scale: r })),
    ),
    views: [
      {
        id: 'main',
        title: 'pixel shuffle',
        subtitle: `(${channels}, ${ih}, ${iw}) → (1, ${oh}, ${ow}): out[h·r + a, w·r + b] = in[a·r + b, h, w], r = ${r}`,
        grids,
        marks,
      },
    ],
    frames: builder.frames,
  };
}

/** The output plane after the last frame (the op's output). */
export function finalOutput(a: Animation): Float64Array {
  return a.frames[a.frames.length - 1]!.output;
}
