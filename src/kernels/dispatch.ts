/**
 * Which kernel path runs. Every fast kernel has a reference sibling with the same signature in
 * `kernels/ref/`; the test suite runs over both paths. Until fast kernels land, both paths run the
 * reference kernels where no fast kernel exists yet.
 */
export type KernelPath = 'fast' | 'reference';

let current: KernelPath = 'fast';

/** Chooses the kernel path for every op from now on ('fast' is the default). */
export function setKernelPath(path: KernelPath): void {
  if (path !== 'fast' && path !== 'reference')
    throw new Error(`setKernelPath: path = ${String(path)} must be 'fast' or 'reference'`);
  current = path;
}

export function getKernelPath(): KernelPath {
  return current;
}

import { convGatherRef, convScatterRef, convWeightRef, channelSumRef } from './ref/conv.js';
import { convGatherFast, convScatterFast, convWeightFast } from './fast/conv.js';

/**
 * The convolution kernels for the current path. Both ops and both directions run on these three
 * (see kernels/ref/conv.ts). Fast kernels slot in here beside their reference siblings.
 */
export function convKernels(): {
  gather: typeof convGatherRef;
  scatter: typeof convScatterRef;
  weight: typeof convWeightRef;
  channelSum: typeof channelSumRef;
} {
  if (current === 'reference') {
    return {
      gather: convGatherRef,
      scatter: convScatterRef,
      weight: convWeightRef,
      channelSum: channelSumRef,
    };
  }
  // Fast: im2col/col2im + GEMM for every configuration (Caffe's way). The sub-pixel decomposition
  // for dilation 1 and stride <= kernel belongs here too once it is faster (performance issue).
  return {
    gather: convGatherFast,
    scatter: convScatterFast,
    weight: convWeightFast,
    channelSum: channelSumRef,
  };
}
