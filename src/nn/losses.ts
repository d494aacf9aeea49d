/**
 * Loss functions with PyTorch's definitions, reductions and gradients (`torch.nn.functional`
 * 1.13): `mseLoss`, `l1Loss`, `binaryCrossEntropyWithLogits`, `crossEntropy`, `nllLoss`. Each is
 * built from differentiable ops, so `loss.backward()` reaches `input` (and a float `target`).
 *
 * Unlike PyTorch, `input` and `target` of the element-wise losses must have the same shape:
 * PyTorch broadcasts them with a warning, which is almost always a bug.
 *
 * Reference: https://pytorch.org/docs/1.13/nn.functional.html#loss-functions
 */
import { fail, show } from '../errors.js';
import { Tensor, checkLive } from '../tensor.js';
import { checkOptions } from '../geometry/args.js';
import * as ew from '../ops/elementwise.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  /** `'mean'` (default) of all elements, `'sum'`, or `'none'` for the per-element losses */
  reduction?: Reduction;
}

function checkReduction(fn: string, reduction: unknown): Reduction {
  if (reduction === undefined) return 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none')
    fail(fn, 'reduction', reduction, "must be 'mean', 'sum' or 'none'");
  return reduction;
}

function checkFloat(fn: string, argument: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) fail(fn, argument, value, 'must be a Tensor');
  checkLive(fn, argument, value);
  if (value.dtype === 'int32') fail(fn, `${argument}.dtype`, value.dtype, "must be 'float32'");
  return value;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function checkPair(fn: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = checkFloat(fn, 'input', input);
  const t = checkFloat(fn, 'target', target);
  if (!sameShape(x.shape, t.shape))
    fail(fn, 'target.shape', t.shape, `must equal input.shape ${show(x.shape)}`);
  return [x, t];
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? ew.sum(loss) : ew.mean(loss);
}

/**
 * Mean squared error `(input − target)²`, reduced. `input` and `target` of the same shape.
 *
 * @example
 *   mseLoss(tensor([1, 2, 3]), tensor([1, 0, 0])).item();                   // (0 + 4 + 9) / 3
 *   mseLoss(x, y, { reduction: 'none' }).shape;                             // x.shape
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const fn = 'mseLoss';
  const o = checkOptions<ReductionOptions>(fn, options, ['reduction']);
  const reduction = checkReduction(fn, o.reduction);
  const [x, t] = checkPair(fn, input, target);
  return reduce(ew.pow(ew.sub(x, t), 2), reduction);
}

/**
 * Mean absolute error `|input − target|`, reduced (gradient 0 where they are equal, as PyTorch).
 *
 * @example l1Loss(tensor([1, 2, 3]), tensor([1, 0, 0])).item(); // 5 / 3
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const fn = 'l1Loss';
  const o = checkOptions<ReductionOptions>(fn, options, ['reduction']);
  const reduction = checkReduction(fn, o.reduction);
  const [x, t] = checkPair(fn, input, target);
  return reduce(ew.abs(ew.sub(x, t)), reduction);
}

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** per-element rescaling, broadcast to `input` */
  weight?: Tensor;
  /** weight of the positive term, broadcast to `input` (usually one per class, the last dimension) */
  posWeight?: Tensor;
}

function checkBroadcast(
  fn: string,
  name: string,
  value: unknown,
  shape: readonly number[],
): Tensor | undefined {
  if (value === undefined || value === null) return undefined;
  const w = checkFloat(fn, name, value);
  const n = Math.max(w.shape.length, shape.length);
  if (w.shape.length > shape.length)
    fail(fn, `${name}.shape`, w.shape, `must broadcast to input.shape ${show(shape)}`);
  for (let i = 0; i < n; i++) {
    const a = w.shape[w.shape.length - n + i] ?? 1;
    if (a !== 1 && a !== shape[i])
      fail(fn, `${name}.shape`, w.shape, `must broadcast to input.shape ${show(shape)}`);
  }
  return w;
}

/**
 * Binary cross entropy of `sigmoid(input)` against `target` in [0, 1], computed from the logits
 * without overflow: `(1 − t)·x + (1 + (posWeight − 1)·t) · log(1 + exp(−x))`, with
 * `log(1 + exp(−x)) = max(−x, 0) + log1p(exp(−|x|))`. Gradient `(sigmoid(x) − t)` (times the
 * weights) for `input`, and PyTorch's for `target`.
 *
 * @example
 *   const logits = tensor([[2.5, -1], [0, 40]], undefined, { requiresGrad: true });
 *   const loss = binaryCrossEntropyWithLogits(logits, tensor([[1, 0], [1, 1]]));
 *   loss.backward();                                     // logits.grad = (sigmoid(x) − t) / 4
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions = {},
): Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const o = checkOptions<BinaryCrossEntropyOptions>(fn, options, ['reduction', 'weight', 'posWeight']);
  const reduction = checkReduction(fn, o.reduction);
  const [x, t] = checkPair(fn, input, target);
  const weight = checkBroadcast(fn, 'weight', o.weight, x.shape);
  const posWeight = checkBroadcast(fn, 'posWeight', o.posWeight, x.shape);
  const negPart = ew.mul(ew.add(ew.neg(t), 1), x); // (1 − t)·x
  const softplusNeg = ew.softplus(ew.neg(x)); // log(1 + exp(−x))
  // 1 + (posWeight − 1)·t
  const logWeight = posWeight ? ew.add(ew.mul(ew.sub(posWeight, 1), t), 1) : null;
  let loss = ew.add(negPart, logWeight ? ew.mul(logWeight, softplusNeg) : softplusNeg);
  if (weight) loss = ew.mul(loss, weight);
  return reduce(loss, reduction);
}

export interface CrossEntropyOptions extends ReductionOptions {
  /** a rescaling weight per class, `(C)` */
  weight?: Tensor;
  /** class-index targets equal to it add nothing (and do not count in the mean); default −100 */
  ignoreIndex?: number;
}

/** Checks class-index targets `(N, *)` for logits `(N, C, *)` before any work. */
function checkClassTarget(fn: string, x: Tensor, t: Tensor, ignoreIndex: number): void {
  const expected = [x.shape[0]!, ...x.shape.slice(2)];
  if (!sameShape(t.shape, expected))
    fail(
      fn,
      'target.shape',
      t.shape,
      `must be ${show(expected)} (input.shape ${show(x.shape)} without the class dimension)`,
    );
  const c = x.shape[1]!;
  const td = t.data;
  for (let i = 0; i < td.length; i++) {
    const v = td[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= c))
      fail(
        fn,
        `target.data[${i}]`,
        v,
        `must be a class index in [0, ${c - 1}] or ignoreIndex = ${ignoreIndex}`,
      );
  }
}

function checkClassWeight(fn: string, value: unknown, c: number): Float64Array | null {
  if (value === undefined || value === null) return null;
  const w = checkFloat(fn, 'weight', value);
  if (w.shape.length !== 1 || w.shape[0] !== c)
    fail(fn, 'weight.shape', w.shape, `must be [${c}], one per class`);
  return Float64Array.from(w.data);
}

/** Logits `(C)` with a 0-d target are one sample: `(1, C)` and `(1)`. */
function batched(fn: string, x: Tensor, t: Tensor): { x: Tensor; t: Tensor; unbatched: boolean } {
  if (x.shape.length !== 1) return { x, t, unbatched: false };
  if (t.dtype === 'int32' ? t.shape.length !== 0 : !sameShape(t.shape, x.shape))
    fail(
      fn,
      'target.shape',
      t.shape,
      `must be ${t.dtype === 'int32' ? '[] (one class index)' : show(x.shape)} for input.shape ${show(x.shape)}`,
    );
  const tShape = t.dtype === 'int32' ? [1] : [1, ...t.shape];
  return { x: ew.reshape(x, [1, x.shape[0]!]), t: ew.reshape(t, tShape), unbatched: true };
}

function nllReduce(
  logp: Tensor,
  t: Tensor,
  weight: Float64Array | null,
  ignoreIndex: number,
  reduction: Reduction,
): Tensor {
  const losses = ew.nll(logp, t, weight, ignoreIndex);
  if (reduction === 'none') return losses;
  const total = ew.sum(losses);
  if (reduction === 'sum') return total;
  // mean: divided by the total weight of the targets that are not ignored (PyTorch's rule)
  let norm = 0;
  for (const v of t.data) if (v !== ignoreIndex) norm += weight ? weight[v]! : 1;
  return ew.div(total, norm);
}

/**
 * Cross entropy of logits `input` `(N, C)` or `(N, C, *)` (e.g. `(N, C, H, W)` for segmentation),
 * or `(C)` for one sample, against either
 * - class indices `target` `(N)` / `(N, *)` (int32), each in `[0, C)` or `ignoreIndex`; or
 * - class probabilities `target` of the input's shape (float).
 * `log_softmax` over the class dimension, then the negative log-likelihood, reduced as PyTorch:
 * `'mean'` divides by the summed class weights of the non-ignored targets (index targets) or by
 * the number of samples (probability targets). Differentiable in `input`.
 *
 * @example
 *   const logits = randn([4, 10], { requiresGrad: true });
 *   const loss = crossEntropy(logits, tensor([3, 1, 0, 9], undefined, { dtype: 'int32' }));
 *   loss.backward();
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'crossEntropy';
  const o = checkOptions<CrossEntropyOptions>(fn, options, ['reduction', 'weight', 'ignoreIndex']);
  const reduction = checkReduction(fn, o.reduction);
  const x0 = checkFloat(fn, 'input', input);
  if (!(target instanceof Tensor)) fail(fn, 'target', target, 'must be a Tensor');
  if (x0.shape.length < 1) fail(fn, 'input.shape', x0.shape, 'must be (N, C), (N, C, *) or (C)');
  const { x, t, unbatched } = batched(fn, x0, target);
  const c = x.shape[1]!;
  const weight = checkClassWeight(fn, o.weight, c);
  const ignoreIndex = o.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) fail(fn, 'ignoreIndex', ignoreIndex, 'must be an integer');

  let out: Tensor;
  if (t.dtype === 'int32') {
    checkClassTarget(fn, x, t, ignoreIndex);
    out = nllReduce(ew.logSoftmax(x, 1), t, weight, ignoreIndex, reduction);
  } else {
    if (!sameShape(t.shape, x.shape))
      fail(
        fn,
        'target.shape',
        target.shape,
        `must equal input.shape ${show(input.shape)} for class probabilities`,
      );
    // −Σ_c w_c · p_c · log_softmax(x)_c per sample
    let prod = ew.mul(ew.logSoftmax(x, 1), t);
    if (weight) {
      const wShape = x.shape.map((s, i) => (i === 1 ? s : 1));
      const w = new Tensor(x.dtype === 'float64' ? weight : Float32Array.from(weight), wShape);
      prod = ew.mul(prod, w);
    }
    const losses = ew.neg(ew.sum(prod, 1));
    out = reduction === 'none' ? losses : reduction === 'sum' ? ew.sum(losses) : ew.mean(losses);
  }
  return unbatched && reduction === 'none' ? ew.reshape(out, []) : out;
}

/**
 * Negative log-likelihood of log-probabilities `input` `(N, C, *)` (or `(C)`) at the class indices
 * `target` `(N, *)` (int32): `−weight[t] · input[n, t, *]`, reduced like `crossEntropy` (which is
 * `nllLoss(logSoftmax(input, 1), target)`).
 *
 * @example nllLoss(logSoftmax(randn([4, 10]), 1), tensor([3, 1, 0, 9], undefined, { dtype: 'int32' }))
 */
export function nllLoss(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'nllLoss';
  const o = checkOptions<CrossEntropyOptions>(fn, options, ['reduction', 'weight', 'ignoreIndex']);
  const reduction = checkReduction(fn, o.reduction);
  const x0 = checkFloat(fn, 'input', input);
  if (!(target instanceof Tensor) || target.dtype !== 'int32')
    fail(fn, 'target', target, 'must be an int32 Tensor of class indices');
  if (x0.shape.length < 1) fail(fn, 'input.shape', x0.shape, 'must be (N, C), (N, C, *) or (C)');
  const { x, t, unbatched } = batched(fn, x0, target);
  const weight = checkClassWeight(fn, o.weight, x.shape[1]!);
  const ignoreIndex = o.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) fail(fn, 'ignoreIndex', ignoreIndex, 'must be an integer');
  checkClassTarget(fn, x, t, ignoreIndex);
  const out = nllReduce(x, t, weight, ignoreIndex, reduction);
  return unbatched && reduction === 'none' ? ew.reshape(out, []) : out;
}
