/**
 * Rasterises a scene frame to RGBA: axis-aligned rectangles, 1-pixel-grid lines, nearest-neighbour
 * image blits and text in DejaVu Sans (font.ts). No anti-aliasing (a text pixel is ink when at
 * least half of its 16 samples are inside the glyph), so a picture uses few colours and encodes
 * exactly into a GIF palette. A hyphen before a digit is drawn as a minus sign. Text whose colour
 * is too close to what it is drawn on (contrast below 3 : 1, WCAG's measure) is drawn in black or
 * white instead, whichever reads better.
 */
import { fail } from '../errors.js';
import { MAX_ELEMENTS } from '../tensor.js';
import { baselineOffset, glyphBitmap, textWidth } from './font.js';
import { visibleAt, type RgbaImage, type Scene, type Shape } from './scene.js';

const colors = new Map<string, readonly [number, number, number]>();
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const COLOR_RULE = "must be a colour '#rrggbb' or '#rgb' (hexadecimal)";

/** `#rrggbb` or `#rgb` → [r, g, b] (cached), or null for any other value. */
function hexColor(color: unknown): readonly [number, number, number] | null {
  if (typeof color !== 'string') return null;
  let c = colors.get(color);
  if (c) return c;
  if (!HEX_COLOR.test(color)) return null;
  let hex = color.slice(1);
  if (hex.length === 3) hex = [...hex].map((h) => h + h).join('');
  const v = Number.parseInt(hex, 16);
  c = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  colors.set(color, c);
  return c;
}

/**
 * `#rrggbb` (or `#rgb`, either case) → [r, g, b]. Anything else — a colour name, `'#ggg'`, a
 * non-string — is refused with a `DeconvError` naming `color` (it used to become magenta).
 * Scenes may also say `'none'` (no paint, as in SVG); that is not a colour, and `rasterize`
 * handles it itself.
 *
 * @example
 *   import { parseColor } from 'deconv';
 *   parseColor('#1f2933'); // [31, 41, 51]
 *   parseColor('#fff');    // [255, 255, 255]
 */
export function parseColor(color: string): [number, number, number] {
  const c = hexColor(color);
  if (!c) fail('parseColor', 'color', color, COLOR_RULE);
  return [c[0], c[1], c[2]];
}

/**
 * A scene's paint (a fill, a stroke or the background): a colour, or `'none'` for no paint (null),
 * as SVG reads it. `optional`: also absent (undefined), as a rect's fill and stroke may be.
 * Anything else is a DeconvError naming `path`.
 */
function paintOf(fn: string, path: string, color: unknown, optional: boolean): readonly number[] | null {
  if (color === 'none' || (optional && color === undefined)) return null;
  const c = hexColor(color);
  if (!c) fail(fn, path, color, `${COLOR_RULE} or 'none'${optional ? ' (or absent)' : ''}`);
  return c;
}

/** The paint of a shape or background already checked: its colour, or null for none. */
function paint(color: string | undefined): readonly number[] | null {
  return hexColor(color);
}

/**
 * Checks what `rasterize` and `sceneToGif` read of a scene before any drawing: an object whose
 * `shapes` is an array of rect, text, line and image shapes, and every colour in it a colour or
 * `'none'` (`background`, text `fill` and line `stroke` required; a rect's `fill` and `stroke`
 * optional). A refusal names `fn` and the path, e.g. `scene.shapes[3].fill`.
 */
export function checkSceneColors(fn: string, scene: unknown): void {
  if (scene === null || typeof scene !== 'object')
    fail(fn, 'scene', scene, 'must be a scene { width, height, background, frameCount, frameMs, shapes }');
  const { background, shapes } = scene as Scene;
  paintOf(fn, 'scene.background', background, false);
  if (!Array.isArray(shapes)) fail(fn, 'scene.shapes', shapes, 'must be an array of shapes');
  shapes.forEach((shape: unknown, i) => {
    const path = `scene.shapes[${i}]`;
    const kind = (shape as { kind?: unknown } | null)?.kind;
    if (
      shape === null ||
      typeof shape !== 'object' ||
      !['rect', 'text', 'line', 'image'].includes(kind as string)
    )
      fail(fn, `${path}.kind`, kind, "must be 'rect', 'text', 'line' or 'image'");
    const s = shape as Shape;
    if (s.kind === 'rect') {
      paintOf(fn, `${path}.fill`, s.fill, true);
      paintOf(fn, `${path}.stroke`, s.stroke, true);
    } else if (s.kind === 'text') paintOf(fn, `${path}.fill`, s.fill, false);
    else if (s.kind === 'line') paintOf(fn, `${path}.stroke`, s.stroke, false);
  });
}

/**
 * Refuses a frame that is not one of the scene's, `0 … frameCount − 1` (another would show only
 * the shapes of every frame).
 */
export function checkFrame(fn: string, path: string, scene: Scene, frame: unknown): void {
  const n = scene.frameCount;
  if (!Number.isInteger(n) || n < 1) fail(fn, 'scene.frameCount', n, 'must be a positive integer');
  if (typeof frame !== 'number' || !Number.isInteger(frame) || frame < 0 || frame >= n)
    fail(fn, path, frame, `must be an integer from 0 to ${n - 1} (a frame of the scene)`);
}

/** An opaque image of one colour; `fn` and `path` name the size's arguments in a refusal. */
function filledImage(
  fn: string,
  path: string,
  width: number,
  height: number,
  rgb: readonly number[],
): RgbaImage {
  const w = `${path}width`;
  if (!Number.isInteger(width) || width < 0) fail(fn, w, width, 'must be a non-negative integer');
  if (!Number.isInteger(height) || height < 0)
    fail(fn, `${path}height`, height, 'must be a non-negative integer');
  if (width * height * 4 > MAX_ELEMENTS)
    fail(fn, w, width, `× height ${height} × 4 bytes must be at most ${MAX_ELEMENTS} (one RGBA array)`);
  const data = new Uint8ClampedArray(width * height * 4);
  const [r, g, b] = rgb;
  for (let p = 0; p < width * height; p++) {
    data[4 * p] = r!;
    data[4 * p + 1] = g!;
    data[4 * p + 2] = b!;
    data[4 * p + 3] = 255;
  }
  return { width, height, data };
}

/**
 * A blank RGBA image of one colour. `width` and `height` are non-negative integers (at most
 * 2²⁸ bytes in all), `color` a colour `'#rrggbb'` or `'#rgb'`, default white.
 *
 * @example
 *   import { blankImage } from 'deconv';
 *   blankImage(8, 4, '#ff0000').data.length; // 128
 */
export function blankImage(width: number, height: number, color = '#ffffff'): RgbaImage {
  const rgb = hexColor(color);
  if (!rgb) fail('blankImage', 'color', color, COLOR_RULE);
  return filledImage('blankImage', '', width, height, rgb);
}

/** Packs an opaque colour into one 32-bit word in the platform's byte order, as RGBA bytes. */
function packed(rgb: readonly number[]): number {
  const key = (rgb[0]! << 16) | (rgb[1]! << 8) | rgb[2]!;
  let v = words.get(key);
  if (v === undefined) {
    const bytes = new Uint8Array([rgb[0]!, rgb[1]!, rgb[2]!, 255]);
    v = new Uint32Array(bytes.buffer)[0]!;
    words.set(key, v);
  }
  return v;
}
const words = new Map<number, number>();

class Canvas {
  private readonly words: Uint32Array;
  constructor(readonly img: RgbaImage) {
    this.words = new Uint32Array(img.data.buffer, img.data.byteOffset, img.width * img.height);
  }

  fill(x0: number, y0: number, x1: number, y1: number, rgb: readonly number[]): void {
    const { width, height } = this.img;
    const ax = Math.max(0, Math.round(x0));
    const bx = Math.min(width, Math.round(x1));
    const ay = Math.max(0, Math.round(y0));
    const by = Math.min(height, Math.round(y1));
    if (ax >= bx) return;
    const v = packed(rgb);
    for (let y = ay; y < by; y++) this.words.fill(v, y * width + ax, y * width + bx);
  }

  line(
    x1: number,
    y1: number,
    x2: number,
    y2: number,
    rgb: readonly number[],
    width: number,
    dashed: boolean,
  ): void {
    const ax = Math.round(x1);
    const ay = Math.round(y1);
    const bx = Math.round(x2);
    const by = Math.round(y2);
    const steps = Math.max(Math.abs(bx - ax), Math.abs(by - ay), 1);
    const half = Math.floor((width - 1) / 2);
    for (let k = 0; k <= steps; k++) {
      if (dashed && k % 6 >= 3) continue;
      const x = Math.round(ax + ((bx - ax) * k) / steps);
      const y = Math.round(ay + ((by - ay) * k) / steps);
      this.fill(x - half, y - half, x - half + width, y - half + width, rgb);
    }
  }

  text(
    s: string,
    x: number,
    y: number,
    size: number,
    rgb: readonly number[],
    anchor: string,
    bold: boolean,
  ): void {
    // a hyphen before a number is a minus sign: DejaVu's hyphen is a 2-pixel dot at 11 px, so
    // '-3' would read as '·3' in a raster; the minus sign (U+2212) keeps its length
    s = s.replace(/-(?=[\d.])/g, '\u2212');
    const w = textWidth(s, size);
    let pen = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    const base = Math.round(y + baselineOffset(size));
    const ink = readable(rgb, this.under(pen, base - size * 0.75, w, size * 0.75));
    const { width, height } = this.img;
    const v = packed(ink);
    for (const ch of s) {
      const g = glyphBitmap(ch, size);
      const gx = Math.round(pen) + g.left;
      const gy = base + g.top;
      for (let r = 0; r < g.height; r++) {
        const py = gy + r;
        if (py < 0 || py >= height) continue;
        for (let c = 0; c < g.width; c++) {
          if (g.coverage[r * g.width + c]! < 8) continue;
          for (let b = 0; b <= (bold ? 1 : 0); b++) {
            const px = gx + c + b;
            if (px >= 0 && px < width) this.words[py * width + px] = v;
          }
        }
      }
      pen += g.advance;
    }
  }

  /** The mean colour of the image in a box (clipped), or white where the box is empty. */
  private under(x: number, y: number, w: number, h: number): [number, number, number] {
    const { width, height, data } = this.img;
    const ax = Math.max(0, Math.floor(x));
    const bx = Math.min(width, Math.ceil(x + w));
    const ay = Math.max(0, Math.floor(y));
    const by = Math.min(height, Math.ceil(y + h));
    const sum = [0, 0, 0];
    let n = 0;
    for (let py = ay; py < by; py++)
      for (let px = ax; px < bx; px++) {
        const o = 4 * (py * width + px);
        sum[0] += data[o]!;
        sum[1] += data[o + 1]!;
        sum[2] += data[o + 2]!;
        n++;
      }
    return n === 0 ? [255, 255, 255] : [sum[0]! / n, sum[1]! / n, sum[2]! / n];
  }

  blit(src: RgbaImage, x: number, y: number, w: number, h: number): void {
    const { width, height, data } = this.img;
    const ax = Math.max(0, Math.round(x));
    const bx = Math.min(width, Math.round(x + w));
    const ay = Math.max(0, Math.round(y));
    const by = Math.min(height, Math.round(y + h));
    for (let py = ay; py < by; py++) {
      const sy = Math.min(src.height - 1, Math.floor(((py - y) * src.height) / h));
      for (let px = ax; px < bx; px++) {
        const sx = Math.min(src.width - 1, Math.floor(((px - x) * src.width) / w));
        const s = 4 * (sy * src.width + sx);
        const o = 4 * (py * width + px);
        const alpha = src.data[s + 3]! / 255;
        for (let k = 0; k < 3; k++)
          data[o + k] = Math.round(src.data[s + k]! * alpha + data[o + k]! * (1 - alpha));
        data[o + 3] = 255;
      }
    }
  }

  draw(shape: Shape): void {
    switch (shape.kind) {
      case 'rect': {
        const fill = paint(shape.fill);
        if (fill) this.fill(shape.x, shape.y, shape.x + shape.w, shape.y + shape.h, fill);
        const c = paint(shape.stroke);
        if (c) {
          const sw = Math.max(1, Math.round(shape.strokeWidth ?? 1));
          const x0 = Math.round(shape.x);
          const y0 = Math.round(shape.y);
          const x1 = Math.round(shape.x + shape.w) - 1;
          const y1 = Math.round(shape.y + shape.h) - 1;
          const dashed = shape.dashed === true;
          for (let k = 0; k < sw; k++) {
            this.line(x0, y0 + k, x1, y0 + k, c, 1, dashed);
            this.line(x0, y1 - k, x1, y1 - k, c, 1, dashed);
            this.line(x0 + k, y0, x0 + k, y1, c, 1, dashed);
            this.line(x1 - k, y0, x1 - k, y1, c, 1, dashed);
          }
        }
        break;
      }
      case 'text': {
        const fill = paint(shape.fill);
        if (fill)
          this.text(
            shape.text,
            shape.x,
            shape.y,
            shape.size,
            fill,
            shape.anchor ?? 'start',
            shape.bold === true,
          );
        break;
      }
      case 'line': {
        const stroke = paint(shape.stroke);
        if (stroke)
          this.line(
            shape.x1,
            shape.y1,
            shape.x2,
            shape.y2,
            stroke,
            Math.max(1, Math.round(shape.width ?? 1)),
            false,
          );
        break;
      }
      case 'image':
        this.blit(shape.image, shape.x, shape.y, shape.w, shape.h);
        break;
    }
  }
}

/**
 * Frame `frame` of a scene as an RGBA image of the scene's size. `frame` is an integer from 0 to
 * `frameCount − 1`; every colour of the scene is `'#rrggbb'`, `'#rgb'` or `'none'` (nothing drawn,
 * as in the SVG; a background of `'none'` is white). Anything else is refused with a
 * `DeconvError` naming it (`scene.shapes[3].fill`) before any drawing.
 *
 * @example
 *   import { buildAnimation, animationScene, rasterize } from 'deconv';
 *   const scene = animationScene(buildAnimation({ op: 'conv', inputSize: 4 }));
 *   const last = rasterize(scene, scene.frameCount - 1); // { width, height, data: Uint8ClampedArray }
 */
export function rasterize(scene: Scene, frame = 0): RgbaImage {
  // the leading shapes shown in every frame are drawn once per scene and copied
  let base = typeof scene === 'object' && scene !== null ? bases.get(scene) : undefined;
  if (base) checkFrame('rasterize', 'frame', scene, frame);
  else {
    checkSceneColors('rasterize', scene);
    checkFrame('rasterize', 'frame', scene, frame);
    // no background paint ('none', transparent in the SVG) shows as the white a viewer puts behind it
    const canvas = new Canvas(
      filledImage(
        'rasterize',
        'scene.',
        scene.width,
        scene.height,
        paint(scene.background) ?? [255, 255, 255],
      ),
    );
    let end = 0;
    while (end < scene.shapes.length && !scene.shapes[end]!.frames) canvas.draw(scene.shapes[end++]!);
    base = { image: canvas.img, end };
    bases.set(scene, base);
  }
  const img: RgbaImage = {
    width: scene.width,
    height: scene.height,
    data: new Uint8ClampedArray(base.image.data),
  };
  const canvas = new Canvas(img);
  for (let i = base.end; i < scene.shapes.length; i++) {
    const s = scene.shapes[i]!;
    if (visibleAt(s, frame)) canvas.draw(s);
  }
  return img;
}

const bases = new WeakMap<Scene, { image: RgbaImage; end: number }>();

/** WCAG relative luminance of an sRGB colour (0–255 per channel). */
function luminance(rgb: readonly number[]): number {
  const lin = rgb.slice(0, 3).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: readonly number[], b: readonly number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** `rgb` when it reads on `background` (contrast ≥ 3 : 1), else black or white, whichever reads better. */
export function readable(rgb: readonly number[], background: readonly number[]): readonly number[] {
  if (contrastRatio(rgb, background) >= 3) return rgb;
  return blackOrWhite(background);
}

/** Black or white, whichever contrasts more with `background` (at least 4.58 : 1 on any colour). */
export function blackOrWhite(background: readonly number[]): readonly number[] {
  return contrastRatio([0, 0, 0], background) >= contrastRatio([255, 255, 255], background)
    ? [0, 0, 0]
    : [255, 255, 255];
}
