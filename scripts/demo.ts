/**
 * The demo (`npm run demo`): a public-domain photo (assets/photo.png, 256 × 256) is taken down 2×
 * and 4× and brought back up with every upsampling method this library offers; each result and one
 * side-by-side grid are written as PNG under out/, and a table is printed: method, output size,
 * PSNR against the original, milliseconds.
 *
 * Downsampling (per scale s):
 *   - max pooling with indices (kernel s, stride s): the values and the "switches" (argmax
 *     positions) that max unpooling needs (Zeiler & Fergus, "Visualizing and Understanding
 *     Convolutional Networks", ECCV 2014);
 *   - strided convolution with an s×s averaging filter, one per channel (groups = channels).
 *
 * Upsampling back to full size:
 *   - max unpool       max-pooled values put back at their switches, zeros elsewhere;
 *   - bed of nails     max-pooled values at the top-left of their s×s block, zeros elsewhere:
 *                      maxUnpool2d with synthetic indices (not a one-hot transposed convolution,
 *                      which gives the same result, checked in test/demo.test.ts); beside max unpool
 *                      it shows what the switches are worth;
 *   - nearest, bilinear, bicubic   interpolate (alignCorners false) of the averaged image;
 *   - pixel shuffle    a sub-pixel convolution (Shi et al., CVPR 2016): a 3×3 convolution of the
 *                      averaged image to C·s² channels, then pixelShuffle(s). Its weights are not
 *                      learned here: they are the s² polyphase components of the bilinear kernel
 *                      below, so this pair computes exactly the transposed convolution (Shi et al.,
 *                      "Is the deconvolution layer the same as a convolutional layer?", 2016), and
 *                      the demo prints the largest difference between the two;
 *   - transposed conv  convTranspose2d with Caffe's bilinear filler, kernel 2s − s%2, stride s,
 *                      padding ⌈(s − 1)/2⌉, groups = channels (Long et al., FCN, CVPR 2015).
 *
 * Run: `npm run demo` (builds, then `node dist/scripts/demo.js [outDir]`, default <repo>/out).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Tensor,
  bilinearFiller,
  conv2d,
  convTranspose2d,
  full,
  interpolate,
  makeGrid,
  maxPool2d,
  maxUnpool2d,
  pixelShuffle,
  readPng,
  tensor,
  writePng,
} from '../src/node.js';

/** Peak signal-to-noise ratio in dB of `output` against `reference` (same shape), for values in [0, peak]. */
export function psnr(output: Tensor, reference: Tensor, peak = 1): number {
  if (output.shape.join() !== reference.shape.join()) {
    throw new Error(`psnr: shapes differ: [${output.shape.join(', ')}] and [${reference.shape.join(', ')}]`);
  }
  let sum = 0;
  for (let i = 0; i < output.size; i++) {
    const d = output.data[i]! - reference.data[i]!;
    sum += d * d;
  }
  const mse = sum / output.size;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/** `t` with its values clamped to [0, 1]: what a PNG shows. */
export function clamp01(t: Tensor): Tensor {
  return tensor(
    Float32Array.from(t.data, (v) => Math.min(1, Math.max(0, v))),
    t.shape,
  );
}

/** Median time in milliseconds of `repeats` runs of `f` after one untimed warm-up run, and its last result. */
export function timed<T>(repeats: number, f: () => T): { value: T; ms: number } {
  const times: number[] = [];
  let value = f(); // warm-up: the first call of a kernel also pays for its compilation
  for (let r = 0; r < Math.max(1, repeats); r++) {
    const t0 = performance.now();
    value = f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const ms = times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { value, ms };
}

/**
 * Indices that put every value of an `(N, C, h, w)` map at the top-left of its `s × s` block of an
 * `(h·s, w·s)` plane: the "bed of nails" as max-unpooling switches.
 */
export function bedOfNailsIndices(shape: readonly number[], s: number): Tensor {
  const [n, c, h, w] = shape as [number, number, number, number];
  const data = new Int32Array(n * c * h * w);
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) data[(p * h + i) * w + j] = i * s * (w * s) + j * s;
    }
  }
  return tensor(data, shape, { dtype: 'int32' });
}

/** Caffe's bilinear upsampling layer for factor `s`: kernel 2s − s%2, stride s, padding ⌈(s − 1)/2⌉. */
export function bilinearLayer(
  channels: number,
  s: number,
): { weight: Tensor; stride: number; padding: number } {
  const k = 2 * s - (s % 2);
  return { weight: bilinearFiller([channels, 1, k, k]), stride: s, padding: Math.ceil((s - 1) / 2) };
}

/**
 * The sub-pixel convolution that equals a depthwise transposed convolution with weight
 * `(C, 1, k, k)`, stride `s` and padding `p` when `k − 2p = s` (so `n` pixels map to `s·n`).
 *
 * Output pixel `o = s·q + φ` of the transposed convolution is `Σ_i x[i]·K[o + p − s·i]`; with
 * `t = i − q` that is `Σ_t x[q + t]·K[φ + p − s·t]`, a plain (cross-correlation) convolution of `x`
 * whose tap `t` for phase `φ` is `K[φ + p − s·t]` (zero outside the kernel). Channel
 * `c·s² + φy·s + φx` of the convolution holds phase (φy, φx) of channel c, which is the order
 * pixelShuffle reads: `(1, C, h, w) -conv-> (1, C·s², h, w) -pixelShuffle(s)-> (1, C, s·h, s·w)`.
 * Zero padding of the convolution plays the part of the missing inputs at the borders, so the two
 * agree everywhere, borders included.
 */
export function subPixelConv(
  transposed: { weight: Tensor; stride: number; padding: number },
  channels: number,
): { weight: Tensor; padding: [number, number][] } {
  const { weight, stride: s, padding: p } = transposed;
  const k = weight.shape[3]!;
  if (weight.shape[2] !== k || k - 2 * p !== s)
    throw new Error('subPixelConv: needs a square kernel with k − 2p = s');
  // Taps t ∈ [tMin, tMax] over all phases: 0 ≤ φ + p − s·t ≤ k − 1.
  const tMin = Math.ceil((p - (k - 1)) / s);
  const tMax = Math.floor((s - 1 + p) / s);
  const taps = tMax - tMin + 1;
  const out = new Float32Array(channels * s * s * taps * taps);
  const kernelAt = (c: number, ky: number, kx: number): number => weight.data[(c * k + ky) * k + kx]!;
  for (let c = 0; c < channels; c++) {
    for (let fy = 0; fy < s; fy++) {
      for (let fx = 0; fx < s; fx++) {
        const oc = c * s * s + fy * s + fx;
        for (let ty = tMin; ty <= tMax; ty++) {
          const ky = fy + p - s * ty;
          if (ky < 0 || ky >= k) continue;
          for (let tx = tMin; tx <= tMax; tx++) {
            const kx = fx + p - s * tx;
            if (kx < 0 || kx >= k) continue;
            out[(oc * taps + (ty - tMin)) * taps + (tx - tMin)] = kernelAt(c, ky, kx);
          }
        }
      }
    }
  }
  const pad: [number, number] = [-tMin, tMax];
  return { weight: tensor(out, [channels * s * s, 1, taps, taps]), padding: [pad, pad] };
}

/** The two downsampled versions of a `(1, C, H, W)` image at factor `s`. */
export interface Downsampled {
  scale: number;
  /** max pooling (kernel s, stride s): values and switches */
  pooled: Tensor;
  indices: Tensor;
  /** strided convolution with an s×s averaging filter per channel */
  averaged: Tensor;
  poolMs: number;
  convMs: number;
}

export function downsample(image: Tensor, s: number, repeats = 5): Downsampled {
  const channels = image.shape[1]!;
  const pool = timed(repeats, () => maxPool2d(image, { kernelSize: s, stride: s, returnIndices: true }));
  const filter = full([channels, 1, s, s], 1 / (s * s));
  const conv = timed(repeats, () => conv2d(image, filter, { stride: s, groups: channels }));
  return {
    scale: s,
    pooled: pool.value.output,
    indices: pool.value.indices,
    averaged: conv.value,
    poolMs: pool.ms,
    convMs: conv.ms,
  };
}

export interface Method {
  /** file-name stem: out/<key>-<s>x.png */
  key: string;
  /** caption in the grid (the built-in font: letters, digits, a few signs) */
  label: string;
  /** which downsampled image it starts from */
  from: 'max pool' | 'strided conv';
  /** builds the op to time for one downsampled input (set-up such as weights is done outside) */
  prepare(d: Downsampled, size: [number, number]): () => Tensor;
}

export const METHODS: readonly Method[] = [
  {
    key: 'max-unpool',
    label: 'max unpool',
    from: 'max pool',
    prepare: (d) => () => maxUnpool2d(d.pooled, d.indices, { kernelSize: d.scale, stride: d.scale }),
  },
  {
    key: 'bed-of-nails',
    label: 'bed of nails',
    from: 'max pool',
    prepare: (d) => {
      const nails = bedOfNailsIndices(d.pooled.shape, d.scale);
      return () => maxUnpool2d(d.pooled, nails, { kernelSize: d.scale, stride: d.scale });
    },
  },
  ...(['nearest', 'bilinear', 'bicubic'] as const).map((mode): Method => ({
    key: mode,
    label: mode,
    from: 'strided conv',
    prepare: (d, size) => () => interpolate(d.averaged, { size, mode }),
  })),
  {
    key: 'pixel-shuffle',
    label: 'pixel shuffle',
    from: 'strided conv',
    prepare: (d) => {
      const channels = d.averaged.shape[1]!;
      const sub = subPixelConv(bilinearLayer(channels, d.scale), channels);
      return () =>
        pixelShuffle(conv2d(d.averaged, sub.weight, { padding: sub.padding, groups: channels }), d.scale);
    },
  },
  {
    key: 'transposed-conv',
    label: 'transposed conv',
    from: 'strided conv',
    prepare: (d) => {
      const channels = d.averaged.shape[1]!;
      const layer = bilinearLayer(channels, d.scale);
      return () =>
        convTranspose2d(d.averaged, layer.weight, {
          stride: layer.stride,
          padding: layer.padding,
          groups: channels,
        });
    },
  },
];

export interface Row {
  method: Method;
  scale: number;
  output: Tensor;
  /** PSNR in dB of the output clamped to [0, 1] against the original */
  psnr: number;
  ms: number;
}

export interface DemoResult {
  original: Tensor;
  downsampled: Downsampled[];
  rows: Row[];
}

/** Runs every method at every scale on a `(1, C, H, W)` image (H and W divisible by every scale). */
export function runPipeline(
  image: Tensor,
  options: { scales?: readonly number[]; repeats?: number } = {},
): DemoResult {
  const scales = options.scales ?? [2, 4];
  const repeats = options.repeats ?? 5;
  const [, , height, width] = image.shape as [number, number, number, number];
  const downsampled: Downsampled[] = [];
  const rows: Row[] = [];
  for (const s of scales) {
    if (height % s !== 0 || width % s !== 0)
      throw new Error(`runPipeline: ${height}×${width} is not divisible by ${s}`);
    const d = downsample(image, s, repeats);
    downsampled.push(d);
    for (const method of METHODS) {
      const { value, ms } = timed(repeats, method.prepare(d, [height, width]));
      rows.push({ method, scale: s, output: value, psnr: psnr(clamp01(value), image), ms });
    }
  }
  return { original: image, downsampled, rows };
}

/** Writes out/<method>-<s>x.png for each row, the downsampled images, and out/grid.png; returns the grid's column captions. */
export function writeOutputs(result: DemoResult, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  for (const row of result.rows) writePng(row.output, join(outDir, `${row.method.key}-${row.scale}x.png`));
  for (const d of result.downsampled) {
    writePng(d.pooled, join(outDir, `maxpool-${d.scale}x.png`));
    writePng(d.averaged, join(outDir, `stridedconv-${d.scale}x.png`));
  }
  const images: Tensor[] = [];
  const labels: string[] = [];
  for (const d of result.downsampled) {
    const s = d.scale;
    images.push(result.original, d.pooled, d.averaged);
    labels.push('original', `max pool ${s}×`, `strided conv ${s}×`);
    for (const row of result.rows.filter((r) => r.scale === s)) {
      images.push(clamp01(row.output));
      labels.push(`${row.method.label} ${s}×`);
    }
  }
  const columns = 3 + METHODS.length;
  writePng(makeGrid(images, { columns, labels }), join(outDir, 'grid.png'));
  return labels.slice(0, columns).map((l) => l.replace(/ \d+×$/, ''));
}

/** The table printed by the demo. */
export function formatTable(result: DemoResult, repeats: number): string {
  const header = ['method', 'from', 'scale', 'output size', 'PSNR (dB)', 'ms'];
  const lines: string[][] = [];
  for (const d of result.downsampled) {
    const size = (t: Tensor): string => t.shape.slice(-2).join('×');
    lines.push([
      `max pool (returnIndices)`,
      'original',
      `1/${d.scale}`,
      size(d.pooled),
      '',
      d.poolMs.toFixed(2),
    ]);
    lines.push([
      `strided conv (average)`,
      'original',
      `1/${d.scale}`,
      size(d.averaged),
      '',
      d.convMs.toFixed(2),
    ]);
    for (const r of result.rows.filter((row) => row.scale === d.scale)) {
      lines.push([
        r.method.label,
        r.method.from,
        `${r.scale}×`,
        r.output.shape.slice(-2).join('×'),
        r.psnr.toFixed(2),
        r.ms.toFixed(2),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const s = result.downsampled.map((d) => d.scale);
  const notes = [
    `PSNR: of the output clamped to [0, 1] against the ${result.original.shape.slice(-2).join('×')} original (peak 1).`,
    `ms: median of ${repeats} runs (after a warm-up) of the op alone (weights, indices and downsampling are made beforehand).`,
    'max unpool and bed of nails start from the max-pooled image; the others from the strided-conv average.',
    'bed of nails: maxUnpool2d with synthetic top-left indices.',
    `pixel shuffle: 3×3 conv to C·s² channels with the polyphase parts of the bilinear kernel, then pixelShuffle(s):`,
    `  it computes the transposed convolution exactly (largest difference: ${pixelShuffleGap(result).toExponential(1)}).`,
    `transposed conv: Caffe's bilinear filler, kernel 2s − s%2, stride s, padding ⌈(s − 1)/2⌉, groups = C (s = ${s.join(', ')}).`,
  ];
  return [fmt(header), rule, ...lines.map(fmt), '', ...notes].join('\n');
}

/** Largest absolute difference between the pixel-shuffle and transposed-convolution outputs. */
export function pixelShuffleGap(result: DemoResult): number {
  let gap = 0;
  for (const d of result.downsampled) {
    const a = result.rows.find((r) => r.scale === d.scale && r.method.key === 'pixel-shuffle')!.output;
    const b = result.rows.find((r) => r.scale === d.scale && r.method.key === 'transposed-conv')!.output;
    for (let i = 0; i < a.size; i++) gap = Math.max(gap, Math.abs(a.data[i]! - b.data[i]!));
  }
  return gap;
}

/** The folder above this script's that holds assets/photo.png (src: scripts/, built: dist/scripts/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'assets', 'photo.png'))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new Error('demo: assets/photo.png not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function main(argv: readonly string[] = process.argv.slice(2)): void {
  const root = repoRoot();
  const outDir = resolve(argv[0] ?? join(root, 'out'));
  const repeats = 7;
  const photo = readPng(join(root, 'assets', 'photo.png'));
  const image = photo.reshape([1, ...photo.shape]);
  const result = runPipeline(image, { scales: [2, 4], repeats });
  const columns = writeOutputs(result, outDir);
  console.log(`deconv demo: assets/photo.png (${photo.shape.slice(1).join('×')}, public domain, NASA)\n`);
  console.log(formatTable(result, repeats));
  console.log(
    `\nWrote ${result.rows.length} upsampled images, the downsampled ones and grid.png to ${outDir}`,
  );
  console.log(
    `grid.png: rows = scales ${result.downsampled.map((d) => `${d.scale}×`).join(', ')}; columns = ${columns.join(' | ')}`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
