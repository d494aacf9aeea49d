/**
 * The six commands of `deconv`, as functions of parsed options and an output sink, so the tests
 * call them without spawning a process. Every size comes from the library (`convOutputSize`,
 * `convTransposeOutputSize`, `solveConvTranspose`); the formulas printed beside the sizes are the
 * library's pictures module (`sizeFormula`), checked against those sizes.
 */
import {
  Tensor,
  animationScene,
  animationToSvg,
  bilinearFiller,
  buildAnimation,
  checkerboard,
  checkerboardScene,
  convOutputSize,
  convTranspose2d,
  convTransposeOutputSize,
  encodePng,
  finalOutput,
  frameworkSnippets,
  interpolate,
  largestOutputPadding,
  largestPoolPadding,
  matrixScene,
  matrixText,
  matrixView,
  pixelShuffle,
  rasterize,
  readPng,
  samePadding,
  sceneToGif,
  sceneToSvg,
  sizeFormula,
  sizeFormulaLines,
  solveConvTranspose,
  SOLVER_MAX_RESULTS,
  tensor,
  ANIMATION_OPS,
  type AnimationOp,
  type FormulaArgs,
  type InterpolateMode,
  type RgbaImage,
  type Scene,
} from './api.js';
import { cliFail, dimsOf, parseInteger, parseNumber, parseSize, perDim, requireSize } from './args.js';
import { progress, resolvePath, writeOutput, type CliIo } from './io.js';

export type Options = Record<string, string | boolean | undefined>;

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const DIM_NAMES: Record<number, readonly string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

/** Sizes as given per dimension: `16×16×16` stays three numbers (never shortened to `16`). */
function list(values: readonly number[]): string {
  return values.join('×');
}

/** An RGBA picture as PNG bytes (through the library's PNG writer). */
function pngBytes(img: RgbaImage): Uint8Array {
  const plane = img.width * img.height;
  const data = new Float32Array(4 * plane);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < 4; c++) data[c * plane + p] = img.data[4 * p + c]! / 255;
  return encodePng(tensor(data, [4, img.height, img.width]));
}

/** Writes a still scene as .png or .svg, by the file's extension. */
function writeScene(io: CliIo, command: string, path: string, scene: Scene): void {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'svg') writeOutput(io, command, '--output', path, sceneToSvg(scene));
  else if (ext === 'png') writeOutput(io, command, '--output', path, pngBytes(rasterize(scene)));
  else cliFail(command, '--output', path, 'must end in .png or .svg');
}

function requireOutput(command: string, opts: Options): string {
  const o = str(opts.output);
  if (o === undefined) cliFail(command, '--output', o, 'is required (-o file)');
  return o;
}

// ---------------------------------------------------------------------------------------------

/** `deconv shape conv|convTranspose|pool`: the output size per dimension, with the formula. */
export function shapeCommand(op: string, opts: Options, io: CliIo): void {
  const cmd = 'shape';
  if (op !== 'conv' && op !== 'convTranspose' && op !== 'pool')
    cliFail(cmd, 'op', op, 'must be conv, convTranspose or pool');
  const input = requireSize(cmd, '--input', str(opts.input));
  const kernel = requireSize(cmd, '--kernel', str(opts.kernel));
  const stride = parseSize(cmd, '--stride', str(opts.stride));
  const padArg = str(opts.padding);
  const named = padArg === 'same' || padArg === 'valid' ? padArg : undefined;
  if (named && op !== 'conv') cliFail(cmd, '--padding', padArg, "'same' and 'valid' are for conv only");
  const padding = named ? undefined : parseSize(cmd, '--padding', padArg, 0);
  const outputPadding = parseSize(cmd, '--output-padding', str(opts.outputPadding), 0);
  const dilation = parseSize(cmd, '--dilation', str(opts.dilation));
  if (outputPadding !== undefined && op !== 'convTranspose')
    cliFail(cmd, '--output-padding', str(opts.outputPadding), 'is for convTranspose only');
  if (opts.ceilMode === true && op !== 'pool') cliFail(cmd, '--ceil-mode', true, 'is for pool only');
  const d = dimsOf(input, kernel, stride, padding, outputPadding, dilation);
  const I = perDim(input, d, 1);
  const K = perDim(kernel, d, 1);
  const S = perDim(stride, d, 1);
  const D = perDim(dilation, d, 1);
  const A = perDim(outputPadding, d, 0);
  let P = perDim(padding, d, 0);
  let PE = P;
  if (named === 'same') {
    P = K.map((k, n) => samePadding(k, D[n]!).padBegin);
    PE = K.map((k, n) => samePadding(k, D[n]!).padEnd);
  }
  let sizes: number[];
  let kind: FormulaArgs['op'];
  if (op === 'convTranspose') {
    kind = 'convTranspose';
    sizes = convTransposeOutputSize({
      inputSize: input,
      kernelSize: kernel,
      stride,
      padding,
      outputPadding,
      dilation,
    });
  } else if (op === 'conv') {
    kind = 'conv';
    sizes = convOutputSize({
      inputSize: input,
      kernelSize: kernel,
      stride,
      padding: named ?? padding,
      dilation,
    });
  } else {
    kind = 'pool';
    const poolStride = stride ?? kernel;
    perDim(poolStride, d, 1).forEach((s, n) => (S[n] = s));
    P.forEach((p, n) => {
      if (p > largestPoolPadding(K[n]!)) {
        cliFail(
          cmd,
          '--padding',
          padArg,
          `must be at most half the kernel size (${largestPoolPadding(K[n]!)} in dimension ${n}), as PyTorch's pooling requires`,
        );
      }
    });
    sizes = convOutputSize({
      inputSize: input,
      kernelSize: kernel,
      stride: poolStride,
      padding,
      dilation,
      ceilMode: opts.ceilMode === true,
    });
  }
  const args: FormulaArgs[] = I.map((i, n) => ({
    op: kind,
    inputSize: i,
    kernelSize: K[n],
    stride: S[n],
    padding: P[n],
    padEnd: PE[n],
    outputPadding: A[n],
    dilation: D[n],
    ceilMode: opts.ceilMode === true,
  }));
  args.forEach((a, n) => {
    const f = sizeFormula(a);
    if (f.value !== sizes[n])
      throw new Error(`deconv shape: internal error, formula gives ${f.value}, the library ${sizes[n]}`);
  });
  const parts = [
    `input ${list(I)}`,
    `kernel ${list(K)}`,
    `stride ${list(S)}`,
    `padding ${named ?? list(P)}`,
    ...(op === 'convTranspose' ? [`output padding ${list(A)}`] : []),
    `dilation ${list(D)}`,
    ...(op === 'pool' ? [`ceil mode ${opts.ceilMode === true}`] : []),
  ];
  io.out(`${op}: ${parts.join(', ')}\n`);
  io.out(`output size: ${sizes.join('×')}\n`);
  const groupsArg = str(opts.groups);
  const inChannels = parseInteger(cmd, '--in-channels', str(opts.inChannels), 1);
  const outChannels = parseInteger(cmd, '--out-channels', str(opts.outChannels), 1);
  if (groupsArg !== undefined || inChannels !== undefined || outChannels !== undefined) {
    if (op === 'pool')
      cliFail(
        cmd,
        groupsArg !== undefined ? '--groups' : '--in-channels',
        groupsArg ?? inChannels,
        'is for conv and convTranspose only (pooling keeps the channels)',
      );
    const groups = parseInteger(cmd, '--groups', groupsArg, 1) ?? 1;
    const cin = inChannels ?? groups;
    const cout = outChannels ?? groups;
    if (cin % groups !== 0) cliFail(cmd, '--in-channels', cin, `must be divisible by --groups = ${groups}`);
    if (cout % groups !== 0)
      cliFail(cmd, '--out-channels', cout, `must be divisible by --groups = ${groups}`);
    const weight = op === 'conv' ? [cout, cin / groups, ...K] : [cin, cout / groups, ...K];
    const count = weight.reduce((a, b) => a * b, 1);
    io.out(
      `channels: ${cin} → ${cout} in ${groups} group${groups === 1 ? '' : 's'} of ${cin / groups} → ${cout / groups}; ` +
        `weight (${weight.join(', ')}) as PyTorch lays it out, ${count} weights (+ ${cout} biases)\n`,
    );
  }
  for (const line of sizeFormulaLines(args, DIM_NAMES[d])) io.out(`  ${line}\n`);
  if (op === 'convTranspose' && S.some((s, n) => largestOutputPadding(s, D[n]!) > 0)) {
    // the other sizes output padding can reach: the ambiguity it resolves
    const alt = S.map((s, n) => {
      const hi = largestOutputPadding(s, D[n]!);
      return Array.from({ length: hi + 1 }, (_, a) => sizes[n]! - A[n]! + a).filter((v) => v !== sizes[n]);
    });
    if (alt.some((v) => v.length)) {
      io.out(
        `with output padding from 0 to max(stride, dilation) − 1, the output can also be ${alt
          .map((v, n) => (d > 1 ? `${DIM_NAMES[d]![n]}: ${v.join(', ')}` : v.join(', ')))
          .join('; ')}\n`,
      );
    }
  }
  if (op === 'conv' && S.some((s) => s > 1)) {
    // the input sizes a stride-s convolution maps to the same output: why outputPadding exists
    const same = I.map((i, n) =>
      Array.from({ length: 2 * S[n]! - 1 }, (_, j) => i - S[n]! + 1 + j).filter((c) => {
        if (c < 1) return false;
        try {
          const o = convOutputSize({
            inputSize: c,
            kernelSize: K[n]!,
            stride: S[n]!,
            padding: named ?? P[n]!,
            dilation: D[n]!,
          });
          return o[0] === sizes[n];
        } catch {
          return false;
        }
      }),
    );
    io.out(
      `inputs of size ${same.map((v) => (v.length > 1 ? `${v[0]}..${v[v.length - 1]}` : `${v[0]}`)).join(' × ')} all give this output: ` +
        'the transposed convolution picks one with outputPadding\n',
    );
  }
}

// ---------------------------------------------------------------------------------------------

/** `deconv solve`: every transposed-convolution configuration from --in to --out. */
export function solveCommand(opts: Options, io: CliIo): void {
  const cmd = 'solve';
  const inputSize = requireSize(cmd, '--in', str(opts.in));
  const outputSize = requireSize(cmd, '--out', str(opts.out));
  const kernelSize = parseSize(cmd, '--kernel', str(opts.kernel));
  const stride = parseSize(cmd, '--stride', str(opts.stride));
  const padding = parseSize(cmd, '--padding', str(opts.padding), 0);
  const outputPadding = parseSize(cmd, '--output-padding', str(opts.outputPadding), 0);
  const dilation = parseSize(cmd, '--dilation', str(opts.dilation));
  const limit = parseInteger(cmd, '--limit', str(opts.limit), 1) ?? 10;
  const configs = solveConvTranspose({
    inputSize,
    outputSize,
    kernelSize,
    stride,
    padding,
    outputPadding,
    dilation,
  });
  const d =
    configs[0]?.kernelSize.length ??
    dimsOf(inputSize, outputSize, kernelSize, stride, padding, outputPadding, dilation);
  const I = perDim(inputSize, d, 1);
  const O = perDim(outputSize, d, 1);
  const fixed = [
    kernelSize !== undefined ? `kernel ${str(opts.kernel)}` : '',
    stride !== undefined ? `stride ${str(opts.stride)}` : '',
    padding !== undefined ? `padding ${str(opts.padding)}` : '',
    outputPadding !== undefined ? `output padding ${str(opts.outputPadding)}` : '',
    dilation !== undefined ? `dilation ${str(opts.dilation)}` : '',
  ].filter(Boolean);
  const title = `transposed convolution ${list(I)} → ${list(O)}${fixed.length ? ` with ${fixed.join(', ')}` : ''}`;
  if (configs.length === 0) {
    io.out(
      `${title}: no configuration within the solver's bounds (stride, kernel ≤ output size, dilation ≤ 3, no cropping)\n`,
    );
    return;
  }
  const shown = configs.slice(0, limit);
  const count =
    configs.length >= SOLVER_MAX_RESULTS
      ? `the first ${SOLVER_MAX_RESULTS} (the search stops there)`
      : String(configs.length);
  io.out(
    `${title}: ${count} configuration${configs.length === 1 ? '' : 's'}, simplest first` +
      `${shown.length < configs.length ? `; showing ${shown.length} (--limit for more)` : ''}\n`,
  );
  shown.forEach((c, n) => {
    const desc = [
      `kernel ${list(c.kernelSize)}`,
      `stride ${list(c.stride)}`,
      `padding ${list(c.padding)}`,
      `output padding ${list(c.outputPadding)}`,
      `dilation ${list(c.dilation)}`,
    ].join(', ');
    io.out(`\n${n + 1}. ${desc}${c.evenOverlap ? '' : '  [uneven overlap: checkerboard artifacts]'}\n`);
    const args: FormulaArgs[] = I.map((i, k) => ({
      op: 'convTranspose',
      inputSize: i,
      kernelSize: c.kernelSize[k],
      stride: c.stride[k],
      padding: c.padding[k],
      outputPadding: c.outputPadding[k],
      dilation: c.dilation[k],
    }));
    for (const line of sizeFormulaLines(args, DIM_NAMES[d])) io.out(`   ${line}\n`);
    const s = frameworkSnippets(c, I);
    const show = (label: string, snip: typeof s.pytorch): void => {
      io.out(`   ${label.padEnd(11)}${snip.ok ? snip.code : `cannot express it: ${snip.reason}`}\n`);
    };
    show('PyTorch', s.pytorch);
    show('TF.js', s.tfjs);
    show('ONNX', s.onnx);
    show('Keras', s.keras);
  });
}

// ---------------------------------------------------------------------------------------------

/** `deconv explain <op>`: an animation, SVG or GIF. */
export function explainCommand(op: string, opts: Options, io: CliIo): void {
  const cmd = 'explain';
  if (!ANIMATION_OPS.includes(op as AnimationOp))
    cliFail(cmd, 'op', op, `must be one of ${ANIMATION_OPS.join(', ')}`);
  const output = requireOutput(cmd, opts);
  const ext = output.toLowerCase().split('.').pop();
  if (ext !== 'svg' && ext !== 'gif') cliFail(cmd, '--output', output, 'must end in .svg or .gif');
  const order = str(opts.order);
  if (order !== undefined && order !== 'output' && order !== 'input')
    cliFail(cmd, '--order', order, "must be 'output' or 'input'");
  const frameMs = parseInteger(cmd, '--frame-ms', str(opts.frameMs), 20);
  const a = buildAnimation({
    op: op as AnimationOp,
    inputSize: requireSize(cmd, '--input', str(opts.input)),
    kernelSize: parseSize(cmd, '--kernel', str(opts.kernel)),
    stride: parseSize(cmd, '--stride', str(opts.stride)),
    padding: parseSize(cmd, '--padding', str(opts.padding), 0),
    outputPadding: parseSize(cmd, '--output-padding', str(opts.outputPadding), 0),
    dilation: parseSize(cmd, '--dilation', str(opts.dilation)),
    scale: parseNumber(cmd, '--scale', str(opts.scale)),
    order: order as 'output' | 'input' | undefined,
  });
  io.out(`${a.title}: input ${a.inputSize.join('×')} → output ${a.outputSize.join('×')}\n`);
  for (const line of a.formula) io.out(`  ${line}\n`);
  for (const v of a.views) io.out(`  ${v.title}: ${v.subtitle}\n`);
  const n = a.frames.length;
  const per =
    a.order === 'output' ? 'output cell' : a.op === 'pixelShuffle' ? 'input position' : 'input cell';
  const scene = animationScene(a, frameMs !== undefined ? { frameMs } : {});
  if (ext === 'svg') {
    writeOutput(io, cmd, '--output', output, animationToSvg(a, frameMs !== undefined ? { frameMs } : {}));
  } else {
    const bar = progress(io, 'encoding GIF', n, n > 8);
    try {
      writeOutput(io, cmd, '--output', output, sceneToGif(scene, { onFrame: (done) => bar.update(done) }));
    } finally {
      bar.stop();
    }
  }
  io.out(
    `wrote ${output}: ${n} frame${n === 1 ? '' : 's'} (one per ${per}), ${scene.width}×${scene.height}\n`,
  );
  const [oh, ow] = a.outputSize as [number, number];
  if (oh <= 12 && ow <= 12) {
    const out = finalOutput(a);
    const cells = Array.from(out, (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2)));
    const w = Math.max(...cells.map((c) => c.length));
    io.out('output (last frame):\n');
    for (let r = 0; r < oh; r++)
      io.out(
        `  ${cells
          .slice(r * ow, (r + 1) * ow)
          .map((c) => c.padStart(w))
          .join(' ')}\n`,
      );
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * `deconv matrix [conv|convTranspose]`: C and Cᵀ as text when small, and as a picture with -o. A
 * transposed convolution's matrix is Cᵀ of the convolution that maps its output back to its input.
 */
export function matrixCommand(op: string | undefined, opts: Options, io: CliIo): void {
  const cmd = 'matrix';
  const kind = op ?? 'conv';
  if (kind !== 'conv' && kind !== 'convTranspose') cliFail(cmd, 'op', kind, 'must be conv or convTranspose');
  const output = str(opts.output);
  const inputSize = requireSize(cmd, '--input', str(opts.input));
  const kernelSize = requireSize(cmd, '--kernel', str(opts.kernel));
  const stride = parseSize(cmd, '--stride', str(opts.stride));
  const padding = parseSize(cmd, '--padding', str(opts.padding), 0);
  const dilation = parseSize(cmd, '--dilation', str(opts.dilation));
  const outputPadding = parseSize(cmd, '--output-padding', str(opts.outputPadding), 0);
  if (outputPadding !== undefined && kind !== 'convTranspose')
    cliFail(cmd, '--output-padding', str(opts.outputPadding), 'is for convTranspose only');
  const row = parseInteger(cmd, '--row', str(opts.row), 0);
  let convInput = inputSize;
  if (kind === 'convTranspose') {
    // the matrix view is 2-d: one number stands for both dimensions
    const two = (v: number | number[] | undefined, fallback: number): number[] =>
      Array.isArray(v) ? v : perDim(v, 2, fallback);
    convInput = convTransposeOutputSize({
      inputSize: two(inputSize, 1),
      kernelSize: two(kernelSize, 1),
      stride: two(stride, 1),
      padding: two(padding, 0),
      outputPadding: two(outputPadding, 0),
      dilation: two(dilation, 1),
    });
  }
  const v = matrixView({ inputSize: convInput, kernelSize, stride, padding, dilation, row });
  const { rows, cols, nnz } = v.matrix;
  const ow = v.outputSize[1]!;
  const terms = v.rowEntries.map((e) => `${e.value}·x[${e.col}]`).join(' + ');
  if (kind === 'conv') {
    io.out(
      `convolution of a ${v.inputSize.join('×')} input with a ${v.kernelSize.join('×')} kernel → ${v.outputSize.join('×')}\n` +
        `C is ${rows}×${cols} (one row per output cell, one column per input cell), ${nnz} stored entries; Cᵀ is ${cols}×${rows}\n`,
    );
    io.out(
      `row ${v.row} = output [${Math.floor(v.row / ow)}, ${v.row % ow}]: y[${v.row}] = ${terms || '0'}\n`,
    );
  } else {
    if (
      v.outputSize.some((o, n) => o !== (Array.isArray(inputSize) ? inputSize : perDim(inputSize, 2, 1))[n])
    )
      throw new Error('deconv matrix: internal error, the convolution does not map back to the input');
    const spread = v.rowEntries.map((e) => `${e.value}→y[${e.col}]`).join(', ');
    io.out(
      `transposed convolution of a ${v.outputSize.join('×')} input with a ${v.kernelSize.join('×')} kernel → ${v.inputSize.join('×')}\n` +
        `its matrix is Cᵀ, ${cols}×${rows} (one row per output cell, one column per input cell), the transpose of C (${rows}×${cols}) of the convolution ${v.inputSize.join('×')} → ${v.outputSize.join('×')}; ${nnz} stored entries\n`,
    );
    io.out(
      `column ${v.row} of Cᵀ = input [${Math.floor(v.row / ow)}, ${v.row % ow}] x[${v.row}] spreads to ${spread || 'nothing'}\n`,
    );
  }
  const small = cols <= 40 && rows <= 40;
  if (small) {
    const order: [string, boolean][] =
      kind === 'conv'
        ? [
            ['C', false],
            ['Cᵀ', true],
          ]
        : [
            ['Cᵀ (the transposed convolution)', true],
            ['C', false],
          ];
    for (const [name, t] of order) io.out(`\n${name}:\n${matrixText(v, t)}\n`);
  }
  if (output === undefined) {
    if (!small)
      io.out(
        `\nC is too large to print as text (${rows}×${cols}): give -o file.png or file.svg for a picture\n`,
      );
    return;
  }
  writeScene(io, cmd, output, matrixScene(v));
  io.out(`wrote ${output}\n`);
}

// ---------------------------------------------------------------------------------------------

/** `deconv checkerboard`: kernel taps per output pixel of stacked transposed convolutions. */
export function checkerboardCommand(opts: Options, io: CliIo): void {
  const cmd = 'checkerboard';
  const output = requireOutput(cmd, opts);
  const r = checkerboard({
    kernelSize: requireSize(cmd, '--kernel', str(opts.kernel)),
    stride: requireSize(cmd, '--stride', str(opts.stride)),
    padding: parseSize(cmd, '--padding', str(opts.padding), 0),
    dilation: parseSize(cmd, '--dilation', str(opts.dilation)),
    layers: parseInteger(cmd, '--layers', str(opts.layers), 1),
    inputSize: parseSize(cmd, '--input', str(opts.input)),
  });
  io.out(
    `${r.layers} transposed convolution${r.layers > 1 ? 's' : ''} (kernel ${list(r.kernelSize)}, stride ${list(r.stride)}, padding ${list(r.padding)}): output ${r.size.join('×')}\n`,
  );
  io.out(`${r.verdict}\n`);
  const [rows, cols] = r.size as [number, number];
  const [a, b] = r.interior[0]!;
  const [c0, c1] = r.interior[1]!;
  if (b > a && c1 > c0) {
    const h = Math.min(b - a, 8);
    const w = Math.min(c1 - c0, 8);
    io.out(`taps per pixel, top-left ${h}×${w} of the interior:\n`);
    for (let y = a; y < a + h; y++) {
      const row = Array.from({ length: w }, (_, x) => String(r.counts[y * cols + c0 + x]).padStart(3));
      io.out(`  ${row.join('')}\n`);
    }
  }
  io.out(r.even ? 'no fix needed\n' : `fixes:\n${r.fixes.map((f, i) => `  ${i + 1}. ${f}\n`).join('')}`);
  writeScene(io, cmd, output, checkerboardScene(r));
  io.out(`wrote ${output} (${rows}×${cols} map)\n`);
}

// ---------------------------------------------------------------------------------------------

const METHODS = [
  'nearest',
  'nearest-exact',
  'bilinear',
  'bicubic',
  'area',
  'convTranspose',
  'pixelShuffle',
] as const;

/** `deconv upsample in.png out.png --method … --scale …`. */
export function upsampleCommand(inPath: string, outPath: string, opts: Options, io: CliIo): void {
  const cmd = 'upsample';
  const method = str(opts.method) ?? 'bilinear';
  if (!(METHODS as readonly string[]).includes(method))
    cliFail(cmd, '--method', method, `must be one of ${METHODS.join(', ')}`);
  const scale = parseNumber(cmd, '--scale', str(opts.scale)) ?? 2;
  if ((method === 'convTranspose' || method === 'pixelShuffle') && !Number.isInteger(scale)) {
    cliFail(cmd, '--scale', str(opts.scale), `must be an integer for '${method}'`);
  }
  if (!outPath.toLowerCase().endsWith('.png')) cliFail(cmd, 'out', outPath, 'must be a .png file');
  const image = readPng(resolvePath(io, inPath)); // (3, H, W)
  const [c, h, w] = image.shape as [number, number, number];
  const big = h * w * scale * scale > 1_000_000;
  const bar = progress(io, `upsampling (${method})`, c, big);
  const planes: Tensor[] = [];
  try {
    // channel by channel, so a big image shows progress; every method treats channels alike
    for (let ch = 0; ch < c; ch++) {
      const x = tensor(image.data.subarray(ch * h * w, (ch + 1) * h * w), [1, 1, h, w]);
      planes.push(upsampleChannel(x, method, scale));
      bar.update(ch + 1);
    }
  } finally {
    bar.stop();
  }
  const [oh, ow] = planes[0]!.shape.slice(2) as [number, number];
  const out = new Float32Array(c * oh * ow);
  planes.forEach((p, ch) => out.set(p.data, ch * oh * ow));
  writeOutput(io, cmd, 'out', outPath, encodePng(tensor(out, [c, oh, ow])));
  const how: Record<string, string> = {
    convTranspose: `convTranspose2d with the ${2 * scale - (scale % 2)}×${2 * scale - (scale % 2)} bilinear kernel, stride ${scale}, padding ${Math.ceil((scale - 1) / 2)}`,
    pixelShuffle: `pixelShuffle(·, ${scale}) of each channel repeated ${scale * scale} times`,
  };
  io.out(
    `${inPath} ${w}×${h} → ${outPath} ${ow}×${oh} (${how[method] ?? `interpolate mode '${method}', scaleFactor ${scale}`})\n`,
  );
}

function upsampleChannel(x: Tensor, method: string, scale: number): Tensor {
  if (method === 'convTranspose') {
    // FCN's fixed bilinear deconvolution: kernel 2s − s mod 2, stride s, padding ⌈(s − 1)/2⌉ → s·n
    const k = 2 * scale - (scale % 2);
    return convTranspose2d(x, bilinearFiller([1, 1, k, k]), {
      stride: scale,
      padding: Math.ceil((scale - 1) / 2),
    });
  }
  if (method === 'pixelShuffle') {
    // (1, 1, H, W) → (1, r², H, W), every channel a copy → (1, 1, rH, rW)
    const r2 = scale * scale;
    const n = x.size;
    const rep = new Float32Array(r2 * n);
    for (let j = 0; j < r2; j++) rep.set(x.data, j * n);
    return pixelShuffle(tensor(rep, [1, r2, ...x.shape.slice(2)]), scale);
  }
  return interpolate(x, { scaleFactor: scale, mode: method as InterpolateMode });
}
