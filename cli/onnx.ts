/**
 * `deconv onnx inspect model.onnx`: the upsampling-family layers of an ONNX model with their input
 * → output sizes, the size formula filled in, the checkerboard verdict (Odena et al. 2016) and the
 * matching PyTorch call. `deconv onnx run model.onnx --input image.png -o out.png`: runs an image
 * model on a PNG.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import {
  encodePng,
  hasEvenOverlap,
  importOnnx,
  readPng,
  resize,
  sizeFormulaLines,
  tensor,
  type FormulaArgs,
  type LayerParams,
  type OnnxLayer,
  type OnnxModel,
  type Tensor,
} from './api.js';
import { cliFail } from './args.js';
import { resolvePath, writeOutput, type CliIo } from './io.js';

function load(io: CliIo, command: string, path: string): OnnxModel {
  const file = resolvePath(io, path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    cliFail(command, '<model>', path, `could not be read: ${(e as Error).message}`);
  }
  return importOnnx(bytes, { externalData: externalFiles(command, path, dirname(file)) });
}

/**
 * External-data files, read beside the model as ONNX specifies (importOnnx has already refused
 * absolute locations and `..`); a location that reaches outside the model's folder through a
 * symbolic link is refused too. Each file is read once.
 */
function externalFiles(command: string, path: string, folder: string): (location: string) => Uint8Array {
  const cache = new Map<string, Uint8Array>();
  return (location) => {
    const known = cache.get(location);
    if (known) return known;
    const refuse = (rule: string): never =>
      cliFail(command, '<model>', path, `names the external data file ${location}, which ${rule}`);
    let real: string;
    let root: string;
    try {
      root = realpathSync(folder);
      real = realpathSync(resolve(folder, location));
    } catch {
      return refuse(`is not in the model's folder ${folder}`);
    }
    if (real !== root && !real.startsWith(`${root}${sep}`))
      refuse(`leads outside the model's folder (to ${real})`);
    if (!statSync(real).isFile()) refuse('is not a file');
    const data = readFileSync(real);
    cache.set(location, data);
    return data;
  };
}

const dimsText = (s: readonly (number | null)[] | null): string =>
  s ? s.map((v) => v ?? '?').join('×') : '?';
const tuple = (v: readonly number[]): string =>
  v.every((x) => x === v[0]) ? String(v[0]) : `(${v.join(', ')})`;

/** The size formula per spatial dimension, when every number is known. */
function formula(layer: OnnxLayer, p: LayerParams): string[] {
  const inS = layer.inputShape?.slice(2);
  if (!inS || inS.some((v) => v === null) || !p.kernelSize) return [];
  const op: FormulaArgs['op'] =
    p.kind === 'convTranspose'
      ? 'convTranspose'
      : p.kind === 'maxUnpool'
        ? 'maxUnpool'
        : p.kind === 'conv'
          ? 'conv'
          : 'pool';
  if (!p.padBegin || !p.padEnd) return [];
  const args = inS.map((i, n) => ({
    op,
    inputSize: i!,
    kernelSize: p.kernelSize![n]!,
    stride: p.stride![n]!,
    padding: p.padBegin![n]!,
    padEnd: p.padEnd![n]!,
    dilation: p.dilation?.[n] ?? 1,
    ...(op === 'convTranspose' ? { outputPadding: p.outputPadding?.[n] ?? 0 } : {}),
    ...(op === 'pool' && p.ceilMode ? { ceilMode: true } : {}),
  }));
  return sizeFormulaLines(args);
}

/** PyTorch's layer for the ONNX node, or why there is none. */
function pytorchCall(p: LayerParams, d: number): string {
  const symmetric = p.padBegin && p.padEnd && p.padBegin.every((v, i) => v === p.padEnd![i]);
  const pad = symmetric ? `, padding=${tuple(p.padBegin!)}` : '';
  const common = (): string =>
    `kernel_size=${tuple(p.kernelSize!)}, stride=${tuple(p.stride!)}${pad}` +
    (p.dilation && p.dilation.some((v) => v !== 1) ? `, dilation=${tuple(p.dilation)}` : '');
  const asym = symmetric ? '' : ' (asymmetric padding: add F.pad before it)';
  switch (p.kind) {
    case 'conv':
      return `nn.Conv${d}d(${p.inChannels ?? 'in_channels'}, ${p.outChannels ?? 'out_channels'}, ${common()}${p.groups !== 1 ? `, groups=${p.groups}` : ''})${asym}`;
    case 'convTranspose':
      if (!symmetric)
        return 'no single nn.ConvTranspose: its padding is asymmetric (crop the output with a slice)';
      return `nn.ConvTranspose${d}d(${p.inChannels ?? 'in_channels'}, ${p.outChannels ?? 'out_channels'}, ${common()}${p.outputPadding?.some((v) => v !== 0) ? `, output_padding=${tuple(p.outputPadding)}` : ''}${p.groups !== 1 ? `, groups=${p.groups}` : ''})`;
    case 'maxPool':
      return `nn.MaxPool${d}d(${common()}${p.ceilMode ? ', ceil_mode=True' : ''})${asym}`;
    case 'avgPool':
      // count_include_pad matters only where a window reaches into the padding
      return `nn.AvgPool${d}d(${common()}${p.ceilMode ? ', ceil_mode=True' : ''}${[...(p.padBegin ?? []), ...(p.padEnd ?? [])].some((v) => v !== 0) || p.ceilMode ? `, count_include_pad=${p.countIncludePad ? 'True' : 'False'}` : ''})${asym}`;
    case 'maxUnpool':
      return `nn.MaxUnpool${d}d(${common()})`;
    case 'depthToSpace':
      return p.mode === 'CRD'
        ? `nn.PixelShuffle(${p.blocksize})`
        : `no single PyTorch layer (DCR order): x.view(N, ${p.blocksize}, ${p.blocksize}, C // ${p.blocksize! ** 2}, H, W).permute(0, 3, 4, 1, 5, 2).reshape(N, C // ${p.blocksize! ** 2}, H * ${p.blocksize}, W * ${p.blocksize})`;
    case 'spaceToDepth':
      return `no single PyTorch layer (DCR order; nn.PixelUnshuffle(${p.blocksize}) orders channels differently)`;
    case 'resize': {
      const r = p.resize!;
      const m = r.mode ?? 'nearest';
      const ctm = r.coordinateTransformationMode ?? 'half_pixel';
      if (m === 'nearest' && ctm === 'asymmetric' && r.nearestMode === 'floor')
        return "F.interpolate(x, size=…, mode='nearest')";
      if (m === 'nearest' && ctm === 'half_pixel' && r.nearestMode === 'round_prefer_ceil')
        return "F.interpolate(x, size=…, mode='nearest-exact')";
      const linear = d === 1 ? 'linear' : d === 2 ? 'bilinear' : 'trilinear';
      if (
        m !== 'nearest' &&
        (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel' || ctm === 'align_corners') &&
        !r.excludeOutside &&
        (m === 'linear' || (r.cubicCoeffA ?? -0.75) === -0.75)
      ) {
        return `F.interpolate(x, size=…, mode='${m === 'linear' ? linear : 'bicubic'}', align_corners=${ctm === 'align_corners' ? 'True' : 'False'})`;
      }
      return `no F.interpolate mode samples like ${m} / ${ctm}${m === 'nearest' ? ` / ${r.nearestMode}` : ''}: deconv's resize(x, { mode: '${m}', coordinateTransformationMode: '${ctm}' … })`;
    }
  }
}

function verdict(p: LayerParams): string {
  if (p.kind === 'convTranspose') {
    return hasEvenOverlap({ kernelSize: p.kernelSize!, stride: p.stride!, dilation: p.dilation })
      ? 'no checkerboard: every output pixel gets the same number of kernel taps'
      : `checkerboard: kernel ${tuple(p.kernelSize!)} is not a multiple of stride ${tuple(p.stride!)} (uneven overlap, Odena et al. 2016); use a kernel divisible by the stride, or resize + conv`;
  }
  if (p.kind === 'maxUnpool') return 'sparse output: zeros except at the pooled maxima';
  if (p.kind === 'resize' && p.resize?.mode === 'nearest')
    return 'no checkerboard (blocky: nearest copies pixels)';
  if (p.kind === 'resize' || p.kind === 'depthToSpace') return 'no checkerboard from the layer itself';
  return '';
}

/** The report of `deconv onnx inspect`. */
export function inspectText(model: OnnxModel, path: string): string {
  const lines = [
    `${path}: opset ${model.opset}, inputs ${model.inputNames.join(', ')}, outputs ${model.outputNames.join(', ')}`,
  ];
  const layers = model.layers;
  if (layers.length === 0)
    lines.push('no upsampling-family layers (Conv, ConvTranspose, pools, Resize, DepthToSpace …)');
  layers.forEach((layer, k) => {
    const d = (layer.inputShape?.length ?? 4) - 2;
    lines.push(
      '',
      `${k + 1}. ${layer.opType}${layer.name ? ` '${layer.name}'` : ''}: ${dimsText(layer.inputShape)} → ${dimsText(layer.outputShape)}`,
    );
    const p = layer.params;
    if (!p) {
      lines.push('   global pooling over every spatial position');
      return;
    }
    for (const f of formula(layer, p)) lines.push(`   size: ${f}`);
    const v = verdict(p);
    if (v) lines.push(`   ${v}`);
    lines.push(`   PyTorch: ${pytorchCall(p, d)}`);
  });
  return `${lines.join('\n')}\n`;
}

/** Writes an image tensor (C, H, W) to PNG: values in [−1, 1] are mapped to [0, 1] when any is negative. */
function toImage(t: Tensor): Tensor {
  const [c, h, w] = t.shape.slice(-3) as [number, number, number];
  const data = Float32Array.from(t.data.subarray(0, c * h * w));
  const negative = data.some((v) => v < 0);
  for (let i = 0; i < data.length; i++) {
    const v = negative ? (data[i]! + 1) / 2 : data[i]!;
    data[i] = Math.min(1, Math.max(0, v));
  }
  return tensor(data, [c, h, w]);
}

/** Adapts a (C, H, W) image in [0, 1] to an input of `shape` (N, C, H, W): channels, then size. */
function toInput(image: Tensor, shape: readonly (number | null)[] | null, notes: string[]): Tensor {
  const [c, h, w] = image.shape as [number, number, number];
  const want = shape?.[1] ?? c;
  let data = image.data as Float32Array;
  let channels = c;
  if (want === 1 && c !== 1) {
    // luma (ITU-R BT.601), the Y channel super-resolution models are trained on
    const y = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++)
      y[i] = 0.299 * data[i]! + 0.587 * data[h * w + i]! + 0.114 * data[2 * h * w + i]!;
    data = y;
    channels = 1;
    notes.push('converted the image to luma (Y) for a one-channel model');
  } else if (want === 3 && c === 1) {
    data = Float32Array.from({ length: 3 * h * w }, (_, i) => data[i % (h * w)]!);
    channels = 3;
    notes.push('repeated the grey channel for a three-channel model');
  }
  let x = tensor(data, [1, channels, h, w]);
  const [wh, ww] = [shape?.[2] ?? null, shape?.[3] ?? null];
  if ((wh !== null && wh !== h) || (ww !== null && ww !== w)) {
    x = resize(x, { sizes: [wh ?? h, ww ?? w], mode: 'linear' });
    notes.push(`resized the image from ${h}×${w} to the model's ${wh ?? h}×${ww ?? w}`);
  }
  return x;
}

/** The examples of `deconv onnx … --help` (test/onnx-cli.test.ts runs each); paths from the repository. */
export const ONNX_EXAMPLES = {
  inspect: [
    {
      args: ['onnx', 'inspect', 'test/fixtures/onnx/torch/dcgan_opset17/model.onnx'],
      note: 'a DCGAN generator exported by PyTorch: its ConvTranspose layers, sizes and checkerboard verdicts',
    },
    {
      args: ['onnx', 'inspect', 'test/fixtures/onnx/torch/segmenter_opset13/model.onnx'],
      note: 'a segmentation net: pools, Resize with its PyTorch interpolate call',
    },
  ],
  run: [
    {
      args: [
        'onnx',
        'run',
        'test/fixtures/onnx/torch/espcn_opset17/model.onnx',
        '--input',
        'assets/photo.png',
        '-o',
        'photo-espcn.png',
      ],
      note: 'an ESPCN-style ×3 super-resolution net (DepthToSpace) on the luma of a photo',
      writes: 'photo-espcn.png',
    },
  ],
} as const;

function help(examples: readonly { args: readonly string[]; note: string }[]): string {
  return `\nExamples:\n${examples.map((e) => `  $ deconv ${e.args.join(' ')}\n      ${e.note}`).join('\n')}\n`;
}

/** Adds `inspect` and `run` to the `deconv onnx` command. */
export function registerOnnx(onnx: Command, io: CliIo): void {
  const examples = { inspect: help(ONNX_EXAMPLES.inspect), run: help(ONNX_EXAMPLES.run) };
  const sub = (name: string): Command =>
    onnx
      .command(name)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .showHelpAfterError('(add --help for usage and examples)');
  sub('inspect')
    .description(
      'the upsampling layers of an ONNX model: sizes, formulas, checkerboard verdicts, PyTorch calls',
    )
    .argument('<model>', 'model.onnx')
    .addHelpText('after', examples.inspect)
    .action((path: string) => io.out(inspectText(load(io, 'onnx inspect', path), path)));
  sub('run')
    .description('run an image model (N, C, H, W → N, C, H, W) on a PNG')
    .argument('<model>', 'model.onnx')
    .requiredOption('--input <image>', 'input .png')
    .requiredOption('-o, --output <image>', 'output .png')
    .addHelpText('after', examples.run)
    .action((path: string, opts: { input: string; output: string }) => {
      const model = load(io, 'onnx run', path);
      const image = readPng(resolvePath(io, opts.input));
      const notes: string[] = [];
      const inputShape = model.layers[0]?.inputShape ?? null;
      const channels = inputShape?.[1] ?? null;
      if (
        inputShape &&
        (inputShape.length !== 4 || (channels !== null && channels !== 1 && channels !== 3))
      ) {
        cliFail(
          'onnx run',
          '<model>',
          path,
          `takes an input of shape [${inputShape.map((v) => v ?? '?').join(', ')}]: an image model takes (N, 1 or 3, H, W)`,
        );
      }
      const x = toInput(image, inputShape, notes);
      const out = model.run({ [model.inputNames[0]!]: x })[model.outputNames[0]!]!;
      if (out.shape.length !== 4 || (out.shape[1] !== 1 && out.shape[1] !== 3)) {
        cliFail(
          'onnx run',
          '<model>',
          path,
          `gives an output of shape [${out.shape.join(', ')}]: an image model gives (N, 1 or 3, H, W)`,
        );
      }
      writeOutput(io, 'onnx run', '--output', opts.output, encodePng(toImage(out)));
      for (const n of notes) io.out(`${n}\n`);
      io.out(
        `${opts.input} (${image.shape.slice(1).join('×')}) → ${opts.output} (${out.shape.slice(2).join('×')})\n`,
      );
    });
}
