/**
 * Pictures: conv-arithmetic animations, the matrix view, checkerboard maps, heat maps, output-size
 * formulas and framework layer calls. DOM-free and Node-free: the CLI and the browser explorer
 * both use them. Re-exported by the package root.
 */
export { buildAnimation, finalOutput, ANIMATION_OPS, MAX_FRAMES } from './animation.js';
export type {
  Animation,
  AnimationOp,
  AnimationOptions,
  AnimationGrid,
  AnimationView,
  AnimationFrame,
  Contribution,
  CellKind,
  GridRole,
  Mark,
  MarkLevel,
  FrameOrder,
  DirectInput,
} from './animation.js';
export { animationScene } from './draw.js';
export type { AnimationSceneOptions } from './draw.js';
export { sceneToSvg, animationToSvg } from './svg.js';
export type { SvgOptions } from './svg.js';
export { encodeGif, encodeGifFrames, sceneToGif, animationToGif } from './gif.js';
export type { GifOptions } from './gif.js';
export { rasterize, blankImage, parseColor } from './raster.js';
export { visibleAt } from './scene.js';
export type {
  Scene,
  Shape,
  RectShape,
  TextShape,
  LineShape,
  ImageShape,
  RgbaImage,
  FrameRange,
} from './scene.js';
export { heatmap, heatmapRange, colormap, colormapHex, COLORMAPS } from './heatmap.js';
export type { Colormap, HeatmapOptions } from './heatmap.js';
export { checkerboard, checkerboardScene } from './checkerboard.js';
export type { CheckerboardOptions, CheckerboardResult } from './checkerboard.js';
export { matrixView, matrixScene, matrixText, MAX_MATRIX_PICTURE } from './matrix.js';
export { axisLabelStep } from './ticks.js';
export type { MatrixView, MatrixViewOptions } from './matrix.js';
export { sizeFormula, sizeFormulaLines } from './formula.js';
export type { Formula, FormulaArgs, FormulaOp } from './formula.js';
export { frameworkSnippets } from './snippets.js';
export type { FrameworkSnippets, LayerConfig, Snippet } from './snippets.js';
export { THEME } from './theme.js';
export { textWidth } from './font.js';
