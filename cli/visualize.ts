/**
 * `deconv visualize`: one HTML report (index.html and its PNGs) on what the shipped (or given)
 * MNIST classifier has learned, by the DeconvNet of Zeiler & Fergus (src/viz/deconvnet.ts), and on
 * how the autoencoders' three decoders reconstruct the digits.
 *
 * - `deconvnet-layer<k>.png`, one per conv layer: for each shown channel, the 9 test digits that
 *   excite it most (one activation per digit, after the layer's ReLU), each activation projected
 *   alone back to pixels (unpooling with that digit's switches, ReLU, transposed filters), beside
 *   the patch of the digit inside the activation's receptive field.
 * - `reconstructions.png`: whole digits projected back from every layer (all activations kept).
 * - `decoders.png`: input and the reconstructions of the max-unpooling, transposed-convolution and
 *   nearest + conv decoders, with each one's mean error per pixel, where a checkerboard shows as a
 *   2-pixel-period pattern; the table of PSNRs and per-phase errors is in index.html.
 *
 * Reference: M. D. Zeiler, R. Fergus, https://arxiv.org/abs/1311.2901; A. Odena et al.,
 * https://distill.pub/2016/deconv-checkerboard/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from './package.js';
import {
  Tensor,
  encodePng,
  interpolate,
  makeGrid,
  nn,
  noGrad,
  readSafetensors,
  readSafetensorsMetadata,
  tensor,
} from './api.js';
import {
  loadMnist,
  type MnistData,
  convFront,
  deconvnetForward,
  deconvnetProject,
  isolate,
  receptiveField,
  selectImages,
  topActivations,
  type DeconvNetLayer,
  type DeconvNetTrace,
  type PixelWindow,
} from './api.js';
import { cliFail, parseInteger } from './args.js';
import { resolvePath, type CliIo } from './io.js';
import type { Options } from './commands.js';
import { AutoEncoder, accuracy, buildClassifier, psnr, reconstruct, type DecoderKind } from './train.js';

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export { packageRoot };

/** The shipped weights: models/ of the package. */
export function shippedModels(): string {
  return join(packageRoot(), 'models');
}

/** Loads a safetensors file into `model` (eval mode); returns the file's metadata. */
function loadWeights(cmd: string, option: string, path: string, model: nn.Module): Record<string, string> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    cliFail(cmd, option, path, `could not be read: ${(e as Error).message}`);
  }
  model.loadStateDict(readSafetensors(bytes));
  model.eval();
  return readSafetensorsMetadata(bytes) ?? {};
}

// ------------------------------------------------------------------------------------------------
// Pictures

/**
 * Signed `(H, W)` values as an RGB image `(3, H, W)` on black: positive parts white, negative parts
 * blue, contrast-stretched: scaled by the 95th percentile of the non-zero |v| (larger values
 * saturate), so that one extreme pixel does not leave the rest dark.
 */
function signedImage(v: ArrayLike<number>, h: number, w: number, offset = 0): Tensor {
  const plane = h * w;
  const mags: number[] = [];
  for (let i = 0; i < plane; i++) if (v[offset + i] !== 0) mags.push(Math.abs(v[offset + i]!));
  mags.sort((a, b) => a - b);
  const m = mags.length === 0 ? 0 : mags[Math.min(mags.length - 1, Math.floor(0.95 * mags.length))]!;
  const out = new Float32Array(3 * plane);
  const NEG = [0.25, 0.55, 1];
  for (let i = 0; i < plane; i++) {
    const t = m === 0 ? 0 : Math.max(-1, Math.min(1, v[offset + i]! / m));
    for (let c = 0; c < 3; c++) out[c * plane + i] = t >= 0 ? t : -t * NEG[c]!;
  }
  return tensor(out, [3, h, w]);
}

/** `(H, W)` values as a grey image with 0 black and max v white (negatives black). */
function positiveImage(v: ArrayLike<number>, h: number, w: number, offset = 0): Tensor {
  let m = 0;
  for (let i = 0; i < h * w; i++) m = Math.max(m, v[offset + i]!);
  const out = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) out[i] = m <= 0 ? 0 : Math.max(0, v[offset + i]!) / m;
  return tensor(out, [1, h, w]);
}

/** A window of plane `(H, W)` at `offset`; pixels outside the plane are `fill`. */
function crop(
  v: ArrayLike<number>,
  h: number,
  w: number,
  win: PixelWindow,
  offset = 0,
  fill = 0,
): Float32Array {
  const ch = win.bottom - win.top;
  const cw = win.right - win.left;
  const out = new Float32Array(ch * cw).fill(fill);
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const sy = win.top + y;
      const sx = win.left + x;
      if (sy >= 0 && sy < h && sx >= 0 && sx < w) out[y * cw + x] = v[offset + sy * w + sx]!;
    }
  return out;
}

/** Nearest-neighbour enlargement of an image `(C, H, W)` by an integer factor. */
function enlarge(t: Tensor, factor: number): Tensor {
  if (factor === 1) return t;
  const r = interpolate(t.reshape([1, ...t.shape]), { scaleFactor: factor, mode: 'nearest' });
  return r.reshape(r.shape.slice(1));
}

function writePngFile(path: string, image: Tensor): void {
  writeFileSync(path, encodePng(image));
}

// ------------------------------------------------------------------------------------------------
// The DeconvNet pictures

export interface LayerSheet {
  /** 1-based conv layer number */
  layer: number;
  /** index in the conv front of the layer whose output is projected (the ReLU after the conv) */
  from: number;
  channels: number[];
  receptiveField: number;
  file: string;
}

/** The index of the layer whose output is "conv layer k": the ReLU right after the conv, else the conv. */
function featureLayers(layers: readonly DeconvNetLayer[]): number[] {
  const out: number[] = [];
  layers.forEach((l, i) => {
    if (l instanceof nn.Conv2d) out.push(layers[i + 1] instanceof nn.ReLU ? i + 1 : i);
  });
  return out;
}

/** Grows a window symmetrically to at least `size` × `size`. */
function grow(win: PixelWindow, size: number): PixelWindow {
  const dh = Math.max(0, size - (win.bottom - win.top));
  const dw = Math.max(0, size - (win.right - win.left));
  return {
    top: win.top - Math.floor(dh / 2),
    bottom: win.bottom + Math.ceil(dh / 2),
    left: win.left - Math.floor(dw / 2),
    right: win.right + Math.ceil(dw / 2),
  };
}

/** Draws the outline of `box` (in the units of `win`, enlarged by `factor`) into an RGB image, just outside it. */
function outline(
  img: Tensor,
  win: PixelWindow,
  box: PixelWindow,
  factor: number,
  rgb: readonly number[],
): Tensor {
  const [, h, w] = img.shape as [number, number, number];
  const data = img.data;
  const y0 = (box.top - win.top) * factor - 1;
  const y1 = (box.bottom - win.top) * factor;
  const x0 = (box.left - win.left) * factor - 1;
  const x1 = (box.right - win.left) * factor;
  const put = (y: number, x: number): void => {
    if (y < 0 || y >= h || x < 0 || x >= w) return;
    for (let c = 0; c < 3; c++) data[c * h * w + y * w + x] = rgb[c]!;
  };
  for (let x = x0; x <= x1; x++) {
    put(y0, x);
    put(y1, x);
  }
  for (let y = y0; y <= y1; y++) {
    put(y, x0);
    put(y, x1);
  }
  return img;
}

/** A grey image `(1, H, W)` as RGB `(3, H, W)`. */
function rgb(t: Tensor): Tensor {
  const plane = t.size;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) out.set(t.data, c * plane);
  return tensor(out, [3, ...t.shape.slice(1)]);
}

/** Context shown around the receptive field, in pixels on each side. */
const CONTEXT = 2;
const BOX = [1, 0.55, 0.1];

/**
 * For conv layer `from`: per channel, a block of the top-9 projections (3×3) beside the top-9
 * patches of the digits (3×3), each cropped to the activation's receptive field (outlined in orange)
 * with 2 pixels of context around it. Returns the sheet `(3, H, W)`.
 */
export function layerSheet(trace: DeconvNetTrace, from: number, channels: readonly number[]): Tensor {
  const [, , h, w] = trace.input.shape as [number, number, number, number];
  const centre = receptiveField(trace.layers, from, 0, 0);
  const shown = Math.max(centre.bottom - centre.top, centre.right - centre.left) + 2 * CONTEXT;
  const factor = Math.max(1, Math.round(60 / shown));
  const blocks: Tensor[] = [];
  for (const c of channels) {
    const acts = topActivations(trace, from, c, 9);
    const empty = tensor(new Float32Array(shown * factor * shown * factor).fill(0.5), [
      1,
      shown * factor,
      shown * factor,
    ]);
    const projections: Tensor[] = new Array<Tensor>(9).fill(empty);
    const patches: Tensor[] = new Array<Tensor>(9).fill(empty);
    if (acts.length > 0) {
      const back = deconvnetProject(
        trace,
        from,
        isolate(trace, from, acts),
        acts.map((a) => a.image),
      );
      acts.forEach((a, i) => {
        const rf = receptiveField(trace.layers, from, a.y, a.x);
        const win = grow(rf, shown);
        const ch = win.bottom - win.top;
        const cw = win.right - win.left;
        projections[i] = enlarge(signedImage(crop(back.data, h, w, win, i * h * w), ch, cw), factor);
        const patch = enlarge(
          rgb(tensor(crop(trace.input.data, h, w, win, a.image * h * w), [1, ch, cw])),
          factor,
        );
        patches[i] =
          ch > rf.bottom - rf.top || cw > rf.right - rf.left ? outline(patch, win, rf, factor, BOX) : patch;
      });
    }
    const a = makeGrid(projections, { columns: 3, padding: 1, background: 1 });
    const b = makeGrid(patches, { columns: 3, padding: 1, background: 1 });
    blocks.push(
      makeGrid([a, b], { columns: 2, padding: 3, labels: ['projections', 'patches'], labelSize: 11 }),
    );
  }
  return makeGrid(blocks, {
    columns: Math.min(4, blocks.length),
    padding: 10,
    labels: channels.map((c) => `channel ${c}`),
    labelSize: 14,
  });
}

/** One digit of each class 0–9 (the first of each in `data`), or the first ten digits. */
function oneOfEach(data: MnistData): number[] {
  const out: number[] = [];
  for (let d = 0; d < 10; d++) {
    const i = data.labels.indexOf(d);
    if (i >= 0) out.push(i);
  }
  return out.length === 10 ? out : Array.from({ length: Math.min(10, data.labels.length) }, (_, i) => i);
}

/**
 * Whole digits projected back from the output of every conv, ReLU and pooling layer after the
 * first conv (every activation kept): rows are layers, columns digits. `(1, H, W)`.
 */
export function reconstructionSheet(
  trace: DeconvNetTrace,
  digits: readonly number[],
): { sheet: Tensor; rows: string[] } {
  const [, , h, w] = trace.input.shape as [number, number, number, number];
  const cells: Tensor[] = [];
  const labels: string[] = [];
  const rows: string[] = ['input'];
  digits.forEach((d, i) => {
    cells.push(enlarge(tensor(trace.input.data.slice(d * h * w, (d + 1) * h * w), [1, h, w]), 3));
    labels.push(i === 0 ? 'input' : '');
  });
  let conv = 0;
  trace.layers.forEach((l, from) => {
    if (l instanceof nn.Conv2d) conv++;
    const name =
      l instanceof nn.Conv2d ? `conv${conv}` : l instanceof nn.ReLU ? `relu${conv}` : `pool${conv}`;
    if (l instanceof nn.Conv2d && trace.layers[from + 1] instanceof nn.ReLU) return; // same as its ReLU's
    rows.push(name);
    const back = deconvnetProject(trace, from, selectImages(trace.outputs[from]!, digits), [...digits]);
    digits.forEach((_, i) => {
      cells.push(enlarge(signedImage(back.data, h, w, i * h * w), 3));
      labels.push(i === 0 ? name : '');
    });
  });
  return { sheet: makeGrid(cells, { columns: digits.length, padding: 4, labels, labelSize: 11 }), rows };
}

// ------------------------------------------------------------------------------------------------
// The decoders compared

export interface DecoderRow {
  name: string;
  decoder: DecoderKind;
  psnr: number;
  /** mean |reconstruction − input| at the four pixel phases (row parity, column parity): 00, 01, 10, 11 */
  phaseError: [number, number, number, number];
}

const DECODERS: readonly { decoder: DecoderKind; name: string; title: string }[] = [
  { decoder: 'unpool', name: 'ae-unpool', title: 'max unpooling + conv' },
  { decoder: 'convT', name: 'ae-convT', title: 'transposed conv (k3, s2)' },
  { decoder: 'nearest', name: 'ae-nearest', title: 'nearest + conv' },
];

/**
 * Reconstructions of `digits` by each autoencoder beside the input (rows), and each decoder's mean
 * absolute error per pixel over the whole sample (last column, contrast-stretched), where a
 * checkerboard would show. Also each decoder's PSNR and error per pixel phase over the sample.
 */
export function decoderComparison(
  models: readonly { name: string; decoder: DecoderKind; model: AutoEncoder }[],
  sample: MnistData,
  digits: readonly number[],
): { sheet: Tensor; rows: DecoderRow[] } {
  const cells: (Tensor | null)[] = [];
  const labels: string[] = [];
  const x = sample.images;
  const n = x.shape[0]!;
  const plane = 28 * 28;
  digits.forEach((d, i) => {
    cells.push(enlarge(tensor(x.data.slice(d * plane, (d + 1) * plane), [1, 28, 28]), 3));
    labels.push(i === 0 ? 'input' : '');
  });
  cells.push(null);
  labels.push('');
  const rows: DecoderRow[] = [];
  for (const m of models) {
    let sum = 0;
    const meanErr = new Float64Array(plane);
    for (let from = 0; from < n; from += 500) {
      const idx = Array.from({ length: Math.min(500, n - from) }, (_, i) => from + i);
      const xb = selectImages(x, idx);
      const r = reconstruct(m.model, xb).data;
      idx.forEach((_, i) => {
        sum += psnr(r, xb.data, i * plane, plane);
        for (let p = 0; p < plane; p++)
          meanErr[p] += Math.abs(r[i * plane + p]! - xb.data[i * plane + p]!) / n;
      });
    }
    const phase: [number, number, number, number] = [0, 0, 0, 0];
    for (let y = 0; y < 28; y++)
      for (let xx = 0; xx < 28; xx++) phase[(y % 2) * 2 + (xx % 2)] += meanErr[y * 28 + xx]! / 196;
    rows.push({ name: m.name, decoder: m.decoder, psnr: sum / n, phaseError: phase });
    const rec = reconstruct(m.model, selectImages(x, digits)).data;
    digits.forEach((_, i) => {
      cells.push(enlarge(tensor(rec.slice(i * plane, (i + 1) * plane), [1, 28, 28]), 3));
      labels.push(i === 0 ? m.name : '');
    });
    cells.push(enlarge(positiveImage(meanErr, 28, 28), 3));
    labels.push('mean error');
  }
  return { sheet: makeGrid(cells, { columns: digits.length + 1, padding: 4, labels, labelSize: 11 }), rows };
}

// ------------------------------------------------------------------------------------------------
// The report

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Report {
  weights: string;
  sampleSize: number;
  accuracy: number;
  layers: LayerSheet[];
  reconstructionRows: string[];
  decoders: DecoderRow[] | null;
  decodersNote: string;
}

function html(r: Report): string {
  const layerSections = r.layers
    .map(
      (l) => `<h3>Conv layer ${l.layer}</h3>
<p>Receptive field ${l.receptiveField}×${l.receptiveField} pixels. For each channel: left, the 9 strongest
activations over the ${r.sampleSize} test digits (one per digit, after the layer's ReLU), each projected
alone back to pixel space (black = 0, white = positive, blue = negative, each picture contrast-stretched
to the 95th percentile of its non-zero magnitudes); right, the digits they come from, the activation's receptive field outlined in orange with
2 pixels of context around it (same order).</p>
<img src="${l.file}" alt="DeconvNet, conv layer ${l.layer}">`,
    )
    .join('\n');
  const decoders =
    r.decoders === null
      ? `<p>${esc(r.decodersNote)}</p>`
      : `<p>${esc(r.decodersNote)}</p>
<img src="decoders.png" alt="decoders compared">
<table>
<tr><th>model</th><th>upsampling</th><th>PSNR (dB)</th><th colspan="4">mean |error| at pixel phase (row, column parity)</th></tr>
<tr><th></th><th></th><th></th><th>even, even</th><th>even, odd</th><th>odd, even</th><th>odd, odd</th></tr>
${r.decoders
  .map(
    (d) =>
      `<tr><td>${d.name}</td><td>${esc(DECODERS.find((x) => x.decoder === d.decoder)!.title)}</td><td>${d.psnr.toFixed(2)}</td>${d.phaseError
        .map((e) => `<td>${e.toFixed(4)}</td>`)
        .join('')}</tr>`,
  )
  .join('\n')}
</table>
<p>PSNR is the mean over the ${r.sampleSize} test digits of each digit's 10·log10(1 / MSE) (pixels in [0, 1]).
A checkerboard artifact is an error that depends on the pixel's phase: unequal columns on the right,
and a 2-pixel grid in the "mean error" image.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>deconv visualize: DeconvNet on MNIST</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #1f2933; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #d9e2ec; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #d9e2ec; padding: 4px 8px; text-align: right; }
code { background: #f0f4f8; padding: 0 3px; }
</style>
</head>
<body>
<h1>What the MNIST classifier sees: a DeconvNet</h1>
<p>Weights <code>${esc(r.weights)}</code>; test accuracy on the ${r.sampleSize} test digits searched:
<b>${(100 * r.accuracy).toFixed(2)}%</b>.</p>
<p>The method of Zeiler &amp; Fergus, <a href="https://arxiv.org/abs/1311.2901">Visualizing and Understanding
Convolutional Networks</a> (2013): run the digits through the network recording each max pooling's switches,
keep one activation of a layer and set all others to zero, then go back down through the inverse of each layer:
max unpooling with the recorded switches, ReLU, and the transposed convolution with the same filters
(<code>convTranspose2d</code> with the conv's weights, no bias).</p>
<h2>Top-9 activations per channel</h2>
${layerSections}
<h2>Whole digits from each layer</h2>
<p>All activations of a layer (rows: ${r.reconstructionRows.slice(1).map(esc).join(', ')}) projected back
to pixels together (black = 0, white = positive, blue = negative, each picture contrast-stretched to the
95th percentile of its non-zero magnitudes).</p>
<img src="reconstructions.png" alt="reconstructions from each layer">
<h2>Decoders compared</h2>
${decoders}
</body>
</html>
`;
}

/** `deconv visualize`: see the file's comment and `deconv visualize --help`. */
export function visualizeCommand(opts: Options, io: CliIo): void {
  const cmd = 'visualize';
  const models = shippedModels();
  const weights = str(opts.weights)
    ? resolvePath(io, str(opts.weights)!)
    : join(models, 'classifier.safetensors');
  const aeDir = str(opts.autoencoders) ? resolvePath(io, str(opts.autoencoders)!) : models;
  const out = resolvePath(io, str(opts.out) ?? '.');
  const sampleSize = parseInteger(cmd, '--images', str(opts.images), 10) ?? 2000;
  if (sampleSize > 10000)
    cliFail(cmd, '--images', String(sampleSize), 'must be at most 10000 (the test digits)');
  const wanted = parseInteger(cmd, '--channels', str(opts.channels), 1);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    cliFail(cmd, '--out', str(opts.out) ?? '.', `could not be created: ${(e as Error).message}`);
  }

  const classifier = buildClassifier();
  loadWeights(cmd, '--weights', weights, classifier);
  const sample = loadMnist({ split: 'test', limit: sampleSize });
  const acc = accuracy(classifier, sample);
  io.out(`classifier ${weights}: ${(100 * acc).toFixed(2)}% right on ${sampleSize} test digits\n`);

  const layers = convFront(classifier);
  const trace = deconvnetForward(layers, sample.images);
  const sheets: LayerSheet[] = [];
  featureLayers(layers).forEach((from, k) => {
    const c = trace.outputs[from]!.shape[1]!;
    const channels = Array.from({ length: Math.min(c, wanted ?? 16) }, (_, i) => i);
    const file = `deconvnet-layer${k + 1}.png`;
    writePngFile(join(out, file), layerSheet(trace, from, channels));
    const rf = receptiveField(layers, from, 0, 0);
    sheets.push({ layer: k + 1, from, channels, receptiveField: rf.bottom - rf.top, file });
    io.out(`  wrote ${join(out, file)} (conv layer ${k + 1}: ${channels.length} channels, top 9 each)\n`);
  });

  const digits = oneOfEach(sample);
  const rec = reconstructionSheet(trace, digits);
  writePngFile(join(out, 'reconstructions.png'), rec.sheet);
  io.out(`  wrote ${join(out, 'reconstructions.png')}\n`);

  let decoders: DecoderRow[] | null = null;
  let note: string;
  const files = DECODERS.map((d) => join(aeDir, `${d.name}.safetensors`));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    note = `Not compared: ${missing.map((f) => relative(out, f) || f).join(', ')} not found (train them with deconv train).`;
    io.out(`  ${note}\n`);
  } else {
    const aes = DECODERS.map((d, i) => {
      const model = new AutoEncoder(d.decoder);
      loadWeights(cmd, '--autoencoders', files[i]!, model);
      return { ...d, model };
    });
    const cmp = noGrad(() => decoderComparison(aes, sample, digits));
    decoders = cmp.rows;
    writePngFile(join(out, 'decoders.png'), cmp.sheet);
    note = `Autoencoders from ${aeDir}: one encoder design (conv, ReLU, max pool, twice: a code of 8×7×7); decoders that upsample ×2 twice by max unpooling with the encoder's switches then a 3×3 conv, by a stride-2 3×3 transposed convolution, or by nearest-neighbour upsampling then a 3×3 conv. Rows: input and each decoder's reconstruction of one test digit of each class; last column: the decoder's mean |error| per pixel over the ${sampleSize} test digits.`;
    io.out(`  wrote ${join(out, 'decoders.png')}\n`);
    for (const d of decoders)
      io.out(
        `  ${d.name.padEnd(10)} PSNR ${d.psnr.toFixed(2)} dB, mean |error| by pixel phase ${d.phaseError.map((e) => e.toFixed(4)).join(' ')}\n`,
      );
  }
  const index = join(out, 'index.html');
  writeFileSync(
    index,
    html({
      weights: relative(out, weights) || weights,
      sampleSize,
      accuracy: acc,
      layers: sheets,
      reconstructionRows: rec.rows,
      decoders,
      decodersNote: note,
    }),
  );
  io.out(`  wrote ${index}\n`);
}
