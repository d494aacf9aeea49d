/**
 * Text for the rasterised pictures (PNG, GIF): DejaVu Sans, from the outlines in
 * font.generated.ts (made by scripts/gen-font.ts with opentype.js from the dejavu-fonts-ttf
 * package; licence in fonts/LICENSE-DejaVu.txt). Greek, super- and subscripts (Cᵀ, x²), arrows,
 * floor/ceiling signs and both cases of every letter are drawn as the font draws them; a character
 * the subset lacks is drawn as '?'. Glyphs are filled once per (character, size) with 4 × 4 samples
 * per pixel and cached.
 */
import { fail } from '../errors.js';
import { FONT_GLYPHS, FONT_METRICS } from './font.generated.js';

const FALLBACK = '?';

function outline(ch: string): [number, number[][]] {
  return FONT_GLYPHS[ch] ?? FONT_GLYPHS[FALLBACK]!;
}

/** Whether the font has `ch` (a character it lacks is drawn as '?'). */
export function hasGlyph(ch: string): boolean {
  return ch in FONT_GLYPHS;
}

/**
 * Width in pixels of `text` drawn at `size` px (the font's em). `text` is a string (a character
 * the font lacks counts as '?'), `size` a positive finite number.
 *
 * @example
 *   import { textWidth } from 'deconv';
 *   textWidth('output 5×5', 13); // ≈ 74.5
 */
export function textWidth(text: string, size: number): number {
  if (typeof text !== 'string') fail('textWidth', 'text', text, 'must be a string');
  if (typeof size !== 'number' || !Number.isFinite(size) || size <= 0)
    fail('textWidth', 'size', size, 'must be a positive finite number of pixels');
  let w = 0;
  for (const ch of text) w += outline(ch)[0];
  return (w * size) / FONT_METRICS.unitsPerEm;
}

/** A glyph's coverage bitmap: `coverage` (0–16 samples of 16) of `width × height` pixels. */
export interface GlyphBitmap {
  /** left edge and top edge relative to the pen position on the baseline */
  left: number;
  top: number;
  width: number;
  height: number;
  coverage: Uint8Array;
  /** pen advance in pixels */
  advance: number;
}

const cache = new Map<string, GlyphBitmap>();

/** The coverage bitmap of `ch` at `size` px, its pen at (0, 0) on the baseline. */
export function glyphBitmap(ch: string, size: number): GlyphBitmap {
  const key = `${size}:${ch}`;
  let g = cache.get(key);
  if (g) return g;
  const [advance, contours] = outline(ch);
  const f = size / FONT_METRICS.unitsPerEm;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const c of contours)
    for (let i = 0; i < c.length; i += 2) {
      x0 = Math.min(x0, c[i]! * f);
      x1 = Math.max(x1, c[i]! * f);
      y0 = Math.min(y0, c[i + 1]! * f);
      y1 = Math.max(y1, c[i + 1]! * f);
    }
  if (!(x1 > x0 && y1 > y0)) {
    g = { left: 0, top: 0, width: 0, height: 0, coverage: new Uint8Array(0), advance: advance * f };
    cache.set(key, g);
    return g;
  }
  const left = Math.floor(x0);
  const top = Math.floor(y0);
  const width = Math.ceil(x1) - left;
  const height = Math.ceil(y1) - top;
  const coverage = new Uint8Array(width * height);
  const crossings: { x: number; w: number }[] = [];
  for (let sy = 0; sy < height * 4; sy++) {
    const y = top + (sy + 0.5) / 4;
    crossings.length = 0;
    for (const c of contours) {
      const n = c.length / 2;
      for (let i = 0; i < n; i++) {
        const ax = c[2 * i]! * f;
        const ay = c[2 * i + 1]! * f;
        const j = (i + 1) % n;
        const bx = c[2 * j]! * f;
        const by = c[2 * j + 1]! * f;
        if (ay <= y === by <= y) continue;
        crossings.push({ x: ax + ((y - ay) * (bx - ax)) / (by - ay), w: by > ay ? 1 : -1 });
      }
    }
    crossings.sort((p, q) => p.x - q.x);
    // nonzero winding: fill between crossings while the running winding number is not 0
    let wind = 0;
    for (let k = 0; k < crossings.length - 1; k++) {
      wind += crossings[k]!.w;
      if (wind === 0) continue;
      const from = Math.ceil((crossings[k]!.x - left) * 4 - 0.5);
      const to = Math.floor((crossings[k + 1]!.x - left) * 4 - 0.5);
      for (let sx = Math.max(0, from); sx <= Math.min(width * 4 - 1, to); sx++)
        coverage[Math.floor(sy / 4) * width + (sx >> 2)]!++;
    }
  }
  g = { left, top, width, height, coverage, advance: advance * f };
  cache.set(key, g);
  return g;
}

/** How far the baseline sits below the vertical centre of a line of capitals at `size`. */
export function baselineOffset(size: number): number {
  return 0.36 * size; // DejaVu Sans: cap height 0.73 em
}
