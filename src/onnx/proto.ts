/**
 * ONNX's protobuf messages, decoded and encoded by protobufjs (its `light` build: a JSON schema,
 * no .proto parsing, no generated code, browser-safe) with the schema of ONNX 1.12's `onnx.proto`
 * in `schema.ts` (written by scripts/gen-onnx-schema.ts). The interfaces below name the fields
 * deconv reads and writes; protobufjs gives the field names in camelCase.
 */
import protobuf from 'protobufjs/light.js';
import { DeconvError } from '../errors.js';
import { ONNX_SCHEMA } from './schema.js';

/** An int64 as protobufjs gives it: a number, or a Long when the long package is present. */
export type Int64 = number | { toNumber(): number };

export interface TensorProto {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  uint64Data?: Int64[];
  rawData?: Uint8Array;
  name?: string;
  dataLocation?: number;
  externalData?: { key?: string; value?: string }[];
}
export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
}
export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
}
export interface DimensionProto {
  dimValue?: Int64;
  dimParam?: string;
}
export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } };
}
export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
}
export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}
export interface ModelProto {
  irVersion?: Int64;
  opsetImport?: { domain?: string; version?: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  graph?: GraphProto;
}

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

let types: { model: protobuf.Type; tensor: protobuf.Type } | null = null;
function messageTypes(): { model: protobuf.Type; tensor: protobuf.Type } {
  if (!types) {
    const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
    types = { model: root.lookupType('onnx.ModelProto'), tensor: root.lookupType('onnx.TensorProto') };
  }
  return types;
}

export function int64(v: Int64 | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function decode<T>(fn: string, type: protobuf.Type, bytes: Uint8Array, what: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (e) {
    throw new DeconvError(fn, 'bytes', `bytes is not a serialized ONNX ${what}: ${(e as Error).message}`);
  }
}

export function decodeModel(fn: string, bytes: Uint8Array): ModelProto {
  return decode<ModelProto>(fn, messageTypes().model, bytes, 'ModelProto');
}

export function decodeTensor(fn: string, bytes: Uint8Array): TensorProto {
  return decode<TensorProto>(fn, messageTypes().tensor, bytes, 'TensorProto');
}

/**
 * protobufjs's writer hands out, in Node, a `Buffer`: a view into Node's shared 8 KiB pool, whose
 * `.buffer` holds other allocations' bytes and whose `slice()` shares memory. The bytes a user
 * gets are a plain `Uint8Array` that owns exactly its own buffer.
 */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array &&
    bytes.byteOffset === 0 &&
    bytes.buffer.byteLength === bytes.length
    ? bytes
    : new Uint8Array(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  const type = messageTypes().model;
  return ownBytes(type.encode(type.fromObject(model as Record<string, unknown>)).finish());
}

export function encodeTensor(t: TensorProto): Uint8Array {
  const type = messageTypes().tensor;
  return ownBytes(type.encode(type.fromObject(t as Record<string, unknown>)).finish());
}
