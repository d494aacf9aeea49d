// readOnnxTensor's tensors have their chained methods in any bundle
import '../ops/chained.js';
export { importOnnx } from './importer.js';
export type { ImportOnnxOptions, OnnxModel, OnnxLayer } from './importer.js';
export { readOnnxTensor } from './tensors.js';
export type { ExternalData } from './tensors.js';
export { exportOnnx } from './exporter.js';
export type { ExportOnnxOptions } from './exporter.js';
export type { LayerParams } from './operators.js';
