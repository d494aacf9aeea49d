/**
 * Finite-difference gradient checking in float64: compares the gradients `backward()` gives with
 * central differences of `<f(x), g>` for a random upstream gradient `g`.
 */
import { Tensor, checkTensor } from '../tensor.js';
import { fail } from '../errors.js';
import { Rng } from '../random.js';
import { noGrad } from './tape.js';

export interface GradcheckResult {
  ok: boolean;
  /** largest |analytic - numeric| / (atol + rtol * |numeric|) over all checked elements */
  worst: number;
  message: string;
}

/**
 * `f` maps float64 tensors to one float64 tensor. Every input with `requiresGrad` is checked on up
 * to `maxElements` of its elements (all of them by default).
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  { eps = 1e-6, atol = 1e-5, rtol = 1e-4, seed = 0, maxElements = Infinity } = {},
): GradcheckResult {
  if (typeof f !== 'function') fail('gradcheck', 'f', f, 'must be a function of tensors');
  if (!Array.isArray(inputs)) fail('gradcheck', 'inputs', inputs, 'must be an array of Tensors');
  inputs.forEach((x, i) => checkTensor('gradcheck', `inputs[${i}]`, x));
  for (const x of inputs) x.grad = null;
  const y = f(...inputs);
  const rng = new Rng(seed);
  const g = new Tensor(
    Float64Array.from({ length: y.size }, () => rng.normal()),
    y.shape,
  );
  y.backward(g);
  const dot = (t: Tensor) => {
    let s = 0;
    for (let i = 0; i < t.size; i++) s += t.data[i]! * g.data[i]!;
    return s;
  };
  let worst = 0;
  let message = 'ok';
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad?.data ?? new Float64Array(x.size);
    const step = Math.max(1, Math.floor(x.size / maxElements));
    for (let i = 0; i < x.size; i += step) {
      const orig = x.data[i]!;
      // each write is announced (Tensor.keepPacked: no packed copy of the old value may be used)
      x.data[i] = orig + eps;
      x.markModified();
      const plus = noGrad(() => dot(f(...inputs)));
      x.data[i] = orig - eps;
      x.markModified();
      const minus = noGrad(() => dot(f(...inputs)));
      x.data[i] = orig;
      x.markModified();
      const numeric = (plus - minus) / (2 * eps);
      const err = Math.abs(analytic[i]! - numeric) / (atol + rtol * Math.abs(numeric));
      if (err > worst) {
        worst = err;
        message = `input ${k}, element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`;
      }
    }
  });
  return { ok: worst <= 1, worst, message };
}
