/**
 * The im2col / col2im slice records (layout.ts SLICE) shared by the convolution kernels (conv.ts,
 * subpixel.ts) and unfold / fold (fold.ts): an x region in linear memory and the convolution that
 * reads it, zero-padded copies that put every tap inside x, and the channel split of a plain
 * im2col / col2im across threads.
 */
import { map3, volume, type ConvPlan, type Triple } from '../plan.js';
import { GEMM_B_KIND, PAD, SLICE } from './layout.js';
import type { WasmEngine } from './loader.js';
import { splitRecord } from './split.js';
import { FN } from './threads.js';

/** A SLICE record: every field of the layout, by name (src and columns are byte offsets). */
export interface SliceRecord {
  channels: number;
  xSize: Triple;
  ySize: Triple;
  kernelSize: Triple;
  stride: Triple;
  dilation: Triple;
  padBegin: Triple;
  src: number;
  /** channel and batch strides in floats */
  channelStride: number;
  batchStride: number;
  /** batch elements the im2col columns span */
  batchCount: number;
  /** plain im2col / col2im: the matrix and its row stride */
  columns?: number;
  columnStride?: number;
}

/**
 * Switches for tests and measurements: directB false packs every im2col operand;
 * transposedSubpixel false keeps every sub-pixel class in the (c, phase)-rows orientation;
 * exactBorders true / false forces the sub-pixel split without padding taps on / off (subpixel.ts,
 * 'auto': where it pays). directMaxBytes: the most bytes of x an operand read in place may span;
 * a larger one is packed, block by block, as the GEMM goes: each micro-panel read in place fetches
 * its taps from all over x, which a packing pass streams in order. Measured on the Intel Xeon host
 * in one process, alternating the two every few calls (bench/RESULTS.md): W1/b16 and W7/b16 at 1T,
 * whose B spans 5.3 MB of padded y, ran 4–11 % faster packed in 15 of 16 rounds; W6 (1.2 MB of
 * padded x) 3 % slower packed, W1/b1 (330 KB) the same; on the AMD EPYC W1/b16 had read 2–4 %
 * faster in place.
 */
export const wasmConvTuning: {
  directB: boolean;
  directMaxBytes: number;
  transposedSubpixel: boolean;
  exactBorders: 'auto' | boolean;
} = { directB: true, directMaxBytes: 4 << 20, transposedSubpixel: true, exactBorders: 'auto' };

/**
 * How the GEMM reads an im2col operand whose taps all lie inside x: in place when the stride along
 * x is 1, output rows are whole micro-panels (NR columns never straddle two rows) and the operand's
 * channels and batch elements span at most directMaxBytes of x, else packed.
 */
export function im2colKind(
  e: WasmEngine,
  r: Pick<SliceRecord, 'stride' | 'ySize' | 'channelStride' | 'channels' | 'batchCount'>,
): number {
  // a channel stride that is a multiple of 128 bytes maps the rows to a fraction of the L1 sets
  const spread = r.channelStride % 32 !== 0;
  const bytes = 4 * r.channels * r.channelStride * r.batchCount;
  return wasmConvTuning.directB &&
    spread &&
    r.stride[2] === 1 &&
    r.ySize[2] % e.NR === 0 &&
    bytes <= wasmConvTuning.directMaxBytes
    ? GEMM_B_KIND.direct
    : GEMM_B_KIND.im2col;
}

/** The x slice of batch element `b`, group `gr` of a convolution (x at byte offset `xp`). */
export function xSlice(m: ConvPlan, xp: number, b: number, gr: number): SliceRecord {
  return {
    channels: m.xChannelsPerGroup,
    xSize: m.xSize,
    ySize: m.ySize,
    kernelSize: m.kernelSize,
    stride: m.stride,
    dilation: m.dilation,
    padBegin: m.padBegin,
    src: xp + 4 * (b * m.groups + gr) * m.xChannelsPerGroup * m.xPlane,
    channelStride: m.xPlane,
    batchStride: 0,
    batchCount: 1,
  };
}

/** Writes slice `r` into the SLICE record at `p` (fields left out of `r` become 0). */
export function writeSlice(e: WasmEngine, p: number, r: SliceRecord): void {
  e.write(p, SLICE, { columns: 0, columnStride: 0, ...r });
}

/**
 * Plain im2col or col2im (`fn`) of the slice record at `cv` (already written from `r`), split by
 * channels across threads: channel c's rows of the matrix are [c·kVol, (c + 1)·kVol) and it
 * reads / writes only x channel c.
 */
export function colsByChannel(
  e: WasmEngine,
  fn: number,
  cv: number,
  r: SliceRecord,
  kVol: number,
  bytes: number,
): void {
  splitRecord(e, fn, SLICE, cv, r.channels, bytes, (c0, n) => ({
    channels: n,
    src: r.src + 4 * c0 * r.channelStride,
    columns: r.columns! + 4 * c0 * kVol * r.columnStride!,
  }));
}

/**
 * Zero padding per dimension that puts every tap of every output inside x, so that im2col runs
 * without bounds tests: before max(0, P), after max(0, (Y − 1)·S + (K − 1)·D − P − (X − 1)).
 */
export function padFor(r: SliceRecord): { before: Triple; after: Triple; any: boolean } {
  const before = map3(r.padBegin, (p) => Math.max(0, p));
  const after = map3(r.xSize, (x, i) =>
    Math.max(
      0,
      (r.ySize[i]! - 1) * r.stride[i]! + (r.kernelSize[i]! - 1) * r.dilation[i]! - r.padBegin[i]! - (x - 1),
    ),
  );
  return { before, after, any: [...before, ...after].some((v) => v > 0) };
}

/**
 * Plane stride of a padded copy: planes of 256 floats or more start an odd number of 64-byte lines
 * apart, so that the in-place B's rows (one per channel) spread over all L1 sets instead of piling
 * into a few (a power-of-two plane, 64 × 64 floats, puts every row in the same set).
 */
function planeStride(v: number): number {
  return v < 256 ? v : v + ((((16 - (v % 32)) % 32) + 32) % 32);
}

/** The slice record of a zero-padded copy of `r` at `dst`. */
export function paddedSlice(r: SliceRecord, before: Triple, after: Triple, dst: number): SliceRecord {
  const xSize = map3(r.xSize, (x, i) => x + before[i]! + after[i]!);
  const padBegin = map3(r.padBegin, (p, i) => p - before[i]!);
  const channelStride = planeStride(volume(xSize));
  return { ...r, xSize, padBegin, src: dst, channelStride, batchStride: r.channels * channelStride };
}

/** Copies `planes` planes of the slice (plane stride `r.channelStride`) into `dst` with the padding. */
export function padCopy(
  e: WasmEngine,
  rec: number,
  r: SliceRecord,
  planes: number,
  before: Triple,
  after: Triple,
  dst: number,
): void {
  const dps = paddedSlice(r, before, after, dst).channelStride;
  e.write(rec, PAD, {
    src: r.src,
    srcPlaneStride: r.channelStride,
    dst,
    planes,
    inputSize: r.xSize,
    padBegin: before,
    padEnd: after,
    dstPlaneStride: dps,
  });
  splitRecord(e, FN.padCopy, PAD, rec, planes, 4 * planes * dps, (p0, n) => ({
    src: r.src + 4 * p0 * r.channelStride,
    dst: dst + 4 * p0 * dps,
    planes: n,
  }));
}
