/**
 * `deconv segment`: semantic segmentation of M2NIST-style digit canvases (src/data/segmentation.ts)
 * by the decoders of src/nn/segmentation.ts — SegNet, DeconvNet, FCN-8s, U-Net and
 * resize-convolution (nearest, bilinear) — on one shared encoder.
 *
 * - `segment train`: every decoder × every seed, with a progress bar, resumable (a finished run's
 *   weights are kept and skipped when the command runs again with the same settings), within an
 *   optional time budget. Writes `<decoder>-seed<k>.safetensors` (PyTorch state_dict names; the
 *   settings and the run's scores in the metadata) and `segment.json` (settings, every run's
 *   scores, and per decoder the mean and spread over the seeds).
 * - `segment report` (also `deconv segment` alone): an HTML report with PNGs from the shipped (or
 *   given) weights: the table of mIoU, pixel accuracy, training time and checkerboard measure per
 *   decoder (mean ± standard deviation over seeds, and min–max), example predictions side by side,
 *   every decoder's logits for a blank canvas, and Noh et al.'s DeconvNet figure (the activations
 *   after each unpooling and each deconvolution layer, coarse to fine). It reads the recorded
 *   scores, so it takes seconds; `--evaluate` recomputes them from the weights on the test canvases.
 *
 * Reference: H. Noh, S. Hong, B. Han, "Learning Deconvolution Network for Semantic Segmentation"
 * (ICCV 2015), https://arxiv.org/abs/1505.04366, figure 4.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import {
  BACKGROUND,
  Rng,
  SEGMENTATION_CLASSES,
  Tensor,
  encodePng,
  makeDigitCanvases,
  nn,
  noGrad,
  readSafetensors,
  readSafetensorsMetadata,
  writeSafetensors,
  zeros,
  type DigitCanvases,
} from './api.js';
import { loadMnist } from './api.js';
import { cliFail, parseInteger, parseNumber } from './args.js';
import { resolvePath, type CliIo } from './io.js';
import type { Options } from './commands.js';
import { scheduledLr } from './train.js';
import { shippedModels } from './visualize.js';

type Decoder = nn.SegmentationDecoder;
const DECODERS = nn.SEGMENTATION_DECODERS;

/** What a run is trained with; recorded beside the weights, and compared to resume. */
export interface SegmentSettings {
  trainSize: number;
  testSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  channels: number[];
  dataSeed: number;
  height: number;
  width: number;
}

/** The settings of the shipped weights (models/segment/), the command's defaults. */
export const SEGMENT_DEFAULTS: Readonly<SegmentSettings> = {
  trainSize: 3000,
  testSize: 500,
  epochs: 3,
  batchSize: 16,
  lr: 0.01,
  channels: [8, 16, 32],
  dataSeed: 0,
  height: 32,
  width: 64,
};
export const DEFAULT_SEEDS = [0, 1, 2];

/** MNIST digits the canvases are drawn from: the first 20 000 training digits, or all 10 000 test digits. */
const SOURCE_DIGITS = { train: 20000, test: 10000 } as const;

/**
 * Canvases from MNIST's training digits (`split: 'train'`) or from its test digits (`'test'`),
 * seeded by `dataSeed` (the test canvases by `dataSeed + 1`). The first `k` canvases of a set do
 * not depend on `count`.
 */
export function segmentCanvases(
  split: 'train' | 'test',
  count: number,
  s: Pick<SegmentSettings, 'dataSeed' | 'height' | 'width'>,
): DigitCanvases {
  const digits = loadMnist({ split, limit: SOURCE_DIGITS[split] });
  return makeDigitCanvases(digits, {
    count,
    seed: s.dataSeed + (split === 'test' ? 1 : 0),
    height: s.height,
    width: s.width,
  });
}

/** A batch of canvases `indices`: images `(B, 1, H, W)` and labels `(B, H, W)`. */
function batchOf(data: DigitCanvases, indices: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const [, , H, W] = data.images.shape as [number, number, number, number];
  const plane = H * W;
  const b = indices.length;
  const xs = new Float32Array(b * plane);
  const ys = new Int32Array(b * plane);
  for (let i = 0; i < b; i++) {
    const k = indices[i]!;
    xs.set(data.images.data.subarray(k * plane, (k + 1) * plane), i * plane);
    ys.set((data.labels.data as Int32Array).subarray(k * plane, (k + 1) * plane), i * plane);
  }
  return { x: new Tensor(xs, [b, 1, H, W]), y: new Tensor(ys, [b, H, W]) };
}

/** A fresh model of that decoder, initialised from `nn.manualSeed(seed)`. */
export function buildSegmentModel(
  decoder: Decoder,
  seed: number,
  channels: readonly number[],
): nn.SegmentationModel {
  nn.manualSeed(seed);
  return nn.segmentationModel(decoder, { numClasses: SEGMENTATION_CLASSES, channels });
}

export interface StepReport {
  step: number;
  steps: number;
  epoch: number;
  loss: number;
  seconds: number;
}

/**
 * Trains one decoder from seed `seed`: init by `nn.manualSeed(seed)`, shuffling by `Rng(seed)`,
 * Adam with `scheduledLr` (linear warm-up, cosine decay), pixel-wise cross entropy. Returns null
 * if `deadline` (a `performance.now()` time) passes first.
 */
export function trainSegmentModel(
  decoder: Decoder,
  seed: number,
  train: DigitCanvases,
  s: SegmentSettings,
  onStep: (r: StepReport) => void = () => undefined,
  deadline = Infinity,
): { model: nn.SegmentationModel; losses: number[]; seconds: number } | null {
  const model = buildSegmentModel(decoder, seed, s.channels);
  model.train();
  const opt = new nn.Adam(model.parameters(), { lr: s.lr });
  const rng = new Rng(seed);
  const n = train.images.shape[0]!;
  const perEpoch = Math.ceil(n / s.batchSize);
  const total = s.epochs * perEpoch;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  const start = performance.now();
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let b = 0; b < perEpoch; b++) {
      if (performance.now() > deadline) return null;
      const k = epoch * perEpoch + b;
      const { x, y } = batchOf(train, order.subarray(b * s.batchSize, (b + 1) * s.batchSize));
      opt.lr = scheduledLr(s.lr, k, total);
      opt.zeroGrad();
      const loss = nn.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      const tail = losses.slice(-20);
      onStep({
        step: k + 1,
        steps: total,
        epoch: epoch + 1,
        loss: tail.reduce((a, c) => a + c, 0) / tail.length,
        seconds: (performance.now() - start) / 1000,
      });
    }
  }
  model.eval();
  return { model, losses, seconds: (performance.now() - start) / 1000 };
}

export interface RunScores {
  meanIou: number;
  pixelAccuracy: number;
  iou: number[];
  /** `nn.nyquistEnergyShare` of the logits for a blank canvas */
  nyquistShare: number;
}

/** mIoU, pixel accuracy and per-class IoU on `test`, and the checkerboard measure. */
export function evaluateSegmentModel(model: nn.SegmentationModel, test: DigitCanvases): RunScores {
  model.eval();
  const K = SEGMENTATION_CLASSES;
  const confusion = new Float64Array(K * K);
  const n = test.images.shape[0]!;
  const [, , H, W] = test.images.shape as [number, number, number, number];
  const nyquistShare = noGrad(() => {
    for (let from = 0; from < n; from += 100) {
      const idx = Int32Array.from({ length: Math.min(100, n - from) }, (_, i) => from + i);
      const { x, y } = batchOf(test, idx);
      nn.confusionMatrix(nn.predictLabels(model.forward(x)), y, K, confusion);
    }
    return nn.nyquistEnergyShare(model.forward(zeros([1, 1, H, W])));
  });
  const s = nn.segmentationScores(confusion, K);
  return { meanIou: s.meanIou, pixelAccuracy: s.pixelAccuracy, iou: s.iou, nyquistShare };
}

export interface RunRecord extends RunScores {
  decoder: Decoder;
  seed: number;
  file: string;
  trainSeconds: number;
  finalLoss: number;
}

export interface Spread {
  mean: number;
  /** sample standard deviation over the seeds (0 for one seed) */
  std: number;
  min: number;
  max: number;
}

export interface DecoderSummary {
  decoder: Decoder;
  seeds: number[];
  meanIou: Spread;
  pixelAccuracy: Spread;
  trainSeconds: Spread;
  nyquistShare: Spread;
}

export interface SegmentResults {
  generator: string;
  settings: SegmentSettings;
  runs: RunRecord[];
  summary: DecoderSummary[];
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

export function summarize(runs: readonly RunRecord[]): DecoderSummary[] {
  const out: DecoderSummary[] = [];
  for (const decoder of DECODERS) {
    const rs = runs.filter((r) => r.decoder === decoder);
    if (rs.length === 0) continue;
    out.push({
      decoder,
      seeds: rs.map((r) => r.seed),
      meanIou: spread(rs.map((r) => r.meanIou)),
      pixelAccuracy: spread(rs.map((r) => r.pixelAccuracy)),
      trainSeconds: spread(rs.map((r) => r.trainSeconds)),
      nyquistShare: spread(rs.map((r) => r.nyquistShare)),
    });
  }
  return out;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function parseList(cmd: string, option: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  return parts.map((p) => parseInteger(cmd, option, p.trim(), 0)!);
}

function parseDecoders(cmd: string, text: string | undefined): Decoder[] {
  if (text === undefined || text === 'all') return [...DECODERS];
  const names = text.split(',').map((s) => s.trim());
  for (const d of names)
    if (!(DECODERS as readonly string[]).includes(d))
      cliFail(cmd, '--decoders', text, `must be all or a comma-separated list of ${DECODERS.join(', ')}`);
  return names as Decoder[];
}

function settingsFrom(cmd: string, opts: Options): SegmentSettings {
  const d = SEGMENT_DEFAULTS;
  const channels = parseList(cmd, '--channels', str(opts.channels)) ?? [...d.channels];
  if (channels.length < 3 || channels.some((c) => c < 1))
    cliFail(
      cmd,
      '--channels',
      str(opts.channels) ?? '',
      'must be at least 3 positive channel counts, e.g. 8,16,16',
    );
  const s: SegmentSettings = {
    trainSize: parseInteger(cmd, '--train-size', str(opts.trainSize), 1) ?? d.trainSize,
    testSize: parseInteger(cmd, '--test-size', str(opts.testSize), 1) ?? d.testSize,
    epochs: parseInteger(cmd, '--epochs', str(opts.epochs), 1) ?? d.epochs,
    batchSize: parseInteger(cmd, '--batch-size', str(opts.batchSize), 1) ?? d.batchSize,
    lr: parseNumber(cmd, '--lr', str(opts.lr)) ?? d.lr,
    channels,
    dataSeed: parseInteger(cmd, '--data-seed', str(opts.dataSeed), 0) ?? d.dataSeed,
    height: d.height,
    width: d.width,
  };
  if (!(s.lr > 0)) cliFail(cmd, '--lr', String(s.lr), 'must be positive');
  return s;
}

const runFile = (decoder: Decoder, seed: number): string => `${decoder}-seed${seed}.safetensors`;

/** The metadata of a finished run's weights, if the file is there and was trained with `settings`. */
function finishedRun(path: string, settings: SegmentSettings): RunRecord | null {
  if (!existsSync(path)) return null;
  try {
    const meta = readSafetensorsMetadata(readFileSync(path));
    if (meta?.settings !== JSON.stringify(settings) || meta.run === undefined) return null;
    return JSON.parse(meta.run) as RunRecord;
  } catch {
    return null;
  }
}

/** `deconv segment train`: see the file's comment and `deconv segment --help`. */
export function segmentTrainCommand(opts: Options, io: CliIo): void {
  const cmd = 'segment train';
  const settings = settingsFrom(cmd, opts);
  const decoders = parseDecoders(cmd, str(opts.decoders));
  const seeds = parseList(cmd, '--seeds', str(opts.seeds)) ?? DEFAULT_SEEDS;
  const budget = parseNumber(cmd, '--time-budget', str(opts.timeBudget));
  if (budget !== undefined && !(budget > 0))
    cliFail(cmd, '--time-budget', String(budget), 'must be positive minutes');
  const outArg = str(opts.out) ?? 'deconv-segment';
  const out = resolvePath(io, outArg);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    cliFail(cmd, '--out', outArg, `could not be created: ${(e as Error).message}`);
  }
  const deadline = budget === undefined ? Infinity : performance.now() + budget * 60_000;
  const train = segmentCanvases('train', settings.trainSize, settings);
  const test = segmentCanvases('test', settings.testSize, settings);
  io.out(
    `${settings.trainSize} training canvases (MNIST training digits), ${settings.testSize} test canvases ` +
      `(MNIST test digits), ${settings.height}×${settings.width}; channels ${settings.channels.join(',')}, ` +
      `${settings.epochs} epochs, batch ${settings.batchSize}, lr ${settings.lr}; ` +
      `${decoders.length} decoders × ${seeds.length} seeds\n`,
  );
  // keep the runs recorded before (other decoders or seeds) that share these settings
  const summaryPath = join(out, 'segment.json');
  const runs: RunRecord[] = [];
  if (existsSync(summaryPath)) {
    try {
      const prev = JSON.parse(readFileSync(summaryPath, 'utf8')) as SegmentResults;
      if (JSON.stringify(prev.settings) === JSON.stringify(settings))
        for (const r of prev.runs)
          if (!(decoders.includes(r.decoder) && seeds.includes(r.seed)) && existsSync(join(out, r.file)))
            runs.push(r);
    } catch {
      // unreadable: start a new one
    }
  }
  const writeSummary = (): void => {
    const results: SegmentResults = {
      generator: 'deconv segment train',
      settings,
      runs,
      summary: summarize(runs),
    };
    writeFileSync(summaryPath, JSON.stringify(results, null, 2) + '\n');
  };
  const total = decoders.length * seeds.length;
  let k = 0;
  let stopped = false;
  for (const seed of seeds)
    for (const decoder of decoders) {
      k++;
      const file = runFile(decoder, seed);
      const path = join(out, file);
      const done = finishedRun(path, settings);
      if (done) {
        io.out(`[${k}/${total}] ${decoder} seed ${seed}: already trained (${file}), kept\n`);
        runs.push(done);
        continue;
      }
      if (stopped) continue;
      let bar: cliProgress.SingleBar | null = null;
      const label = `[${k}/${total}] ${decoder} seed ${seed}`;
      const result = (() => {
        try {
          return trainSegmentModel(
            decoder,
            seed,
            train,
            settings,
            (r) => {
              if (!io.isTTY) return;
              if (bar === null) {
                bar = new cliProgress.SingleBar(
                  {
                    format: `${label} [{bar}] {percentage}% | epoch {epoch} | loss {loss} | ETA {eta_formatted}`,
                    stream: process.stderr,
                    hideCursor: true,
                    clearOnComplete: true,
                    etaBuffer: 30,
                  },
                  cliProgress.Presets.shades_classic,
                );
                bar.start(r.steps, 0, { epoch: 1, loss: '-' });
              }
              bar.update(r.step, { epoch: `${r.epoch}/${settings.epochs}`, loss: r.loss.toFixed(4) });
            },
            deadline,
          );
        } finally {
          (bar as cliProgress.SingleBar | null)?.stop();
        }
      })();
      if (result === null) {
        stopped = true;
        io.out(`${label}: the time budget ran out; run the same command again to resume from here\n`);
        continue;
      }
      const scores = evaluateSegmentModel(result.model, test);
      const tail = result.losses.slice(-20);
      const record: RunRecord = {
        decoder,
        seed,
        file,
        trainSeconds: result.seconds,
        finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
        ...scores,
      };
      const metadata = {
        format: 'pt',
        decoder,
        seed: String(seed),
        settings: JSON.stringify(settings),
        run: JSON.stringify(record),
      };
      try {
        writeFileSync(path, writeSafetensors(result.model.stateDict(), { metadata }));
      } catch (e) {
        cliFail(cmd, '--out', outArg, `could not be written: ${(e as Error).message}`);
      }
      runs.push(record);
      writeSummary();
      io.out(
        `${label}: ${result.seconds.toFixed(1)} s, loss ${record.finalLoss.toFixed(4)}, ` +
          `mIoU ${record.meanIou.toFixed(4)}, pixel accuracy ${record.pixelAccuracy.toFixed(4)}, ` +
          `Nyquist share ${record.nyquistShare.toFixed(4)}\n`,
      );
    }
  writeSummary();
  io.out(summaryTable(summarize(runs)));
  io.out(`  wrote ${summaryPath}\n`);
}

const pm = (s: Spread, digits = 3): string => `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;

/** The per-decoder table as text. */
export function summaryTable(summary: readonly DecoderSummary[]): string {
  const rows = summary.map(
    (s) =>
      `${s.decoder.padEnd(16)} ${pm(s.meanIou)}   ${pm(s.pixelAccuracy)}   ${pm(s.nyquistShare)}   ${s.trainSeconds.mean.toFixed(0).padStart(5)} s   (${s.seeds.length} seeds)`,
  );
  return `decoder          mIoU            pixel accuracy  Nyquist share   train time\n${rows.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------------
// The report

/** 11 class colours: digits 0–9 (a qualitative palette) and background (black). */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [0.9, 0.1, 0.1],
  [1.0, 0.5, 0.0],
  [0.95, 0.85, 0.1],
  [0.4, 0.8, 0.1],
  [0.1, 0.6, 0.3],
  [0.1, 0.8, 0.8],
  [0.2, 0.4, 1.0],
  [0.5, 0.2, 0.9],
  [0.9, 0.3, 0.8],
  [0.6, 0.4, 0.2],
  [0, 0, 0],
];

/** Class labels `(H, W)` (at `offset`) as an RGB image `(3, H·f, W·f)`. */
function labelImage(labels: ArrayLike<number>, h: number, w: number, offset: number, f: number): Tensor {
  const H = h * f;
  const W = w * f;
  const out = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const c = PALETTE[labels[offset + Math.floor(y / f) * w + Math.floor(x / f)]!] ?? PALETTE[BACKGROUND]!;
      for (let k = 0; k < 3; k++) out[k * H * W + y * W + x] = c[k]!;
    }
  return new Tensor(out, [3, H, W]);
}

/** A plane `(h, w)` (at `offset`) as a grey image `(1, H, W)` of display size `H × W` (nearest), min..max stretched. */
function planeImage(
  v: ArrayLike<number>,
  h: number,
  w: number,
  offset: number,
  H: number,
  W: number,
): Tensor {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < h * w; i++) {
    lo = Math.min(lo, v[offset + i]!);
    hi = Math.max(hi, v[offset + i]!);
  }
  if (lo > 0) lo = 0;
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const a = v[offset + Math.floor((y * h) / H) * w + Math.floor((x * w) / W)]!;
      out[y * W + x] = hi > lo ? (a - lo) / (hi - lo) : 0;
    }
  return new Tensor(out, [1, H, W]);
}

function loadModel(
  cmd: string,
  dir: string,
  run: RunRecord,
  settings: SegmentSettings,
): nn.SegmentationModel {
  const model = nn.segmentationModel(run.decoder, {
    numClasses: SEGMENTATION_CLASSES,
    channels: settings.channels,
  });
  const path = join(dir, run.file);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    cliFail(cmd, '--weights', dir, `must hold ${run.file}: ${(e as Error).message}`);
  }
  model.loadStateDict(readSafetensors(bytes));
  model.eval();
  return model;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const DECODER_TITLES: Readonly<Record<Decoder, string>> = {
  segnet: 'SegNet (max unpooling with the switches + conv)',
  deconvnet: 'DeconvNet (unpooling + deconvolution layers)',
  fcn8s: 'FCN-8s (score layers, bilinear-initialised transposed convs, skips)',
  unet: 'U-Net (2×2 transposed convs, concatenated skips)',
  'resize-nearest': 'resize-conv, nearest ×2 + conv',
  'resize-bilinear': 'resize-conv, bilinear ×2 + conv',
};

/** `deconv segment report` (and `deconv segment`): see the file's comment. */
export function segmentReportCommand(opts: Options, io: CliIo): void {
  const cmd = 'segment report';
  const weightsArg = str(opts.weights);
  const dir = weightsArg === undefined ? join(shippedModels(), 'segment') : resolvePath(io, weightsArg);
  const summaryPath = join(dir, 'segment.json');
  let results: SegmentResults;
  try {
    results = JSON.parse(readFileSync(summaryPath, 'utf8')) as SegmentResults;
  } catch (e) {
    cliFail(
      cmd,
      '--weights',
      weightsArg ?? dir,
      `must hold segment.json from deconv segment train: ${(e as Error).message}`,
    );
  }
  const settings = results.settings;
  const examples = parseInteger(cmd, '--examples', str(opts.examples), 1) ?? 4;
  const outArg = str(opts.out) ?? '.';
  const out = resolvePath(io, outArg);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    cliFail(cmd, '--out', outArg, `could not be created: ${(e as Error).message}`);
  }
  let runs = results.runs;
  let evaluated = false;
  if (opts.evaluate === true) {
    const test = segmentCanvases('test', settings.testSize, settings);
    runs = runs.map((r) => ({ ...r, ...evaluateSegmentModel(loadModel(cmd, dir, r, settings), test) }));
    evaluated = true;
  }
  const summary = summarize(runs);
  const decoders = summary.map((s) => s.decoder);
  // one model per decoder for the pictures: the lowest seed
  const shown = new Map<Decoder, nn.SegmentationModel>();
  for (const d of decoders) {
    const r = runs.filter((x) => x.decoder === d).sort((a, b) => a.seed - b.seed)[0]!;
    shown.set(d, loadModel(cmd, dir, r, settings));
  }
  const shownSeed = (d: Decoder): number =>
    Math.min(...runs.filter((x) => x.decoder === d).map((x) => x.seed));
  const { height: H, width: W } = settings;
  const test = segmentCanvases('test', examples, settings);
  const f = 3;
  const files: string[] = [];
  const png = (name: string, image: Tensor): string => {
    writeFileSync(join(out, name), encodePng(image));
    files.push(name);
    return name;
  };

  // example predictions: one PNG per row
  const rowOf = (images: Tensor[]): Tensor => {
    const gap = 4;
    const [, h, w] = images[0]!.shape as [number, number, number];
    const Wt = images.length * w + (images.length - 1) * gap;
    const data = new Float32Array(3 * h * Wt).fill(1);
    images.forEach((img, i) => {
      const c = img.shape[0]!;
      for (let k = 0; k < 3; k++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            data[k * h * Wt + y * Wt + i * (w + gap) + x] = img.data[(c === 1 ? 0 : k) * h * w + y * w + x]!;
    });
    return new Tensor(data, [3, h, Wt]);
  };
  const plane = H * W;
  const inputRow = png(
    'examples-input.png',
    rowOf(
      Array.from({ length: examples }, (_, i) => planeImage(test.images.data, H, W, i * plane, H * f, W * f)),
    ),
  );
  const truthRow = png(
    'examples-truth.png',
    rowOf(Array.from({ length: examples }, (_, i) => labelImage(test.labels.data, H, W, i * plane, f))),
  );
  const predRows = new Map<Decoder, string>();
  const blank = new Map<Decoder, { file: string; share: number }>();
  noGrad(() => {
    for (const [d, model] of shown) {
      const pred = nn.predictLabels(model.forward(test.images)).data;
      predRows.set(
        d,
        png(
          `examples-${d}.png`,
          rowOf(Array.from({ length: examples }, (_, i) => labelImage(pred, H, W, i * plane, f))),
        ),
      );
      const logits = model.forward(zeros([1, 1, H, W]));
      // the background logit for a blank canvas, stretched: a checkerboard shows as a 2-pixel pattern
      blank.set(d, {
        file: png(`blank-${d}.png`, planeImage(logits.data, H, W, BACKGROUND * plane, H * f, W * f)),
        share: nn.nyquistEnergyShare(logits),
      });
    }
  });

  // Noh et al.'s figure: the trained DeconvNet's activations for one test canvas, coarse to fine
  let figure = '';
  const deconv = shown.get('deconvnet');
  if (deconv instanceof nn.DeconvNet) {
    const x = new Tensor(test.images.data.slice(0, plane), [1, 1, H, W]);
    const { activations } = noGrad(() => deconv.forwardTrace(x));
    const cells: string[] = [
      `<figure><img src="${png('deconvnet-input.png', planeImage(x.data, H, W, 0, H * f, W * f))}"><figcaption>(a) input ${H}×${W}</figcaption></figure>`,
    ];
    activations.forEach((a, i) => {
      const [, C, h, w] = a.output.shape as [number, number, number, number];
      // the most representative channel (Noh et al. pick one per layer): the one whose mean
      // activation on the digits' strokes most exceeds its mean elsewhere (strokes: the input's
      // ink ≥ 0.5 anywhere in the layer pixel's block)
      const block = H / h;
      const ink = new Uint8Array(h * w);
      for (let y = 0; y < H; y++)
        for (let q = 0; q < W; q++)
          if (x.data[y * W + q]! >= 0.5) ink[Math.floor(y / block) * w + Math.floor(q / block)] = 1;
      const inked = ink.reduce((a, b) => a + b, 0);
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < C; c++) {
        let on = 0;
        let off = 0;
        for (let p = 0; p < h * w; p++) {
          const v = a.output.data[c * h * w + p]!;
          if (ink[p]) on += v;
          else off += v;
        }
        const score = on / Math.max(1, inked) - off / Math.max(1, h * w - inked);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
      const letter = String.fromCharCode(98 + i);
      const name = png(
        `deconvnet-${a.layer}.png`,
        planeImage(a.output.data, h, w, best * h * w, H * f, W * f),
      );
      cells.push(
        `<figure><img src="${name}"><figcaption>(${letter}) ${a.kind === 'unpool' ? 'unpooling' : 'deconvolution'} <code>${a.layer}</code>, ${h}×${w}, channel ${best} of ${C}</figcaption></figure>`,
      );
    });
    figure = `<h2>The DeconvNet figure (Noh et al. 2015, figure 4)</h2>\n<p>The trained DeconvNet (seed ${shownSeed('deconvnet')}) on the first test canvas: the output of every layer of the decoder from coarse to fine, one channel per layer (the one that responds most to the strokes: its mean activation on the digits' pixels minus its mean elsewhere is largest), each stretched to its own range and shown at the canvas's size. After each <b>unpooling</b> the activations are sparse: the pooled values sit at the positions the encoder's max pooling recorded (the switches) and the other three of every 2×2 block are zero, so the map traces the digit's exact stroke locations. Each <b>deconvolution</b> layer fills them in densely, and from layer to layer the maps turn from coarse blobs into the digit's shape.</p>\n<div class="figure">${cells.join('\n')}</div>\n`;
  }

  const rows = summary
    .map(
      (s) =>
        `<tr><td>${esc(DECODER_TITLES[s.decoder])}</td><td>${pm(s.meanIou)}</td><td>${s.meanIou.min.toFixed(3)}–${s.meanIou.max.toFixed(3)}</td><td>${pm(s.pixelAccuracy)}</td><td>${pm(s.nyquistShare)}</td><td>${s.trainSeconds.mean.toFixed(0)} ± ${s.trainSeconds.std.toFixed(0)} s</td><td>${s.seeds.join(', ')}</td></tr>`,
    )
    .join('\n');
  const perSeed = runs
    .map(
      (r) =>
        `<tr><td>${r.decoder}</td><td>${r.seed}</td><td>${r.meanIou.toFixed(4)}</td><td>${r.pixelAccuracy.toFixed(4)}</td><td>${r.nyquistShare.toFixed(4)}</td><td>${r.trainSeconds.toFixed(1)} s</td><td>${r.iou.map((v) => (Number.isNaN(v) || v === null ? '–' : v.toFixed(2))).join(' ')}</td></tr>`,
    )
    .join('\n');
  const predHtml = decoders
    .map((d) => `<tr><th>${esc(DECODER_TITLES[d])}</th><td><img src="${predRows.get(d)}"></td></tr>`)
    .join('\n');
  const blankHtml = decoders
    .map(
      (d) =>
        `<figure><img src="${blank.get(d)!.file}"><figcaption>${d}: Nyquist share ${blank.get(d)!.share.toFixed(3)}</figcaption></figure>`,
    )
    .join('\n');
  const legend = PALETTE.map(
    (c, i) =>
      `<span class="sw" style="background: rgb(${c.map((v) => Math.round(v * 255)).join(',')})"></span>${i === BACKGROUND ? 'background' : i}`,
  ).join(' ');
  const s = settings;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>deconv segment: decoders compared</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1f2933; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border-bottom: 1px solid #cbd2d9; padding: 4px 8px; text-align: left; vertical-align: middle; }
img { image-rendering: pixelated; } figure { display: inline-block; margin: 6px; } figcaption { font-size: 12px; color: #52606d; max-width: 200px; }
.figure figure img { width: 192px; } .sw { display: inline-block; width: 12px; height: 12px; margin: 0 3px 0 10px; vertical-align: middle; }
code { background: #f0f4f8; padding: 0 3px; }
</style></head><body>
<h1>Segmentation with deconvolution decoders</h1>
<p>Digit canvases (${s.height}×${s.width}, one to three MNIST digits each, a label per pixel: the ten digits and background), ${s.trainSize} training canvases drawn from MNIST's training digits and ${s.testSize} test canvases from its test digits (data seed ${s.dataSeed}). Every decoder sits on the same encoder (channels ${s.channels.join(', ')}: conv 3×3, batch norm, ReLU, 2×2 max pool with switches per stage) and was trained with this library alone, ${s.epochs} epochs, batch ${s.batchSize}, Adam at peak lr ${s.lr} (warm-up, cosine decay), pixel-wise cross entropy, once per seed (the seed sets the initial weights and the shuffling). ${evaluated ? 'The scores below were recomputed from the weights now (<code>--evaluate</code>).' : 'The scores are those recorded by <code>deconv segment train</code> (<code>--evaluate</code> recomputes them from the weights).'}</p>
<h2>Scores on the ${s.testSize} test canvases</h2>
<p>Mean ± sample standard deviation over the seeds, and the range of mIoU. mIoU: intersection over union per class over the whole test set, averaged over the 11 classes (background included). Nyquist share: of the spectral energy of the logits for a blank canvas (mean removed per class), the share at the 2-pixel period along either axis — the checkerboard measure (about ${((s.height + s.width - 1) / (s.height * s.width)).toFixed(3)} for white noise).</p>
<table><tr><th>decoder</th><th>mIoU</th><th>range</th><th>pixel accuracy</th><th>Nyquist share</th><th>training time</th><th>seeds</th></tr>
${rows}
</table>
<details><summary>every run</summary><table><tr><th>decoder</th><th>seed</th><th>mIoU</th><th>pixel accuracy</th><th>Nyquist share</th><th>training time</th><th>IoU per class 0–9, background</th></tr>
${perSeed}
</table></details>
<h2>Example predictions</h2>
<p>The first ${examples} test canvases; each decoder's model of its lowest seed. Colours: ${legend}.</p>
<table><tr><th>input</th><td><img src="${inputRow}"></td></tr><tr><th>ground truth</th><td><img src="${truthRow}"></td></tr>
${predHtml}
</table>
<h2>A blank canvas</h2>
<p>The background logit of each decoder for an all-zero input, stretched to its range. What a decoder paints on nothing is its own pattern: max unpooling puts every value at the same corner of its 2×2 block (a blank input's pooling switches all pick the first element), transposed convolutions stamp their kernels, resize-convolution is smooth.</p>
<div>${blankHtml}</div>
${figure}
</body></html>
`;
  writeFileSync(join(out, 'index.html'), html);
  io.out(summaryTable(summary));
  io.out(`wrote ${join(out, 'index.html')} and ${files.length} PNGs\n`);
}
