/**
 * M2NIST-style segmentation canvases: several handwritten digits pasted on one blank canvas, with
 * a class label per pixel (the digit 0–9 whose stroke covers it, or `BACKGROUND` = 10). The
 * generator is pure (no file system): it takes the digits as arrays, so it runs in browsers too.
 * Node code gets the digits from `loadMnist` (src/data/mnist.ts); `deconv segment` draws the
 * training canvases from MNIST's training digits and the test canvases from its test digits.
 *
 * Deterministic: the same digits, options and `seed` give the same canvases (the project's `Rng`).
 *
 * Reference: the M2NIST data set (multi-digit MNIST for semantic segmentation, 64×84 canvases of up
 * to three digits, https://www.kaggle.com/datasets/farhanhubble/multimnistm2nist), made here from
 * the digits the project already ships instead of downloaded.
 */
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import { Rng } from '../random.js';
import { Tensor, allocate, checkTensor } from '../tensor.js';
// the tensors makeDigitCanvases hands out have their chained methods in any bundle
import '../ops/chained.js';

/** The label of pixels no digit covers. Digits keep their own value (0–9) as their class. */
export const BACKGROUND = 10;
/** Classes per pixel: ten digits and background. */
export const SEGMENTATION_CLASSES = 11;

/** Digits to paste: `(N, 1, 28, 28)` (or `(N, 28, 28)`) in [0, 1] and one label 0–9 each. */
export interface DigitSource {
  images: Tensor;
  labels: ArrayLike<number>;
}

export interface DigitCanvasOptions {
  /** how many canvases */
  count: number;
  /** seed of the digit choice and placement (default 0) */
  seed?: number;
  /** canvas height (default 32, at least 28) */
  height?: number;
  /** canvas width (default 64, at least 28) */
  width?: number;
  /** fewest digits per canvas (default 1) */
  minDigits?: number;
  /** most digits per canvas (default 3) */
  maxDigits?: number;
  /** ink at or above this (in [0, 1]) labels a pixel with the digit (default 0.5) */
  threshold?: number;
  /** smallest horizontal distance between two digits' left edges, in pixels (default 12) */
  minGap?: number;
}

export interface DigitCanvases {
  /** `(count, 1, height, width)` float32 in [0, 1]: the pixel-wise maximum of the pasted digits */
  images: Tensor;
  /** `(count, height, width)` int32: the digit (0–9) with the most ink at that pixel if that ink is at least `threshold`, else `BACKGROUND` */
  labels: Tensor;
  /** per canvas, the digits pasted on it: their label, source index and top-left corner */
  digits: { label: number; index: number; x: number; y: number }[][];
}

function intOption(fn: string, name: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(fn, name, v, `must be an integer of at least ${min}`);
  return v;
}

/**
 * Pastes digits of `source` onto `count` canvases. Per canvas: a digit count uniform in
 * `[minDigits, maxDigits]`, digits drawn uniformly from `source`, left edges uniform in
 * `[0, width − 28]` and at least `minGap` apart (redrawn until they are, at most 100 times, then
 * spread evenly), top edges uniform in `[0, height − 28]`. Where digits overlap, the one with more
 * ink at a pixel wins it.
 *
 * @example
 *   import { makeDigitCanvases, loadMnist } from 'deconv';
 *   const digits = loadMnist({ split: 'test', limit: 1000 });
 *   const { images, labels } = makeDigitCanvases(digits, { count: 8, seed: 1 });
 *   images.shape; // [8, 1, 32, 64]
 *   labels.shape; // [8, 32, 64], values 0–9 and 10 (background)
 */
export function makeDigitCanvases(source: DigitSource, options: DigitCanvasOptions): DigitCanvases {
  const fn = 'makeDigitCanvases';
  if (source === null || typeof source !== 'object') fail(fn, 'source', source, 'must be { images, labels }');
  const { images: src, labels: srcLabels } = source;
  checkTensor(fn, 'source.images', src);
  const ok =
    (src.shape.length === 4 && src.shape[1] === 1 && src.shape[2] === 28 && src.shape[3] === 28) ||
    (src.shape.length === 3 && src.shape[1] === 28 && src.shape[2] === 28);
  if (!ok) fail(fn, 'source.images.shape', src.shape, 'must be (N, 1, 28, 28) or (N, 28, 28)');
  const n = src.shape[0]!;
  if (n < 1) fail(fn, 'source.images.shape', src.shape, 'must hold at least one digit');
  if (srcLabels === null || typeof srcLabels !== 'object' || srcLabels.length !== n)
    fail(fn, 'source.labels', srcLabels, `must hold one label per image (${n})`);
  for (let i = 0; i < n; i++) {
    const l = srcLabels[i];
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > 9)
      fail(fn, `source.labels[${i}]`, l, 'must be a digit 0–9');
  }
  const o = checkOptions<DigitCanvasOptions>(fn, options, [
    'count',
    'seed',
    'height',
    'width',
    'minDigits',
    'maxDigits',
    'threshold',
    'minGap',
  ]);
  if (o.count === undefined) fail(fn, 'count', o.count, 'must be given');
  const count = intOption(fn, 'count', o.count, 0, 1);
  const seed = intOption(fn, 'seed', o.seed, 0, 0);
  const H = intOption(fn, 'height', o.height, 32, 28);
  const W = intOption(fn, 'width', o.width, 64, 28);
  const minDigits = intOption(fn, 'minDigits', o.minDigits, 1, 1);
  const maxDigits = intOption(fn, 'maxDigits', o.maxDigits, 3, 1);
  if (maxDigits < minDigits) fail(fn, 'maxDigits', maxDigits, `must be at least minDigits = ${minDigits}`);
  const minGap = intOption(fn, 'minGap', o.minGap, 12, 0);
  const threshold = o.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1))
    fail(fn, 'threshold', threshold, 'must be a number in (0, 1]');

  const plane = H * W;
  const pixels = allocate(fn, 'count', [count, 1, H, W], 'float32');
  const labels = allocate(fn, 'count', [count, H, W], 'int32').fill(BACKGROUND);
  const sd = src.data;
  const rng = new Rng(seed);
  const pick = (k: number): number => Math.min(k - 1, Math.floor(rng.uniform() * k));
  const digits: DigitCanvases['digits'] = [];
  for (let c = 0; c < count; c++) {
    const k = minDigits + pick(maxDigits - minDigits + 1);
    let xs: number[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      xs = Array.from({ length: k }, () => pick(W - 27)).sort((a, b) => a - b);
      if (xs.every((x, i) => i === 0 || x - xs[i - 1]! >= minGap)) break;
      if (attempt === 99) xs = xs.map((_, i) => (k === 1 ? 0 : Math.round((i * (W - 28)) / (k - 1))));
    }
    const placed: DigitCanvases['digits'][number] = [];
    for (const x of xs) {
      const index = pick(n);
      const y = pick(H - 27);
      const label = srcLabels[index]!;
      placed.push({ label, index, x, y });
      const base = c * plane;
      for (let r = 0; r < 28; r++)
        for (let q = 0; q < 28; q++) {
          const v = sd[index * 784 + r * 28 + q]!;
          const p = base + (y + r) * W + x + q;
          if (v > pixels[p]!) {
            pixels[p] = v;
            if (v >= threshold) labels[p] = label;
          }
        }
    }
    digits.push(placed);
  }
  return {
    images: new Tensor(pixels, [count, 1, H, W]),
    labels: new Tensor(labels, [count, H, W]),
    digits,
  };
}
