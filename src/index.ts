/**
 * The root entry of deconv: everything in the API contract, runnable unchanged in Node, in bundlers
 * (default browser settings) and in browsers. Nothing here imports a Node built-in; the helpers that
 * need a file system (PNG files by path, the MNIST digits) are in `deconv/node` (src/node.ts).
 *
 * @packageDocumentation
 */
export { DeconvError } from './errors.js';
// through tensors.ts, which attaches Tensor's chained methods (t.sum(), t.backward(), …)
export { Tensor, tensor, zeros, ones, full, randn, rand } from './tensors.js';
export { MAX_ELEMENTS } from './tensor.js';
export type { DType, TensorOptions, RandomOptions } from './tensor.js';
export { storageStats, settledStorageStats, setStoragePoolLimit, emptyStoragePool } from './storage.js';
export type { StorageStats } from './storage.js';
export { noGrad, isGradEnabled } from './autograd/tape.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckResult } from './autograd/gradcheck.js';
export { setKernelPath, getKernelPath } from './kernels/dispatch.js';
export type { KernelPath } from './kernels/dispatch.js';
export {
  conv,
  conv1d,
  conv2d,
  conv3d,
  convTranspose,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  conv1dInput,
  conv2dInput,
  conv3dInput,
  conv1dWeight,
  conv2dWeight,
  conv3dWeight,
} from './ops/conv.js';
export { convOutputSize, convTransposeOutputSize } from './geometry/conv.js';
export {
  effectiveKernel,
  convOutputLength,
  transposedOutputLength,
  unpoolOutputLength,
  samePadding,
  largestOutputPadding,
  largestPoolPadding,
} from './geometry/helpers.js';
export type { ConvDim } from './geometry/arithmetic.js';
export type { ConvOptions, ConvTransposeOptions, ConvGradOptions } from './ops/conv.js';
export type { ConvOutputSizeArgs, ConvTransposeOutputSizeArgs, PaddingArg } from './geometry/conv.js';
export {
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
} from './ops/pool.js';
export type { MaxPoolOptions, MaxPoolResult, MaxUnpoolOptions, AvgPoolOptions } from './ops/pool.js';
export { interpolate } from './ops/interpolate.js';
export type { InterpolateMode, InterpolateOptions } from './ops/interpolate.js';
export { pixelShuffle, pixelUnshuffle } from './ops/shuffle.js';
export { concat } from './ops/concat.js';
export { readPng, encodePng, makeGrid, PNG_MAX_PIXELS } from './io/png.js';
export type { GridOptions, ReadPngOptions } from './io/png.js';
export { resize } from './ops/resize.js';
export { importOnnx, readOnnxTensor, exportOnnx } from './onnx/index.js';
export type {
  ImportOnnxOptions,
  OnnxModel,
  OnnxLayer,
  ExportOnnxOptions,
  LayerParams,
  ExternalData,
} from './onnx/index.js';
export type { ResizeOptions, ResizeMode, CoordinateTransformationMode, NearestMode } from './ops/resize.js';
export { bilinearFiller } from './nn/init.js';
export type { FillerOptions } from './nn/init.js';
export * from './viz/index.js';
export * as nn from './nn/index.js';
export * as restoration from './restoration/index.js';
export * as csc from './csc/index.js';
export { readSafetensors, readSafetensorsMetadata, writeSafetensors } from './io/safetensors.js';
export type { ReadSafetensorsOptions, WriteSafetensorsOptions } from './io/safetensors.js';
export { Rng } from './random.js';
export { unfold, fold } from './ops/fold.js';
export type { UnfoldOptions, FoldOptions, FoldPaddingArg } from './ops/fold.js';
export { convMatrix, ConvMatrix, MAX_MATRIX_ENTRIES, MAX_DENSE_ELEMENTS } from './matrix/convMatrix.js';
export type { ConvMatrixOptions, ConvMatrixEntry, ConvMatrixCoords } from './matrix/convMatrix.js';
export { solveConvTranspose, hasEvenOverlap, SOLVER_MAX_RESULTS } from './geometry/solver.js';
export type { SolveConvTransposeArgs, ConvTransposeConfig } from './geometry/solver.js';
export { parseIdx } from './data/idx.js';
export type { IdxArray } from './data/idx.js';
export { makeDigitCanvases, BACKGROUND, SEGMENTATION_CLASSES } from './data/segmentation.js';
export type { DigitSource, DigitCanvasOptions, DigitCanvases } from './data/segmentation.js';
export {
  convFront,
  deconvnetForward,
  deconvnetProject,
  receptiveField,
  topActivations,
  isolate,
  selectImages,
} from './viz/deconvnet.js';
export type { DeconvNetLayer, DeconvNetTrace, PixelWindow, Activation } from './viz/deconvnet.js';
export { ready, releaseWasmMemory, setNumThreads, getNumThreads } from './kernels/wasm/runtime.js';
