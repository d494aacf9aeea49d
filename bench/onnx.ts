/**
 * ONNX models of the workloads, built from code with onnx-proto's message classes (opset 13, one
 * node each, weights as initializers so ONNX Runtime may pre-pack them at session creation):
 *
 * - ConvTranspose (W1, W2, W3, and W7: the input gradient of a conv is the ConvTranspose with the
 *   same weight, stride and padding; ONNX has no autograd at inference).
 * - Conv with `dilations` and explicit `pads` (W6).
 * - MaxUnpool (W4). ONNX's indices are flat over the whole tensor (N·C·H·W), PyTorch's and deconv's
 *   per plane; the bench converts them to int64 global indices before timing.
 * - Resize (W5): bilinear = mode 'linear' + 'half_pixel' (PyTorch's alignCorners false), nearest =
 *   'asymmetric' + 'floor' (PyTorch's legacy 'nearest').
 *
 * https://onnx.ai/onnx/operators/
 */
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import type { Workload } from './workloads.js';

const { onnx } = onnxProto;
const INTS = onnx.AttributeProto.AttributeType.INTS;
const STRING = onnx.AttributeProto.AttributeType.STRING;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

const ints = (name: string, values: number[]): O.IAttributeProto => ({ name, type: INTS, ints: values });
const str = (name: string, value: string): O.IAttributeProto => ({
  name,
  type: STRING,
  s: new TextEncoder().encode(value),
});

function valueInfo(name: string, shape: number[], elemType: number): O.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function initializer(name: string, shape: number[], data: Float32Array): O.ITensorProto {
  return {
    name,
    dims: shape,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export interface OnnxModel {
  bytes: Uint8Array;
  /** Graph inputs, in order: name, the bench input it comes from, element type. */
  feeds: { name: string; from: 'x' | 'g' | 'indices'; type: 'float32' | 'int64' }[];
  note?: string;
}

/** Builds the one-node model of a workload (`w` is the weight, when it has one). */
export function buildModel(wl: Workload, w: Float32Array | undefined): OnnxModel {
  const s = wl.spec;
  const out = valueInfo('Y', wl.outShape, FLOAT);
  let node: O.INodeProto;
  const inputs: O.IValueInfoProto[] = [];
  const inits: O.ITensorProto[] = [];
  let feeds: OnnxModel['feeds'];
  let note: string | undefined;
  switch (s.op) {
    case 'convTranspose2d':
    case 'conv2dInputGrad': {
      const from = s.op === 'convTranspose2d' ? 'x' : 'g';
      const p = s.padding;
      node = {
        opType: 'ConvTranspose',
        input: ['X', 'W'],
        output: ['Y'],
        attribute: [
          ints('kernel_shape', [s.k, s.k]),
          ints('strides', [s.stride, s.stride]),
          ints('pads', [p, p, p, p]),
        ],
      };
      inputs.push(valueInfo('X', [s.n, s.cin, s.h, s.w], FLOAT));
      inits.push(initializer('W', [s.cin, s.cout, s.k, s.k], w!));
      feeds = [{ name: 'X', from, type: 'float32' }];
      if (s.op === 'conv2dInputGrad') {
        note = "ConvTranspose with the conv's weight (= the conv's input gradient; ONNX has no autograd)";
      }
      break;
    }
    case 'conv2d': {
      const p = ((s.k - 1) * s.dilation) / 2;
      node = {
        opType: 'Conv',
        input: ['X', 'W'],
        output: ['Y'],
        attribute: [
          ints('kernel_shape', [s.k, s.k]),
          ints('dilations', [s.dilation, s.dilation]),
          ints('pads', [p, p, p, p]),
          ints('strides', [1, 1]),
        ],
      };
      inputs.push(valueInfo('X', [s.n, s.cin, s.h, s.w], FLOAT));
      inits.push(initializer('W', [s.cout, s.cin, s.k, s.k], w!));
      feeds = [{ name: 'X', from: 'x', type: 'float32' }];
      break;
    }
    case 'maxUnpool2d': {
      node = {
        opType: 'MaxUnpool',
        input: ['X', 'I'],
        output: ['Y'],
        attribute: [ints('kernel_shape', [s.k, s.k]), ints('strides', [s.k, s.k])],
      };
      inputs.push(valueInfo('X', [s.n, s.c, s.h, s.w], FLOAT), valueInfo('I', [s.n, s.c, s.h, s.w], INT64));
      feeds = [
        { name: 'X', from: 'x', type: 'float32' },
        { name: 'I', from: 'indices', type: 'int64' },
      ];
      note = 'indices as int64 flat over the whole tensor (ONNX convention), converted before timing';
      break;
    }
    case 'interpolate': {
      const attrs =
        s.mode === 'bilinear'
          ? [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')]
          : [
              str('mode', 'nearest'),
              str('coordinate_transformation_mode', 'asymmetric'),
              str('nearest_mode', 'floor'),
            ];
      // Resize-13 inputs: X, roi (unused: empty name), scales.
      node = { opType: 'Resize', input: ['X', '', 'S'], output: ['Y'], attribute: attrs };
      inputs.push(valueInfo('X', [s.n, s.c, s.h, s.w], FLOAT));
      inits.push(initializer('S', [4], new Float32Array([1, 1, s.scale, s.scale])));
      feeds = [{ name: 'X', from: 'x', type: 'float32' }];
      break;
    }
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'deconv-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: wl.key, node: [node], initializer: inits, input: inputs, output: [out] },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), feeds, note };
}
