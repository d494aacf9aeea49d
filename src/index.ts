export { DeconvError } from './errors.js';
export { Tensor, tensor, zeros, ones, full, randn, rand, MAX_ELEMENTS } from './tensor.js';
export type { DType, TensorOptions, RandomOptions } from './tensor.js';
export { noGrad, isGradEnabled } from './autograd/tape.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckResult } from './autograd/gradcheck.js';
export { setKernelPath, getKernelPath } from './kernels/dispatch.js';
export type { KernelPath } from './kernels/dispatch.js';
