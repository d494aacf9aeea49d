/**
 * The tensor factories as the package entry exports them, with Tensor's chained methods
 * (`t.sum()`, `t.backward()`, …) attached by ops/chained.ts. package.json's `sideEffects` names
 * ops/chained.ts as the package's one module with an effect, and this module (free of effects
 * itself) is the path to it: a bundle that keeps `tensor` or `Tensor` keeps the methods, one that
 * needs no tensor at all (say only `solveConvTranspose`) drops the ops and kernels they pull in.
 * (A re-export straight from ops/chained.ts in index.ts would keep them in every bundle.)
 */
import './ops/chained.js';
export { Tensor, tensor, zeros, ones, full, randn, rand } from './tensor.js';
