/**
 * Which kernel path runs. Every fast kernel has a reference sibling with the same signature in
 * `kernels/ref/`; the test suite runs over every path.
 *
 *   'fast'       (default) WebAssembly where it pays off, else the plain-JavaScript fast kernels
 *   'reference'  the reference kernels (obvious loops, float64 accumulation): the oracle
 *   'wasm'       WebAssembly for every float32 call, however small (tests; see setWasmVariant)
 *   'js'         the plain-JavaScript fast kernels only
 */
import { DeconvError, fail } from '../errors.js';
import type { ConvGeometry } from '../geometry/conv.js';
import type { FloatData } from '../tensor.js';
import { convGatherRef, convScatterRef, convWeightRef, channelSumRef } from './ref/conv.js';
import { convGatherFast, convScatterFast, convWeightFast } from './fast/conv.js';
import { defaultEngine, type WasmEngine } from './wasm/loader.js';
import { convGatherWasm, convScatterCol2imWasm, convWeightWasm } from './wasm/conv.js';
import { convScatterSubpixelWasm, subpixelApplies } from './wasm/subpixel.js';
import { KernelError } from './wasm/threads.js';
import {
  maxPoolRef,
  maxPoolBackwardRef,
  avgPoolRef,
  avgPoolBackwardRef,
  maxUnpoolRef,
  maxUnpoolBackwardRef,
} from './ref/pool.js';
import { resample, pixelShuffleKernel } from './ref/resample.js';
import { needsChunks, resampleInChunks } from './resample-chunks.js';
import { im2colRef, col2imRef } from './ref/fold.js';
import {
  maxPoolFast,
  maxPoolBackwardFast,
  avgPoolFast,
  avgPoolBackwardFast,
  maxUnpoolFast,
  maxUnpoolBackwardFast,
} from './fast/pool.js';
import { resampleFast, pixelShuffleFast, isNearest } from './fast/resample.js';
import {
  resampleWasm,
  pixelShuffleWasm,
  maxUnpoolWasm,
  maxUnpoolBackwardWasm,
  shuffleable,
} from './wasm/resample.js';
import type { ShuffleGeometry, Taps } from '../geometry/interpolate.js';
import type { PoolGeometry } from '../geometry/pool.js';
import type { TensorData } from '../tensor.js';
import { im2colFast, col2imFast } from './fast/fold.js';
import { im2colWasm, col2imWasm } from './wasm/fold.js';
import type { FoldGeometry } from '../geometry/fold.js';
export type KernelPath = 'fast' | 'reference' | 'wasm' | 'js';

const PATHS: readonly KernelPath[] = ['fast', 'reference', 'wasm', 'js'];

let current: KernelPath = 'fast';

/** Chooses the kernel path for every op from now on ('fast' is the default). */
export function setKernelPath(path: KernelPath): void {
  if (!PATHS.includes(path))
    throw new DeconvError(
      'setKernelPath',
      'path',
      `path = ${String(path)} must be 'fast', 'reference', 'wasm' or 'js'`,
    );
  current = path;
}

export function getKernelPath(): KernelPath {
  return current;
}

/**
 * Below these many multiply-adds the copies into and out of WebAssembly memory, the packing and
 * the planning cost more than the JavaScript kernels spend. Measured on conv2d / convTranspose2d
 * (k3, 1 to 32 channels, 4×4 to 16×16): gather and weight break even near 10³ multiply-adds
 * (at 9·10³ WebAssembly is already 5-10× faster); the sub-pixel scatter, which plans and runs one
 * GEMM per phase class, near 1.5·10⁴.
 */
export const WASM_MIN_MACS = { gather: 2048, scatter: 16384, weight: 2048 } as const;

/** Multiply-adds of one direction of a convolution (all three directions do the same number). */
function macs(g: ConvGeometry): number {
  const k = g.kernel.reduce((a, b) => a * b, 1);
  const yPlane = g.ySize.reduce((a, b) => a * b, 1);
  return (g.batch * g.yChannels * yPlane * g.xChannels * k) / g.groups;
}

/**
 * The WebAssembly engine for this call, or null for the JavaScript kernels: float64 data (the
 * gradient checks) and calls too small to pay for the copies stay in JavaScript, and so does
 * everything when WebAssembly is unavailable.
 */
function engineFor(
  g: ConvGeometry,
  direction: keyof typeof WASM_MIN_MACS,
  arrays: readonly (FloatData | null)[],
): WasmEngine | null {
  if (current === 'js') return null;
  if (!arrays.every((a) => a === null || a instanceof Float32Array)) return null;
  if (current === 'fast' && macs(g) < WASM_MIN_MACS[direction]) return null;
  return defaultEngine();
}

/**
 * Runs a WebAssembly kernel; if linear memory cannot grow far enough (RangeError), the JavaScript
 * kernel runs instead. A failed attempt may have written part of the output (in place, when it is
 * a block of WebAssembly memory): the JavaScript kernels write every element, so nothing of it
 * remains. A kernel that failed otherwise (a trap, a lost worker thread: a KernelError) is
 * reported under the name of the public op `op` that ran it.
 */
function orJs(wasm: () => void, js: () => void, op?: string): void {
  try {
    wasm();
  } catch (error) {
    if (op !== undefined && error instanceof KernelError) throw error.of(op);
    if (!(error instanceof RangeError)) throw error;
    js();
  }
}

/**
 * Transposed convolution's algorithm. Sub-pixel decomposition needs dilation 1 (the phases of a
 * dilated kernel interleave with the stride's) and pays off when stride ≤ kernel in every
 * dimension: then every phase has taps, no multiplication touches an inserted zero and the output
 * is written once, with no scatter-add. Measured against GEMM + col2im: W3 (FCN, k64 s32) 2.3×
 * faster (col2im's GEMM has K = 21 and its col2im adds 86 016 × 49 columns), W2 (U-Net, k2 s2) 10%
 * faster, W1 (DCGAN, k4 s2) equal within noise. With stride > kernel most outputs see no tap at all
 * and GEMM + col2im, which only visits real taps, does less work.
 */
function useSubpixel(g: ConvGeometry): boolean {
  return subpixelApplies(g) && g.stride.every((s, i) => s <= g.kernel[i]!);
}

const f32 = (a: FloatData | null): Float32Array | null => a as Float32Array | null;

/** The transposed-convolution (scatter) kernels `scatterFast` chooses between. */
export type ScatterKernel = 'subpixel' | 'col2im' | 'js';

let scatterObserver: ((kernel: ScatterKernel) => void) | null = null;

/**
 * Test hook: `observer` is told which kernel each scatter (transposed convolution, conv input
 * gradient) on the fast or wasm path runs, so the fixture replay can assert what it reached.
 */
export function observeScatterKernels(observer: ((kernel: ScatterKernel) => void) | null): void {
  scatterObserver = observer;
}

function gatherFast(g: ConvGeometry, x: FloatData, w: FloatData, bias: FloatData | null, y: FloatData): void {
  const e = engineFor(g, 'gather', [x, w, bias, y]);
  const js = (): void => convGatherFast(g, x, w, bias, y);
  // im2col packed straight into the GEMM's panels: the only algorithm for the gather direction
  if (e) orJs(() => convGatherWasm(e, g, f32(x)!, f32(w)!, f32(bias), f32(y)!), js, g.fn);
  else js();
}

function scatterFast(
  g: ConvGeometry,
  y: FloatData,
  w: FloatData,
  bias: FloatData | null,
  x: FloatData,
): void {
  const e = engineFor(g, 'scatter', [y, w, bias, x]);
  const js = (): void => {
    scatterObserver?.('js');
    convScatterFast(g, y, w, bias, x);
  };
  if (!e) return js();
  const subpixel = useSubpixel(g);
  const run = subpixel ? convScatterSubpixelWasm : convScatterCol2imWasm;
  orJs(
    () => {
      run(e, g, f32(y)!, f32(w)!, f32(bias), f32(x)!);
      scatterObserver?.(subpixel ? 'subpixel' : 'col2im');
    },
    js,
    g.fn,
  );
}

function weightFast(g: ConvGeometry, x: FloatData, y: FloatData, gw: FloatData): void {
  const e = engineFor(g, 'weight', [x, y, gw]);
  const js = (): void => convWeightFast(g, x, y, gw);
  if (e) orJs(() => convWeightWasm(e, g, f32(x)!, f32(y)!, f32(gw)!), js, g.fn);
  else js();
}

/**
 * The convolution kernels for the current path. Both ops and both directions run on these three
 * (see kernels/ref/conv.ts).
 */
export function convKernels(): {
  gather: typeof convGatherRef;
  scatter: typeof convScatterRef;
  weight: typeof convWeightRef;
  channelSum: typeof channelSumRef;
} {
  if (current === 'reference') {
    return {
      gather: convGatherRef,
      scatter: convScatterRef,
      weight: convWeightRef,
      channelSum: channelSumRef,
    };
  }
  // 'fast', 'wasm', 'js': the choice between WebAssembly and JavaScript is made per call (it
  // depends on the data type and the size), see engineFor; the per-channel bias-gradient sum is
  // memory-bound and cheap, so it stays the reference loop.
  return {
    gather: gatherFast,
    scatter: scatterFast,
    weight: weightFast,
    channelSum: channelSumRef,
  };
}

// The memory-bound families: the plain-JavaScript fast kernels (kernels/fast/pool.ts, resample.ts,
// fold.ts) on every path but 'reference'; they write every output element, so they need no zeroed
// outputs, and they give the reference's values. Max unpooling, interpolate and pixel shuffle run
// on WebAssembly (kernels/wasm/resample.ts: same values, threaded by planes) for float32 data on
// the 'wasm' path, and on the 'fast' path above WASM_MIN_ELEMENTS.

/**
 * Output elements below which the memory-bound kernels stay in JavaScript on the 'fast' path:
 * there the fixed cost of a WebAssembly call (copying the operands and tap tables in and the
 * output out, writing the records, 1.5-4 µs) exceeds what the kernel saves. Measured per kernel
 * call on ×2 resamples of (1, C, s, s), one thread, warm JIT (Node 20): the separable plan
 * (bilinear, bicubic, every backward pass) breaks even between 64 and 256 outputs (bilinear: JS
 * 8.8 µs, wasm 4.4 µs at 256; at 16 384 outputs 135 µs against 35 µs); the nearest gather near
 * 2048 (JS 3.3 / 4.3 µs at 1024, 9.8 / 12 µs at 4096 is noise, 38 / 12 µs at 16 384); max
 * unpooling near 4096 (JS 6.8 µs, wasm 4.0 µs at 4096; 1.8 / 3.6 µs at 1024); pixel unshuffle
 * near 1024 (JS 4.8 µs, wasm 2.1 µs; 0.8 / 1.4 µs at 256). unfold / fold (k 3, p 1 on (1, C, s, s),
 * through the ops, counted in column elements): WebAssembly is ahead from the smallest case on
 * (144 elements: 7.1 / 6.5 µs against 8.6 / 7.7 µs in JS; 9216: 18 / 18 µs against 95 / 67 µs;
 * 2.4 M: 2.6 / 1.7 ms against 6.0 / 14.1 ms); 256 keeps the tiniest calls in JS.
 */
export const WASM_MIN_ELEMENTS = {
  resample: 256,
  nearest: 2048,
  unpool: 4096,
  shuffle: 1024,
  fold: 256,
} as const;

/** The engine for a memory-bound call writing `n` elements of 32-bit `arrays`, or null for JS. */
function memoryEngine(
  kind: keyof typeof WASM_MIN_ELEMENTS,
  n: number,
  arrays: readonly TensorData[],
): WasmEngine | null {
  if (current === 'js' || current === 'reference') return null;
  const t = arrays[0];
  if (!(t instanceof Float32Array || t instanceof Int32Array)) return null;
  if (!arrays.every((a) => a.constructor === t.constructor)) return null;
  if (current === 'fast' && n < WASM_MIN_ELEMENTS[kind]) return null;
  return defaultEngine();
}

/**
 * `op`: the public op whose name a failed WebAssembly kernel's DeconvError carries. Outputs with a
 * dimension too long for one block run block by block (kernels/resample-chunks.ts); a block goes to
 * WebAssembly only when its source plane is no larger than its output, since every call copies the
 * whole source plane into linear memory.
 */
function resampleDispatch(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
  op: string,
): void {
  const chunked = needsChunks(taps);
  scratchOf(op, src, dst, () =>
    resampleInChunks(
      (s, d, p, t) => {
        const kind = t.every(isNearest) ? 'nearest' : 'resample';
        const wasm = s instanceof Float32Array && !(chunked && s.length > d.length);
        const e = wasm ? memoryEngine(kind, d.length, [s, d]) : null;
        const js = (): void => resampleFast(s, d, p, t);
        if (e) orJs(() => resampleWasm(e, f32(s)!, f32(d)!, p, t), js, op);
        else js();
      },
      src,
      dst,
      planes,
      taps,
    ),
  );
}

function resampleRef(
  src: FloatData,
  dst: FloatData,
  planes: number,
  taps: readonly [Taps, Taps, Taps],
  op: string,
): void {
  scratchOf(op, src, dst, () => resampleInChunks(resample, src, dst, planes, taps));
}

/**
 * Runs a resample whose scratch (tap tables of a block, row caches, float64 sums) may not fit in
 * memory: a failed allocation (a RangeError) becomes a DeconvError of `op`. The kernels allocate
 * their scratch before they write, and the output is the op's own fresh tensor, which it then drops.
 */
function scratchOf(op: string, src: FloatData, dst: FloatData, run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    fail(
      op,
      'input.size',
      src.length,
      `resampled to ${dst.length} output elements needs scratch memory that could not be allocated (${error.message})`,
    );
  }
}

function pixelShuffleDispatch(
  src: TensorData,
  dst: TensorData,
  g: ShuffleGeometry,
  unshuffle: boolean,
  op: string,
): void {
  const e = shuffleable(src, dst) ? memoryEngine('shuffle', dst.length, [src, dst]) : null;
  const js = (): void => pixelShuffleFast(src, dst, g, unshuffle);
  if (e) orJs(() => pixelShuffleWasm(e, src as Float32Array, dst as Float32Array, g, unshuffle), js, op);
  else js();
}

/** Returns −1, or the position of the first index outside its plane (then y is to be discarded). */
function maxUnpoolDispatch(g: PoolGeometry, x: FloatData, indices: Int32Array, y: FloatData): number {
  const e = x instanceof Float32Array ? memoryEngine('unpool', y.length, [x, y]) : null;
  if (e === null) return maxUnpoolFast(g, x, indices, y);
  let bad = -1;
  orJs(
    () => (bad = maxUnpoolWasm(e, g, f32(x)!, indices, f32(y)!)),
    () => (bad = maxUnpoolFast(g, x, indices, y)),
    g.fn,
  );
  return bad;
}

function maxUnpoolBackwardDispatch(g: PoolGeometry, gy: FloatData, indices: Int32Array, gx: FloatData): void {
  const e = gy instanceof Float32Array ? memoryEngine('unpool', gx.length, [gy, gx]) : null;
  const js = (): void => maxUnpoolBackwardFast(g, gy, indices, gx);
  if (e) orJs(() => maxUnpoolBackwardWasm(e, g, f32(gy)!, indices, f32(gx)!), js, g.fn);
  else js();
}

/** Max/avg pooling and max unpooling, forward and backward. */
export function poolKernels() {
  if (current === 'reference') {
    return {
      maxPool: maxPoolRef,
      maxPoolBackward: maxPoolBackwardRef,
      avgPool: avgPoolRef,
      avgPoolBackward: avgPoolBackwardRef,
      maxUnpool: maxUnpoolRef,
      maxUnpoolBackward: maxUnpoolBackwardRef,
    };
  }
  return {
    maxPool: maxPoolFast,
    maxPoolBackward: maxPoolBackwardFast,
    avgPool: avgPoolFast,
    avgPoolBackward: avgPoolBackwardFast,
    maxUnpool: maxUnpoolDispatch,
    maxUnpoolBackward: maxUnpoolBackwardDispatch,
  };
}

/** Separable resampling (every interpolate mode, both directions) and pixel (un)shuffle. */
export function resampleKernels() {
  if (current === 'reference') return { resample: resampleRef, pixelShuffle: pixelShuffleKernel };
  return { resample: resampleDispatch, pixelShuffle: pixelShuffleDispatch };
}

function im2colDispatch(g: FoldGeometry, image: FloatData, cols: FloatData): void {
  const e = image instanceof Float32Array ? memoryEngine('fold', cols.length, [image, cols]) : null;
  const js = (): void => im2colFast(g, image, cols);
  if (e) orJs(() => im2colWasm(e, g, f32(image)!, f32(cols)!), js, g.fn);
  else js();
}

function col2imDispatch(g: FoldGeometry, cols: FloatData, image: FloatData): void {
  const e = cols instanceof Float32Array ? memoryEngine('fold', cols.length, [cols, image]) : null;
  const js = (): void => col2imFast(g, cols, image);
  if (e) orJs(() => col2imWasm(e, g, f32(cols)!, f32(image)!), js, g.fn);
  else js();
}

/** unfold / fold (im2col / col2im over 1 to 3 spatial dimensions). */
export function foldKernels() {
  if (current === 'reference') return { im2col: im2colRef, col2im: col2imRef };
  return { im2col: im2colDispatch, col2im: col2imDispatch };
}
