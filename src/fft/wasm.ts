/**
 * The FFT module (asm-fft/, embedded by scripts/build-wasm-fft.ts) and its threads: the real 2-D
 * transforms of real.ts, and convBPDN's two per-iteration passes, in 128-bit SIMD on a shared
 * WebAssembly.Memory, split over worker threads.
 *
 * Results are bit-identical to the JavaScript path (the module does the same arithmetic in the
 * same order) and do not depend on the thread count (every output element is computed by one job,
 * the ADMM sums are per fixed chunk). test/fft-wasm.test.ts checks both.
 *
 * Where it runs: engines that validate the module (SIMD, threads) and can make a shared memory
 * (Node; browsers on cross-origin-isolated pages). Elsewhere `fftEngine()` is null and callers use
 * the JavaScript path. Transform lengths whose plan is Bluestein's (a prime factor > 31) stay on
 * the JavaScript path too.
 *
 * Memory: a stack. `mark()`/`release()` bracket a computation; `view(n)` gives a zeroed
 * Float64Array on the memory (a shared memory's views stay valid when it grows), which the
 * kernels read and write in place; other arrays are copied in and out. Each kernel call releases
 * its own scratch (records, stage tables, per-thread planes) before it returns.
 *
 * Threads: the kernels' worker pool (src/kernels/wasm/threads.ts) hosts this module too — every
 * worker instantiates it on this memory beside the kernels (`hostOnPool`), and its jobs run
 * through the same `parallel` as the kernels', so setNumThreads governs both and failures are
 * reported the same way. The pool runs on the default kernel engine; without one that has shared
 * memory, calls run on the calling thread. Until the workers have started (asynchronously, tens
 * of milliseconds), calls run on the calling thread alone. releaseWasmMemory() drops this engine
 * and its memory too.
 */
import type { WasmMemory, WasmModule } from '../wasm-types.js';
import { fftWasmBase64 } from './wasm.generated.js';
import * as L from './wasm-layout.js';
import { planFor, type FftPlan } from './fft.js';
import { defaultEngine } from '../kernels/wasm/loader.js';
import type { WasmEngine } from '../kernels/wasm/loader.js';
import {
  KernelError,
  describeFailure,
  hostOnPool,
  parallel,
  startThreads,
  threadStats,
  threadsOf,
} from '../kernels/wasm/threads.js';

interface FftExports {
  readonly memory?: WasmMemory;
  realFft2(record: number): void;
  inverseRealFft2(record: number): void;
  solveRankOne(record: number): void;
  admmStep(record: number): void;
  heapBase(): number;
}

/** The exports the pool runs; their job indices start at FN_BASE (threads.ts's numbering). */
const POOL_FUNCTIONS = ['realFft2', 'inverseRealFft2', 'solveRankOne', 'admmStep'] as const;
const FN_BASE = hostOnPool(
  POOL_FUNCTIONS,
  () => fftEngine(),
  () => {
    engine = undefined;
  },
);
/** @internal Job indices of the module's functions (tests). */
export const FFT_FN = {
  realFft2: FN_BASE,
  inverseRealFft2: FN_BASE + 1,
  solveRankOne: FN_BASE + 2,
  admmStep: FN_BASE + 3,
} as const;
const FN_FORWARD = FFT_FN.realFft2;
const FN_INVERSE = FFT_FN.inverseRealFft2;
const FN_SOLVE = FFT_FN.solveRankOne;
const FN_ADMM = FFT_FN.admmStep;
type Job = readonly [fn: number, record: number];

const PAGE = 65536;
const MAX_PAGES = 32768;
const MAX_BYTES = 2 ** 31 - PAGE;
/** Work below this many values per call runs on one thread (waking one costs tens of µs). */
const MIN_PARALLEL = 1 << 15;

const align = (n: number): number => (n + 63) & ~63;

/** One instance of the module on one shared memory. */
export class FftEngine {
  readonly fns: FftExports;
  private readonly base: number;
  private top: number;
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private f64: Float64Array;
  private i32: Int32Array;

  constructor(
    readonly module: WasmModule,
    readonly memory: WasmMemory,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.fns = instance.exports as unknown as FftExports;
    this.base = align(this.fns.heapBase());
    this.top = this.base;
    this.f64 = new Float64Array(this.buffer());
    this.i32 = new Int32Array(this.buffer());
  }

  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** The stack's current top (release() returns to it). */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated since `mark`. */
  release(mark: number): void {
    this.top = Math.max(this.base, Math.min(this.top, mark));
  }

  /** Bytes on the stack, 64-byte aligned; returns the byte offset. */
  alloc(bytes: number): number {
    const at = this.top;
    const end = align(at + Math.max(0, bytes));
    if (end > MAX_BYTES) throw new RangeError(`fft wasm: ${end} bytes of linear memory needed`);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.f64 = new Float64Array(this.buffer());
      this.i32 = new Int32Array(this.buffer());
    }
    this.top = end;
    return at;
  }

  /** Whether `bytes` more fit in the address space. */
  fits(bytes: number): boolean {
    return align(this.top + bytes) <= MAX_BYTES;
  }

  /** A zeroed Float64Array of `n` on the stack (valid until the enclosing mark is released). */
  view(n: number): Float64Array {
    const p = this.alloc(8 * n);
    const v = new Float64Array(this.buffer(), p, n);
    v.fill(0);
    return v;
  }

  /** The byte offset of view `a` of this memory (an internal invariant: callers pass views). */
  at(a: Float64Array): number {
    const p = this.offsetOf(a);
    if (p < 0) throw new Error('fft wasm: an array that is not a view of the module memory');
    return p;
  }

  /** The byte offset of `a` if it is a view of this memory, else −1. */
  offsetOf(a: ArrayLike<number>): number {
    return a instanceof Float64Array && this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /**
   * `a` as a byte offset: in place if it is a view of this memory, else space on the stack, into
   * which `a` is copied when `copy`.
   */
  place(a: ArrayLike<number>, n: number, copy = true): number {
    const p = this.offsetOf(a);
    if (p >= 0) return p;
    const q = this.alloc(8 * n);
    if (!copy) return q;
    const dst = this.f64.subarray(q / 8, q / 8 + n);
    if (a.length === n && (a instanceof Float64Array || a instanceof Float32Array)) dst.set(a);
    else for (let i = 0; i < n; i++) dst[i] = a[i]!;
    return q;
  }

  /** Copies `n` f64 at byte offset `p` into `out` (unless `out` is that very view). */
  copyOut(p: number, out: Float64Array | Float32Array, n: number): void {
    if (this.offsetOf(out) === p) return;
    out.set(this.f64.subarray(p / 8, p / 8 + n));
  }

  /** A record (RECORD_BYTES) with integer fields `ints` and f64 fields `floats` by index. */
  record(ints: Readonly<Record<number, number>>, floats: Readonly<Record<number, number>> = {}): number {
    const r = this.alloc(L.RECORD_BYTES);
    for (const [k, v] of Object.entries(ints)) this.i32[r / 4 + Number(k)] = v;
    for (const [k, v] of Object.entries(floats)) this.f64[(r + L.RECORD_F64_OFFSET) / 8 + Number(k)] = v;
    return r;
  }

  /** f64 number `i` at byte offset `p`. */
  read(p: number, i: number): number {
    return this.f64[p / 8 + i]!;
  }

  /** The stage table of the plan for length `n` (fft.ts's stages, twiddles copied). */
  stages(plan: FftPlan): number {
    const count = plan.stages.length;
    const t = this.alloc(4 * (1 + count * L.STAGE_FIELDS));
    this.i32[t / 4] = count;
    plan.stages.forEach((st, i) => {
      const f = t / 4 + 1 + i * L.STAGE_FIELDS;
      const wr = this.alloc(8 * st.wr.length);
      this.f64.set(st.wr, wr / 8);
      const wi = this.alloc(8 * st.wi.length);
      this.f64.set(st.wi, wi / 8);
      let cr = 0;
      let ci = 0;
      if (st.p !== 2 && st.p !== 3 && st.p !== 4) {
        // the generic radix's roots, as fft.ts's stage computes them
        cr = this.alloc(8 * st.p);
        ci = this.alloc(8 * st.p);
        for (let k = 0; k < st.p; k++) {
          this.f64[cr / 8 + k] = Math.cos((-2 * Math.PI * k) / st.p);
          this.f64[ci / 8 + k] = Math.sin((-2 * Math.PI * k) / st.p);
        }
      }
      this.i32[f + L.STAGE_P] = st.p;
      this.i32[f + L.STAGE_M] = st.m;
      this.i32[f + L.STAGE_S] = st.s;
      this.i32[f + L.STAGE_WR] = wr;
      this.i32[f + L.STAGE_WI] = wi;
      this.i32[f + L.STAGE_CR] = cr;
      this.i32[f + L.STAGE_CI] = ci;
    });
    return t;
  }

  /**
   * Runs jobs on the worker pool (in parallel where it is ready); a trap or a lost worker throws
   * a DeconvError naming the function.
   */
  run(jobs: readonly Job[]): void {
    if (engine !== this) {
      // an engine releaseWasmMemory() dropped during a computation: the pool hosts its successor
      for (const job of jobs) {
        const name = POOL_FUNCTIONS[job[0] - FN_BASE]!;
        try {
          this.fns[name](job[1]);
        } catch (err) {
          throw new KernelError(name, `the WebAssembly kernel ${name} failed: ${describeFailure(err)}`);
        }
      }
      return;
    }
    const steps = threadStats.parallelSteps;
    parallel(poolEngine(), jobs);
    if (threadStats.parallelSteps > steps) fftThreadStats.parallelCalls++;
  }

  /** Threads a call may use now. */
  get threads(): number {
    const host = poolEngine();
    return host.shared ? threadsOf(host) : 1;
  }
}

/**
 * The kernel engine whose pool hosts this module; without a shared one, a stand-in whose
 * `shared` is false (parallel then runs the jobs here, through this module's own exports).
 */
function poolEngine(): WasmEngine {
  const e = defaultEngine();
  return e?.shared ? e : LOCAL;
}
const LOCAL = { shared: false } as unknown as WasmEngine;

/** @internal Calls that ran on more than one thread (tests). */
export const fftThreadStats = { parallelCalls: 0 };

/** Whether the module's transforms serve length `n` (not Bluestein's plans). */
export function wasmLength(n: number): boolean {
  return planFor(n).bluestein === null;
}

/** Splits [0, n) into `parts` ranges whose inner bounds are multiples of `quantum`. */
function split(n: number, parts: number, quantum: number): [number, number][] {
  const units = Math.ceil(n / quantum);
  const out: [number, number][] = [];
  let prev = 0;
  for (let t = 1; t <= parts; t++) {
    const end = t === parts ? n : Math.min(n, Math.round((units * t) / parts) * quantum);
    if (end > prev) out.push([prev, end]);
    prev = Math.max(prev, end);
  }
  return out;
}

/** Jobs for the thread count: one part for small work. */
function partsFor(e: FftEngine, work: number): number {
  return work >= MIN_PARALLEL || wasmMode === 'always' ? e.threads : 1;
}

/**
 * realFft2 / inverseRealFft2 (real.ts) on the module: `real` (planes·h·w), spectra `re`, `im`
 * (planes·h·(⌊w/2⌋+1)); views of the engine's memory are used in place, other arrays copied.
 */
export function wasmRealFft2(
  e: FftEngine,
  inverse: boolean,
  real: ArrayLike<number>,
  re: Float64Array,
  im: Float64Array,
  planes: number,
  h: number,
  w: number,
): void {
  const mark = e.mark();
  try {
    const hw = h * w;
    const F = h * (Math.floor(w / 2) + 1);
    const x = e.place(real, planes * hw, !inverse);
    const pr = e.place(re, planes * F, inverse);
    const pi = e.place(im, planes * F, inverse);
    const tabH = e.stages(planFor(h));
    const tabW = e.stages(planFor(w));
    const slab = 8 * L.FFT_SLAB * Math.max(h, w);
    const pairs = Math.ceil(planes / 2);
    const jobs: Job[] = [];
    for (const [b, en] of split(pairs, Math.min(pairs, partsFor(e, planes * hw)), 1)) {
      const rec = e.record(
        {
          [L.FFT_REAL]: x,
          [L.FFT_RE]: pr,
          [L.FFT_IM]: pi,
          [L.FFT_PLANE_BEGIN]: 2 * b,
          [L.FFT_PLANE_END]: Math.min(planes, 2 * en),
          [L.FFT_H]: h,
          [L.FFT_W]: w,
          [L.FFT_PR]: e.alloc(8 * hw),
          [L.FFT_PI]: e.alloc(8 * hw),
          [L.FFT_QR]: e.alloc(8 * hw),
          [L.FFT_QI]: e.alloc(8 * hw),
          [L.FFT_S0R]: e.alloc(slab),
          [L.FFT_S0I]: e.alloc(slab),
          [L.FFT_S1R]: e.alloc(slab),
          [L.FFT_S1I]: e.alloc(slab),
          [L.FFT_GENERIC]: e.alloc(L.FFT_GENERIC_BYTES),
          [L.FFT_STAGES_H]: tabH,
          [L.FFT_STAGES_W]: tabW,
        },
        { [L.FFT_SCALE]: 1 / hw },
      );
      jobs.push([inverse ? FN_INVERSE : FN_FORWARD, rec]);
    }
    e.run(jobs);
    if (inverse) e.copyOut(x, real as Float64Array | Float32Array, planes * hw);
    else {
      e.copyOut(pr, re, planes * F);
      e.copyOut(pi, im, planes * F);
    }
  } finally {
    e.release(mark);
  }
}

/** The arrays of spectral.ts solveRankOne, all views of the engine's memory. */
export interface SolveArrays {
  Ar: Float64Array;
  Ai: Float64Array;
  aa: Float64Array;
  Br: Float64Array;
  Bi: Float64Array;
  Zr: Float64Array;
  Zi: Float64Array;
  Cr: Float64Array;
  Ci: Float64Array;
}

/** spectral.ts solveRankOne on the module; every array must be a view of `e`'s memory. */
export function wasmSolveRankOne(e: FftEngine, a: SolveArrays, rho: number, planes: number, F: number): void {
  const mark = e.mark();
  try {
    const jobs: Job[] = [];
    for (const [b, en] of split(F, partsFor(e, planes * F), 2)) {
      jobs.push([
        FN_SOLVE,
        e.record(
          {
            [L.SOLVE_A_RE]: e.at(a.Ar),
            [L.SOLVE_A_IM]: e.at(a.Ai),
            [L.SOLVE_AA]: e.at(a.aa),
            [L.SOLVE_B_RE]: e.at(a.Br),
            [L.SOLVE_B_IM]: e.at(a.Bi),
            [L.SOLVE_Z_RE]: e.at(a.Zr),
            [L.SOLVE_Z_IM]: e.at(a.Zi),
            [L.SOLVE_C_RE]: e.at(a.Cr),
            [L.SOLVE_C_IM]: e.at(a.Ci),
            [L.SOLVE_PLANES]: planes,
            [L.SOLVE_F]: F,
            [L.SOLVE_BEGIN]: b,
            [L.SOLVE_END]: en,
          },
          { [L.SOLVE_RHO]: rho },
        ),
      ]);
    }
    e.run(jobs);
  } finally {
    e.release(mark);
  }
}

/** The six sums of convBPDN's y/u pass: ‖x‖₁, ‖x − y‖², ‖y − y_old‖², ‖x‖², ‖y‖², ‖u‖². */
export type AdmmSums = [l1: number, r2: number, s2: number, x2: number, y2: number, u2: number];

/** convBPDN's relaxed y- and u-steps on the module; X, Y, U, T views of `e`'s memory. */
export function wasmAdmmStep(
  e: FftEngine,
  X: Float64Array,
  Y: Float64Array,
  U: Float64Array,
  T: Float64Array,
  relaxation: number,
  threshold: number,
): AdmmSums {
  const n = X.length;
  const mark = e.mark();
  try {
    const chunks = Math.ceil(n / L.ADMM_CHUNK);
    const sums = e.alloc(8 * 6 * chunks);
    const jobs: Job[] = [];
    for (const [b, en] of split(n, partsFor(e, n), L.ADMM_CHUNK)) {
      jobs.push([
        FN_ADMM,
        e.record(
          {
            [L.ADMM_X]: e.at(X),
            [L.ADMM_Y]: e.at(Y),
            [L.ADMM_U]: e.at(U),
            [L.ADMM_T]: e.at(T),
            [L.ADMM_BEGIN]: b,
            [L.ADMM_END]: en,
            [L.ADMM_SUMS]: sums,
          },
          { [L.ADMM_RELAXATION]: relaxation, [L.ADMM_THRESHOLD]: threshold },
        ),
      ]);
    }
    e.run(jobs);
    const out: AdmmSums = [0, 0, 0, 0, 0, 0];
    for (let c = 0; c < chunks; c++) for (let j = 0; j < 6; j++) out[j] += e.read(sums, 6 * c + j);
    return out;
  } finally {
    e.release(mark);
  }
}

// ---- the engine

let engine: FftEngine | null | undefined;

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The engine, made on first use; null where the module or a shared memory cannot run. */
export function fftEngine(): FftEngine | null {
  if (engine !== undefined) return engine;
  engine = null;
  try {
    if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') return null;
    const bytes = decode(fftWasmBase64);
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    if (!(memory.buffer instanceof SharedArrayBuffer)) return null;
    engine = new FftEngine(new WebAssembly.Module(bytes), memory);
  } catch {
    engine = null;
  }
  return engine;
}

/**
 * @internal Which path the transforms take: 'auto' (the module for work of at least
 * MIN_WASM_VALUES values), 'always' (the module whenever it can run: tests force it so on small
 * fixtures) or 'never' (JavaScript).
 */
export function setFftWasm(mode: 'auto' | 'always' | 'never'): void {
  wasmMode = mode;
}
let wasmMode: 'auto' | 'always' | 'never' = 'auto';

/** Below this many values a call's set-up (records, stage tables) outweighs the module's gain. */
const MIN_WASM_VALUES = 4096;

/** The engine for a computation on `values` numbers, or null for the JavaScript path. */
export function activeFftEngine(values: number): FftEngine | null {
  if (wasmMode === 'never' || (wasmMode === 'auto' && values < MIN_WASM_VALUES)) return null;
  return fftEngine();
}

/**
 * Starts the worker pool (which hosts this module) for the configured thread count; resolves to
 * the threads calls will use (1 without a pool). Rejects as setNumThreads does when the workers
 * fail to start.
 */
export async function startFftThreads(): Promise<number> {
  const e = fftEngine() ? defaultEngine() : null;
  return e?.shared && (await startThreads(e)) ? threadsOf(e) : 1;
}
