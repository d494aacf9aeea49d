/**
 * Semantic-segmentation networks whose decoders differ only in how they bring the encoder's coarse
 * features back to the input's size, on one shared encoder so that a comparison isolates the
 * decoder. Each model maps an image `(N, inChannels, H, W)` to per-pixel class logits
 * `(N, numClasses, H, W)`; train it with `nn.crossEntropy(logits, labels)` on `(N, H, W)` int32
 * labels.
 *
 * The shared encoder has one stage per entry of `channels` (default `[8, 16, 16]`): a 3×3 conv
 * (no bias: batch norm follows), batch norm, ReLU — the stage's *features* — then a 2×2 max pool
 * that records its switches (`returnIndices`). With three stages a 32×64 canvas comes down to 4×8
 * (stride 8). The decoders, from coarse to fine:
 *
 * - `segnet` (Badrinarayanan et al. 2017): per stage, max unpooling with that stage's switches,
 *   then a 3×3 conv block; a 3×3 conv to the class scores.
 * - `deconvnet` (Noh et al. 2015): the encoder mirrored: a deconvolution block at the bottleneck
 *   (Noh's deconv-fc6), then per stage max unpooling with the switches and a deconvolution block
 *   (3×3 transposed convolution, stride 1, batch norm, ReLU); a 1×1 conv to the class scores.
 *   `DeconvNet.forwardTrace` returns the activation after every unpooling and deconvolution layer,
 *   in the order of Noh et al.'s figure 4.
 * - `fcn8s` (Long et al. 2015): 1×1 score layers on the deepest pooled features and on the two
 *   pooled features before them (Long's score_pool4 and score_pool3; zero-initialised, as the paper
 *   does), fused by addition after ×2 transposed convolutions (kernel 4, stride 2, padding 1, no
 *   bias, `numClasses → numClasses`) initialised with Caffe's bilinear filler on the diagonal (class
 *   c to class c, zero elsewhere, as FCN's net surgery does) and learnt; a last bilinear-initialised
 *   transposed convolution up to the input's size. With the default three stages the finest skip
 *   is at stride 2, so the last upsampling is ×2 (FCN-8s on VGG's five stages: ×8); the structure,
 *   three score streams and two ×2 fusions, is FCN-8s's. Long et al. pad and crop where these pad.
 * - `unet` (Ronneberger et al. 2015): a conv block at the bottleneck, then per stage a 2×2
 *   transposed convolution of stride 2, concatenation with that stage's features (the skip), and a
 *   3×3 conv block on the concatenation; a 1×1 conv to the class scores.
 * - `resize-nearest`, `resize-bilinear` (Odena et al. 2016, resize-convolution): SegNet's decoder
 *   with each max unpooling replaced by nearest-neighbour or bilinear (`alignCorners: false`)
 *   upsampling ×2; so against `segnet` only the upsampling differs.
 *
 * Module and parameter names are those of the PyTorch modules in scripts/gen_segment_fixture.py, so
 * a state_dict moves between the two.
 *
 * References: V. Badrinarayanan, A. Kendall, R. Cipolla, "SegNet", https://arxiv.org/abs/1511.00561;
 * H. Noh, S. Hong, B. Han, "Learning Deconvolution Network for Semantic Segmentation",
 * https://arxiv.org/abs/1505.04366; J. Long, E. Shelhamer, T. Darrell, "Fully Convolutional
 * Networks for Semantic Segmentation", https://arxiv.org/abs/1411.4038; O. Ronneberger, P. Fischer,
 * T. Brox, "U-Net", https://arxiv.org/abs/1505.04597; A. Odena, V. Dumoulin, C. Olah,
 * https://distill.pub/2016/deconv-checkerboard/.
 */
import { fail } from '../errors.js';
import { Rng } from '../random.js';
import { Tensor, checkTensor } from '../tensor.js';
import { checkOptions } from '../geometry/args.js';
import { maxPool2d, maxUnpool2d } from '../ops/pool.js';
import { interpolate } from '../ops/interpolate.js';
import { concat } from '../ops/concat.js';
import * as ew from '../ops/elementwise.js';
import { Module, Sequential } from './module.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, ReLU } from './layers.js';
import { bilinearFiller } from './init.js';
import { defaultGenerator, zeros as zeroInit } from './initializers.js';

/** The decoders `segmentationModel` builds. */
export const SEGMENTATION_DECODERS = [
  'segnet',
  'deconvnet',
  'fcn8s',
  'unet',
  'resize-nearest',
  'resize-bilinear',
] as const;
export type SegmentationDecoder = (typeof SEGMENTATION_DECODERS)[number];

export interface SegmentationOptions {
  /** channels of the input image (default 1) */
  inChannels?: number;
  /** classes per pixel, background included (default 11: ten digits and background) */
  numClasses?: number;
  /** channels of each encoder stage, shallow to deep (default `[8, 16, 16]`); one 2×2 pool per stage */
  channels?: readonly number[];
  /** `'float32'` (default) or `'float64'` */
  dtype?: 'float32' | 'float64';
  /** generator for the initial weights; default the one `nn.manualSeed` seeds */
  rng?: Rng;
}

interface Resolved {
  inChannels: number;
  numClasses: number;
  channels: number[];
  dtype: 'float32' | 'float64';
  rng: Rng;
}

function resolve(fn: string, options: SegmentationOptions): Resolved {
  const o = checkOptions<SegmentationOptions>(fn, options, [
    'inChannels',
    'numClasses',
    'channels',
    'dtype',
    'rng',
  ]);
  const int = (name: string, v: unknown, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      fail(fn, name, v, 'must be a positive integer');
    return v;
  };
  const channels = o.channels ?? [8, 16, 16];
  if (!Array.isArray(channels) || channels.length < 1 || channels.length > 6)
    fail(fn, 'channels', channels, 'must be an array of 1 to 6 channel counts (one per encoder stage)');
  channels.forEach((c, i) => int(`channels[${i}]`, c, 0));
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') fail(fn, 'dtype', dtype, "must be 'float32' or 'float64'");
  if (o.rng !== undefined && !(o.rng instanceof Rng)) fail(fn, 'rng', o.rng, 'must be an Rng');
  return {
    inChannels: int('inChannels', o.inChannels, 1),
    numClasses: int('numClasses', o.numClasses, 11),
    channels: [...channels],
    dtype,
    rng: o.rng ?? defaultGenerator(),
  };
}

/** 3×3 conv (or stride-1 transposed conv: a deconvolution layer), batch norm, ReLU. */
function block(r: Resolved, inChannels: number, outChannels: number, transposed = false): Sequential {
  const layer = {
    inChannels,
    outChannels,
    kernelSize: 3,
    padding: 1,
    bias: false,
    dtype: r.dtype,
    rng: r.rng,
  };
  return new Sequential(
    transposed ? new ConvTranspose2d(layer) : new Conv2d(layer),
    new BatchNorm2d({ numFeatures: outChannels, dtype: r.dtype }),
    new ReLU(),
  );
}

/** A container of named stages (PyTorch: a plain `nn.Module` holding them as attributes). */
class Stages extends Module {}

/** What the encoder hands to a decoder, one entry per stage (shallow first). */
export interface EncoderOutput {
  /** each stage's features before pooling `(N, channels[i], H / 2^i, W / 2^i)` */
  features: Tensor[];
  /** each stage's pooled features `(N, channels[i], H / 2^(i+1), W / 2^(i+1))` */
  pooled: Tensor[];
  /** each pooling's switches (int32, same shape as `pooled[i]`) */
  indices: Tensor[];
}

/**
 * The shared encoder: per stage (`stage1`, `stage2`, …) a conv block and a 2×2 max pool with
 * switches. `(N, inChannels, H, W)` → `EncoderOutput`.
 *
 * @example
 *   const enc = new nn.SegmentationEncoder({ channels: [8, 16] });
 *   enc.forward(randn([2, 1, 32, 64])).pooled[1].shape; // [2, 16, 8, 16]
 */
export class SegmentationEncoder extends Module {
  readonly channels: readonly number[];
  readonly stages: Sequential[];

  constructor(options: SegmentationOptions = {}) {
    super();
    const r = resolve('SegmentationEncoder', options);
    this.channels = r.channels;
    this.stages = r.channels.map((c, i) =>
      this.registerModule(`stage${i + 1}`, block(r, i === 0 ? r.inChannels : r.channels[i - 1]!, c)),
    );
  }

  forward(x: Tensor): EncoderOutput {
    const out: EncoderOutput = { features: [], pooled: [], indices: [] };
    let h = x;
    for (const stage of this.stages) {
      const f = stage.forward(h);
      const p = maxPool2d(f, { kernelSize: 2, returnIndices: true });
      out.features.push(f);
      out.pooled.push(p.output);
      out.indices.push(p.indices);
      h = p.output;
    }
    return out;
  }
}

/** A segmentation model: image `(N, inChannels, H, W)` → logits `(N, numClasses, H, W)`. */
export abstract class SegmentationModel extends Module {
  /** which decoder (the `segmentationModel` name) */
  readonly kind: SegmentationDecoder;
  readonly numClasses: number;
  readonly channels: readonly number[];
  readonly encoder: SegmentationEncoder;

  constructor(decoder: SegmentationDecoder, r: Resolved) {
    super();
    this.kind = decoder;
    this.numClasses = r.numClasses;
    this.channels = r.channels;
    this.encoder = this.registerModule(
      'encoder',
      new SegmentationEncoder({
        inChannels: r.inChannels,
        channels: r.channels,
        dtype: r.dtype,
        rng: r.rng,
      }),
    );
  }

  /** `(N, inChannels, H, W)` with H and W divisible by `2^channels.length` → `(N, numClasses, H, W)`. */
  forward(x: Tensor): Tensor {
    const fn = this.constructor.name;
    if (!(x instanceof Tensor)) fail(fn, 'input', x, 'must be a Tensor');
    const f = 2 ** this.channels.length;
    if (x.shape.length !== 4 || x.shape[2]! % f !== 0 || x.shape[3]! % f !== 0)
      fail(fn, 'input.shape', x.shape, `must be (N, C, H, W) with H and W divisible by ${f}`);
    return this.decode(this.encoder.forward(x));
  }

  protected abstract decode(e: EncoderOutput): Tensor;
}

const spatial = (t: Tensor): number[] => t.shape.slice(2);
const outChannelsOf = (r: Resolved, i: number): number => r.channels[Math.max(i - 1, 0)]!;

/**
 * SegNet, or with `upsample: 'nearest' | 'bilinear'` the resize-convolution decoder: per stage
 * (deep first) ×2 upsampling — max unpooling with the stage's switches, or interpolation — then a
 * conv block (`decoder.stage<i>`), then a 3×3 conv to the classes (`classifier`).
 *
 * @example
 *   const net = new nn.SegNet({ channels: [8, 16, 16] });
 *   net.forward(randn([2, 1, 32, 64])).shape; // [2, 11, 32, 64]
 */
export class SegNet extends SegmentationModel {
  readonly upsample: 'unpool' | 'nearest' | 'bilinear';
  readonly stages: Sequential[];
  readonly classifier: Conv2d;

  constructor(options: SegmentationOptions & { upsample?: 'unpool' | 'nearest' | 'bilinear' } = {}) {
    const { upsample = 'unpool', ...rest } = options;
    const fn = upsample === 'unpool' ? 'SegNet' : 'ResizeConv';
    const r = resolve(fn, rest);
    if (upsample !== 'unpool' && upsample !== 'nearest' && upsample !== 'bilinear')
      fail(fn, 'upsample', upsample, "must be 'unpool', 'nearest' or 'bilinear'");
    super(
      upsample === 'unpool' ? 'segnet' : upsample === 'nearest' ? 'resize-nearest' : 'resize-bilinear',
      r,
    );
    this.upsample = upsample;
    const decoder = this.registerModule('decoder', new Stages());
    this.stages = [];
    for (let i = r.channels.length - 1; i >= 0; i--) {
      const b = block(r, r.channels[i]!, outChannelsOf(r, i));
      decoder.registerModule(`stage${i + 1}`, b);
      this.stages.unshift(b);
    }
    this.classifier = this.registerModule(
      'classifier',
      new Conv2d({
        inChannels: r.channels[0]!,
        outChannels: r.numClasses,
        kernelSize: 3,
        padding: 1,
        dtype: r.dtype,
        rng: r.rng,
      }),
    );
  }

  protected decode(e: EncoderOutput): Tensor {
    let h = e.pooled[e.pooled.length - 1]!;
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const size = spatial(e.features[i]!);
      h =
        this.upsample === 'unpool'
          ? maxUnpool2d(h, e.indices[i]!, { kernelSize: 2, outputSize: size })
          : interpolate(h, {
              size,
              mode: this.upsample,
              ...(this.upsample === 'bilinear' ? { alignCorners: false } : {}),
            });
      h = this.stages[i]!.forward(h);
    }
    return this.classifier.forward(h);
  }
}

/** One activation of the DeconvNet decoder, for Noh et al.'s figure. */
export interface DeconvNetActivation {
  /** `'deconv-center'`, `'unpool3'`, `'deconv3'`, … (stage numbers count from the input) */
  layer: string;
  kind: 'unpool' | 'deconv';
  /** `(N, C, h, w)` */
  output: Tensor;
}

/**
 * DeconvNet (Noh et al.): the encoder mirrored by unpooling and deconvolution layers: `center`
 * (a deconvolution block on the deepest pooled features), then per stage (deep first) max
 * unpooling with the switches and a deconvolution block (`decoder.stage<i>`: 3×3 transposed conv,
 * stride 1, batch norm, ReLU), then a 1×1 conv to the classes (`classifier`).
 *
 * @example
 *   const net = new nn.DeconvNet();
 *   const { logits, activations } = net.forwardTrace(randn([1, 1, 32, 64]));
 *   activations.map((a) => a.layer); // ['deconv-center', 'unpool3', 'deconv3', 'unpool2', 'deconv2', 'unpool1', 'deconv1']
 */
export class DeconvNet extends SegmentationModel {
  readonly center: Sequential;
  readonly stages: Sequential[];
  readonly classifier: Conv2d;

  constructor(options: SegmentationOptions = {}) {
    const r = resolve('DeconvNet', options);
    super('deconvnet', r);
    const deepest = r.channels[r.channels.length - 1]!;
    this.center = this.registerModule('center', block(r, deepest, deepest, true));
    const decoder = this.registerModule('decoder', new Stages());
    this.stages = [];
    for (let i = r.channels.length - 1; i >= 0; i--) {
      const b = block(r, r.channels[i]!, outChannelsOf(r, i), true);
      decoder.registerModule(`stage${i + 1}`, b);
      this.stages.unshift(b);
    }
    this.classifier = this.registerModule(
      'classifier',
      new Conv2d({
        inChannels: r.channels[0]!,
        outChannels: r.numClasses,
        kernelSize: 1,
        dtype: r.dtype,
        rng: r.rng,
      }),
    );
  }

  /** The logits and every unpooling and deconvolution layer's output, coarse to fine. */
  forwardTrace(x: Tensor): { logits: Tensor; activations: DeconvNetActivation[] } {
    const activations: DeconvNetActivation[] = [];
    this.#trace = activations;
    try {
      return { logits: this.forward(x), activations };
    } finally {
      this.#trace = null;
    }
  }

  #trace: DeconvNetActivation[] | null = null;

  protected decode(e: EncoderOutput): Tensor {
    const keep = (layer: string, kind: 'unpool' | 'deconv', output: Tensor): Tensor => {
      this.#trace?.push({ layer, kind, output });
      return output;
    };
    let h = keep('deconv-center', 'deconv', this.center.forward(e.pooled[e.pooled.length - 1]!));
    for (let i = this.stages.length - 1; i >= 0; i--) {
      h = keep(
        `unpool${i + 1}`,
        'unpool',
        maxUnpool2d(h, e.indices[i]!, { kernelSize: 2, outputSize: spatial(e.features[i]!) }),
      );
      h = keep(`deconv${i + 1}`, 'deconv', this.stages[i]!.forward(h));
    }
    return this.classifier.forward(h);
  }
}

/**
 * A `(C, C, k, k)` transposed-convolution weight that upsamples each class map on its own: Caffe's
 * bilinear filler on the diagonal (input channel c to output channel c), zero elsewhere.
 */
function bilinearDiagonal(weight: Tensor): void {
  const [c, , k] = weight.shape as [number, number, number, number];
  const slice = bilinearFiller([1, 1, k, k], {
    dtype: weight.dtype === 'float64' ? 'float64' : 'float32',
  }).data;
  weight.data.fill(0);
  for (let i = 0; i < c; i++) weight.data.set(slice, (i * c + i) * k * k);
  weight.markModified();
}

/**
 * FCN-8s (Long et al.) on the shared encoder: `score_fr` (1×1 conv on the deepest pooled features),
 * `upscore2` (×2), plus `score_pool4` (1×1 on the pooled features one stage up), `upscore_pool4`
 * (×2), plus `score_pool3` (two stages up), then `upscore8` up to the input's size. Every
 * upsampling is a learnt transposed convolution without bias initialised to bilinear interpolation
 * (see the file's comment); the score layers start at zero. Needs at least three encoder stages.
 *
 * @example
 *   const net = new nn.FCN8s({ channels: [8, 16, 16] });
 *   net.upscore2.weight.shape; // [11, 11, 4, 4]
 */
export class FCN8s extends SegmentationModel {
  readonly scoreFr: Conv2d;
  readonly scorePool4: Conv2d;
  readonly scorePool3: Conv2d;
  readonly upscore2: ConvTranspose2d;
  readonly upscorePool4: ConvTranspose2d;
  readonly upscore8: ConvTranspose2d;

  constructor(options: SegmentationOptions = {}) {
    const r = resolve('FCN8s', options);
    if (r.channels.length < 3)
      fail('FCN8s', 'channels', r.channels, 'must have at least 3 stages (two skips and the deepest)');
    super('fcn8s', r);
    const S = r.channels.length;
    const K = r.numClasses;
    const score = (name: string, c: number): Conv2d => {
      const conv = this.registerModule(
        name,
        new Conv2d({ inChannels: c, outChannels: K, kernelSize: 1, dtype: r.dtype, rng: r.rng }),
      );
      zeroInit(conv.weight);
      zeroInit(conv.bias!);
      return conv;
    };
    const up = (name: string, factor: number): ConvTranspose2d => {
      const kernelSize = 2 * factor - (factor % 2);
      const t = this.registerModule(
        name,
        new ConvTranspose2d({
          inChannels: K,
          outChannels: K,
          kernelSize,
          stride: factor,
          padding: Math.ceil((factor - 1) / 2),
          bias: false,
          dtype: r.dtype,
          rng: r.rng,
        }),
      );
      bilinearDiagonal(t.weight);
      return t;
    };
    this.scoreFr = score('score_fr', r.channels[S - 1]!);
    this.scorePool4 = score('score_pool4', r.channels[S - 2]!);
    this.scorePool3 = score('score_pool3', r.channels[S - 3]!);
    this.upscore2 = up('upscore2', 2);
    this.upscorePool4 = up('upscore_pool4', 2);
    this.upscore8 = up('upscore8', 2 ** (S - 2));
  }

  protected decode(e: EncoderOutput): Tensor {
    const S = e.pooled.length;
    const p4 = e.pooled[S - 2]!;
    const p3 = e.pooled[S - 3]!;
    let h = this.upscore2.forward(this.scoreFr.forward(e.pooled[S - 1]!), spatial(p4));
    h = ew.add(h, this.scorePool4.forward(p4));
    h = this.upscorePool4.forward(h, spatial(p3));
    h = ew.add(h, this.scorePool3.forward(p3));
    return this.upscore8.forward(h, spatial(e.features[0]!));
  }
}

/**
 * U-Net (Ronneberger et al.) on the shared encoder: `center` (a conv block on the deepest pooled
 * features), then per stage (deep first) `up<i>` (2×2 transposed conv, stride 2) to that stage's
 * size, concatenation with the stage's features, and `decoder.stage<i>` (a conv block from twice
 * the stage's channels to its channels); `classifier` (1×1 conv) to the classes.
 *
 * @example
 *   const net = new nn.UNet({ channels: [8, 16, 16] });
 *   net.forward(randn([1, 1, 32, 64])).shape; // [1, 11, 32, 64]
 */
export class UNet extends SegmentationModel {
  readonly center: Sequential;
  readonly ups: ConvTranspose2d[];
  readonly stages: Sequential[];
  readonly classifier: Conv2d;

  constructor(options: SegmentationOptions = {}) {
    const r = resolve('UNet', options);
    super('unet', r);
    const S = r.channels.length;
    const deepest = r.channels[S - 1]!;
    this.center = this.registerModule('center', block(r, deepest, deepest));
    this.ups = [];
    this.stages = [];
    const decoder = this.registerModule('decoder', new Stages());
    for (let i = S - 1; i >= 0; i--) {
      const c = r.channels[i]!;
      const from = i === S - 1 ? deepest : r.channels[i + 1]!;
      const up = this.registerModule(
        `up${i + 1}`,
        new ConvTranspose2d({
          inChannels: from,
          outChannels: c,
          kernelSize: 2,
          stride: 2,
          dtype: r.dtype,
          rng: r.rng,
        }),
      );
      const b = block(r, 2 * c, c);
      decoder.registerModule(`stage${i + 1}`, b);
      this.ups.unshift(up);
      this.stages.unshift(b);
    }
    this.classifier = this.registerModule(
      'classifier',
      new Conv2d({
        inChannels: r.channels[0]!,
        outChannels: r.numClasses,
        kernelSize: 1,
        dtype: r.dtype,
        rng: r.rng,
      }),
    );
  }

  protected decode(e: EncoderOutput): Tensor {
    let h = this.center.forward(e.pooled[e.pooled.length - 1]!);
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const skip = e.features[i]!;
      h = this.ups[i]!.forward(h, spatial(skip));
      h = this.stages[i]!.forward(concat([h, skip], 1));
    }
    return this.classifier.forward(h);
  }
}

/**
 * The segmentation model with that decoder on the shared encoder (see the file's comment).
 *
 * @example
 *   import { nn, randn } from 'deconv';
 *   nn.manualSeed(0);
 *   const net = nn.segmentationModel('unet', { numClasses: 11, channels: [8, 16, 16] });
 *   const logits = net.forward(randn([4, 1, 32, 64])); // (4, 11, 32, 64)
 *   const loss = nn.crossEntropy(logits, labels);      // labels (4, 32, 64) int32
 */
export function segmentationModel(
  decoder: SegmentationDecoder,
  options: SegmentationOptions = {},
): SegmentationModel {
  switch (decoder) {
    case 'segnet':
      return new SegNet(options);
    case 'resize-nearest':
      return new SegNet({ ...options, upsample: 'nearest' });
    case 'resize-bilinear':
      return new SegNet({ ...options, upsample: 'bilinear' });
    case 'deconvnet':
      return new DeconvNet(options);
    case 'fcn8s':
      return new FCN8s(options);
    case 'unet':
      return new UNet(options);
    default:
      return fail(
        'segmentationModel',
        'decoder',
        decoder,
        `must be one of ${SEGMENTATION_DECODERS.join(', ')}`,
      );
  }
}

// ------------------------------------------------------------------------------------------------
// Scores

function checkLogits(fn: string, logits: unknown): Tensor {
  const t = checkTensor(fn, 'logits', logits);
  if (t.shape.length !== 4 || t.dtype === 'int32')
    fail(fn, 'logits.shape', t.shape, 'must be float (N, numClasses, H, W)');
  return t;
}

/**
 * The class of highest logit at every pixel: `(N, C, H, W)` → `(N, H, W)` int32 (ties: the lower class).
 *
 * @example predictLabels(net.forward(images)).shape // [N, H, W]
 */
export function predictLabels(logits: Tensor): Tensor {
  const x = checkLogits('predictLabels', logits);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const plane = H * W;
  const out = new Int32Array(N * plane);
  const d = x.data;
  for (let n = 0; n < N; n++)
    for (let p = 0; p < plane; p++) {
      let best = 0;
      let bv = d[n * C * plane + p]!;
      for (let c = 1; c < C; c++) {
        const v = d[(n * C + c) * plane + p]!;
        if (v > bv) {
          bv = v;
          best = c;
        }
      }
      out[n * plane + p] = best;
    }
  return new Tensor(out, [N, H, W]);
}

/**
 * Adds the pixels of `predicted` against `labels` (both `(N, H, W)` int32 class indices in
 * `[0, numClasses)`) to a confusion matrix, row = true class, column = predicted class
 * (`numClasses²` counts, row-major). Returns `into` (a new matrix when not given).
 *
 * @example const m = confusionMatrix(predictLabels(logits), labels, 11);
 */
export function confusionMatrix(
  predicted: Tensor,
  labels: Tensor,
  numClasses: number,
  into: Float64Array = new Float64Array(numClasses * numClasses),
): Float64Array {
  const fn = 'confusionMatrix';
  if (!Number.isInteger(numClasses) || numClasses < 1)
    fail(fn, 'numClasses', numClasses, 'must be a positive integer');
  if (checkTensor(fn, 'predicted', predicted).dtype !== 'int32')
    fail(fn, 'predicted', predicted, 'must be an int32 Tensor');
  if (checkTensor(fn, 'labels', labels).dtype !== 'int32')
    fail(fn, 'labels', labels, 'must be an int32 Tensor');
  if (predicted.size !== labels.size)
    fail(fn, 'labels.shape', labels.shape, `must have as many pixels as predicted (${predicted.size})`);
  if (into.length !== numClasses * numClasses)
    fail(fn, 'into', into.length, `must have numClasses² = ${numClasses * numClasses} entries`);
  const p = predicted.data;
  const t = labels.data;
  for (let i = 0; i < p.length; i++) {
    const a = t[i]!;
    const b = p[i]!;
    if (a < 0 || a >= numClasses) fail(fn, `labels[${i}]`, a, `must be in [0, ${numClasses - 1}]`);
    if (b < 0 || b >= numClasses) fail(fn, `predicted[${i}]`, b, `must be in [0, ${numClasses - 1}]`);
    into[a * numClasses + b]!++;
  }
  return into;
}

export interface SegmentationScores {
  /** mean over the classes that occur (in the labels or the predictions) of each one's IoU */
  meanIou: number;
  /** share of pixels labelled right */
  pixelAccuracy: number;
  /** per class `TP / (TP + FP + FN)`, NaN for a class that occurs nowhere */
  iou: number[];
}

/**
 * Intersection over union per class, its mean, and pixel accuracy from a confusion matrix (the
 * PASCAL VOC definitions, accumulated over the whole data set, background included).
 *
 * @example segmentationScores(confusionMatrix(pred, labels, 11), 11).meanIou
 */
export function segmentationScores(confusion: Float64Array, numClasses: number): SegmentationScores {
  const K = numClasses;
  if (!Number.isInteger(K) || K < 1 || confusion.length !== K * K)
    fail('segmentationScores', 'confusion', confusion.length, `must have numClasses² = ${K * K} entries`);
  let right = 0;
  let total = 0;
  const iou: number[] = [];
  for (let c = 0; c < K; c++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < K; j++) {
      row += confusion[c * K + j]!;
      col += confusion[j * K + c]!;
    }
    const tp = confusion[c * K + c]!;
    right += tp;
    total += row;
    const union = row + col - tp;
    iou.push(union === 0 ? NaN : tp / union);
  }
  const present = iou.filter((v) => !Number.isNaN(v));
  return {
    meanIou: present.length === 0 ? NaN : present.reduce((a, b) => a + b, 0) / present.length,
    pixelAccuracy: total === 0 ? NaN : right / total,
    iou,
  };
}

/**
 * A checkerboard measure: the share of the spectral energy of `logits` `(C, H, W)` or
 * `(1, C, H, W)` (H and W even) that lies at the Nyquist frequency — the 2-pixel period — along
 * either axis: per channel, after removing its mean, `Σ |F(u, v)|²` over the DFT bins with
 * `u = H/2` or `v = W/2`, summed over the channels, over the total `Σ |F|²`. Noise spreads it
 * over all bins (share ≈ (H + W − 1) / (H·W)); a decoder that stamps a 2-periodic pattern on a
 * blank input puts most of its energy there. 0 for a constant map.
 *
 * @example nyquistEnergyShare(net.forward(zeros([1, 1, 32, 64]))) // e.g. 0.4 for max unpooling
 */
export function nyquistEnergyShare(logits: Tensor): number {
  const fn = 'nyquistEnergyShare';
  checkTensor(fn, 'logits', logits);
  const s = logits.shape;
  const ok =
    (s.length === 3 || (s.length === 4 && s[0] === 1)) &&
    s[s.length - 1]! % 2 === 0 &&
    s[s.length - 2]! % 2 === 0;
  if (!ok || logits.dtype === 'int32')
    fail(fn, 'logits.shape', s, 'must be float (C, H, W) or (1, C, H, W) with H and W even');
  const [C, H, W] = s.slice(-3) as [number, number, number];
  const plane = H * W;
  const d = logits.data;
  // DFT along x then along y, real and imaginary parts; tables of cos / sin
  const cosW = Float64Array.from({ length: W * W }, (_, i) =>
    Math.cos((2 * Math.PI * (Math.floor(i / W) * (i % W))) / W),
  );
  const sinW = Float64Array.from({ length: W * W }, (_, i) =>
    Math.sin((2 * Math.PI * (Math.floor(i / W) * (i % W))) / W),
  );
  const cosH = Float64Array.from({ length: H * H }, (_, i) =>
    Math.cos((2 * Math.PI * (Math.floor(i / H) * (i % H))) / H),
  );
  const sinH = Float64Array.from({ length: H * H }, (_, i) =>
    Math.sin((2 * Math.PI * (Math.floor(i / H) * (i % H))) / H),
  );
  let nyquist = 0;
  let total = 0;
  const re = new Float64Array(plane);
  const im = new Float64Array(plane);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    for (let p = 0; p < plane; p++) mean += d[c * plane + p]!;
    mean /= plane;
    // rows: (y, x) → (y, v)
    for (let y = 0; y < H; y++)
      for (let v = 0; v < W; v++) {
        let r = 0;
        let i = 0;
        for (let x = 0; x < W; x++) {
          const a = d[c * plane + y * W + x]! - mean;
          r += a * cosW[v * W + x]!;
          i -= a * sinW[v * W + x]!;
        }
        re[y * W + v] = r;
        im[y * W + v] = i;
      }
    // columns: (y, v) → (u, v)
    for (let u = 0; u < H; u++)
      for (let v = 0; v < W; v++) {
        let r = 0;
        let i = 0;
        for (let y = 0; y < H; y++) {
          const cr = cosH[u * H + y]!;
          const si = -sinH[u * H + y]!;
          r += re[y * W + v]! * cr - im[y * W + v]! * si;
          i += re[y * W + v]! * si + im[y * W + v]! * cr;
        }
        const e = r * r + i * i;
        total += e;
        if (u === H / 2 || v === W / 2) nyquist += e;
      }
  }
  return total <= 1e-20 * plane * C ? 0 : nyquist / total;
}
