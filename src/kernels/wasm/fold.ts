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
import type { FoldGeometry } from '../../geometry/fold.js';
import { foldPlan, type FoldPlan } from '../plan.js';
import { SLICE } from './layout.js';
import type { WasmEngine } from './loader.js';
import { colsByChannel, writeSlice, type SliceRecord } from './slice.js';
import { FN } from './threads.js';

/** The slice record of batch element b: the image at byte offset `ip`, the columns at `cp`. */
function slice(g: FoldGeometry, m: FoldPlan, ip: number, cp: number, b: number): SliceRecord {
  return {
    channels: g.channels,
    xSize: m.xSize,
    ySize: m.ySize,
    kernelSize: m.kernelSize,
    stride: m.stride,
    dilation: m.dilation,
    padBegin: m.padBegin,
    src: ip + 4 * b * g.channels * m.xPlane,
    channelStride: m.xPlane,
    batchStride: 0,
    batchCount: 1,
    columns: cp + 4 * b * g.channels * m.kernelVolume * m.blockCount,
    columnStride: m.blockCount,
  };
}

/** im2col: `cols` (N, C·∏k, L) fully written from `image` (N, C, *imageSize). */
export function im2colWasm(e: WasmEngine, g: FoldGeometry, image: Float32Array, cols: Float32Array): void {
  const m = foldPlan(g, image.length, cols.length);
  if (cols.length === 0) return;
  e.reset();
  const ip = e.copyIn(image);
  const cp = e.output(cols);
  const cv = e.record(SLICE);
  for (let b = 0; b < g.batch; b++) {
    const r = slice(g, m, ip, cp, b);
    writeSlice(e, cv, r);
    colsByChannel(e, FN.im2col, cv, r, m.kernelVolume, 4 * g.channels * m.kernelVolume * m.blockCount);
  }
  e.copyOut(cp, cols);
}

/** col2im: `image` (N, C, *imageSize) fully written, the sum of the columns that cover each pixel. */
export function col2imWasm(e: WasmEngine, g: FoldGeometry, cols: Float32Array, image: Float32Array): void {
  const m = foldPlan(g, image.length, cols.length);
  if (image.length === 0) return;
  e.reset();
  const cp = e.copyIn(cols);
  const ip = e.output(image);
  e.f32.fill(0, ip >> 2, (ip >> 2) + image.length);
  const cv = e.record(SLICE);
  for (let b = 0; b < g.batch; b++) {
    const r = slice(g, m, ip, cp, b);
    writeSlice(e, cv, r);
    colsByChannel(e, FN.col2im, cv, r, m.kernelVolume, 4 * g.channels * m.xPlane);
  }
  e.copyOut(ip, image);
}
