/**
 * PNG files by path, for Node (`deconv/node`): `readPng` takes a path or the bytes, `writePng`
 * writes a file. The decoding and encoding are the root entry's (src/io/png.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { decodePngBytes, encodeImage, type ReadPngOptions } from './png.js';

/**
 * Decodes a PNG image — a file path or the file's bytes — into a float tensor `(3, H, W)` with
 * values in [0, 1], as `readPng` of the root entry does with bytes (grey expanded to three
 * channels, palette expanded, 16-bit kept, alpha dropped; a file that is not a PNG, truncated,
 * corrupt or larger than `maxPixels` refused with a `DeconvError` naming the path).
 *
 * @example
 *   import { readPng } from 'deconv/node';
 *   const photo = readPng('photo.png'); // Tensor of shape [3, H, W]
 */
export function readPng(source: string | Uint8Array, options: ReadPngOptions = {}): Tensor {
  const fn = 'readPng';
  if (typeof source === 'string') {
    if (source.length === 0) fail(fn, 'source', source, 'must be a non-empty file path');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      fail(fn, 'source', source, `could not be read: ${(e as Error).message}`);
    }
    return decodePngBytes(fn, bytes, source, options);
  }
  if (!(source instanceof Uint8Array))
    fail(fn, 'source', source, 'must be a file path or the bytes of a PNG file (a Uint8Array)');
  return decodePngBytes(fn, source, source, options);
}

/**
 * Writes an image tensor `(C, H, W)` or `(1, C, H, W)` (C = 1, 2, 3 or 4, see `encodePng`) to
 * `path` as an 8-bit PNG file, clamping values to [0, 1]. The folder must exist.
 *
 * @example
 *   import { writePng } from 'deconv/node';
 *   import { rand } from 'deconv';
 *   writePng(rand([3, 32, 32], { seed: 0 }), '/tmp/noise.png');
 */
export function writePng(image: Tensor, path: string): void {
  const fn = 'writePng';
  if (typeof path !== 'string' || path.length === 0) fail(fn, 'path', path, 'must be a non-empty file path');
  const bytes = encodeImage(fn, image);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    fail(fn, 'path', path, `could not be written: ${(e as Error).message}`);
  }
}
