/**
 * PNG files ⇄ tensors, through the `pngjs` codec (no hand-written codec here), and a contact sheet
 * (`makeGrid`) that lays images out in rows and columns with optional text labels drawn in a small
 * built-in 5×7 bitmap font (so that no font file or canvas is needed).
 *
 * Images are channels-first float tensors with values in [0, 1]: `(C, H, W)`, or `(1, C, H, W)`
 * where a batch of one is accepted. 8-bit samples `v` map to `v / 255` and back with rounding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import { Tensor, allocate, checkLive } from '../tensor.js';

/** A checked view of an image tensor: `(C, H, W)` or `(1, C, H, W)`, float. */
interface ImageView {
  channels: number;
  height: number;
  width: number;
  data: ArrayLike<number>;
}

function imageView(fn: string, path: string, value: unknown, maxChannels = 4): ImageView {
  if (!(value instanceof Tensor)) fail(fn, path, value, 'must be a Tensor');
  checkLive(fn, path, value);
  const shape = value.shape;
  if (value.dtype === 'int32') fail(fn, path, value, `must be a float tensor (got dtype 'int32')`);
  const ok = shape.length === 3 || (shape.length === 4 && shape[0] === 1);
  if (!ok) fail(fn, path, shape, 'must be an image shape (C, H, W) or (1, C, H, W)');
  const [channels, height, width] = shape.slice(-3) as [number, number, number];
  if (channels < 1 || channels > maxChannels) {
    fail(fn, `${path}.shape`, shape, `must have 1 to ${maxChannels} channels (got ${channels})`);
  }
  if (height < 1 || width < 1) fail(fn, `${path}.shape`, shape, 'must have a non-empty height and width');
  return { channels, height, width, data: value.data };
}

/**
 * Decodes a PNG image (file path or the file's bytes) into a float tensor `(3, H, W)` with values
 * in [0, 1]. Grey images are expanded to three equal channels, palette images are expanded, 16-bit
 * samples are rounded to 8 bits, and an alpha channel is dropped (not composited).
 *
 * @example
 *   import { readPng } from 'deconv';
 *   const photo = readPng('assets/photo.png'); // Tensor of shape [3, 256, 256]
 */
export function readPng(source: string | Uint8Array): Tensor {
  const fn = 'readPng';
  let bytes: Buffer;
  if (typeof source === 'string') {
    try {
      bytes = readFileSync(source);
    } catch (e) {
      fail(fn, 'source', source, `could not be read: ${(e as Error).message}`);
    }
  } else if (source instanceof Uint8Array) {
    bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  } else {
    fail(fn, 'source', source, 'must be a file path or the bytes of a PNG file (Uint8Array or Buffer)');
  }
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    fail(fn, 'source', source, `is not a readable PNG image: ${(e as Error).message}`);
  }
  const { width, height, data } = png; // data: RGBA, 8 bits per sample, row-major
  const plane = width * height;
  const out = allocate(fn, 'source', [3, height, width], 'float32');
  for (let p = 0; p < plane; p++) {
    out[p] = data[4 * p]! / 255;
    out[plane + p] = data[4 * p + 1]! / 255;
    out[2 * plane + p] = data[4 * p + 2]! / 255;
  }
  return new Tensor(out, [3, height, width]);
}

/** PNG colour types by channel count: grey, grey + alpha, RGB, RGBA. */
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

/**
 * Encodes an image tensor `(C, H, W)` or `(1, C, H, W)` with C = 1 (grey), 2 (grey + alpha),
 * 3 (RGB) or 4 (RGBA) as the bytes of an 8-bit PNG file. Values are clamped to [0, 1] and rounded
 * to the nearest of 256 levels; a NaN is refused (it has no honest pixel value).
 *
 * @example
 *   import { encodePng, rand } from 'deconv';
 *   const bytes = encodePng(rand([3, 16, 16], { seed: 0 })); // Buffer starting with '\x89PNG'
 */
export function encodePng(image: Tensor): Buffer {
  return encode('encodePng', image);
}

function encode(fn: string, image: Tensor): Buffer {
  const { channels, height, width, data } = imageView(fn, 'image', image);
  const plane = width * height;
  const bytes = Buffer.alloc(plane * channels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      const v = data[c * plane + p]!;
      if (Number.isNaN(v)) {
        const y = Math.floor(p / width);
        fail(fn, `image[${c}][${y}][${p - y * width}]`, v, 'must be a number (NaN has no pixel value)');
      }
      bytes[p * channels + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  const colorType = COLOR_TYPE[channels as 1 | 2 | 3 | 4];
  const png = new PNG({
    width,
    height,
    colorType,
    inputColorType: colorType,
    inputHasAlpha: channels % 2 === 0,
  });
  png.data = bytes;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels % 2 === 0 });
}

/**
 * Writes an image tensor `(C, H, W)` or `(1, C, H, W)` (C = 1, 2, 3 or 4, see `encodePng`) to
 * `path` as an 8-bit PNG file, clamping values to [0, 1]. The folder must exist.
 *
 * @example
 *   import { writePng, rand } from 'deconv';
 *   writePng(rand([3, 32, 32], { seed: 0 }), '/tmp/noise.png');
 */
export function writePng(image: Tensor, path: string): void {
  const fn = 'writePng';
  if (typeof path !== 'string' || path.length === 0) fail(fn, 'path', path, 'must be a non-empty file path');
  const bytes = encode(fn, image);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    fail(fn, 'path', path, `could not be written: ${(e as Error).message}`);
  }
}

export interface GridOptions {
  /** Images per row (a positive integer). */
  columns: number;
  /** One caption per image (`null`, `undefined` or `''` for none), drawn above it in a 5×7 font. */
  labels?: readonly (string | null | undefined)[];
  /** Pixels between cells and around the sheet (default 4). */
  padding?: number;
  /** Value of the background, in [0, 1] (default 1: white). Labels are drawn in the contrasting 0 or 1. */
  background?: number;
  /** Size of one font pixel in image pixels (default: 2 if every label fits its cell at 2, else 1). */
  labelScale?: number;
}

/**
 * Lays images out in a grid, row by row, `columns` per row, each in a cell as large as the largest
 * image and centred in it, optionally with a caption above each. Images are `(C, H, W)` or
 * `(1, C, H, W)`; a `null` entry leaves its cell empty. All images have the same channel count C,
 * except that grey (C = 1) images are repeated into every channel when others have 3 or 4.
 * Returns `(C, H_grid, W_grid)`.
 *
 * The font knows A–Z (lower case is drawn as upper case), 0–9, space and `- . , : / ( ) × + = %`;
 * any other character is refused. A caption too wide for its cell is cut at the cell's edge.
 *
 * @example
 *   import { makeGrid, rand, writePng } from 'deconv';
 *   const a = rand([3, 32, 32], { seed: 1 }), b = rand([3, 16, 16], { seed: 2 });
 *   const sheet = makeGrid([a, b], { columns: 2, labels: ['32 px', '16 px'] }); // [3, 60, 76]
 *   writePng(sheet, '/tmp/sheet.png');
 */
export function makeGrid(images: readonly (Tensor | null)[], options: GridOptions): Tensor {
  const fn = 'makeGrid';
  if (!Array.isArray(images) || images.length === 0) {
    fail(fn, 'images', images, 'must be a non-empty array of image tensors (C, H, W) or nulls');
  }
  if (options === undefined || options === null)
    fail(fn, 'options', options, 'must be an object with columns');
  checkOptions<GridOptions>(fn, options, ['columns', 'labels', 'padding', 'background', 'labelScale']);
  const { columns, labels } = options;
  const padding = options.padding ?? 4;
  const background = options.background ?? 1;
  if (!Number.isInteger(columns) || columns < 1) fail(fn, 'columns', columns, 'must be a positive integer');
  if (!Number.isInteger(padding) || padding < 0)
    fail(fn, 'padding', padding, 'must be a non-negative integer');
  if (typeof background !== 'number' || !(background >= 0 && background <= 1)) {
    fail(fn, 'background', background, 'must be a number in [0, 1]');
  }
  const views = images.map((im, i) => (im === null ? null : imageView(fn, `images[${i}]`, im)));
  const present = views.filter((v): v is ImageView => v !== null);
  if (present.length === 0) fail(fn, 'images', images, 'must contain at least one image');
  const channels = Math.max(...present.map((v) => v.channels));
  views.forEach((v, i) => {
    if (v !== null && v.channels !== channels && v.channels !== 1) {
      fail(
        fn,
        `images[${i}].shape`,
        images[i]!.shape,
        `must have ${channels} channels (or 1) like the others`,
      );
    }
  });
  let texts: string[] = [];
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.length !== images.length) {
      fail(fn, 'labels', labels, `must be an array with one entry per image (${images.length})`);
    }
    texts = labels.map((l, i) => {
      if (l === null || l === undefined) return '';
      if (typeof l !== 'string') fail(fn, `labels[${i}]`, l, 'must be a string, null or undefined');
      const upper = l.toUpperCase();
      for (const ch of upper) {
        if (!(ch in GLYPHS))
          fail(fn, `labels[${i}]`, l, `has the character '${ch}' that the built-in font lacks`);
      }
      return upper;
    });
  }
  const cellW = Math.max(...present.map((v) => v.width));
  const cellH = Math.max(...present.map((v) => v.height));
  const longest = Math.max(0, ...texts.map((t) => [...t].length));
  let scale = options.labelScale ?? (textWidth(longest, 2) <= cellW ? 2 : 1);
  if (!Number.isInteger(scale) || scale < 1) fail(fn, 'labelScale', scale, 'must be a positive integer');
  if (longest === 0) scale = 0;
  const labelH = scale === 0 ? 0 : (GLYPH_H + 4) * scale;
  const rows = Math.ceil(images.length / columns);
  const width = columns * cellW + (columns + 1) * padding;
  const height = rows * (labelH + cellH) + (rows + 1) * padding;
  const shape = [channels, height, width];
  const out = allocate(fn, 'images', shape, 'float32');
  out.fill(background);
  const plane = width * height;
  const ink = background > 0.5 ? 0 : 1;
  views.forEach((v, i) => {
    const x0 = padding + (i % columns) * (cellW + padding);
    const y0 = padding + Math.floor(i / columns) * (labelH + cellH + padding);
    if (scale > 0 && texts[i])
      drawText(out, plane, width, channels, texts[i]!, x0, y0 + 2 * scale, cellW, scale, ink);
    if (v === null) return;
    const ox = x0 + Math.floor((cellW - v.width) / 2);
    const oy = y0 + labelH + Math.floor((cellH - v.height) / 2);
    const src = v.height * v.width;
    for (let c = 0; c < channels; c++) {
      const sc = v.channels === 1 ? 0 : c;
      for (let y = 0; y < v.height; y++) {
        const row = c * plane + (oy + y) * width + ox;
        const from = sc * src + y * v.width;
        for (let x = 0; x < v.width; x++) out[row + x] = v.data[from + x]!;
      }
    }
  });
  return new Tensor(out, shape);
}

const GLYPH_W = 5;
const GLYPH_H = 7;

/** Width in pixels of `n` glyphs at `scale`, with one font pixel between glyphs. */
function textWidth(n: number, scale: number): number {
  return n === 0 ? 0 : (n * (GLYPH_W + 1) - 1) * scale;
}

/** Draws `text` centred in [x0, x0 + boxW), top at y0, clipped to the box. */
function drawText(
  out: Float32Array | Int32Array | Float64Array,
  plane: number,
  width: number,
  channels: number,
  text: string,
  x0: number,
  y0: number,
  boxW: number,
  scale: number,
  ink: number,
): void {
  const chars = [...text];
  const start = x0 + Math.max(0, Math.floor((boxW - textWidth(chars.length, scale)) / 2));
  chars.forEach((ch, k) => {
    const rows = GLYPHS[ch]!;
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        if (rows[gy]![gx] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = start + (k * (GLYPH_W + 1) + gx) * scale + dx;
            if (x >= x0 + boxW) continue; // clip at the cell's right edge
            const y = y0 + gy * scale + dy;
            for (let c = 0; c < channels; c++) out[c * plane + y * width + x] = ink;
          }
        }
      }
    }
  });
}

/** A 5×7 bitmap font: each glyph is 7 rows of 5 columns, '#' for ink. */
const GLYPHS: Record<string, string[]> = Object.fromEntries(
  Object.entries({
    A: '.###.|#...#|#...#|#####|#...#|#...#|#...#',
    B: '####.|#...#|#...#|####.|#...#|#...#|####.',
    C: '.###.|#...#|#....|#....|#....|#...#|.###.',
    D: '###..|#..#.|#...#|#...#|#...#|#..#.|###..',
    E: '#####|#....|#....|####.|#....|#....|#####',
    F: '#####|#....|#....|####.|#....|#....|#....',
    G: '.###.|#...#|#....|#.###|#...#|#...#|.####',
    H: '#...#|#...#|#...#|#####|#...#|#...#|#...#',
    I: '.###.|..#..|..#..|..#..|..#..|..#..|.###.',
    J: '..###|...#.|...#.|...#.|...#.|#..#.|.##..',
    K: '#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#',
    L: '#....|#....|#....|#....|#....|#....|#####',
    M: '#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#',
    N: '#...#|#...#|##..#|#.#.#|#..##|#...#|#...#',
    O: '.###.|#...#|#...#|#...#|#...#|#...#|.###.',
    P: '####.|#...#|#...#|####.|#....|#....|#....',
    Q: '.###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#',
    R: '####.|#...#|#...#|####.|#.#..|#..#.|#...#',
    S: '.####|#....|#....|.###.|....#|....#|####.',
    T: '#####|..#..|..#..|..#..|..#..|..#..|..#..',
    U: '#...#|#...#|#...#|#...#|#...#|#...#|.###.',
    V: '#...#|#...#|#...#|#...#|#...#|.#.#.|..#..',
    W: '#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.',
    X: '#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#',
    Y: '#...#|#...#|.#.#.|..#..|..#..|..#..|..#..',
    Z: '#####|....#|...#.|..#..|.#...|#....|#####',
    '0': '.###.|#...#|#..##|#.#.#|##..#|#...#|.###.',
    '1': '..#..|.##..|..#..|..#..|..#..|..#..|.###.',
    '2': '.###.|#...#|....#|...#.|..#..|.#...|#####',
    '3': '#####|...#.|..#..|...#.|....#|#...#|.###.',
    '4': '...#.|..##.|.#.#.|#..#.|#####|...#.|...#.',
    '5': '#####|#....|####.|....#|....#|#...#|.###.',
    '6': '..##.|.#...|#....|####.|#...#|#...#|.###.',
    '7': '#####|....#|...#.|..#..|.#...|.#...|.#...',
    '8': '.###.|#...#|#...#|.###.|#...#|#...#|.###.',
    '9': '.###.|#...#|#...#|.####|....#|...#.|.##..',
    ' ': '.....|.....|.....|.....|.....|.....|.....',
    '-': '.....|.....|.....|#####|.....|.....|.....',
    '.': '.....|.....|.....|.....|.....|.##..|.##..',
    ',': '.....|.....|.....|.....|.##..|..#..|.#...',
    ':': '.....|.##..|.##..|.....|.##..|.##..|.....',
    '/': '.....|....#|...#.|..#..|.#...|#....|.....',
    '(': '...#.|..#..|.#...|.#...|.#...|..#..|...#.',
    ')': '.#...|..#..|...#.|...#.|...#.|..#..|.#...',
    '×': '.....|#...#|.#.#.|..#..|.#.#.|#...#|.....',
    '+': '.....|..#..|..#..|#####|..#..|..#..|.....',
    '=': '.....|.....|#####|.....|#####|.....|.....',
    '%': '##...|##..#|...#.|..#..|.#...|#..##|...##',
  }).map(([ch, rows]) => [ch, rows.split('|')]),
);
