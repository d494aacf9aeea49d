/**
 * A transposed-convolution configuration written as the layer call of four frameworks: PyTorch
 * `nn.ConvTranspose2d`, TensorFlow.js `tf.layers.conv2dTranspose`, ONNX `ConvTranspose` and Keras
 * `Conv2DTranspose` (TensorFlow semantics) — or the reason a framework cannot express it.
 *
 * PyTorch and ONNX take explicit padding and output padding, so they express every configuration:
 * `o = s·(i − 1) − pBegin − pEnd + d·(k − 1) + 1 + a`.
 *
 * TensorFlow.js and Keras take only `padding: 'valid' | 'same'`. They pick the output size
 * (TF.js `deconvLength`: 'valid' `i·s + max(kE − s, 0)`, 'same' `i·s`; Keras: the same, or
 * `(i − 1)·s + kE − 2·pad + outputPadding` with pad 0 / ⌊kE / 2⌋ when `output_padding` is given),
 * then compute the gradient of a convolution whose input has that size, padded the TensorFlow way:
 * 'valid' pads nothing, 'same' pads `max((i − 1)·s + kE − o, 0)` in total, `⌊total / 2⌋` before
 * (and TensorFlow requires `⌈o / s⌉ = i`). So a configuration is expressible exactly when some
 * mode gives the same output size and pads `p` before. TF.js has no dilation and no output
 * padding; Keras has `output_padding < stride` and refuses dilation > 1 with stride > 1.
 *
 * References: PyTorch `torch.nn.ConvTranspose2d`; ONNX ConvTranspose (opset 11+);
 * tfjs-layers `Conv2DTranspose` and `deconvLength`; Keras `Conv2DTranspose`,
 * `compute_conv_transpose_output_length`; TensorFlow `conv2d_backprop_input` SAME padding.
 */
import { fail } from '../errors.js';
import { checkInt, NON_NEGATIVE, perDim, POSITIVE } from '../geometry/args.js';
import {
  checkedTransposedOutputLength,
  checkOutputPadding,
  effectiveKernel,
  transposedDim,
  transposedOutputLength,
} from '../geometry/arithmetic.js';

export interface LayerConfig {
  kernelSize: readonly number[];
  stride: readonly number[];
  padding: readonly number[];
  outputPadding: readonly number[];
  dilation: readonly number[];
}

export type Snippet = { ok: true; code: string; note?: string } | { ok: false; reason: string };

export interface FrameworkSnippets {
  pytorch: Snippet;
  tfjs: Snippet;
  onnx: Snippet;
  keras: Snippet;
}

type Mode = 'valid' | 'same';

/** A scalar when every dimension agrees, else a tuple in the language's syntax. */
function value(v: readonly number[], open: string, close: string): string {
  return v.every((x) => x === v[0]) ? String(v[0]) : `${open}${v.join(', ')}${close}`;
}

/** Keras / TF.js output length (`compute_conv_transpose_output_length`, `deconvLength`). */
function tfLength(
  i: number,
  k: number,
  d: number,
  s: number,
  mode: Mode,
  outputPadding: number | null,
): number {
  const kE = effectiveKernel(k, d);
  if (outputPadding === null) return mode === 'valid' ? i * s + Math.max(kE - s, 0) : i * s;
  const pad = mode === 'valid' ? 0 : Math.floor(kE / 2);
  return transposedOutputLength({
    inputSize: i,
    kernelSize: k,
    stride: s,
    padBegin: pad,
    padEnd: pad,
    dilation: d,
    outputPadding,
  });
}

/** The padding TensorFlow puts before, for a conv input of size `o`; null if TF refuses the sizes. */
function tfPadBefore(i: number, o: number, kE: number, s: number, mode: Mode): number | null {
  if (o < 1) return null;
  if (mode === 'valid') return Math.ceil((o - kE + 1) / s) === i ? 0 : null;
  if (Math.ceil(o / s) !== i) return null;
  return Math.floor(Math.max((i - 1) * s + kE - o, 0) / 2);
}

/** Whether a TF-style layer in `mode` with `outputPadding` computes dimension n of the config. */
function tfMatches(c: LayerConfig, i: number, n: number, mode: Mode, outputPadding: number | null): boolean {
  const k = c.kernelSize[n]!;
  const s = c.stride[n]!;
  const d = c.dilation[n]!;
  const o = transposedOutputLength(transposedDim(c, n, i));
  const tfO = tfLength(i, k, d, s, mode, outputPadding);
  return tfO === o && tfPadBefore(i, o, effectiveKernel(k, d), s, mode) === c.padding[n];
}

const FN = 'frameworkSnippets';

const CONFIG_KEYS = ['kernelSize', 'stride', 'padding', 'outputPadding', 'dilation'] as const;

/**
 * The arguments checked, as convTransposeOutputSize checks its own: one to three dimensions (the
 * length of `config.kernelSize`), integers within the option bounds, output padding below
 * max(stride, dilation), an output of at least 1, and known keys only.
 */
function checkArguments(
  config: unknown,
  inputSize: unknown,
  channels: unknown,
): { c: LayerConfig; input: number[]; cin?: number; cout?: number } {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    fail(FN, 'config', config, `must be an object { ${CONFIG_KEYS.join(', ')} }`);
  const r = config as Record<string, unknown>;
  // a solveConvTranspose result may be passed as it is: its evenOverlap is ignored
  const known: readonly string[] = [...CONFIG_KEYS, 'evenOverlap'];
  for (const [key, v] of Object.entries(r)) {
    if (v !== undefined && !known.includes(key))
      fail(FN, `config.${key}`, v, `is not a field of config (its fields: ${CONFIG_KEYS.join(', ')})`);
  }
  if (r.evenOverlap !== undefined && typeof r.evenOverlap !== 'boolean')
    fail(FN, 'config.evenOverlap', r.evenOverlap, 'must be true or false');
  const k = r.kernelSize;
  if (!Array.isArray(k) || k.length < 1 || k.length > 3)
    fail(FN, 'config.kernelSize', k, 'must be an array of 1 to 3 kernel sizes, one per spatial dimension');
  const d = k.length;
  const c: LayerConfig = {
    kernelSize: perDim(FN, 'config.kernelSize', k, d, POSITIVE),
    stride: perDim(FN, 'config.stride', r.stride, d, POSITIVE),
    padding: perDim(FN, 'config.padding', r.padding, d, NON_NEGATIVE),
    outputPadding: perDim(FN, 'config.outputPadding', r.outputPadding, d, NON_NEGATIVE),
    dilation: perDim(FN, 'config.dilation', r.dilation, d, POSITIVE),
  };
  checkOutputPadding(FN, c.outputPadding, c.stride, c.dilation, (i) => `config.outputPadding[${i}]`);
  const input = perDim(FN, 'inputSize', inputSize, d, POSITIVE);
  input.forEach((i, n) => {
    const o = checkedTransposedOutputLength(
      FN,
      `config.stride[${n}]`,
      `config.dilation[${n}]`,
      transposedDim(c, n, i),
    );
    if (o < 1)
      fail(
        FN,
        `config.padding[${n}]`,
        c.padding[n],
        `is too large: output size ${o} in dimension ${n} from inputSize[${n}] = ${i} (it must be at least 1)`,
      );
  });
  if (channels === null || channels === undefined) return { c, input };
  if (typeof channels !== 'object' || Array.isArray(channels))
    fail(FN, 'channels', channels, 'must be an object { in?, out? }');
  const ch = channels as Record<string, unknown>;
  for (const [key, v] of Object.entries(ch)) {
    if (v !== undefined && key !== 'in' && key !== 'out')
      fail(FN, `channels.${key}`, v, 'is not a field of channels (its fields: in, out)');
  }
  const count = (name: 'in' | 'out'): number | undefined =>
    ch[name] === undefined ? undefined : checkInt(FN, `channels.${name}`, ch[name], POSITIVE);
  return { c, input, cin: count('in'), cout: count('out') };
}

/**
 * The layer calls of PyTorch, TensorFlow.js, ONNX and Keras for a transposed convolution, or the
 * reason one cannot express it. `config` has one number per spatial dimension (1 to 3) in each
 * field, as a `solveConvTranspose` result has (one may be passed as it is); `inputSize` the same
 * number of input sizes; it matters for the 'same'/'valid' frameworks, whose output size depends
 * on it. `channels` (`in`, `out`: positive integers) are placeholders unless given.
 *
 * Every argument is checked as `convTransposeOutputSize` checks its own: integers within the
 * option bounds (kernel sizes, strides, dilations and input sizes from 1, paddings from 0),
 * `outputPadding` below max(stride, dilation), an output size of at least 1, known keys only; a
 * refusal is a `DeconvError` naming the argument (`config.stride[0]`, `inputSize`, `channels.in`).
 *
 * @example
 *   import { frameworkSnippets } from 'deconv';
 *   const s = frameworkSnippets({ kernelSize: [4], stride: [2], padding: [1], outputPadding: [0], dilation: [1] }, [16]);
 *   s.pytorch; // { ok: true, code: 'nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)' }
 *   s.tfjs;    // { ok: true, code: "tf.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same' })" }
 */
export function frameworkSnippets(
  config: LayerConfig,
  inputSize: readonly number[],
  channels: { in?: number; out?: number } = {},
): FrameworkSnippets {
  const { c, input, cin: inCount, cout: outCount } = checkArguments(config, inputSize, channels);
  const d = c.kernelSize.length;
  const dims = [...Array(d).keys()];
  const cin = inCount !== undefined ? String(inCount) : 'in_channels';
  const cout = outCount !== undefined ? String(outCount) : 'out_channels';
  const filters = outCount !== undefined ? `filters: ${outCount}` : 'filters';
  const kFilters = outCount !== undefined ? String(outCount) : 'filters';
  const square = d === 1 ? ' (the same in both spatial dimensions)' : '';

  // PyTorch
  const py = [
    `${cin}`,
    `${cout}`,
    `kernel_size=${value(c.kernelSize, '(', ')')}`,
    `stride=${value(c.stride, '(', ')')}`,
  ];
  if (c.padding.some((p) => p !== 0)) py.push(`padding=${value(c.padding, '(', ')')}`);
  if (c.outputPadding.some((a) => a !== 0)) py.push(`output_padding=${value(c.outputPadding, '(', ')')}`);
  if (c.dilation.some((x) => x !== 1)) py.push(`dilation=${value(c.dilation, '(', ')')}`);
  const pytorch: Snippet = { ok: true, code: `nn.ConvTranspose${d === 3 ? 3 : 2}d(${py.join(', ')})` };

  // ONNX
  const rep = (v: readonly number[]): number[] => (d === 1 ? [v[0]!, v[0]!] : [...v]);
  const onnx: Snippet = {
    ok: true,
    code:
      `ConvTranspose(kernel_shape=[${rep(c.kernelSize).join(', ')}], strides=[${rep(c.stride).join(', ')}], ` +
      `pads=[${[...rep(c.padding), ...rep(c.padding)].join(', ')}], output_padding=[${rep(c.outputPadding).join(', ')}], ` +
      `dilations=[${rep(c.dilation).join(', ')}])`,
    note: `pads are [begin…, end…]${square}`,
  };

  // TensorFlow.js
  let tfjs: Snippet;
  if (d === 3) tfjs = { ok: false, reason: 'tf.layers has no 3-d transposed convolution layer' };
  else if (c.dilation.some((x) => x !== 1))
    tfjs = { ok: false, reason: 'tf.layers.conv2dTranspose has no dilation' };
  else {
    const mode = (['valid', 'same'] as const).find((m) =>
      dims.every((n) => tfMatches(c, input[n]!, n, m, null)),
    );
    tfjs = mode
      ? {
          ok: true,
          code: `tf.layers.conv2dTranspose({ ${filters}, kernelSize: ${value(c.kernelSize, '[', ']')}, strides: ${value(c.stride, '[', ']')}, padding: '${mode}' })`,
        }
      : {
          ok: false,
          reason:
            `padding ${value(c.padding, '[', ']')}${c.outputPadding.some((a) => a) ? ` with output padding ${value(c.outputPadding, '[', ']')}` : ''} ` +
            "is neither 'valid' nor 'same' here (tf.layers.conv2dTranspose takes only those and no output padding)",
        };
  }

  // Keras (TensorFlow semantics)
  let keras: Snippet;
  const dl = c.dilation;
  if (dl.some((x) => x !== 1) && c.stride.some((s) => s !== 1)) {
    keras = { ok: false, reason: 'Keras refuses dilation_rate > 1 together with strides > 1' };
  } else if (dl.some((x) => x !== dl[0])) {
    keras = { ok: false, reason: 'Keras takes one dilation rate for all dimensions' };
  } else {
    keras = {
      ok: false,
      reason: "no 'valid' or 'same' padding with output_padding < stride gives this padding",
    };
    for (const mode of ['valid', 'same'] as const) {
      // output_padding=None when it works in every dimension, else one explicit value per dimension
      const none = dims.every((n) => tfMatches(c, input[n]!, n, mode, null));
      const explicit = dims.map((n) =>
        Array.from({ length: c.stride[n]! }, (_, a) => a).find((a) => tfMatches(c, input[n]!, n, mode, a)),
      );
      if (!none && explicit.some((a) => a === undefined)) continue;
      const args = [
        kFilters,
        `kernel_size=${value(c.kernelSize, '(', ')')}`,
        `strides=${value(c.stride, '(', ')')}`,
        `padding="${mode}"`,
      ];
      if (!none) args.push(`output_padding=${value(explicit as number[], '(', ')')}`);
      if (dl.some((x) => x !== 1)) args.push(`dilation_rate=${dl[0]}`);
      keras = {
        ok: true,
        code: `keras.layers.${d === 3 ? 'Conv3DTranspose' : 'Conv2DTranspose'}(${args.join(', ')})`,
      };
      break;
    }
  }
  return { pytorch, tfjs, onnx, keras };
}
