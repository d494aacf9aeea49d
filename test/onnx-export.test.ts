/**
 * exportOnnx: every deconv layer and op with an ONNX form, and a few whole models (a DCGAN-like
 * generator, an ESPCN-like super-resolution net, a SegNet with max unpooling, a U-Net-like net with
 * Resize and Concat-free skips), exported at batch 2 and run in ONNX Runtime (onnxruntime-node)
 * at batch 2 and 3 against deconv's own outputs, then imported back with importOnnx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import {
  DeconvError,
  Tensor,
  exportOnnx,
  fold,
  importOnnx,
  interpolate,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  nn,
  randn,
  resize,
  unfold,
  type ExportOnnxOptions,
} from '../src/index.js';
import { decodeModel, type ModelProto } from '../src/onnx/proto.js';
import { fromTensorProto } from '../src/onnx/tensors.js';

const SESSION: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

type Model = nn.Module | ((...x: Tensor[]) => unknown);
interface Case {
  name: string;
  model: Model;
  /** example inputs at a batch size */
  inputs: (batch: number, seed: number) => Tensor[];
  options?: ExportOnnxOptions;
  tolerance?: number;
}

function forward(model: Model, xs: Tensor[]): Tensor[] {
  const r =
    model instanceof nn.Module
      ? (model as unknown as { forward(...x: Tensor[]): unknown }).forward(...xs)
      : model(...xs);
  if (r instanceof Tensor) return [r];
  if (Array.isArray(r)) return r as Tensor[];
  const p = r as { output: Tensor; indices: Tensor };
  return [p.output, p.indices];
}

function close(
  what: string,
  actual: ArrayLike<number | bigint>,
  shape: readonly number[],
  expected: Tensor,
  tol: number,
): void {
  assert.deepEqual([...shape], [...expected.shape], `${what}: shape`);
  for (let k = 0; k < expected.size; k++) {
    const a = Number(actual[k]);
    const e = expected.data[k]!;
    assert.ok(Math.abs(a - e) <= tol + tol * Math.abs(e), `${what}: element ${k} = ${a}, deconv ${e}`);
  }
}

const conv = (d: number, o: Record<string, unknown>): nn.Module => {
  const C = [nn.Conv1d, nn.Conv2d, nn.Conv3d][d - 1]!;
  return new C({ inChannels: 4, outChannels: 6, kernelSize: 3, rng: undefined, ...o } as never);
};
const convT = (d: number, o: Record<string, unknown>): nn.Module => {
  const C = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][d - 1]!;
  return new C({ inChannels: 4, outChannels: 6, kernelSize: 3, ...o } as never);
};
const spatialShape = (d: number, n: number): number[] => new Array<number>(d).fill(n);
const input = (c: number, d: number, n: number) => (batch: number, seed: number) => [
  randn([batch, c, ...spatialShape(d, n)], { seed }),
];

const unpool = (d: number, k: number, size: number | null) => {
  const pool = [maxPool1d, maxPool2d, maxPool3d][d - 1]!;
  const up = [maxUnpool1d, maxUnpool2d, maxUnpool3d][d - 1]!;
  return (x: Tensor): Tensor[] => {
    const { output, indices } = pool(x, { kernelSize: k, returnIndices: true });
    return [
      up(output.relu(), indices, { kernelSize: k, ...(size ? { outputSize: spatialShape(d, size) } : {}) }),
      indices,
    ];
  };
};

function seq(...layers: nn.Module[]): nn.Sequential {
  return new nn.Sequential(...(layers as never[])).eval();
}

class SegNet extends nn.Module {
  enc1 = this.registerModule(
    'enc1',
    seq(
      new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1 }),
      new nn.BatchNorm2d({ numFeatures: 4 }),
      new nn.ReLU(),
    ),
  );
  enc2 = this.registerModule(
    'enc2',
    seq(new nn.Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1 }), new nn.ReLU()),
  );
  dec2 = this.registerModule(
    'dec2',
    seq(new nn.Conv2d({ inChannels: 6, outChannels: 4, kernelSize: 3, padding: 1 }), new nn.ReLU()),
  );
  dec1 = this.registerModule(
    'dec1',
    new nn.Conv2d({ inChannels: 4, outChannels: 2, kernelSize: 3, padding: 1 }),
  );
  forward(x: Tensor): Tensor {
    const a = maxPool2d(this.enc1.forward(x), { kernelSize: 2, returnIndices: true });
    const b = maxPool2d(this.enc2.forward(a.output), { kernelSize: 2, returnIndices: true });
    const u2 = this.dec2.forward(
      maxUnpool2d(b.output, b.indices, {
        kernelSize: 2,
        outputSize: [a.output.shape[2]!, a.output.shape[3]!],
      }),
    );
    const u1 = maxUnpool2d(u2, a.indices, { kernelSize: 2, outputSize: [x.shape[2]!, x.shape[3]!] });
    return nn.logSoftmax(this.dec1.forward(u1), 1);
  }
}

class UNetish extends nn.Module {
  down = this.registerModule(
    'down',
    new nn.Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 4, stride: 2, padding: 1 }),
  );
  bn = this.registerModule('bn', new nn.BatchNorm2d({ numFeatures: 5 }));
  up = this.registerModule(
    'up',
    new nn.ConvTranspose2d({ inChannels: 5, outChannels: 3, kernelSize: 4, stride: 2, padding: 1 }),
  );
  head = this.registerModule('head', new nn.Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 1 }));
  forward(x: Tensor): Tensor {
    const h = new nn.LeakyReLU({ negativeSlope: 0.2 }).forward(this.bn.forward(this.down.forward(x)));
    const skip = resize(x, { scales: [0.5, 0.5], mode: 'linear' });
    const up = interpolate(
      h.add(resize(skip, { sizes: [h.shape[2]!, h.shape[3]!], mode: 'cubic' }).mean([1], true)),
      { scaleFactor: 2, mode: 'bilinear' },
    ).mean([1], true);
    return this.head.forward(this.up.forward(h).add(up)).sigmoid();
  }
}

const CASES: Case[] = [
  ...[1, 2, 3].flatMap((d): Case[] => [
    {
      name: `Conv${d}d stride 2 padding 1`,
      model: seq(conv(d, { stride: 2, padding: 1 })),
      inputs: input(4, d, 7),
    },
    {
      name: `Conv${d}d groups 2 dilation 2 no bias`,
      model: seq(conv(d, { groups: 2, dilation: 2, bias: false })),
      inputs: input(4, d, 7),
    },
    { name: `Conv${d}d padding same`, model: seq(conv(d, { padding: 'same' })), inputs: input(4, d, 5) },
    {
      name: `ConvTranspose${d}d stride 2 padding 1 outputPadding 1`,
      model: seq(convT(d, { stride: 2, padding: 1, outputPadding: 1 })),
      inputs: input(4, d, 4),
    },
    {
      name: `ConvTranspose${d}d groups 2 dilation 2`,
      model: seq(convT(d, { groups: 2, dilation: 2, stride: 3 })),
      inputs: input(4, d, 3),
    },
    {
      name: `MaxPool${d}d kernel 3 stride 2 padding 1 dilation`,
      model: seq(
        new [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][d - 1]!({
          kernelSize: 3,
          stride: 2,
          padding: 1,
          dilation: d === 3 ? 1 : 2,
        } as never),
      ),
      inputs: input(2, d, 7),
    },
    {
      name: `MaxPool${d}d ceilMode`,
      model: seq(
        new [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][d - 1]!({ kernelSize: 2, ceilMode: true } as never),
      ),
      inputs: input(2, d, 5),
    },
    {
      name: `AvgPool${d}d padding, countIncludePad false`,
      model: seq(
        new [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][d - 1]!({
          kernelSize: 3,
          stride: 2,
          padding: 1,
          countIncludePad: false,
        } as never),
      ),
      inputs: input(2, d, 6),
    },
    {
      name: `AvgPool${d}d countIncludePad`,
      model: seq(
        new [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][d - 1]!({ kernelSize: 2, padding: 1 } as never),
      ),
      inputs: input(2, d, 5),
    },
    {
      name: `maxPool${d}d → maxUnpool${d}d (indices out too)`,
      model: unpool(d, 2, null),
      inputs: input(2, d, 6),
    },
    { name: `maxPool${d}d → maxUnpool${d}d to an odd size`, model: unpool(d, 2, 7), inputs: input(2, d, 7) },
  ]),
  {
    name: 'BatchNorm1d eval, eps 1e-3, momentum 0.3',
    model: seq(new nn.BatchNorm1d({ numFeatures: 3, eps: 1e-3, momentum: 0.3 })),
    inputs: input(3, 1, 5),
  },
  { name: 'BatchNorm3d eval', model: seq(new nn.BatchNorm3d({ numFeatures: 3 })), inputs: input(3, 3, 3) },
  {
    name: 'Linear, Flatten, ReLU, Tanh, Sigmoid, Dropout, Identity',
    model: seq(
      new nn.Flatten(),
      new nn.Linear({ inFeatures: 12, outFeatures: 5 }),
      new nn.ReLU(),
      new nn.Dropout(),
      new nn.Linear({ inFeatures: 5, outFeatures: 4 }),
      new nn.Tanh(),
      new nn.Identity(),
      new nn.Sigmoid(),
    ),
    inputs: input(3, 1, 4),
  },
  ...(['nearest', 'nearest-exact', 'bilinear', 'bicubic'] as const).flatMap((mode): Case[] => [
    {
      name: `Upsample ${mode} ×2`,
      model: seq(new nn.Upsample({ scaleFactor: 2, mode })),
      inputs: input(2, 2, 5),
    },
    {
      name: `interpolate ${mode} to 7×3`,
      model: (x: Tensor) => interpolate(x, { size: [7, 3], mode }),
      inputs: input(2, 2, 5),
    },
  ]),
  {
    name: 'interpolate bilinear alignCorners',
    model: (x: Tensor) => interpolate(x, { size: [9, 4], mode: 'bilinear', alignCorners: true }),
    inputs: input(2, 2, 5),
  },
  {
    name: 'interpolate linear (1-d), trilinear (3-d)',
    model: (x: Tensor, y: Tensor) => [
      interpolate(x, { scaleFactor: 3, mode: 'linear' }),
      interpolate(y, { size: [3, 5, 2], mode: 'trilinear' }),
    ],
    inputs: (b, s) => [randn([b, 2, 5], { seed: s }), randn([b, 2, 2, 3, 4], { seed: s + 1 })],
  },
  {
    name: 'interpolate area (even windows)',
    model: (x: Tensor) => interpolate(x, { size: [3, 2], mode: 'area' }),
    inputs: input(2, 2, 6),
  },
  ...(
    ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'] as const
  ).flatMap((ctm): Case[] =>
    (['nearest', 'linear', 'cubic'] as const).map((mode) => ({
      name: `resize ${mode} ${ctm}`,
      model: (x: Tensor) => resize(x, { sizes: [7, 4], mode, coordinateTransformationMode: ctm }),
      inputs: input(2, 2, 5),
    })),
  ),
  {
    name: 'resize cubic excludeOutside, cubicCoeffA −0.5, scales',
    model: (x: Tensor) =>
      resize(x, { scales: [1.5, 0.5], mode: 'cubic', cubicCoeffA: -0.5, excludeOutside: true }),
    inputs: input(2, 2, 6),
  },
  {
    name: 'resize tf_crop_and_resize with extrapolation',
    model: (x: Tensor) =>
      resize(x, {
        sizes: [5, 5],
        mode: 'linear',
        coordinateTransformationMode: 'tf_crop_and_resize',
        roi: [-0.2, 0.1, 0.9, 1.3],
        extrapolationValue: 7,
      }),
    inputs: input(2, 2, 6),
  },
  {
    name: 'resize nearest modes',
    model: (x: Tensor) =>
      (['round_prefer_ceil', 'floor', 'ceil'] as const).map((nearestMode) =>
        resize(x, { sizes: [9, 3], nearestMode }),
      ),
    inputs: input(2, 2, 5),
  },
  {
    name: 'PixelShuffle, PixelUnshuffle',
    model: seq(
      new nn.PixelUnshuffle({ downscaleFactor: 2 }),
      new nn.Conv2d({ inChannels: 8, outChannels: 12, kernelSize: 1 }),
      new nn.PixelShuffle({ upscaleFactor: 2 }),
    ),
    inputs: input(2, 2, 6),
  },
  {
    name: 'element-wise arithmetic, reductions, logSoftmax, softplus, matmul',
    model: (x: Tensor, m: Tensor) => {
      const y = x.mul(2).sub(x.abs().sqrt()).add(x.exp().div(3)).neg().pow(2);
      return [
        nn.softplus(y.log()),
        y.sum([1], true),
        x.mean([2]),
        nn.logSoftmax(x, 1),
        x.reshape([x.shape[0]!, -1]).matmul(m),
        nn.leakyRelu(x, 0.1),
      ];
    },
    inputs: (b, s) => [randn([b, 3, 4], { seed: s }), randn([12, 2], { seed: 9 })],
    tolerance: 2e-4,
  },
  {
    name: 'DCGAN-like generator',
    model: seq(
      new nn.ConvTranspose2d({ inChannels: 8, outChannels: 6, kernelSize: 4, bias: false }),
      new nn.BatchNorm2d({ numFeatures: 6 }),
      new nn.ReLU(),
      new nn.ConvTranspose2d({
        inChannels: 6,
        outChannels: 4,
        kernelSize: 4,
        stride: 2,
        padding: 1,
        bias: false,
      }),
      new nn.BatchNorm2d({ numFeatures: 4 }),
      new nn.ReLU(),
      new nn.ConvTranspose2d({ inChannels: 4, outChannels: 3, kernelSize: 4, stride: 2, padding: 1 }),
      new nn.Tanh(),
    ),
    inputs: (b, s) => [randn([b, 8, 1, 1], { seed: s })],
  },
  {
    name: 'ESPCN-like super resolution (PixelShuffle → DepthToSpace)',
    model: seq(
      new nn.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 5, padding: 2 }),
      new nn.Tanh(),
      new nn.Conv2d({ inChannels: 8, outChannels: 9, kernelSize: 3, padding: 1 }),
      new nn.PixelShuffle({ upscaleFactor: 3 }),
      new nn.Sigmoid(),
    ),
    inputs: input(1, 2, 6),
  },
  {
    name: 'SegNet with max unpooling (odd sizes)',
    model: new SegNet().eval(),
    inputs: (b, s) => [randn([b, 3, 10, 6], { seed: s })],
  },
  {
    name: 'SegNet at opset 11',
    model: new SegNet().eval(),
    inputs: (b, s) => [randn([b, 3, 8, 8], { seed: s })],
    options: { opset: 11 },
  },
  // the library's segmentation networks: nested state_dict names (decoder.stage1.1.running_mean)
  ...(['segnet', 'deconvnet', 'fcn8s', 'unet', 'resize-bilinear'] as const).map((decoder): Case => ({
    name: `segmentationModel ${decoder}`,
    model: nn.segmentationModel(decoder, { numClasses: 3, channels: [4, 6, 6] }).eval(),
    inputs: (b, s) => [randn([b, 1, 16, 24], { seed: s })],
    tolerance: 1e-4,
  })),
  {
    name: 'U-Net-like with resize, interpolate, convTranspose',
    model: new UNetish().eval(),
    inputs: (b, s) => [randn([b, 3, 8, 8], { seed: s })],
    options: { opset: 13 },
    tolerance: 1e-4,
  },
];

/**
 * Every parameter and buffer of the module (but num_batches_tracked, which inference does not read)
 * is an initializer under its state_dict name with the module's values, and no other initializer
 * holds a copy of one; every BatchNormalization reads its layer's running statistics, epsilon and
 * momentum (ONNX's: 1 − PyTorch's).
 */
function checkStateNames(what: string, model: nn.Module, proto: ModelProto): void {
  const graph = proto.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const state = [...model.stateDict()].filter(([n]) => !n.endsWith('num_batches_tracked'));
  const values = (t: Tensor): string => Array.from(t.data).join();
  for (const [name, t] of state) {
    const init = inits.get(name);
    assert.ok(init, `${what}: initializer ${name} (initializers: ${[...inits.keys()].join(', ')})`);
    const v = fromTensorProto(init, { fn: 'test', where: name, outOfRange: 'saturate' });
    assert.deepEqual([...v.shape], [...t.shape], `${what}: ${name} shape`);
    assert.equal(values(v), values(t), `${what}: ${name} holds the module's values`);
  }
  const stateValues = new Set(state.filter(([, t]) => t.size > 1).map(([, t]) => values(t)));
  for (const [name, init] of inits) {
    if (state.some(([n]) => n === name)) continue;
    const v = fromTensorProto(init, { fn: 'test', where: name, outOfRange: 'saturate' });
    assert.ok(!stateValues.has(values(v)), `${what}: initializer ${name} copies a parameter`);
  }
  const layers = new Map<string, nn.Module>();
  const walk = (m: nn.Module, prefix: string): void => {
    layers.set(prefix, m);
    for (const [n, child] of m.namedChildren()) walk(child, prefix ? `${prefix}.${n}` : n);
  };
  walk(model, '');
  for (const node of graph.node ?? []) {
    if (node.opType !== 'BatchNormalization') continue;
    const mean = node.input![3]!;
    assert.match(mean, /(^|\.)running_mean$/, `${what}: BatchNormalization reads a running_mean`);
    const prefix = mean.replace(/\.?running_mean$/, '');
    assert.equal(node.input![4], `${prefix ? `${prefix}.` : ''}running_var`, `${what}: its running_var`);
    const layer = layers.get(prefix) as unknown as { eps: number; momentum: number | null };
    const attr = (n: string): number => node.attribute!.find((a) => a.name === n)!.f!;
    assert.equal(attr('epsilon'), Math.fround(layer.eps), `${what}: ${prefix} epsilon`);
    assert.equal(attr('momentum'), Math.fround(1 - (layer.momentum ?? 0)), `${what}: ${prefix} momentum`);
  }
}

for (const c of CASES) {
  test(`exportOnnx: ${c.name}`, async () => {
    // running statistics that are not the defaults, so BatchNorm is visible in the outputs
    if (c.model instanceof nn.Module) {
      for (const [name, t] of c.model.stateDict()) {
        if (name.endsWith('running_mean')) t.data.set(randn([t.size], { seed: 5 }).data);
        if (name.endsWith('running_var'))
          t.data.set(randn([t.size], { seed: 6 }).data.map((v) => 0.5 + Math.abs(v)));
      }
    }
    const bytes = exportOnnx(c.model, c.inputs(2, 1), c.options);
    assert.ok(bytes instanceof Uint8Array && bytes.length > 0, 'exportOnnx returns bytes');
    if (c.model instanceof nn.Module) checkStateNames(c.name, c.model, decodeModel('test', bytes));
    const session = await ort.InferenceSession.create(bytes, SESSION);
    const back = importOnnx(bytes);
    const tol = c.tolerance ?? 2e-5;
    for (const batch of [2, 3]) {
      const xs = c.inputs(batch, 10 + batch);
      const expected = forward(c.model, xs);
      const feeds = Object.fromEntries(
        xs.map((t, i) => [`input${i}`, new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape])]),
      );
      const got = await session.run(feeds);
      expected.forEach((e, i) =>
        close(
          `${c.name} batch ${batch} ORT output${i}`,
          got[`output${i}`]!.data as ArrayLike<number>,
          got[`output${i}`]!.dims,
          e,
          tol,
        ),
      );
      const mine = back.run(Object.fromEntries(xs.map((t, i) => [`input${i}`, t])));
      expected.forEach((e, i) =>
        close(
          `${c.name} batch ${batch} importOnnx output${i}`,
          mine[`output${i}`]!.data,
          mine[`output${i}`]!.shape,
          e,
          tol,
        ),
      );
    }
    await session.release();
  });
}

test('exportOnnx refuses ops with no ONNX form, naming them, and bad options', () => {
  const x = randn([1, 2, 6, 6], { seed: 0 });
  const refusal = (model: Model, op: string): void => {
    assert.throws(
      () => exportOnnx(model, x),
      (e: unknown) => e instanceof DeconvError && e.message.includes(`'${op}'`),
      `${op} is refused naming it`,
    );
  };
  refusal((t: Tensor) => unfold(t, { kernelSize: 2 }), 'unfold');
  refusal((t: Tensor) => fold(unfold(t, { kernelSize: 2 }), { outputSize: [6, 6], kernelSize: 2 }), 'unfold');
  refusal(new nn.Sequential(new nn.BatchNorm2d({ numFeatures: 2 })), 'batchNorm'); // training mode
  refusal((t: Tensor) => interpolate(t, { size: [4, 4], mode: 'area' }), 'interpolate');
  assert.throws(
    () => exportOnnx((t: Tensor) => t.relu(), x, { opset: 9 }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'opset',
    'opset range',
  );
  assert.throws(
    () => exportOnnx((t: Tensor) => t.relu(), x, { inputNames: ['a', 'b'] }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'inputNames',
    'inputNames count',
  );
  assert.throws(
    () => exportOnnx((t: Tensor) => t.relu(), [] as Tensor[]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'example',
    'example',
  );
  assert.throws(
    () => exportOnnx((t: Tensor) => t.relu(), x, { speed: 1 } as never),
    (e: unknown) => e instanceof DeconvError && e.argument === 'speed',
    'unknown option',
  );
});

test('exportOnnx: parameters keep their state_dict names as initializers, fixed batch without dynamicBatch', async () => {
  const net = seq(new nn.Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 }));
  const bytes = exportOnnx(net, randn([2, 2, 5, 5], { seed: 1 }), {
    dynamicBatch: false,
    inputNames: ['image'],
    outputNames: ['features'],
  });
  const text = new TextDecoder('latin1').decode(bytes);
  assert.ok(text.includes('0.weight') && text.includes('0.bias'), 'initializers named 0.weight, 0.bias');
  const session = await ort.InferenceSession.create(bytes, SESSION);
  assert.deepEqual(session.inputNames, ['image'], 'input name');
  assert.deepEqual(session.outputNames, ['features'], 'output name');
  const model = importOnnx(bytes);
  assert.throws(
    () => model.run({ image: randn([3, 2, 5, 5]) }),
    (e: unknown) => e instanceof DeconvError && /shape/.test(e.message),
    'a fixed batch refuses another batch size',
  );
  await session.release();
});

test('exportOnnx refuses names the graph already defines (the model would not import) and returns bytes of its own', () => {
  const x = randn([1, 2, 6, 6], { seed: 0 });
  const net = new nn.Sequential(new nn.Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 }));
  const named = (options: ExportOnnxOptions, argument: string, what: string): void =>
    assert.throws(
      () => exportOnnx(net, x, options),
      (e: unknown) => e instanceof DeconvError && e.argument === argument && e.message.includes(argument),
      what,
    );
  named({ inputNames: ['a'], outputNames: ['a'] }, 'outputNames', 'an output named as the input');
  named({ outputNames: ['0.weight'] }, 'outputNames', 'an output named as a parameter');
  named({ inputNames: ['0.bias'] }, 'inputNames', 'an input named as a parameter');
  named({ outputNames: ['input0'] }, 'outputNames', 'an output named as the default input');
  const two = exportOnnx((t: Tensor) => [t.relu(), t.relu()], x, { outputNames: ['y', 'z'] });
  assert.deepEqual(importOnnx(two).outputNames, ['y', 'z']);
  assert.throws(
    () => exportOnnx((t: Tensor) => [t.relu(), t.relu()], x, { outputNames: ['y', 'y'] }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'outputNames',
    'repeated output names',
  );
  // a plain Uint8Array over exactly the model (not a view into Node's shared Buffer pool)
  const bytes = exportOnnx(net, x);
  assert.equal(bytes.constructor, Uint8Array);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.length);
  assert.deepEqual(importOnnx(bytes.slice().buffer).outputNames, ['output0']);
});
