/**
 * Attaches the chained methods of `Tensor` (`t.sum()`, `t.add(u)`, `t.backward()`, …) from the ops
 * side, as tfjs's `public/chained_ops` do: the value type (tensor.ts) declares the methods but
 * imports no op and no autograd, so the layers only point down. The package entry imports this
 * module for its effect; code that imports op modules directly and calls chained methods imports
 * it too.
 */
import { attachChainedOps } from '../chained-ops.js';
import * as elementwise from './elementwise.js';
import { runBackward } from '../autograd/backward.js';

attachChainedOps({ elementwise, backward: runBackward });
