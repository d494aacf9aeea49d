/**
 * Optimisers with PyTorch 1.13's update rules (`torch.optim.SGD`, `Adam`, `AdamW`, the
 * single-tensor CPU path). `step()` reads each parameter's `grad` and writes the parameter's data
 * in place, under `noGrad`; parameters without a gradient are skipped, as in PyTorch.
 *
 * float32 parameters keep float32 state, and each update rounds to float32 after every operation
 * PyTorch performs as a separate float32 tensor op, with the scalars (`lr`, betas, …) rounded to
 * float32 as PyTorch's kernels do; so a step agrees with PyTorch's to within the last bit or two
 * (PyTorch may fuse a multiply-add where we round twice, or the reverse).
 *
 * References: https://pytorch.org/docs/1.13/optim.html; D. P. Kingma, J. Ba, "Adam: A Method for
 * Stochastic Optimization" (ICLR 2015); I. Loshchilov, F. Hutter, "Decoupled Weight Decay
 * Regularization" (ICLR 2019) for AdamW.
 */
import { fail } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { Tensor, checkLive, type FloatData } from '../tensor.js';
import { checkOptions } from '../geometry/args.js';

const identity = (x: number): number => x;

/** Rounding after each op: float32 for float32 parameters, none for float64 ones. */
function rounding(p: Tensor): (x: number) => number {
  return p.dtype === 'float32' ? Math.fround : identity;
}

function newState(p: Tensor): FloatData {
  return p.dtype === 'float64' ? new Float64Array(p.size) : new Float32Array(p.size);
}

function checkParams(fn: string, params: unknown): Tensor[] {
  if (params === null || typeof params !== 'object' || !(Symbol.iterator in params))
    fail(fn, 'params', params, 'must be an iterable of tensors, e.g. module.parameters()');
  const list = [...(params as Iterable<unknown>)];
  if (list.length === 0) fail(fn, 'params', list, 'must not be empty');
  const seen = new Set<Tensor>();
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) fail(fn, `params[${i}]`, p, 'must be a Tensor');
    checkLive(fn, `params[${i}]`, p);
    if (p.dtype === 'int32') fail(fn, `params[${i}].dtype`, p.dtype, "must be 'float32' or 'float64'");
    if (seen.has(p)) fail(fn, `params[${i}]`, p, 'appears twice in params (it would be stepped twice)');
    seen.add(p);
  });
  return list as Tensor[];
}

function checkNonNegative(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(fn, name, v, 'must be a non-negative number');
  return v;
}

function checkBool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(fn, name, v, 'must be a boolean');
  return v;
}

/** The parameters' gradient data, or null when a parameter has none (it is skipped). */
function gradOf(fn: string, p: Tensor, index: number): FloatData | null {
  // a disposed parameter's storage may belong to another tensor by now: the step must not write it
  checkLive(fn, `params[${index}]`, p);
  const g = p.grad;
  if (g === null) return null;
  if (g.size !== p.size) fail(fn, `params[${index}].grad`, g, `must have the parameter's ${p.size} elements`);
  checkLive(fn, `params[${index}].grad`, g);
  return g.data as FloatData;
}

/** What every optimiser has: the parameters, a learning rate that may be changed between steps. */
export abstract class Optimizer {
  /** The parameters, in the order given. */
  readonly params: readonly Tensor[];
  /** Learning rate; may be changed between steps (a schedule). */
  lr: number;

  protected constructor(fn: string, params: Iterable<Tensor>, lr: unknown) {
    this.params = checkParams(fn, params);
    this.lr = checkNonNegative(fn, 'lr', lr);
  }

  /** Forgets every parameter's gradient (`grad = null`, PyTorch 2's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  abstract step(): void;
}

export interface SGDOptions {
  /** learning rate, required */
  lr: number;
  /** default 0 */
  momentum?: number;
  /** default 0 */
  dampening?: number;
  /** Nesterov momentum (needs `momentum > 0` and `dampening = 0`); default false */
  nesterov?: boolean;
  /** L2 penalty added to the gradient; default 0 */
  weightDecay?: number;
  /** ascend instead of descend; default false */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent, PyTorch's rule: `g ← grad + weightDecay·p`; with momentum
 * `buf ← g` at the first step, then `buf ← momentum·buf + (1 − dampening)·g`, and
 * `g ← g + momentum·buf` (nesterov) or `g ← buf`; finally `p ← p − lr·g`.
 *
 * @example
 *   const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 *   opt.zeroGrad(); lossFn(model).backward(); opt.step();
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly maximize: boolean;
  readonly #buffers = new Map<Tensor, FloatData>();

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    const fn = 'SGD';
    const o = checkOptions<SGDOptions>(fn, options, [
      'lr',
      'momentum',
      'dampening',
      'nesterov',
      'weightDecay',
      'maximize',
    ]);
    if (o.lr === undefined) fail(fn, 'lr', o.lr, 'is required (a non-negative number)');
    super(fn, params, o.lr);
    this.momentum = checkNonNegative(fn, 'momentum', o.momentum ?? 0);
    this.dampening = checkNonNegative(fn, 'dampening', o.dampening ?? 0);
    this.nesterov = checkBool(fn, 'nesterov', o.nesterov ?? false);
    this.weightDecay = checkNonNegative(fn, 'weightDecay', o.weightDecay ?? 0);
    this.maximize = checkBool(fn, 'maximize', o.maximize ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      fail(
        fn,
        'nesterov',
        true,
        `needs momentum > 0 and dampening = 0 (momentum = ${this.momentum}, dampening = ${this.dampening})`,
      );
  }

  step(): void {
    noGrad(() => {
      this.params.forEach((p, index) => {
        const g = gradOf('SGD.step', p, index);
        if (!g) return;
        const r = rounding(p);
        const x = p.data as FloatData;
        const wd = r(this.weightDecay);
        const mom = r(this.momentum);
        const damp = r(1 - this.dampening);
        const step = r(-this.lr);
        const sign = this.maximize ? -1 : 1;
        let buf = this.#buffers.get(p);
        const first = buf === undefined && this.momentum !== 0;
        if (first) {
          buf = newState(p);
          this.#buffers.set(p, buf);
        }
        for (let i = 0; i < x.length; i++) {
          let d = sign * g[i]!;
          if (this.weightDecay !== 0) d = r(d + wd * x[i]!);
          if (buf) {
            // the buffer starts as a copy of the first (decayed) gradient, as in PyTorch
            buf[i] = first ? d : r(r(buf[i]! * mom) + damp * d);
            d = this.nesterov ? r(d + mom * buf[i]!) : buf[i]!;
          }
          x[i] = r(x[i]! + step * d);
        }
        p.markModified(); // packed copies of the old values go (Tensor.keepPacked)
      });
    });
  }
}

export interface AdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square; default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** added to the denominator; default 1e-8 */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0); AdamW: decoupled decay (default 1e-2) */
  weightDecay?: number;
  /** use the maximum of the second moments so far (Reddi et al., 2018); default false */
  amsgrad?: boolean;
  /** ascend instead of descend; default false */
  maximize?: boolean;
}

interface AdamState {
  step: number;
  expAvg: FloatData;
  expAvgSq: FloatData;
  maxExpAvgSq: FloatData | null;
}

abstract class AdamBase extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly maximize: boolean;
  readonly #state = new Map<Tensor, AdamState>();
  readonly #fn: string;
  readonly #decoupled: boolean;

  protected constructor(fn: string, params: Iterable<Tensor>, options: AdamOptions, decoupled: boolean) {
    const o = checkOptions<AdamOptions>(fn, options, [
      'lr',
      'betas',
      'eps',
      'weightDecay',
      'amsgrad',
      'maximize',
    ]);
    super(fn, params, o.lr ?? 1e-3);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2)
      fail(fn, 'betas', betas, 'must be a pair [beta1, beta2]');
    betas.forEach((b, i) => {
      if (typeof b !== 'number' || !(b >= 0 && b < 1)) fail(fn, `betas[${i}]`, b, 'must be in [0, 1)');
    });
    this.betas = [betas[0], betas[1]];
    this.eps = checkNonNegative(fn, 'eps', o.eps ?? 1e-8);
    this.weightDecay = checkNonNegative(fn, 'weightDecay', o.weightDecay ?? (decoupled ? 1e-2 : 0));
    this.amsgrad = checkBool(fn, 'amsgrad', o.amsgrad ?? false);
    this.maximize = checkBool(fn, 'maximize', o.maximize ?? false);
    this.#fn = fn;
    this.#decoupled = decoupled;
  }

  step(): void {
    noGrad(() => {
      this.params.forEach((p, index) => {
        const g = gradOf(`${this.#fn}.step`, p, index);
        if (!g) return;
        let s = this.#state.get(p);
        if (!s) {
          s = {
            step: 0,
            expAvg: newState(p),
            expAvgSq: newState(p),
            maxExpAvgSq: this.amsgrad ? newState(p) : null,
          };
          this.#state.set(p, s);
        }
        s.step++;
        const r = rounding(p);
        const [beta1, beta2] = this.betas;
        const x = p.data as FloatData;
        const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = s;
        // Python floats in PyTorch (float64), rounded where they become a float32 kernel's scalar
        const biasCorrection1 = 1 - beta1 ** s.step;
        const biasCorrection2Sqrt = r(Math.sqrt(1 - beta2 ** s.step));
        const stepSize = r(-this.lr / biasCorrection1);
        const b1 = r(beta1);
        const b2 = r(beta2);
        const c1 = r(1 - beta1);
        const c2 = r(1 - beta2);
        const eps = r(this.eps);
        const wd = r(this.weightDecay);
        const decay = r(1 - this.lr * this.weightDecay);
        const sign = this.maximize ? -1 : 1;
        for (let i = 0; i < x.length; i++) {
          let gi = sign * g[i]!;
          if (this.weightDecay !== 0) {
            // AdamW decays the parameter; Adam adds the L2 term to the gradient
            if (this.#decoupled) x[i] = r(x[i]! * decay);
            else gi = r(gi + wd * x[i]!);
          }
          m[i] = r(r(m[i]! * b1) + c1 * gi);
          v[i] = r(r(v[i]! * b2) + r(c2 * gi) * gi);
          let second = v[i]!;
          if (vMax) second = vMax[i] = Math.max(vMax[i]!, second);
          const denom = r(r(r(Math.sqrt(second)) / biasCorrection2Sqrt) + eps);
          x[i] = r(x[i]! + stepSize * r(m[i]! / denom));
        }
        p.markModified(); // packed copies of the old values go (Tensor.keepPacked)
      });
    });
  }
}

/**
 * Adam, PyTorch's rule: `g ← grad + weightDecay·p`, `m ← β₁m + (1 − β₁)g`,
 * `v ← β₂v + (1 − β₂)g²`, then
 * `p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)` (with `amsgrad`, `v` replaced by its
 * running maximum).
 *
 * @example
 *   const opt = new Adam(model.parameters(), { lr: 1e-3 });
 *   for (const batch of batches) { opt.zeroGrad(); loss(model, batch).backward(); opt.step(); }
 */
export class Adam extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super('Adam', params, options, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay, `p ← p·(1 − lr·weightDecay)` before the Adam update
 * (which then has no L2 term); `weightDecay` defaults to 1e-2.
 *
 * @example const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super('AdamW', params, options, true);
  }
}
