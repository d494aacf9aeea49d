/**
 * Every tensor argument of every public function (issue #14, item 1): the list of them is
 * mechanical — scripts/gen-tensor-arguments.ts reads the package entries' types and writes
 * test/fixtures/tensor-arguments.json (each exported function, constructor and method, each
 * parameter whose type holds a Tensor, and where: the argument itself, an option such as `bias`,
 * an array element, `layers[].weight`, …). This test
 *
 * 1. checks that the list is current: every function it names is exported by the entries (and the
 *    exports that take tensors are all in it, as far as the runtime can tell: an exported function
 *    not in the list must be in NO_TENSORS below);
 * 2. calls each function validly once (with every optional tensor given), then with each tensor
 *    slot replaced by a look-alike object (shape, data, dtype, size: what another library's tensor
 *    looks like), a disposed tensor, and a tensor whose data was swapped for a shorter array; each
 *    must be refused with a DeconvError naming that argument, before any work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lib from '../src/index.js';
import * as nodeEntry from '../src/node.js';
import { DeconvError, Tensor, nn, randn, rand, tensor, zeros, ones, restoration, csc } from '../src/index.js';

interface Entry {
  fn: string;
  param: number;
  name: string;
  paths: string[];
}
const manifest = JSON.parse(
  readFileSync(new URL('./fixtures/tensor-arguments.json', import.meta.url), 'utf8'),
) as { exports: string[]; arguments: Entry[] };

/** A valid call: its arguments (fresh each time) and how to make it. */
interface Spec {
  args: () => unknown[];
  call: (...args: unknown[]) => unknown;
}

const x4 = (c = 2, n = 1, h = 6): Tensor => randn([n, c, h, h], { seed: 1 });
const int = (values: number[], shape: number[]): Tensor => tensor(values, shape, { dtype: 'int32' });
const conv = (name: string, d: number, transposed = false): Spec => ({
  args: () => [
    randn([1, 2, ...new Array<number>(d).fill(5)], { seed: 1 }),
    randn([2, 2, ...new Array<number>(d).fill(3)], { seed: 2 }),
    { bias: randn([2], { seed: 3 }), ...(transposed ? {} : {}) },
  ],
  call: (...a) => (lib[name as 'conv1d'] as (...b: unknown[]) => unknown)(...a),
});
const gradIn = (d: number): Spec => ({
  args: () => [
    [1, 2, ...new Array<number>(d).fill(5)],
    randn([3, 2, ...new Array<number>(d).fill(3)], { seed: 2 }),
    randn([1, 3, ...new Array<number>(d).fill(3)], { seed: 3 }),
  ],
  call: (...a) => (lib[`conv${d}dInput` as 'conv1dInput'] as (...b: unknown[]) => unknown)(...a),
});
const gradW = (d: number): Spec => ({
  args: () => [
    randn([1, 2, ...new Array<number>(d).fill(5)], { seed: 1 }),
    [3, 2, ...new Array<number>(d).fill(3)],
    randn([1, 3, ...new Array<number>(d).fill(3)], { seed: 3 }),
  ],
  call: (...a) => (lib[`conv${d}dWeight` as 'conv1dWeight'] as (...b: unknown[]) => unknown)(...a),
});
const pooled = (d: number) =>
  lib[`maxPool${d}d` as 'maxPool1d'](randn([1, 2, ...new Array<number>(d).fill(4)], { seed: 1 }), {
    kernelSize: 2,
    returnIndices: true,
  });
const layerForward = (make: () => nn.Module, input: () => unknown[]): Spec => ({
  args: input,
  call: (...a) => (make() as unknown as { forward: (...b: unknown[]) => unknown }).forward(...a),
});
const image = () => rand([12, 12], { seed: 1 });
const psf = () => ones([3, 3]).mul(1 / 9);
const mask = () => ones([12, 12]);
// max pooling first, so that switches[0] is a tensor the test can replace
const deconvLayers = () => [
  new nn.MaxPool2d({ kernelSize: 2 }),
  new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1 }),
  new nn.ReLU(),
];
const trace = () => lib.deconvnetForward(deconvLayers(), randn([1, 1, 8, 8], { seed: 1 }));
const segmentation = () => nn.segmentationModel('segnet', { numClasses: 3, channels: [2, 2] });

const specs: Record<string, Spec> = {
  'ConvMatrix#matvec': {
    args: () => [randn([1, 4, 4], { seed: 1 })],
    call: (x) =>
      lib.convMatrix([1, 4, 4], randn([1, 1, 3, 3], { seed: 2 }), { padding: 1 }).matvec(x as Tensor),
  },
  'Tensor#add': { args: () => [randn([3], { seed: 2 })], call: (o) => randn([2, 3]).add(o as Tensor) },
  'Tensor#sub': { args: () => [randn([3], { seed: 2 })], call: (o) => randn([2, 3]).sub(o as Tensor) },
  'Tensor#mul': { args: () => [randn([3], { seed: 2 })], call: (o) => randn([2, 3]).mul(o as Tensor) },
  'Tensor#div': { args: () => [rand([3], { seed: 2 })], call: (o) => randn([2, 3]).div(o as Tensor) },
  'Tensor#matmul': {
    args: () => [randn([3, 4], { seed: 2 })],
    call: (o) => randn([2, 3]).matmul(o as Tensor),
  },
  'Tensor#backward': {
    args: () => [randn([2, 3], { seed: 2 })],
    call: (g) =>
      randn([2, 3], { requiresGrad: true })
        .mul(2)
        .backward(g as Tensor),
  },
  avgPool1d: {
    args: () => [randn([1, 2, 6]), { kernelSize: 2 }],
    call: (a, b) => lib.avgPool1d(a as Tensor, b as never),
  },
  avgPool2d: {
    args: () => [x4(), { kernelSize: 2 }],
    call: (a, b) => lib.avgPool2d(a as Tensor, b as never),
  },
  avgPool3d: {
    args: () => [randn([1, 2, 4, 4, 4]), { kernelSize: 2 }],
    call: (a, b) => lib.avgPool3d(a as Tensor, b as never),
  },
  maxPool1d: {
    args: () => [randn([1, 2, 6]), { kernelSize: 2 }],
    call: (a, b) => lib.maxPool1d(a as Tensor, b as never),
  },
  maxPool2d: {
    args: () => [x4(), { kernelSize: 2 }],
    call: (a, b) => lib.maxPool2d(a as Tensor, b as never),
  },
  maxPool3d: {
    args: () => [randn([1, 2, 4, 4, 4]), { kernelSize: 2 }],
    call: (a, b) => lib.maxPool3d(a as Tensor, b as never),
  },
  ...Object.fromEntries(
    [1, 2, 3].map((d) => [
      `maxUnpool${d}d`,
      {
        args: () => {
          const p = pooled(d);
          return [p.output, p.indices, { kernelSize: 2 }];
        },
        call: (...a: unknown[]) =>
          (lib[`maxUnpool${d}d` as 'maxUnpool1d'] as (...b: unknown[]) => unknown)(...a),
      },
    ]),
  ),
  concat: {
    args: () => [[randn([2, 3]), randn([1, 3])], 0],
    call: (a, b) => lib.concat(a as Tensor[], b as number),
  },
  conv: conv('conv', 2),
  conv1d: conv('conv1d', 1),
  conv2d: conv('conv2d', 2),
  conv3d: conv('conv3d', 3),
  convTranspose: conv('convTranspose', 2, true),
  convTranspose1d: conv('convTranspose1d', 1, true),
  convTranspose2d: conv('convTranspose2d', 2, true),
  convTranspose3d: conv('convTranspose3d', 3, true),
  conv1dInput: gradIn(1),
  conv2dInput: gradIn(2),
  conv3dInput: gradIn(3),
  conv1dWeight: gradW(1),
  conv2dWeight: gradW(2),
  conv3dWeight: gradW(3),
  convMatrix: {
    args: () => [[1, 4, 4], randn([2, 1, 3, 3], { seed: 2 }), { padding: 1 }],
    call: (a, b, c) => lib.convMatrix(a as never, b as Tensor, c as never),
  },
  'csc.convBPDN': {
    args: () => [
      rand([8, 8], { seed: 1 }),
      randn([2, 3, 3], { seed: 2 }),
      { lambda: 0.1, iterations: 2, mask: ones([8, 8]) },
    ],
    call: (a, b, c) => csc.convBPDN(a as Tensor, b as Tensor, c as never),
  },
  'csc.learnDictionary': {
    args: () => [
      rand([2, 8, 8], { seed: 1 }),
      {
        atoms: 2,
        kernelSize: 3,
        lambda: 0.1,
        iterations: 1,
        initialDictionary: randn([2, 3, 3], { seed: 3 }),
      },
    ],
    call: (a, b) => csc.learnDictionary(a as Tensor, b as never),
  },
  deconvnetForward: {
    args: () => [deconvLayers(), randn([1, 1, 8, 8], { seed: 1 })],
    call: (a, b) => lib.deconvnetForward(a as never, b as Tensor),
  },
  deconvnetProject: {
    args: () => {
      const t = trace();
      return [t, 1, lib.selectImages(t.outputs[1]!, [0]), [0]];
    },
    call: (a, b, c, d) => lib.deconvnetProject(a as never, b as number, c as Tensor, d as number[]),
  },
  isolate: {
    args: () => {
      const t = trace();
      return [t, 1, lib.topActivations(t, 1, 0, 1)];
    },
    call: (a, b, c) => lib.isolate(a as never, b as number, c as never),
  },
  topActivations: {
    args: () => [trace(), 1, 0, 2],
    call: (a, b, c, d) => lib.topActivations(a as never, b as number, c as number, d as number),
  },
  receptiveField: {
    args: () => [deconvLayers(), 2, 1, 1],
    call: (a, b, c, d) => lib.receptiveField(a as never, b as number, c as number, d as number),
  },
  selectImages: {
    args: () => [x4(2, 3), [0, 2]],
    call: (a, b) => lib.selectImages(a as Tensor, b as number[]),
  },
  encodePng: { args: () => [rand([3, 4, 4], { seed: 1 })], call: (a) => lib.encodePng(a as Tensor) },
  makeGrid: {
    args: () => [[rand([3, 4, 4], { seed: 1 }), rand([3, 4, 4], { seed: 2 })], { columns: 2 }],
    call: (a, b) => lib.makeGrid(a as Tensor[], b as never),
  },
  writePng: {
    args: () => [rand([3, 4, 4], { seed: 1 }), join(mkdtempSync(join(tmpdir(), 'deconv-png-')), 'a.png')],
    call: (a, b) => nodeEntry.writePng(a as Tensor, b as string),
  },
  writeSafetensors: {
    args: () => [{ a: randn([2], { seed: 1 }), b: randn([3]) }],
    call: (a) => lib.writeSafetensors(a as never),
  },
  exportOnnx: {
    args: () => [(x: Tensor) => lib.interpolate(x, { scaleFactor: 2 }), x4()],
    call: (a, b) => lib.exportOnnx(a as never, b as Tensor),
  },
  gradcheck: {
    args: () => [(x: Tensor) => x.mul(x), [randn([3], { seed: 1, requiresGrad: true })]],
    call: (a, b) => lib.gradcheck(a as never, b as Tensor[]),
  },
  fold: {
    args: () => [randn([1, 8, 16], { seed: 1 }), { outputSize: [5, 5], kernelSize: 2 }],
    call: (a, b) => lib.fold(a as Tensor, b as never),
  },
  unfold: { args: () => [x4(), { kernelSize: 2 }], call: (a, b) => lib.unfold(a as Tensor, b as never) },
  interpolate: {
    args: () => [x4(), { scaleFactor: 2 }],
    call: (a, b) => lib.interpolate(a as Tensor, b as never),
  },
  resize: { args: () => [x4(), { scales: [2, 2] }], call: (a, b) => lib.resize(a as Tensor, b as never) },
  pixelShuffle: { args: () => [x4(8, 1, 3), 2], call: (a, b) => lib.pixelShuffle(a as Tensor, b as number) },
  pixelUnshuffle: {
    args: () => [x4(2, 1, 4), 2],
    call: (a, b) => lib.pixelUnshuffle(a as Tensor, b as number),
  },
  makeDigitCanvases: {
    args: () => [
      { images: rand([4, 28, 28], { seed: 1 }), labels: [0, 1, 2, 3] },
      { count: 2, seed: 1 },
    ],
    call: (a, b) => lib.makeDigitCanvases(a as never, b as never),
  },
  'new nn.SGD': {
    args: () => [[randn([3], { requiresGrad: true })], { lr: 0.1 }],
    call: (a, b) => new nn.SGD(a as never, b as never),
  },
  'new nn.Adam': {
    args: () => [[randn([3], { requiresGrad: true })], { lr: 0.1 }],
    call: (a, b) => new nn.Adam(a as never, b as never),
  },
  'new nn.AdamW': {
    args: () => [[randn([3], { requiresGrad: true })], { lr: 0.1 }],
    call: (a, b) => new nn.AdamW(a as never, b as never),
  },
  'nn.Module#loadStateDict': {
    args: () => [new nn.Linear({ inFeatures: 2, outFeatures: 2 }).stateDict()],
    call: (a) => new nn.Linear({ inFeatures: 2, outFeatures: 2 }).loadStateDict(a as never),
  },
  'nn.Module#registerParameter': {
    args: () => ['w', randn([2], { requiresGrad: true })],
    call: (a, b) => new nn.Identity().registerParameter(a as string, b as Tensor),
  },
  'nn.Module#registerBuffer': {
    args: () => ['b', randn([2])],
    call: (a, b) => new nn.Identity().registerBuffer(a as string, b as Tensor),
  },
  'nn.AvgPool1d#forward': layerForward(
    () => new nn.AvgPool1d({ kernelSize: 2 }),
    () => [randn([1, 2, 6])],
  ),
  'nn.MaxPool1d#forward': layerForward(
    () => new nn.MaxPool1d({ kernelSize: 2 }),
    () => [randn([1, 2, 6])],
  ),
  'nn.MaxUnpool1d#forward': layerForward(
    () => new nn.MaxUnpool1d({ kernelSize: 2 }),
    () => {
      const p = pooled(1);
      return [p.output, p.indices];
    },
  ),
  'nn.BatchNorm1d#forward': layerForward(
    () => new nn.BatchNorm1d({ numFeatures: 2 }),
    () => [randn([3, 2, 4])],
  ),
  'nn.Conv1d#forward': layerForward(
    () => new nn.Conv1d({ inChannels: 2, outChannels: 2, kernelSize: 3 }),
    () => [randn([1, 2, 6])],
  ),
  'nn.ConvTranspose1d#forward': layerForward(
    () => new nn.ConvTranspose1d({ inChannels: 2, outChannels: 2, kernelSize: 3 }),
    () => [randn([1, 2, 6])],
  ),
  'nn.Linear#forward': layerForward(
    () => new nn.Linear({ inFeatures: 3, outFeatures: 2 }),
    () => [randn([2, 3])],
  ),
  'nn.Dropout#forward': layerForward(
    () => new nn.Dropout(),
    () => [randn([2, 3])],
  ),
  'nn.Flatten#forward': layerForward(
    () => new nn.Flatten(),
    () => [randn([2, 3, 2])],
  ),
  'nn.Identity#forward': layerForward(
    () => new nn.Identity(),
    () => [randn([2, 3])],
  ),
  'nn.LeakyReLU#forward': layerForward(
    () => new nn.LeakyReLU(),
    () => [randn([2, 3])],
  ),
  'nn.ReLU#forward': layerForward(
    () => new nn.ReLU(),
    () => [randn([2, 3])],
  ),
  'nn.Sigmoid#forward': layerForward(
    () => new nn.Sigmoid(),
    () => [randn([2, 3])],
  ),
  'nn.Tanh#forward': layerForward(
    () => new nn.Tanh(),
    () => [randn([2, 3])],
  ),
  'nn.PixelShuffle#forward': layerForward(
    () => new nn.PixelShuffle({ upscaleFactor: 2 }),
    () => [x4(8, 1, 3)],
  ),
  'nn.PixelUnshuffle#forward': layerForward(
    () => new nn.PixelUnshuffle({ downscaleFactor: 2 }),
    () => [x4(2, 1, 4)],
  ),
  'nn.Upsample#forward': layerForward(
    () => new nn.Upsample({ scaleFactor: 2 }),
    () => [x4()],
  ),
  'nn.Sequential#forward': layerForward(
    () => new nn.Sequential(new nn.ReLU()),
    () => [randn([2, 3])],
  ),
  'nn.SegmentationEncoder#forward': layerForward(
    () => new nn.SegmentationEncoder({ channels: [2, 2] }),
    () => [randn([1, 1, 8, 8])],
  ),
  'nn.SegmentationModel#forward': layerForward(segmentation, () => [randn([1, 1, 8, 8])]),
  'nn.DeconvNet#forwardTrace': {
    args: () => [randn([1, 1, 8, 8])],
    call: (a) =>
      (nn.segmentationModel('deconvnet', { numClasses: 3, channels: [2, 2] }) as nn.DeconvNet).forwardTrace(
        a as Tensor,
      ),
  },
  'nn.batchNorm': {
    args: () => [
      randn([3, 2, 4]),
      { weight: ones([2]), bias: zeros([2]), runningMean: zeros([2]), runningVar: ones([2]), training: true },
    ],
    call: (a, b) => nn.batchNorm(a as Tensor, b as never),
  },
  'nn.binaryCrossEntropyWithLogits': {
    args: () => [randn([2, 3]), rand([2, 3]), { weight: ones([2, 3]), posWeight: ones([3]) }],
    call: (a, b, c) => nn.binaryCrossEntropyWithLogits(a as Tensor, b as Tensor, c as never),
  },
  'nn.crossEntropy': {
    args: () => [randn([2, 3]), int([0, 2], [2]), { weight: ones([3]) }],
    call: (a, b, c) => nn.crossEntropy(a as Tensor, b as Tensor, c as never),
  },
  'nn.nllLoss': {
    args: () => [randn([2, 3]), int([0, 2], [2]), { weight: ones([3]) }],
    call: (a, b, c) => nn.nllLoss(a as Tensor, b as Tensor, c as never),
  },
  'nn.mseLoss': {
    args: () => [randn([2, 3]), randn([2, 3])],
    call: (a, b) => nn.mseLoss(a as Tensor, b as Tensor),
  },
  'nn.l1Loss': {
    args: () => [randn([2, 3]), randn([2, 3])],
    call: (a, b) => nn.l1Loss(a as Tensor, b as Tensor),
  },
  'nn.leakyRelu': { args: () => [randn([2, 3])], call: (a) => nn.leakyRelu(a as Tensor) },
  'nn.logSoftmax': {
    args: () => [randn([2, 3]), 1],
    call: (a, b) => nn.logSoftmax(a as Tensor, b as number),
  },
  'nn.softplus': { args: () => [randn([2, 3])], call: (a) => nn.softplus(a as Tensor) },
  'nn.confusionMatrix': {
    args: () => [int([0, 1, 2, 1], [1, 2, 2]), int([0, 1, 1, 1], [1, 2, 2]), 3],
    call: (a, b, c) => nn.confusionMatrix(a as Tensor, b as Tensor, c as number),
  },
  'nn.predictLabels': { args: () => [randn([1, 3, 2, 2])], call: (a) => nn.predictLabels(a as Tensor) },
  'nn.nyquistEnergyShare': {
    args: () => [randn([1, 4, 4])],
    call: (a) => nn.nyquistEnergyShare(a as Tensor),
  },
  ...Object.fromEntries(
    (
      [
        'uniform',
        'normal',
        'zeros',
        'ones',
        'xavierUniform',
        'xavierNormal',
        'kaimingUniform',
        'kaimingNormal',
      ] as const
    ).map((name) => [
      `nn.init.${name}`,
      {
        args: () => [zeros([4, 4])],
        call: (a: unknown) => (nn.init[name] as (t: Tensor) => Tensor)(a as Tensor),
      },
    ]),
  ),
  'nn.init.constant': {
    args: () => [zeros([4, 4]), 2],
    call: (a, b) => nn.init.constant(a as Tensor, b as number),
  },
  'nn.init.icnr': {
    args: () => [zeros([8, 2, 3, 3]), { scale: 2 }],
    call: (a, b) => nn.init.icnr(a as Tensor, b as never),
  },
  'restoration.richardsonLucy': {
    args: () => [image(), psf(), { iterations: 2 }],
    call: (a, b, c) => restoration.richardsonLucy(a as Tensor, b as Tensor, c as never),
  },
  'restoration.wiener': {
    args: () => [image(), psf(), { balance: 0.1, reg: ones([3, 3]) }],
    call: (a, b, c) => restoration.wiener(a as Tensor, b as Tensor, c as never),
  },
  'restoration.unsupervisedWiener': {
    args: () => [
      image(),
      psf(),
      { reg: ones([3, 3]), maxIterations: 3, minIterations: 1, burnin: 1, seed: 1 },
    ],
    call: (a, b, c) => restoration.unsupervisedWiener(a as Tensor, b as Tensor, c as never),
  },
  'restoration.psnr': {
    args: () => [image(), image()],
    call: (a, b) => restoration.psnr(a as Tensor, b as Tensor),
  },
  'restoration.landweber': {
    args: () => [image(), psf(), { iterations: 2, mask: mask() }],
    call: (a, b, c) => restoration.landweber(a as Tensor, b as Tensor, c as never),
  },
  'restoration.tikhonov': {
    args: () => [image(), psf(), { lambda: 0.01, iterations: 2, mask: mask() }],
    call: (a, b, c) => restoration.tikhonov(a as Tensor, b as Tensor, c as never),
  },
  'restoration.totalVariation': {
    args: () => [image(), psf(), { lambda: 0.01, iterations: 2, mask: mask() }],
    call: (a, b, c) => restoration.totalVariation(a as Tensor, b as Tensor, c as never),
  },
  'restoration.richardsonLucyAdjoint': {
    args: () => [image(), psf(), { iterations: 2, mask: mask() }],
    call: (a, b, c) => restoration.richardsonLucyAdjoint(a as Tensor, b as Tensor, c as never),
  },
  'restoration.blindRichardsonLucy': {
    args: () => [image(), { psfShape: [3, 3], iterations: 1, initialPsf: psf(), mask: mask() }],
    call: (a, b) => restoration.blindRichardsonLucy(a as Tensor, b as never),
  },
  'restoration.edgeTaper': {
    args: () => [image(), psf()],
    call: (a, b) => restoration.edgeTaper(a as Tensor, b as Tensor),
  },
};

/**
 * Arguments the list names that are not themselves tensor slots: a Module's own parameters and
 * buffers (private fields, reached through the Module), and the abstract Optimizer's constructor.
 */
const NOT_SLOTS: Record<string, string> = {
  'new nn.Optimizer': 'abstract base class (its subclasses SGD, Adam, AdamW are tested)',
};
const isModuleInternal = (path: string): boolean => path.includes('#');
/** Tensors inside an argument that the function never reads (so nothing can go wrong with them). */
const UNREAD: Record<string, string> = {
  'receptiveField layers[].weight':
    "reads only the layers' geometry (kernel size, stride, padding, dilation)",
  'receptiveField layers[].bias': "reads only the layers' geometry (kernel size, stride, padding, dilation)",
};

/** The value at `path` inside `root` (paths as the generator writes them) and a setter for it. */
function slot(root: unknown, path: string): { get: () => unknown; set: (v: unknown) => void } {
  const tokens = path.match(/\.[A-Za-z_$][\w$]*|\[\]|\{\}|<>/g) ?? [];
  let value = root;
  let at: { get: () => unknown; set: (v: unknown) => void } = {
    get: () => root,
    set: () => assert.fail('replace the root in the arguments instead'),
  };
  tokens.forEach((t, n) => {
    const container = value as Record<string | number, unknown> | Map<string, unknown>;
    if (container instanceof Map) {
      const k = [...container.keys()][0]!;
      at = { get: () => container.get(k), set: (v) => container.set(k, v) };
    } else {
      // an array element: the first that has the next field (layers[].weight: the first conv)
      const field = tokens[n + 1]?.startsWith('.') ? tokens[n + 1]!.slice(1) : undefined;
      const k = t.startsWith('.')
        ? t.slice(1)
        : Array.isArray(container)
          ? Math.max(
              0,
              container.findIndex(
                (el) => field === undefined || (el as Record<string, unknown>)?.[field] !== undefined,
              ),
            )
          : Object.keys(container)[0]!;
      at = { get: () => container[k], set: (v) => (container[k] = v) };
    }
    value = at.get();
  });
  return at;
}

/** The argument a refusal must name: an option's key, else the parameter (`layers` for `layers[0].weight`). */
function argumentName(e: Entry, path: string): string {
  if ((e.name === 'options' || e.name === 'args') && path.startsWith('.'))
    return path.slice(1).split(/[.[{<]/)[0]!;
  return e.name;
}

function copyOf(t: Tensor): Tensor {
  return tensor(Array.from(t.data), [...t.shape], { dtype: t.dtype === 'int32' ? 'int32' : 'float32' });
}

function bads(t: Tensor): { what: string; value: unknown }[] {
  const disposed = copyOf(t);
  disposed.dispose();
  const tampered = copyOf(t);
  (tampered as unknown as { data: Float32Array }).data = new Float32Array(Math.max(0, t.size - 1));
  return [
    {
      what: 'a look-alike object',
      value: {
        shape: [...t.shape],
        data: new Float32Array(t.size),
        dtype: t.dtype,
        size: t.size,
        requiresGrad: false,
      },
    },
    { what: 'a disposed tensor', value: disposed },
    { what: 'a tensor whose data was swapped for a shorter array', value: tampered },
  ];
}

/** Every exported function and class of the entries at run time, namespaces' members included. */
function runtimeCallables(): string[] {
  const out = new Set<string>();
  const walk = (prefix: string, ns: Record<string, unknown>, depth: number): void => {
    for (const [k, v] of Object.entries(ns)) {
      if (typeof v === 'function') out.add(prefix + k);
      else if (depth < 2 && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === null)
        walk(`${prefix}${k}.`, v as Record<string, unknown>, depth + 1); // a module namespace
    }
  };
  walk('', lib as unknown as Record<string, unknown>, 0);
  walk('', nodeEntry as unknown as Record<string, unknown>, 0);
  return [...out].sort();
}

test('the list of tensor arguments is current: the same exports as the entries have now', () => {
  assert.deepEqual(
    runtimeCallables(),
    manifest.exports,
    'the exports changed: run node --import tsx scripts/gen-tensor-arguments.ts',
  );
  const exported = (name: string): unknown => {
    const [head, ...rest] = name.replace(/^new /, '').split('#')[0]!.split('.');
    let v: unknown = (lib as Record<string, unknown>)[head!] ?? (nodeEntry as Record<string, unknown>)[head!];
    for (const r of rest) v = (v as Record<string, unknown>)?.[r];
    return v;
  };
  for (const e of manifest.arguments)
    assert.equal(
      typeof exported(e.fn),
      'function',
      `${e.fn} (in test/fixtures/tensor-arguments.json) is exported`,
    );
  assert.ok(manifest.arguments.length > 150, `${manifest.arguments.length} tensor arguments listed`);
});

test('every tensor argument of every public function refuses a fake, disposed or tampered tensor, naming it', () => {
  const missing: string[] = [];
  const problems: string[] = [];
  let checked = 0;
  for (const e of manifest.arguments) {
    if (NOT_SLOTS[e.fn] || e.paths.every(isModuleInternal)) continue; // a Module argument
    const spec = specs[e.fn];
    if (!spec) {
      missing.push(e.fn);
      continue;
    }
    // the valid call works
    try {
      spec.call(...spec.args());
    } catch (err) {
      problems.push(`${e.fn}: the valid call failed: ${(err as Error).message}`);
      continue;
    }
    for (const path of e.paths) {
      if (isModuleInternal(path) || UNREAD[`${e.fn} ${e.name}${path}`]) continue;
      const probe = spec.args();
      if (path.startsWith('[]') && !Array.isArray(probe[e.param])) probe[e.param] = [probe[e.param]];
      const current = path === '' ? probe[e.param] : slot(probe[e.param], path).get();
      if (!(current instanceof Tensor)) {
        problems.push(`${e.fn}: the valid call has no tensor at argument ${e.param}${path}`);
        continue;
      }
      for (const bad of bads(current)) {
        const args = spec.args();
        // a Tensor where the type also allows an array of them (exportOnnx's example): make it one
        if (path.startsWith('[]') && !Array.isArray(args[e.param])) args[e.param] = [args[e.param]];
        if (path === '') args[e.param] = bad.value;
        else slot(args[e.param], path).set(bad.value);
        const want = argumentName(e, path);
        // accepted too: a module's forward may name its tensor `input` (as the layers and PyTorch
        // do), and a tensor inside a module or record may be named by its own field (`weight`)
        const also = /#forward/.test(e.fn)
          ? 'input'
          : path
              .split(/[.[{<]/)
              .filter(Boolean)
              .pop();
        let outcome: string;
        try {
          spec.call(...args);
          outcome = 'a result';
        } catch (err) {
          if (err instanceof DeconvError && (err.argument === want || err.argument === also)) outcome = 'ok';
          else
            outcome =
              err instanceof DeconvError
                ? `a DeconvError naming '${err.argument}': ${err.message}`
                : `${(err as Error).name}: ${(err as Error).message}`;
        }
        checked++;
        if (outcome !== 'ok')
          problems.push(
            `${e.fn} argument ${e.param} (${e.name}${path}) = ${bad.what}: ${outcome}, not a DeconvError naming '${want}'`,
          );
      }
    }
  }
  assert.deepEqual(missing, [], 'every listed function has a valid call in this test');
  assert.deepEqual(problems, [], `${problems.length} problems`);
  console.log(`tensor arguments: ${checked} bad tensors tried on ${manifest.arguments.length} arguments`);
  assert.ok(checked > 400, `${checked} bad tensors tried`);
});
