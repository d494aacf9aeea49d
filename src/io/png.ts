/**
 * PNG bytes ⇄ tensors, through the `fast-png` codec (pure JavaScript, browser-safe; no hand-written
 * codec here), and a contact sheet (`makeGrid`) that lays images out in rows and columns with
 * optional captions in DejaVu Sans (the pictures' font, viz/font.ts; no font file or canvas is
 * needed at run time).
 *
 * Images are channels-first float tensors with values in [0, 1]: `(C, H, W)`, or `(1, C, H, W)`
 * where a batch of one is accepted. 8-bit samples `v` map to `v / 255` and back with rounding.
 *
 * Hostile files: before anything is inflated, the header (IHDR) is read here and checked against
 * the pixel budget (`maxPixels`) and the element budget of a tensor, and the chunk list is checked
 * to be complete (IEND present, every chunk inside the file). The image data is then inflated once
 * only to count its bytes (fflate's streaming inflater, constant memory, stopped as soon as the
 * count passes the size the header implies), so a stream that is cut short, too long or corrupt is
 * refused before the codec allocates the image. Every chunk's CRC is checked here too.
 *
 * Adam7 interlacing below 8 bits per sample, which fast-png 8 does not de-interlace (it takes such
 * a pass's scanline for one byte per pixel): each of the seven passes is a complete non-interlaced
 * image of its own (its scanlines filtered from a zero line, PNG spec 8.2), so the inflated data is
 * cut at the pass boundaries, each pass handed to fast-png as a small non-interlaced PNG of the
 * same depth and palette (unfiltering and unpacking stay the codec's), and its samples put at
 * their places in the image. Files read by path: `readPng` of `deconv/node`.
 */
import { decode, encode } from 'fast-png';
import { Unzlib, zlibSync } from 'fflate';
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import { MAX_ELEMENTS, Tensor, allocate, checkLive } from '../tensor.js';
import { FONT_METRICS } from '../viz/font.generated.js';
import { glyphBitmap, hasGlyph, textWidth } from '../viz/font.js';
import { blackOrWhite } from '../viz/raster.js';
// the tensors readPng hands out have their chained methods (t.mean(), …) in any bundle
import '../ops/chained.js';

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

/** The most pixels `readPng` decodes unless `maxPixels` says otherwise: 2²⁶ (8192 × 8192). */
export const PNG_MAX_PIXELS = 2 ** 26;

export interface ReadPngOptions {
  /**
   * The most pixels (width × height) to decode (default `PNG_MAX_PIXELS`, 2²⁶); a larger header is
   * refused before anything is inflated. At most `MAX_ELEMENTS / 3`.
   */
  maxPixels?: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** What a file that is not a PNG looks like it is, from its first bytes (or null: unknown). */
function sniff(b: Uint8Array): string | null {
  const at = (o: number, s: string): boolean =>
    b.length >= o + s.length && [...s].every((c, i) => b[o + i] === c.charCodeAt(0));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'a JPEG image';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'a GIF image';
  if (at(0, 'BM')) return 'a BMP image';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'a WebP image';
  if (at(0, 'II*\0') || at(0, 'MM\0*')) return 'a TIFF image';
  if (at(4, 'ftypavif') || at(4, 'ftypavis')) return 'an AVIF image';
  if (at(4, 'ftyphei') || at(4, 'ftypmif1')) return 'a HEIF image';
  if (at(0, 'qoif')) return 'a QOI image';
  if (at(0, '%PDF')) return 'a PDF document';
  if (at(0, '\x1f\x8b')) return 'gzip-compressed data';
  if (at(0, 'PK\x03\x04')) return 'a ZIP archive';
  const head = String.fromCharCode(...b.subarray(0, 256)).trimStart();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'an SVG image';
  if (head.startsWith('<')) return 'an XML or HTML document';
  return null;
}

/** Bits per sample allowed for each PNG colour type, and its channel count (PNG spec, 11.2.2). */
const COLOR_TYPES: Record<number, { channels: number; depths: number[]; name: string }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16], name: 'grey' },
  2: { channels: 3, depths: [8, 16], name: 'RGB' },
  3: { channels: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { channels: 2, depths: [8, 16], name: 'grey + alpha' },
  6: { channels: 4, depths: [8, 16], name: 'RGBA' },
};

/** Adam7's passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The non-empty Adam7 passes of a `width` × `height` image: where each starts, its steps and size. */
function adam7Passes(
  width: number,
  height: number,
): { x0: number; y0: number; dx: number; dy: number; pw: number; ph: number }[] {
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    pw: Math.ceil((width - x0) / dx),
    ph: Math.ceil((height - y0) / dy),
  })).filter((p) => p.pw > 0 && p.ph > 0);
}

/** Bytes of one scanline of `samples` samples at `depth` bits, without its filter-type byte. */
const scanlineBytes = (samples: number, depth: number): number => Math.ceil((samples * depth) / 8);

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
  idat: Uint8Array[];
  /** the whole PLTE chunk (length, type, data, CRC), for the passes of an interlaced image */
  plte: Uint8Array | null;
  /** the number of bytes the image data must inflate to */
  inflatedBytes: number;
}

/**
 * Reads and checks the header and the chunk list of PNG `bytes`, before any inflation. `source` is
 * what error messages show (the bytes, or the file's path).
 */
function readHeader(fn: string, b: Uint8Array, source: unknown, maxPixels: number): PngHeader {
  if (b.length === 0) fail(fn, 'source', source, 'is empty (0 bytes), not a PNG image');
  if (!SIGNATURE.every((v, i) => b[i] === v)) {
    const kind = sniff(b);
    fail(
      fn,
      'source',
      source,
      kind
        ? `is ${kind}, not a PNG image: only PNG files are read (convert it to PNG first)`
        : 'is not a PNG image: it does not start with the PNG signature 89 50 4E 47 0D 0A 1A 0A (only PNG files are read)',
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = (at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
  if (b.length < 33 || view.getUint32(8) !== 13 || type(12) !== 'IHDR')
    fail(
      fn,
      'source',
      source,
      `is a truncated or corrupt PNG image: it has no complete IHDR header (${b.length} bytes)`,
    );
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, colorType, compression, filter, interlace] = [b[24]!, b[25]!, b[26]!, b[27]!, b[28]!];
  const corrupt = (what: string): never => fail(fn, 'source', source, `is a corrupt PNG image: ${what}`);
  if (width < 1 || height < 1 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1)
    corrupt(`its header says ${width} × ${height} pixels (each side must be 1 to 2³¹ − 1)`);
  const ct = COLOR_TYPES[colorType];
  if (!ct) corrupt(`its header has the colour type ${colorType} (PNG has 0, 2, 3, 4 and 6)`);
  if (!ct.depths.includes(depth))
    corrupt(`its header has ${depth} bits per sample for ${ct.name}, which allows ${ct.depths.join(', ')}`);
  if (compression !== 0 || filter !== 0 || interlace > 1)
    corrupt(
      `its header has compression ${compression}, filter ${filter}, interlace ${interlace} (PNG has 0, 0, 0 or 1)`,
    );
  const pixels = width * height;
  if (pixels > maxPixels)
    fail(
      fn,
      'source',
      source,
      `is a PNG image of ${width} × ${height} = ${pixels} pixels, more than maxPixels = ${maxPixels}; it was not decoded (pass a larger maxPixels to read it)`,
    );
  if (3 * pixels > MAX_ELEMENTS)
    fail(
      fn,
      'source',
      source,
      `is a PNG image of ${width} × ${height} pixels: its (3, H, W) tensor would have more than ${MAX_ELEMENTS} elements`,
    );

  const idat: Uint8Array[] = [];
  let plte: Uint8Array | null = null;
  let hasPalette = false;
  let ended = false;
  for (let at = 8; !ended;) {
    if (at + 12 > b.length)
      fail(
        fn,
        'source',
        source,
        `is a truncated PNG image: it ends at byte ${b.length} without an IEND chunk`,
      );
    const length = view.getUint32(at);
    const name = type(at + 4);
    if (at + 12 + length > b.length)
      fail(
        fn,
        'source',
        source,
        `is a truncated PNG image: its ${name} chunk at byte ${at} needs ${length} bytes but the file ends ${b.length - at - 12} bytes in`,
      );
    const crc = view.getUint32(at + 8 + length);
    if (crc32(b.subarray(at + 4, at + 8 + length)) !== crc)
      corrupt(`its ${name} chunk at byte ${at} fails its CRC check (the file is damaged)`);
    if (name === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + length));
    if (name === 'PLTE') {
      hasPalette = true;
      plte = b.subarray(at, at + 12 + length);
    }
    if (name === 'IEND') ended = true;
    at += 12 + length;
  }
  if (idat.length === 0) corrupt('it has no image data (IDAT chunk)');
  if (colorType === 3 && !hasPalette) corrupt('it is a palette image without a palette (PLTE chunk)');

  // each scanline starts with its filter-type byte
  const rowBytes = (w: number): number => 1 + scanlineBytes(w * ct.channels, depth);
  let inflatedBytes = 0;
  if (interlace === 0) inflatedBytes = height * rowBytes(width);
  else for (const { pw, ph } of adam7Passes(width, height)) inflatedBytes += ph * rowBytes(pw);
  return { width, height, depth, colorType, interlace, idat, plte, inflatedBytes };
}

/** CRC-32 as PNG computes it over a chunk's type and data (PNG spec, annex D). */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Inflates the image data only to count its bytes (constant memory; stops once past `expected`),
 * and refuses a stream that is corrupt, cut short or longer than the header implies. With `keep`
 * (`inflatedBytes` long), the inflated bytes are also written there.
 */
function checkImageData(fn: string, source: unknown, h: PngHeader, keep: Uint8Array | null = null): void {
  let total = 0;
  let finished = false;
  const over = new Error('over');
  const inflater = new Unzlib((chunk, final) => {
    if (total + chunk.length > h.inflatedBytes) throw over;
    keep?.set(chunk, total);
    total += chunk.length;
    if (final) finished = true;
  });
  try {
    // small pieces: fflate inflates a whole pushed piece before it reports, and deflate expands
    // at most about 1032 : 1, so a piece of 1 KiB never inflates to more than about 1 MiB
    h.idat.forEach((part, i) => {
      const last = i === h.idat.length - 1;
      if (part.length === 0 && last) inflater.push(part, true);
      for (let at = 0; at < part.length; at += 1024)
        inflater.push(part.subarray(at, at + 1024), last && at + 1024 >= part.length);
    });
  } catch (e) {
    if (e === over)
      fail(
        fn,
        'source',
        source,
        `is a corrupt PNG image: its image data inflates to more than the ${h.inflatedBytes} bytes that ${h.width} × ${h.height} pixels need`,
      );
    fail(
      fn,
      'source',
      source,
      `is a truncated or corrupt PNG image: its image data cannot be inflated (${(e as Error).message})`,
    );
  }
  if (!finished || total !== h.inflatedBytes)
    fail(
      fn,
      'source',
      source,
      `is a truncated PNG image: its image data inflates to ${total} bytes, but ${h.width} × ${h.height} pixels need ${h.inflatedBytes}`,
    );
}

/**
 * Decodes PNG bytes into `(3, H, W)` float32. `source` is what error messages show (the bytes or
 * the path they were read from). Shared by `readPng` here and `readPng` of `deconv/node`.
 */
export function decodePngBytes(
  fn: string,
  bytes: Uint8Array,
  source: unknown,
  options: ReadPngOptions = {},
): Tensor {
  // (null options read as none, as everywhere: use what checkOptions returns)
  const o = checkOptions<ReadPngOptions>(fn, options, ['maxPixels']);
  const maxPixels = o.maxPixels ?? PNG_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1 || maxPixels > Math.floor(MAX_ELEMENTS / 3))
    fail(fn, 'maxPixels', maxPixels, `must be an integer from 1 to ${Math.floor(MAX_ELEMENTS / 3)}`);
  const h = readHeader(fn, bytes, source, maxPixels);
  const { width, height, depth } = h;
  const channels = COLOR_TYPES[h.colorType]!.channels;
  const codec = (png: Uint8Array, checkCrc: boolean): ReturnType<typeof decode> => {
    try {
      return decode(png, { checkCrc });
    } catch (e) {
      fail(fn, 'source', source, `is a corrupt PNG image: ${(e as Error).message}`);
    }
  };
  /** sample `i` of row `y` (`i` counts samples: pixel x's channel c is x · channels + c) */
  let sample: (y: number, i: number) => number;
  let palette: number[][];
  if (h.interlace === 1 && depth < 8) {
    // one channel (grey or palette index) below 8 bits: de-interlaced here into one byte a sample
    const inflated = new Uint8Array(h.inflatedBytes);
    checkImageData(fn, source, h, inflated);
    const samples = new Uint8Array(width * height); // within maxPixels, checked from the header
    palette = [];
    let at = 0;
    for (const { x0, y0, dx, dy, pw, ph } of adam7Passes(width, height)) {
      const rowBytes = scanlineBytes(pw, depth); // one channel
      const size = ph * (1 + rowBytes);
      const pass = codec(passPng(h, pw, ph, inflated.subarray(at, at + size)), false);
      at += size;
      if (h.colorType === 3) palette = pass.palette ?? [];
      const d = pass.data;
      if (pass.width !== pw || pass.height !== ph || d.length < rowBytes * ph)
        fail(
          fn,
          'source',
          source,
          'is a corrupt PNG image: the codec returned fewer samples than the header implies',
        );
      for (let py = 0; py < ph; py++)
        for (let px = 0; px < pw; px++)
          samples[(y0 + py * dy) * width + x0 + px * dx] = packedSample(d, py * rowBytes, px, depth);
    }
    sample = (y, i) => samples[y * width + i]!;
  } else {
    checkImageData(fn, source, h);
    const png = codec(bytes, true);
    const data = png.data;
    const perRow = width * channels;
    const rowBytes = scanlineBytes(perRow, depth);
    if (
      png.width !== width ||
      png.height !== height ||
      data.length < (depth < 8 ? rowBytes * height : perRow * height)
    )
      fail(
        fn,
        'source',
        source,
        'is a corrupt PNG image: the codec returned fewer samples than the header implies',
      );
    // packed below 8 bits, one per element at 8 and 16
    sample =
      depth >= 8 ? (y, i) => data[y * perRow + i]! : (y, i) => packedSample(data, y * rowBytes, i, depth);
    palette = png.palette ?? [];
  }
  const plane = width * height;
  const out = allocate(fn, 'source', [3, height, width], 'float32');
  if (h.colorType === 3) {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const index = sample(y, x);
        const rgb = palette[index];
        if (!rgb)
          fail(
            fn,
            'source',
            source,
            `is a corrupt PNG image: pixel (${y}, ${x}) has palette index ${index} but the palette has ${palette.length} colours`,
          );
        const p = y * width + x;
        out[p] = rgb[0]! / 255;
        out[plane + p] = rgb[1]! / 255;
        out[2 * plane + p] = rgb[2]! / 255;
      }
  } else {
    const max = 2 ** depth - 1;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        const i = x * channels;
        if (channels < 3) out[p] = out[plane + p] = out[2 * plane + p] = sample(y, i) / max;
        else {
          out[p] = sample(y, i) / max;
          out[plane + p] = sample(y, i + 1) / max;
          out[2 * plane + p] = sample(y, i + 2) / max;
        }
      }
  }
  return new Tensor(out, [3, height, width]);
}

/** Sample `i` of a scanline packed at `depth` < 8 bits (most significant bits first) from byte `row`. */
function packedSample(data: ArrayLike<number>, row: number, i: number, depth: number): number {
  const bit = i * depth;
  return (data[row + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/**
 * One Adam7 pass (`pw` × `ph`, its filtered scanlines `data`) of the interlaced image `h` as a
 * non-interlaced PNG of its own with `h`'s depth, colour type and palette, for the codec. Its own
 * chunks' CRCs are not written (the codec is told not to check them; the file's were checked).
 */
function passPng(h: PngHeader, pw: number, ph: number, data: Uint8Array): Uint8Array {
  const chunk = (type: string, body: Uint8Array): Uint8Array => {
    const c = new Uint8Array(12 + body.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    return c;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, pw);
  v.setUint32(4, ph);
  ihdr[8] = h.depth;
  ihdr[9] = h.colorType;
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', ihdr),
    ...(h.plte ? [h.plte] : []),
    chunk('IDAT', zlibSync(data, { level: 0 })),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decodes the bytes of a PNG file into a float tensor `(3, H, W)` with values in [0, 1]: grey
 * images are expanded to three equal channels, palette images to their colours, 16-bit samples
 * keep their precision (`v / 65535`), and an alpha channel is dropped (not composited). Any PNG
 * colour type, bit depth and interlacing is read.
 *
 * A file that is not a PNG (a JPEG, say) is refused with a `DeconvError` that says what it is; so
 * is a truncated or corrupt one, and one whose header has more than `maxPixels` pixels (default
 * 2²⁶), before anything is inflated. To read a file by its path in Node, use `readPng` of
 * `deconv/node`.
 *
 * @example
 *   import { readPng } from 'deconv';
 *   const bytes = new Uint8Array(await (await fetch('photo.png')).arrayBuffer());
 *   const photo = readPng(bytes); // Tensor of shape [3, H, W]
 */
export function readPng(source: Uint8Array, options: ReadPngOptions = {}): Tensor {
  const fn = 'readPng';
  if (typeof source === 'string')
    fail(
      fn,
      'source',
      source,
      "must be the bytes of a PNG file (a Uint8Array): to read a file by its path, import { readPng } from 'deconv/node'",
    );
  if (!(source instanceof Uint8Array))
    fail(fn, 'source', source, 'must be the bytes of a PNG file (a Uint8Array)');
  return decodePngBytes(fn, source, source, options);
}

/**
 * Encodes an image tensor `(C, H, W)` or `(1, C, H, W)` with C = 1 (grey), 2 (grey + alpha),
 * 3 (RGB) or 4 (RGBA) as the bytes of an 8-bit PNG file. Values are clamped to [0, 1] and rounded
 * to the nearest of 256 levels; a NaN is refused (it has no honest pixel value).
 *
 * @example
 *   import { encodePng, rand } from 'deconv';
 *   const bytes = encodePng(rand([3, 16, 16], { seed: 0 })); // Uint8Array starting with '\x89PNG'
 */
export function encodePng(image: Tensor): Uint8Array {
  return encodeImage('encodePng', image);
}

/** encodePng's work, with `fn` for the messages (writePng of deconv/node shares it). */
export function encodeImage(fn: string, image: Tensor): Uint8Array {
  const { channels, height, width, data } = imageView(fn, 'image', image);
  const plane = width * height;
  const bytes = new Uint8Array(plane * channels);
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
  // fast-png returns a view of its growing output buffer (8 KiB and up): copy out exactly the file
  return new Uint8Array(encode({ width, height, data: bytes, channels, depth: 8 }));
}

export interface GridOptions {
  /** Images per row (a positive integer). */
  columns: number;
  /** One caption per image (`null`, `undefined` or `''` for none), drawn above it. */
  labels?: readonly (string | null | undefined)[];
  /** Pixels between cells and around the sheet (default 4). */
  padding?: number;
  /**
   * Value of the background, in [0, 1] (default 1: white). Captions are drawn in black or white,
   * whichever contrasts more with it (WCAG's measure; at least 5.3 : 1 on any grey).
   */
  background?: number;
  /** The captions' font size in pixels, 6 to 64 (default: the largest of 14 down to 9 at which every caption fits its cell). */
  labelSize?: number;
}

/**
 * Lays images out in a grid, row by row, `columns` per row, each in a cell as large as the largest
 * image and centred in it, optionally with a caption above each. Images are `(C, H, W)` or
 * `(1, C, H, W)`; a `null` entry leaves its cell empty. All images have the same channel count C,
 * except that grey (C = 1) images are repeated into every channel when others have 3 or 4.
 * Returns `(C, H_grid, W_grid)`.
 *
 * Captions are drawn in DejaVu Sans, anti-aliased, in both cases and with Greek letters, super-
 * and subscripts, arrows and mathematical signs (`λ = 0.1`, `Cᵀ·y`, `x²`, `4 → 8`); a character
 * the font lacks is refused. A caption too wide for its cell is cut at the cell's edge.
 *
 * @example
 *   import { makeGrid, rand, writePng } from 'deconv';
 *   const a = rand([3, 32, 32], { seed: 1 }), b = rand([3, 16, 16], { seed: 2 });
 *   const sheet = makeGrid([a, b], { columns: 2, labels: ['32 px', 'λ = 0.5'] }); // [3, 58, 76]
 *   writePng(sheet, '/tmp/sheet.png');
 */
export function makeGrid(images: readonly (Tensor | null)[], options: GridOptions): Tensor {
  const fn = 'makeGrid';
  if (!Array.isArray(images) || images.length === 0) {
    fail(fn, 'images', images, 'must be a non-empty array of image tensors (C, H, W) or nulls');
  }
  if (options === undefined || options === null)
    fail(fn, 'options', options, 'must be an object with columns');
  checkOptions<GridOptions>(fn, options, ['columns', 'labels', 'padding', 'background', 'labelSize']);
  const { columns, labels } = options;
  const padding = options.padding ?? 4;
  const background = options.background ?? 1;
  if (!Number.isInteger(columns) || columns < 1) fail(fn, 'columns', columns, 'must be a positive integer');
  if (!Number.isInteger(padding) || padding < 0)
    fail(fn, 'padding', padding, 'must be a non-negative integer');
  if (typeof background !== 'number' || !(background >= 0 && background <= 1)) {
    fail(fn, 'background', background, 'must be a number in [0, 1]');
  }
  if (
    options.labelSize !== undefined &&
    !(typeof options.labelSize === 'number' && options.labelSize >= 6 && options.labelSize <= 64)
  )
    fail(fn, 'labelSize', options.labelSize, 'must be a number of pixels from 6 to 64');
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
      for (const ch of l) {
        if (!hasGlyph(ch))
          fail(
            fn,
            `labels[${i}]`,
            l,
            `has the character '${ch}' that the pictures' font (DejaVu Sans subset) lacks`,
          );
      }
      return l;
    });
  }
  const cellW = Math.max(...present.map((v) => v.width));
  const cellH = Math.max(...present.map((v) => v.height));
  const captioned = texts.some((t) => t !== '');
  const widest = (size: number): number => Math.max(0, ...texts.map((t) => textWidth(t, size)));
  let size = options.labelSize ?? 9;
  if (options.labelSize === undefined)
    for (let s = 14; s > 9; s--)
      if (widest(s) <= cellW) {
        size = s;
        break;
      }
  // a line of the font (ascender to descender) and 2 px above and below it
  const ascent = Math.ceil((FONT_METRICS.ascender * size) / FONT_METRICS.unitsPerEm);
  const descent = Math.ceil((-FONT_METRICS.descender * size) / FONT_METRICS.unitsPerEm);
  const labelH = captioned ? ascent + descent + 4 : 0;
  const rows = Math.ceil(images.length / columns);
  const width = columns * cellW + (columns + 1) * padding;
  const height = rows * (labelH + cellH) + (rows + 1) * padding;
  const shape = [channels, height, width];
  const out = allocate(fn, 'images', shape, 'float32');
  out.fill(background);
  const plane = width * height;
  const grey = Math.round(background * 255);
  const ink = blackOrWhite([grey, grey, grey])[0]! / 255;
  views.forEach((v, i) => {
    const x0 = padding + (i % columns) * (cellW + padding);
    const y0 = padding + Math.floor(i / columns) * (labelH + cellH + padding);
    if (texts[i])
      caption(out, plane, width, channels, texts[i]!, x0, y0 + 2 + ascent, cellW, size, background, ink);
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

/**
 * Draws `text` centred in [x0, x0 + boxW), its baseline at `baseline`, clipped to the box: each
 * pixel moves from the background towards `ink` by the glyph's coverage (anti-aliased).
 */
function caption(
  out: Float32Array | Int32Array | Float64Array,
  plane: number,
  width: number,
  channels: number,
  text: string,
  x0: number,
  baseline: number,
  boxW: number,
  size: number,
  background: number,
  ink: number,
): void {
  let pen = x0 + Math.max(0, Math.floor((boxW - textWidth(text, size)) / 2));
  for (const ch of text) {
    const g = glyphBitmap(ch, size);
    const gx = Math.round(pen) + g.left;
    for (let r = 0; r < g.height; r++) {
      const y = baseline + g.top + r;
      for (let k = 0; k < g.width; k++) {
        const x = gx + k;
        const a = g.coverage[r * g.width + k]! / 16;
        if (a === 0 || x < x0 || x >= x0 + boxW) continue; // clip at the cell's edges
        const v = background + (ink - background) * a;
        for (let c = 0; c < channels; c++) out[c * plane + y * width + x] = v;
      }
    }
    pen += g.advance;
  }
}
