/**
 * The `nn` namespace: modules, layers, initialisers, losses and optimisers for training with the
 * library's differentiable ops, mirroring `torch.nn` / `torch.optim` (PyTorch 1.13).
 *
 * @example
 *   import { nn, randn } from 'deconv';
 *   nn.manualSeed(0);
 *   const model = new nn.Sequential(
 *     new nn.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
 *     new nn.ReLU(),
 *     new nn.ConvTranspose2d({ inChannels: 8, outChannels: 1, kernelSize: 3, padding: 1 }),
 *   );
 *   const opt = new nn.Adam(model.parameters(), { lr: 1e-3 });
 *   const x = randn([4, 1, 12, 12], { seed: 1 });
 *   for (let step = 0; step < 10; step++) {
 *     opt.zeroGrad();
 *     const loss = nn.mseLoss(model.forward(x), x);
 *     loss.backward();
 *     opt.step();
 *   }
 */
// Tensor's chained methods (t.sum(), t.backward(), …), for code that imports nn without the entry.
import '../ops/chained.js';
export { Module, Sequential } from './module.js';
export type { Layer, StateDict, StateDictLike, LoadStateDictOptions, LoadStateDictResult } from './module.js';
export {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  MaxUnpool1d,
  MaxUnpool2d,
  MaxUnpool3d,
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  Upsample,
  PixelShuffle,
  PixelUnshuffle,
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  Linear,
  ReLU,
  LeakyReLU,
  Tanh,
  Sigmoid,
  Identity,
  Dropout,
  Flatten,
} from './layers.js';
export type {
  ParameterOptions,
  ConvLayerOptions,
  ConvTransposeLayerOptions,
  MaxPoolLayerOptions,
  MaxUnpoolLayerOptions,
  AvgPoolLayerOptions,
  BatchNormLayerOptions,
  LinearLayerOptions,
} from './layers.js';
export * as init from './initializers.js';
export { manualSeed } from './initializers.js';
export { mseLoss, l1Loss, binaryCrossEntropyWithLogits, crossEntropy, nllLoss } from './losses.js';
export type {
  Reduction,
  ReductionOptions,
  BinaryCrossEntropyOptions,
  CrossEntropyOptions,
} from './losses.js';
export { Optimizer, SGD, Adam, AdamW } from './optim.js';
export type { SGDOptions, AdamOptions } from './optim.js';
export { leakyRelu, logSoftmax, softplus, batchNorm } from '../ops/elementwise.js';
export type { BatchNormArgs } from '../ops/elementwise.js';
export {
  SEGMENTATION_DECODERS,
  SegmentationEncoder,
  SegmentationModel,
  SegNet,
  DeconvNet,
  FCN8s,
  UNet,
  segmentationModel,
  predictLabels,
  confusionMatrix,
  segmentationScores,
  nyquistEnergyShare,
} from './segmentation.js';
export type {
  SegmentationDecoder,
  SegmentationOptions,
  EncoderOutput,
  DeconvNetActivation,
  SegmentationScores,
} from './segmentation.js';
