/**
 * The matrix view: an op's matrix and its transpose as heat maps (canvas) with their row and column
 * indices along the edges (kept in view while the matrix scrolls), linked on hover to the cells of
 * the op's input and output grids, which carry their own row and column indices. Hovering row r of
 * a matrix highlights the cell that row computes and the cells it reads, with their weights;
 * hovering a grid cell highlights its row.
 */
import { byId, h, s } from './dom.js';
import { axisLabelStep, colormap } from './lib.js';

type Rgb = readonly [number, number, number];

/** Black or white text, whichever reads better on `c`. */
function textOn(c: Rgb): string {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 150 ? '#1f2933' : '#ffffff';
}

export type SpaceName = 'input' | 'output';

/** A tensor the matrix reads or writes: channels × rows × cols, flattened row-major. */
export interface Space {
  label: string;
  channels: number;
  rows: number;
  cols: number;
}

/** A matrix in compressed sparse rows (the layout of the library's `ConvMatrix`). */
export interface SparseRows {
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  colIndex: Int32Array;
  values: ArrayLike<number>;
}

export interface MatrixPair {
  /** e.g. ['C', 'Cᵀ'] */
  names: [string, string];
  /** what each matrix is, e.g. 'conv2d: rows = output cells' */
  roles: [string, string];
  mats: [SparseRows, SparseRows];
  /** the space that the rows of each matrix index (its columns index the other one) */
  rowSpace: [SpaceName, SpaceName];
  spaces: Record<SpaceName, Space>;
  explain: string;
  /** a line checking the matrix against the op, e.g. 'C·x equals conv2d(x) (largest difference 0)' */
  check: string;
}

/** The transpose of a CSR matrix. */
export function transposeRows(m: SparseRows): SparseRows {
  const count = new Int32Array(m.cols + 1);
  for (let e = 0; e < m.colIndex.length; e++) count[m.colIndex[e]! + 1]!++;
  for (let c = 0; c < m.cols; c++) count[c + 1]! += count[c]!;
  const rowPtr = Int32Array.from(count);
  const fill = Int32Array.from(count);
  const colIndex = new Int32Array(m.colIndex.length);
  const values = new Float64Array(m.colIndex.length);
  for (let r = 0; r < m.rows; r++) {
    for (let e = m.rowPtr[r]!; e < m.rowPtr[r + 1]!; e++) {
      const at = fill[m.colIndex[e]!]!++;
      colIndex[at] = r;
      values[at] = m.values[e]!;
    }
  }
  return { rows: m.cols, cols: m.rows, rowPtr, colIndex, values };
}

/** The matrix of a linear map from its columns: `column(j)` is the map applied to the j-th unit vector. */
export function matrixFromColumns(
  rows: number,
  cols: number,
  column: (j: number) => ArrayLike<number>,
): SparseRows {
  const perRow: { c: number; v: number }[][] = Array.from({ length: rows }, () => []);
  for (let j = 0; j < cols; j++) {
    const col = column(j);
    for (let r = 0; r < rows; r++) if (col[r] !== 0) perRow[r]!.push({ c: j, v: col[r]! });
  }
  const rowPtr = new Int32Array(rows + 1);
  perRow.forEach((es, r) => (rowPtr[r + 1] = rowPtr[r]! + es.length));
  const colIndex = new Int32Array(rowPtr[rows]!);
  const values = new Float64Array(rowPtr[rows]!);
  let e = 0;
  for (const es of perRow) {
    for (const { c, v } of es) {
      colIndex[e] = c;
      values[e++] = v;
    }
  }
  return { rows, cols, rowPtr, colIndex, values };
}

function cellName(space: Space, i: number): string {
  const plane = space.rows * space.cols;
  const c = Math.floor(i / plane);
  const r = Math.floor((i % plane) / space.cols);
  const q = i % space.cols;
  return space.channels > 1 ? `[c${c}, ${r}, ${q}]` : `[${r}, ${q}]`;
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

interface Heat {
  canvas: HTMLCanvasElement;
  box: HTMLElement;
  rowBand: HTMLElement;
  colBand: HTMLElement;
  /** the index labels along the top (columns) and the left (rows) */
  top: HTMLElement;
  left: HTMLElement;
  px: number;
}

/** The largest heat-map side in CSS pixels (bigger matrices scroll). */
const HEAT_SIDE = 400;
/** The smallest side of a linked grid's cell: room for a weight like `0.25` in 10 px text. */
export const MIN_LINKED_CELL = 24;
/** Every `step`-th index from 0 below `n`, `step` the smallest of 1, 2, 5, 10, … that is `room` px apart. */
function labelled(n: number, px: number, room: number): number[] {
  const step = axisLabelStep(px, room);
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

/** Index labels at the centres of `n` cells of `px` pixels, along a heat map or grid edge. */
function axisLabels(axis: HTMLElement, n: number, px: number, along: 'x' | 'y', offset: number): void {
  const digits = String(Math.max(0, n - 1)).length;
  // 10 px tabular digits are about 6 px wide; rows need a line (12 px) each
  const room = along === 'x' ? digits * 6 + 6 : 12;
  const spans = labelled(n, px, room).map((i) => {
    const at = `${offset + (i + 0.5) * px}px`;
    return h('span', { style: along === 'x' ? `left: ${at}` : `top: ${at}` }, String(i));
  });
  axis.replaceChildren(...spans);
  if (along === 'x') axis.style.width = `${n * px + 2 * offset}px`;
  else {
    axis.style.height = `${n * px + 2 * offset}px`;
    axis.style.width = `${digits * 6 + 8}px`;
  }
}

export class MatrixPanel {
  private pair: MatrixPair | null = null;
  private heats: Heat[] = [];
  private cells: Record<SpaceName, SVGRectElement[]> = { input: [], output: [] };
  private noteLayers: Record<SpaceName, SVGGElement[]> = { input: [], output: [] };
  private lit: SVGRectElement[] = [];
  private readonly grids = byId('linked-grids');
  private readonly info = byId('matrix-hover');

  constructor() {
    [0, 1].forEach((m) => {
      const canvas = byId<HTMLCanvasElement>(`m${m}`);
      const scroll = canvas.parentElement!;
      const box = h('div', { class: 'heat' });
      const rowBand = h('div', { class: 'band row-band', hidden: '' });
      const colBand = h('div', { class: 'band col-band', hidden: '' });
      const name = m === 0 ? 'c' : 'ct';
      const top = h('div', {
        class: 'axis axis-top',
        'data-testid': `matrix-${name}-columns`,
        title: 'column index',
      });
      const left = h('div', {
        class: 'axis axis-left',
        'data-testid': `matrix-${name}-rows`,
        title: 'row index',
      });
      scroll.replaceChildren(
        h('div', { class: 'heat-frame' }, h('div', { class: 'axis-corner' }), top, left, box),
      );
      box.append(canvas, rowBand, colBand);
      this.heats.push({ canvas, box, rowBand, colBand, top, left, px: 1 });
      canvas.addEventListener('mousemove', (ev) => {
        const px = this.heats[m]!.px;
        const r = Math.floor(ev.offsetY / px);
        const pair = this.pair;
        if (pair && r >= 0 && r < pair.mats[m]!.rows) this.focus(pair.rowSpace[m]!, r);
      });
      canvas.addEventListener('mouseleave', () => this.unfocus());
    });
  }

  /** Shows a message instead of matrices. */
  clear(message: string): void {
    this.pair = null;
    for (const heat of this.heats) {
      heat.canvas.width = 0;
      heat.canvas.height = 0;
      heat.canvas.style.width = '0';
      heat.canvas.style.height = '0';
      heat.rowBand.hidden = true;
      heat.colBand.hidden = true;
      heat.top.replaceChildren();
      heat.left.replaceChildren();
    }
    ['m0-dims', 'm1-dims', 'm0-role', 'm1-role', 'matrix-scale'].forEach((id) => (byId(id).textContent = ''));
    byId('matrix-explain').textContent = message;
    byId('matrices').hidden = true;
    this.grids.replaceChildren();
    this.info.textContent = '';
  }

  show(pair: MatrixPair): void {
    this.pair = pair;
    byId('matrices').hidden = false;
    byId('matrix-explain').textContent = pair.explain;
    let maxAbs = 0;
    for (let e = 0; e < pair.mats[0].colIndex.length; e++)
      maxAbs = Math.max(maxAbs, Math.abs(pair.mats[0].values[e]!));
    pair.mats.forEach((mat, m) => {
      byId(`m${m}-name`).textContent = pair.names[m]!;
      byId(`m${m}-dims`).textContent = `${mat.rows} × ${mat.cols}`;
      byId(`m${m}-role`).textContent = pair.roles[m]!;
      this.drawHeat(this.heats[m]!, mat, maxAbs);
    });
    const stored = pair.mats[0].colIndex.length;
    const total = pair.mats[0].rows * pair.mats[0].cols;
    byId('matrix-scale').textContent =
      `${stored} stored entries of ${total} (${total ? ((100 * stored) / total).toFixed(1) : 0}%); ` +
      `red = positive weight, blue = negative (darker is larger), white = 0. ${pair.check}`;
    this.drawGrids(pair);
    this.info.textContent = 'Hover a row of a matrix, or a cell of a grid.';
  }

  private drawHeat(heat: Heat, mat: SparseRows, maxAbs: number): void {
    const px = Math.max(1, Math.min(14, Math.floor(HEAT_SIDE / Math.max(mat.rows, mat.cols, 1))));
    heat.px = px;
    const { canvas } = heat;
    const gap = px >= 5 ? 1 : 0;
    // one canvas pixel per entry, scaled up sharp by CSS; with room, cells with a 1-pixel gap
    const scale = gap ? px : 1;
    canvas.width = mat.cols * scale;
    canvas.height = mat.rows * scale;
    canvas.style.width = `${mat.cols * px}px`;
    canvas.style.height = `${mat.rows * px}px`;
    const ctx = canvas.getContext('2d')!;
    const image = ctx.createImageData(canvas.width, canvas.height);
    const data = image.data;
    const paint = (x: number, y: number, c: Rgb): void => {
      const o = (y * canvas.width + x) * 4;
      data[o] = c[0];
      data[o + 1] = c[1];
      data[o + 2] = c[2];
      data[o + 3] = 255;
    };
    data.fill(255); // white
    if (gap) {
      const line: Rgb = [238, 241, 244];
      for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x < canvas.width; x++)
          if (x % scale === scale - 1 || y % scale === scale - 1) paint(x, y, line);
      }
    }
    for (let r = 0; r < mat.rows; r++) {
      for (let e = mat.rowPtr[r]!; e < mat.rowPtr[r + 1]!; e++) {
        const c = mat.colIndex[e]!;
        // the library's diverging map, white at 0: positive weights red, negative blue
        const color = colormap('diverging', 0.5 + mat.values[e]! / (2 * (maxAbs || 1)));
        for (let dy = 0; dy < scale - gap; dy++)
          for (let dx = 0; dx < scale - gap; dx++) paint(c * scale + dx, r * scale + dy, color);
      }
    }
    ctx.putImageData(image, 0, 0);
    heat.rowBand.hidden = true;
    heat.colBand.hidden = true;
    // offset 1: the canvas's border
    axisLabels(heat.top, mat.cols, px, 'x', 1);
    axisLabels(heat.left, mat.rows, px, 'y', 1);
  }

  private drawGrids(pair: MatrixPair): void {
    const figures: HTMLElement[] = [];
    const largest = Math.max(
      pair.spaces.input.cols,
      pair.spaces.output.cols,
      pair.spaces.input.rows,
      pair.spaces.output.rows,
    );
    // cells big enough to show a weight on hover (the grids scroll sideways where they are wider)
    const cell = Math.max(MIN_LINKED_CELL, Math.min(30, Math.floor(200 / largest)));
    for (const name of ['input', 'output'] as const) {
      const sp = pair.spaces[name];
      this.cells[name] = [];
      this.noteLayers[name] = [];
      const planes: HTMLElement[] = [];
      for (let c = 0; c < sp.channels; c++) {
        const w = sp.cols * cell;
        const ht = sp.rows * cell;
        const svg = s('svg', {
          width: w + 2,
          height: ht + 2,
          viewBox: `-1 -1 ${w + 2} ${ht + 2}`,
          class: `linked-grid space-${name}`,
        });
        const rects = s('g');
        const notes = s('g', { class: 'notes', 'font-size': Math.max(7, Math.round(cell * 0.45)) });
        for (let i = 0; i < sp.rows * sp.cols; i++) {
          const flat = c * sp.rows * sp.cols + i;
          const rect = s('rect', {
            x: (i % sp.cols) * cell,
            y: Math.floor(i / sp.cols) * cell,
            width: cell,
            height: cell,
            class: 'mcell',
            'data-index': flat,
          });
          rects.append(rect);
          this.cells[name][flat] = rect;
        }
        // one listener per plane: the hovered cell's flat index is on the rect
        svg.addEventListener('mouseover', (ev) => {
          const index = (ev.target as Element).getAttribute('data-index');
          if (index !== null) this.focus(name, Number(index));
        });
        svg.addEventListener('mouseleave', () => this.unfocus());
        svg.append(rects, notes);
        this.noteLayers[name].push(notes);
        // row indices on the left, column indices on top (offset 1: the svg's margin)
        const top = h('div', { class: 'axis axis-top' });
        const left = h('div', { class: 'axis axis-left' });
        axisLabels(top, sp.cols, cell, 'x', 1);
        axisLabels(left, sp.rows, cell, 'y', 1);
        planes.push(
          h(
            'figure',
            { class: 'plane', 'data-testid': `matrix-grid-${name}` },
            h('figcaption', {}, sp.channels > 1 ? `${sp.label}, channel ${c}` : sp.label),
            h(
              'div',
              { class: 'heat-frame' },
              h('div', { class: 'axis-corner' }),
              top,
              left,
              svg as unknown as Node,
            ),
          ),
        );
      }
      figures.push(h('div', { class: 'space', 'data-space': name }, ...planes));
    }
    this.grids.replaceChildren(...figures);
  }

  /** Highlights row `index` of the matrix whose rows index `space`, its cells and its column in the other. */
  private focus(space: SpaceName, index: number): void {
    const pair = this.pair;
    if (!pair) return;
    this.unfocus();
    const m = pair.rowSpace[0] === space ? 0 : 1;
    const mat = pair.mats[m];
    const other: SpaceName = space === 'input' ? 'output' : 'input';
    const target = this.cells[space][index];
    if (target) {
      target.classList.add('hl-target');
      this.lit.push(target);
    }
    const terms: string[] = [];
    const sp = pair.spaces[other];
    const plane = sp.rows * sp.cols;
    const cell = Number(target?.getAttribute('width') ?? 10);
    for (let e = mat.rowPtr[index]!; e < mat.rowPtr[index + 1]!; e++) {
      const c = mat.colIndex[e]!;
      const v = mat.values[e]!;
      const rect = this.cells[other][c];
      if (rect) {
        rect.classList.add('hl-source');
        this.lit.push(rect);
        const layer = this.noteLayers[other][Math.floor(c / plane)];
        if (layer) {
          const t = s('text', {
            x: Number(rect.getAttribute('x')) + cell / 2,
            y: Number(rect.getAttribute('y')) + cell / 2,
          });
          t.textContent = num(v);
          layer.append(t);
        }
      }
      terms.push(`${num(v)}·${other === 'input' ? 'in' : 'out'}${cellName(sp, c)}`);
    }
    // the row in this matrix, the same column in the other
    const rowHeat = this.heats[m]!;
    rowHeat.rowBand.hidden = false;
    rowHeat.rowBand.style.top = `${index * rowHeat.px}px`;
    rowHeat.rowBand.style.height = `${rowHeat.px}px`;
    rowHeat.rowBand.style.width = `${mat.cols * rowHeat.px}px`;
    const colHeat = this.heats[1 - m]!;
    colHeat.colBand.hidden = false;
    colHeat.colBand.style.left = `${index * colHeat.px}px`;
    colHeat.colBand.style.width = `${colHeat.px}px`;
    colHeat.colBand.style.height = `${mat.cols * colHeat.px}px`;
    const shown = terms.length > 12 ? [...terms.slice(0, 11), `… (${terms.length} terms)`] : terms;
    const lhs = `${space === 'input' ? 'in' : 'out'}${cellName(pair.spaces[space], index)}`;
    this.info.textContent =
      `row ${index} of ${pair.names[m]} (column ${index} of ${pair.names[1 - m]}): ` +
      `${lhs} = ${shown.length ? shown.join(' + ') : '0 (no entries: nothing reaches this cell)'}`;
  }

  private unfocus(): void {
    for (const r of this.lit) r.classList.remove('hl-target', 'hl-source');
    this.lit = [];
    for (const layers of Object.values(this.noteLayers)) for (const l of layers) l.replaceChildren();
    for (const heat of this.heats) {
      heat.rowBand.hidden = true;
      heat.colBand.hidden = true;
    }
  }
}

/** Draws tap counts as a heat map with the numbers in the cells; returns the cell size used. */
export function drawCounts(
  canvas: HTMLCanvasElement,
  counts: ArrayLike<number>,
  rows: number,
  cols: number,
): number {
  const cell = Math.max(4, Math.min(30, Math.floor(420 / Math.max(rows, cols, 1))));
  const ratio = Math.min(2, window.devicePixelRatio || 1);
  canvas.width = cols * cell * ratio;
  canvas.height = rows * cell * ratio;
  canvas.style.width = `${cols * cell}px`;
  canvas.style.height = `${rows * cell}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows * cols; i++) {
    min = Math.min(min, counts[i]!);
    max = Math.max(max, counts[i]!);
  }
  ctx.font = `${Math.round(cell * 0.45)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = counts[r * cols + c]!;
      const color = colormap('viridis', max === min ? 0.5 : (v - min) / (max - min));
      ctx.fillStyle = `rgb(${color[0]}, ${color[1]}, ${color[2]})`;
      ctx.fillRect(c * cell, r * cell, cell - (cell > 8 ? 1 : 0), cell - (cell > 8 ? 1 : 0));
      if (cell >= 16) {
        ctx.fillStyle = textOn(color);
        ctx.fillText(num(v), c * cell + cell / 2, r * cell + cell / 2 + 1);
      }
    }
  }
  return cell;
}
