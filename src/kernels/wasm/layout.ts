/**
 * The one definition of the parameter records the WebAssembly kernels read (XNNPACK's parameter
 * structs, written once). Each record is a run of i32 fields in linear memory, a field's byte offset
 * 4 · its index; a field is one value or a per-dimension triple (z, y, x), the spatial dimensions
 * padded to 3 as in kernels/plan.ts. The field indices follow from the order below.
 *
 * asm/params.ts is generated from this file by scripts/build-wasm.ts (`RECORD_NAME_FIELD_NAME`
 * constants, e.g. SLICE_STRIDE), and test/wasm.test.ts fails when the two disagree. The
 * TypeScript side writes records by field name (`writeRecord(i32, p, SLICE, { stride, … })`), never
 * as a positional list. This module imports nothing at run time: the build script reads it too.
 */
import type { Triple } from '../plan.js';

/** Width of a field: 1 (one i32) or 3 (a (z, y, x) triple). */
export type FieldWidth = 1 | 3;
type Fields = Readonly<Record<string, FieldWidth>>;

export interface RecordLayout<F extends Fields = Fields> {
  /** The record's name, upper case: the prefix of its constants in asm/params.ts. */
  readonly name: string;
  readonly doc: string;
  readonly fields: F;
  /** Index of each field's first i32. */
  readonly at: { readonly [K in keyof F]: number };
  /** i32 fields of the whole record. */
  readonly size: number;
}

/** Values of (some of) a record's fields, by name. */
export type RecordValues<F extends Fields> = {
  readonly [K in keyof F]?: F[K] extends 3 ? Triple : number;
};

function layout<const F extends Fields>(name: string, doc: string, fields: F): RecordLayout<F> {
  const at: Record<string, number> = {};
  let size = 0;
  for (const [key, width] of Object.entries(fields)) {
    at[key] = size;
    size += width;
  }
  return Object.freeze({
    name,
    doc,
    fields,
    at: Object.freeze(at) as RecordLayout<F>['at'],
    size,
  });
}

/**
 * GEMM: `c[m × n] (mode) a[m × k] · b[k × n]`, a pre-packed by packA or packASubpixel. Pointers are
 * byte offsets, strides are in floats.
 */
export const GEMM = layout('GEMM', 'C[M×N] (mode) A[M×K] · B[K×N], A pre-packed.', {
  m: 1,
  n: 1,
  k: 1,
  /** packed A: K blocks of kcOf(k), each m rounded up to tileRows, tileRows rows per panel */
  packedA: 1,
  /** one of GEMM_B_KIND */
  bKind: 1,
  /**
   * the strided matrix, or the SLICE record (im2col, direct), or the WPACK record (weights), or
   * B already packed whole (packed: see packB)
   */
  b: 1,
  bRowStride: 1,
  bColumnStride: 1,
  c: 1,
  cRowStride: 1,
  /** one of GEMM_MODE */
  mode: 1,
  /** one float per row of c (mode 'bias') */
  bias: 1,
  /** scratch for one packed B block: kcOf(k) · NC floats (packB: where it packs B whole) */
  bPack: 1,
  /** scratch for one edge tile: blocking(6) × NR floats and blocking(6) of bias */
  tile: 1,
  /** im2col only: the first column of B (columns [firstColumn, firstColumn + n)) */
  firstColumn: 1,
  /** packA's source: A[i][j] at aSource + 4·(i·aRowStride + j·aColumnStride) */
  aSource: 1,
  aRowStride: 1,
  aColumnStride: 1,
  /**
   * The part of C this call computes (threads split a GEMM by these; an element's arithmetic does
   * not depend on them): rows [rowBegin, rowEnd), columns [columnBegin, columnEnd); an end of 0
   * means m (n). rowBegin is a multiple of tileRows, columnBegin of NR.
   */
  rowBegin: 1,
  rowEnd: 1,
  columnBegin: 1,
  columnEnd: 1,
  /** i32 scratch of blocking(5) entries (im2col / weight row tables), one per concurrent call */
  scratch: 1,
  /**
   * How C is laid out: GEMM_C_KIND.plain (row r, column j at c + 4·(r·cRowStride + j)),
   * GEMM_C_KIND.phases2x2 (see there), which needs one K block (k ≤ blocking(2)), MR = 4, rows a
   * multiple of 4 and cRowLength a multiple of NR, or GEMM_C_KIND.scattered (see there), which
   * needs mode set and n a multiple of NR
   */
  cKind: 1,
  /** phases2x2: floats from one batch element's x to the next's */
  cBatchStride: 1,
  /** phases2x2: columns per batch element (the class's positions, qy · qx) */
  cPositions: 1,
  /** phases2x2: positions per row (qx); x rows are 2 · qx long */
  cRowLength: 1,
  /** scattered: m i32, row r's byte offset from c */
  cRowOffsets: 1,
  /** scattered: two i32 per NR columns, the panel's byte offset from c and its bias index */
  cPanels: 1,
  /**
   * rows of the micro-kernel's tile and of packed A's panels: 4 (MR), or the build's wider tile
   * (blocking(6), 5 with relaxed SIMD) when it is that; packA and gemm of one A must agree
   * (tileRowsFor in split.ts). phases2x2 needs 4.
   */
  tileRows: 1,
});

/**
 * C layouts (GEMM.cKind): plain, or phases2x2, the sub-pixel class of a stride-2, kernel-2
 * transposed convolution (k = s: every output meets exactly one phase) stored straight into x:
 * row r = 4·c + 2·py + px, column j = b·cPositions + qy·cRowLength + qx goes to
 * x[b, c, 2·qy + py, 2·qx + px] at c + 4·(b·cBatchStride + c·cRowStride + (2·qy + py)·2·cRowLength
 * + 2·qx + px), so no C matrix is written and read back by phaseStore.
 *
 * scattered: element (r, j) at c + cRowOffsets[r] + cPanels[2·⌊j / NR⌋] + 4·(j mod NR) (bytes),
 * each NR-column panel contiguous, plus (when bias ≠ 0) bias[cPanels[2·⌊j / NR⌋ + 1]] added after
 * the last K block: a transposed sub-pixel class (rows positions, columns (c, phase) with runs of
 * NR adjacent phases along x) stored straight into x. The mapping must be one to one; K blocks
 * after the first accumulate in place.
 */
export const GEMM_C_KIND = { plain: 0, phases2x2: 1, scattered: 2 } as const;

/** GEMM modes (GEMM.mode): C = A·B, C += A·B, C = A·B + bias[row]. */
export const GEMM_MODE = { set: 0, add: 1, bias: 2 } as const;

/**
 * B operand kinds (GEMM.bKind): a strided matrix; the im2col of a SLICE record, packed; the same
 * read in place (every tap inside x, stride 1 along x, output rows a multiple of NR long); the
 * weights of a class of sub-pixel phases (a WPACK record), packed by rows of NR phases; B packed
 * whole beforehand (packB of one of the packed kinds: per K block of kcOf(k) rows, n rounded up to
 * NR columns, panel j0 at j0 · kc floats into the block; kept between calls, kernels/wasm/kept.ts).
 */
export const GEMM_B_KIND = { strided: 0, im2col: 1, direct: 2, weights: 3, packed: 4 } as const;

/**
 * Convolution slice (the im2col / col2im geometry): the x-tensor region at `src` (channel stride
 * `channelStride`, batch stride `batchStride`, floats) and the convolution that reads it. Rows of
 * im2col are (c, kz, ky, kx); columns are (b, oz, oy, ox), `batchCount` batch elements.
 */
export const SLICE = layout('SLICE', 'im2col / col2im slice: an x region and the conv that reads it.', {
  channels: 1,
  /** the x tensor the taps read (conv view x → y, geometry/conv.ts) */
  xSize: 3,
  /** the output (column) grid */
  ySize: 3,
  kernelSize: 3,
  stride: 3,
  dilation: 3,
  /** padding before (negative: a crop) */
  padBegin: 3,
  src: 1,
  channelStride: 1,
  batchStride: 1,
  batchCount: 1,
  /** plain im2col / col2im: the matrix and its row stride in floats */
  columns: 1,
  columnStride: 1,
});

/**
 * Sub-pixel weight packing (packASubpixel) of a class of phases: the residues firstResidue + i,
 * i < phaseCount (per dimension), whose stride-1 convolutions share one geometry. w is
 * (yChannels·G, xChannels, kz, ky, kx), the group's slice at `weights`. Tap j of dimension d of
 * residue r reads kernel index r + (taps − 1 − j)·stride. Rows (c, phase), phase fastest.
 */
export const WPACK = layout('WPACK', 'sub-pixel weight packing of one phase class.', {
  weights: 1,
  xChannels: 1,
  yChannels: 1,
  kernelSize: 3,
  stride: 3,
  /** taps per dimension of the class's stride-1 convolution */
  taps: 3,
  firstResidue: 3,
  phaseCount: 3,
  /** the packed A */
  dst: 1,
  /** the panels [rowBegin, rowEnd) to write (rowEnd 0: all; multiples of tileRows); threads split by these */
  rowBegin: 1,
  rowEnd: 1,
  /** i32 scratch: phases · (taps volume + 1) entries, one per thread */
  scratch: 1,
  /** packed A's panel rows, as GEMM.tileRows of the GEMMs that read it */
  tileRows: 1,
});

/**
 * Phase store (phaseStore): the GEMM result at `src` (row stride `srcStride` floats)
 * to x[b, c, firstOutput + i + q·stride] per dimension, x at `dst` with channel / batch strides.
 */
export const PHASE = layout('PHASE', 'sub-pixel phase store of one phase class.', {
  channels: 1,
  src: 1,
  srcStride: 1,
  /** positions per phase and dimension */
  positions: 3,
  xSize: 3,
  /** the first output of residue firstResidue */
  firstOutput: 3,
  stride: 3,
  phaseCount: 3,
  dst: 1,
  channelStride: 1,
  batchStride: 1,
  batchCount: 1,
  /**
   * 0, or the result of a second class laid out like this one whose outputs sit one further along
   * x (firstOutput + (0, 0, 1)): with one residue along x and stride 2 along x, the two classes'
   * rows zip into whole runs of x, stored together
   */
  pairSrc: 1,
});

/**
 * Zero-padded copy: `planes` planes of `inputSize` at `src` (plane stride `srcPlaneStride` floats)
 * to `dst` (plane stride `dstPlaneStride`, at least the padded plane), padded per dimension.
 */
export const PAD = layout('PAD', 'zero-padded plane copy.', {
  src: 1,
  srcPlaneStride: 1,
  dst: 1,
  planes: 1,
  inputSize: 3,
  padBegin: 3,
  padEnd: 3,
  dstPlaneStride: 1,
});

/**
 * Separable resampling: `planes` planes of inputSize (d0, d1, d2) floats at src to outputSize at
 * dst. Per dimension d, taps in compressed rows: tapStart[d] (i32, outputSize[d] + 1 entries),
 * tapIndex[d] (i32) and tapWeight[d] (f64). kind: one of RESAMPLE_KIND; separable only:
 * horizontalTaps (the common tap count of dimension 2, 1 or 2, else 0), cache ((slots + 1) ·
 * outputSize[2] f64 of row cache and accumulator), tags (slots i32, slots a power of 2),
 * [pairsBegin, pairsEnd): outputs of a two-tap dimension 2 whose taps slide as ×2 upsampling's
 * (outputs pairsBegin + 2m and pairsBegin + 2m + 1 both read J + m and J + m + 1; a multiple of 4
 * outputs long, empty when none do). [rowPairsBegin, rowPairsEnd): the same along dimension 1, where
 * every output of dimension 0 has one tap of weight 1 (empty otherwise); those rows are blended
 * in bands of bandPairs output row pairs from band ((bandPairs + 1) · outputSize[2] f64: the
 * dimension-2 passes of the bandPairs + 1 source rows a band reads).
 */
export const RESAMPLE = layout('RESAMPLE', 'separable resampling (interpolate).', {
  src: 1,
  dst: 1,
  planes: 1,
  inputSize: 3,
  outputSize: 3,
  tapStart: 3,
  tapIndex: 3,
  tapWeight: 3,
  kind: 1,
  horizontalTaps: 1,
  cache: 1,
  tags: 1,
  slots: 1,
  pairsBegin: 1,
  pairsEnd: 1,
  rowPairsBegin: 1,
  rowPairsEnd: 1,
  band: 1,
  bandPairs: 1,
});

/**
 * Resampling kinds (RESAMPLE.kind): the separable plan, three gather plans for nearest taps
 * (a gather; dimension 2 the identity; dimension 2 doubling, output o reading o >> 1), and the
 * separable plan for taps whose sums start from +0 (Taps.sumFromZero: 'area'), whose zero results
 * are +0.
 */
export const RESAMPLE_KIND = {
  separable: 0,
  gather: 1,
  copyRows: 2,
  doubleRows: 3,
  separableFromZero: 4,
} as const;

/**
 * Max unpooling and its backward pass: `planes` planes; the small side (the pooled input, the
 * indices, the backward pass's output) has smallPlane elements per plane, the large side
 * largePlane. indices are i32.
 */
export const UNPOOL = layout('UNPOOL', 'max unpooling, forward and backward.', {
  src: 1,
  indices: 1,
  dst: 1,
  planes: 1,
  smallPlane: 1,
  largePlane: 1,
  /**
   * forward, written by the kernel: −1, or the position (within this record's planes) of the first
   * index outside [0, largePlane); the kernel checks each plane's indices before writing the plane
   * and stops at the first plane with a bad one
   */
  firstInvalid: 1,
});

/**
 * Pixel shuffle: `groups` (batch · channels) groups of factor² low-resolution planes of height ×
 * width 32-bit elements at src to dst; unshuffle 1 for the inverse (src then high resolution).
 */
export const SHUFFLE = layout('SHUFFLE', 'pixel shuffle and unshuffle.', {
  src: 1,
  dst: 1,
  groups: 1,
  factor: 1,
  height: 1,
  width: 1,
  unshuffle: 1,
});

/**
 * The machine's limits, measured by the bench (asm/probe.ts): probeCopy copies `bytes` from src to
 * dst `iterations` times; probeFma runs `iterations` steps of 8 independent f32x4 multiply-adds
 * and stores their sum at `result` (so the work cannot be dropped).
 */
export const PROBE = layout('PROBE', 'copy-bandwidth and FMA-peak probes.', {
  src: 1,
  dst: 1,
  bytes: 1,
  iterations: 1,
  result: 1,
});

/** Every record, in the order asm/params.ts lists them. */
export const RECORDS: readonly RecordLayout[] = [
  GEMM,
  SLICE,
  WPACK,
  PHASE,
  PAD,
  RESAMPLE,
  UNPOOL,
  SHUFFLE,
  PROBE,
];

/** Every set of named constants, with its asm/params.ts prefix. */
export const ENUMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  GEMM_MODE,
  GEMM_B_KIND,
  GEMM_C_KIND,
  RESAMPLE_KIND,
};

/** Writes the given fields of the record at byte offset `p` (the others are left as they are). */
export function writeRecord<F extends Fields>(
  i32: Int32Array,
  p: number,
  l: RecordLayout<F>,
  values: RecordValues<F>,
): void {
  const base = p >> 2;
  for (const key in values) {
    const v = values[key] as number | Triple | undefined;
    if (v === undefined) continue;
    const i = base + l.at[key];
    if (typeof v === 'number') i32[i] = v;
    else {
      i32[i] = v[0];
      i32[i + 1] = v[1];
      i32[i + 2] = v[2];
    }
  }
}

/** Field `key` (the first of a triple) of the record at byte offset `p`. */
export function readField<F extends Fields>(
  i32: Int32Array,
  p: number,
  l: RecordLayout<F>,
  key: keyof F,
): number {
  return i32[(p >> 2) + l.at[key]]!;
}

const upperSnake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** asm/params.ts, the AssemblyScript side of these records (written by scripts/build-wasm.ts). */
export function asmParamsSource(): string {
  const out: string[] = [
    '// Generated by scripts/build-wasm.ts from src/kernels/wasm/layout.ts (npm run build:wasm). Do not',
    '// edit: change the layout there. Field indices of the parameter records (i32 each, byte offset',
    "// 4 · index); a triple's (z, y, x) are index, index + 1, index + 2. Meanings: layout.ts.",
    '',
  ];
  for (const l of RECORDS) {
    out.push(`/** ${l.name}: ${l.doc} */`);
    for (const key of Object.keys(l.fields))
      out.push(`export const ${l.name}_${upperSnake(key)}: i32 = ${l.at[key]};`);
    out.push(`export const ${l.name}_FIELDS: i32 = ${l.size};`, '');
  }
  for (const [name, values] of Object.entries(ENUMS)) {
    for (const [key, v] of Object.entries(values))
      out.push(`export const ${name}_${upperSnake(key)}: i32 = ${v};`);
    out.push('');
  }
  return out.join('\n');
}
