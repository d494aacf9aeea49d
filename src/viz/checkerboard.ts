/**
 * Checkerboard artifacts of transposed convolutions: how many kernel taps reach each output pixel
 * when `layers` transposed convolutions with the same kernel size and stride are stacked.
 *
 * Reference: A. Odena, V. Dumoulin, C. Olah, "Deconvolution and Checkerboard Artifacts", Distill
 * (2016), https://distill.pub/2016/deconv-checkerboard/; the ICNR fix: A. Aitken et al.,
 * "Checkerboard artifact free sub-pixel convolution" (2017), https://arxiv.org/abs/1707.02937.
 *
 * The counts are computed by the library itself: `convTranspose2d` of an input of ones with a
 * kernel of ones, fed back `layers` times. With one layer, output j (per dimension) receives one
 * tap from each input i with 0 ≤ j + p − i·s ≤ d·(k − 1) and (j + p − i·s) divisible by d; when
 * `k` is not a multiple of `s` (dilation 1) neighbouring outputs receive different numbers of taps,
 * and the pattern compounds over layers.
 *
 * Pixels near the borders receive fewer taps whatever the kernel, so the verdict looks only at the
 * *interior*: the pixels whose every contributing input (through all layers) is itself an interior
 * pixel of an unbounded input, i.e. those the border does not reach.
 */
import { fail } from '../errors.js';
import { checkOptions, perDim, POSITIVE, NON_NEGATIVE } from '../geometry/args.js';
import { transposedOutputLength } from '../geometry/arithmetic.js';
import { convTransposeOutputSizeOf } from '../geometry/conv.js';
import { convTranspose2d } from '../ops/conv.js';
import { ones } from '../tensor.js';
import { textWidth } from './font.js';
import { checkPositive } from './draw.js';
import { fmt } from './format.js';
import { colormapHex, heatmap } from './heatmap.js';
import type { Scene, Shape } from './scene.js';
import { THEME } from './theme.js';

export interface CheckerboardOptions {
  kernelSize: number | readonly number[];
  stride: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  /** stacked transposed convolutions, default 1 */
  layers?: number;
  /** input size of the first layer, default 6 */
  inputSize?: number | readonly number[];
}

export interface CheckerboardResult {
  /** output size [rows, cols] after the last layer */
  readonly size: readonly number[];
  /** kernel taps (paths, when layers are stacked) reaching each output pixel, row-major */
  readonly counts: Float64Array;
  readonly layers: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  /** per dimension, the interior `[first, end)` (empty when the border reaches everything) */
  readonly interior: readonly (readonly [number, number])[];
  /** smallest and largest count in the interior (NaN when it is empty) */
  readonly min: number;
  readonly max: number;
  /** true when every interior pixel receives the same count */
  readonly even: boolean;
  /** one sentence: even or checkerboard, with the counts and the cause */
  readonly verdict: string;
  /** the known fixes, named, with numbers for these parameters */
  readonly fixes: readonly string[];
}

const FN = 'checkerboard';

/**
 * Per dimension: which outputs of each layer are interior. Input positions of the first layer
 * are all interior (an unbounded input of ones); output j of a layer is interior when every
 * position i with j + p − i·s = t·d (0 ≤ t < k) lies in the layer's input and is interior there.
 */
function interiorMask(n0: number, k: number, s: number, p: number, d: number, layers: number): boolean[] {
  let mask = new Array<boolean>(n0).fill(true);
  let n = n0;
  for (let l = 0; l < layers; l++) {
    const o = transposedOutputLength({
      inputSize: n,
      kernelSize: k,
      stride: s,
      padBegin: p,
      padEnd: p,
      dilation: d,
      outputPadding: 0,
    });
    const next: boolean[] = [];
    for (let j = 0; j < o; j++) {
      let ok = true;
      for (let t = 0; t < k && ok; t++) {
        const u = j + p - t * d;
        if (u % s !== 0) continue;
        const i = u / s;
        if (i < 0 || i >= n || !mask[i]) ok = false;
      }
      next.push(ok);
    }
    mask = next;
    n = o;
  }
  return mask;
}

function span(mask: readonly boolean[]): [number, number] {
  const first = mask.indexOf(true);
  if (first < 0) return [0, 0];
  return [first, mask.lastIndexOf(true) + 1];
}

/**
 * Kernel-tap counts of `layers` stacked transposed convolutions (2-d), the interior range, and a
 * verdict with the fixes. The sizes are checked as `convTransposeOutputSize` checks them, under
 * this function's name; another option key is refused with a `DeconvError` naming it.
 *
 * @example
 *   import { checkerboard } from 'deconv';
 *   const r = checkerboard({ kernelSize: 3, stride: 2 });
 *   r.even;    // false: interior pixels get 1, 2 or 4 taps
 *   r.fixes[0]; // 'kernel divisible by stride: kernelSize 4 with stride 2 …'
 */
export function checkerboard(options: CheckerboardOptions): CheckerboardResult {
  if (options === null || typeof options !== 'object') fail(FN, 'options', options, 'must be an object');
  checkOptions(FN, options, ['kernelSize', 'stride', 'padding', 'dilation', 'layers', 'inputSize']);
  const kernelSize = perDim(FN, 'kernelSize', options.kernelSize, 2, POSITIVE);
  const stride = perDim(FN, 'stride', options.stride, 2, POSITIVE);
  const padding = perDim(FN, 'padding', options.padding, 2, NON_NEGATIVE, 0);
  const dilation = perDim(FN, 'dilation', options.dilation, 2, POSITIVE, 1);
  const inputSize = perDim(FN, 'inputSize', options.inputSize, 2, POSITIVE, 6);
  const layers = options.layers ?? 1;
  if (!Number.isInteger(layers) || layers < 1 || layers > 8)
    fail(FN, 'layers', layers, 'must be an integer from 1 to 8');
  let size = inputSize;
  for (let l = 0; l < layers; l++) {
    size = convTransposeOutputSizeOf(FN, { inputSize: size, kernelSize, stride, padding, dilation });
    if (size[0]! * size[1]! > 4096 * 4096)
      fail(FN, 'layers', layers, `gives a ${size.join('×')} map, too large to draw`);
  }
  let x = ones([1, 1, ...inputSize]);
  const w = ones([1, 1, ...kernelSize]);
  for (let l = 0; l < layers; l++) x = convTranspose2d(x, w, { stride, padding, dilation });
  const counts = Float64Array.from(x.data);
  const [rows, cols] = x.shape.slice(2) as [number, number];
  const interior = [0, 1].map((n) =>
    span(interiorMask(inputSize[n]!, kernelSize[n]!, stride[n]!, padding[n]!, dilation[n]!, layers)),
  );
  let min = Infinity;
  let max = -Infinity;
  for (let r = interior[0]![0]; r < interior[0]![1]; r++) {
    for (let c = interior[1]![0]; c < interior[1]![1]; c++) {
      min = Math.min(min, counts[r * cols + c]!);
      max = Math.max(max, counts[r * cols + c]!);
    }
  }
  if (min === Infinity) [min, max] = [NaN, NaN];
  const even = min === max;
  const period = [0, 1].map((n) => {
    // the smallest shift that maps the interior counts onto themselves along this dimension
    const [a, b] = interior[n]!;
    const [c0, c1] = interior[1 - n]!;
    const at = (i: number, j: number): number => counts[n === 0 ? i * cols + j : j * cols + i]!;
    for (let q = 1; q < b - a; q++) {
      let ok = true;
      for (let i = a; i + q < b && ok; i++)
        for (let j = c0; j < c1 && ok; j++) ok = at(i, j) === at(i + q, j);
      if (ok) return q;
    }
    return b - a;
  });
  const k = kernelSize;
  const s = stride;
  const same = (v: number[]): string => (v[0] === v[1] ? `${v[0]}` : v.join('×'));
  const stack = layers > 1 ? ` after ${layers} stacked layers` : '';
  const cause = k
    .map((kk, n) =>
      dilation[n] === 1 && kk % s[n]! !== 0 ? `kernelSize ${kk} is not divisible by stride ${s[n]}` : '',
    )
    .filter(Boolean);
  let verdict: string;
  if (Number.isNaN(min)) {
    verdict = `no interior: the map is so small that the borders reach every pixel; use a larger inputSize`;
  } else if (even) {
    verdict = `even overlap${stack}: every interior pixel receives ${fmt(min)} kernel tap${min === 1 ? '' : 's'}, so a constant input gives a constant output (no checkerboard)`;
  } else {
    verdict =
      `checkerboard${stack}: interior pixels receive between ${fmt(min)} and ${fmt(max)} kernel taps ` +
      `(ratio ${fmt(max / min, 2)}:1) in a pattern of period ${same(period)}` +
      (cause.length ? `, because ${[...new Set(cause)].join(' and ')}` : '');
  }
  const kFix = k.map((kk, n) => Math.max(s[n]!, Math.ceil(kk / s[n]!) * s[n]!));
  const pFix = kFix.map((kk, n) => Math.max(0, (kk - s[n]!) / 2));
  const fixes = [
    `kernel divisible by stride: kernelSize ${same(kFix)} with stride ${same(s)}` +
      (pFix.every(Number.isInteger)
        ? ` (and padding ${same(pFix)} for an output exactly ${same(s)}× the input)`
        : '') +
      ': every output pixel then receives the same number of taps',
    `resize, then convolve: interpolate(x, { scaleFactor: ${same(s)}, mode: 'nearest' or 'bilinear' }) followed by a ` +
      `stride-1 conv2d with padding 'same' (Odena et al. 2016)`,
    `ICNR: a sub-pixel convolution (conv2d to ${same(s)}²·C channels, then pixelShuffle(x, ${same(s)})) ` +
      'whose weights start as copies across each group of sub-pixels, so it begins as nearest upsampling (Aitken et al. 2017)',
  ];
  return {
    size: [rows, cols],
    counts,
    layers,
    kernelSize,
    stride,
    padding,
    dilation,
    interior,
    min,
    max,
    even,
    verdict,
    fixes,
  };
}

/**
 * The checkerboard map as a picture: the counts as a heat map (viridis) with the interior
 * outlined, a colour legend, the verdict and the fixes. Options: `cellSize`, a positive finite
 * number; null is none, another key is refused.
 *
 * @example
 *   import { checkerboard, checkerboardScene, rasterize } from 'deconv';
 *   const image = rasterize(checkerboardScene(checkerboard({ kernelSize: 3, stride: 2, layers: 3 })));
 */
export function checkerboardScene(r: CheckerboardResult, options: { cellSize?: number } = {}): Scene {
  // null options are none, as everywhere; unknown keys are refused, as everywhere
  const o = checkOptions<{ cellSize?: number }>('checkerboardScene', options, ['cellSize']);
  const [rows, cols] = r.size as [number, number];
  const cell = o.cellSize ?? Math.max(2, Math.min(24, Math.floor(560 / Math.max(rows, cols))));
  checkPositive('checkerboardScene', 'cellSize', cell);
  const m = 16;
  const shapes: Shape[] = [];
  const title = `Kernel taps per output pixel: ${r.layers} transposed conv${r.layers > 1 ? 's' : ''}, kernel ${r.kernelSize.join('×')}, stride ${r.stride.join('×')}, padding ${r.padding.join('×')}${r.dilation.some((d) => d > 1) ? `, dilation ${r.dilation.join('×')}` : ''}`;
  shapes.push({ kind: 'text', x: m, y: m + 8, text: title, size: 14, fill: THEME.text, bold: true });
  const top = m + 28;
  const lo = Math.min(...r.counts);
  const hi = Math.max(...r.counts);
  shapes.push({
    kind: 'image',
    x: m,
    y: top,
    w: cols * cell,
    h: rows * cell,
    image: heatmap(r.counts, rows, cols, { min: lo, max: hi }),
  });
  if (cell >= 14) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const v = r.counts[y * cols + x]!;
        const t = hi === lo ? 0.5 : (v - lo) / (hi - lo);
        shapes.push({
          kind: 'text',
          x: m + (x + 0.5) * cell,
          y: top + (y + 0.5) * cell,
          text: fmt(v),
          size: Math.max(8, Math.round(cell * 0.4)),
          fill: t > 0.6 ? THEME.text : '#ffffff',
          anchor: 'middle',
        });
      }
    }
  }
  const [ia, ib] = r.interior[0]!;
  const [ja, jb] = r.interior[1]!;
  if (ib > ia && jb > ja) {
    shapes.push({
      kind: 'rect',
      x: m + ja * cell,
      y: top + ia * cell,
      w: (jb - ja) * cell,
      h: (ib - ia) * cell,
      stroke: THEME.highlight,
      strokeWidth: 2,
      dashed: true,
    });
  }
  // legend
  const lx = m + cols * cell + 20;
  const steps = 8;
  for (let k = 0; k < steps; k++) {
    const t = 1 - k / (steps - 1);
    shapes.push({ kind: 'rect', x: lx, y: top + k * 14, w: 16, h: 14, fill: colormapHex('viridis', t) });
  }
  shapes.push({ kind: 'text', x: lx + 22, y: top + 7, text: fmt(hi), size: 11, fill: THEME.text });
  shapes.push({
    kind: 'text',
    x: lx + 22,
    y: top + steps * 14 - 7,
    text: fmt(lo),
    size: 11,
    fill: THEME.text,
  });
  shapes.push({
    kind: 'text',
    x: lx,
    y: top + steps * 14 + 14,
    text: 'dashed: interior',
    size: 11,
    fill: THEME.highlight,
  });
  let y = top + Math.max(rows * cell, steps * 14 + 24) + 18;
  const lines = [r.verdict, ...(r.even ? [] : ['fixes:', ...r.fixes.map((f, i) => `${i + 1}. ${f}`)])];
  let width = Math.max(lx + 110, textWidth(title, 14) + m);
  const chars = Math.max(60, Math.floor((width - 2 * m) / textWidth('x', 12)));
  for (const line of lines) {
    for (const part of wrapLine(line, chars)) {
      shapes.push({ kind: 'text', x: m, y, text: part, size: 12, fill: THEME.text });
      width = Math.max(width, textWidth(part, 12) + 2 * m);
      y += 17;
    }
  }
  return {
    width: Math.ceil(width + m),
    height: Math.ceil(y + m),
    background: THEME.background,
    frameCount: 1,
    frameMs: [1000],
    shapes,
    title,
  };
}

function wrapLine(text: string, chars: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > chars) {
      out.push(line);
      line = `   ${w}`;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}
