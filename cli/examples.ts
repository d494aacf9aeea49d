/**
 * The examples of every command's `--help`, in one table: the help prints them and the tests run
 * every one of them (test/cli.test.ts), so each example in the help is known to work. Output paths
 * are relative to the working directory; the input photo is the one the package ships, by its
 * absolute path, so every example runs from any directory.
 */
import { samplePhoto } from './package.js';

const PHOTO = samplePhoto();

export type CommandName =
  | 'shape'
  | 'solve'
  | 'explain'
  | 'matrix'
  | 'checkerboard'
  | 'upsample'
  | 'train'
  | 'visualize'
  | 'blur'
  | 'deblur'
  | 'sparse-code'
  | 'segment';

export interface Example {
  /** the arguments after `deconv` */
  readonly args: readonly string[];
  /** what it shows */
  readonly note: string;
  /** the file it writes, if any */
  readonly writes?: string;
}

export const EXAMPLES: Readonly<Record<CommandName, readonly Example[]>> = {
  blur: [
    {
      args: [
        'blur',
        PHOTO,
        'blurred.png',
        '--psf',
        'gaussian',
        '--size',
        '9',
        '--sigma',
        '2',
        '--noise',
        '0.01',
        '--psf-out',
        'psf.png',
      ],
      note: 'a Gaussian blur with a little noise; the PSF as a picture',
      writes: 'blurred.png',
    },
    {
      args: ['blur', PHOTO, 'motion.png', '--psf', 'motion', '--size', '11', '--angle', '30'],
      note: 'motion blur along 30°',
      writes: 'motion.png',
    },
  ],
  deblur: [
    {
      args: [
        'deblur',
        'blurred.png',
        'restored.png',
        '--psf',
        'gaussian',
        '--size',
        '9',
        '--sigma',
        '2',
        '--method',
        'richardson-lucy',
        '--iterations',
        '10',
        '--reference',
        PHOTO,
      ],
      note: "scikit-image's Richardson–Lucy, with the PSNR before and after (run the blur example first)",
      writes: 'restored.png',
    },
    {
      args: [
        'deblur',
        'blurred.png',
        'restored-tv.png',
        '--psf',
        'psf.png',
        '--method',
        'tv',
        '--boundary',
        'symmetric',
        '--iterations',
        '10',
        '--lambda',
        '0.003',
        '--reference',
        PHOTO,
      ],
      note: 'total variation on the exact adjoint with a symmetric boundary, the PSF read from a PNG',
      writes: 'restored-tv.png',
    },
  ],
  'sparse-code': [
    {
      args: [
        'sparse-code',
        PHOTO,
        '--atoms',
        '8',
        '--kernel',
        '6',
        '--crop',
        '64',
        '--iterations',
        '5',
        '--out',
        'csc',
      ],
      note: '8 filters learned from the photo: csc/filters.png, csc/maps.png, csc/reconstruction.png',
      writes: 'csc/filters.png',
    },
  ],
  shape: [
    {
      args: ['shape', 'convTranspose', '--input', '16', '--kernel', '3', '--stride', '2', '--padding', '1'],
      note: '16 → 31: why a stride-2 deconvolution does not double',
    },
    {
      args: [
        'shape',
        'convTranspose',
        '--input',
        '16',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--padding',
        '1',
        '--output-padding',
        '1',
      ],
      note: '16 → 32 with output padding 1',
    },
    {
      args: ['shape', 'conv', '--input', '32x24', '--kernel', '3', '--stride', '2', '--padding', '1'],
      note: 'per dimension: 32×24 → 16×12',
    },
    {
      args: ['shape', 'pool', '--input', '7', '--kernel', '2', '--ceil-mode'],
      note: 'max pooling 7 → 4 with ceil mode',
    },
    {
      args: [
        'shape',
        'conv',
        '--input',
        '16x16x16',
        '--kernel',
        '3',
        '--groups',
        '4',
        '--in-channels',
        '8',
        '--out-channels',
        '12',
      ],
      note: 'a 3-d grouped convolution: sizes and the weight (12, 2, 3, 3, 3)',
    },
  ],
  solve: [
    { args: ['solve', '--in', '7', '--out', '28'], note: 'every way to take 7 to 28, simplest first' },
    {
      args: ['solve', '--in', '16', '--out', '32', '--kernel', '4', '--stride', '2'],
      note: 'kernel and stride fixed: the padding and output padding that fit',
    },
    { args: ['solve', '--in', '7x7', '--out', '14x15', '--limit', '3'], note: 'per dimension, the first 3' },
  ],
  explain: [
    {
      args: [
        'explain',
        'convTranspose',
        '--input',
        '2',
        '--kernel',
        '3',
        '--stride',
        '2',
        '-o',
        'transposed.svg',
      ],
      note: 'the scatter and the direct view side by side (SVG animates in a browser)',
      writes: 'transposed.svg',
    },
    {
      args: [
        'explain',
        'convTranspose',
        '--input',
        '3',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--padding',
        '1',
        '--output-padding',
        '1',
        '-o',
        'output-padding.svg',
      ],
      note: 'what output padding adds',
      writes: 'output-padding.svg',
    },
    {
      args: [
        'explain',
        'convTranspose',
        '--input',
        '2',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--order',
        'input',
        '-o',
        'stamps.svg',
      ],
      note: 'one frame per input cell: each stamps the kernel',
      writes: 'stamps.svg',
    },
    {
      args: [
        'explain',
        'conv',
        '--input',
        '5',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--padding',
        '1',
        '-o',
        'conv.gif',
      ],
      note: 'a strided, padded convolution',
      writes: 'conv.gif',
    },
    {
      args: ['explain', 'dilated', '--input', '7', '--kernel', '3', '--dilation', '2', '-o', 'dilated.svg'],
      note: 'a dilated (atrous) convolution',
      writes: 'dilated.svg',
    },
    {
      args: ['explain', 'maxUnpool', '--input', '2', '--kernel', '2', '-o', 'unpool.svg'],
      note: 'max unpooling',
      writes: 'unpool.svg',
    },
    {
      args: ['explain', 'nearest', '--input', '3', '--scale', '2', '-o', 'nearest.svg'],
      note: 'nearest upsampling',
      writes: 'nearest.svg',
    },
    {
      args: ['explain', 'bilinear', '--input', '3', '--scale', '2', '-o', 'bilinear.svg'],
      note: 'bilinear upsampling',
      writes: 'bilinear.svg',
    },
    {
      args: ['explain', 'bicubic', '--input', '3', '--scale', '2', '-o', 'bicubic.gif'],
      note: "bicubic upsampling (Keys' cubic, 4 × 4 taps), as a GIF",
      writes: 'bicubic.gif',
    },
    {
      args: ['explain', 'pixelShuffle', '--input', '2', '--scale', '2', '-o', 'shuffle.svg'],
      note: 'pixel shuffle',
      writes: 'shuffle.svg',
    },
  ],
  matrix: [
    {
      args: [
        'matrix',
        'convTranspose',
        '--input',
        '2',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--output-padding',
        '1',
      ],
      note: 'the transposed convolution 2×2 → 6×6 as the matrix Cᵀ (36×4), printed as text',
    },
    {
      args: ['matrix', '--input', '4', '--kernel', '3', '-o', 'matrix.png'],
      note: 'C (4×16) and Cᵀ, with C as text',
      writes: 'matrix.png',
    },
    {
      args: [
        'matrix',
        '--input',
        '5',
        '--kernel',
        '3',
        '--stride',
        '2',
        '--padding',
        '1',
        '--row',
        '4',
        '-o',
        'matrix.svg',
      ],
      note: 'a strided, padded convolution; row 4 highlighted',
      writes: 'matrix.svg',
    },
  ],
  checkerboard: [
    {
      args: ['checkerboard', '--kernel', '3', '--stride', '2', '--layers', '3', '-o', 'checkerboard.png'],
      note: 'the checkerboard of three stacked k3 s2 layers',
      writes: 'checkerboard.png',
    },
    {
      args: ['checkerboard', '--kernel', '4', '--stride', '2', '--padding', '1', '-o', 'even.png'],
      note: 'kernel divisible by stride: even',
      writes: 'even.png',
    },
  ],
  upsample: [
    {
      args: ['upsample', PHOTO, 'photo-bilinear.png', '--method', 'bilinear', '--scale', '2'],
      note: 'bilinear interpolation',
      writes: 'photo-bilinear.png',
    },
    {
      args: ['upsample', PHOTO, 'photo-deconv.png', '--method', 'convTranspose', '--scale', '2'],
      note: 'a transposed convolution with the bilinear kernel (FCN)',
      writes: 'photo-deconv.png',
    },
    {
      args: ['upsample', PHOTO, 'photo-shuffle.png', '--method', 'pixelShuffle', '--scale', '3'],
      note: 'pixel shuffle of the channels repeated r² times (an ICNR-initialised sub-pixel layer)',
      writes: 'photo-shuffle.png',
    },
  ],
  train: [
    {
      args: [
        'train',
        '--model',
        'classifier',
        '--epochs',
        '1',
        '--train-size',
        '640',
        '--test-size',
        '500',
        '--out',
        'trained',
      ],
      note: 'a quick run on 640 digits (the shipped weights: deconv train --out models, see models/README.md)',
      writes: 'trained/loss.png',
    },
    {
      args: [
        'train',
        '--model',
        'ae-convT',
        '--epochs',
        '1',
        '--train-size',
        '320',
        '--test-size',
        '100',
        '--out',
        'trained',
      ],
      note: 'the autoencoder with the transposed-convolution decoder',
      writes: 'trained/loss.png',
    },
  ],
  visualize: [
    {
      args: ['visualize', '--images', '300', '--channels', '4', '--out', 'report'],
      note: 'the report for the shipped weights: report/index.html (no arguments: all channels, into .)',
      writes: 'report/deconvnet-layer2.png',
    },
  ],
  segment: [
    {
      args: ['segment', '--out', 'segment-report'],
      note: 'the report for the shipped weights (models/segment): segment-report/index.html, with the DeconvNet figure',
      writes: 'segment-report/deconvnet-unpool1.png',
    },
    {
      args: [
        'segment',
        'train',
        '--decoders',
        'segnet,fcn8s',
        '--seeds',
        '0',
        '--train-size',
        '64',
        '--test-size',
        '32',
        '--epochs',
        '1',
        '--out',
        'segment-trained',
      ],
      note: 'a quick run of two decoders (the shipped weights: see models/segment/README.md)',
      writes: 'segment-trained/segment.json',
    },
  ],
};

/** The `Examples:` section of a command's help. */
export function examplesHelp(command: CommandName): string {
  const lines = EXAMPLES[command].map((e) => `  $ deconv ${e.args.join(' ')}\n      ${e.note}`);
  return `\nExamples:\n${lines.join('\n')}\n`;
}
