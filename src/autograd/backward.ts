/**
 * `tensor.backward()`: walks the tape from the output back to the leaves in reverse topological
 * order, calling each node's rule from the one table (`rules.ts`) and summing the gradients that
 * reach a tensor along several paths. Leaves created with `requiresGrad: true` get `grad` (added
 * to what an earlier backward left there, as in PyTorch).
 *
 * Storage (see storage.ts): the intermediate gradients this walk creates are its own; each is
 * disposed (its storage back to the pool) as soon as no pending gradient is it, and a leaf takes
 * its gradient without a copy when nothing else shares that storage. "Its own" is decided by the
 * tensor's serial: created after the walk began (so never the caller's `gradOutput`, a tensor the
 * tape saved, or a leaf's earlier `grad`). Sharing between such tensors (reshape's rule returns a
 * view of its gradient) is handled by the storage's count of live tensors.
 */
import { DeconvError, fail, show } from '../errors.js';
import { Tensor, allocate, checkTensor, tensorSerial } from '../tensor.js';
import { soleStorage } from '../storage.js';
import { noGrad } from './tape.js';
import { gradRules } from './rules.js';
import type { GradRule, OpName } from './registry.js';

/** `acc + g` in new storage (every element written, so it need not be zeroed). */
function addInto(acc: Tensor, g: Tensor): Tensor {
  const out = allocate('backward', 'gradOutput', acc.shape, acc.dtype, 'uninitialised');
  const a = acc.data;
  const gd = g.data;
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + gd[i]!;
  return new Tensor(out, acc.shape);
}

/** A copy of `g` with `dtype` (float32 unless float64). */
function copyOf(g: Tensor, dtype: Tensor['dtype']): Tensor {
  const out = allocate(
    'backward',
    'gradOutput',
    g.shape,
    dtype === 'float64' ? 'float64' : 'float32',
    'uninitialised',
  );
  out.set(g.data);
  return new Tensor(out, g.shape);
}

function ofDtype(g: Tensor, like: Tensor): Tensor {
  return g.dtype === like.dtype ? g : copyOf(g, like.dtype);
}

/**
 * Refuses, before any work, a graph whose backward pass would read a disposed tensor: one that a
 * rule saved, or a leaf's `grad` that the new gradient would be added to.
 */
function checkStorage(t: Tensor): void {
  if (!t.node) {
    if (t.grad?.isDisposed) {
      throw new DeconvError(
        'backward',
        'this',
        `the grad of a leaf of shape ${show(t.shape)} was disposed: set grad = null (zeroGrad()) before backward()`,
      );
    }
    return;
  }
  const saved = t.node.saved as unknown;
  if (saved === null || typeof saved !== 'object') return;
  for (const [name, v] of Object.entries(saved)) {
    if (v instanceof Tensor && v.isDisposed) {
      throw new DeconvError(
        'backward',
        'this',
        `the gradient of ${t.node.op} reads a tensor of shape ${show(v.shape)} ('${name}') that was disposed: dispose what the graph uses only after backward()`,
      );
    }
  }
}

export function runBackward(root: Tensor, gradOutput?: Tensor): void {
  const fn = 'backward';
  const start = tensorSerial();
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
    checkTensor(fn, 'gradOutput', gradOutput);
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
    checkStorage(t);
    stack.push([t, true]);
    if (t.node)
      for (const input of t.node.inputs)
        if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }

  // The pending gradient of each tensor; one gradient may be pending for several (a rule may
  // return its own `g` for two inputs), so `uses` counts the entries that hold each.
  const grads = new Map<Tensor, Tensor>();
  const uses = new Map<Tensor, number>();
  const put = (x: Tensor, g: Tensor): void => {
    grads.set(x, g);
    uses.set(g, (uses.get(g) ?? 0) + 1);
  };
  const take = (x: Tensor): Tensor | undefined => {
    const g = grads.get(x);
    if (g === undefined) return undefined;
    grads.delete(x);
    const n = uses.get(g)! - 1;
    if (n === 0) uses.delete(g);
    else uses.set(g, n);
    return g;
  };
  // a temporary of this walk that no entry holds any more
  const spent = (g: Tensor): boolean => tensorSerial(g) >= start && !uses.has(g);
  put(root, seed);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = take(t);
      if (!g) continue;
      const node = t.node;
      if (!node) {
        if (t.grad) {
          t.grad = addInto(t.grad, g);
          if (spent(g)) g.dispose();
        } else if (spent(g) && soleStorage(g.data)) {
          t.grad = g; // nobody else holds g or its storage: no copy
        } else {
          t.grad = copyOf(g, g.dtype);
          if (spent(g)) g.dispose();
        }
        continue;
      }
      const rule = gradRules[node.op] as GradRule<OpName>;
      const needs = node.inputs.map((x) => x.requiresGrad);
      const inGrads = rule(node.saved as never, g, needs);
      // Disposed only once every input has its gradient: a rule may return g, or one tensor for
      // two inputs, and an earlier input must not free what a later one still takes.
      const done: Tensor[] = [g];
      node.inputs.forEach((x, k) => {
        const gi = inGrads[k];
        if (!gi) return;
        done.push(gi);
        if (!needs[k]) return;
        const gx = ofDtype(gi, x);
        done.push(gx);
        const prev = take(x);
        if (prev) {
          put(x, addInto(prev, gx));
          done.push(prev);
        } else {
          put(x, gx);
        }
      });
      for (const d of done) if (spent(d)) d.dispose();
    }
  });
}
