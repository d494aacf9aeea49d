/**
 * The matrix view of a 2-d convolution: C (one row per output cell, one column per input cell)
 * and Cᵀ, the matrix of the transposed convolution, as heat maps; one row of C highlighted with
 * its input cells and its output cell on the grids; and C as text for small matrices.
 *
 * Reference: Dumoulin & Visin (2016), section 4.1 "Convolution as a matrix operation",
 * https://arxiv.org/abs/1603.07285. The matrix itself is `convMatrix` (src/matrix/convMatrix.ts).
 */
import { fail } from '../errors.js';
import { checkOptions, perDim, POSITIVE, NON_NEGATIVE } from '../geometry/args.js';
import { convOutputSizeOf } from '../geometry/conv.js';
import { convMatrix, type ConvMatrix } from '../matrix/convMatrix.js';
import { tensor } from '../tensor.js';
import { textWidth } from './font.js';
import { fmt, fmtCell } from './format.js';
import { colormapHex, heatmap, heatmapRange } from './heatmap.js';
import type { Scene, Shape } from './scene.js';
import { THEME } from './theme.js';
import { axisLabelStep } from './ticks.js';

export interface MatrixViewOptions {
  inputSize: number | readonly number[];
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  /** the highlighted row of C (an output cell, row-major); default: the middle one */
  row?: number;
  /** kernel values, row-major (default: small integers 1–3 as in the animations) */
  kernelValues?: ArrayLike<number>;
}

export interface MatrixView {
  readonly inputSize: readonly number[];
  readonly outputSize: readonly number[];
  readonly kernelSize: readonly number[];
  readonly kernel: Float64Array;
  /** C: rows = output cells, cols = input cells */
  readonly matrix: ConvMatrix;
  /** C as a dense row-major array (rows × cols) */
  readonly dense: Float64Array;
  readonly row: number;
  /** the input cells (columns) of the highlighted row with their weights */
  readonly rowEntries: readonly { col: number; value: number }[];
}

const FN = 'matrixView';

/** Cells of C (rows · cols) up to which `matrixView` builds the dense picture. */
export const MAX_MATRIX_PICTURE = 2 ** 20;

/**
 * C for a one-channel 2-d convolution of the given sizes, and the highlighted row. The sizes are
 * checked as `convOutputSize` checks them, under this function's name (a kernel larger than the
 * padded input names `inputSize[k]`); another option key is refused with a `DeconvError`.
 *
 * @example
 *   import { matrixView } from 'deconv';
 *   const v = matrixView({ inputSize: 4, kernelSize: 3 });
 *   [v.matrix.rows, v.matrix.cols]; // [4, 16]
 */
export function matrixView(options: MatrixViewOptions): MatrixView {
  if (options === null || typeof options !== 'object') fail(FN, 'options', options, 'must be an object');
  checkOptions(FN, options, [
    'inputSize',
    'kernelSize',
    'stride',
    'padding',
    'dilation',
    'row',
    'kernelValues',
  ]);
  const inputSize = perDim(FN, 'inputSize', options.inputSize, 2, POSITIVE);
  const kernelSize = perDim(FN, 'kernelSize', options.kernelSize, 2, POSITIVE);
  const stride = perDim(FN, 'stride', options.stride, 2, POSITIVE, 1);
  const padding = perDim(FN, 'padding', options.padding, 2, NON_NEGATIVE, 0);
  const dilation = perDim(FN, 'dilation', options.dilation, 2, POSITIVE, 1);
  // the library's size check, naming matrixView and its own inputSize (kernelSize, dilation in the rule)
  const outputSize = convOutputSizeOf(FN, { inputSize, kernelSize, stride, padding, dilation });
  const rows = outputSize[0]! * outputSize[1]!;
  const cols = inputSize[0]! * inputSize[1]!;
  if (rows * cols > MAX_MATRIX_PICTURE) {
    fail(
      FN,
      'inputSize',
      inputSize,
      `gives a ${rows} × ${cols} matrix, more than the ${MAX_MATRIX_PICTURE} cells a picture shows`,
    );
  }
  const n = kernelSize[0]! * kernelSize[1]!;
  const kernel = new Float64Array(n);
  if (options.kernelValues === undefined) {
    for (let r = 0; r < kernelSize[0]!; r++) {
      for (let c = 0; c < kernelSize[1]!; c++) kernel[r * kernelSize[1]! + c] = ((c + 2 * r) % 3) + 1;
    }
  } else {
    const given: unknown = options.kernelValues;
    if (
      given === null ||
      typeof given !== 'object' ||
      typeof (given as ArrayLike<number>).length !== 'number'
    )
      fail(FN, 'kernelValues', given, `must be an array of ${n} numbers`);
    if (options.kernelValues.length !== n)
      fail(FN, 'kernelValues.length', options.kernelValues.length, `must be ${n}`);
    for (let i = 0; i < n; i++) {
      const v = options.kernelValues[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        fail(FN, `kernelValues[${i}]`, v, 'must be a finite number');
      kernel[i] = v;
    }
  }
  const row = options.row ?? Math.floor(rows / 2);
  if (!Number.isInteger(row) || row < 0 || row >= rows)
    fail(FN, 'row', row, `must be an integer from 0 to ${rows - 1} (an output cell)`);
  const matrix = convMatrix([1, ...inputSize], tensor(kernel, [1, 1, ...kernelSize]), {
    stride,
    padding,
    dilation,
  });
  const dense = Float64Array.from(matrix.toDense().data);
  const rowEntries = matrix.rowEntries(row).map((e) => ({ col: e.col, value: e.value }));
  return { inputSize, outputSize, kernelSize, kernel, matrix, dense, row, rowEntries };
}

/** C as text: one line per row, blank-padded columns, '.' for structural zeros. */
export function matrixText(v: MatrixView, transposed = false): string {
  const { rows, cols } = v.matrix;
  const [R, Q] = transposed ? [cols, rows] : [rows, cols];
  const at = (r: number, c: number): number => (transposed ? v.dense[c * cols + r]! : v.dense[r * cols + c]!);
  let w = 1;
  for (let r = 0; r < R; r++) for (let c = 0; c < Q; c++) w = Math.max(w, fmt(at(r, c), 2).length);
  const lines: string[] = [];
  for (let r = 0; r < R; r++) {
    const cells: string[] = [];
    for (let c = 0; c < Q; c++) cells.push((at(r, c) === 0 ? '.' : fmt(at(r, c), 2)).padStart(w));
    const mark = !transposed && r === v.row ? '  ← row ' + r : '';
    lines.push(`${String(r).padStart(String(R - 1).length)} | ${cells.join(' ')}${mark}`);
  }
  return lines.join('\n');
}

/**
 * The matrix view as a picture: the input grid with the highlighted row's cells and weights, the
 * output grid with its cell, C with that row outlined, and Cᵀ with that column outlined.
 *
 * @example
 *   import { matrixView, matrixScene, sceneToSvg } from 'deconv';
 *   const svg = sceneToSvg(matrixScene(matrixView({ inputSize: 4, kernelSize: 3, row: 1 })));
 */
export function matrixScene(v: MatrixView): Scene {
  const { rows, cols } = v.matrix;
  const [ih, iw] = v.inputSize as [number, number];
  const [oh, ow] = v.outputSize as [number, number];
  const m = 16;
  const shapes: Shape[] = [];
  const title = `Convolution as a matrix: input ${ih}×${iw}, kernel ${v.kernelSize.join('×')}, output ${oh}×${ow}; C is ${rows}×${cols}, Cᵀ is ${cols}×${rows}`;
  shapes.push({ kind: 'text', x: m, y: m + 8, text: title, size: 14, fill: THEME.text, bold: true });
  let y = m + 30;
  const g = Math.max(10, Math.min(28, Math.floor(260 / Math.max(ih, iw, oh, ow))));
  const rowCells = new Map(v.rowEntries.map((e) => [e.col, e.value]));
  const grid = (
    x0: number,
    label: string,
    R: number,
    Q: number,
    fill: (i: number) => string,
    text: (i: number) => string,
    kind: string,
  ): number => {
    shapes.push({ kind: 'text', x: x0, y: y + 6, text: label, size: 11, fill: THEME.muted });
    for (let i = 0; i < R * Q; i++) {
      const x = x0 + (i % Q) * g;
      const yy = y + 16 + Math.floor(i / Q) * g;
      shapes.push({
        kind: 'rect',
        x,
        y: yy,
        w: g,
        h: g,
        fill: fill(i),
        stroke: THEME.gridLine,
        data: { grid: kind, cell: i },
      });
      const t = text(i);
      if (t && g >= 14)
        shapes.push({
          kind: 'text',
          x: x + g / 2,
          y: yy + g / 2,
          text: t,
          size: Math.round(g * 0.4),
          fill: THEME.text,
          anchor: 'middle',
        });
      const w = kind === 'input' ? rowCells.get(i) : undefined;
      if (w !== undefined && g >= 14) {
        const size = Math.max(9, Math.round(g * 0.28));
        shapes.push({
          kind: 'text',
          x: x + g - 2,
          y: yy + g - size / 2 - 1,
          text: fmtCell(w),
          size,
          fill: THEME.note,
          anchor: 'end',
        });
      }
    }
    return x0 + Math.max(Q * g, textWidth(label, 11)) + 28;
  };
  const kx = grid(
    m,
    `input ${ih}×${iw} (columns of C)`,
    ih,
    iw,
    (i) => (rowCells.has(i) ? THEME.read : THEME.input),
    (i) => String(i),
    'input',
  );
  const kx2 = grid(
    kx,
    `kernel ${v.kernelSize.join('×')}`,
    v.kernelSize[0]!,
    v.kernelSize[1]!,
    () => THEME.kernel,
    (i) => fmtCell(v.kernel[i]!),
    'kernel',
  );
  const endX = grid(
    kx2,
    `output ${oh}×${ow} (rows of C)`,
    oh,
    ow,
    (i) => (i === v.row ? THEME.write : THEME.output),
    (i) => String(i),
    'output',
  );
  y += 16 + Math.max(ih, oh, v.kernelSize[0]!) * g + 14;
  const terms = v.rowEntries.map((e) => `${fmt(e.value, 2)}·x[${e.col}]`).join(' + ');
  const rowText = `row ${v.row} of C = output [${Math.floor(v.row / ow)}, ${v.row % ow}]: y[${v.row}] = ${terms || '0'}`;
  shapes.push({ kind: 'text', x: m, y, text: rowText, size: 12, fill: THEME.text });
  y += 22;

  // the two matrices, with their row indices on the left and column indices on top
  const cell = Math.max(1, Math.min(22, Math.floor(520 / Math.max(cols, rows))));
  // a value in a cell only where it can be read (9 px text; a raster of smaller text is noise)
  const valueSize = Math.round(cell * 0.45);
  const axisSize = 9;
  /** every `step`-th index (1, 2, 5, 10, 20, …) so that labels `room` px apart do not touch */
  const axisStep = (room: number): number => axisLabelStep(cell, room);
  const [lo, hi] = heatmapRange(v.dense, { colormap: 'diverging' });
  const drawMatrix = (
    x0: number,
    label: string,
    R: number,
    Q: number,
    at: (r: number, c: number) => number,
    outline: 'row' | 'col',
  ): { bottom: number; right: number } => {
    shapes.push({ kind: 'text', x: x0, y: y + 6, text: label, size: 12, fill: THEME.text, bold: true });
    const rowLabelW = textWidth(String(R - 1), axisSize) + 4;
    const top = y + 18 + axisSize + 4;
    x0 += rowLabelW;
    const colStep = axisStep(textWidth(String(Q - 1), axisSize) + 4);
    for (let c = 0; c < Q; c += colStep)
      shapes.push({
        kind: 'text',
        x: x0 + (c + 0.5) * cell,
        y: top - axisSize / 2 - 2,
        text: String(c),
        size: axisSize,
        fill: THEME.muted,
        anchor: 'middle',
      });
    const rowStep = axisStep(axisSize + 2);
    for (let r = 0; r < R; r += rowStep)
      shapes.push({
        kind: 'text',
        x: x0 - 3,
        y: top + (r + 0.5) * cell,
        text: String(r),
        size: axisSize,
        fill: THEME.muted,
        anchor: 'end',
      });
    const values = new Float64Array(R * Q);
    for (let r = 0; r < R; r++) for (let c = 0; c < Q; c++) values[r * Q + c] = at(r, c);
    shapes.push({
      kind: 'image',
      x: x0,
      y: top,
      w: Q * cell,
      h: R * cell,
      image: heatmap(values, R, Q, { colormap: 'diverging', min: lo, max: hi }),
    });
    if (cell >= 6) {
      for (let r = 0; r <= R; r++)
        shapes.push({
          kind: 'line',
          x1: x0,
          y1: top + r * cell,
          x2: x0 + Q * cell,
          y2: top + r * cell,
          stroke: '#e3e7eb',
        });
      for (let c = 0; c <= Q; c++)
        shapes.push({
          kind: 'line',
          x1: x0 + c * cell,
          y1: top,
          x2: x0 + c * cell,
          y2: top + R * cell,
          stroke: '#e3e7eb',
        });
    }
    if (valueSize >= 9) {
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < Q; c++) {
          const val = at(r, c);
          if (val !== 0) {
            shapes.push({
              kind: 'text',
              x: x0 + (c + 0.5) * cell,
              y: top + (r + 0.5) * cell,
              text: fmtCell(val),
              size: valueSize,
              fill: THEME.text,
              anchor: 'middle',
            });
          }
        }
      }
    }
    const o =
      outline === 'row'
        ? { x: x0 - 1, y: top + v.row * cell - 1, w: Q * cell + 2, h: cell + 2 }
        : { x: x0 + v.row * cell - 1, y: top - 1, w: cell + 2, h: R * cell + 2 };
    shapes.push({ kind: 'rect', ...o, stroke: THEME.highlight, strokeWidth: 2 });
    return { bottom: top + R * cell, right: x0 + Q * cell };
  };
  // side by side: C, then Cᵀ to its right
  const top = y;
  const cLabel = `C (${rows}×${cols}): conv(x) = C·x`;
  const tLabel = `Cᵀ (${cols}×${rows}): convTranspose(y) = Cᵀ·y`;
  const cEnd = drawMatrix(m, cLabel, rows, cols, (r, c) => v.dense[r * cols + c]!, 'row');
  const tx = Math.max(cEnd.right, m + textWidth(cLabel, 12)) + 32;
  y = top;
  const tEnd = drawMatrix(tx, tLabel, cols, rows, (r, c) => v.dense[c * cols + r]!, 'col');
  y = Math.max(cEnd.bottom, tEnd.bottom) + 20;
  // legend
  const legend = [lo, 0, hi];
  legend.forEach((val, i) => {
    shapes.push({
      kind: 'rect',
      x: m + i * 70,
      y,
      w: 14,
      h: 14,
      fill: colormapHex('diverging', (val - lo) / (hi - lo || 1)),
      stroke: THEME.gridLine,
    });
    shapes.push({
      kind: 'text',
      x: m + i * 70 + 20,
      y: y + 7,
      text: fmt(val, 2),
      size: 11,
      fill: THEME.text,
    });
  });
  y += 30;
  const width =
    Math.max(
      endX,
      Math.max(tEnd.right, tx + textWidth(tLabel, 12)),
      textWidth(title, 14) + m,
      textWidth(rowText, 12) + m,
    ) + m;
  return {
    width: Math.ceil(width),
    height: Math.ceil(y),
    background: THEME.background,
    frameCount: 1,
    frameMs: [1000],
    shapes,
    title,
  };
}
