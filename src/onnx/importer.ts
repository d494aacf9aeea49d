/**
 * `importOnnx`: an ONNX model as a function of deconv tensors, checked once at import.
 *
 * Import decodes the ModelProto, reads every node's attributes (an operator, attribute or type
 * deconv does not support refuses the model with a `DeconvError` naming the node and the
 * operator), folds what is known at import (initializers, Constants, shapes of fixed sizes and
 * what follows from them), and infers every value's shape from the input shapes alone (symbolic
 * sizes stay unknown), so a model whose shapes cannot work is refused at import too. `run` checks
 * the feeds' names, dtypes and shapes, then runs the nodes in the graph's (topological) order.
 */
import { DeconvError, show } from '../errors.js';
import { Tensor } from '../tensor.js';
import { FN, NodeContext } from './attributes.js';
import { FAMILY, OPERATORS, type Dims, type Info, type LayerParams, type Prepared } from './operators.js';
import { propagatePartial } from './partial.js';
import { decodeModel, int64, type NodeProto, type ValueInfoProto } from './proto.js';
import { checkDims, dtypeOf, fromTensorProto, TYPE_NAMES, type ExternalData } from './tensors.js';

export interface ImportOnnxOptions {
  /**
   * Bytes of the files that external-data tensors name, keyed by their `location` (a path
   * relative to the model's folder; absolute paths and `..` are refused), or a function that
   * returns them for a location.
   */
  externalData?: ExternalData;
}

/** One node of the upsampling family, with the shapes inferred at import (null: symbolic). */
export interface OnnxLayer {
  name: string;
  opType: string;
  inputShape: Dims | null;
  outputShape: Dims | null;
  /** the node's parameters as deconv reads them (kernel, stride, pads, modes …); null for global pools */
  params: LayerParams | null;
  /** the node's constant inputs (weights), by input position */
  constants: Record<number, Tensor>;
}

export interface OnnxModel {
  inputNames: string[];
  outputNames: string[];
  /** Runs the model. `feeds` by input name; returns every output by name. */
  run(feeds: Record<string, Tensor>): Record<string, Tensor>;
  /** The opset of the default domain the model was written for. */
  readonly opset: number;
  /** The upsampling-family layers (Conv, ConvTranspose, pools, Resize …) in graph order. */
  readonly layers: readonly OnnxLayer[];
}

interface Step {
  ctx: NodeContext;
  prepared: Prepared;
  inputs: string[];
  outputs: string[];
  /** outputs computed at import (every input was known) */
  folded: Tensor[] | null;
}

interface Declared {
  name: string;
  dtype: 'float32' | 'int32';
  shape: Dims | null;
}

function declared(v: ValueInfoProto, what: string): Declared {
  const t = v.type?.tensorType;
  const name = v.name ?? '';
  if (!t)
    throw new DeconvError(
      FN,
      'bytes',
      `${what} ${show(name)} is not a tensor (sequences, maps and optionals are not supported)`,
    );
  const dtype = dtypeOf(t.elemType ?? 0);
  if (!dtype)
    throw new DeconvError(
      FN,
      'bytes',
      `${what} ${show(name)} has type ${TYPE_NAMES[t.elemType ?? 0] ?? t.elemType}, which deconv does not support (float, double and integer types are)`,
    );
  // A dimension is a size (dimValue) or a symbol (dimParam, or nothing): symbols are unknown here.
  const shape = t.shape
    ? (t.shape.dim ?? []).map((d) =>
        d.dimParam || d.dimValue === undefined || (d as { value?: string }).value !== 'dimValue'
          ? null
          : int64(d.dimValue),
      )
    : null;
  if (shape)
    checkDims(
      { fn: FN, where: `${what} ${show(name)}` },
      shape.map((d) => d ?? 1),
    );
  return { name, dtype, shape };
}

function wrap<T>(ctx: NodeContext, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DeconvError && e.fn === FN) throw e;
    const message = (e as Error).message;
    throw new DeconvError(
      FN,
      e instanceof DeconvError ? e.argument : 'bytes',
      `${ctx.where}: ${what}: ${message}`,
    );
  }
}

/**
 * Reads an ONNX model (a serialized `ModelProto`) for running on deconv's kernels, synchronously.
 * Float inputs and outputs are float32 Tensors, integer ones int32. Refuses, with a `DeconvError`
 * naming the node and its operator, a model with an operator, attribute or type deconv does not
 * support, or whose shapes cannot work.
 *
 * @example
 *   import { readFileSync } from 'node:fs';
 *   import { importOnnx, randn } from 'deconv';
 *   const model = importOnnx(readFileSync('generator.onnx'));
 *   const { [model.outputNames[0]]: image } = model.run({ [model.inputNames[0]]: randn([1, 100, 1, 1]) });
 */
export function importOnnx(bytes: Uint8Array | ArrayBuffer, options: ImportOnnxOptions = {}): OnnxModel {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new DeconvError(FN, 'bytes', `bytes = ${show(bytes)} must be a Uint8Array or an ArrayBuffer`);
  }
  if (options === null || typeof options !== 'object')
    throw new DeconvError(FN, 'options', `options = ${show(options)} must be an object`);
  for (const k of Object.keys(options)) {
    if (k !== 'externalData')
      throw new DeconvError(FN, k, `options.${k} is not an option of importOnnx (known: externalData)`);
  }
  const external = options.externalData;
  if (
    external !== undefined &&
    typeof external !== 'function' &&
    (external === null || typeof external !== 'object')
  )
    throw new DeconvError(
      FN,
      'externalData',
      `externalData = ${show(external)} must be an object of Uint8Array by location, or a function of the location`,
    );
  const model = decodeModel(FN, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const graph = model.graph;
  if (!graph) throw new DeconvError(FN, 'bytes', 'bytes holds a ModelProto without a graph');
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? int64(opsetEntry.version) : 1;

  const values = new Map<string, Info>();
  const constants = new Map<string, Tensor>();
  for (const init of graph.initializer ?? []) {
    if (constants.has(init.name ?? ''))
      throw new DeconvError(FN, 'bytes', `initializer ${show(init.name ?? '')} is defined twice`);
    const t = fromTensorProto(init, {
      fn: FN,
      where: `initializer ${show(init.name ?? '')}`,
      outOfRange: 'saturate',
      externalData: options.externalData,
    });
    constants.set(init.name ?? '', t);
    values.set(init.name ?? '', { dtype: t.dtype as 'float32', shape: [...t.shape], value: t });
  }
  const inputs = (graph.input ?? [])
    .filter((v) => !constants.has(v.name ?? ''))
    .map((v) => declared(v, 'graph input'));
  for (const i of inputs) values.set(i.name, { dtype: i.dtype, shape: i.shape });
  const outputs = (graph.output ?? []).map((v) => declared(v, 'graph output'));

  const steps: Step[] = [];
  const layers: OnnxLayer[] = [];
  (graph.node ?? []).forEach((node: NodeProto, index) => {
    const ctx = new NodeContext(node, index, opset);
    if (node.domain && node.domain !== 'ai.onnx') {
      ctx.fail(
        'domain',
        node.domain,
        'is not supported: deconv imports operators of the default ONNX domain',
      );
    }
    const op = OPERATORS[ctx.op];
    if (!op) ctx.fail('operator', ctx.op, 'is not supported by deconv');
    const prepared = wrap(ctx, 'attributes', () => op(ctx));
    ctx.checkAllRead();
    const inNames = node.input ?? [];
    const inInfos = inNames.map((n) => {
      if (n === '') return undefined;
      const info = values.get(n);
      if (!info) ctx.fail('input', n, 'is not a graph input, an initializer or an earlier node output');
      return info;
    });
    let folded: Tensor[] | null = null;
    let outInfos: (Info | undefined)[];
    if (inInfos.every((i) => i === undefined || i.value) && (inNames.length > 0 || ctx.op === 'Constant')) {
      folded = wrap(ctx, 'computing at import', () => prepared.run(inInfos.map((i) => i?.value)));
      outInfos = folded.map((t) => ({ dtype: t.dtype as 'float32', shape: [...t.shape], value: t }));
    } else {
      outInfos = wrap(ctx, 'shape inference', () => prepared.infer?.(inInfos) ?? []);
      const partial = propagatePartial(ctx, inInfos);
      if (partial) {
        const first = outInfos[0] ?? { dtype: 'int32', shape: null };
        outInfos[0] = {
          ...first,
          dtype: 'int32',
          shape:
            first.shape ??
            (ctx.op === 'Gather' && inInfos[1]?.value?.shape.length === 0 ? [] : [partial.length]),
          partial,
        };
      }
    }
    // an inferred output beyond the element limit (unknown sizes counted as 1) cannot run
    outInfos.forEach((info, k) => {
      if (info?.shape)
        checkDims(
          { fn: FN, where: `${ctx.where}: shape inference: output ${k}, unknown sizes counted as 1,` },
          info.shape.map((d) => d ?? 1),
        );
    });
    const outNames = node.output ?? [];
    // ONNX graphs are in SSA form: a name is defined once, so no output replaces another value
    outNames.forEach((n, k) => {
      if (n !== '' && (values.has(n) || outNames.indexOf(n) !== k))
        ctx.fail('output', n, 'is already defined (by a graph input, an initializer or another output)');
    });
    outNames.forEach((n, k) => {
      if (n === '') return;
      values.set(n, outInfos[k] ?? { dtype: inInfos[0]?.dtype ?? 'float32', shape: null });
    });
    if (FAMILY.has(ctx.op)) {
      const consts: Record<number, Tensor> = {};
      inInfos.forEach((info, k) => {
        if (k > 0 && info?.value) consts[k] = info.value;
      });
      layers.push({
        name: node.name ?? '',
        opType: ctx.op,
        inputShape: inInfos[0]?.shape ?? null,
        outputShape: outInfos[0]?.shape ?? null,
        params: prepared.describe ? wrap(ctx, 'describe', () => prepared.describe!(inInfos)) : null,
        constants: consts,
      });
    }
    steps.push({ ctx, prepared, inputs: inNames, outputs: outNames, folded });
  });
  for (const o of outputs) {
    if (!values.has(o.name))
      throw new DeconvError(FN, 'bytes', `graph output ${show(o.name)} is produced by no node`);
  }

  const inputNames = inputs.map((i) => i.name);
  const outputNames = outputs.map((o) => o.name);

  function run(feeds: Record<string, Tensor>): Record<string, Tensor> {
    const fn = 'OnnxModel.run';
    if (feeds === null || typeof feeds !== 'object')
      throw new DeconvError(fn, 'feeds', `feeds = ${show(feeds)} must be an object of tensors by input name`);
    for (const k of Object.keys(feeds)) {
      if (!inputNames.includes(k))
        throw new DeconvError(
          fn,
          'feeds',
          `feeds[${show(k)}] is not an input of the model (inputs: ${inputNames.map((n) => show(n)).join(', ')})`,
        );
    }
    const env = new Map<string, Tensor>(constants);
    for (const i of inputs) {
      const t = feeds[i.name];
      if (!(t instanceof Tensor))
        throw new DeconvError(fn, 'feeds', `feeds[${show(i.name)}] = ${show(t)} must be a Tensor`);
      if (t.isDisposed) throw new DeconvError(fn, 'feeds', `feeds[${show(i.name)}] is a disposed tensor`);
      if (t.dtype !== i.dtype)
        throw new DeconvError(
          fn,
          'feeds',
          `feeds[${show(i.name)}].dtype = ${show(t.dtype)} must be ${show(i.dtype)}`,
        );
      if (
        i.shape &&
        (t.shape.length !== i.shape.length || i.shape.some((s, k) => s !== null && s !== t.shape[k]))
      ) {
        throw new DeconvError(
          fn,
          'feeds',
          `feeds[${show(i.name)}].shape = ${show(t.shape)} must be ${show(i.shape.map((s) => s ?? '?'))}`,
        );
      }
      env.set(i.name, t);
    }
    for (const step of steps) {
      const results =
        step.folded ??
        wrap(step.ctx, 'run', () =>
          step.prepared.run(step.inputs.map((n) => (n === '' ? undefined : env.get(n)))),
        );
      step.outputs.forEach((n, k) => {
        if (n !== '' && results[k]) env.set(n, results[k]!);
      });
    }
    const result: Record<string, Tensor> = {};
    for (const o of outputs) {
      const t = env.get(o.name);
      if (!t) throw new DeconvError(fn, 'feeds', `the model did not produce its output ${show(o.name)}`);
      result[o.name] = t;
    }
    return result;
  }

  return Object.freeze({ inputNames, outputNames, run, opset, layers: Object.freeze(layers) });
}
