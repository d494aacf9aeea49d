/**
 * The DeconvNet of Zeiler & Fergus: a lens on what a trained CNN responds to. The convolutional
 * front of a network (2-d conv, ReLU and max pooling layers) runs forward once, recording every
 * layer's output and, for each max pooling, the switches (where each maximum came from). Then an
 * activation map of one layer — all of it, or one activation with everything else set to zero —
 * goes back down to pixel space through the inverse of each layer in turn:
 *
 *     max pooling → max unpooling with the recorded switches   (maxUnpool2d)
 *     ReLU        → ReLU                                       (the signal stays non-negative)
 *     conv        → transposed conv with the same weights      (convTranspose2d, no bias)
 *
 * The projection of one strong activation shows the pattern in the input that excites it; with
 * the receptive field (`receptiveField`) one crops the image patch that caused it.
 *
 * Reference: M. D. Zeiler, R. Fergus, "Visualizing and Understanding Convolutional Networks"
 * (ECCV 2014), https://arxiv.org/abs/1311.2901, section 2.1.
 */
import { fail, show } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { Tensor, allocate, checkFloatTensor, checkLive, checkTensor } from '../tensor.js';
import { resolveConvPadding } from '../geometry/conv.js';
import { convTranspose2d } from '../ops/conv.js';
import { maxPool2d, maxUnpool2d } from '../ops/pool.js';
import { Conv2d, MaxPool2d, ReLU } from '../nn/layers.js';
import type { Module } from '../nn/module.js';

/** A layer the DeconvNet knows how to invert. */
export type DeconvNetLayer = Conv2d | ReLU | MaxPool2d<boolean>;

function isInvertible(m: unknown): m is DeconvNetLayer {
  return m instanceof Conv2d || m instanceof ReLU || m instanceof MaxPool2d;
}

/**
 * The convolutional front of a model: its layers (a `Sequential` or any iterable of modules) from
 * the first up to, not including, the first that is not a `Conv2d`, `ReLU` or `MaxPool2d` (e.g.
 * `Flatten`).
 *
 * @example
 *   const net = new nn.Sequential(new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3 }),
 *     new nn.ReLU(), new nn.MaxPool2d({ kernelSize: 2 }), new nn.Flatten());
 *   convFront(net).length; // 3
 */
export function convFront(model: Iterable<Module>): DeconvNetLayer[] {
  const fn = 'convFront';
  if (model === null || typeof model !== 'object' || !(Symbol.iterator in model))
    fail(fn, 'model', model, 'must be an nn.Sequential or an iterable of layers');
  const out: DeconvNetLayer[] = [];
  for (const m of model) {
    if (!isInvertible(m)) break;
    out.push(m);
  }
  if (out.length === 0) fail(fn, 'model', model, 'must start with a Conv2d, ReLU or MaxPool2d layer');
  return out;
}

/** What `deconvnetForward` records: every layer's output and every max pooling's switches. */
export interface DeconvNetTrace {
  readonly layers: readonly DeconvNetLayer[];
  /** `(N, C, H, W)` */
  readonly input: Tensor;
  /** `outputs[i]`: the output of `layers[i]`, `(N, C_i, H_i, W_i)` */
  readonly outputs: readonly Tensor[];
  /** `switches[i]`: the int32 indices of max pooling layer `i` (flat, per input plane); null for other layers */
  readonly switches: readonly (Tensor | null)[];
}

/**
 * Runs `input` `(N, C, H, W)` through `layers` without gradients, recording each layer's output
 * and the switches of each max pooling.
 *
 * @example
 *   const trace = deconvnetForward(convFront(net), images); // images (N, 1, 28, 28)
 *   trace.outputs[1].shape; // the ReLU after the first conv
 */
export function deconvnetForward(layers: readonly DeconvNetLayer[], input: Tensor): DeconvNetTrace {
  const fn = 'deconvnetForward';
  if (!Array.isArray(layers) || layers.length === 0) fail(fn, 'layers', layers, 'must be a non-empty array');
  layers.forEach((l, i) => {
    if (!isInvertible(l)) fail(fn, `layers[${i}]`, l, 'must be a Conv2d, ReLU or MaxPool2d');
    if (
      l instanceof MaxPool2d &&
      l.options.dilation !== undefined &&
      [l.options.dilation].flat().some((v) => v !== 1)
    )
      fail(fn, `layers[${i}].dilation`, l.options.dilation, 'must be 1: max unpooling has no dilation');
  });
  if (!(input instanceof Tensor) || input.shape.length !== 4 || input.dtype === 'int32')
    fail(fn, 'input', input, 'must be a float tensor (N, C, H, W)');
  checkLive(fn, 'input', input);
  return noGrad(() => {
    const outputs: Tensor[] = [];
    const switches: (Tensor | null)[] = [];
    let x = input;
    for (const l of layers) {
      if (l instanceof MaxPool2d) {
        const r = maxPool2d(x, { ...l.options, returnIndices: true });
        x = r.output;
        switches.push(r.indices);
      } else {
        x = l.forward(x);
        switches.push(null);
      }
      outputs.push(x);
    }
    return { layers: [...layers], input, outputs, switches };
  });
}

/**
 * Checks a trace (what deconvnetForward returned): its layers, and every tensor in it — the input,
 * each output, each max pooling's switches and each convolution's weight — a live deconv Tensor.
 */
function checkTrace(fn: string, trace: unknown): DeconvNetTrace {
  const t = trace as DeconvNetTrace;
  if (
    trace === null ||
    typeof trace !== 'object' ||
    !Array.isArray(t.layers) ||
    !Array.isArray(t.outputs) ||
    !Array.isArray(t.switches) ||
    t.outputs.length !== t.layers.length ||
    t.switches.length !== t.layers.length
  )
    fail(fn, 'trace', trace, 'must be a trace from deconvnetForward (layers, input, outputs, switches)');
  checkFloatTensor(fn, 'trace.input', t.input);
  t.layers.forEach((l, i) => {
    if (!isInvertible(l)) fail(fn, `trace.layers[${i}]`, l, 'must be a Conv2d, ReLU or MaxPool2d');
    if (l instanceof Conv2d) checkFloatTensor(fn, `trace.layers[${i}].weight`, l.weight);
    checkFloatTensor(fn, `trace.outputs[${i}]`, t.outputs[i]);
    if (l instanceof MaxPool2d) {
      const s = checkTensor(fn, `trace.switches[${i}]`, t.switches[i]);
      if (s.dtype !== 'int32') fail(fn, `trace.switches[${i}].dtype`, s.dtype, "must be 'int32'");
    }
  });
  return t;
}

/** The images `images` of a batched tensor, in that order: `(images.length, ...)`. */
export function selectImages(t: Tensor, images: readonly number[]): Tensor {
  checkTensor('selectImages', 't', t);
  if (t.shape.length === 0) fail('selectImages', 't', t, 'must have a batch dimension');
  if (!Array.isArray(images)) fail('selectImages', 'images', images, 'must be an array of image indices');
  const per = t.size / t.shape[0]!;
  const out = allocate('selectImages', 'images', [images.length, ...t.shape.slice(1)], t.dtype);
  images.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 0 || n >= t.shape[0]!)
      fail('selectImages', `images[${i}]`, n, `must be an image index in [0, ${t.shape[0]! - 1}]`);
    out.set(t.data.subarray(n * per, (n + 1) * per), i * per);
  });
  return new Tensor(out, [images.length, ...t.shape.slice(1)]);
}

function spatial(t: Tensor): [number, number] {
  return [t.shape[2]!, t.shape[3]!];
}

/**
 * Projects `activations` — a map shaped like the output of layer `from` — down to pixel space:
 * through the inverse of layers `from`, `from − 1`, …, 0 (max unpooling with the recorded
 * switches, ReLU, transposed convolution with the same weights and no bias). `images` says which
 * images of the trace each row of `activations` belongs to (their switches are used; default: all,
 * in order). Returns `(activations.shape[0], C_input, H, W)`.
 *
 * @example
 *   // every activation of layer 4 of image 0, back to pixels
 *   const back = deconvnetProject(trace, 4, selectImages(trace.outputs[4], [0]), [0]); // (1, 1, 28, 28)
 */
export function deconvnetProject(
  trace: DeconvNetTrace,
  from: number,
  activations: Tensor,
  images?: readonly number[],
): Tensor {
  const fn = 'deconvnetProject';
  const { layers, outputs, switches } = checkTrace(fn, trace);
  if (!Number.isInteger(from) || from < 0 || from >= layers.length)
    fail(fn, 'from', from, `must be a layer index in [0, ${layers.length - 1}]`);
  const n = trace.input.shape[0]!;
  const rows = images ?? Array.from({ length: n }, (_, i) => i);
  const expected = [rows.length, ...outputs[from]!.shape.slice(1)];
  checkFloatTensor(fn, 'activations', activations);
  if (show(activations.shape) !== show(expected))
    fail(
      fn,
      'activations',
      activations,
      `must have the shape ${show(expected)} (the output of layer ${from})`,
    );
  return noGrad(() => {
    let x = activations;
    for (let i = from; i >= 0; i--) {
      const l = layers[i]!;
      const below = i === 0 ? trace.input : outputs[i - 1]!;
      const outputSize = spatial(below);
      if (l instanceof ReLU) x = x.relu();
      else if (l instanceof MaxPool2d) {
        const idx = images === undefined ? switches[i]! : selectImages(switches[i]!, rows);
        const { kernelSize, stride, padding } = l.options;
        x = maxUnpool2d(x, idx, { kernelSize, stride, padding, outputSize });
      } else {
        const pad = resolveConvPadding(fn, l.padding, 2, l.kernelSize, l.stride, l.dilation);
        x = convTranspose2d(x, l.weight, {
          stride: l.stride,
          padding: pad.begin.map((b, d) => [b, pad.end[d]!] as [number, number]),
          dilation: l.dilation,
          groups: l.groups,
          outputSize,
        });
      }
    }
    return x;
  });
}

/** A window of the input, rows `[top, bottom)` and columns `[left, right)`; it may reach past the image. */
export interface PixelWindow {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * The receptive field of position `(y, x)` of the output of layer `from`: the input pixels that
 * can influence it. Going down, each conv or pooling layer maps rows `[a, b]` to
 * `[a·s − p, b·s − p + (k − 1)·d]`.
 *
 * @example receptiveField(layers, 4, 5, 5) // conv3 p1, relu, pool2, conv3 p1: { top: 7, bottom: 15, left: 7, right: 15 }
 */
export function receptiveField(
  layers: readonly DeconvNetLayer[],
  from: number,
  y: number,
  x: number,
): PixelWindow {
  let [a0, b0, a1, b1] = [y, y, x, x];
  for (let i = from; i >= 0; i--) {
    const l = layers[i]!;
    if (l instanceof ReLU) continue;
    let k: number[];
    let s: number[];
    let p: number[];
    let d: number[];
    if (l instanceof Conv2d) {
      k = [...l.kernelSize];
      s = [...l.stride];
      d = [...l.dilation];
      p = resolveConvPadding('receptiveField', l.padding, 2, k, s, d).begin;
    } else {
      const per = (v: unknown, fallback: number[]): number[] =>
        v === undefined ? fallback : typeof v === 'number' ? [v, v] : [...(v as number[])];
      k = per(l.options.kernelSize, [1, 1]);
      s = per(l.options.stride, k);
      p = per(l.options.padding, [0, 0]);
      d = [1, 1];
    }
    a0 = a0 * s[0]! - p[0]!;
    b0 = b0 * s[0]! - p[0]! + (k[0]! - 1) * d[0]!;
    a1 = a1 * s[1]! - p[1]!;
    b1 = b1 * s[1]! - p[1]! + (k[1]! - 1) * d[1]!;
  }
  return { top: a0, bottom: b0 + 1, left: a1, right: b1 + 1 };
}

/** One strong activation: image, channel, position and value. */
export interface Activation {
  image: number;
  channel: number;
  y: number;
  x: number;
  value: number;
}

/**
 * The `k` strongest activations of `channel` in the output of layer `from`, at most one per image
 * (each image's maximum, as Zeiler & Fergus's top-9 come from different images), strongest first;
 * only positive ones.
 *
 * @example topActivations(trace, 1, 0, 9) // [{ image: 412, channel: 0, y: 9, x: 14, value: 2.7 }, …]
 */
export function topActivations(trace: DeconvNetTrace, from: number, channel: number, k = 9): Activation[] {
  const fn = 'topActivations';
  checkTrace(fn, trace);
  if (!Number.isInteger(from) || from < 0 || from >= trace.outputs.length)
    fail(fn, 'from', from, `must be a layer index in [0, ${trace.outputs.length - 1}]`);
  const out = trace.outputs[from]!;
  const [n, c, h, w] = out.shape as [number, number, number, number];
  if (!Number.isInteger(channel) || channel < 0 || channel >= c)
    fail(fn, 'channel', channel, `must be a channel index in [0, ${c - 1}]`);
  const best: Activation[] = [];
  for (let i = 0; i < n; i++) {
    const base = (i * c + channel) * h * w;
    let m = 0;
    let at = -1;
    for (let p = 0; p < h * w; p++) {
      const v = out.data[base + p]!;
      if (v > m) {
        m = v;
        at = p;
      }
    }
    if (at >= 0) best.push({ image: i, channel, y: Math.floor(at / w), x: at % w, value: m });
  }
  best.sort((a, b) => b.value - a.value || a.image - b.image);
  return best.slice(0, k);
}

/**
 * Each activation alone in an otherwise zero map shaped like the output of layer `from`: one row
 * per activation, `(acts.length, C, H, W)`, to pass to `deconvnetProject` with `images` =
 * `acts.map((a) => a.image)`.
 */
export function isolate(trace: DeconvNetTrace, from: number, acts: readonly Activation[]): Tensor {
  checkTrace('isolate', trace);
  if (!Number.isInteger(from) || from < 0 || from >= trace.outputs.length)
    fail('isolate', 'from', from, `must be a layer index in [0, ${trace.outputs.length - 1}]`);
  if (!Array.isArray(acts)) fail('isolate', 'acts', acts, 'must be an array of activations');
  const [, c, h, w] = trace.outputs[from]!.shape as [number, number, number, number];
  const shape = [acts.length, c, h, w];
  const data = allocate('isolate', 'acts', shape, 'float32');
  acts.forEach((a, i) => {
    if (a.channel < 0 || a.channel >= c || a.y < 0 || a.y >= h || a.x < 0 || a.x >= w)
      fail('isolate', `acts[${i}]`, a, `must lie inside the (${c}, ${h}, ${w}) map of layer ${from}`);
    data[((i * c + a.channel) * h + a.y) * w + a.x] = a.value;
  });
  return new Tensor(data, shape);
}
