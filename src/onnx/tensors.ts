/**
 * ONNX TensorProto ↔ deconv Tensor. Float tensors become float32; integer and boolean tensors
 * become int32 (the contract), a value outside int32 refused with a `DeconvError` where it reaches
 * the user, and saturated where it is an operator's constant (Slice's INT64_MAX "to the end").
 */
import { DeconvError, show } from '../errors.js';
import { MAX_ELEMENTS, Tensor, numel } from '../tensor.js';
import { DataType, decodeTensor, int64, type TensorProto } from './proto.js';

export const INT_TYPES: readonly number[] = [
  DataType.UINT8,
  DataType.INT8,
  DataType.UINT16,
  DataType.INT16,
  DataType.INT32,
  DataType.INT64,
  DataType.BOOL,
  DataType.UINT32,
  DataType.UINT64,
];
export const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE];

export function dtypeOf(dataType: number): 'float32' | 'int32' | null {
  if (FLOAT_TYPES.includes(dataType)) return 'float32';
  if (INT_TYPES.includes(dataType)) return 'int32';
  return null;
}

export const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]),
);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export interface ToTensorOptions {
  /** where: for messages, e.g. "initializer 'w'" */
  where: string;
  fn: string;
  /** int values outside int32: 'refuse' (inputs, outputs) or 'saturate' (constants) */
  outOfRange: 'refuse' | 'saturate';
  externalData?: ExternalData;
}

/**
 * The bytes of external-data files by their `location`: a record, or a function that reads one
 * (the CLI reads them beside the model). Locations are checked first (`checkLocation`).
 */
export type ExternalData = Record<string, Uint8Array> | ((location: string) => Uint8Array | undefined);

/** A tensor's dims: non-negative integers whose product is at most MAX_ELEMENTS. */
export function checkDims(o: { fn: string; where: string }, shape: readonly number[]): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new DeconvError(
        o.fn,
        'bytes',
        `${o.where} has dims ${show(shape)}: each must be a non-negative integer`,
      );
    n *= d;
  }
  if (n > MAX_ELEMENTS)
    throw new DeconvError(
      o.fn,
      'bytes',
      `${o.where} has dims ${show(shape)}: ${n} elements, more than deconv's limit of ${MAX_ELEMENTS} per tensor`,
    );
}

/**
 * An external-data `location`: a relative path inside the model's folder, as ONNX specifies
 * ("relative to the model file"). Absolute paths, drive letters, `..` segments, backslashes and
 * NUL are refused, so no location can name a file outside that folder.
 */
export function checkLocation(o: { fn: string; where: string }, location: string | undefined): string {
  const refuse = (rule: string): never => {
    throw new DeconvError(
      o.fn,
      'externalData',
      `${o.where}: external data location = ${show(location)} ${rule}`,
    );
  };
  if (!location) return refuse('must be a file name (the tensor has data_location EXTERNAL)');
  if (location.includes('\0') || location.includes('\\'))
    refuse('must not contain a backslash or NUL (use / between folders)');
  if (location.startsWith('/') || /^[A-Za-z]:/.test(location))
    refuse("must be relative to the model's folder, not absolute");
  if (location.split('/').some((part) => part === '..'))
    refuse("must not leave the model's folder (a '..' segment)");
  return location;
}

/** Converts a TensorProto to a float32 or int32 Tensor. */
export function fromTensorProto(t: TensorProto, o: ToTensorOptions): Tensor {
  const dataType = t.dataType ?? 0;
  const dtype = dtypeOf(dataType);
  if (dtype === null) {
    throw new DeconvError(
      o.fn,
      'bytes',
      `${o.where} has data type ${TYPE_NAMES[dataType] ?? dataType}, which deconv does not support (float, double and integer types are)`,
    );
  }
  const shape = (t.dims ?? []).map(int64);
  checkDims(o, shape);
  const n = numel(shape);
  let raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === 1) {
    const info = Object.fromEntries((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = checkLocation(o, info.location);
    const file = typeof o.externalData === 'function' ? o.externalData(location) : o.externalData?.[location];
    if (!file) {
      throw new DeconvError(
        o.fn,
        'externalData',
        `${o.where} is stored in the external file ${show(info.location)}: pass its bytes as options.externalData[${show(info.location)}]`,
      );
    }
    const offset = Number(info.offset ?? 0);
    const length = info.length !== undefined ? Number(info.length) : file.length - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= file.length)) {
      throw new DeconvError(
        o.fn,
        'externalData',
        `${o.where}: offset ${offset} + length ${length} lies outside the ${file.length} bytes of ${show(info.location)}`,
      );
    }
    raw = file.subarray(offset, offset + length);
  }
  const values: ArrayLike<number> | null = raw ? rawValues(raw, dataType, n, o) : listValues(t, dataType);
  if (values === null || values.length !== n) {
    throw new DeconvError(
      o.fn,
      'bytes',
      `${o.where} has ${values?.length ?? 0} values for its shape ${show(shape)} (${n})`,
    );
  }
  const data = dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v = values[i]!;
    if (dtype === 'int32' && (v < INT32_MIN || v > INT32_MAX)) {
      if (o.outOfRange === 'refuse') {
        throw new DeconvError(
          o.fn,
          'bytes',
          `${o.where} holds ${v} at ${i}, outside int32 (integer tensors are int32 in deconv)`,
        );
      }
      v = v < 0 ? INT32_MIN : INT32_MAX;
    }
    data[i] = v;
  }
  return new Tensor(data, shape);
}

function listValues(t: TensorProto, dataType: number): ArrayLike<number> | null {
  switch (dataType) {
    case DataType.FLOAT:
      return t.floatData ?? [];
    case DataType.DOUBLE:
      return t.doubleData ?? [];
    case DataType.INT64:
      return (t.int64Data ?? []).map(int64);
    case DataType.UINT32:
    case DataType.UINT64:
      return (t.uint64Data ?? []).map(int64);
    default:
      return t.int32Data ?? [];
  }
}

function rawValues(raw: Uint8Array, dataType: number, n: number, o: ToTensorOptions): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size: Record<number, number> = {
    [DataType.FLOAT]: 4,
    [DataType.DOUBLE]: 8,
    [DataType.INT64]: 8,
    [DataType.UINT64]: 8,
    [DataType.INT32]: 4,
    [DataType.UINT32]: 4,
    [DataType.INT16]: 2,
    [DataType.UINT16]: 2,
    [DataType.INT8]: 1,
    [DataType.UINT8]: 1,
    [DataType.BOOL]: 1,
  };
  const bytes = size[dataType]!;
  if (raw.byteLength !== n * bytes) {
    throw new DeconvError(
      o.fn,
      'bytes',
      `${o.where} has ${raw.byteLength} bytes of raw data for ${n} values of ${bytes} bytes`,
    );
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = i * bytes;
    switch (dataType) {
      case DataType.FLOAT:
        out[i] = view.getFloat32(at, true);
        break;
      case DataType.DOUBLE:
        out[i] = view.getFloat64(at, true);
        break;
      case DataType.INT64:
        out[i] = Number(view.getBigInt64(at, true));
        break;
      case DataType.UINT64:
        out[i] = Number(view.getBigUint64(at, true));
        break;
      case DataType.INT32:
        out[i] = view.getInt32(at, true);
        break;
      case DataType.UINT32:
        out[i] = view.getUint32(at, true);
        break;
      case DataType.INT16:
        out[i] = view.getInt16(at, true);
        break;
      case DataType.UINT16:
        out[i] = view.getUint16(at, true);
        break;
      case DataType.INT8:
        out[i] = view.getInt8(at);
        break;
      default:
        out[i] = view.getUint8(at);
    }
  }
  return out;
}

/** A float32 tensor as a FLOAT TensorProto, an int32 one as INT64 (ONNX's usual integer type). */
export function toTensorProto(t: Tensor, name: string, int64Ints = true): TensorProto {
  const dims = [...t.shape];
  if (t.dtype === 'int32') {
    if (int64Ints) return { name, dims, dataType: DataType.INT64, int64Data: Array.from(t.data) };
    return { name, dims, dataType: DataType.INT32, int32Data: Array.from(t.data) };
  }
  const f = Float32Array.from(t.data);
  return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(f.buffer) };
}

/**
 * Reads a serialized ONNX `TensorProto` (an ONNX test's `input_0.pb`) as a float32 or int32 Tensor.
 * @example readOnnxTensor(readFileSync('test_data_set_0/input_0.pb')).shape
 */
export function readOnnxTensor(bytes: Uint8Array): Tensor {
  return fromTensorProto(decodeTensor('readOnnxTensor', bytes), {
    fn: 'readOnnxTensor',
    where: 'the tensor',
    outOfRange: 'refuse',
  });
}
