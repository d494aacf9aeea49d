/**
 * The op table's types. Every differentiable op has an entry in `OpSaved` naming what its forward
 * pass saves for the backward pass; each op family adds its own entries by declaration merging
 * (`declare module '../autograd/registry.js'`). `GradTable` maps every one of those names to its
 * backward rule, so an op without a rule is a compile error in `rules.ts`.
 */
import type { Tensor } from '../tensor.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OpSaved {}

export type OpName = keyof OpSaved;

/**
 * A backward rule: from what the forward saved and the gradient of the output, the gradient of
 * each input in the order they were recorded (`null` where `needsGrad[i]` is false or the input
 * is not differentiable, like pooling indices).
 */
export type GradRule<K extends OpName> = (
  saved: OpSaved[K],
  gradOutput: Tensor,
  needsGrad: readonly boolean[],
) => (Tensor | null)[];

export type GradTable = { [K in OpName]: GradRule<K> };
