/**
 * A tiny built-in 3×5 bitmap font (digits, capital letters, the signs the captions use), so that
 * pictures can be rasterised without a font file, a canvas or a font rasteriser. Lower-case
 * letters are drawn as capitals; symbols without a glyph are mapped to a near ASCII one
 * (`·` → `*`, `−` → `-`, `→` → `>`) and anything else is drawn as `?`.
 */

/** Glyph rows, top to bottom, '1' = ink; every glyph is 3 wide and 5 high. */
const GLYPHS: Record<string, string> = {
  '0': '111 101 101 101 111',
  '1': '010 110 010 010 111',
  '2': '111 001 111 100 111',
  '3': '111 001 011 001 111',
  '4': '101 101 111 001 001',
  '5': '111 100 111 001 111',
  '6': '111 100 111 101 111',
  '7': '111 001 001 010 010',
  '8': '111 101 111 101 111',
  '9': '111 101 111 001 111',
  A: '010 101 111 101 101',
  B: '110 101 110 101 110',
  C: '011 100 100 100 011',
  D: '110 101 101 101 110',
  E: '111 100 110 100 111',
  F: '111 100 110 100 100',
  G: '011 100 101 101 011',
  H: '101 101 111 101 101',
  I: '111 010 010 010 111',
  J: '001 001 001 101 010',
  K: '101 101 110 101 101',
  L: '100 100 100 100 111',
  M: '101 111 111 101 101',
  N: '101 111 111 111 101',
  O: '010 101 101 101 010',
  P: '110 101 110 100 100',
  Q: '010 101 101 111 011',
  R: '110 101 110 101 101',
  S: '011 100 010 001 110',
  T: '111 010 010 010 010',
  U: '101 101 101 101 111',
  V: '101 101 101 101 010',
  W: '101 101 111 111 101',
  X: '101 101 010 101 101',
  Y: '101 101 010 010 010',
  Z: '111 001 010 100 111',
  ' ': '000 000 000 000 000',
  '-': '000 000 111 000 000',
  '+': '000 010 111 010 000',
  '=': '000 111 000 111 000',
  '.': '000 000 000 000 010',
  ',': '000 000 000 010 100',
  ':': '000 010 000 010 000',
  ';': '000 010 000 010 100',
  '(': '001 010 010 010 001',
  ')': '100 010 010 010 100',
  '[': '011 010 010 010 011',
  ']': '110 010 010 010 110',
  '/': '001 001 010 100 100',
  '*': '000 101 010 101 000',
  '·': '000 000 010 000 000',
  '>': '100 010 001 010 100',
  '<': '001 010 100 010 001',
  "'": '010 010 000 000 000',
  '"': '101 101 000 000 000',
  _: '000 000 000 000 111',
  '|': '010 010 010 010 010',
  '?': '111 001 010 000 010',
  '!': '010 010 010 000 010',
  '%': '101 001 010 100 101',
  '#': '101 111 101 111 101',
  '⌊': '110 100 100 100 110',
  '⌋': '011 001 001 001 011',
  '⌈': '110 100 100 100 100',
  '⌉': '011 001 001 001 001',
  '²': '110 010 100 110 000',
  '×': '000 101 010 101 000',
  '…': '000 000 000 000 101',
  '{': '011 010 110 010 011',
  '}': '110 010 011 010 110',
  '&': '010 101 010 101 011',
  '^': '010 101 000 000 000',
  '~': '000 011 110 000 000',
  '\\': '100 100 010 001 001',
  '@': '111 101 111 100 011',
  $: '011 110 010 011 110',
};

const ALIASES: Record<string, string> = {
  '−': '-',
  '→': '>',
  ᵀ: 'T',
  '′': "'",
  '–': '-',
  '—': '-',
  '≥': '>',
  '≤': '<',
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;

const cache = new Map<string, Uint8Array>();

/** The 3×5 bitmap of a character (row-major, 1 = ink). */
export function glyph(ch: string): Uint8Array {
  let g = cache.get(ch);
  if (g) return g;
  const key = ALIASES[ch] ?? (GLYPHS[ch] !== undefined ? ch : ch.toUpperCase());
  const rows = GLYPHS[key] ?? GLYPHS['?']!;
  g = Uint8Array.from(rows.replace(/ /g, ''), (c) => (c === '1' ? 1 : 0));
  cache.set(ch, g);
  return g;
}

/** The pixel scale of the bitmap font for a text of nominal `size` px (its line height). */
export function fontScale(size: number): number {
  return Math.max(1, Math.round(size / 6));
}

/** Width in pixels of `text` drawn at `size` (each glyph 3 wide plus 1 of spacing). */
export function textWidth(text: string, size: number): number {
  return [...text].length * (GLYPH_WIDTH + 1) * fontScale(size);
}
