/**
 * unfold / fold (im2col / col2im over 1 to 3 spatial dimensions) on the WebAssembly kernels that
 * the convolutions use (asm/im2col.ts), same signatures as kernels/fast/fold.ts plus the engine,
 * float32 data. Per batch element one slice record; threads split it by channels (a channel's
 * column rows read, or write, only its own image plane), so results do not depend on the thread
 * count.
 *
 * im2col moves values (zeros for padding): the reference's values exactly. col2im adds each
 * column into the image in float32 in the reference's tap order, where the reference sums in
 * float64 and rounds once: overlapping taps may differ from it in the last bits, as PyTorch's
 * float32 col2im does.
 */
import { to3 } from '../../geometry/arithmetic.js';
import type { FoldGeometry } from '../../geometry/fold.js';
import type { Triple } from '../plan.js';
import { V } from './abi.js';
import { colsByChannel, writeSlice, type SliceRecord } from './conv.js';
import type { WasmEngine } from './loader.js';
import { FN } from './threads.js';

/** The slice record of batch element b: the image at byte offset `ip`, the columns at `cp`. */
function slice(g: FoldGeometry, ip: number, cp: number, b: number): SliceRecord {
  const X = to3(g.imageSize, 1) as Triple;
  const plane = X[0] * X[1] * X[2];
  const L = g.blockCount;
  return {
    c: g.channels,
    X,
    Y: to3(g.blocks, 1) as Triple,
    K: to3(g.kernel, 1) as Triple,
    S: to3(g.stride, 1) as Triple,
    D: to3(g.dilation, 1) as Triple,
    P: to3(g.padBegin, 0) as Triple,
    src: ip + 4 * b * g.channels * plane,
    cs: plane,
    bs: 0,
    nb: 1,
    cols: cp + 4 * b * g.channels * g.kernelVolume * L,
    ld: L,
  };
}

function check(g: FoldGeometry, image: Float32Array, cols: Float32Array): void {
  const plane = g.imageSize.reduce((a, b) => a * b, 1);
  const planes = g.batch * g.channels;
  if (image.length !== planes * plane || cols.length !== planes * g.kernelVolume * g.blockCount)
    throw new Error(
      `${g.fn}: internal error: arrays of length ${image.length} and ${cols.length} do not match the geometry`,
    );
}

/** im2col: `cols` (N, C·∏k, L) fully written from `image` (N, C, *imageSize). */
export function im2colWasm(e: WasmEngine, g: FoldGeometry, image: Float32Array, cols: Float32Array): void {
  check(g, image, cols);
  if (cols.length === 0) return;
  e.reset();
  const ip = e.copyIn(image);
  const cp = e.alloc(cols.length);
  const cv = e.record(V.FIELDS);
  for (let b = 0; b < g.batch; b++) {
    const r = slice(g, ip, cp, b);
    writeSlice(e, cv, r);
    colsByChannel(e, FN.im2col, cv, r, g.kernelVolume, 4 * g.channels * g.kernelVolume * g.blockCount);
  }
  e.copyOut(cp, cols);
}

/** col2im: `image` (N, C, *imageSize) fully written, the sum of the columns that cover each pixel. */
export function col2imWasm(e: WasmEngine, g: FoldGeometry, cols: Float32Array, image: Float32Array): void {
  check(g, image, cols);
  if (image.length === 0) return;
  e.reset();
  const cp = e.copyIn(cols);
  const ip = e.alloc(image.length);
  e.f32.fill(0, ip >> 2, (ip >> 2) + image.length);
  const cv = e.record(V.FIELDS);
  for (let b = 0; b < g.batch; b++) {
    const r = slice(g, ip, cp, b);
    writeSlice(e, cv, r);
    colsByChannel(
      e,
      FN.col2im,
      cv,
      r,
      g.kernelVolume,
      4 * g.channels * (image.length / (g.batch * g.channels)),
    );
  }
  e.copyOut(ip, image);
}
