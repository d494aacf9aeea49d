/**
 * Everything the explorer takes from the library, in one place. The page uses only the package's
 * public entry, like any user of deconv.
 */
export {
  DeconvError,
  Tensor,
  tensor,
  zeros,
  conv2d,
  convTranspose2d,
  convOutputSize,
  convTransposeOutputSize,
  maxPool2d,
  maxUnpool2d,
  interpolate,
  pixelShuffle,
  pixelUnshuffle,
  bilinearFiller,
  buildAnimation,
  MAX_FRAMES,
  axisLabelStep,
  sizeFormulaLines,
  checkerboard,
  colormap,
  frameworkSnippets,
  THEME,
  importOnnx,
} from '../src/index.js';
export type {
  Animation,
  AnimationOp,
  AnimationGrid,
  AnimationOptions,
  FrameOrder,
  MarkLevel,
  FormulaArgs,
  Snippet,
  OnnxLayer,
} from '../src/index.js';
export { convMatrix, solveConvTranspose, SOLVER_MAX_RESULTS } from '../src/index.js';
export { restoration } from '../src/index.js';
export type { ConvTransposeConfig } from '../src/index.js';
