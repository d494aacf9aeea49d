/**
 * The matrix view of a convolution: the sparse matrix `C` with `conv(x).flat = C · x.flat`, whose
 * transpose is the transposed convolution, `convTranspose(y).flat = Cᵀ · y.flat` ("Why is it
 * called transposed convolution?").
 *
 * References: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * section 4, https://arxiv.org/abs/1603.07285; Y. Saad, "Iterative Methods for Sparse Linear
 * Systems", section 3.4 (compressed sparse row storage).
 *
 * The geometry (output sizes, padding resolution incl. 'same'/'valid' and pairs, groups) is the
 * conv geometry of geometry/conv.ts; this file only lists, per output element, the (input element,
 * weight) pairs that conv's gather loop visits.
 */
import { fail, show, optionPath } from '../errors.js';
import { to3 } from '../geometry/arithmetic.js';
import { convGeometry, convParams, type ConvGeometry, type PaddingArg } from '../geometry/conv.js';
import { Tensor, checkFloatTensor, checkLive } from '../tensor.js';

/** Options of `convMatrix`: conv's options without `bias` (an affine offset is not a matrix). */
export interface ConvMatrixOptions {
  stride?: number | readonly number[];
  padding?: PaddingArg;
  dilation?: number | readonly number[];
  groups?: number;
}

/** One stored entry of a row of the matrix, with the kernel tap it comes from. */
export interface ConvMatrixEntry {
  /** column index (into the flattened input of this matrix's product) */
  col: number;
  /** the weight value stored there */
  value: number;
  /** flat index into `weight.data` this entry was taken from */
  weightIndex: number;
  /** the kernel tap: one offset per spatial dimension, e.g. [ky, kx] */
  tap: number[];
}

/** Where a row or column index lies in its tensor: batch, channel and spatial position. */
export interface ConvMatrixCoords {
  batch: number;
  channel: number;
  position: number[];
}

/** Largest number of stored entries `convMatrix` builds (2²⁶ ≈ 67 M: about 512 MB of CSR arrays). */
export const MAX_MATRIX_ENTRIES = 2 ** 26;
/** Largest `rows · cols` that `toDense()` builds (2²⁴ ≈ 16.8 M elements: 64 MB of float32). */
export const MAX_DENSE_ELEMENTS = 2 ** 24;
/** Largest row or column count (indices are stored as int32). */
const MAX_INDEX = 2 ** 31 - 2;

/**
 * A convolution as a sparse matrix in compressed sparse row (CSR) form: row `r` holds the stored
 * entries `colIndex[rowPtr[r] .. rowPtr[r + 1])` with `values` at the same positions, columns
 * ascending. Every (output, kernel tap) pair that lands inside the input is stored, also when its
 * weight is 0, so the structure does not depend on the weight values. The values are a snapshot of
 * the weight at the time `convMatrix` was called.
 *
 * For the matrix `convMatrix` returns (`transposed === false`): rows index the flattened conv
 * output (N, Cout, *outSize), columns the flattened input (N, Cin, *inSize). `transpose()` gives
 * the CSR of `Cᵀ` (`transposed === true`), rows and columns swapped.
 */
export class ConvMatrix {
  /** number of rows */
  readonly rows: number;
  /** number of columns */
  readonly cols: number;
  /** number of stored entries */
  readonly nnz: number;
  /** row `r`'s entries are at positions `rowPtr[r] .. rowPtr[r + 1] − 1`; length `rows + 1` */
  readonly rowPtr: Int32Array;
  /** column index of each stored entry, ascending within a row; length `nnz` */
  readonly colIndex: Int32Array;
  /** value of each stored entry (Float64Array when the weight is float64); length `nnz` */
  readonly values: Float32Array | Float64Array;
  /** true for `Cᵀ` (rows index the conv input, columns the conv output) */
  readonly transposed: boolean;
  /** shape of the conv input x: (N, Cin, *inSize) or (Cin, *inSize) as given */
  readonly inputShape: readonly number[];
  /** shape of the conv output y = C·x: (N, Cout, *outSize) or (Cout, *outSize) */
  readonly outputShape: readonly number[];
  /** the conv geometry record the matrix was built from */
  readonly geometry: ConvGeometry;
  private transposeCache: ConvMatrix | null = null;

  /** @internal Use `convMatrix()`. */
  constructor(
    geometry: ConvGeometry,
    transposed: boolean,
    rowPtr: Int32Array,
    colIndex: Int32Array,
    values: Float32Array | Float64Array,
  ) {
    this.geometry = geometry;
    this.transposed = transposed;
    this.rowPtr = rowPtr;
    this.colIndex = colIndex;
    this.values = values;
    this.rows = rowPtr.length - 1;
    this.nnz = colIndex.length;
    const g = geometry;
    const lead = g.batched ? [g.batch] : [];
    this.inputShape = Object.freeze([...lead, g.xChannels, ...g.xSize]);
    this.outputShape = Object.freeze([...lead, g.yChannels, ...g.ySize]);
    const xCount = g.batch * g.xChannels * product(g.xSize);
    const yCount = g.batch * g.yChannels * product(g.ySize);
    this.cols = transposed ? yCount : xCount;
  }

  /**
   * `C · x` as a new Float32Array of length `rows` (accumulated in float64). `x` is a Tensor of any
   * shape with `cols` elements, or an array-like of `cols` numbers, read in row-major order. Not
   * recorded for autograd (use `conv*` / `convTranspose*` for gradients).
   *
   * @example convMatrix([1, 4, 4], w).matvec(x.data) // equals conv2d(x, w).data
   */
  matvec(x: Tensor | ArrayLike<number>): Float32Array {
    const fn = 'matvec';
    const data = x instanceof Tensor ? checkLive(fn, 'x', x).data : x;
    if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
      fail(fn, 'x', x, 'must be a Tensor or an array-like of numbers');
    }
    if (data.length !== this.cols) {
      fail(
        fn,
        x instanceof Tensor ? 'x.size' : 'x.length',
        data.length,
        `must equal the matrix's column count ${this.cols} (${this.transposed ? 'the conv output' : 'the conv input'} ` +
          `${show(this.transposed ? this.outputShape : this.inputShape)} flattened)`,
      );
    }
    const out = new Float32Array(this.rows);
    const { rowPtr, colIndex, values } = this;
    for (let r = 0; r < this.rows; r++) {
      let s = 0;
      for (let e = rowPtr[r]!; e < rowPtr[r + 1]!; e++) s += values[e]! * data[colIndex[e]!]!;
      out[r] = s;
    }
    return out;
  }

  /**
   * The CSR of the transposed matrix (computed once, then cached; transposing twice returns this
   * matrix). For `C` from `convMatrix(inputShape, w, options)`, `Cᵀ · y` equals
   * `convTranspose(y, w, { ...options, outputSize })` with `outputSize` the input's spatial size
   * (any outputPadding that gives back the input size) and 'same'/'valid' padding replaced by the
   * `[begin, end]` pairs it resolves to.
   */
  transpose(): ConvMatrix {
    if (this.transposeCache) return this.transposeCache;
    const { rows, cols, nnz, rowPtr, colIndex, values } = this;
    const tPtr = new Int32Array(cols + 1);
    for (let e = 0; e < nnz; e++) tPtr[colIndex[e]! + 1]!++;
    for (let c = 0; c < cols; c++) tPtr[c + 1]! += tPtr[c]!;
    const next = tPtr.slice(0, cols);
    const tCol = new Int32Array(nnz);
    const tVal = values instanceof Float64Array ? new Float64Array(nnz) : new Float32Array(nnz);
    // Rows visited in ascending order, so each transposed row's columns come out ascending.
    for (let r = 0; r < rows; r++) {
      for (let e = rowPtr[r]!; e < rowPtr[r + 1]!; e++) {
        const dst = next[colIndex[e]!]!++;
        tCol[dst] = r;
        tVal[dst] = values[e]!;
      }
    }
    const t = new ConvMatrix(this.geometry, !this.transposed, tPtr, tCol, tVal);
    t.transposeCache = this;
    this.transposeCache = t;
    return t;
  }

  /**
   * The dense matrix as a Tensor of shape [rows, cols] (float32, or float64 when the weight was),
   * refused with a DeconvError when `rows · cols` exceeds `MAX_DENSE_ELEMENTS` (2²⁴).
   *
   * @example convMatrix([1, 3], tensor([[[1, 2]]])).toDense().toArray() // [[1, 2, 0], [0, 1, 2]]
   */
  toDense(): Tensor {
    const n = this.rows * this.cols;
    if (n > MAX_DENSE_ELEMENTS) {
      fail(
        'toDense',
        'matrix',
        [this.rows, this.cols],
        `has ${n} dense elements, more than the ${MAX_DENSE_ELEMENTS} toDense builds; ` +
          'use matvec, rowEntries or the CSR arrays instead',
      );
    }
    const dense = this.values instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    for (let r = 0; r < this.rows; r++) {
      for (let e = this.rowPtr[r]!; e < this.rowPtr[r + 1]!; e++) {
        dense[r * this.cols + this.colIndex[e]!] = this.values[e]!;
      }
    }
    return new Tensor(dense, [this.rows, this.cols]);
  }

  /**
   * The stored entries of row `r`: their column, value, the flat weight index and the kernel tap
   * they come from. For `C`, the input cells that feed output `r`; for `Cᵀ`, the output cells that
   * input `r` feeds.
   *
   * @example convMatrix([1, 5, 5], randn([1, 1, 3, 3])).rowEntries(0).map((e) => e.tap) // [[0,0], [0,1], …]
   */
  rowEntries(r: number): ConvMatrixEntry[] {
    if (!Number.isInteger(r) || r < 0 || r >= this.rows) {
      fail('rowEntries', 'r', r, `must be an integer row index from 0 to ${this.rows - 1}`);
    }
    const g = this.geometry;
    const out: ConvMatrixEntry[] = [];
    for (let e = this.rowPtr[r]!; e < this.rowPtr[r + 1]!; e++) {
      const c = this.colIndex[e]!;
      const [xi, yi] = this.transposed ? [r, c] : [c, r];
      const xc = coords(xi, g.xChannels, g.xSize);
      const yc = coords(yi, g.yChannels, g.ySize);
      const tap = xc.position.map(
        (p, k) => (p - yc.position[k]! * g.stride[k]! + g.padBegin[k]!) / g.dilation[k]!,
      );
      const cx = g.xChannels / g.groups;
      let kIndex = 0;
      tap.forEach((t, k) => (kIndex = kIndex * g.kernel[k]! + t));
      const weightIndex = (yc.channel * cx + (xc.channel % cx)) * product(g.kernel) + kIndex;
      out.push({ col: c, value: this.values[e]!, weightIndex, tap });
    }
    return out;
  }

  /** Batch, channel and spatial position of row `r` (conv output for `C`, conv input for `Cᵀ`). */
  rowCoords(r: number): ConvMatrixCoords {
    if (!Number.isInteger(r) || r < 0 || r >= this.rows) {
      fail('rowCoords', 'r', r, `must be an integer row index from 0 to ${this.rows - 1}`);
    }
    const g = this.geometry;
    return this.transposed ? coords(r, g.xChannels, g.xSize) : coords(r, g.yChannels, g.ySize);
  }

  /** Batch, channel and spatial position of column `c` (conv input for `C`, conv output for `Cᵀ`). */
  colCoords(c: number): ConvMatrixCoords {
    if (!Number.isInteger(c) || c < 0 || c >= this.cols) {
      fail('colCoords', 'c', c, `must be an integer column index from 0 to ${this.cols - 1}`);
    }
    const g = this.geometry;
    return this.transposed ? coords(c, g.yChannels, g.ySize) : coords(c, g.xChannels, g.xSize);
  }
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

function coords(index: number, channels: number, size: readonly number[]): ConvMatrixCoords {
  const position = new Array<number>(size.length);
  let rest = index;
  for (let k = size.length - 1; k >= 0; k--) {
    position[k] = rest % size[k]!;
    rest = Math.floor(rest / size[k]!);
  }
  return { batch: Math.floor(rest / channels), channel: rest % channels, position };
}

const OPTION_KEYS = ['stride', 'padding', 'dilation', 'groups'];

/** Validates `inputShape` and the options; the conv geometry of those shapes. */
function geometryOf(
  fn: string,
  inputShape: unknown,
  weight: unknown,
  options: ConvMatrixOptions,
): ConvGeometry {
  const w = checkFloatTensor(fn, 'weight', weight);
  const wr = w.shape.length;
  if (wr < 3 || wr > 5) {
    fail(
      fn,
      'weight.shape',
      w.shape,
      'must have 3 to 5 dimensions (Cout, Cin/groups, *kernel) for 1 to 3 spatial dimensions',
    );
  }
  const d = wr - 2;
  if (!Array.isArray(inputShape))
    fail(fn, 'inputShape', inputShape, `must be an array (N, C, *spatial) or (C, *spatial)`);
  if (inputShape.length !== d + 1 && inputShape.length !== d + 2) {
    fail(
      fn,
      'inputShape',
      inputShape,
      `must have ${d + 2} entries (N, C, ${['L', 'H, W', 'D, H, W'][d - 1]}) or ${d + 1} without the batch, ` +
        `for a weight with ${d} spatial dimension${d > 1 ? 's' : ''}`,
    );
  }
  inputShape.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 1)
      fail(fn, `inputShape[${i}]`, s, 'must be a positive integer');
  });
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      const extra = key === 'bias' ? ' (a bias is an offset, not part of the matrix)' : '';
      fail(
        fn,
        optionPath(key),
        (options as Record<string, unknown>)[key],
        `is not an option of ${fn}${extra} (its options: ${OPTION_KEYS.join(', ')})`,
      );
    }
  }
  return convGeometry(convParams(fn, d, options), {
    input: inputShape as number[],
    weight: w.shape,
    inputName: 'inputShape',
  });
}

/**
 * The convolution with `weight` on inputs of shape `inputShape` as a sparse matrix `C` (CSR):
 * `conv(x, weight, options).flat = C · x.flat`, and, when the transposed convolution's output size
 * equals `inputShape`'s spatial size (pick it with `outputSize`), `convTranspose(y, weight,
 * options).flat = Cᵀ · y.flat`. The same weight tensor serves both: (Cout, Cin/groups, *k) is conv's
 * layout and also convTranspose's (Cin', Cout'/groups, *k) with Cin' = Cout.
 *
 * `inputShape` is (C, *spatial) or (N, C, *spatial) (block-diagonal over N); the number of spatial
 * dimensions is `weight`'s rank − 2. `padding` is conv's: a number, per-dimension numbers or
 * `[begin, end]` pairs, 'same' or 'valid'. Shape `C`: [N·Cout·∏outSize, N·Cin·∏inSize]. Matrices
 * with more than `MAX_MATRIX_ENTRIES` (2²⁶) stored entries are refused.
 *
 * @example
 *   const w = randn([2, 1, 3, 3]);
 *   const C = convMatrix([1, 5, 5], w, { padding: 1 }); // 50 × 25, nnz 2 · 13² = 338
 *   const x = randn([1, 5, 5]);
 *   C.matvec(x);                            // ≈ conv2d(x, w, { padding: 1 }).data
 *   C.transpose().matvec(conv2d(x, w, { padding: 1 })); // ≈ convTranspose2d(…, w, { padding: 1 }).data
 */
export function convMatrix(
  inputShape: readonly number[],
  weight: Tensor,
  options: ConvMatrixOptions = {},
): ConvMatrix {
  const fn = 'convMatrix';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, 'options', options, 'must be an object');
  }
  const g = geometryOf(fn, inputShape, weight, options);
  const X = to3(g.xSize, 1);
  const Y = to3(g.ySize, 1);
  const K = to3(g.kernel, 1);
  const S = to3(g.stride, 1);
  const D = to3(g.dilation, 1);
  const P = to3(g.padBegin, 0);
  // taps[dim][o] = the kernel offsets k with o·s − p + k·d inside the input, ascending
  const taps = [0, 1, 2].map((j) =>
    Array.from({ length: Y[j]! }, (_, o) => {
      const ks: number[] = [];
      for (let k = 0; k < K[j]!; k++) {
        const i = o * S[j]! - P[j]! + k * D[j]!;
        if (i >= 0 && i < X[j]!) ks.push(k);
      }
      return ks;
    }),
  );
  const cx = g.xChannels / g.groups;
  const cy = g.yChannels / g.groups;
  const xPlane = X[0] * X[1] * X[2];
  const yPlane = Y[0] * Y[1] * Y[2];
  const kVol = K[0] * K[1] * K[2];
  const rows = g.batch * g.yChannels * yPlane;
  const cols = g.batch * g.xChannels * xPlane;
  const tapsPerPlane = taps
    .map((perO) => perO.reduce((s, ks) => s + ks.length, 0))
    .reduce((a, b) => a * b, 1);
  const nnz = g.batch * g.yChannels * cx * tapsPerPlane;
  if (rows > MAX_INDEX || cols > MAX_INDEX || nnz > MAX_MATRIX_ENTRIES) {
    fail(
      fn,
      'inputShape',
      inputShape,
      `with weight of shape ${show(weight.shape)} gives a ${rows} × ${cols} matrix with ${nnz} stored entries, ` +
        `more than the ${MAX_MATRIX_ENTRIES} convMatrix builds`,
    );
  }
  const rowPtr = new Int32Array(rows + 1);
  const colIndex = new Int32Array(nnz);
  const values = weight.dtype === 'float64' ? new Float64Array(nnz) : new Float32Array(nnz);
  const w = weight.data;
  let e = 0;
  let r = 0;
  for (let n = 0; n < g.batch; n++)
    for (let oc = 0; oc < g.yChannels; oc++) {
      const gr = Math.floor(oc / cy);
      for (let oz = 0; oz < Y[0]; oz++)
        for (let oy = 0; oy < Y[1]; oy++)
          for (let ox = 0; ox < Y[2]; ox++) {
            // columns ascend: channel, then (iz, iy, ix), which ascend with (kz, ky, kx)
            for (let c = 0; c < cx; c++) {
              const colOff = (n * g.xChannels + gr * cx + c) * xPlane;
              const wOff = (oc * cx + c) * kVol;
              for (const kz of taps[0]![oz]!) {
                const iz = oz * S[0] - P[0] + kz * D[0];
                for (const ky of taps[1]![oy]!) {
                  const iy = oy * S[1] - P[1] + ky * D[1];
                  for (const kx of taps[2]![ox]!) {
                    const ix = ox * S[2] - P[2] + kx * D[2];
                    colIndex[e] = colOff + (iz * X[1] + iy) * X[2] + ix;
                    values[e] = w[wOff + (kz * K[1] + ky) * K[2] + kx]!;
                    e++;
                  }
                }
              }
            }
            rowPtr[++r] = e;
          }
    }
  if (e !== nnz || r !== rows)
    throw new Error(`${fn}: internal error: wrote ${e} of ${nnz} entries, ${r} of ${rows} rows`);
  return new ConvMatrix(g, false, rowPtr, colIndex, values);
}
