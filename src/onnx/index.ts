export { importOnnx } from './importer.js';
export type { ImportOnnxOptions, OnnxModel, OnnxLayer } from './importer.js';
export { readOnnxTensor } from './tensors.js';
