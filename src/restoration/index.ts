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
  UnsupervisedWienerProgress,
} from './skimage.js';
export { psnr } from './common.js';
export {
  landweber,
  tikhonov,
  totalVariation,
  richardsonLucyAdjoint,
  blindRichardsonLucy,
  edgeTaper,
} from './methods.js';
export type {
  Boundary,
  RestorationProgress,
  IterativeOptions,
  LandweberOptions,
  TikhonovOptions,
  TotalVariationOptions,
  RichardsonLucyAdjointOptions,
  BlindRichardsonLucyOptions,
  BlindRichardsonLucyResult,
} from './methods.js';
export { blurOperator, BOUNDARIES } from './operator.js';
export type { BlurOperator } from './operator.js';
