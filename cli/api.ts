/**
 * Everything the CLI takes from the library, in one place. The CLI uses the package's public
 * entry like any user; the lines below the first re-export what src/index.ts does not export yet.
 * TODO(lead): once src/index.ts exports these (`export * from './viz/index.js'`, the solver, the
 * PNG functions, interpolate, pixelShuffle, bilinearFiller), this file is `export * from
 * '../src/index.js'` alone.
 */
export * from '../src/index.js';
export * from '../src/viz/index.js';
export { solveConvTranspose } from '../src/geometry/solver.js';
export type { ConvTransposeConfig } from '../src/geometry/solver.js';
export { readPng, encodePng } from '../src/io/png.js';
export { interpolate } from '../src/ops/interpolate.js';
export type { InterpolateMode } from '../src/ops/interpolate.js';
export { pixelShuffle } from '../src/ops/shuffle.js';
export { bilinearFiller } from '../src/nn/init.js';
