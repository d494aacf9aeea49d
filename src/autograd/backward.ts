/**
 * `tensor.backward()`: walks the tape from the output back to the leaves in reverse topological
 * order, calling each node's rule from the one table (`rules.ts`) and summing the gradients that
 * reach a tensor along several paths. Leaves created with `requiresGrad: true` get `grad` (added
 * to what an earlier backward left there, as in PyTorch).
 */
import { fail, show } from '../errors.js';
import { Tensor } from '../tensor.js';
import { noGrad } from './tape.js';
import { gradRules } from './rules.js';
import type { GradRule, OpName } from './registry.js';

function addInto(acc: Tensor, g: Tensor): Tensor {
  const out = acc.data.slice();
  const gd = g.data;
  for (let i = 0; i < out.length; i++) out[i] += gd[i]!;
  return new Tensor(out, acc.shape);
}

function ofDtype(g: Tensor, like: Tensor): Tensor {
  if (g.dtype === like.dtype) return g;
  const out = like.dtype === 'float64' ? new Float64Array(g.data) : new Float32Array(g.data);
  return new Tensor(out, g.shape);
}

export function runBackward(root: Tensor, gradOutput?: Tensor): void {
  const fn = 'backward';
  if (!root.requiresGrad) {
    fail(fn, 'this', root.shape, 'does not require a gradient: no input was created with requiresGrad: true');
  }
  let seed: Tensor;
  if (gradOutput === undefined) {
    if (root.size !== 1) {
      fail(
        fn,
        'gradOutput',
        gradOutput,
        `must be given for an output of shape ${show(root.shape)} (only a one-element output may omit it)`,
      );
    }
    seed = new Tensor(root.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), root.shape);
  } else {
    if (!(gradOutput instanceof Tensor)) fail(fn, 'gradOutput', gradOutput, 'must be a Tensor');
    if (
      gradOutput.shape.length !== root.shape.length ||
      gradOutput.shape.some((s, i) => s !== root.shape[i])
    ) {
      fail(fn, 'gradOutput', gradOutput.shape, `must have the output's shape ${show(root.shape)}`);
    }
    seed = ofDtype(gradOutput, root);
  }

  // Reverse topological order by an iterative depth-first search.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    if (t.node)
      for (const input of t.node.inputs)
        if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }

  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.node;
      if (!node) {
        t.grad = t.grad ? addInto(t.grad, g) : new Tensor(g.data.slice(), g.shape);
        continue;
      }
      const rule = gradRules[node.op] as GradRule<OpName>;
      const needs = node.inputs.map((x) => x.requiresGrad);
      const inGrads = rule(node.saved as never, g, needs);
      node.inputs.forEach((x, k) => {
        const gi = inGrads[k];
        if (!needs[k] || !gi) return;
        const gx = ofDtype(gi, x);
        const prev = grads.get(x);
        grads.set(x, prev ? addInto(prev, gx) : gx);
      });
    }
  });
}
