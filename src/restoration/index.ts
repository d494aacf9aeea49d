/**
 * `restoration`: deconvolution as an inverse problem — recover x from y = h ⊛ x + noise.
 *
 * scikit-image 0.19's methods with its values (`richardsonLucy`, `wiener`,
 * `unsupervisedWiener`), and methods on the exact adjoint Cᵀ with a choice of boundary (see
 * `adjoint.ts`).
 */
export { richardsonLucy, wiener, unsupervisedWiener } from './skimage.js';
export type {
  RichardsonLucyOptions,
  WienerOptions,
  UnsupervisedWienerOptions,
  UnsupervisedWienerResult,
} from './skimage.js';
export { psnr } from './common.js';
