/**
 * safetensors, the weight format of Hugging Face (https://github.com/huggingface/safetensors):
 *
 *     8 bytes    N, the header length, an unsigned 64-bit little-endian integer
 *     N bytes    a UTF-8 JSON object: name → { "dtype": "F32", "shape": [8, 1, 3, 3],
 *                "data_offsets": [begin, end] } plus an optional "__metadata__": { string: string }
 *     the rest   the tensors' bytes, little-endian, row-major; offsets count from here
 *
 * `writeSafetensors` writes what the Rust implementation writes, byte for byte: the tensors sorted
 * by descending dtype alignment and then by name, a compact header with `__metadata__` first and
 * the tensors in offset order, padded with spaces to a multiple of 8 bytes (so the data is
 * aligned). A state_dict PyTorch saved with `safetensors.torch.save_file` loads into a module
 * with `loadStateDict(readSafetensors(bytes))`, and writing it back gives the same bytes.
 *
 * dtypes: F32 → float32, I32 → int32, I64 → int32 (each value checked to fit: PyTorch stores
 * `num_batches_tracked` and indices as int64), F64 → float32 by default (rounded to nearest; pass
 * `{ keepFloat64: true }` for the internal float64 dtype). Other dtypes (F16, BF16, U8, BOOL, …)
 * are refused with a `DeconvError`. When writing, float32 → F32, float64 → F64, int32 → I64 (as
 * PyTorch's integer tensors; `{ intDtype: 'I32' }` for I32).
 *
 * A file is untrusted input: the header length, the JSON, every dtype, shape and offset are
 * checked before any tensor is read (the offsets must tile the data exactly, as the Rust reader
 * requires), so no read goes outside the buffer.
 */
import { DeconvError, fail, show } from '../errors.js';
import { MAX_ELEMENTS, Tensor, allocate, checkLive, numel } from '../tensor.js';
import { checkOptions } from '../geometry/args.js';
// the tensors readSafetensors hands out have their chained methods in any bundle
import '../ops/chained.js';

/** Largest header the Rust reader accepts. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

/** Rust's `Dtype` enum order (increasing alignment); the writer sorts by it, descending. */
const DTYPE_ORDER = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
];
const BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface ReadSafetensorsOptions {
  /** keep F64 tensors as (internal) float64 tensors instead of rounding them to float32 */
  keepFloat64?: boolean;
}

export interface WriteSafetensorsOptions {
  /** the header's `__metadata__`: string keys to string values (e.g. `{ format: 'pt' }`) */
  metadata?: Record<string, string>;
  /** dtype for int32 tensors: `'I64'` (default, as PyTorch's integer tensors) or `'I32'` */
  intDtype?: 'I64' | 'I32';
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function asBytes(fn: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return fail(fn, 'bytes', bytes, 'must be a Uint8Array (or Node Buffer) or an ArrayBuffer');
}

/** Parses and validates the header; returns the entries, the metadata and where the data starts. */
function parseHeader(
  fn: string,
  bytes: Uint8Array,
): { entries: Entry[]; metadata: Record<string, string> | null; dataStart: number } {
  const bad = (detail: string): never =>
    fail(fn, 'bytes', bytes, `is not a valid safetensors file: ${detail}`);
  if (bytes.length < 8) bad(`it has ${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthLow = view.getUint32(0, true);
  const lengthHigh = view.getUint32(4, true);
  const headerLength = lengthHigh * 2 ** 32 + lengthLow;
  if (headerLength > MAX_HEADER_BYTES)
    bad(`the header length ${headerLength} is larger than the ${MAX_HEADER_BYTES} bytes allowed`);
  if (headerLength > bytes.length - 8)
    bad(`the header length ${headerLength} runs past the end of the ${bytes.length} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return bad('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    bad('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let metadata: Record<string, string> | null = null;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (info === null || typeof info !== 'object' || Array.isArray(info))
        bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>))
        if (typeof v !== 'string') bad(`__metadata__[${show(k)}] = ${show(v)} is not a string`);
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const where = `tensor ${show(name)}`;
    if (info === null || typeof info !== 'object' || Array.isArray(info))
      bad(`${where} is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') bad(`${where} has dtype ${show(dtype)}, not a string`);
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || (s as number) < 0))
      bad(`${where} has shape ${show(shape)}, not an array of non-negative integers`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      offsets.some((o) => !Number.isSafeInteger(o) || (o as number) < 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    )
      bad(`${where} has data_offsets ${show(offsets)}, not [begin, end] with 0 <= begin <= end`);
    const size = BYTES[dtype as string];
    if (size === undefined)
      throw new DeconvError(
        fn,
        'bytes',
        `bytes: tensor ${show(name)} has dtype ${show(dtype)}, which is not supported (F32, F64, I32 and I64 are)`,
      );
    const count = numel(shape as number[]);
    if (count > MAX_ELEMENTS)
      bad(`${where} of shape ${show(shape)} has more elements than a tensor can hold`);
    const [begin, end] = offsets as [number, number];
    if (end - begin !== count * size)
      bad(
        `${where} of dtype ${dtype} and shape ${show(shape)} needs ${count * size} bytes, its data_offsets ${show(offsets)} hold ${end - begin}`,
      );
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  // The data must be tiled exactly by the tensors, in offset order (the Rust reader's rule).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at)
      bad(
        `tensor ${show(e.name)} starts at data offset ${e.begin}, expected ${at} (tensors must tile the data without gaps or overlaps)`,
      );
    at = e.end;
  }
  if (at !== dataLength) bad(`the tensors cover ${at} bytes of data, the file has ${dataLength}`);
  return { entries, metadata, dataStart };
}

function readEntry(fn: string, bytes: Uint8Array, e: Entry, dataStart: number, keepFloat64: boolean): Tensor {
  const start = dataStart + e.begin;
  const count = (e.end - e.begin) / BYTES[e.dtype]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, e.end - e.begin);
  if (e.dtype === 'I64') {
    const out = allocate(fn, 'bytes', e.shape, 'int32');
    for (let i = 0; i < count; i++) {
      const low = view.getUint32(8 * i, true);
      const high = view.getInt32(8 * i + 4, true);
      // fits in int32 when the high word is the sign extension of the low word
      if (high !== (low >= 2 ** 31 ? -1 : 0))
        throw new DeconvError(
          fn,
          'bytes',
          `bytes: tensor ${show(e.name)} element ${i} = ${view.getBigInt64(8 * i, true)} (I64) is outside the int32 range`,
        );
      out[i] = low | 0;
    }
    return new Tensor(out, e.shape);
  }
  const dtype = e.dtype === 'I32' ? 'int32' : e.dtype === 'F64' && keepFloat64 ? 'float64' : 'float32';
  const out = allocate(fn, 'bytes', e.shape, dtype);
  if (e.dtype === 'F64' && !keepFloat64) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (LITTLE_ENDIAN) {
    // same element type: copy the bytes (the source may be unaligned, so not a typed-array view)
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(start, dataStart + e.end));
  } else {
    const get =
      e.dtype === 'F32'
        ? (i: number) => view.getFloat32(4 * i, true)
        : e.dtype === 'F64'
          ? (i: number) => view.getFloat64(8 * i, true)
          : (i: number) => view.getInt32(4 * i, true);
    for (let i = 0; i < count; i++) out[i] = get(i);
  }
  return new Tensor(out, e.shape);
}

/**
 * Reads a safetensors file into a record of name → tensor (a record without prototype, in the
 * file's key order). See the top of this file for the dtypes.
 *
 * @example
 *   import { readFileSync } from 'node:fs';
 *   const weights = readSafetensors(readFileSync('model.safetensors'));
 *   model.loadStateDict(weights);
 */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadSafetensorsOptions = {},
): Record<string, Tensor> {
  const fn = 'readSafetensors';
  const b = asBytes(fn, bytes);
  const o = checkOptions<ReadSafetensorsOptions>(fn, options, ['keepFloat64']);
  const keepFloat64 = o.keepFloat64 ?? false;
  if (typeof keepFloat64 !== 'boolean') fail(fn, 'keepFloat64', keepFloat64, 'must be a boolean');
  const { entries, dataStart } = parseHeader(fn, b);
  const out = Object.create(null) as Record<string, Tensor>;
  for (const e of entries) out[e.name] = readEntry(fn, b, e, dataStart, keepFloat64);
  return out;
}

/**
 * The `__metadata__` of a safetensors file's header (string → string), or null if it has none.
 * The file is validated as by `readSafetensors`.
 *
 * @example readSafetensorsMetadata(readFileSync('model.safetensors')); // { format: 'pt' }
 */
export function readSafetensorsMetadata(bytes: Uint8Array | ArrayBuffer): Record<string, string> | null {
  const fn = 'readSafetensorsMetadata';
  return parseHeader(fn, asBytes(fn, bytes)).metadata;
}

function compareUtf8(a: string, b: string): number {
  const encoder = new TextEncoder();
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * Writes tensors (a state_dict `Map` or a record of name → tensor) as a safetensors file, byte for
 * byte what the Rust implementation writes for the same tensors.
 *
 * @example
 *   import { writeFileSync } from 'node:fs';
 *   writeFileSync('model.safetensors', writeSafetensors(model.stateDict(), { metadata: { format: 'pt' } }));
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const fn = 'writeSafetensors';
  let list: [string, unknown][];
  if (tensors instanceof Map) list = [...(tensors as Map<string, unknown>).entries()];
  else if (
    tensors !== null &&
    typeof tensors === 'object' &&
    !Array.isArray(tensors) &&
    !(tensors instanceof Tensor)
  )
    list = Object.entries(tensors);
  else return fail(fn, 'tensors', tensors, 'must be a Map or a record of names to tensors');
  const o = checkOptions<WriteSafetensorsOptions>(fn, options, ['metadata', 'intDtype']);
  const intDtype = o.intDtype ?? 'I64';
  if (intDtype !== 'I64' && intDtype !== 'I32') fail(fn, 'intDtype', intDtype, "must be 'I64' or 'I32'");
  if (o.metadata !== undefined) {
    if (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata))
      fail(fn, 'metadata', o.metadata, 'must be a record of strings');
    for (const [k, v] of Object.entries(o.metadata))
      if (typeof v !== 'string') fail(fn, `metadata[${show(k)}]`, v, 'must be a string');
  }
  const items = list.map(([name, t]) => {
    const path = `tensors[${show(name)}]`;
    if (typeof name !== 'string') fail(fn, 'tensors', name, 'must have string names');
    if (name === METADATA_KEY)
      fail(fn, path, t, `cannot be stored: ${METADATA_KEY} is the header's metadata key`);
    if (!(t instanceof Tensor)) fail(fn, path, t, 'must be a Tensor');
    checkLive(fn, path, t);
    const dtype = t.dtype === 'float32' ? 'F32' : t.dtype === 'float64' ? 'F64' : intDtype;
    return { name, tensor: t, dtype, bytes: t.size * BYTES[dtype]! };
  });
  items.sort(
    (a, b) => DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype) || compareUtf8(a.name, b.name),
  );

  // The header JSON is assembled by hand: a JS object would put integer-like names ('0') first.
  const fields: string[] = [];
  if (o.metadata !== undefined) fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(o.metadata)}`);
  let offset = 0;
  for (const it of items) {
    const info = { dtype: it.dtype, shape: [...it.tensor.shape], data_offsets: [offset, offset + it.bytes] };
    fields.push(`${JSON.stringify(it.name)}:${JSON.stringify(info)}`);
    offset += it.bytes;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const total = 8 + headerLength + offset;
  if (total > 2 ** 53) fail(fn, 'tensors', list.length, 'hold more bytes than a file can be written with');
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { tensor, dtype } of items) {
    const d = tensor.data;
    if (dtype === 'I64') {
      for (let i = 0; i < d.length; i++, at += 8) {
        view.setInt32(at, d[i]!, true);
        view.setInt32(at + 4, d[i]! < 0 ? -1 : 0, true);
      }
    } else if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
      at += d.byteLength;
    } else {
      const size = BYTES[dtype]!;
      for (let i = 0; i < d.length; i++, at += size) {
        if (dtype === 'F32') view.setFloat32(at, d[i]!, true);
        else if (dtype === 'F64') view.setFloat64(at, d[i]!, true);
        else view.setInt32(at, d[i]!, true);
      }
    }
  }
  return out;
}
