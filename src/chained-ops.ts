/**
 * The ops behind Tensor's chained methods (`t.sum()`, `t.add(u)`, `t.backward()`), attached from
 * the ops side by ops/chained.ts, as tfjs's chained ops are, so that the value type (tensor.ts)
 * imports no op and no autograd: the layers only point down. The package entry loads
 * ops/chained.ts.
 */
import type * as Elementwise from './ops/elementwise.js';
import type { Tensor } from './tensor.js';

export interface ChainedOps {
  readonly elementwise: Pick<
    typeof Elementwise,
    | 'reshape'
    | 'clone'
    | 'sum'
    | 'mean'
    | 'add'
    | 'sub'
    | 'mul'
    | 'div'
    | 'neg'
    | 'pow'
    | 'sqrt'
    | 'abs'
    | 'exp'
    | 'log'
    | 'relu'
    | 'sigmoid'
    | 'tanh'
    | 'matmul'
    | 'transpose2d'
  >;
  backward(t: Tensor, gradOutput?: Tensor): void;
}

let chained: ChainedOps | null = null;

/** Called once by ops/chained.ts. */
export function attachChainedOps(ops: ChainedOps): void {
  chained = ops;
}

/** The attached ops, for the method `method` of Tensor. */
export function chainedOps(method: string): ChainedOps {
  if (chained === null)
    throw new Error(
      `Tensor.${method}: the ops are not loaded (import the package entry, or src/ops/chained.js)`,
    );
  return chained;
}
