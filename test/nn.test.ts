/**
 * Unit tests of `nn`: module naming and state_dict handling, layer shapes and defaults,
 * initialiser bounds (PyTorch's fan-in rule, including transposed convolutions), single optimiser
 * steps against the update formulas written out here in plain JS, losses and batch norm against
 * PyTorch (test/fixtures/training/*.json from scripts/gen_training_fixture.py), float64 gradient
 * checks of the training ops, and safetensors edge cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, gradcheck, ones, randn, tensor, zeros } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { Rng } from '../src/random.js';
import { conv2d } from '../src/ops/conv.js';
import { pixelShuffle } from '../src/ops/shuffle.js';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '../src/io/safetensors.js';
import { throwsArg } from './throws.js';

const DIR = new URL('./fixtures/training/', import.meta.url);

interface FT {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}
const fromFixture = (t: FT): Tensor => tensor(t.data, t.shape, { dtype: t.dtype ?? 'float32' });

function assertClose(got: Tensor | null, want: FT, what: string, rtol = 1e-5, atol = 1e-5): void {
  assert.ok(got, `${what}: missing`);
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    assert.ok(
      d <= atol + rtol * Math.abs(want.data[i]!),
      `${what}[${i}] = ${got.data[i]}, PyTorch ${want.data[i]}`,
    );
  }
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

// ------------------------------------------------------------------------------------------------
// Modules

class Net extends nn.Module {
  encoder = this.registerModule(
    'encoder',
    new nn.Sequential(
      new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng: new Rng(1) }),
      new nn.BatchNorm2d({ numFeatures: 4 }),
      new nn.ReLU(),
    ),
  );
  head = this.registerModule(
    'head',
    new nn.Linear({ inFeatures: 4, outFeatures: 2, bias: false, rng: new Rng(2) }),
  );
  forward(x: Tensor): Tensor {
    const h = this.encoder.forward(x).mean([2, 3]);
    return this.head.forward(h);
  }
}

test('state_dict names, order and contents follow PyTorch', () => {
  const net = new Net();
  assert.deepEqual(
    [...net.stateDict().keys()],
    [
      'encoder.0.weight',
      'encoder.0.bias',
      'encoder.1.weight',
      'encoder.1.bias',
      'encoder.1.running_mean',
      'encoder.1.running_var',
      'encoder.1.num_batches_tracked',
      'head.weight',
    ],
  );
  assert.deepEqual(
    net.namedParameters().map(([k]) => k),
    ['encoder.0.weight', 'encoder.0.bias', 'encoder.1.weight', 'encoder.1.bias', 'head.weight'],
  );
  assert.equal(net.parameters().length, 5);
  assert.ok(net.parameters().every((p) => p.requiresGrad));
  assert.deepEqual(
    net.namedBuffers().map(([k]) => k),
    ['encoder.1.running_mean', 'encoder.1.running_var', 'encoder.1.num_batches_tracked'],
  );
  const bn = net.encoder.at(1) as nn.BatchNorm2d;
  assert.deepEqual([...bn.weight!.data], [1, 1, 1, 1]);
  assert.deepEqual([...bn.bias!.data], [0, 0, 0, 0]);
  assert.deepEqual([...bn.runningVar!.data], [1, 1, 1, 1]);
  assert.equal(bn.numBatchesTracked!.dtype, 'int32');
  assert.deepEqual(bn.numBatchesTracked!.shape, []);
  // state_dict tensors share the module's data, without history
  const sd = net.stateDict();
  assert.equal(sd.get('head.weight')!.data, net.head.weight.data);
  assert.equal(sd.get('head.weight')!.requiresGrad, false);
  assert.deepEqual(
    net.namedModules().map(([k]) => k),
    ['', 'encoder', 'encoder.0', 'encoder.1', 'encoder.2', 'head'],
  );
  assert.match(net.toString(), /\(encoder\): Sequential\(\n {4}\(0\): Conv2d\(1, 4/);
});

test('a parameter shared by two modules is listed once by parameters()', () => {
  const lin = new nn.Linear({ inFeatures: 2, outFeatures: 2 });
  const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
  assert.equal(seq.parameters().length, 2);
  assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '2.weight', '2.bias']);
});

test('train() and eval() reach every submodule; zeroGrad clears gradients', () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  net
    .forward(randn([2, 1, 5, 5], { seed: 3 }))
    .sum()
    .backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
});

test('registering a name twice or a dotted name throws', () => {
  const m = new nn.Sequential();
  m.registerBuffer('x', zeros([1]));
  throwsArg(() => m.registerParameter('x', zeros([1])), 'name', 'already registered');
  throwsArg(() => m.registerModule('a.b', new nn.ReLU()), 'name', 'without dots');
  throwsArg(
    () =>
      m.registerParameter(
        'p',
        zeros([1])
          .add(1)
          .add(zeros([1], { requiresGrad: true })),
      ),
    'value',
    'leaf',
  );
});

test('loadStateDict copies in place and checks every key, shape and dtype before copying', () => {
  const a = new Net();
  const b = new Net();
  const weightBefore = b.head.weight;
  b.loadStateDict(a.stateDict());
  assert.equal(b.head.weight, weightBefore, 'the same tensor, new values');
  assert.deepEqual(b.head.weight.data, a.head.weight.data);

  const bad = new Map(a.stateDict());
  bad.set('encoder.0.weight', zeros([4, 1, 5, 5]));
  const c = new Net();
  const snapshot = Float32Array.from(c.head.weight.data);
  throwsArg(() => c.loadStateDict(bad), 'stateDict', "stateDict['encoder.0.weight']", '[4, 1, 3, 3]');
  assert.deepEqual(c.head.weight.data, snapshot, 'nothing was copied');
  // shape errors throw even when not strict, as in PyTorch
  throwsArg(() => c.loadStateDict(bad, { strict: false }), 'stateDict', 'encoder.0.weight');

  const missing = new Map(a.stateDict());
  missing.delete('encoder.1.running_var');
  throwsArg(() => c.loadStateDict(missing), 'stateDict', "stateDict['encoder.1.running_var'] is missing");
  const extra = { ...Object.fromEntries(a.stateDict()), 'encoder.3.weight': zeros([2]) };
  throwsArg(() => c.loadStateDict(extra), 'stateDict', "stateDict['encoder.3.weight']", 'unexpected');
  assert.deepEqual(c.loadStateDict(missing, { strict: false }), {
    missingKeys: ['encoder.1.running_var'],
    unexpectedKeys: [],
  });
  assert.deepEqual(c.loadStateDict(extra, { strict: false }).unexpectedKeys, ['encoder.3.weight']);

  const wrongDtype = new Map(a.stateDict());
  wrongDtype.set('encoder.1.num_batches_tracked', zeros([]));
  throwsArg(() => c.loadStateDict(wrongDtype), 'stateDict', 'num_batches_tracked', "'int32'");
  throwsArg(() => c.loadStateDict(zeros([1]) as never), 'stateDict', 'Map or a record');
});

// ------------------------------------------------------------------------------------------------
// Layers

test('layer output shapes', () => {
  const x1 = randn([2, 3, 10], { seed: 1 });
  const x2 = randn([2, 3, 8, 8], { seed: 2 });
  const x3 = randn([1, 2, 4, 4, 4], { seed: 3 });
  const shape = (t: Tensor) => [...t.shape];
  assert.deepEqual(
    shape(new nn.Conv1d({ inChannels: 3, outChannels: 5, kernelSize: 3 }).forward(x1)),
    [2, 5, 8],
  );
  assert.deepEqual(
    shape(
      new nn.Conv2d({
        inChannels: 3,
        outChannels: 6,
        kernelSize: 3,
        stride: 2,
        padding: 1,
        groups: 3,
      }).forward(x2),
    ),
    [2, 6, 4, 4],
  );
  assert.deepEqual(
    shape(new nn.Conv3d({ inChannels: 2, outChannels: 1, kernelSize: 3, padding: 'same' }).forward(x3)),
    [1, 1, 4, 4, 4],
  );
  assert.deepEqual(
    shape(
      new nn.ConvTranspose1d({ inChannels: 3, outChannels: 2, kernelSize: 4, stride: 2, padding: 1 }).forward(
        x1,
      ),
    ),
    [2, 2, 20],
  );
  const up = new nn.ConvTranspose2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2, padding: 1 });
  assert.deepEqual(shape(up.forward(x2)), [2, 4, 15, 15]);
  assert.deepEqual(shape(up.forward(x2, [16, 16])), [2, 4, 16, 16]);
  assert.deepEqual(shape(up.forward(x2, [2, 4, 16, 16])), [2, 4, 16, 16], 'outputSize with N and C');
  assert.deepEqual(
    shape(
      new nn.ConvTranspose2d({
        inChannels: 3,
        outChannels: 4,
        kernelSize: 3,
        stride: 2,
        outputPadding: 1,
      }).forward(x2),
    ),
    [2, 4, 18, 18],
  );
  assert.deepEqual(
    shape(new nn.ConvTranspose3d({ inChannels: 2, outChannels: 1, kernelSize: 2, stride: 2 }).forward(x3)),
    [1, 1, 8, 8, 8],
  );
  const { output, indices } = new nn.MaxPool2d({ kernelSize: 2, returnIndices: true }).forward(x2);
  assert.deepEqual(shape(output), [2, 3, 4, 4]);
  assert.equal(indices.dtype, 'int32');
  assert.deepEqual(shape(new nn.MaxUnpool2d({ kernelSize: 2 }).forward(output, indices)), [2, 3, 8, 8]);
  assert.deepEqual(shape(new nn.MaxPool1d({ kernelSize: 3, stride: 2 }).forward(x1)), [2, 3, 4]);
  const p3 = new nn.MaxPool3d({ kernelSize: 2, returnIndices: true }).forward(x3);
  assert.deepEqual(
    shape(new nn.MaxUnpool3d({ kernelSize: 2 }).forward(p3.output, p3.indices)),
    [1, 2, 4, 4, 4],
  );
  const p1 = new nn.MaxPool1d({ kernelSize: 2, returnIndices: true }).forward(x1);
  assert.deepEqual(
    shape(new nn.MaxUnpool1d({ kernelSize: 2 }).forward(p1.output, p1.indices, [11])),
    [2, 3, 11],
  );
  assert.deepEqual(shape(new nn.AvgPool1d({ kernelSize: 2 }).forward(x1)), [2, 3, 5]);
  assert.deepEqual(
    shape(new nn.AvgPool2d({ kernelSize: 3, stride: 1, padding: 1 }).forward(x2)),
    [2, 3, 8, 8],
  );
  assert.deepEqual(shape(new nn.AvgPool3d({ kernelSize: 2 }).forward(x3)), [1, 2, 2, 2, 2]);
  assert.deepEqual(shape(new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(x2)), [2, 3, 16, 16]);
  assert.deepEqual(shape(new nn.Upsample({ size: [5, 7] }).forward(x2)), [2, 3, 5, 7]);
  assert.deepEqual(
    shape(new nn.PixelShuffle({ upscaleFactor: 2 }).forward(randn([1, 8, 3, 3]))),
    [1, 2, 6, 6],
  );
  assert.deepEqual(shape(new nn.PixelUnshuffle({ downscaleFactor: 2 }).forward(x2)), [2, 12, 4, 4]);
  assert.deepEqual(shape(new nn.Flatten().forward(x2)), [2, 192]);
  assert.deepEqual(shape(new nn.Flatten({ startDim: 0, endDim: 1 }).forward(x2)), [6, 8, 8]);
  assert.deepEqual(shape(new nn.Linear({ inFeatures: 8, outFeatures: 3 }).forward(x2)), [2, 3, 8, 3]);
  assert.deepEqual(shape(new nn.Linear({ inFeatures: 10, outFeatures: 3 }).forward(randn([10]))), [3]);
  assert.deepEqual(shape(new nn.BatchNorm1d({ numFeatures: 3 }).forward(x1)), [2, 3, 10]);
  assert.deepEqual(shape(new nn.BatchNorm3d({ numFeatures: 2 }).forward(x3)), [1, 2, 4, 4, 4]);
  assert.deepEqual(
    shape(
      new nn.Sequential(
        new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 }),
        new nn.LeakyReLU({ negativeSlope: 0.2 }),
        new nn.MaxPool2d({ kernelSize: 2 }),
        new nn.Flatten(),
        new nn.Linear({ inFeatures: 64, outFeatures: 10 }),
        new nn.Tanh(),
        new nn.Sigmoid(),
        new nn.Dropout(),
        new nn.Identity(),
      ).forward(x2),
    ),
    [2, 10],
  );
});

test('parameter shapes: conv (Cout, Cin/g, *k), transposed conv (Cin, Cout/g, *k), linear (out, in)', () => {
  const conv = new nn.Conv2d({ inChannels: 6, outChannels: 4, kernelSize: [3, 5], groups: 2 });
  assert.deepEqual(conv.weight.shape, [4, 3, 3, 5]);
  assert.deepEqual(conv.bias!.shape, [4]);
  const convT = new nn.ConvTranspose2d({
    inChannels: 6,
    outChannels: 4,
    kernelSize: 3,
    groups: 2,
    bias: false,
  });
  assert.deepEqual(convT.weight.shape, [6, 2, 3, 3]);
  assert.equal(convT.bias, null);
  assert.deepEqual([...convT.stateDict().keys()], ['weight']);
  const lin = new nn.Linear({ inFeatures: 5, outFeatures: 3 });
  assert.deepEqual(lin.weight.shape, [3, 5]);
  assert.equal(
    new nn.Conv1d({ inChannels: 1, outChannels: 1, kernelSize: 1, dtype: 'float64' }).weight.dtype,
    'float64',
  );
});

test('Linear computes x Wᵀ + b', () => {
  const lin = new nn.Linear({ inFeatures: 3, outFeatures: 2 });
  lin.weight.data.set([1, 2, 3, -1, 0, 1]);
  lin.bias!.data.set([0.5, -0.5]);
  assert.deepEqual(
    lin
      .forward(
        tensor([
          [1, 1, 1],
          [2, 0, -1],
        ]),
      )
      .toArray(),
    [
      [6.5, -0.5],
      [-0.5, -3.5],
    ],
  );
});

test('default initialisation: kaiming_uniform(a=√5) and bias U(±1/√fanIn), fanIn = shape[1]·∏k', () => {
  nn.manualSeed(5);
  // conv: fanIn = Cin/groups · ∏k = 8 · 9
  const conv = new nn.Conv2d({ inChannels: 16, outChannels: 64, kernelSize: 3, groups: 2 });
  const convBound = 1 / Math.sqrt(72);
  // transposed conv: PyTorch takes fanIn from weight.shape[1] = Cout/groups, not Cin
  const convT = new nn.ConvTranspose2d({ inChannels: 64, outChannels: 2, kernelSize: 3 });
  const convTBound = 1 / Math.sqrt(2 * 9);
  const lin = new nn.Linear({ inFeatures: 50, outFeatures: 40 });
  const linBound = 1 / Math.sqrt(50);
  for (const [name, t, bound] of [
    ['conv.weight', conv.weight, convBound],
    ['conv.bias', conv.bias!, convBound],
    ['convT.weight', convT.weight, convTBound],
    ['convT.bias', convT.bias!, convTBound],
    ['linear.weight', lin.weight, linBound],
    ['linear.bias', lin.bias!, linBound],
  ] as const) {
    const m = maxAbs(t);
    assert.ok(m <= bound, `${name}: max |w| = ${m} > ${bound}`);
    // enough samples come close to the bound (this tells a wrong fan-in apart)
    const close = t.size >= 40 ? 0.9 : 0.5;
    assert.ok(m >= close * bound, `${name}: max |w| = ${m} is far below the bound ${bound}`);
  }
  // the same seed gives the same weights
  nn.manualSeed(5);
  assert.deepEqual(
    new nn.Conv2d({ inChannels: 16, outChannels: 64, kernelSize: 3, groups: 2 }).weight.data,
    conv.weight.data,
  );
  const a = new nn.Linear({ inFeatures: 4, outFeatures: 4, rng: new Rng(9) });
  const b = new nn.Linear({ inFeatures: 4, outFeatures: 4, rng: new Rng(9) });
  assert.deepEqual(a.weight.data, b.weight.data);
});

test('initialisers: gains, fans, xavier, kaiming, constant', () => {
  assert.deepEqual(nn.init.calculateFans([16, 8, 3, 3]), { fanIn: 72, fanOut: 144 });
  assert.deepEqual(nn.init.calculateFans([10, 20]), { fanIn: 20, fanOut: 10 });
  assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
  assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
  assert.equal(nn.init.calculateGain('conv2d'), 1);
  assert.ok(Math.abs(nn.init.calculateGain('leakyRelu') - Math.sqrt(2 / 1.0001)) < 1e-15);
  assert.ok(Math.abs(nn.init.calculateGain('leakyRelu', Math.sqrt(5)) - Math.sqrt(1 / 3)) < 1e-15);
  const rng = new Rng(0);
  const w = nn.init.xavierUniform(zeros([100, 60]), { gain: 2, rng });
  const xb = 2 * Math.sqrt(6 / 160);
  assert.ok(maxAbs(w) <= xb && maxAbs(w) > 0.95 * xb);
  const std = (t: Tensor) => {
    let s = 0;
    for (const v of t.data) s += v * v;
    return Math.sqrt(s / t.size);
  };
  const k = nn.init.kaimingNormal(zeros([64, 32, 3, 3]), { mode: 'fanOut', nonlinearity: 'relu', rng });
  const kStd = Math.SQRT2 / Math.sqrt(64 * 9);
  assert.ok(Math.abs(std(k) / kStd - 1) < 0.03, `kaimingNormal std ${std(k)} vs ${kStd}`);
  const xn = nn.init.xavierNormal(zeros([64, 32, 3, 3]), { rng });
  assert.ok(Math.abs(std(xn) / Math.sqrt(2 / (96 * 9)) - 1) < 0.03);
  const ku = nn.init.kaimingUniform(zeros([40, 30]), { rng });
  assert.ok(maxAbs(ku) <= Math.sqrt(6 / 30) && maxAbs(ku) > 0.95 * Math.sqrt(6 / 30));
  assert.deepEqual([...nn.init.constant(zeros([3]), 0.25).data], [0.25, 0.25, 0.25]);
  throwsArg(() => nn.init.kaimingUniform(zeros([5])), 'shape', 'at least 2 dimensions');
  throwsArg(() => nn.init.kaimingUniform(zeros([5, 5]), { mode: 'fan_in' as never }), 'mode');
  throwsArg(() => nn.init.calculateGain('gelu' as never), 'nonlinearity');
  // Caffe's bilinear filler is re-exported
  assert.deepEqual([...nn.init.bilinearFiller([1, 1, 4]).data], [0.25, 0.75, 0.75, 0.25]);
});

test('ICNR: every pixel-shuffle block starts constant (no checkerboard)', () => {
  const r = 2;
  const w = nn.init.icnr(zeros([3 * r * r, 5, 3, 3]), { scale: r, rng: new Rng(1) });
  const block = 5 * 9;
  for (let o = 0; o < w.shape[0]!; o++)
    for (let i = 0; i < block; i++)
      assert.equal(w.data[o * block + i], w.data[Math.floor(o / 4) * 4 * block + i]);
  const y = pixelShuffle(conv2d(randn([1, 5, 6, 6], { seed: 2 }), w, { padding: 1 }), r); // (1, 3, 12, 12)
  for (let c = 0; c < 3; c++)
    for (let h = 0; h < 12; h++)
      for (let x = 0; x < 12; x++)
        assert.equal(y.data[(c * 12 + h) * 12 + x], y.data[(c * 12 + (h & ~1)) * 12 + (x & ~1)]);
  // the sub-kernel has kaiming-normal statistics of the full fan-in
  throwsArg(() => nn.init.icnr(zeros([6, 5, 3, 3]), { scale: 2 }), 'tensor', 'multiple of scale^2 = 4');
});

test('Dropout: seeded mask, kept values scaled by 1/(1−p), identity in eval mode', () => {
  const x = ones([1000]);
  const a = new nn.Dropout({ p: 0.25, rng: new Rng(4) }).forward(x);
  const b = new nn.Dropout({ p: 0.25, rng: new Rng(4) }).forward(x);
  assert.deepEqual(a.data, b.data);
  const zerosCount = [...a.data].filter((v) => v === 0).length;
  assert.ok(zerosCount > 200 && zerosCount < 300, `${zerosCount} zeros`);
  assert.ok([...a.data].every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  const d = new nn.Dropout({ p: 0.5 });
  d.eval();
  assert.equal(d.forward(x), x);
  throwsArg(() => new nn.Dropout({ p: 1.5 }), 'p', 'probability');
});

test('layer constructors check their options', () => {
  throwsArg(
    () => new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 }),
    'groups',
    'inChannels = 3',
  );
  throwsArg(
    () => new nn.Conv2d({ inChannels: 2, outChannels: 4, kernelSize: [3, 0] }),
    'kernelSize',
    'kernelSize[1]',
  );
  throwsArg(
    () => new nn.Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, stride: 2, padding: 'same' }),
    'padding',
  );
  throwsArg(() => new nn.Conv2d({ inChannels: 0, outChannels: 4, kernelSize: 3 }), 'inChannels');
  throwsArg(
    () => new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, bais: false } as never),
    'bais',
    'not an option',
  );
  throwsArg(
    () =>
      new nn.ConvTranspose2d({
        inChannels: 1,
        outChannels: 1,
        kernelSize: 3,
        stride: 2,
        outputPadding: [1, 2],
      }),
    'outputPadding',
    'outputPadding[1] = 2 must be smaller than stride[1] = 2',
  );
  throwsArg(() => new nn.MaxPool2d({ kernelSize: [2, 2, 2] }), 'kernelSize', '2 entries');
  throwsArg(() => new nn.BatchNorm2d({ numFeatures: 4, momentum: 2 }), 'momentum');
  throwsArg(() => new nn.Upsample({}), 'size');
  throwsArg(
    () => new nn.Linear({ inFeatures: 3, outFeatures: 2 }).forward(zeros([2, 4])),
    'input',
    'inFeatures = 3',
  );
  throwsArg(
    () => new nn.BatchNorm2d({ numFeatures: 3 }).forward(zeros([2, 4, 3, 3])),
    'input',
    'numFeatures = 3',
  );
  throwsArg(
    () => new nn.BatchNorm2d({ numFeatures: 3 }).forward(zeros([1, 3, 1, 1])),
    'input',
    'more than one value',
  );
  throwsArg(
    () =>
      new nn.ConvTranspose2d({ inChannels: 1, outChannels: 1, kernelSize: 3 }).forward(
        zeros([1, 1, 4, 4]),
        [6],
      ),
    'outputSize',
  );
});

// ------------------------------------------------------------------------------------------------
// Batch norm against PyTorch

interface BatchNormCase {
  name: string;
  module: 'BatchNorm1d' | 'BatchNorm2d';
  numFeatures: number;
  options: Record<string, unknown>;
  training: boolean;
  before: Record<string, FT>;
  input: FT;
  output: FT;
  gradOutput: FT;
  grads: Record<string, FT>;
  after: Record<string, FT>;
}

const bnCases = (
  JSON.parse(readFileSync(new URL('batchnorm.json', DIR), 'utf8')) as { cases: BatchNormCase[] }
).cases;

for (const c of bnCases) {
  test(`${c.name} ${JSON.stringify(c.options)} equals PyTorch (output, gradients, running statistics)`, () => {
    const bn = new nn[c.module]({ numFeatures: c.numFeatures, ...c.options });
    bn.loadStateDict(Object.fromEntries(Object.entries(c.before).map(([k, t]) => [k, fromFixture(t)])));
    bn.train(c.training);
    const x = fromFixture(c.input);
    x.requiresGrad = true;
    const y = bn.forward(x);
    assertClose(y, c.output, 'output');
    y.backward(fromFixture(c.gradOutput));
    assertClose(x.grad, c.grads.input!, 'input.grad');
    if (c.grads.weight) assertClose(bn.weight!.grad, c.grads.weight, 'weight.grad');
    if (c.grads.bias) assertClose(bn.bias!.grad, c.grads.bias, 'bias.grad');
    const after = bn.stateDict();
    assert.deepEqual([...after.keys()].sort(), Object.keys(c.after).sort());
    for (const [k, t] of after) assertClose(t, c.after[k]!, k);
  });
}

test('batch norm, leaky ReLU, softplus and log-softmax pass float64 gradient checks', () => {
  const x = randn([3, 2, 4], { seed: 1, dtype: 'float64', requiresGrad: true });
  const w = randn([2], { seed: 2, dtype: 'float64', requiresGrad: true });
  const b = randn([2], { seed: 3, dtype: 'float64', requiresGrad: true });
  const rm = zeros([2]);
  const rv = ones([2]);
  for (const training of [true, false]) {
    const r = gradcheck(
      (xi, wi, bi) => nn.batchNorm(xi!, { weight: wi, bias: bi, runningMean: rm, runningVar: rv, training }),
      [x, w, b],
    );
    assert.ok(r.ok, `batchNorm training=${training}: ${r.message}`);
  }
  const r2 = gradcheck((xi) => nn.batchNorm(xi!, { training: true }), [x]);
  assert.ok(r2.ok, r2.message);
  for (const [name, f] of [
    ['leakyRelu', (t: Tensor) => nn.leakyRelu(t, 0.3)],
    ['softplus', (t: Tensor) => nn.softplus(t)],
    ['logSoftmax(1)', (t: Tensor) => nn.logSoftmax(t, 1)],
    ['logSoftmax(-1)', (t: Tensor) => nn.logSoftmax(t, -1)],
  ] as const) {
    const r = gradcheck(f, [randn([3, 4, 2], { seed: 7, dtype: 'float64', requiresGrad: true })]);
    assert.ok(r.ok, `${name}: ${r.message}`);
  }
  // softplus and log-softmax do not overflow
  assert.deepEqual([...nn.softplus(tensor([-1000, 1000])).data], [0, 1000]);
  assert.deepEqual(nn.logSoftmax(tensor([[1000, 1000]]), 1).toArray(), [
    [-Math.LN2, -Math.LN2].map(Math.fround),
  ]);
});

// ------------------------------------------------------------------------------------------------
// Losses against PyTorch

interface LossCase {
  name: string;
  fn: 'mseLoss' | 'l1Loss' | 'binaryCrossEntropyWithLogits' | 'crossEntropy';
  options: Record<string, unknown>;
  inputs: Record<string, FT>;
  output: FT;
  gradOutput: FT;
  grads: Record<string, FT>;
}

const lossCases = (JSON.parse(readFileSync(new URL('losses.json', DIR), 'utf8')) as { cases: LossCase[] })
  .cases;

for (const c of lossCases) {
  test(`loss ${c.name} equals PyTorch (value and gradients)`, () => {
    const ins = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, fromFixture(t)]));
    for (const k of Object.keys(c.grads)) ins[k]!.requiresGrad = true;
    const { input, target, ...tensorOptions } = ins;
    const out = nn[c.fn](input!, target!, { ...c.options, ...tensorOptions });
    assertClose(out, c.output, 'output');
    out.backward(fromFixture(c.gradOutput));
    for (const [k, g] of Object.entries(c.grads)) assertClose(ins[k]!.grad, g, `${k}.grad`);
  });
}

test('losses check their arguments', () => {
  throwsArg(() => nn.mseLoss(zeros([2, 3]), zeros([3])), 'target', 'must equal input.shape [2, 3]');
  throwsArg(() => nn.l1Loss(zeros([2]), zeros([2]), { reduction: 'avg' as never }), 'reduction');
  const logits = zeros([3, 4]);
  throwsArg(
    () => nn.crossEntropy(logits, tensor([0, 4, 1], undefined, { dtype: 'int32' })),
    'target',
    'target.data[1] = 4',
  );
  throwsArg(
    () => nn.crossEntropy(logits, tensor([0, 1], undefined, { dtype: 'int32' })),
    'target',
    'must be [3]',
  );
  throwsArg(
    () => nn.crossEntropy(logits, tensor([0, 1, 2], undefined, { dtype: 'int32' }), { weight: ones([3]) }),
    'weight',
  );
  throwsArg(
    () => nn.binaryCrossEntropyWithLogits(logits, zeros([3, 4]), { posWeight: ones([3]) }),
    'posWeight',
  );
  // PyTorch: a mean over no (non-ignored) target is 0 / 0
  assert.ok(
    Number.isNaN(nn.crossEntropy(logits, tensor([-100, -100, -100], undefined, { dtype: 'int32' })).item()),
  );
  const lp = nn.logSoftmax(randn([2, 3], { seed: 1 }), 1);
  const t = tensor([2, 0], undefined, { dtype: 'int32' });
  assert.ok(Math.abs(nn.nllLoss(lp, t).item() + (lp.data[2]! + lp.data[3]!) / 2) < 1e-6);
});

// ------------------------------------------------------------------------------------------------
// Optimisers: one or two steps against the update rules written out in plain JS

/** A parameter with the given values and gradient. */
function param(values: number[], grad: number[]): Tensor {
  const p = tensor(values, [values.length], { requiresGrad: true });
  p.grad = tensor(grad, [grad.length]);
  return p;
}

function assertArrayClose(got: ArrayLike<number>, want: number[], what: string, rtol = 2e-6): void {
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i]! - want[i]!) <= 1e-7 + rtol * Math.abs(want[i]!),
      `${what}[${i}] = ${got[i]}, expected ${want[i]}`,
    );
}

const P0 = [0.5, -1.25, 2, 0.01];
const G1 = [0.1, -0.3, 0.02, 1.5];
const G2 = [-0.2, 0.4, 0.05, 1];

test('SGD: plain, momentum (buffer = first gradient), dampening, nesterov, weight decay, maximize', () => {
  const lr = 0.1;
  const plain = param(P0, G1);
  new nn.SGD([plain], { lr }).step();
  assertArrayClose(
    plain.data,
    P0.map((p, i) => p - lr * G1[i]!),
    'plain',
  );

  for (const [nesterov, dampening, wd] of [
    [false, 0, 0],
    [false, 0.3, 0.01],
    [true, 0, 0.05],
  ] as const) {
    const mom = 0.9;
    const p = param(P0, G1);
    const opt = new nn.SGD([p], { lr, momentum: mom, dampening, nesterov, weightDecay: wd });
    // step 1: buf = d1 (no dampening on the first step)
    const d1 = P0.map((x, i) => G1[i]! + wd * x);
    const buf1 = d1;
    const x1 = P0.map((x, i) => x - lr * (nesterov ? d1[i]! + mom * buf1[i]! : buf1[i]!));
    opt.step();
    assertArrayClose(p.data, x1, `step 1 nesterov=${nesterov} dampening=${dampening}`);
    // step 2: buf = mom·buf + (1 − dampening)·d2
    p.grad = tensor(G2, [4]);
    const d2 = x1.map((x, i) => G2[i]! + wd * x);
    const buf2 = buf1.map((b, i) => mom * b + (1 - dampening) * d2[i]!);
    const x2 = x1.map((x, i) => x - lr * (nesterov ? d2[i]! + mom * buf2[i]! : buf2[i]!));
    opt.step();
    assertArrayClose(p.data, x2, `step 2 nesterov=${nesterov} dampening=${dampening}`);
  }
  const up = param(P0, G1);
  new nn.SGD([up], { lr, maximize: true }).step();
  assertArrayClose(
    up.data,
    P0.map((p, i) => p + lr * G1[i]!),
    'maximize',
  );
  // a parameter without a gradient is left alone
  const none = param(P0, G1);
  none.grad = null;
  new nn.SGD([none], { lr, momentum: 0.9 }).step();
  assertArrayClose(none.data, P0, 'no grad');
});

/** Adam/AdamW in plain JS, PyTorch's formulas, for `steps` gradients. */
function adamReference(
  grads: number[][],
  o: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    amsgrad: boolean;
    decoupled: boolean;
  },
): number[] {
  let x = [...P0];
  let m = x.map(() => 0);
  let v = x.map(() => 0);
  let vMax = x.map(() => 0);
  grads.forEach((g0, k) => {
    const t = k + 1;
    const [b1, b2] = o.betas;
    if (o.decoupled) x = x.map((p) => p * (1 - o.lr * o.weightDecay));
    const g = o.decoupled ? g0 : g0.map((gi, i) => gi + o.weightDecay * x[i]!);
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! ** 2);
    vMax = vMax.map((a, i) => Math.max(a, v[i]!));
    const second = o.amsgrad ? vMax : v;
    const stepSize = o.lr / (1 - b1 ** t);
    const bc2 = Math.sqrt(1 - b2 ** t);
    x = x.map((p, i) => p - (stepSize * m[i]!) / (Math.sqrt(second[i]!) / bc2 + o.eps));
  });
  return x;
}

test('Adam and AdamW: bias correction, L2 vs decoupled decay, amsgrad, over three steps', () => {
  const grads = [G1, G2, G1.map((g) => -0.5 * g)];
  for (const [name, options, decoupled] of [
    ['Adam', { lr: 0.01 }, false],
    ['Adam', { lr: 0.05, betas: [0.8, 0.99], eps: 1e-3, weightDecay: 0.1 }, false],
    ['Adam', { lr: 0.05, amsgrad: true }, false],
    ['AdamW', { lr: 0.01 }, true],
    ['AdamW', { lr: 0.05, betas: [0.5, 0.9], weightDecay: 0.3, amsgrad: true }, true],
  ] as const) {
    const p = param(P0, G1);
    const opt = decoupled ? new nn.AdamW([p], options) : new nn.Adam([p], options);
    for (const g of grads) {
      p.grad = tensor(g, [4]);
      opt.step();
    }
    const o = options as {
      lr: number;
      betas?: [number, number];
      eps?: number;
      weightDecay?: number;
      amsgrad?: boolean;
    };
    const want = adamReference(grads, {
      lr: o.lr,
      betas: o.betas ?? [0.9, 0.999],
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? (decoupled ? 0.01 : 0),
      amsgrad: o.amsgrad ?? false,
      decoupled,
    });
    assertArrayClose(p.data, want, `${name} ${JSON.stringify(options)}`, 1e-5);
  }
});

test('optimisers check their options and parameters', () => {
  const p = param(P0, G1);
  throwsArg(() => new nn.SGD([p], { lr: 0.1, nesterov: true }), 'nesterov', 'momentum > 0');
  throwsArg(
    () => new nn.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
    'nesterov',
    'dampening = 0',
  );
  throwsArg(() => new nn.SGD([p], {} as never), 'lr', 'required');
  throwsArg(() => new nn.SGD([p], { lr: -1 }), 'lr');
  throwsArg(() => new nn.SGD([], { lr: 1 }), 'params', 'empty');
  throwsArg(() => new nn.SGD([p, p], { lr: 1 }), 'params', 'twice');
  throwsArg(() => new nn.Adam([p], { betas: [0.9, 1] }), 'betas', 'betas[1] = 1');
  throwsArg(() => new nn.AdamW([p], { eps: -1 }), 'eps');
  throwsArg(() => new nn.Adam([p], { momentum: 0.9 } as never), 'momentum', 'not an option');
  const opt = new nn.Adam([p]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});

// ------------------------------------------------------------------------------------------------
// safetensors

const bytesOf = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
const u64 = (n: number): number[] => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >> 24) & 255, 0, 0, 0, 0];

test('writeSafetensors writes what the Rust implementation writes', () => {
  // the Rust crate's own serialisation tests (safetensors/src/tensor.rs)
  const t = tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]);
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  const data = [...new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer)];
  assert.deepEqual(writeSafetensors({ 'attn.0': t }), bytesOf(u64(64), header, data));
  const padded = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
  assert.deepEqual(
    writeSafetensors({ attn0: t.reshape([1, 1, 2, 3]) }),
    bytesOf(u64(72), padded, '       ', data),
  );
  assert.deepEqual(writeSafetensors({}), bytesOf(u64(8), '{}      '));
  assert.deepEqual(
    writeSafetensors(new Map(), { metadata: { framework: 'pt' } }),
    bytesOf(u64(40), '{"__metadata__":{"framework":"pt"}}     '),
  );
  // order: I64 before F64 before F32 before I32, then by name; integer-like names stay in place
  const mixed = writeSafetensors(
    { b: zeros([1]), a: zeros([1]), 1: zeros([1], { dtype: 'int32' }), z: randn([1], { dtype: 'float64' }) },
    { intDtype: 'I32' },
  );
  const text = new TextDecoder().decode(mixed.subarray(8, 8 + mixed[0]!));
  assert.deepEqual(
    [...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]),
    ['z', 'a', 'b', '1'],
  );
});

test('safetensors round trip: every dtype, odd sizes, an unaligned buffer, metadata', () => {
  const tensors = {
    w: randn([3, 5], { seed: 1 }),
    scalar: tensor(7, [], { dtype: 'int32' }),
    neg: tensor([-3, 2147483647, -2147483648], [3], { dtype: 'int32' }),
    d: randn([2], { seed: 2, dtype: 'float64' }),
    empty: zeros([0, 4]),
  };
  for (const intDtype of ['I64', 'I32'] as const) {
    const bytes = writeSafetensors(tensors, { metadata: { note: 'héllo' }, intDtype });
    const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
    unaligned.set(bytes);
    for (const b of [bytes, unaligned, bytes.buffer as ArrayBuffer]) {
      const back = readSafetensors(b, { keepFloat64: true });
      assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
      for (const [k, t] of Object.entries(tensors)) {
        assert.deepEqual(back[k]!.shape, t.shape, k);
        assert.equal(back[k]!.dtype, t.dtype, k);
        assert.deepEqual([...back[k]!.data], [...t.data], k);
      }
    }
    assert.deepEqual(readSafetensorsMetadata(bytes), { note: 'héllo' });
    // F64 is rounded to float32 unless asked otherwise
    const d = readSafetensors(bytes).d!;
    assert.equal(d.dtype, 'float32');
    assert.deepEqual([...d.data], [...tensors.d.data].map(Math.fround));
  }
});

test('readSafetensors refuses malformed files before reading any tensor', () => {
  const good = writeSafetensors({ a: zeros([2]), b: zeros([3]) });
  const withHeader = (h: string, data: number[] = []) => {
    const json = new TextEncoder().encode(h);
    return bytesOf(u64(json.length), h, data);
  };
  throwsArg(() => readSafetensors(good.subarray(0, 5)), 'bytes', 'fewer than the 8');
  throwsArg(() => readSafetensors(good.subarray(0, 20)), 'bytes', 'runs past the end');
  const huge = Uint8Array.from(good);
  huge[6] = 1;
  throwsArg(() => readSafetensors(huge), 'bytes', 'larger than');
  throwsArg(() => readSafetensors(withHeader('{"a":')), 'bytes', 'not valid JSON');
  throwsArg(() => readSafetensors(withHeader('[1]')), 'bytes', 'not a JSON object');
  throwsArg(() => readSafetensors(bytesOf(u64(2), [0xff, 0xfe])), 'bytes', 'UTF-8');
  throwsArg(
    () => readSafetensors(good.subarray(0, good.length - 1)),
    'bytes',
    'cover 20 bytes of data, the file has 19',
  );
  throwsArg(
    () => readSafetensors(withHeader('{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
    'bytes',
    "tensor 'h' has dtype 'F16'",
  );
  throwsArg(
    () => readSafetensors(withHeader('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
    'bytes',
    'needs 8 bytes',
  );
  throwsArg(
    () =>
      readSafetensors(
        withHeader('{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]),
      ),
    'bytes',
    'starts at data offset 4, expected 0',
  );
  throwsArg(
    () =>
      readSafetensors(
        withHeader(
          '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
          [0, 0, 0, 0],
        ),
      ),
    'bytes',
    'without gaps or overlaps',
  );
  throwsArg(
    () => readSafetensors(withHeader('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}')),
    'bytes',
    'shape',
  );
  throwsArg(() => readSafetensors(withHeader('{"__metadata__":{"a":1}}')), 'bytes', '__metadata__');
  throwsArg(
    () =>
      readSafetensors(
        withHeader('{"big":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 128, 0, 0, 0, 0]),
      ),
    'bytes',
    "tensor 'big' element 0 = 2147483648 (I64) is outside the int32 range",
  );
  throwsArg(() => readSafetensors('abc' as never), 'bytes', 'Uint8Array');
  throwsArg(() => writeSafetensors({ __metadata__: zeros([1]) }), 'tensors', '__metadata__');
  throwsArg(() => writeSafetensors({ a: [1, 2] as never }), 'tensors', 'must be a Tensor');
});

test('readSafetensors: a shape whose sizes overflow a double names that, and one with a 0 in it is an empty tensor', () => {
  const withHeader = (h: string): Uint8Array => {
    const json = new TextEncoder().encode(h);
    return bytesOf(u64(json.length), h);
  };
  const huge = new Array<number>(21).fill(Number.MAX_SAFE_INTEGER);
  // their product is Infinity: too many elements; with a 0 after them it was Infinity · 0 = NaN
  // ("needs NaN bytes")
  throwsArg(
    () =>
      readSafetensors(withHeader(JSON.stringify({ x: { dtype: 'F32', shape: huge, data_offsets: [0, 0] } }))),
    'bytes',
    'more elements than a tensor can hold',
  );
  const shape = [...huge, 0];
  const read = readSafetensors(
    withHeader(JSON.stringify({ x: { dtype: 'F32', shape, data_offsets: [0, 0] } })),
  );
  const x = read.x!;
  assert.deepEqual([...x.shape], shape);
  assert.equal(x.size, 0);
});
