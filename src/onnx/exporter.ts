/**
 * `exportOnnx`: traces a module or a function of tensors on example inputs and writes the ops it
 * ran as an ONNX graph. The trace comes from the one tracing hook in `autograd/tape.ts`: every op
 * reports its `record` call (op, inputs, output and the geometry it saved), so each ONNX node is
 * built from the same geometry record the op itself ran on. Tensors that do not depend on the
 * example inputs (parameters, buffers, constants, and anything computed from them alone) become
 * initializers, named as in the module's state_dict where they are one of its tensors.
 *
 * Max pooling with indices exports as MaxPool with its Indices output (ONNX's flat index over the
 * whole input tensor) and max unpooling as MaxUnpool reading it; where the unpooled size is not the
 * one the pooling came from (odd sizes), MaxUnpool's `output_shape` is read differently by ONNX's
 * reference and ONNX Runtime, so the export scatters with ScatterElements instead, which both read
 * alike. Indices returned as a graph output are deconv's (flat within each plane): `Mod` by the
 * plane size.
 */
import { DeconvError, show } from '../errors.js';
import { Tensor, checkTensor } from '../tensor.js';
import { noGrad, setTracer } from '../autograd/tape.js';
import type { TapeNode } from '../autograd/tape.js';
import type { OpSaved } from '../autograd/registry.js';
import { Module } from '../nn/module.js';
import { resizeTaps, type ResizeDimension } from '../geometry/resize.js';
import type { Taps } from '../geometry/interpolate.js';
import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { toTensorProto } from './tensors.js';

const FN = 'exportOnnx';

export interface ExportOnnxOptions {
  /** ONNX opset of the default domain, 11 to 17; default 17 */
  opset?: number;
  /** names of the graph inputs; default input0, input1 … */
  inputNames?: string[];
  /** names of the graph outputs; default output0, output1 … */
  outputNames?: string[];
  /** the first dimension of every input and output is the symbol `batch` (default true) */
  dynamicBatch?: boolean;
}

type Attr = number | string | number[] | TensorProto | { floats: number[] };

function attribute(name: string, v: Attr): AttributeProto {
  if (typeof v === 'number') {
    return Number.isInteger(v) && !Object.is(v, -0)
      ? { name, type: AttributeType.INT, i: v }
      : { name, type: AttributeType.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.TENSOR, t: v };
}

/** A float attribute even when its value is a whole number (alpha = 1). */
function float(v: number): { f: number } {
  return { f: v };
}

class Graph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly names = new Map<Tensor, string>();
  /** tensors that depend on the example inputs */
  readonly dynamic = new Set<Tensor>();
  /** maxPool index tensors: the ONNX name of their Indices output and the pooled plane size */
  readonly indexSources = new Map<Tensor, { name: string; inPlane: number; inputSpatial: number[] }>();
  #count = 0;
  /** tensors computed in the graph from parameters and buffers alone (not from the inputs) */
  readonly fromState = new Set<Tensor>();
  constructor(
    readonly opset: number,
    readonly stateNames: Map<unknown, { name: string; shape: readonly number[] }>,
    readonly dynamicBatch: boolean,
  ) {}

  /** The state_dict name of a module's parameter or buffer (the same storage and shape), or null. */
  stateName(t: Tensor): string | null {
    const entry = this.stateNames.get(t.data);
    return entry && entry.shape.join() === t.shape.join() ? entry.name : null;
  }

  fresh(base: string): string {
    return `${base}_${this.#count++}`;
  }

  node(
    op: string,
    inputs: string[],
    outputs: number | string[],
    attrs: Record<string, Attr | { f: number } | undefined> = {},
  ): string[] {
    const outs =
      typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op)) : outputs;
    const attribute_: AttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      attribute_.push(
        typeof v === 'object' && 'f' in v && !('dims' in v)
          ? { name: k, type: AttributeType.FLOAT, f: (v as { f: number }).f }
          : attribute(k, v as Attr),
      );
    }
    this.nodes.push({ opType: op, name: outs[0], input: inputs, output: outs, attribute: attribute_ });
    return outs;
  }

  /** An initializer for a constant tensor (a parameter keeps its state_dict name). */
  constant(t: Tensor): string {
    const known = this.names.get(t);
    if (known) return known;
    const name = this.stateName(t) ?? this.fresh('const');
    // another Tensor over the same parameter storage (a detached view) is the same initializer
    if (!this.initializers.some((i) => i.name === name)) this.initializers.push(toTensorProto(t, name));
    this.names.set(t, name);
    return name;
  }

  ints(values: number[], name = this.fresh('ints')): string {
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, int64Data: values });
    return name;
  }

  floats(values: number[], name = this.fresh('floats')): string {
    this.initializers.push({ name, dims: [values.length], dataType: DataType.FLOAT, floatData: values });
    return name;
  }

  scalar(value: number): string {
    const name = this.fresh('scalar');
    this.initializers.push({ name, dims: [], dataType: DataType.INT64, int64Data: [value] });
    return name;
  }

  nameOf(t: Tensor): string {
    return this.names.get(t) ?? this.constant(t);
  }

  /** `Shape(x)[0:2]`: N and C of `x` as it runs (the batch may be symbolic). */
  leading(x: string): string {
    const [shape] = this.node('Shape', [x], 1);
    return this.node('Slice', [shape!, this.ints([0]), this.ints([2]), this.ints([0])], 1)[0]!;
  }

  /** A Reshape target for `shape` from an input of `from`: the batch copied (0) when it is kept. */
  reshapeTarget(from: readonly number[], shape: readonly number[]): string {
    const target = [...shape];
    if (this.dynamicBatch && shape.length > 0 && from.length > 0) {
      if (shape[0] === from[0]) target[0] = 0;
      else if (shape.length > 1 && shape.slice(1).every((s) => s > 0)) target[0] = -1;
    }
    return this.ints(target);
  }
}

function refuse(op: string, why: string): never {
  throw new DeconvError(FN, 'model', `the op ${show(op)} has no ONNX form${why ? `: ${why}` : ''}`);
}

function spatial(t: readonly number[], d: number): number[] {
  return t.slice(3 - d);
}

function sameTaps(a: Taps, b: Taps): boolean {
  if (a.outSize !== b.outSize || a.inSize !== b.inSize) return false;
  for (let o = 0; o < a.outSize; o++) {
    // compare as dense rows: the same weight on each input index (repeated indices add up)
    const row = new Map<number, number>();
    for (let k = a.start[o]!; k < a.start[o + 1]!; k++)
      row.set(a.index[k]!, (row.get(a.index[k]!) ?? 0) + a.weight[k]!);
    for (let k = b.start[o]!; k < b.start[o + 1]!; k++)
      row.set(b.index[k]!, (row.get(b.index[k]!) ?? 0) - b.weight[k]!);
    for (const v of row.values()) if (Math.abs(v) > 1e-6) return false;
  }
  return true;
}

type Emit = (g: Graph, inputs: string[], saved: never, node: TapeNode, output: Tensor) => string[];

function unaryOp(op: string, attrs: Record<string, Attr | { f: number }> = {}): Emit {
  return (g, [x]) => g.node(op, [x!], 1, attrs);
}

function resizeNode(
  g: Graph,
  x: string,
  dims: readonly ResizeDimension[],
  extrapolationValue: number,
  bySizes: boolean,
): string {
  const d0 = dims[0]!;
  // before opset 13 roi and scales are required inputs: an empty tensor stands for "not given"
  let empty = '';
  const none = (): string => (g.opset < 13 ? (empty ||= g.floats([])) : '');
  const roiName =
    d0.coordinateTransformationMode === 'tf_crop_and_resize'
      ? g.floats([0, 0, ...dims.map((m) => m.roi[0]), 1, 1, ...dims.map((m) => m.roi[1])])
      : none();
  let scales = '';
  let sizes = '';
  if (bySizes) {
    scales = none();
    sizes = g.node('Concat', [g.leading(x), g.ints(dims.map((m) => m.outSize))], 1, { axis: 0 })[0]!;
  } else scales = g.floats([1, 1, ...dims.map((m) => m.scale)]);
  const inputs = [x, roiName, scales, ...(sizes ? [sizes] : [])];
  return g.node('Resize', inputs, 1, {
    mode: d0.mode,
    coordinate_transformation_mode: d0.coordinateTransformationMode,
    nearest_mode: d0.mode === 'nearest' ? d0.nearestMode : undefined,
    cubic_coeff_a: d0.mode === 'cubic' ? float(d0.cubicCoeffA) : undefined,
    exclude_outside: d0.excludeOutside ? 1 : undefined,
    extrapolation_value:
      d0.coordinateTransformationMode === 'tf_crop_and_resize' ? float(extrapolationValue) : undefined,
  })[0]!;
}

function convPads(begin: readonly number[], end: readonly number[]): number[] {
  return [...begin, ...end];
}

const EMIT: { [K in keyof OpSaved]: Emit | null } = {
  add: (g, [a, b]) => g.node('Add', [a!, b!], 1),
  sub: (g, [a, b]) => g.node('Sub', [a!, b!], 1),
  mul: (g, [a, b]) => g.node('Mul', [a!, b!], 1),
  div: (g, [a, b]) => g.node('Div', [a!, b!], 1),
  neg: unaryOp('Neg'),
  pow: (g, [x], s: OpSaved['pow']) => g.node('Pow', [x!, g.floats([s.exponent])], 1),
  sqrt: unaryOp('Sqrt'),
  abs: unaryOp('Abs'),
  exp: unaryOp('Exp'),
  log: unaryOp('Log'),
  relu: unaryOp('Relu'),
  sigmoid: unaryOp('Sigmoid'),
  tanh: unaryOp('Tanh'),
  leakyRelu: (g, [x], s: OpSaved['leakyRelu']) =>
    g.node('LeakyRelu', [x!], 1, { alpha: float(s.negativeSlope) }),
  softplus: unaryOp('Softplus'),
  logSoftmax: (g, [x], s: OpSaved['logSoftmax']) => {
    const last = s.y.shape.length - 1;
    if (g.opset >= 13 || s.dim === last) return g.node('LogSoftmax', [x!], 1, { axis: s.dim });
    // before opset 13 LogSoftmax normalises over every dimension from axis on: move dim last
    const perm = s.y.shape.map((_, i) => i);
    perm[s.dim] = last;
    perm[last] = s.dim;
    const [a] = g.node('Transpose', [x!], 1, { perm });
    const [b] = g.node('LogSoftmax', [a!], 1, { axis: last });
    return g.node('Transpose', [b!], 1, { perm });
  },
  sum: (g, [x], s: OpSaved['sum'], _n, out) => {
    const keepdims = out.shape.length === s.shape.length ? 1 : 0;
    if (g.opset >= 13) return g.node('ReduceSum', [x!, g.ints(s.dims)], 1, { keepdims });
    return g.node('ReduceSum', [x!], 1, { axes: s.dims, keepdims });
  },
  mean: (g, [x], s: OpSaved['mean'], _n, out) =>
    g.node('ReduceMean', [x!], 1, { axes: s.dims, keepdims: out.shape.length === s.shape.length ? 1 : 0 }),
  concat: (g, inputs, s: OpSaved['concat']) => g.node('Concat', inputs, 1, { axis: s.dim }),
  reshape: (g, [x], s: OpSaved['reshape'], _n, out) =>
    g.node('Reshape', [x!, g.reshapeTarget(s.shape, out.shape)], 1),
  clone: unaryOp('Identity'),
  matmul: (g, [a, b]) => g.node('MatMul', [a!, b!], 1),
  transpose2d: (g, [x]) => g.node('Transpose', [x!], 1, { perm: [1, 0] }),
  nll: null,
  batchNorm: (g, inputs, s: OpSaved['batchNorm']) => {
    if (s.batchStats)
      refuse(
        'batchNorm',
        'in training mode it normalises with batch statistics; call model.eval() before exporting',
      );
    const c = s.mean.length;
    const ones = (v: number): Tensor => new Tensor(new Float32Array(c).fill(v), [c]);
    const weight = s.weight ? inputs[1]! : g.constant(ones(1));
    const bias = s.hasBias ? inputs[s.weight ? 2 : 1]! : g.constant(ones(0));
    // the running statistics themselves (initializers named as in the state_dict), deconv's eps;
    // ONNX's momentum is the weight of the old running value, 1 − PyTorch's
    return g.node(
      'BatchNormalization',
      [inputs[0]!, weight, bias, g.nameOf(s.runningMean!), g.nameOf(s.runningVar!)],
      1,
      { epsilon: float(s.eps), momentum: float(1 - s.momentum) },
    );
  },
  conv: (g, inputs, s: OpSaved['conv']) => {
    const c = s.g;
    return g.node('Conv', inputs, 1, {
      kernel_shape: [...c.kernel],
      strides: [...c.stride],
      dilations: [...c.dilation],
      pads: convPads(c.padBegin, c.padEnd),
      group: c.groups,
    });
  },
  convTranspose: (g, inputs, s: OpSaved['convTranspose']) => {
    const c = s.g;
    if ([...c.padBegin, ...c.padEnd].some((p) => p < 0)) refuse('convTranspose', 'negative padding');
    return g.node('ConvTranspose', inputs, 1, {
      kernel_shape: [...c.kernel],
      strides: [...c.stride],
      dilations: [...c.dilation],
      pads: convPads(c.padBegin, c.padEnd),
      output_padding: c.outputPadding.some((v) => v !== 0) ? [...c.outputPadding] : undefined,
      group: c.groups,
    });
  },
  maxPool: (g, [x], s: OpSaved['maxPool']) => {
    const p = s.geometry;
    const d = p.d;
    checkPoolSizes('maxPool', p);
    const outs = g.node('MaxPool', [x!], s.indexTensor ? 2 : 1, {
      kernel_shape: spatial(p.kernelSize, d),
      strides: spatial(p.stride, d),
      dilations: spatial(p.dilation, d),
      pads: [...spatial(p.padding, d), ...spatial(p.padding, d)],
      ceil_mode: p.ceilMode ? 1 : 0,
    });
    if (s.indexTensor) {
      g.indexSources.set(s.indexTensor, {
        name: outs[1]!,
        inPlane: p.inPlane,
        inputSpatial: spatial(p.inputSize, d),
      });
    }
    return [outs[0]!];
  },
  avgPool: (g, [x], s: OpSaved['avgPool']) => {
    const p = s.geometry;
    const d = p.d;
    checkPoolSizes('avgPool', p);
    return g.node('AveragePool', [x!], 1, {
      kernel_shape: spatial(p.kernelSize, d),
      strides: spatial(p.stride, d),
      pads: [...spatial(p.padding, d), ...spatial(p.padding, d)],
      ceil_mode: p.ceilMode ? 1 : 0,
      count_include_pad: p.countIncludePad ? 1 : 0,
    });
  },
  maxUnpool: (g, [x], s: OpSaved['maxUnpool'], _n, out) => {
    const p = s.geometry;
    const d = p.d;
    const source = g.indexSources.get(s.indexTensor);
    const outSpatial = spatial(p.outputSize, d);
    const kernel = spatial(p.kernelSize, d);
    const stride = spatial(p.stride, d);
    const pads = spatial(p.padding, d);
    const defaultSize = spatial(p.inputSize, d).map(
      (n, i) => (n - 1) * stride[i]! - 2 * pads[i]! + kernel[i]!,
    );
    if (
      source &&
      source.inputSpatial.join() === outSpatial.join() &&
      defaultSize.join() === outSpatial.join()
    ) {
      // the pooling's flat indices over (N, C, *size) are MaxUnpool's over its output: one node
      return g.node('MaxUnpool', [x!, source.name], 1, {
        kernel_shape: kernel,
        strides: stride,
        pads: [...pads, ...pads],
      });
    }
    // Otherwise: deconv's per-plane indices (I mod plane, or the constant itself) scattered into
    // zeros of (N, C, ∏ outputSize), then reshaped.
    const local = source
      ? g.node('Mod', [source.name, g.scalar(source.inPlane)], 1)[0]!
      : g.constant(new Tensor(s.indexTensor.data.slice(), s.indexTensor.shape));
    const lead = g.leading(x!);
    const flatShape = g.node('Concat', [lead, g.ints([-1])], 1, { axis: 0 })[0]!;
    const flatX = g.node('Reshape', [x!, flatShape], 1)[0]!;
    const flatI = g.node('Reshape', [local, flatShape], 1)[0]!;
    const zerosShape = g.node('Concat', [lead, g.ints([p.outPlane])], 1, { axis: 0 })[0]!;
    const zeros = g.node('ConstantOfShape', [zerosShape], 1, {
      value: { name: '', dims: [1], dataType: DataType.FLOAT, floatData: [0] },
    })[0]!;
    const scattered = g.node('ScatterElements', [zeros, flatI, flatX], 1, { axis: 2 })[0]!;
    const target = g.node('Concat', [lead, g.ints(outSpatial)], 1, { axis: 0 })[0]!;
    void out;
    return g.node('Reshape', [scattered, target], 1);
  },
  interpolate: (g, [x], s: OpSaved['interpolate']) => {
    const geo = s.geometry;
    const d = geo.d;
    if (geo.mode === 'area') {
      // adaptive average pooling: an AveragePool where every output has the same window
      const k = geo.inputSpatial.map((n, i) => n / geo.outputSpatial[i]!);
      if (!k.every(Number.isInteger))
        refuse(
          'interpolate',
          "mode 'area' to a size that does not divide the input size (adaptive pooling with uneven windows)",
        );
      return g.node('AveragePool', [x!], 1, { kernel_shape: k, strides: k });
    }
    const [mode, ctm, nearestMode] =
      geo.mode === 'nearest'
        ? (['nearest', 'asymmetric', 'floor'] as const)
        : geo.mode === 'nearest-exact'
          ? (['nearest', 'half_pixel', 'round_prefer_ceil'] as const)
          : ([
              geo.mode === 'bicubic' ? 'cubic' : 'linear',
              geo.alignCorners ? 'align_corners' : 'half_pixel',
              'round_prefer_floor',
            ] as const);
    const dims: ResizeDimension[] = geo.inputSpatial.map((n, i) => ({
      inSize: n,
      outSize: geo.outputSpatial[i]!,
      scale: geo.outputSpatial[i]! / n,
      mode,
      coordinateTransformationMode: ctm,
      nearestMode,
      cubicCoeffA: -0.75,
      excludeOutside: false,
      roi: [0, 1],
    }));
    // ONNX Resize with sizes samples at the ratio of the sizes; PyTorch at 1 / scaleFactor when one
    // was given. Export only what samples alike.
    dims.forEach((m, i) => {
      if (!sameTaps(resizeTaps(m).taps, geo.forward[3 - d + i]!)) {
        refuse(
          'interpolate',
          `mode ${show(geo.mode)} samples dimension ${i} (${m.inSize} → ${m.outSize}) at a scale factor other than the ratio of the sizes; give size instead of scaleFactor`,
        );
      }
    });
    return [resizeNode(g, x!, dims, 0, true)];
  },
  resize: (g, [x], s: OpSaved['resize']) => {
    const geo = s.geometry;
    const bySizes = geo.dims.every((m) => m.scale === m.outSize / m.inSize);
    return [resizeNode(g, x!, geo.dims, geo.extrapolationValue, bySizes)];
  },
  pixelShuffle: (g, [x], s: OpSaved['pixelShuffle']) => {
    if (s.geometry.inputShape.length !== 4) refuse('pixelShuffle', 'DepthToSpace needs a (N, C, H, W) input');
    return g.node('DepthToSpace', [x!], 1, { blocksize: s.geometry.factor, mode: 'CRD' });
  },
  pixelUnshuffle: (g, [x], s: OpSaved['pixelUnshuffle']) => {
    const geo = s.geometry;
    if (geo.inputShape.length !== 4) refuse('pixelUnshuffle', 'needs a (N, C, H, W) input');
    const r = geo.factor;
    // (N, C, H/r, r, W/r, r) -> (N, C, r, r, H/r, W/r) -> (N, C·r², H/r, W/r)
    const [a] = g.node(
      'Reshape',
      [x!, g.ints([g.dynamicBatch ? 0 : geo.batch, geo.channels, geo.height, r, geo.width, r])],
      1,
    );
    const [b] = g.node('Transpose', [a!], 1, { perm: [0, 1, 3, 5, 2, 4] });
    return g.node(
      'Reshape',
      [b!, g.ints([g.dynamicBatch ? 0 : geo.batch, geo.channels * r * r, geo.height, geo.width])],
      1,
    );
  },
  unfold: null,
  convWeight: null, // conv's weight gradient: no ONNX operator
  fold: null,
};

/** ONNX pools round up without PyTorch's "last window starts inside" rule: refuse where they differ. */
function checkPoolSizes(op: string, p: OpSaved['maxPool']['geometry']): void {
  if (!p.ceilMode) return;
  for (let k = 3 - p.d; k < 3; k++) {
    const eff = p.dilation[k]! * (p.kernelSize[k]! - 1) + 1;
    const onnx = Math.ceil((p.inputSize[k]! + 2 * p.padding[k]! - eff) / p.stride[k]!) + 1;
    if (onnx !== p.outputSize[k])
      refuse(
        op,
        `with ceilMode its output size ${p.outputSize[k]} differs from ONNX's ceil rule (${onnx}) here`,
      );
  }
}

function valueInfo(name: string, t: Tensor, dynamicBatch: boolean, int64 = false): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: t.dtype === 'int32' ? (int64 ? DataType.INT64 : DataType.INT32) : DataType.FLOAT,
        shape: {
          dim: t.shape.map((s, i) => (i === 0 && dynamicBatch ? { dimParam: 'batch' } : { dimValue: s })),
        },
      },
    },
  };
}

/**
 * Traces `model` (an `nn.Module`, its `forward`, or a function of tensors) on `example` (a Tensor
 * or an array of them) and returns the ONNX model (a serialized `ModelProto`) of the ops it ran,
 * parameters and buffers as initializers. Outputs: the Tensor, array of Tensors, or `{ output,
 * indices }` the model returns. An op with no ONNX form (unfold, fold, nll, batchNorm in training
 * mode …) is refused with a `DeconvError` naming it. Put modules in eval mode first.
 *
 * @example
 *   import { exportOnnx, nn, randn } from 'deconv';
 *   const net = new nn.Sequential(new nn.ConvTranspose2d({ inChannels: 8, outChannels: 3, kernelSize: 4, stride: 2, padding: 1 }), new nn.Tanh());
 *   const bytes = exportOnnx(net.eval(), randn([1, 8, 16, 16]), { opset: 17 });   // Uint8Array
 */
export function exportOnnx(
  model: Module | ((...inputs: Tensor[]) => unknown),
  example: Tensor | Tensor[],
  options: ExportOnnxOptions = {},
): Uint8Array {
  if (!(model instanceof Module) && typeof model !== 'function') {
    throw new DeconvError(
      FN,
      'model',
      `model = ${show(model)} must be an nn.Module or a function of tensors`,
    );
  }
  const examples = example instanceof Tensor ? [example] : example;
  if (!Array.isArray(examples) || examples.length === 0 || !examples.every((t) => t instanceof Tensor)) {
    throw new DeconvError(
      FN,
      'example',
      `example = ${show(example)} must be a Tensor or a non-empty array of Tensors`,
    );
  }
  examples.forEach((t, i) => checkTensor(FN, example instanceof Tensor ? 'example' : `example[${i}]`, t));
  if (options === null || typeof options !== 'object')
    throw new DeconvError(FN, 'options', `options = ${show(options)} must be an object`);
  for (const k of Object.keys(options)) {
    if (!['opset', 'inputNames', 'outputNames', 'dynamicBatch'].includes(k))
      throw new DeconvError(FN, k, `options.${k} is not an option of exportOnnx`);
  }
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 11 || opset > 17)
    throw new DeconvError(FN, 'opset', `opset = ${show(opset)} must be an integer from 11 to 17`);
  const dynamicBatch = options.dynamicBatch ?? true;
  if (typeof dynamicBatch !== 'boolean')
    throw new DeconvError(FN, 'dynamicBatch', `dynamicBatch = ${show(dynamicBatch)} must be a boolean`);
  const inputNames = options.inputNames ?? examples.map((_, i) => `input${i}`);
  if (
    !Array.isArray(inputNames) ||
    inputNames.length !== examples.length ||
    inputNames.some((n) => typeof n !== 'string' || n === '')
  ) {
    throw new DeconvError(
      FN,
      'inputNames',
      `inputNames = ${show(inputNames)} must be ${examples.length} non-empty strings`,
    );
  }
  if (new Set(inputNames).size !== inputNames.length)
    throw new DeconvError(FN, 'inputNames', `inputNames = ${show(inputNames)} must be distinct`);
  if (dynamicBatch && examples.some((t) => t.shape.length === 0))
    throw new DeconvError(
      FN,
      'dynamicBatch',
      'dynamicBatch needs every example input to have a first (batch) dimension',
    );

  // state_dict entries by their storage (the dict may hold views of the module's tensors)
  const stateNames = new Map<unknown, { name: string; shape: readonly number[] }>();
  if (model instanceof Module)
    for (const [name, t] of model.stateDict())
      if (!stateNames.has(t.data)) stateNames.set(t.data, { name, shape: [...t.shape] });
  const g = new Graph(opset, stateNames, dynamicBatch);
  examples.forEach((t, i) => {
    g.names.set(t, inputNames[i]!);
    g.dynamic.add(t);
  });

  let failure: unknown = null;
  const tracer = (node: TapeNode, output: Tensor): void => {
    if (failure) return;
    try {
      const dynamic =
        node.inputs.some((t) => g.dynamic.has(t)) ||
        (node.op === 'maxUnpool' && g.dynamic.has((node.saved as OpSaved['maxUnpool']).indexTensor));
      // An op on parameters or buffers alone (Linear's transposed weight) stays a node of the
      // graph, so every parameter is an initializer under its state_dict name; other constants
      // fold into initializers when they are used.
      if (!dynamic && !node.inputs.some((t) => g.fromState.has(t) || g.stateName(t) !== null)) return;
      const emit = EMIT[node.op];
      // an op with no ONNX form on parameters alone still folds into a constant
      if (!emit && !dynamic) return;
      if (!emit) refuse(node.op, '');
      const names = node.inputs.map((t) => g.nameOf(t));
      const [name] = emit(g, names, node.saved as never, node, output);
      g.names.set(output, name!);
      (dynamic ? g.dynamic : g.fromState).add(output);
      if (node.op === 'maxPool') {
        const idx = (node.saved as OpSaved['maxPool']).indexTensor;
        if (idx) (dynamic ? g.dynamic : g.fromState).add(idx);
      }
    } catch (e) {
      failure = e;
    }
  };
  const previous = setTracer(tracer);
  let result: unknown;
  try {
    result = noGrad(() =>
      model instanceof Module
        ? (model as unknown as { forward: (...x: Tensor[]) => unknown }).forward(...examples)
        : model(...examples),
    );
  } finally {
    setTracer(previous);
  }
  if (failure) throw failure;

  const outputsList: Tensor[] =
    result instanceof Tensor
      ? [result]
      : Array.isArray(result)
        ? (result as Tensor[])
        : result && typeof result === 'object' && (result as { output?: unknown }).output instanceof Tensor
          ? [(result as { output: Tensor }).output, (result as { indices: Tensor }).indices]
          : [];
  if (outputsList.length === 0 || !outputsList.every((t) => t instanceof Tensor)) {
    throw new DeconvError(
      FN,
      'model',
      `the model returned ${show(result)}: it must return a Tensor, an array of Tensors or { output, indices }`,
    );
  }
  const outputNames = options.outputNames ?? outputsList.map((_, i) => `output${i}`);
  if (
    !Array.isArray(outputNames) ||
    outputNames.length !== outputsList.length ||
    outputNames.some((n) => typeof n !== 'string' || n === '')
  ) {
    throw new DeconvError(
      FN,
      'outputNames',
      `outputNames = ${show(outputNames)} must be ${outputsList.length} non-empty strings`,
    );
  }
  // ONNX names each value once (SSA): a user's name must not be one the graph already defines
  // (an input, a parameter's state_dict name, a node's generated output) nor repeat in outputNames
  const inner = new Set([...g.initializers.map((i) => i.name), ...g.nodes.flatMap((n) => n.output ?? [])]);
  inputNames.forEach((n, i) => {
    if (inner.has(n))
      throw new DeconvError(
        FN,
        'inputNames',
        `inputNames[${i}] = ${show(n)} is already the name of a parameter or an intermediate value of the graph`,
      );
  });
  const taken = new Set([...inner, ...inputNames]);
  outputNames.forEach((n, i) => {
    if (taken.has(n))
      throw new DeconvError(
        FN,
        'outputNames',
        `outputNames[${i}] = ${show(n)} must differ from the input names, the other outputs and the graph's parameters and intermediate values`,
      );
    taken.add(n);
  });
  const outputs: ValueInfoProto[] = outputsList.map((t, i) => {
    const source = g.indexSources.get(t);
    if (source) {
      // deconv's indices are flat within each input plane: ONNX's flat index mod the plane size
      g.node('Mod', [source.name, g.scalar(source.inPlane)], [outputNames[i]!]);
      return valueInfo(outputNames[i]!, t, dynamicBatch, true);
    }
    g.node('Identity', [g.nameOf(t)], [outputNames[i]!]);
    return valueInfo(outputNames[i]!, t, dynamicBatch && g.dynamic.has(t));
  });

  return encodeModel({
    irVersion: 8,
    producerName: 'deconv',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'deconv',
      node: g.nodes,
      initializer: g.initializers,
      input: examples.map((t, i) => valueInfo(inputNames[i]!, t, dynamicBatch)),
      output: outputs,
    },
  });
}
