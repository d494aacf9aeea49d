/**
 * Reverse-mode autograd on a tape. An op that has an input requiring a gradient records a node on
 * its output: the op's name, its inputs and what its backward rule needs. `backward()` walks the
 * nodes in reverse topological order and calls each op's rule from the one table in `rules.ts`.
 */
import type { OpName, OpSaved } from './registry.js';
import type { Tensor } from '../tensor.js';

export interface TapeNode<K extends OpName = OpName> {
  readonly op: K;
  readonly inputs: readonly Tensor[];
  readonly saved: OpSaved[K];
}

let gradEnabled = true;

/** Whether ops record onto the tape now. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording anything (for optimiser steps, evaluation, backward rules). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/**
 * The one tracing hook (for `exportOnnx`): while a tracer is set, every op's `record` call reports
 * its op, output, inputs and saved record to it, whether or not a gradient is wanted.
 */
export type Tracer = (node: TapeNode, output: Tensor) => void;
let tracer: Tracer | null = null;

/** Sets the tracer (null: none) and returns the previous one. */
export function setTracer(next: Tracer | null): Tracer | null {
  const previous = tracer;
  tracer = next;
  return previous;
}

/**
 * Marks `output` as produced by `op` from `inputs`, when grad mode is on and some input needs a
 * gradient. `saved` is built lazily so nothing is kept when no gradient is wanted.
 */
export function record<K extends OpName>(
  op: K,
  output: Tensor,
  inputs: readonly Tensor[],
  saved: () => OpSaved[K],
): Tensor {
  if (tracer) tracer({ op, inputs, saved: saved() } as TapeNode, output);
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    output.node = { op, inputs, saved: saved() } as TapeNode;
  }
  return output;
}
