/**
 * The IDX format of the MNIST files: a big-endian header — two zero bytes, a type byte (0x08 =
 * unsigned byte), the number of dimensions — then one big-endian uint32 per dimension, then the
 * values in row-major order. Pure (no file system), so it is in the root entry; reading the MNIST
 * files is `loadMnist` of `deconv/node`.
 */
import { fail } from '../errors.js';

/** A parsed IDX file of unsigned bytes: its dimensions and its values (a view, not a copy). */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses the bytes of an IDX file of unsigned bytes (type 0x08), as the MNIST files are.
 *
 * @example
 *   // a 2×3 array of bytes
 *   parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]));
 *   // { shape: [2, 3], data: Uint8Array [1, 2, 3, 4, 5, 6] }
 */
export function parseIdx(bytes: Uint8Array, name = 'bytes'): IdxArray {
  const fn = 'parseIdx';
  if (!(bytes instanceof Uint8Array))
    fail(fn, name, bytes, 'must be a Uint8Array (the bytes of an IDX file)');
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    fail(fn, name, bytes, 'is not an IDX file: it must start with two zero bytes');
  if (bytes[2] !== 0x08)
    fail(fn, `${name}[2]`, bytes[2], 'must be 8 (unsigned bytes): other IDX value types are not read');
  const rank = bytes[3]!;
  if (rank < 1) fail(fn, `${name}[3]`, rank, 'must be a positive number of dimensions');
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize)
    fail(fn, name, bytes, `is too short for the header of ${rank} dimensions (${headerSize} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const s = view.getUint32(4 + 4 * i, false);
    shape.push(s);
    count *= s;
  }
  if (bytes.length !== headerSize + count)
    fail(
      fn,
      name,
      bytes,
      `has ${bytes.length - headerSize} values after its header but its shape [${shape.join(', ')}] needs ${count}`,
    );
  return { shape, data: bytes.subarray(headerSize) };
}
