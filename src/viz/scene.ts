/**
 * A scene: the drawing primitives of a picture (rectangles, text, lines, raster images), some of
 * them shown only during a range of frames. One scene is written as an animated SVG (`svg.ts`),
 * rasterised to RGBA frames (`raster.ts`) and encoded as a GIF (`gif.ts`), so the three outputs
 * show the same picture. Colours are `#rrggbb` or `#rgb`, or `'none'` for no paint; text is
 * positioned by its vertical centre.
 */

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, row-major RGBA */
  readonly data: Uint8ClampedArray;
}

/** Frames `[first, end)` during which a shape is shown; absent: always. */
export type FrameRange = readonly [number, number];

interface Timed {
  frames?: FrameRange;
  /** `data-*` attributes for the SVG (e.g. grid and cell of a grid cell, for hover links) */
  data?: Readonly<Record<string, string | number>>;
}

export interface RectShape extends Timed {
  kind: 'rect';
  x: number;
  y: number;
  w: number;
  h: number;
  fill?: string;
  stroke?: string;
  strokeWidth?: number;
  dashed?: boolean;
}

export interface TextShape extends Timed {
  kind: 'text';
  /** anchor point: `x` per `anchor`, `y` the vertical centre */
  x: number;
  y: number;
  text: string;
  size: number;
  fill: string;
  anchor?: 'start' | 'middle' | 'end';
  bold?: boolean;
}

export interface LineShape extends Timed {
  kind: 'line';
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  stroke: string;
  width?: number;
}

/** A raster image scaled (nearest neighbour) to `w × h` at `(x, y)`, e.g. a heat map. */
export interface ImageShape extends Timed {
  kind: 'image';
  x: number;
  y: number;
  w: number;
  h: number;
  image: RgbaImage;
}

export type Shape = RectShape | TextShape | LineShape | ImageShape;

export interface Scene {
  readonly width: number;
  readonly height: number;
  readonly background: string;
  /** 1 for a still picture */
  readonly frameCount: number;
  /** how long each frame is shown, in milliseconds (length `frameCount`) */
  readonly frameMs: readonly number[];
  /** drawn in order: later shapes cover earlier ones */
  readonly shapes: readonly Shape[];
  readonly title?: string;
}

/** Whether a shape is shown in frame `t`. */
export function visibleAt(shape: Shape, t: number): boolean {
  return !shape.frames || (t >= shape.frames[0] && t < shape.frames[1]);
}

/**
 * Collects per-frame shapes into shapes with frame ranges: a shape that is the same (same key)
 * in consecutive frames becomes one shape with one range, so an animation of N frames does not
 * repeat every unchanged highlight N times.
 */
export class Timeline {
  private readonly open = new Map<string, { start: number; shape: Shape }>();
  private readonly done: Shape[] = [];
  private frame = -1;
  private seen = new Set<string>();

  /** Starts frame `t` (0, 1, 2, … in order). */
  next(): void {
    this.close(false);
    this.frame++;
    this.seen = new Set();
  }

  /** Adds a shape to the current frame; `key` identifies it across frames (defaults to its JSON). */
  add(shape: Shape, key: string = JSON.stringify(shape)): void {
    this.seen.add(key);
    if (!this.open.has(key)) this.open.set(key, { start: this.frame, shape });
  }

  private close(all: boolean): void {
    // a shape not seen in the current frame ended with the frame before it; at the end (all), a
    // shape seen in the last frame lasts through it
    for (const [key, v] of this.open) {
      const seen = this.seen.has(key);
      if (all || !seen) {
        this.done.push({ ...v.shape, frames: [v.start, this.frame + (seen ? 1 : 0)] });
        this.open.delete(key);
      }
    }
  }

  /** Ends the last frame; returns the shapes in order of their first frame. */
  finish(): Shape[] {
    this.close(true);
    return this.done.sort((a, b) => a.frames![0] - b.frames![0]);
  }
}

/** Greedy word wrap of `text` to lines of at most `chars` characters. */
export function wrap(text: string, chars: number): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > chars) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}
