/**
 * Lays an animation's views out as a scene: per view a title, its grids side by side (input,
 * kernel, output), and below everything the caption of the current frame. Highlights, output
 * values, notes and captions are timed shapes, so the scene renders to an animated SVG, to GIF
 * frames, or to one still frame.
 */
import type { Animation, AnimationGrid, CellKind, MarkLevel } from './animation.js';
import { textWidth } from './font.js';
import { fmtCell } from './format.js';
import { Timeline, wrap, type Scene, type Shape } from './scene.js';
import { THEME } from './theme.js';
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';

/** A size or duration of a picture: a positive finite number (NaN or Infinity has no layout). */
export function checkPositive(fn: string, argument: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    fail(fn, argument, value, 'must be a positive finite number');
}

export interface AnimationSceneOptions {
  /** cell size in pixels; default: 34, smaller for big grids */
  cellSize?: number;
  /** milliseconds per frame, default 800 */
  frameMs?: number;
  /** the last frame is shown this many times longer, default 4 */
  holdLast?: number;
}

/** The keys of AnimationSceneOptions, for the functions that take them with their own. */
export const SCENE_OPTIONS: readonly (keyof AnimationSceneOptions)[] = ['cellSize', 'frameMs', 'holdLast'];

/** The AnimationSceneOptions part of a combined options record. */
export function sceneOptions(options: AnimationSceneOptions): AnimationSceneOptions {
  const { cellSize, frameMs, holdLast } = options;
  return { cellSize, frameMs, holdLast };
}

const KIND_FILL: Record<CellKind, string> = {
  data: THEME.input,
  inserted: THEME.inserted,
  padding: THEME.padding,
  outputPadding: THEME.outputPadding,
};

const LEVEL_FILL: Record<MarkLevel, string> = { window: THEME.window, read: THEME.read, write: THEME.write };
const LEVEL_RANK: Record<MarkLevel, number> = { window: 1, read: 2, write: 3 };

const MARGIN = 16;
const GAP = 28;

interface Placed {
  grid: AnimationGrid;
  x: number;
  y: number;
}

/** Positions of a view's grids: left to right, many input planes (pixelShuffle) in a block. */
function placeView(
  grids: readonly AnimationGrid[],
  cell: number,
  x0: number,
  y0: number,
): { placed: Placed[]; w: number; h: number } {
  const placed: Placed[] = [];
  const inputs = grids.filter((g) => g.role === 'input');
  const labelH = 16;
  let x = x0;
  let h = 0;
  if (inputs.length > 2) {
    const per = Math.ceil(Math.sqrt(inputs.length));
    const gw = inputs[0]!.cols * cell;
    const gh = inputs[0]!.rows * cell + labelH;
    const gap = Math.max(8, cell / 2);
    inputs.forEach((g, n) => {
      placed.push({
        grid: g,
        x: x + (n % per) * (gw + gap),
        y: y0 + labelH + Math.floor(n / per) * (gh + gap),
      });
    });
    const blockW = per * gw + (per - 1) * gap;
    x += Math.max(blockW, ...inputs.map((g) => textWidth(g.label, 11))) + GAP;
    h = Math.ceil(inputs.length / per) * (gh + gap) - gap;
  }
  for (const g of grids) {
    if (inputs.length > 2 && g.role === 'input') continue;
    placed.push({ grid: g, x, y: y0 + labelH });
    x += Math.max(g.cols * cell, textWidth(g.label, 11)) + GAP;
    h = Math.max(h, g.rows * cell + labelH);
  }
  return { placed, w: x - GAP - x0, h };
}

function cellSizeFor(a: Animation): number {
  let widest = 0;
  let tallest = 0;
  for (const v of a.views) {
    widest = Math.max(
      widest,
      v.grids.reduce((s, g) => s + g.cols, 0),
    );
    tallest += Math.max(...v.grids.map((g) => g.rows));
  }
  return Math.max(
    14,
    Math.min(34, Math.floor(1100 / Math.max(widest, 1)), Math.floor(900 / Math.max(tallest, 1))),
  );
}

/**
 * The scene of an animation: still parts drawn once, highlights and values timed per frame.
 * Options: `cellSize`, `frameMs`, `holdLast`, positive finite numbers; null is none, another key
 * is refused with a `DeconvError` naming it.
 *
 * @example
 *   import { buildAnimation, animationScene, sceneToSvg } from 'deconv';
 *   const scene = animationScene(buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 }));
 *   const svg = sceneToSvg(scene); // '<svg …>' with one SMIL-animated frame every 800 ms
 */
export function animationScene(a: Animation, options: AnimationSceneOptions = {}): Scene {
  const fn = 'animationScene';
  // null options are none, as everywhere; unknown keys are refused, as everywhere
  return sceneOf(fn, a, checkOptions<AnimationSceneOptions>(fn, options, SCENE_OPTIONS));
}

/** animationScene for `fn` (animationToSvg, animationToGif): its options' keys already checked. */
export function sceneOf(fn: string, a: Animation, options: AnimationSceneOptions): Scene {
  const cell = options.cellSize ?? cellSizeFor(a);
  const frameMs = options.frameMs ?? 800;
  const hold = options.holdLast ?? 4;
  checkPositive(fn, 'cellSize', cell);
  checkPositive(fn, 'frameMs', frameMs);
  checkPositive(fn, 'holdLast', hold);
  const n = a.frames.length;
  const base: Shape[] = [];
  const values: Shape[] = [];
  let y = MARGIN;

  const params = [
    `input ${a.inputSize.join('×')}`,
    a.kernelSize ? `${a.op === 'maxUnpool' ? 'window' : 'kernel'} ${a.kernelSize.join('×')}` : '',
    a.kernelSize ? `stride ${a.stride.join('×')}` : '',
    a.kernelSize ? `padding ${a.padding.join('×')}` : '',
    a.outputPadding.some((v) => v > 0) ? `output padding ${a.outputPadding.join('×')}` : '',
    a.dilation.some((v) => v > 1) ? `dilation ${a.dilation.join('×')}` : '',
    a.scale !== null ? `scale ${a.scale}` : '',
    `output ${a.outputSize.join('×')}`,
  ].filter(Boolean);
  const title = `${a.title}: ${params.join(', ')}`;
  base.push({ kind: 'text', x: MARGIN, y: y + 9, text: title, size: 16, fill: THEME.text, bold: true });
  y += 26;
  for (const line of a.formula) {
    base.push({ kind: 'text', x: MARGIN, y: y + 7, text: line, size: 13, fill: THEME.text });
    y += 20;
  }
  y += 6;

  const placedAll: Placed[] = [];
  let width = Math.max(textWidth(title, 16), ...a.formula.map((l) => textWidth(l, 13)));
  for (const view of a.views) {
    if (a.views.length > 1) {
      base.push({
        kind: 'text',
        x: MARGIN,
        y: y + 7,
        text: view.title,
        size: 13,
        fill: THEME.text,
        bold: true,
      });
      y += 18;
    }
    base.push({ kind: 'text', x: MARGIN, y: y + 6, text: view.subtitle, size: 12, fill: THEME.muted });
    width = Math.max(width, textWidth(view.subtitle, 12), textWidth(view.title, 13));
    y += 22;
    const { placed, w, h } = placeView(view.grids, cell, MARGIN, y);
    placedAll.push(...placed);
    width = Math.max(width, w);
    y += h + 22;
  }

  // still grids: labels, cells by kind, static values
  const at = new Map<string, Placed>();
  const valueSize = Math.max(9, Math.round(cell * 0.4));
  for (const p of placedAll) {
    at.set(p.grid.id, p);
    const g = p.grid;
    base.push({ kind: 'text', x: p.x, y: p.y - 9, text: g.label, size: 11, fill: THEME.muted });
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const i = r * g.cols + c;
        const kind = g.kinds[i]!;
        const fill =
          g.role === 'kernel'
            ? THEME.kernel
            : g.role === 'indices'
              ? THEME.indices
              : g.role === 'output'
                ? THEME.output
                : KIND_FILL[kind];
        base.push({
          kind: 'rect',
          x: p.x + c * cell,
          y: p.y + r * cell,
          w: cell,
          h: cell,
          fill,
          stroke: kind === 'data' ? THEME.gridLine : THEME.faintLine,
          dashed: kind !== 'data',
          data: { grid: g.id, cell: i },
        });
        const v = g.values[i];
        if (v !== null && v !== undefined && !g.dynamic) {
          values.push({
            kind: 'text',
            x: p.x + (c + 0.5) * cell,
            y: p.y + (r + 0.5) * cell,
            text: fmtCell(v),
            size: valueSize,
            fill: kind === 'inserted' ? THEME.muted : THEME.text,
            anchor: 'middle',
          });
        }
      }
    }
  }

  // timed layers: finished outputs, highlights, output values, notes, caption
  const done = new Timeline();
  const marks = new Timeline();
  const outs = new Timeline();
  const notes = new Timeline();
  const captions = new Timeline();
  const captionChars = Math.max(40, Math.floor(Math.max(width, 480) / textWidth('x', 13)));
  const noteSize = Math.max(8, Math.round(cell * 0.28));
  const lines = a.frames.map((f) => wrap(f.caption, captionChars));
  const captionLines = Math.max(1, ...lines.map((l) => l.length));
  const captionY = y;
  for (let t = 0; t < n; t++) {
    for (const tl of [done, marks, outs, notes, captions]) tl.next();
    const frame = a.frames[t]!;
    for (const p of placedAll) {
      if (!p.grid.dynamic) continue;
      const g = p.grid;
      for (let i = 0; i < g.rows * g.cols; i++) {
        const v = frame.output[i]!;
        if (Number.isNaN(v)) continue;
        const x = p.x + (i % g.cols) * cell;
        const yy = p.y + Math.floor(i / g.cols) * cell;
        done.add({ kind: 'rect', x, y: yy, w: cell, h: cell, fill: THEME.done, stroke: THEME.gridLine });
        outs.add({
          kind: 'text',
          x: x + cell / 2,
          y: yy + cell / 2,
          text: fmtCell(v),
          size: valueSize,
          fill: THEME.text,
          anchor: 'middle',
        });
      }
    }
    for (const view of a.views) {
      const best = new Map<string, { level: MarkLevel; note?: string }>();
      for (const m of view.marks[t]!) {
        const key = `${m.grid}#${m.cell}`;
        const prev = best.get(key);
        if (!prev || LEVEL_RANK[m.level] > LEVEL_RANK[prev.level])
          best.set(key, { level: m.level, note: m.note ?? prev?.note });
        else if (m.note && !prev.note) prev.note = m.note;
      }
      for (const [key, m] of best) {
        const [gridId, cellIndex] = key.split('#') as [string, string];
        const p = at.get(gridId);
        if (!p) continue;
        const i = Number(cellIndex);
        const x = p.x + (i % p.grid.cols) * cell;
        const yy = p.y + Math.floor(i / p.grid.cols) * cell;
        marks.add({
          kind: 'rect',
          x,
          y: yy,
          w: cell,
          h: cell,
          fill: LEVEL_FILL[m.level],
          stroke: m.level === 'window' ? THEME.gridLine : THEME.text,
          strokeWidth: m.level === 'window' ? 1 : 2,
        });
        if (m.note) {
          notes.add({
            kind: 'text',
            x: x + cell - 2,
            y: yy + cell - noteSize / 2 - 1,
            text: m.note,
            size: noteSize,
            fill: THEME.note,
            anchor: 'end',
          });
        }
      }
    }
    lines[t]!.forEach((line, k) => {
      captions.add(
        { kind: 'text', x: MARGIN, y: captionY + 8 + k * 18, text: line, size: 13, fill: THEME.text },
        `${k}:${line}`,
      );
    });
    const counter = `frame ${t + 1}/${n}`;
    captions.add({
      kind: 'text',
      x: MARGIN + width,
      y: captionY + 8 + captionLines * 18,
      text: counter,
      size: 11,
      fill: THEME.muted,
      anchor: 'end',
    });
  }
  const height = captionY + captionLines * 18 + 24 + MARGIN;
  const ms = Array.from({ length: n }, (_, t) => (t === n - 1 ? frameMs * hold : frameMs));
  return {
    width: Math.ceil(width + 2 * MARGIN),
    height: Math.ceil(height),
    background: THEME.background,
    frameCount: n,
    frameMs: ms,
    shapes: [
      ...base,
      ...done.finish(),
      ...marks.finish(),
      ...values,
      ...outs.finish(),
      ...notes.finish(),
      ...captions.finish(),
    ],
    title,
  };
}
