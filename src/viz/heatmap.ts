/**
 * Matrices and maps as colour images: a value per cell → an RGBA pixel (or block of pixels)
 * through a colour map. Used for the conv matrix C and Cᵀ, and for the checkerboard maps.
 *
 * Colour maps: 'viridis' (sequential, perceptually uniform; van der Walt & Smith, matplotlib),
 * 'diverging' (blue – white – red with white at 0, ColorBrewer RdBu, for signed weights where the
 * many zeros of a sparse matrix should vanish), 'gray' (black to white).
 */
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import type { RgbaImage } from './scene.js';

export type Colormap = 'viridis' | 'diverging' | 'gray';

const ANCHORS: Record<Colormap, readonly (readonly [number, number, number])[]> = {
  viridis: [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
  ],
  diverging: [
    [33, 102, 172],
    [103, 169, 207],
    [247, 247, 247],
    [239, 138, 98],
    [178, 24, 43],
  ],
  gray: [
    [0, 0, 0],
    [255, 255, 255],
  ],
};

export const COLORMAPS: readonly Colormap[] = ['viridis', 'diverging', 'gray'];

/** The colour at `t` in [0, 1] (clamped) of a colour map, as [r, g, b] bytes. */
export function colormap(name: Colormap, t: number): [number, number, number] {
  const a = Object.hasOwn(ANCHORS, name) ? ANCHORS[name] : undefined;
  if (a === undefined) fail('colormap', 'name', name, `must be one of ${COLORMAPS.join(', ')}`);
  if (typeof t !== 'number') fail('colormap', 't', t, 'must be a number (clamped to [0, 1])');
  const x = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (a.length - 1);
  const i = Math.min(a.length - 2, Math.floor(x));
  const f = x - i;
  const lo = a[i]!;
  const hi = a[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(lo[k]! + (hi[k]! - lo[k]!) * f)) as [number, number, number];
}

/** `#rrggbb` of a colour map at `t`. */
export function colormapHex(name: Colormap, t: number): string {
  return (
    '#' +
    colormap(name, t)
      .map((v) => v.toString(16).padStart(2, '0'))
      .join('')
  );
}

export interface HeatmapOptions {
  /** default 'viridis' */
  colormap?: Colormap;
  /** value mapped to the low end (default: the smallest value; diverging: −max |v|) */
  min?: number;
  /** value mapped to the high end (default: the largest value; diverging: max |v|) */
  max?: number;
  /** pixels per cell along each axis, default 1 */
  scale?: number;
}

const HEATMAP_OPTIONS: readonly (keyof HeatmapOptions)[] = ['colormap', 'min', 'max', 'scale'];

/** A heat map's options checked for `fn`: known keys, a known colour map, finite `min` and `max`. */
function heatmapOptions(fn: string, options: unknown): HeatmapOptions {
  // null options are none, as everywhere; unknown keys are refused, as everywhere
  const o = checkOptions<HeatmapOptions>(fn, options, HEATMAP_OPTIONS);
  if (o.colormap !== undefined && !COLORMAPS.includes(o.colormap))
    fail(fn, 'colormap', o.colormap, `must be one of ${COLORMAPS.join(', ')}`);
  for (const key of ['min', 'max'] as const) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      fail(fn, key, v, 'must be a finite number');
  }
  return o;
}

/**
 * The value range a heat map uses: given, or from the data (symmetric around 0 for 'diverging').
 * Options as {@link heatmap}'s (`scale` is not used here); null is none, another key is refused.
 *
 * @example
 *   import { heatmapRange } from 'deconv';
 *   heatmapRange([-1, 3], { colormap: 'diverging' }); // [-3, 3]
 */
export function heatmapRange(values: ArrayLike<number>, options: HeatmapOptions = {}): [number, number] {
  const fn = 'heatmapRange';
  const o = heatmapOptions(fn, options);
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number')
    fail(fn, 'values', values, 'must be an array of numbers');
  return rangeOf(values, o);
}

function rangeOf(values: ArrayLike<number>, options: HeatmapOptions): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo === Infinity) [lo, hi] = [0, 1];
  if ((options.colormap ?? 'viridis') === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    [lo, hi] = [-m, m];
  }
  return [options.min ?? lo, options.max ?? hi];
}

/**
 * A `rows × cols` map of `values` (row-major) as an RGBA image of `rows·scale × cols·scale`
 * pixels. NaN cells are transparent. Options: `colormap` (one of {@link COLORMAPS}), `min` and
 * `max` (finite numbers), `scale` (an integer from 1 to 4096); null is none, another key is
 * refused with a `DeconvError` naming it.
 *
 * @example
 *   import { heatmap } from 'deconv';
 *   const img = heatmap([0, 1, 2, 3, 4, 5], 2, 3, { scale: 10 }); // 30 × 20 pixels, viridis
 */
export function heatmap(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  options: HeatmapOptions = {},
): RgbaImage {
  const fn = 'heatmap';
  options = heatmapOptions(fn, options);
  if (!Number.isInteger(rows) || rows < 1) fail(fn, 'rows', rows, 'must be a positive integer');
  if (!Number.isInteger(cols) || cols < 1) fail(fn, 'cols', cols, 'must be a positive integer');
  if (!values || values.length !== rows * cols) {
    fail(fn, 'values.length', values?.length, `must be rows · cols = ${rows} · ${cols} = ${rows * cols}`);
  }
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 4096)
    fail(fn, 'scale', scale, 'must be an integer from 1 to 4096');
  const name = options.colormap ?? 'viridis';
  const [lo, hi] = rangeOf(values, options);
  const width = cols * scale;
  const height = rows * scale;
  if (width * height > 2 ** 28) fail(fn, 'scale', scale, `gives a ${width}×${height} image, too large`);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const rgba = Number.isNaN(v)
        ? [0, 0, 0, 0]
        : [...colormap(name, hi === lo ? 0.5 : (v - lo) / (hi - lo)), 255];
      for (let y = r * scale; y < (r + 1) * scale; y++) {
        for (let x = c * scale; x < (c + 1) * scale; x++) data.set(rgba, 4 * (y * width + x));
      }
    }
  }
  return { width, height, data };
}
