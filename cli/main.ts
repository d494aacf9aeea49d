/**
 * `deconv`: the command line. Argument parsing by commander; every command's help lists runnable
 * examples (cli/examples.ts, all run by the tests). Exit codes: 0 done, 2 for a DeconvError (an
 * invalid value: its message is printed without a stack trace) or a command-line syntax error
 * (commander's message), 1 for anything unexpected.
 */
import { Command, CommanderError, Option } from 'commander';
import { ANIMATION_OPS, DeconvError } from './api.js';
import {
  checkerboardCommand,
  explainCommand,
  matrixCommand,
  shapeCommand,
  solveCommand,
  upsampleCommand,
  type Options,
} from './commands.js';
import { EXAMPLES, examplesHelp } from './examples.js';
import { processIo, type CliIo } from './io.js';
import { packageVersion } from './package.js';
import { MODEL_NAMES, trainCommand } from './train.js';
import { visualizeCommand } from './visualize.js';
import { segmentReportCommand, segmentTrainCommand } from './segment.js';
import { registerOnnx } from './onnx.js';
import { blurCommand, deblurCommand, sparseCodeCommand, DEBLUR_METHODS } from './restore.js';

const SIZE = '7 or 7x9 (one per dimension)';

function program(io: CliIo): Command {
  const p = new Command('deconv')
    .description(
      'Convolution arithmetic for your own parameters: sizes, solver, animations, the matrix view, checkerboards; training on MNIST and the DeconvNet.',
    )
    .version(packageVersion(), '-V, --version', 'print the version of deconv')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(add --help for usage and examples)')
    .showSuggestionAfterError(true);
  p.addHelpText(
    'after',
    '\nEvery command lists runnable examples: deconv <command> --help\n' +
      [EXAMPLES.shape[0]!, EXAMPLES.solve[0]!].map((e) => `  $ deconv ${e.args.join(' ')}\n`).join(''),
  );
  const sub = (name: string): Command =>
    p
      .command(name)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .showHelpAfterError('(add --help for usage and examples)');

  sub('shape')
    .description('output size per dimension, with the formula filled in')
    .addArgument(p.createArgument('<op>', 'the layer').choices(['conv', 'convTranspose', 'pool']))
    .requiredOption('--input <size>', `input size: ${SIZE}`)
    .requiredOption('--kernel <size>', 'kernel size')
    .option('--stride <size>', 'stride (default 1; pool: the kernel size)')
    .option('--padding <size>', "padding (conv also 'same' or 'valid')")
    .option('--output-padding <size>', 'output padding (convTranspose)')
    .option('--dilation <size>', 'dilation (default 1)')
    .option('--ceil-mode', 'round up (pool)')
    .option('--groups <g>', 'channel groups (conv, convTranspose; default 1): the weight shape per group')
    .option('--in-channels <c>', 'input channels (default: the groups)')
    .option('--out-channels <c>', 'output channels (default: the groups)')
    .addHelpText('after', examplesHelp('shape'))
    .action((op: string, opts: Options) => shapeCommand(op, opts, io));

  sub('solve')
    .description(
      'every transposed-convolution configuration from --in to --out, simplest first, with PyTorch, TF.js, ONNX and Keras calls',
    )
    .requiredOption('--in <size>', `input size: ${SIZE}`)
    .requiredOption('--out <size>', 'wanted output size')
    .option('--kernel <size>', 'fix the kernel size')
    .option('--stride <size>', 'fix the stride')
    .option('--padding <size>', 'fix the padding')
    .option('--output-padding <size>', 'fix the output padding')
    .option('--dilation <size>', 'fix the dilation')
    .option('--limit <n>', 'show at most n configurations (default 10)')
    .addHelpText(
      'after',
      '\nSimplest first means: dilation 1 first, then output padding 0, then no checkerboard (kernel a\n' +
        'multiple of the stride), then the smallest kernel + padding, then padding, then stride.\n' +
        'So 7 → 28 lists k4 s4 p0, k8 s4 p2, k12 s3 p1, k16 s2 p0, … before k22 s1 p0.\n',
    )
    .addHelpText('after', examplesHelp('solve'))
    .action((opts: Options) => solveCommand(opts, io));

  sub('explain')
    .description(
      'an animation in the style of conv_arithmetic, for any parameters (SVG animates in a browser; GIF anywhere)',
    )
    .addArgument(p.createArgument('<op>', 'the operation').choices([...ANIMATION_OPS]))
    .requiredOption('--input <size>', `input size: ${SIZE}`)
    .option('--kernel <size>', 'kernel size (maxUnpool: the pooling window)')
    .option('--stride <size>', 'stride')
    .option('--padding <size>', 'padding')
    .option('--output-padding <size>', 'output padding (convTranspose)')
    .option('--dilation <size>', 'dilation (dilated: default 2)')
    .option('--scale <factor>', 'scale factor (nearest, bilinear, bicubic, pixelShuffle; default 2)')
    .addOption(
      new Option('--order <order>', 'convTranspose frames: one per output cell or per input cell').choices([
        'output',
        'input',
      ]),
    )
    .option('--frame-ms <ms>', 'milliseconds per frame (default 800)')
    .requiredOption('-o, --output <file>', 'file.svg or file.gif')
    .addHelpText('after', examplesHelp('explain'))
    .action((op: string, opts: Options) => explainCommand(op, opts, io));

  sub('matrix')
    .description(
      'the convolution or transposed convolution as a matrix: C and Cᵀ as text (when small) and, with -o, as a picture, one row highlighted',
    )
    .addArgument(
      p.createArgument('[op]', 'conv (default) or convTranspose').choices(['conv', 'convTranspose']),
    )
    .requiredOption('--input <size>', `input size: ${SIZE}`)
    .requiredOption('--kernel <size>', 'kernel size')
    .option('--stride <size>', 'stride')
    .option('--padding <size>', 'padding')
    .option('--output-padding <size>', 'output padding (convTranspose)')
    .option('--dilation <size>', 'dilation')
    .option(
      '--row <r>',
      'the highlighted row of C: an output cell of conv, an input cell of convTranspose (default the middle one)',
    )
    .option('-o, --output <file>', 'file.png or file.svg (without it: text only)')
    .addHelpText('after', examplesHelp('matrix'))
    .action((op: string | undefined, opts: Options) => matrixCommand(op, opts, io));

  sub('checkerboard')
    .description(
      'kernel taps per output pixel of stacked transposed convolutions (Odena et al. 2016), with the fixes',
    )
    .requiredOption('--kernel <size>', 'kernel size')
    .requiredOption('--stride <size>', 'stride')
    .option('--padding <size>', 'padding')
    .option('--dilation <size>', 'dilation')
    .option('--layers <n>', 'stacked layers (default 1)')
    .option('--input <size>', 'input size of the first layer (default 6)')
    .requiredOption('-o, --output <file>', 'file.png or file.svg')
    .addHelpText('after', examplesHelp('checkerboard'))
    .action((opts: Options) => checkerboardCommand(opts, io));

  sub('upsample')
    .description("upsample a PNG image with one of the library's methods")
    .argument('<in>', 'input .png')
    .argument('<out>', 'output .png')
    .addOption(
      new Option('--method <method>', 'how')
        .choices(['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area', 'convTranspose', 'pixelShuffle'])
        .default('bilinear'),
    )
    .option('--scale <factor>', 'scale factor (default 2)')
    .addHelpText('after', examplesHelp('upsample'))
    .action((inPath: string, outPath: string, opts: Options) => upsampleCommand(inPath, outPath, opts, io));

  sub('train')
    .description(
      'train on the MNIST digits: a small CNN classifier and three autoencoders whose decoders upsample by max unpooling, transposed convolution, nearest + conv',
    )
    .addOption(new Option('--model <name>', 'what to train').choices([...MODEL_NAMES, 'all']).default('all'))
    .option('--epochs <n>', 'passes over the training digits (default: classifier 2, autoencoders 1)')
    .option('--batch-size <n>', 'digits per step (default 64)')
    .option('--lr <rate>', 'peak learning rate of Adam (default: classifier 0.004, autoencoders 0.005)')
    .option('--seed <n>', 'seed of the initial weights and the shuffling (default 0)')
    .option('--train-size <n>', 'train on the first n of the 60000 training digits')
    .option('--test-size <n>', 'measure on the first n of the 10000 test digits')
    .option('--out <dir>', 'folder for <model>.safetensors and loss.png (default ./deconv-train)')
    .addHelpText('after', examplesHelp('train'))
    .action((opts: Options) => trainCommand(opts, io));

  sub('visualize')
    .description(
      "the DeconvNet of Zeiler & Fergus for the trained classifier (top-9 activations projected to pixels), and the autoencoders' decoders compared; one HTML report",
    )
    .option('--weights <file>', 'the classifier (default: the shipped models/classifier.safetensors)')
    .option(
      '--autoencoders <dir>',
      'folder with ae-unpool, ae-convT, ae-nearest .safetensors (default: the shipped models/)',
    )
    .option('--out <dir>', 'folder for index.html and the PNGs (default: the current folder)')
    .option('--images <n>', 'test digits searched for the top activations (default 2000)')
    .option('--channels <k>', 'channels shown per conv layer (default: all, at most 16)')
    .addHelpText('after', examplesHelp('visualize'))
    .action((opts: Options) => visualizeCommand(opts, io));

  sub('segment')
    .description(
      'semantic segmentation of digit canvases by SegNet, DeconvNet, FCN-8s, U-Net and resize-conv decoders: train them (every decoder, several seeds), or the HTML report with the DeconvNet figure (default: the shipped weights)',
    )
    .addArgument(
      p
        .createArgument('[action]', 'train, or report (the default)')
        .choices(['train', 'report'])
        .default('report'),
    )
    .option(
      '--decoders <list>',
      `train: all (default) or a comma-separated list of ${'segnet, deconvnet, fcn8s, unet, resize-nearest, resize-bilinear'}`,
    )
    .option('--seeds <list>', 'train: seeds of the initial weights and shuffling (default 0,1,2)')
    .option('--train-size <n>', 'train: training canvases (default 3000)')
    .option('--test-size <n>', 'train: test canvases (default 500)')
    .option('--epochs <n>', 'train: passes over the training canvases (default 3)')
    .option('--batch-size <n>', 'train: canvases per step (default 16)')
    .option('--lr <rate>', 'train: peak learning rate of Adam (default 0.01)')
    .option('--channels <list>', 'train: channels of the encoder stages (default 8,16,32)')
    .option('--data-seed <n>', 'train: seed of the canvases (default 0)')
    .option(
      '--time-budget <minutes>',
      'train: stop when it is spent (the finished runs are kept; run again to resume)',
    )
    .option(
      '--weights <dir>',
      'report: folder with segment.json and the weights (default: the shipped models/segment)',
    )
    .option('--evaluate', 'report: recompute the scores from the weights on the test canvases')
    .option('--examples <n>', 'report: test canvases shown (default 4)')
    .option(
      '--out <dir>',
      'train: folder for the weights (default ./deconv-segment); report: for index.html and the PNGs (default .)',
    )
    .addHelpText('after', examplesHelp('segment'))
    .action((action: string, opts: Options) =>
      action === 'train' ? segmentTrainCommand(opts, io) : segmentReportCommand(opts, io),
    );
  registerOnnx(sub('onnx').description('ONNX models: inspect the upsampling layers, run an image model'), io);
  const psfOptions = (c: Command): Command =>
    c
      .option('--psf <kind>', 'gaussian (default), box, motion, or a PSF as a .png file')
      .option('--size <n>', 'PSF size in pixels (default 9)')
      .option('--sigma <s>', 'gaussian: standard deviation (default size/4)')
      .option('--angle <degrees>', 'motion: direction (default 0)');
  psfOptions(sub('blur').description('blur a PNG with a PSF and add noise (test images for deblur)'))
    .argument('<in>', 'input .png')
    .argument('<out>', 'output .png')
    .option('--noise <sigma>', 'Gaussian noise, standard deviation on [0, 1] (default 0)')
    .option('--seed <n>', 'seed of the noise (default 0)')
    .option('--boundary <mode>', 'zero, reflect (default), symmetric, circular')
    .option('--psf-out <file>', 'also write the PSF as a .png')
    .addHelpText('after', examplesHelp('blur'))
    .action((inPath: string, outPath: string, opts: Options) => blurCommand(inPath, outPath, opts, io));
  psfOptions(
    sub('deblur').description(
      "restore a blurred PNG: scikit-image's Richardson–Lucy / Wiener, or methods on the exact adjoint with a boundary",
    ),
  )
    .argument('<in>', 'blurred .png')
    .argument('<out>', 'restored .png')
    .addOption(new Option('--method <method>', 'how').choices([...DEBLUR_METHODS]).default('richardson-lucy'))
    .option('--iterations <n>', 'iterations (default 50)')
    .option('--lambda <w>', 'tikhonov / tv: regularisation weight (default 0.002)')
    .option('--balance <w>', 'wiener: balance (default 0.05)')
    .option('--boundary <mode>', 'zero, reflect (default), symmetric, circular, valid (adjoint methods)')
    .option('--reference <file>', 'the sharp .png: print the PSNR before and after')
    .addHelpText('after', examplesHelp('deblur'))
    .action((inPath: string, outPath: string, opts: Options) => deblurCommand(inPath, outPath, opts, io));
  sub('sparse-code')
    .description(
      "Zeiler's deconvolutional network, one layer: learn convolutional filters from an image; write the filters, sparse feature maps and reconstruction",
    )
    .argument('<in>', 'input .png (used in grey)')
    .option('--atoms <n>', 'number of filters (default 16)')
    .option('--kernel <k>', 'filter size (default 8)')
    .option('--lambda <w>', 'sparsity weight (default 0.05)')
    .option('--iterations <n>', 'dictionary-learning iterations (default 20)')
    .option('--crop <n>', 'use the centre n×n crop (default the whole image)')
    .option('--out <dir>', 'folder for filters.png, maps.png, reconstruction.png (default ./sparse-code)')
    .addHelpText('after', examplesHelp('sparse-code'))
    .action((inPath: string, opts: Options) => sparseCodeCommand(inPath, opts, io));
  return p;
}

/**
 * Runs `deconv` with `argv` (the arguments after the program name) and returns the exit code.
 *
 * @example await main(['shape', 'conv', '--input', '7', '--kernel', '3']) // prints 5, returns 0
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await program(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof DeconvError) {
      io.err(`error: ${inCliWords(e, argv[0] ?? '')}\n`);
      return 2;
    }
    io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** The library's argument names as each command's flags (the default row, then per command). */
const FLAGS: Record<string, Record<string, string>> = {
  '': {
    inputSize: '--input',
    kernelSize: '--kernel',
    stride: '--stride',
    padding: '--padding',
    outputPadding: '--output-padding',
    dilation: '--dilation',
    groups: '--groups',
    ceilMode: '--ceil-mode',
    row: '--row',
    layers: '--layers',
    scale: '--scale',
    scaleFactor: '--scale',
    frameMs: '--frame-ms',
    order: '--order',
    size: '--scale',
  },
  solve: { inputSize: '--in', outputSize: '--out', maxResults: '--limit' },
  upsample: { source: 'in', image: 'in', input: 'in' },
  visualize: { state: '--weights', dict: '--weights' },
};

/**
 * A library DeconvError in the CLI's own words: `deconv <command>:` instead of the library
 * function, the flag instead of the argument name (`--output-padding (dimension 1)` for
 * `outputPadding[1]`), and no advice that only an API caller can follow.
 */
export function inCliWords(e: DeconvError, command: string): string {
  if (e.fn.startsWith('deconv')) return e.message;
  const flags = { ...FLAGS[''], ...(FLAGS[command] ?? {}) };
  let rest = e.message.slice(e.fn.length + 2);
  const flagOf = (name: string, index?: string): string | undefined => {
    const f = flags[name];
    if (f === undefined) return undefined;
    return index === undefined ? f : `${f} (dimension ${index})`;
  };
  // the argument path at the start, then names with an index or in camelCase inside the rule
  rest = rest.replace(
    /^([A-Za-z]+)(?:\[(\d+)\])?/,
    (m, name: string, index?: string) => flagOf(name, index) ?? m,
  );
  rest = rest.replace(
    /\b([a-z]+[A-Z][A-Za-z]*|[a-z]+(?=\[\d+\]))(?:\[(\d+)\])?/g,
    (m, name: string, index?: string) => flagOf(name, index) ?? m,
  );
  rest = rest
    .replace(/;? ?pass \{ strict: false \}[^)]*/g, '')
    .replace(/;? ?\(?pass a larger maxPixels to read it\)?/, '');
  return `deconv ${command || 'deconv'}: ${rest}`;
}
