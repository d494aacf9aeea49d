/**
 * The ONNX operators deconv imports. Each entry reads and checks its node's attributes once, at
 * import (`prepare`), and returns the node's shape rule (`infer`, on shapes alone: unknown sizes
 * are null) and its computation (`run`). The upsampling family runs on deconv's own ops (conv,
 * convTranspose, max pooling with indices, max unpooling, average pooling, resize, pixel shuffle);
 * the operators around it run on the plain array steps of `arrays.ts`.
 *
 * References: https://github.com/onnx/onnx/blob/v1.12.0/docs/Operators.md; expected values are
 * ONNX 1.12's node tests (test/onnx-node.test.ts).
 */
import { DeconvError, show } from '../errors.js';
import { Tensor, numel } from '../tensor.js';
import { conv, convTranspose } from '../ops/conv.js';
import {
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
} from '../ops/pool.js';
import { pixelShuffle } from '../ops/shuffle.js';
import { resize } from '../ops/resize.js';
import {
  resizeGeometry,
  type CoordinateTransformationMode,
  type NearestMode,
  type ResizeMode,
  type ResizeOptions,
} from '../geometry/resize.js';
import { checkedConvOutputLength } from '../geometry/arithmetic.js';
import {
  convTransposeWindow,
  effectiveKernel,
  onnxSamePadding,
  windowOutputSize,
  type AutoPad,
} from '../geometry/onnx.js';
import * as A from './arrays.js';
import { FN, NodeContext } from './attributes.js';
import { DataType } from './proto.js';
import { dtypeOf, TYPE_NAMES } from './tensors.js';

export type Dims = (number | null)[];
export interface Info {
  dtype: 'float32' | 'int32';
  shape: Dims | null;
  /** known at import (initializer, Constant, or folded from known values) */
  value?: Tensor;
  /** a small int vector known in part (null entries unknown): see partial.ts */
  partial?: Dims;
}
export interface Prepared {
  /** Output infos from input infos (missing optional inputs are undefined); default: unknown shapes. */
  infer?(inputs: (Info | undefined)[]): (Info | undefined)[];
  run(inputs: (Tensor | undefined)[]): Tensor[];
  /** the family's layer description, for `deconv onnx inspect` */
  describe?(inputs: (Info | undefined)[]): LayerParams;
}
export type Operator = (ctx: NodeContext) => Prepared;

/** An upsampling-family layer's parameters, per spatial dimension, with auto_pad resolved where the input size is known. */
export interface LayerParams {
  kind:
    | 'conv'
    | 'convTranspose'
    | 'maxPool'
    | 'avgPool'
    | 'maxUnpool'
    | 'resize'
    | 'depthToSpace'
    | 'spaceToDepth';
  kernelSize?: number[];
  stride?: number[];
  dilation?: number[];
  /** null where auto_pad SAME needs an input size that is symbolic */
  padBegin?: number[] | null;
  padEnd?: number[] | null;
  outputPadding?: number[];
  groups?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  autoPad?: AutoPad;
  inChannels?: number | null;
  outChannels?: number | null;
  resize?: Omit<ResizeOptions, 'sizes' | 'scales' | 'roi'>;
  blocksize?: number;
  mode?: string;
}

function windowParams(
  sp: Spatial,
  input: Dims | null | undefined,
): Pick<LayerParams, 'kernelSize' | 'stride' | 'dilation' | 'padBegin' | 'padEnd' | 'autoPad'> {
  const inS = spatialOf(input, sp.kernel.length);
  const pads = known(inS)
    ? resolvePads(sp, inS)
    : sp.autoPad === 'SAME_UPPER' || sp.autoPad === 'SAME_LOWER'
      ? null
      : resolvePads(
          sp,
          sp.kernel.map(() => 0),
        );
  return {
    kernelSize: sp.kernel,
    stride: sp.stride,
    dilation: sp.dilation,
    padBegin: pads ? pads.map((p) => p[0]) : null,
    padEnd: pads ? pads.map((p) => p[1]) : null,
    autoPad: sp.autoPad,
  };
}

const AUTO_PADS: readonly AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

function known(shape: Dims | readonly number[] | null | undefined): shape is number[] {
  return !!shape && shape.every((s) => s !== null);
}
function req(ctx: NodeContext, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (!t) throw new DeconvError(FN, 'feeds', `${ctx.where}: input ${i} is required`);
  return t;
}
function ints(t: Tensor | undefined): number[] {
  return t ? Array.from(t.data) : [];
}
function normAxis(ctx: NodeContext, axis: number, rank: number, name = 'axis'): number {
  if (!(axis >= -rank && axis < rank))
    ctx.fail(name, axis, `must be in [${-rank}, ${rank - 1}] for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}
function floatIn(ctx: NodeContext, t: Tensor, i: number): Tensor {
  if (t.dtype !== 'float32') ctx.fail(`input ${i} type`, t.dtype, 'must be a float tensor');
  return t;
}

// ---------------------------------------------------------------------------------------------
// Convolution family

interface Spatial {
  kernel: number[];
  stride: number[];
  dilation: number[];
  pads: [number, number][] | null;
  autoPad: AutoPad;
}

/** kernel_shape, strides, dilations, pads, auto_pad, checked against the spatial rank `d`. */
function spatialAttrs(
  ctx: NodeContext,
  d: number | null,
  kernelFromWeight: number[] | null,
  withDilation = true,
): Spatial | null {
  const kernelAttr = ctx.ints('kernel_shape');
  const stridesAttr = ctx.ints('strides');
  const dilAttr = withDilation ? ctx.ints('dilations') : null;
  const padsAttr = ctx.ints('pads');
  const autoPad = ctx.string('auto_pad', 'NOTSET', AUTO_PADS);
  const dd = d ?? kernelAttr?.length ?? kernelFromWeight?.length ?? null;
  if (dd === null) return null;
  if (dd < 1 || dd > 3) ctx.fail('spatial rank', dd, 'must be 1, 2 or 3');
  const check = (name: string, v: number[] | null, len: number, min: number): void => {
    if (v && v.length !== len) ctx.failAttribute(name, v, `must have ${len} entries`);
    v?.forEach((x) => {
      if (!(Number.isInteger(x) && x >= min)) ctx.failAttribute(name, v, `must hold integers ≥ ${min}`);
    });
  };
  check('kernel_shape', kernelAttr, dd, 1);
  check('strides', stridesAttr, dd, 1);
  check('dilations', dilAttr, dd, 1);
  check('pads', padsAttr, 2 * dd, 0);
  const kernel = kernelAttr ?? kernelFromWeight;
  if (!kernel) ctx.failAttribute('kernel_shape', kernel, 'is required');
  if (kernelAttr && kernelFromWeight && kernelAttr.some((k, i) => k !== kernelFromWeight[i])) {
    ctx.failAttribute(
      'kernel_shape',
      kernelAttr,
      `must equal the weight's kernel sizes ${show(kernelFromWeight)}`,
    );
  }
  if (padsAttr && autoPad !== 'NOTSET' && padsAttr.some((p) => p !== 0)) {
    ctx.failAttribute('pads', padsAttr, `cannot be given with auto_pad = ${show(autoPad)}`);
  }
  return {
    kernel,
    stride: stridesAttr ?? new Array<number>(dd).fill(1),
    dilation: dilAttr ?? new Array<number>(dd).fill(1),
    pads: padsAttr ? padsAttr.slice(0, dd).map((b, i) => [b, padsAttr[dd + i]!] as [number, number]) : null,
    autoPad,
  };
}

/** Explicit begin/end padding of Conv and the pools, resolving auto_pad on the input sizes. */
function resolvePads(s: Spatial, inSizes: number[]): [number, number][] {
  return inSizes.map((n, i) => {
    const eff = effectiveKernel(s.kernel[i]!, s.dilation[i]!);
    if (s.autoPad === 'SAME_UPPER' || s.autoPad === 'SAME_LOWER')
      return onnxSamePadding(n, s.stride[i]!, eff, s.autoPad === 'SAME_UPPER');
    if (s.autoPad === 'VALID') return [0, 0];
    return s.pads?.[i] ?? [0, 0];
  });
}

function spatialOf(shape: Dims | null | undefined, d: number): Dims | null {
  return shape && shape.length === d + 2 ? shape.slice(2) : null;
}

const Conv: Operator = (ctx) => {
  const group = ctx.int('group', 1);
  if (!(group >= 1)) ctx.failAttribute('group', group, 'must be a positive integer');
  let s: Spatial | null = null;
  const attrs = (w: Dims | readonly number[] | null | undefined): Spatial => {
    s ??= spatialAttrs(ctx, w ? w.length - 2 : null, known(w) ? ([...w.slice(2)] as number[]) : null);
    if (!s) return ctx.fail('weight', w, 'must have a known rank (or give kernel_shape)');
    return s;
  };
  spatialAttrs(ctx, null, null); // reads and checks the attributes at import, before shapes are known
  return {
    infer([x, w, b]) {
      const sp = attrs(w?.shape);
      const d = sp.kernel.length;
      if (x?.shape && x.shape.length !== d + 2)
        ctx.fail('input X shape', x.shape, `must have rank ${d + 2} for a ${d}-d kernel`);
      const inS = spatialOf(x?.shape, d);
      let out: Dims = new Array<number | null>(d).fill(null);
      if (known(inS)) {
        const pads = resolvePads(sp, inS);
        out = inS.map((n, i) => {
          return checkedConvOutputLength(FN, `${ctx.where}: input X shape[${i + 2}]`, {
            inputSize: n,
            kernelSize: sp.kernel[i]!,
            stride: sp.stride[i]!,
            dilation: sp.dilation[i]!,
            padBegin: pads[i]![0],
            padEnd: pads[i]![1],
          });
        });
      }
      if (
        w?.shape &&
        x?.shape &&
        w.shape[1] !== null &&
        x.shape[1] !== null &&
        w.shape[1]! * group !== x.shape[1]
      ) {
        ctx.fail(
          'input W shape',
          w.shape,
          `must have X's channels ${x.shape[1]} / group ${group} at dimension 1`,
        );
      }
      if (w?.shape?.[0] != null && w.shape[0] % group !== 0)
        ctx.fail('input W shape', w.shape, `must have a dimension 0 divisible by group ${group}`);
      checkBias(ctx, b?.shape, w?.shape?.[0] ?? null);
      return [{ dtype: 'float32', shape: [x?.shape?.[0] ?? null, w?.shape?.[0] ?? null, ...out] }];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const w = floatIn(ctx, req(ctx, inputs, 1), 1);
      const sp = attrs(w.shape);
      const pads = resolvePads(sp, x.shape.slice(2));
      return [
        conv(x, w, {
          bias: inputs[2],
          stride: sp.stride,
          dilation: sp.dilation,
          groups: group,
          padding: pads,
        }),
      ];
    },
    describe([x, w]) {
      const sp = attrs(w?.shape);
      return {
        kind: 'conv',
        ...windowParams(sp, x?.shape),
        groups: group,
        inChannels: x?.shape?.[1] ?? null,
        outChannels: w?.shape?.[0] ?? null,
      };
    },
  };
};

/** Conv's and ConvTranspose's optional bias B: one value per output channel. */
function checkBias(ctx: NodeContext, b: Dims | null | undefined, cout: number | null): void {
  if (!b) return;
  if (b.length !== 1 || (cout !== null && b[0] !== null && b[0] !== cout))
    ctx.fail('input B shape', b, `must be [${cout ?? 'M'}]: one value per output channel`);
}

function addChannelBias(y: Tensor, bias: Tensor | undefined): Tensor {
  if (!bias) return y;
  const c = y.shape[1]!;
  const inner = numel(y.shape.slice(2));
  const n = y.shape[0]!;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const v = bias.data[ch]!;
      const at = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) y.data[at + i]! += v;
    }
  return y;
}

const ConvTranspose: Operator = (ctx) => {
  const group = ctx.int('group', 1);
  if (!(group >= 1)) ctx.failAttribute('group', group, 'must be a positive integer');
  const outputPaddingAttr = ctx.ints('output_padding');
  const outputShapeAttr = ctx.ints('output_shape');
  let s: Spatial | null = null;
  const attrs = (w: Dims | readonly number[] | null | undefined): Spatial => {
    s ??= spatialAttrs(ctx, w ? w.length - 2 : null, known(w) ? ([...w.slice(2)] as number[]) : null);
    if (!s) return ctx.fail('weight', w, 'must have a known rank (or give kernel_shape)');
    const d = s.kernel.length;
    if (
      outputPaddingAttr &&
      (outputPaddingAttr.length !== d || outputPaddingAttr.some((v) => !(Number.isInteger(v) && v >= 0)))
    ) {
      ctx.failAttribute('output_padding', outputPaddingAttr, `must have ${d} non-negative integers`);
    }
    if (outputShapeAttr && outputShapeAttr.length !== d && outputShapeAttr.length !== d + 2) {
      ctx.failAttribute('output_shape', outputShapeAttr, `must have ${d} (spatial) or ${d + 2} entries`);
    }
    return s;
  };
  spatialAttrs(ctx, null, null);
  const windows = (sp: Spatial, inS: number[]): { full: number; begin: number; size: number }[] => {
    const d = sp.kernel.length;
    const outShape = outputShapeAttr ? outputShapeAttr.slice(outputShapeAttr.length - d) : null;
    return inS.map((n, i) => {
      const win = convTransposeWindow({
        inSize: n,
        stride: sp.stride[i]!,
        kernelSize: sp.kernel[i]!,
        dilation: sp.dilation[i]!,
        outputPadding: outputPaddingAttr?.[i] ?? 0,
        autoPad: sp.autoPad,
        pads: sp.pads?.[i] ?? [0, 0],
        outputShape: outShape?.[i] ?? null,
      });
      if (win.size < 1)
        ctx.fail(
          `output size along spatial dimension ${i}`,
          win.size,
          'must be at least 1 (check pads, output_shape)',
        );
      return win;
    });
  };
  return {
    infer([x, w, b]) {
      const sp = attrs(w?.shape);
      const d = sp.kernel.length;
      if (x?.shape && x.shape.length !== d + 2)
        ctx.fail('input X shape', x.shape, `must have rank ${d + 2} for a ${d}-d kernel`);
      const inS = spatialOf(x?.shape, d);
      const out: Dims = known(inS)
        ? windows(sp, inS).map((v) => v.size)
        : new Array<number | null>(d).fill(null);
      const cin = w?.shape?.[0] ?? null;
      if (cin !== null && cin % group !== 0)
        ctx.fail('input W shape', w!.shape, `must have a dimension 0 divisible by group ${group}`);
      if (cin !== null && x?.shape?.[1] != null && x.shape[1] !== cin)
        ctx.fail('input W shape', w!.shape, `must have X's channels ${x.shape[1]} at dimension 0`);
      const cout = w?.shape?.[1] != null ? w.shape[1]! * group : null;
      checkBias(ctx, b?.shape, cout);
      return [{ dtype: 'float32', shape: [x?.shape?.[0] ?? null, cout, ...out] }];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const w = floatIn(ctx, req(ctx, inputs, 1), 1);
      const sp = attrs(w.shape);
      const win = windows(sp, x.shape.slice(2));
      // The full transposed convolution, then the operator's window of it (zeros outside), then bias.
      const full = convTranspose(x, w, { stride: sp.stride, dilation: sp.dilation, groups: group });
      const cropped = win.every((v) => v.begin === 0 && v.size === v.full)
        ? full
        : A.pad(
            full,
            [0, 0, ...win.map((v) => -v.begin)],
            [0, 0, ...win.map((v) => v.size + v.begin - v.full)],
            'constant',
            0,
          );
      return [addChannelBias(cropped === full ? A.view(full, full.shape) : cropped, inputs[2])];
    },
    describe([x, w]) {
      const sp = attrs(w?.shape);
      const inS = spatialOf(x?.shape, sp.kernel.length);
      const a = outputPaddingAttr ?? sp.kernel.map(() => 0);
      const win = known(inS) ? windows(sp, inS) : null;
      const fixed = sp.autoPad === 'NOTSET' && !outputShapeAttr;
      return {
        kind: 'convTranspose',
        ...windowParams(sp, null),
        padBegin: win
          ? win.map((v) => v.begin)
          : fixed
            ? (sp.pads ?? sp.kernel.map(() => [0, 0])).map((p) => p[0])
            : null,
        padEnd: win
          ? win.map((v, i) => v.full + a[i]! - v.size - v.begin)
          : fixed
            ? (sp.pads ?? sp.kernel.map(() => [0, 0])).map((p) => p[1])
            : null,
        outputPadding: a,
        groups: group,
        inChannels: x?.shape?.[1] ?? null,
        outChannels: w?.shape?.[1] != null ? w.shape[1]! * group : null,
      };
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Pooling

interface PoolPlan {
  d: number;
  out: number[];
  /** explicit begin padding, and end padding plus ceil_mode's extra */
  begin: number[];
  end: number[];
  /** end padding of the explicit pads alone */
  explicitEnd: number[];
}

function poolPlan(ctx: NodeContext, sp: Spatial, ceilMode: boolean, inS: number[]): PoolPlan {
  const pads = resolvePads(sp, inS);
  const d = inS.length;
  const out = inS.map((n, i) => {
    const eff = effectiveKernel(sp.kernel[i]!, sp.dilation[i]!);
    const [pB, pE] = pads[i]!;
    if (sp.autoPad === 'SAME_UPPER' || sp.autoPad === 'SAME_LOWER') return Math.ceil(n / sp.stride[i]!);
    const o = windowOutputSize({
      inputSize: n,
      kernelSize: sp.kernel[i]!,
      stride: sp.stride[i]!,
      padBegin: pB,
      padEnd: pE,
      dilation: sp.dilation[i]!,
      ceilMode,
    });
    if (o < 1)
      ctx.fail(
        `input size along spatial dimension ${i}`,
        n,
        `is smaller than the dilated kernel ${eff} with pads ${show(pads[i])}`,
      );
    return o;
  });
  const begin = pads.map((p) => p[0]);
  const end = inS.map((n, i) => {
    const eff = effectiveKernel(sp.kernel[i]!, sp.dilation[i]!);
    const needed = (out[i]! - 1) * sp.stride[i]! + eff - (n + pads[i]![0]);
    return Math.max(needed, pads[i]![1]);
  });
  return { d, out, begin, end, explicitEnd: pads.map((p) => p[1]) };
}

const MAXPOOL = [maxPool1d, maxPool2d, maxPool3d];
const AVGPOOL = [avgPool1d, avgPool2d, avgPool3d];
const MAXUNPOOL = [maxUnpool1d, maxUnpool2d, maxUnpool3d];

const MaxPool: Operator = (ctx) => {
  const ceilMode = ctx.int('ceil_mode', 0) === 1;
  const storageOrder = ctx.int('storage_order', 0);
  if (storageOrder !== 0 && storageOrder !== 1)
    ctx.failAttribute('storage_order', storageOrder, 'must be 0 (row major) or 1 (column major)');
  const sp = spatialAttrs(ctx, null, null) ?? ctx.failAttribute('kernel_shape', null, 'is required');
  const d = sp.kernel.length;
  const wantIndices = (ctx.node.output ?? []).length > 1 && (ctx.node.output ?? [])[1] !== '';
  return {
    infer([x]) {
      if (x?.shape && x.shape.length !== d + 2)
        ctx.fail('input X shape', x.shape, `must have rank ${d + 2} for a ${d}-d kernel`);
      const inS = spatialOf(x?.shape, d);
      const out: Dims = known(inS)
        ? poolPlan(ctx, sp, ceilMode, inS).out
        : new Array<number | null>(d).fill(null);
      const shape = [x?.shape?.[0] ?? null, x?.shape?.[1] ?? null, ...out];
      return [
        { dtype: x?.dtype ?? 'float32', shape },
        { dtype: 'int32', shape },
      ];
    },
    run(inputs) {
      const given = req(ctx, inputs, 0);
      // integer inputs (uint8 images) pool exactly in float32 and go back to int32
      const x = given.dtype === 'int32' ? A.cast(given, 'float32') : given;
      const inS = x.shape.slice(2);
      const plan = poolPlan(ctx, sp, ceilMode, inS);
      const padded =
        plan.begin.every((b) => b === 0) && plan.end.every((e) => e === 0)
          ? x
          : A.pad(x, [0, 0, ...plan.begin], [0, 0, ...plan.end], 'constant', -Infinity);
      const r = MAXPOOL[d - 1]!(padded, {
        kernelSize: sp.kernel,
        stride: sp.stride,
        dilation: sp.dilation,
        returnIndices: true,
      });
      const output = given.dtype === 'int32' ? A.cast(r.output, 'int32') : r.output;
      if (!wantIndices) return [output];
      // deconv's indices are flat within each padded input plane; ONNX's are flat over the whole
      // unpadded tensor, row major (storage_order 0) or column major within the plane (1).
      const pShape = padded.shape.slice(2);
      const pSt = A.stridesOf(pShape);
      const plane = numel(inS);
      const st = storageOrder === 0 ? A.stridesOf(inS) : inS.map((_, i) => numel(inS.slice(0, i)));
      const perPlane = numel(plan.out);
      const idx = A.make('int32', r.indices.shape);
      for (let k = 0; k < idx.size; k++) {
        let rest = r.indices.data[k]!;
        let flat = Math.floor(k / perPlane) * plane;
        for (let j = 0; j < pShape.length; j++) {
          const c = Math.floor(rest / pSt[j]!);
          rest -= c * pSt[j]!;
          flat += (c - plan.begin[j]!) * st[j]!;
        }
        idx.data[k] = flat;
      }
      return [output, idx];
    },
    describe([x]) {
      return { kind: 'maxPool', ...windowParams(sp, x?.shape), ceilMode };
    },
  };
};

const AveragePool: Operator = (ctx) => {
  const ceilMode = ctx.int('ceil_mode', 0) === 1;
  const countIncludePad = ctx.int('count_include_pad', 0) === 1;
  const sp = spatialAttrs(ctx, null, null, false) ?? ctx.failAttribute('kernel_shape', null, 'is required');
  const d = sp.kernel.length;
  return {
    infer([x]) {
      if (x?.shape && x.shape.length !== d + 2)
        ctx.fail('input X shape', x.shape, `must have rank ${d + 2} for a ${d}-d kernel`);
      const inS = spatialOf(x?.shape, d);
      const out: Dims = known(inS)
        ? poolPlan(ctx, sp, ceilMode, inS).out
        : new Array<number | null>(d).fill(null);
      return [{ dtype: 'float32', shape: [x?.shape?.[0] ?? null, x?.shape?.[1] ?? null, ...out] }];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const inS = x.shape.slice(2);
      const plan = poolPlan(ctx, sp, ceilMode, inS);
      const pool = AVGPOOL[d - 1]!;
      const opts = { kernelSize: sp.kernel, stride: sp.stride, countIncludePad: true };
      const padded = A.pad(x, [0, 0, ...plan.begin], [0, 0, ...plan.end], 'constant', 0);
      const sums = pool(padded, opts);
      // The divisor of each window: the elements it covers in the input (count_include_pad 0), or
      // in the input with its explicit pads (1); ceil_mode's overhang never counts.
      const ones = A.make('float32', [1, 1, ...inS]);
      ones.data.fill(1);
      const mask = countIncludePad
        ? A.pad(
            A.pad(ones, [0, 0, ...plan.begin], [0, 0, ...plan.explicitEnd], 'constant', 1),
            [0, 0, ...inS.map(() => 0)],
            [0, 0, ...plan.end.map((e, i) => e - plan.explicitEnd[i]!)],
            'constant',
            0,
          )
        : A.pad(ones, [0, 0, ...plan.begin], [0, 0, ...plan.end], 'constant', 0);
      const counts = pool(mask, opts);
      return [A.broadcastMap([sums, counts], 'float32', (a, c) => a / c)];
    },
    describe([x]) {
      return { kind: 'avgPool', ...windowParams(sp, x?.shape), ceilMode, countIncludePad };
    },
  };
};

const MaxUnpool: Operator = (ctx) => {
  const sp = spatialAttrs(ctx, null, null, false) ?? ctx.failAttribute('kernel_shape', null, 'is required');
  const d = sp.kernel.length;
  const defaultOut = (inS: number[]): number[] =>
    inS.map(
      (n, i) => (n - 1) * sp.stride[i]! + sp.kernel[i]! - (sp.pads?.[i]?.[0] ?? 0) - (sp.pads?.[i]?.[1] ?? 0),
    );
  return {
    infer([x, , outShape]) {
      if (x?.shape && x.shape.length !== d + 2)
        ctx.fail('input X shape', x.shape, `must have rank ${d + 2} for a ${d}-d kernel`);
      if (outShape?.value) return [{ dtype: 'float32', shape: ints(outShape.value) }];
      if (outShape) return [{ dtype: 'float32', shape: null }];
      const inS = spatialOf(x?.shape, d);
      return [
        {
          dtype: 'float32',
          shape: [
            x?.shape?.[0] ?? null,
            x?.shape?.[1] ?? null,
            ...(known(inS) ? defaultOut(inS) : (inS ?? new Array<null>(d).fill(null))),
          ],
        },
      ];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const indices = req(ctx, inputs, 1);
      if (indices.shape.join() !== x.shape.join())
        ctx.fail('input I shape', indices.shape, `must equal X's shape ${show(x.shape)}`);
      // ONNX's reference reads the indices over the default output (the size the pooling came
      // from), then pads (or crops) that at the end to output_shape; ONNX Runtime reads them over
      // output_shape instead (and fails ONNX's test_maxunpool_export_with_output_shape).
      const spatial = defaultOut(x.shape.slice(2));
      if (spatial.some((o) => o < 1)) ctx.fail('output size', spatial, 'must be at least 1 (check pads)');
      const target = inputs[2] ? ints(inputs[2]) : null;
      if (target && (target.length !== x.ndim || target[0] !== x.shape[0] || target[1] !== x.shape[1])) {
        ctx.fail(
          'input output_shape',
          target,
          `must have rank ${x.ndim} and keep N, C = ${x.shape[0]}, ${x.shape[1]}`,
        );
      }
      const plane = numel(spatial);
      const total = plane * x.shape[0]! * x.shape[1]!;
      // ONNX's indices are flat over the whole output; deconv's within each output plane.
      const perPlane = numel(x.shape.slice(2));
      const local = A.make('int32', indices.shape);
      for (let k = 0; k < indices.size; k++) {
        const v = indices.data[k]!;
        const l = v - Math.floor(k / perPlane) * plane;
        if (!(v >= 0 && v < total) || !(l >= 0 && l < plane)) {
          ctx.fail(
            `input I[${k}]`,
            v,
            `must point into its own (n, c) plane of the output of shape ${show([x.shape[0], x.shape[1], ...spatial])}`,
          );
        }
        local.data[k] = l;
      }
      const unpadded = x.shape.slice(2).map((n, i) => (n - 1) * sp.stride[i]! + sp.kernel[i]!);
      let y: Tensor;
      if (spatial.every((o, i) => o > unpadded[i]! - sp.stride[i]! && o < unpadded[i]! + sp.stride[i]!)) {
        y = MAXUNPOOL[d - 1]!(x, local, { kernelSize: sp.kernel, stride: sp.stride, outputSize: spatial });
      } else {
        // pads of a stride or more put the size outside deconv's maxUnpool range: scatter.
        y = A.make('float32', [x.shape[0]!, x.shape[1]!, ...spatial]);
        for (let k = 0; k < indices.size; k++) y.data[indices.data[k]!] = x.data[k]!;
      }
      if (!target || target.every((t, i) => t === y.shape[i])) return [y];
      return [
        A.pad(
          y,
          x.shape.map(() => 0),
          target.map((t, i) => t - y.shape[i]!),
          'constant',
          0,
        ),
      ];
    },
    describe() {
      return { kind: 'maxUnpool', ...windowParams(sp, null) };
    },
  };
};

const globalPool =
  (max: boolean): Operator =>
  (ctx) => ({
    infer([x]) {
      return [{ dtype: 'float32', shape: x?.shape ? x.shape.map((s, i) => (i < 2 ? s : 1)) : null }];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const axes = x.shape.map((_, i) => i).slice(2);
      return [
        max
          ? A.reduce(x, axes, true, -Infinity, (a, v) => Math.max(a, v))
          : A.reduce(
              x,
              axes,
              true,
              0,
              (a, v) => a + v,
              (a, n) => a / n,
            ),
      ];
    },
  });

// ---------------------------------------------------------------------------------------------
// Resampling

const COORDS: readonly CoordinateTransformationMode[] = [
  'half_pixel',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_crop_and_resize',
  'tf_half_pixel_for_nn',
];
const NEAREST: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/**
 * Resize's options for an input of `rank` from its roi / scales / sizes values (over every
 * dimension, as ONNX gives them): N and C must keep their size.
 */
function resizeOptions(
  ctx: NodeContext,
  base: Omit<ResizeOptions, 'sizes' | 'scales' | 'roi'>,
  shape: readonly number[],
  roi: number[] | null,
  scales: number[] | null,
  sizes: number[] | null,
): ResizeOptions {
  const rank = shape.length;
  if (rank < 3 || rank > 5)
    ctx.fail('input X shape', shape, 'must have rank 3 to 5 (N, C, 1 to 3 spatial dimensions)');
  const o: ResizeOptions = { ...base };
  if (sizes && sizes.length > 0) {
    if (sizes.length !== rank) ctx.fail('input sizes', sizes, `must have ${rank} entries`);
    if (sizes[0] !== shape[0] || sizes[1] !== shape[1])
      ctx.fail(
        'input sizes',
        sizes,
        `must keep N and C (${shape[0]}, ${shape[1]}): deconv resizes spatial dimensions only`,
      );
    o.sizes = sizes.slice(2);
  } else if (scales && scales.length > 0) {
    if (scales.length !== rank) ctx.fail('input scales', scales, `must have ${rank} entries`);
    if (scales[0] !== 1 || scales[1] !== 1)
      ctx.fail('input scales', scales, 'must be 1 for N and C: deconv resizes spatial dimensions only');
    o.scales = scales.slice(2);
  } else ctx.fail('inputs scales and sizes', null, 'one of them must be given');
  if (base.coordinateTransformationMode === 'tf_crop_and_resize') {
    if (!roi || roi.length !== 2 * rank)
      ctx.fail('input roi', roi, `must have ${2 * rank} entries (starts then ends) for tf_crop_and_resize`);
    if (roi[0] !== 0 || roi[1] !== 0 || roi[rank] !== 1 || roi[rank + 1] !== 1)
      ctx.fail('input roi', roi, 'must be [0, 1] for N and C: deconv crops spatial dimensions only');
    o.roi = [...roi.slice(2, rank), ...roi.slice(rank + 2)];
  }
  return o;
}

function floats(t: Tensor | undefined): number[] | null {
  return t && t.size > 0 ? Array.from(t.data) : null;
}

const Resize: Operator = (ctx) => {
  const opset10 = ctx.opset < 11;
  const modeName = ctx.string('mode', 'nearest', ['nearest', 'linear', 'cubic']);
  const base: Omit<ResizeOptions, 'sizes' | 'scales' | 'roi'> = opset10
    ? { mode: modeName as ResizeMode, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }
    : {
        mode: modeName as ResizeMode,
        coordinateTransformationMode: ctx.string('coordinate_transformation_mode', 'half_pixel', COORDS),
        nearestMode: ctx.string('nearest_mode', 'round_prefer_floor', NEAREST),
        cubicCoeffA: ctx.float('cubic_coeff_a', -0.75),
        excludeOutside: ctx.int('exclude_outside', 0) === 1,
        extrapolationValue: ctx.float('extrapolation_value', 0),
      };
  if (opset10 && modeName === 'cubic')
    ctx.failAttribute('mode', modeName, "is not in Resize-10: must be 'nearest' or 'linear'");
  const pick = (ins: (Tensor | undefined)[]): [number[] | null, number[] | null, number[] | null] =>
    opset10 ? [null, floats(ins[1]), null] : [floats(ins[1]), floats(ins[2]), ins[3] ? ints(ins[3]) : null];
  return {
    infer(inputs) {
      const x = inputs[0];
      const values = inputs.map((i) => i?.value);
      const needed = opset10 ? [1] : [2, 3];
      const partialSizes = !opset10 ? inputs[3]?.partial : undefined;
      if (partialSizes && x?.shape && partialSizes.length === x.shape.length) {
        return [
          { dtype: 'float32', shape: [x.shape[0] ?? null, x.shape[1] ?? null, ...partialSizes.slice(2)] },
        ];
      }
      // the batch (often symbolic) does not change the spatial sizes: compute with 1 in its place
      const shape0 =
        x?.shape && x.shape[0] === null && known(x.shape.slice(1)) ? [1, ...x.shape.slice(1)] : x?.shape;
      if (!known(shape0) || needed.some((i) => inputs[i] && !inputs[i]!.value)) {
        return [
          {
            dtype: 'float32',
            shape: x?.shape
              ? [x.shape[0] ?? null, x.shape[1] ?? null, ...x.shape.slice(2).map(() => null)]
              : null,
          },
        ];
      }
      const [roi, scales, sizes] = pick(values);
      const o = resizeOptions(
        ctx,
        base,
        shape0,
        roi,
        scales,
        sizes && x?.shape?.[0] === null ? [1, ...sizes.slice(1)] : sizes,
      );
      try {
        const out: Dims = [...resizeGeometry('resize', shape0, o).outputShape];
        if (x?.shape?.[0] === null) out[0] = null;
        return [{ dtype: 'float32', shape: out }];
      } catch (e) {
        return ctx.fail('input', shape0, `cannot be resized: ${(e as Error).message}`);
      }
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      const [roi, scales, sizes] = pick(inputs);
      return [resize(x, resizeOptions(ctx, base, x.shape, roi, scales, sizes))];
    },
    describe([x]) {
      void x;
      return { kind: 'resize', resize: base };
    },
  };
};

const Upsample: Operator = (ctx) => {
  const mode = ctx.string('mode', 'nearest', ['nearest', 'linear', 'bilinear']);
  const scalesAttr = ctx.opset < 9 ? ctx.floats('scales') : null;
  const base: Omit<ResizeOptions, 'sizes' | 'scales' | 'roi'> = {
    mode: mode === 'nearest' ? 'nearest' : 'linear',
    coordinateTransformationMode: 'asymmetric',
    nearestMode: 'floor',
  };
  return {
    infer([x, s]) {
      const scales = scalesAttr ?? (s?.value ? floats(s.value) : null);
      if (!known(x?.shape) || !scales) return [{ dtype: 'float32', shape: null }];
      return [
        {
          dtype: 'float32',
          shape: [
            ...resizeGeometry('resize', x.shape, resizeOptions(ctx, base, x.shape, null, scales, null))
              .outputShape,
          ],
        },
      ];
    },
    run(inputs) {
      const x = floatIn(ctx, req(ctx, inputs, 0), 0);
      return [resize(x, resizeOptions(ctx, base, x.shape, null, scalesAttr ?? floats(inputs[1]), null))];
    },
    describe([x]) {
      void x;
      return { kind: 'resize', resize: base };
    },
  };
};

const DepthToSpace: Operator = (ctx) => {
  const b = ctx.int('blocksize', 0);
  if (!(b >= 1)) ctx.failAttribute('blocksize', b, 'must be a positive integer');
  const mode = ctx.string('mode', 'DCR', ['DCR', 'CRD']);
  return {
    infer([x]) {
      const s = x?.shape;
      if (s && s.length !== 4) ctx.fail('input shape', s, 'must have rank 4 (N, C, H, W)');
      if (s && s[1] !== null && s[1]! % (b * b) !== 0)
        ctx.fail('input channels', s[1], `must be divisible by blocksize² = ${b * b}`);
      return [
        {
          dtype: x?.dtype ?? 'float32',
          shape: s
            ? [
                s[0]!,
                s[1] === null ? null : s[1]! / (b * b),
                s[2] === null ? null : s[2]! * b,
                s[3] === null ? null : s[3]! * b,
              ]
            : null,
        },
      ];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const [n, c, h, w] = x.shape as [number, number, number, number];
      if (mode === 'CRD') return [pixelShuffle(x, b)]; // (N, C/b², b, b, H, W) order: pixel shuffle
      // DCR: (N, b, b, C/b², H, W) -> (N, C/b², H, b, W, b)
      const t = A.transpose(A.view(x, [n, b, b, c / (b * b), h, w]), [0, 3, 4, 1, 5, 2]);
      return [A.view(t, [n, c / (b * b), h * b, w * b])];
    },
    describe([x]) {
      void x;
      return { kind: 'depthToSpace', blocksize: b, mode };
    },
  };
};

const SpaceToDepth: Operator = (ctx) => {
  const b = ctx.int('blocksize', 0);
  if (!(b >= 1)) ctx.failAttribute('blocksize', b, 'must be a positive integer');
  return {
    infer([x]) {
      const s = x?.shape;
      if (s && s.length !== 4) ctx.fail('input shape', s, 'must have rank 4 (N, C, H, W)');
      for (const i of [2, 3])
        if (s && s[i] !== null && s[i]! % b !== 0)
          ctx.fail(`input dimension ${i}`, s[i], `must be divisible by blocksize = ${b}`);
      return [
        {
          dtype: x?.dtype ?? 'float32',
          shape: s
            ? [
                s[0]!,
                s[1] === null ? null : s[1]! * b * b,
                s[2] === null ? null : s[2]! / b,
                s[3] === null ? null : s[3]! / b,
              ]
            : null,
        },
      ];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const [n, c, h, w] = x.shape as [number, number, number, number];
      // (N, C, H/b, b, W/b, b) -> (N, b, b, C, H/b, W/b)
      const t = A.transpose(A.view(x, [n, c, h / b, b, w / b, b]), [0, 3, 5, 1, 2, 4]);
      return [A.view(t, [n, c * b * b, h / b, w / b])];
    },
    describe: () => ({ kind: 'spaceToDepth', blocksize: b }),
  };
};

// ---------------------------------------------------------------------------------------------
// Element-wise

function unary(f: (v: number) => number, keepInt = false): Operator {
  return (ctx) => ({
    infer([x]) {
      return [{ dtype: keepInt ? (x?.dtype ?? 'float32') : 'float32', shape: x?.shape ?? null }];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      return [A.broadcastMap([x], keepInt ? (x.dtype as 'float32') : 'float32', f)];
    },
  });
}

function binaryInfer(inputs: (Info | undefined)[], dtype?: 'float32' | 'int32'): (Info | undefined)[] {
  const shapes = inputs.map((i) => i?.shape);
  let shape: Dims | null = null;
  if (shapes.every((s) => s)) {
    const rank = Math.max(...shapes.map((s) => s!.length));
    shape = new Array<number | null>(rank).fill(1);
    for (const s of shapes) {
      s!.forEach((v, i) => {
        const d = rank - s!.length + i;
        if (v === null) {
          if (shape![d] === 1) shape![d] = null;
        } else if (v !== 1) shape![d] = v;
      });
    }
  }
  return [{ dtype: dtype ?? inputs[0]?.dtype ?? 'float32', shape }];
}

function binary(
  f: (a: number, b: number) => number,
  intF?: (a: number, b: number) => number,
  typeOfBase = false,
): Operator {
  return (ctx) => ({
    infer(inputs) {
      const s = inputs.map((i) => i?.shape);
      if (s.every(known) && !A.broadcastShape(s as number[][]))
        ctx.fail('input shapes', s, 'do not broadcast');
      return binaryInfer(inputs);
    },
    run(inputs) {
      const a = req(ctx, inputs, 0);
      const b = req(ctx, inputs, 1);
      if (!A.broadcastShape([a.shape, b.shape]))
        ctx.fail('input shapes', [a.shape, b.shape], 'do not broadcast');
      // Pow's result has its base's type; the other operators' inputs share one type
      const isInt = a.dtype === 'int32' && (b.dtype === 'int32' || typeOfBase);
      return [A.broadcastMap([a, b], isInt ? 'int32' : 'float32', isInt && intF ? intF : f)];
    },
  });
}

function variadic(
  init: number,
  step: (a: number, v: number) => number,
  finish: (a: number, n: number) => number = (a) => a,
): Operator {
  return (ctx) => ({
    infer: (inputs) => binaryInfer(inputs),
    run(inputs) {
      const xs = inputs.filter((t): t is Tensor => !!t);
      if (!A.broadcastShape(xs.map((t) => t.shape)))
        ctx.fail(
          'input shapes',
          xs.map((t) => t.shape),
          'do not broadcast',
        );
      return [
        A.broadcastMap(xs, xs.every((t) => t.dtype === 'int32') ? 'int32' : 'float32', (...v) =>
          finish(
            v.reduce((a, x) => step(a, x), init),
            v.length,
          ),
        ),
      ];
    },
  });
}

const Clip: Operator = (ctx) => {
  const minAttr = ctx.opset < 11 ? ctx.float('min', -Infinity) : -Infinity;
  const maxAttr = ctx.opset < 11 ? ctx.float('max', Infinity) : Infinity;
  return {
    infer: ([x]) => [{ dtype: x?.dtype ?? 'float32', shape: x?.shape ?? null }],
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const lo = inputs[1] ? inputs[1].data[0]! : minAttr;
      const hi = inputs[2] ? inputs[2].data[0]! : maxAttr;
      return [A.broadcastMap([x], x.dtype as 'float32', (v) => Math.min(Math.max(v, lo), hi))];
    },
  };
};

const f32 = Math.fround;
function alphaUnary(f: (ctx: NodeContext) => (v: number) => number): Operator {
  return (ctx) => unary(f(ctx))(ctx);
}

const softmax =
  (log: boolean): Operator =>
  (ctx) => {
    const axisAttr = ctx.int('axis', ctx.opset < 13 ? 1 : -1);
    return {
      infer: ([x]) => [{ dtype: 'float32', shape: x?.shape ?? null }],
      run(inputs) {
        const x = floatIn(ctx, req(ctx, inputs, 0), 0);
        const axis = normAxis(ctx, axisAttr, x.ndim);
        // opset < 13 flattens to 2-d at `axis`; 13+ normalises along `axis` alone.
        const outer = numel(x.shape.slice(0, axis));
        const [len, inner] =
          ctx.opset < 13 ? [numel(x.shape.slice(axis)), 1] : [x.shape[axis]!, numel(x.shape.slice(axis + 1))];
        const y = A.make('float32', x.shape);
        for (let o = 0; o < outer; o++)
          for (let i = 0; i < inner; i++) {
            const at = (k: number): number => (o * len + k) * inner + i;
            let m = -Infinity;
            for (let k = 0; k < len; k++) m = Math.max(m, x.data[at(k)]!);
            let s = 0;
            for (let k = 0; k < len; k++) s += Math.exp(x.data[at(k)]! - m);
            for (let k = 0; k < len; k++)
              y.data[at(k)] = log ? x.data[at(k)]! - m - Math.log(s) : Math.exp(x.data[at(k)]! - m) / s;
          }
        return [y];
      },
    };
  };

// ---------------------------------------------------------------------------------------------
// Normalisation, linear algebra

/**
 * Checks that each per-channel input (scale, bias, mean, var) holds the C values of x's channels:
 * on shapes at import where they are known, on the tensors at run time.
 */
function checkPerChannel(
  ctx: NodeContext,
  x: Dims | readonly number[] | null | undefined,
  inputs: readonly (Dims | readonly number[] | null | undefined)[],
  names: readonly string[],
): void {
  if (!x) return;
  if (x.length < 2) ctx.fail('input X shape', x, 'must be (N, C, *) with at least 2 dimensions');
  const c = x[1];
  inputs.forEach((shape, k) => {
    if (!shape || c === null || c === undefined) return;
    if (shape.length !== 1 || (shape[0] !== null && shape[0] !== c))
      ctx.fail(`input ${names[k]} shape`, shape, `must be [${c}]: one value per channel of X`);
  });
}

/**
 * BatchNormalization. Inference (the default): Y = scale · (X − mean) / √(var + ε) + B with the
 * given statistics. `training_mode = 1` (opset 14+, ONNX 1.12's reference `_batchnorm_training_mode`):
 * Y is normalised with this batch's mean and biased variance over N and every spatial position,
 * and the optional outputs are the updated running statistics,
 * `running = input · momentum + batch · (1 − momentum)` (the biased batch variance, as ONNX's
 * reference; PyTorch's `momentum` is 1 − ONNX's and it updates with the unbiased variance).
 */
const BatchNormalization: Operator = (ctx) => {
  const epsilon = ctx.float('epsilon', 1e-5);
  const momentum = ctx.float('momentum', 0.9);
  const training = ctx.opset >= 14 ? ctx.int('training_mode', 0) : 0;
  if (training !== 0 && training !== 1) ctx.failAttribute('training_mode', training, 'must be 0 or 1');
  if (ctx.opset < 9 && ctx.has('spatial')) {
    const spatial = ctx.int('spatial', 1);
    if (spatial !== 1)
      ctx.failAttribute('spatial', spatial, 'is not supported: statistics per channel (spatial = 1) only');
  }
  if (ctx.opset < 7 && ctx.has('is_test')) ctx.int('is_test', 1);
  if (ctx.opset < 6 && ctx.has('consumed_inputs')) ctx.ints('consumed_inputs');
  const outs = ctx.node.output ?? [];
  if (ctx.opset < 14 && outs.slice(1).some((o) => o !== ''))
    ctx.fail(
      'outputs',
      outs,
      'must be only Y: the training outputs of opsets before 14 (mean, var, saved_mean, saved_var) are not supported; opset 14 and later have training_mode',
    );
  if (ctx.opset >= 14 && training === 0 && outs.slice(1).some((o) => o !== ''))
    ctx.fail(
      'outputs',
      outs,
      'must be only Y when training_mode = 0 (running_mean and running_var are training outputs)',
    );
  if (outs.length > 3) ctx.fail('outputs', outs, 'must be at most Y, running_mean, running_var');
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  return {
    infer(inputs) {
      const x = inputs[0]?.shape;
      checkPerChannel(
        ctx,
        x,
        inputs.slice(1, 5).map((i) => i?.shape),
        names,
      );
      const c = x && x.length >= 2 ? x[1]! : null;
      return [
        { dtype: 'float32', shape: x ?? null },
        { dtype: 'float32', shape: [c] },
        { dtype: 'float32', shape: [c] },
      ];
    },
    run(inputs) {
      const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => req(ctx, inputs, i));
      checkPerChannel(
        ctx,
        x!.shape,
        [scale!, bias!, mean!, variance!].map((t) => t.shape),
        names,
      );
      const [n, c] = [x!.shape[0]!, x!.shape[1]!];
      const inner = numel(x!.shape.slice(2));
      const y = A.make('float32', x!.shape);
      const runningMean = A.make('float32', [c]);
      const runningVar = A.make('float32', [c]);
      for (let ch = 0; ch < c; ch++) {
        let m = mean!.data[ch]!;
        let v = variance!.data[ch]!;
        if (training) {
          // this batch's statistics, in float64
          let s = 0;
          for (let b = 0; b < n; b++)
            for (let i = 0, at = (b * c + ch) * inner; i < inner; i++) s += x!.data[at + i]!;
          const count = n * inner;
          m = s / count;
          let q = 0;
          for (let b = 0; b < n; b++)
            for (let i = 0, at = (b * c + ch) * inner; i < inner; i++) q += (x!.data[at + i]! - m) ** 2;
          v = q / count;
          runningMean.data[ch] = mean!.data[ch]! * momentum + m * (1 - momentum);
          runningVar.data[ch] = variance!.data[ch]! * momentum + v * (1 - momentum);
        }
        const k = scale!.data[ch]! / Math.sqrt(v + epsilon);
        const sh = bias!.data[ch]! - m * k;
        for (let b = 0; b < n; b++)
          for (let i = 0, at = (b * c + ch) * inner; i < inner; i++)
            y.data[at + i] = x!.data[at + i]! * k + sh;
      }
      return training ? [y, runningMean, runningVar] : [y];
    },
  };
};

const InstanceNormalization: Operator = (ctx) => {
  const epsilon = ctx.float('epsilon', 1e-5);
  return {
    infer(inputs) {
      checkPerChannel(ctx, inputs[0]?.shape, [inputs[1]?.shape, inputs[2]?.shape], ['scale', 'B']);
      return [{ dtype: 'float32', shape: inputs[0]?.shape ?? null }];
    },
    run(inputs) {
      const [x, scale, bias] = [0, 1, 2].map((i) => req(ctx, inputs, i));
      checkPerChannel(ctx, x!.shape, [scale!.shape, bias!.shape], ['scale', 'B']);
      const c = x!.shape[1]!;
      const inner = numel(x!.shape.slice(2));
      const y = A.make('float32', x!.shape);
      for (let n = 0; n < x!.shape[0]!; n++)
        for (let ch = 0; ch < c; ch++) {
          const at = (n * c + ch) * inner;
          let m = 0;
          for (let i = 0; i < inner; i++) m += x!.data[at + i]!;
          m /= inner;
          let v = 0;
          for (let i = 0; i < inner; i++) v += (x!.data[at + i]! - m) ** 2;
          v /= inner;
          const k = scale!.data[ch]! / Math.sqrt(v + epsilon);
          for (let i = 0; i < inner; i++) y.data[at + i] = (x!.data[at + i]! - m) * k + bias!.data[ch]!;
        }
      return [y];
    },
  };
};

const Gemm: Operator = (ctx) => {
  const alpha = ctx.float('alpha', 1);
  const beta = ctx.float('beta', 1);
  const transA = ctx.int('transA', 0) === 1;
  const transB = ctx.int('transB', 0) === 1;
  if (ctx.opset < 7 && ctx.has('broadcast')) ctx.int('broadcast', 0);
  return {
    infer([a, b]) {
      const m = a?.shape ? (a.shape[transA ? 1 : 0] ?? null) : null;
      const n = b?.shape ? (b.shape[transB ? 0 : 1] ?? null) : null;
      return [{ dtype: 'float32', shape: [m, n] }];
    },
    run(inputs) {
      let a = floatIn(ctx, req(ctx, inputs, 0), 0);
      let b = floatIn(ctx, req(ctx, inputs, 1), 1);
      if (transA) a = A.transpose(a, [1, 0]);
      if (transB) b = A.transpose(b, [1, 0]);
      if (a.shape[1] !== b.shape[0]) ctx.fail('input shapes', [a.shape, b.shape], 'do not multiply');
      const ab = A.matmul(a, b);
      const c = inputs[2];
      if (!c) return [alpha === 1 ? ab : A.broadcastMap([ab], 'float32', (v) => alpha * v)];
      return [A.broadcastMap([ab, c], 'float32', (v, w) => alpha * v + beta * w)];
    },
  };
};

const MatMul: Operator = (ctx) => ({
  run(inputs) {
    const a = floatIn(ctx, req(ctx, inputs, 0), 0);
    const b = floatIn(ctx, req(ctx, inputs, 1), 1);
    const k1 = a.shape[a.ndim - 1];
    const k2 = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
    if (k1 !== k2) ctx.fail('input shapes', [a.shape, b.shape], 'do not multiply');
    return [A.matmul(a, b)];
  },
});

// ---------------------------------------------------------------------------------------------
// Reductions

function reduction(
  init: number,
  step: (a: number, v: number) => number,
  finish?: (a: number, n: number) => number,
): Operator {
  return (ctx) => {
    const axesFromInput = ctx.op === 'ReduceSum' ? ctx.opset >= 13 : ctx.opset >= 18;
    const axesAttr = axesFromInput ? null : ctx.ints('axes');
    const keepDims = ctx.int('keepdims', 1) === 1;
    const noopWithEmpty = axesFromInput ? ctx.int('noop_with_empty_axes', 0) === 1 : false;
    return {
      run(inputs) {
        const x = req(ctx, inputs, 0);
        const given = axesFromInput ? (inputs[1] ? ints(inputs[1]) : null) : axesAttr;
        if ((given === null || given.length === 0) && noopWithEmpty) return [x];
        const axes = (
          given && given.length > 0
            ? given.map((a) => normAxis(ctx, a, x.ndim, 'axes'))
            : x.shape.map((_, i) => i)
        ).sort((p, q) => p - q);
        return [A.reduce(x, axes, keepDims, init, step, finish)];
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Layout and indexing

const Identity: Operator = (ctx) => ({
  infer: ([x]) => [x ? { ...x } : undefined],
  run: (inputs) => [req(ctx, inputs, 0)],
});

const Dropout: Operator = (ctx) => {
  if (ctx.opset < 12) ctx.float('ratio', 0.5);
  if (ctx.opset < 7 && ctx.has('is_test')) ctx.int('is_test', 1);
  if (ctx.opset >= 12) ctx.int('seed', 0);
  return {
    infer: ([x]) => [
      x ? { dtype: x.dtype, shape: x.shape } : undefined,
      { dtype: 'int32', shape: x?.shape ?? null },
    ],
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const training = inputs[2];
      if (training && training.data[0] !== 0)
        ctx.fail('input training_mode', 1, 'is not supported: imported models run in inference mode');
      const mask = A.make('int32', x.shape);
      mask.data.fill(1);
      return [x, mask];
    },
  };
};

const Constant: Operator = (ctx) => {
  let value: Tensor | null = ctx.tensor('value');
  const vf = ctx.has('value_float') ? ctx.float('value_float', 0) : null;
  const vfs = ctx.floats('value_floats');
  const vi = ctx.has('value_int') ? ctx.int('value_int', 0) : null;
  const vis = ctx.ints('value_ints');
  if (ctx.has('sparse_value') || ctx.has('value_string') || ctx.has('value_strings'))
    ctx.failAttribute('value_string / sparse_value', '…', 'is not supported');
  if (value === null) {
    if (vf !== null) value = A.make('float32', [], Float32Array.of(vf));
    else if (vfs) value = A.make('float32', [vfs.length], Float32Array.from(vfs));
    else if (vi !== null) value = A.make('int32', [], Int32Array.of(clampInt(vi)));
    else if (vis) value = A.make('int32', [vis.length], Int32Array.from(vis.map(clampInt)));
  }
  const v: Tensor = value ?? ctx.failAttribute('value', null, 'is required');
  return { infer: () => [{ dtype: v.dtype as 'float32', shape: [...v.shape], value: v }], run: () => [v] };
};

function clampInt(v: number): number {
  return Math.min(Math.max(v, -(2 ** 31)), 2 ** 31 - 1);
}

const ConstantOfShape: Operator = (ctx) => {
  const value = ctx.tensor('value') ?? A.make('float32', [1]);
  return {
    run(inputs) {
      const shape = ints(req(ctx, inputs, 0));
      if (shape.some((s) => s < 0)) ctx.fail('input', shape, 'must hold non-negative sizes');
      const y = A.make(value.dtype as 'float32', shape);
      y.data.fill(value.data[0] ?? 0);
      return [y];
    },
  };
};

const Shape: Operator = (ctx) => {
  const start = ctx.opset >= 15 ? ctx.int('start', 0) : 0;
  const end = ctx.opset >= 15 && ctx.has('end') ? ctx.int('end', 0) : null;
  const range = (rank: number): [number, number] => {
    const c = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    return [c(start), end === null ? rank : c(end)];
  };
  return {
    infer([x]) {
      if (!x?.shape) return [{ dtype: 'int32', shape: null }];
      const [b, e] = range(x.shape.length);
      const dims = x.shape.slice(b, e);
      return [
        {
          dtype: 'int32',
          shape: [Math.max(0, e - b)],
          value: known(dims) ? A.make('int32', [dims.length], Int32Array.from(dims)) : undefined,
        },
      ];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const [b, e] = range(x.ndim);
      const dims = x.shape.slice(b, e);
      return [A.make('int32', [dims.length], Int32Array.from(dims))];
    },
  };
};

const Cast: Operator = (ctx) => {
  const to = ctx.int('to', 0);
  const dtype =
    dtypeOf(to) ??
    ctx.failAttribute('to', TYPE_NAMES[to] ?? to, 'is not supported: must be a float or integer type');
  return {
    infer: ([x]) => [{ dtype, shape: x?.shape ?? null }],
    run(inputs) {
      const x = req(ctx, inputs, 0);
      if (to === DataType.BOOL) return [A.broadcastMap([x], 'int32', (v) => (v !== 0 ? 1 : 0))];
      return [A.cast(x, dtype)];
    },
  };
};

function reshapeTarget(
  ctx: NodeContext,
  input: readonly number[],
  target: number[],
  allowZero: boolean,
): number[] {
  const out = target.map((t, i) => (t === 0 && !allowZero ? input[i]! : t));
  const minus = out.filter((t) => t === -1).length;
  if (minus > 1) ctx.fail('input shape', target, 'may hold at most one −1');
  const known = out.filter((t) => t !== -1).reduce((a, b) => a * b, 1);
  const total = numel(input);
  if (minus === 1) out[out.indexOf(-1)] = known === 0 ? 0 : total / known;
  if (numel(out) !== total || out.some((t) => !Number.isInteger(t) || t < 0))
    ctx.fail('input shape', target, `cannot reshape ${show(input)} (${total} elements)`);
  return out;
}

const Reshape: Operator = (ctx) => {
  const allowZero = ctx.opset >= 14 && ctx.int('allowzero', 0) === 1;
  const shapeAttr = ctx.opset < 5 ? ctx.ints('shape') : null;
  return {
    infer([x, s]) {
      const target = shapeAttr ?? (s?.value ? ints(s.value) : null);
      if (target && known(x?.shape))
        return [{ dtype: x.dtype, shape: reshapeTarget(ctx, x.shape, target, allowZero) }];
      return [{ dtype: x?.dtype ?? 'float32', shape: target ? target.map((t) => (t > 0 ? t : null)) : null }];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      return [A.view(x, reshapeTarget(ctx, x.shape, shapeAttr ?? ints(req(ctx, inputs, 1)), allowZero))];
    },
  };
};

const Flatten: Operator = (ctx) => {
  const axisAttr = ctx.int('axis', 1);
  return {
    infer([x]) {
      if (!x?.shape) return [{ dtype: x?.dtype ?? 'float32', shape: null }];
      const axis = axisAttr < 0 ? axisAttr + x.shape.length : axisAttr;
      const prod = (v: Dims): number | null =>
        v.every((s) => s !== null) ? v.reduce<number>((a, s) => a * s!, 1) : null;
      return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const axis = axisAttr < 0 ? axisAttr + x.ndim : axisAttr;
      if (!(axis >= 0 && axis <= x.ndim))
        ctx.failAttribute('axis', axisAttr, `must be in [${-x.ndim}, ${x.ndim}]`);
      return [A.view(x, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))])];
    },
  };
};

const Transpose: Operator = (ctx) => {
  const permAttr = ctx.ints('perm');
  return {
    infer([x]) {
      if (!x?.shape) return [{ dtype: x?.dtype ?? 'float32', shape: null }];
      const perm = permAttr ?? x.shape.map((_, i) => x.shape!.length - 1 - i);
      if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i))
        ctx.failAttribute('perm', perm, `must be a permutation of 0 … ${x.shape.length - 1}`);
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape![p]!) }];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      return [A.transpose(x, permAttr ?? x.shape.map((_, i) => x.ndim - 1 - i))];
    },
  };
};

const squeeze =
  (un: boolean): Operator =>
  (ctx) => {
    const axesAttr = ctx.opset < 13 ? ctx.ints('axes') : null;
    return {
      run(inputs) {
        const x = req(ctx, inputs, 0);
        const given = axesAttr ?? (inputs[1] ? ints(inputs[1]) : null);
        if (un) {
          if (!given) return ctx.fail('axes', given, 'are required');
          const rank = x.ndim + given.length;
          const axes = given.map((a) => normAxis(ctx, a, rank, 'axes'));
          const shape: number[] = [];
          let k = 0;
          for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]!);
          return [A.view(x, shape)];
        }
        const axes = given
          ? given.map((a) => normAxis(ctx, a, x.ndim, 'axes'))
          : x.shape.flatMap((s, i) => (s === 1 ? [i] : []));
        axes.forEach((a) => {
          if (x.shape[a] !== 1)
            ctx.fail('axes', given, `must name dimensions of size 1 (dimension ${a} has ${x.shape[a]})`);
        });
        return [
          A.view(
            x,
            x.shape.filter((_, i) => !axes.includes(i)),
          ),
        ];
      },
    };
  };

const Concat: Operator = (ctx) => {
  const axisAttr = ctx.int('axis', 0);
  return {
    infer(inputs) {
      const xs = inputs.filter((i): i is Info => !!i);
      if (!xs.every((i) => i.shape)) return [{ dtype: xs[0]?.dtype ?? 'float32', shape: null }];
      const rank = xs[0]!.shape!.length;
      const axis = normAxis(ctx, axisAttr, rank);
      const shape = [...xs[0]!.shape!];
      shape[axis] = xs.every((i) => i.shape![axis] !== null)
        ? xs.reduce((a, i) => a + i.shape![axis]!, 0)
        : null;
      return [{ dtype: xs[0]!.dtype, shape }];
    },
    run(inputs) {
      const xs = inputs.filter((t): t is Tensor => !!t);
      const axis = normAxis(ctx, axisAttr, xs[0]!.ndim);
      xs.forEach((t, k) => {
        if (t.ndim !== xs[0]!.ndim || t.shape.some((s, i) => i !== axis && s !== xs[0]!.shape[i]))
          ctx.fail(`input ${k} shape`, t.shape, `must match ${show(xs[0]!.shape)} except along axis ${axis}`);
      });
      return [
        A.concat(
          xs.filter((t) => t.size > 0 || xs.every((u) => u.size === 0)),
          axis,
        ),
      ];
    },
  };
};

const Split: Operator = (ctx) => {
  const axisAttr = ctx.int('axis', 0);
  const splitAttr = ctx.opset < 13 ? ctx.ints('split') : null;
  const outputs = (ctx.node.output ?? []).length;
  return {
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const axis = normAxis(ctx, axisAttr, x.ndim);
      const n = x.shape[axis]!;
      const parts =
        splitAttr ??
        (inputs[1]
          ? ints(inputs[1])
          : new Array<number>(outputs)
              .fill(Math.ceil(n / outputs))
              .map((s, i) => Math.min(s, Math.max(0, n - i * s))));
      if (parts.reduce((a, b) => a + b, 0) !== n || parts.length !== outputs)
        ctx.fail('split', parts, `must have ${outputs} parts summing to ${n}`);
      let at = 0;
      return parts.map((p) => {
        const starts = x.shape.map((_, i) => (i === axis ? at : 0));
        const shape = x.shape.map((s, i) => (i === axis ? p : s));
        at += p;
        return A.slice(
          x,
          starts,
          x.shape.map(() => 1),
          shape,
        );
      });
    },
  };
};

const Slice: Operator = (ctx) => {
  const fromAttrs = ctx.opset < 10;
  const sA = fromAttrs ? ctx.ints('starts') : null;
  const eA = fromAttrs ? ctx.ints('ends') : null;
  const aA = fromAttrs ? ctx.ints('axes') : null;
  const plan = (
    x: readonly number[],
    startsIn: number[],
    endsIn: number[],
    axesIn: number[] | null,
    stepsIn: number[] | null,
  ): { starts: number[]; steps: number[]; shape: number[] } => {
    const starts = x.map(() => 0);
    const steps = x.map(() => 1);
    const shape = [...x];
    const axes = axesIn ?? startsIn.map((_, i) => i);
    axes.forEach((a0, k) => {
      const a = normAxis(ctx, a0, x.length, 'axes');
      const n = x[a]!;
      const step = stepsIn?.[k] ?? 1;
      if (step === 0) ctx.fail('steps', stepsIn, 'must not hold 0');
      let s = startsIn[k]!;
      let e = endsIn[k]!;
      s = s < 0 ? s + n : s;
      e = e < 0 ? e + n : e;
      if (step > 0) {
        s = Math.min(Math.max(s, 0), n);
        e = Math.min(Math.max(e, 0), n);
      } else {
        s = Math.min(Math.max(s, 0), n - 1);
        e = Math.min(Math.max(e, -1), n - 1);
      }
      starts[a] = s;
      steps[a] = step;
      shape[a] = Math.max(0, Math.ceil((e - s) / step));
    });
    return { starts, steps, shape };
  };
  return {
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const p = fromAttrs
        ? plan(x.shape, sA ?? [], eA ?? [], aA, null)
        : plan(
            x.shape,
            ints(req(ctx, inputs, 1)),
            ints(req(ctx, inputs, 2)),
            inputs[3] ? ints(inputs[3]) : null,
            inputs[4] ? ints(inputs[4]) : null,
          );
      return [A.slice(x, p.starts, p.steps, p.shape)];
    },
  };
};

const Pad: Operator = (ctx) => {
  const mode = ctx.string('mode', 'constant', ['constant', 'reflect', 'edge']);
  const padsAttr = ctx.opset < 11 ? ctx.ints(ctx.opset < 2 ? 'paddings' : 'pads') : null;
  const valueAttr = ctx.opset < 11 ? ctx.float('value', 0) : 0;
  return {
    infer([x, p, , axes]) {
      const pads = padsAttr ?? (p?.value ? ints(p.value) : null);
      if (!x?.shape || !pads || axes || pads.length !== 2 * x.shape.length)
        return [{ dtype: x?.dtype ?? 'float32', shape: null }];
      const r = x.shape.length;
      return [
        { dtype: x.dtype, shape: x.shape.map((v, i) => (v === null ? null : v + pads[i]! + pads[r + i]!)) },
      ];
    },
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const pads = padsAttr ?? ints(req(ctx, inputs, 1));
      const value = ctx.opset < 11 ? valueAttr : inputs[2] ? inputs[2].data[0]! : 0;
      let begin: number[];
      let end: number[];
      if (inputs[3]) {
        const axes = ints(inputs[3]).map((a) => normAxis(ctx, a, x.ndim, 'axes'));
        begin = x.shape.map(() => 0);
        end = x.shape.map(() => 0);
        axes.forEach((a, k) => {
          begin[a] = pads[k]!;
          end[a] = pads[axes.length + k]!;
        });
      } else {
        if (pads.length !== 2 * x.ndim) ctx.fail('pads', pads, `must have ${2 * x.ndim} entries`);
        begin = pads.slice(0, x.ndim);
        end = pads.slice(x.ndim);
      }
      return [A.pad(x, begin, end, mode, value)];
    },
  };
};

const Gather: Operator = (ctx) => {
  const axisAttr = ctx.int('axis', 0);
  return {
    run(inputs) {
      const x = req(ctx, inputs, 0);
      const idx = req(ctx, inputs, 1);
      const axis = normAxis(ctx, axisAttr, x.ndim);
      const n = x.shape[axis]!;
      for (let k = 0; k < idx.size; k++) {
        const v = idx.data[k]!;
        if (!(v >= -n && v < n)) ctx.fail(`input indices[${k}]`, v, `must be in [${-n}, ${n - 1}]`);
      }
      return [A.gather(x, idx, axis)];
    },
  };
};

const Expand: Operator = (ctx) => ({
  run(inputs) {
    const x = req(ctx, inputs, 0);
    const shape = ints(req(ctx, inputs, 1));
    const to = A.broadcastShape([x.shape, shape]);
    if (!to) return ctx.fail('input shape', shape, `does not broadcast with ${show(x.shape)}`);
    const zero = A.make(x.dtype as 'float32', to);
    return [A.broadcastMap([x, zero], x.dtype as 'float32', (v) => v)];
  },
});

const Tile: Operator = (ctx) => ({
  run(inputs) {
    const x = req(ctx, inputs, 0);
    const reps = ints(req(ctx, inputs, 1));
    if (reps.length !== x.ndim) ctx.fail('input repeats', reps, `must have ${x.ndim} entries`);
    let y = x;
    reps.forEach((r, axis) => {
      if (r !== 1) y = A.concat(new Array<Tensor>(r).fill(y), axis);
    });
    return [y];
  },
});

/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under float32's rounding at 1). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x < 0 ? -y : y;
}

const ScatterElements: Operator = (ctx) => {
  const axisAttr = ctx.int('axis', 0);
  if (ctx.opset >= 16) ctx.string('reduction', 'none', ['none']);
  return {
    infer: ([x]) => [x ? { dtype: x.dtype, shape: x.shape } : undefined],
    run(inputs) {
      const [x, idx, upd] = [0, 1, 2].map((i) => req(ctx, inputs, i)) as [Tensor, Tensor, Tensor];
      const axis = normAxis(ctx, axisAttr, x.ndim);
      if (idx.shape.join() !== upd.shape.join() || idx.ndim !== x.ndim)
        ctx.fail(
          'input indices shape',
          idx.shape,
          `must equal updates' shape ${show(upd.shape)} and have rank ${x.ndim}`,
        );
      const y = A.make(x.dtype as 'float32', x.shape, x.data.slice() as A.Data);
      const st = A.stridesOf(x.shape);
      const ist = A.stridesOf(idx.shape);
      const n = x.shape[axis]!;
      for (let k = 0; k < idx.size; k++) {
        let rest = k;
        let at = 0;
        for (let d = 0; d < idx.ndim; d++) {
          const c = Math.floor(rest / ist[d]!);
          rest -= c * ist[d]!;
          if (d !== axis) at += c * st[d]!;
        }
        let i = idx.data[k]!;
        if (!(i >= -n && i < n)) ctx.fail(`input indices[${k}]`, i, `must be in [${-n}, ${n - 1}]`);
        if (i < 0) i += n;
        y.data[at + i * st[axis]!] = upd.data[k]!;
      }
      return [y];
    },
  };
};

const intDiv = (a: number, b: number): number => Math.trunc(a / b);

/** Every operator deconv imports, by ONNX op type (default domain). */
export const OPERATORS: Record<string, Operator> = {
  Conv,
  ConvTranspose,
  MaxPool,
  AveragePool,
  GlobalAveragePool: globalPool(false),
  GlobalMaxPool: globalPool(true),
  MaxUnpool,
  Resize,
  Upsample,
  DepthToSpace,
  SpaceToDepth,
  BatchNormalization,
  InstanceNormalization,
  Relu: unary((v) => Math.max(v, 0), true),
  Sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  Tanh: unary(Math.tanh),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Abs: unary(Math.abs, true),
  Neg: unary((v) => -v, true),
  Reciprocal: unary((v) => 1 / v),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Erf: unary(erf),
  Softplus: unary((v) => Math.log(Math.exp(v) + 1)),
  LeakyRelu: alphaUnary((c) => {
    const a = c.float('alpha', 0.01);
    return (v) => (v >= 0 ? v : a * v);
  }),
  Elu: alphaUnary((c) => {
    const a = c.float('alpha', 1);
    return (v) => (v >= 0 ? v : a * (Math.exp(v) - 1));
  }),
  Selu: alphaUnary((c) => {
    const a = c.float('alpha', f32(1.67326319217681884765625));
    const g = c.float('gamma', f32(1.05070102214813232421875));
    return (v) => (v > 0 ? g * v : g * (a * Math.exp(v) - a));
  }),
  HardSigmoid: alphaUnary((c) => {
    const a = c.float('alpha', 0.2);
    const b = c.float('beta', 0.5);
    return (v) => Math.max(0, Math.min(1, a * v + b));
  }),
  Clip,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => a / b, intDiv),
  Mod: binary((a, b) => a - b * Math.floor(a / b)),
  Pow: binary(
    (a, b) => a ** b,
    (a, b) => Math.trunc(a ** b),
    true,
  ),
  PRelu: binary((a, s) => (a < 0 ? a * s : a)),
  Max: variadic(-Infinity, (a, v) => Math.max(a, v)),
  Min: variadic(Infinity, (a, v) => Math.min(a, v)),
  Sum: variadic(0, (a, v) => a + v),
  Mean: variadic(
    0,
    (a, v) => a + v,
    (a, n) => a / n,
  ),
  Gemm,
  MatMul,
  ReduceMean: reduction(
    0,
    (a, v) => a + v,
    (a, n) => a / n,
  ),
  ReduceSum: reduction(0, (a, v) => a + v),
  ReduceMax: reduction(-Infinity, (a, v) => Math.max(a, v)),
  ReduceMin: reduction(Infinity, (a, v) => Math.min(a, v)),
  Identity,
  Dropout,
  Constant,
  ConstantOfShape,
  Shape,
  Cast,
  Reshape,
  Flatten,
  Transpose,
  Squeeze: squeeze(false),
  Unsqueeze: squeeze(true),
  Concat,
  Split,
  Slice,
  Pad,
  Gather,
  Expand,
  Tile,
  ScatterElements,
};

/** The upsampling family's operators (listed by `deconv onnx inspect`). */
export const FAMILY = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'MaxUnpool',
  'Resize',
  'Upsample',
  'DepthToSpace',
  'SpaceToDepth',
]);
