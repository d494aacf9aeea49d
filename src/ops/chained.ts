/**
 * Attaches the chained methods of `Tensor` (`t.sum()`, `t.add(u)`, `t.backward()`, …) from the ops
 * side, as tfjs's `public/chained_ops` do: the value type (tensor.ts) declares the methods but
 * imports no op and no autograd, so the layers only point down. The package entry takes the
 * tensor factories from src/tensors.ts, which imports this module; the other modules that hand a user a tensor the user
 * did not build (readPng, readSafetensors, readOnnxTensor, nn, makeDigitCanvases) import it for its
 * effect, as does code that imports op modules directly and calls chained methods.
 */
import { attachChainedOps } from '../chained-ops.js';
import * as elementwise from './elementwise.js';
import { runBackward } from '../autograd/backward.js';

attachChainedOps({ elementwise, backward: runBackward });
