/**
 * What every engine adapter provides, and the one timing loop they all run through.
 *
 * An adapter turns a workload into a `Case`: everything that is not the operation (building a
 * model, converting inputs to the engine's layout, uploading weights) happens in `prepare`, before
 * the clock starts. `run` is the timed call: from inputs already in the engine to an output the
 * caller can read from JavaScript (for tfjs that includes `dataSync()`, for ONNX Runtime the
 * awaited `session.run`). `read` (untimed) returns the output in NCHW order for the correctness
 * check; `release` (untimed) disposes it.
 */
import { readFileSync } from 'node:fs';
import type { InputSpec, Workload } from './workloads.js';

export interface Case<Out = unknown> {
  run(): Out | Promise<Out>;
  read(out: Out): Float32Array | Promise<Float32Array>;
  release?(out: Out): void;
  /** How this engine expresses the workload, when it is not literally the same call. */
  note?: string;
  close?(): void | Promise<void>;
}

/** Either a case to time, or why this engine cannot run the workload. */
export type Prepared = Case | { unsupported: string };

export interface Engine {
  name: string;
  version: string;
  /** Facts about this engine in this run (threads used, wasm files found, layout). */
  notes: string[];
  prepare(wl: Workload, inputs: Map<string, Float32Array | Int32Array>): Promise<Prepared>;
  close?(): Promise<void> | void;
  /**
   * deconv only: runs of the machine's 128-bit FMA probe on this engine's threads at once, over at
   * least `ms`, as GFLOP/s per thread (src/kernels/wasm/probe.ts fmaRuns); the runner times them
   * just before and just after each compute-bound case (`CaseResult.fmaAlongside`).
   */
  fmaRuns?(ms: number): number[];
}

export interface MeasureOptions {
  /** Minimum number of timed runs (fewer only when they would not fit in `budgetMs`; never fewer than 3). */
  minRuns: number;
  /** Keep timing until at least this long has been spent (fast cases get more runs). */
  minTimeMs: number;
  maxRuns: number;
  warmupRuns: number;
  /** Soft limit on the time spent timing one case; very slow engines stop at 3 runs. */
  budgetMs: number;
}

export interface CaseResult {
  engine: string;
  threads: number;
  key: string;
  status: 'ok' | 'n/a' | 'error';
  reason?: string;
  note?: string;
  /** The first call (cold: JIT, lazy initialisation, first-touch of buffers). */
  firstMs?: number;
  warmupRuns?: number;
  samples?: number[];
  medianMs?: number;
  p25Ms?: number;
  p75Ms?: number;
  minMs?: number;
  runs?: number;
  /** CPU time of the whole process (all its threads) over wall time, while timing. */
  cpuPerWall?: number;
  /** With --rounds: the median of each round (the fields above are the best round's). */
  roundMedians?: number[];
  /** Largest |engine − deconv| over the output; null when deconv's output is not there. */
  maxAbsDiff?: number | null;
  refMaxAbs?: number;
  match?: boolean | null;
  /**
   * deconv on a compute-bound workload: the FMA probe on as many threads, timed just before and
   * just after this case (so under the machine's load of the same minute), GFLOP/s per thread.
   */
  fmaAlongside?: { fastestGflops: number; medianGflops: number; runs: number };
}

/** The engines that run in Node (PyTorch runs through bench/torch_bench.py). */
export type EngineName = 'deconv' | 'ort-node' | 'ort-export' | 'ort-web' | 'tfjs-cpu' | 'tfjs-wasm';

/** Main process → runner (one IPC message per case; PyTorch reads the same as JSON lines). */
export type Command =
  | {
      type: 'run';
      workload: Workload;
      options: MeasureOptions;
      /** deconv's output for this workload (written by deconv's first run, read by the others). */
      refFile: string;
      writeRef: boolean;
      /** PyTorch only: one process serves every thread count. */
      threads?: number;
    }
  | { type: 'close' };

/** Runner → main process. */
export type Reply =
  | { type: 'ready'; version: string; notes: string[] }
  | { type: 'skipped'; reason: string }
  | { type: 'result'; result: CaseResult };

export interface EngineReport {
  engine: string;
  threads: number;
  version: string;
  notes: string[];
  /** Set when the engine cannot run at this thread count at all. */
  skipped?: string;
  results: CaseResult[];
}

export function readInput(spec: InputSpec): Float32Array | Int32Array {
  const buf = readFileSync(spec.file!);
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  return spec.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
}

export function readInputs(wl: Workload): Map<string, Float32Array | Int32Array> {
  return new Map(wl.inputs.map((i) => [i.name, readInput(i)]));
}

export function readFloats(file: string): Float32Array {
  const buf = readFileSync(file);
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  return new Float32Array(bytes.buffer);
}

/**
 * Compares an engine's output with deconv's. The tolerance is relative to the output's scale:
 * float32 sums in another order differ by a few ulps of the partial sums, far below 1e-4.
 */
export function compare(
  out: Float32Array,
  ref: Float32Array | null,
): { maxAbsDiff: number | null; refMaxAbs?: number; match: boolean | null; reason?: string } {
  if (ref === null) return { maxAbsDiff: null, match: null };
  if (out.length !== ref.length) {
    return {
      maxAbsDiff: null,
      match: false,
      reason: `output has ${out.length} values, deconv's ${ref.length}`,
    };
  }
  let diff = 0;
  let scale = 0;
  let nan = false;
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!;
    const b = ref[i]!;
    if (Number.isNaN(a) !== Number.isNaN(b)) nan = true;
    const d = Math.abs(a - b);
    if (d > diff) diff = d;
    const m = Math.abs(b);
    if (m > scale) scale = m;
  }
  if (nan)
    return { maxAbsDiff: null, refMaxAbs: scale, match: false, reason: 'NaN where the other has a number' };
  return { maxAbsDiff: diff, refMaxAbs: scale, match: diff <= 1e-4 * Math.max(1, scale) };
}

export function quantile(s: readonly number[], q: number): number {
  const a = [...s].sort((x, y) => x - y);
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

const gc = (globalThis as { gc?: () => void }).gc;

async function once<O>(c: Case<O>): Promise<[number, O]> {
  const t0 = performance.now();
  let out = c.run();
  if (out instanceof Promise) out = await out;
  const t1 = performance.now();
  return [t1 - t0, out as O];
}

/**
 * Times one case: a cold first call (its output is checked against `ref`; with `verify`, a
 * mismatch or a missing `ref` throws before anything is timed), warm-up calls, then
 * timed calls until `minRuns` and `minTimeMs` are both reached (or `maxRuns`); a case slower than
 * `budgetMs / minRuns` per call stops at max(3, budget / call) runs and says so through `runs`.
 */
export async function measure(
  c: Case,
  ref: Float32Array | null,
  opts: MeasureOptions,
  verify = false,
): Promise<Omit<CaseResult, 'engine' | 'threads' | 'key' | 'status'>> {
  const [firstMs, firstOut] = await once(c);
  const check = compare(await c.read(firstOut), ref);
  c.release?.(firstOut);
  // verify: no timing unless the output is deconv's (a wrong fast answer is not a result)
  if (verify && check.match !== true) {
    throw new Error(
      ref === null
        ? 'not timed: no deconv output to verify against (deconv must run first)'
        : `not timed: the output differs from deconv's (${check.reason ?? `max |Δ| ${check.maxAbsDiff}`})`,
    );
  }

  let warm = 0;
  let warmMs = 0;
  let last = firstMs;
  while (warm < opts.warmupRuns && warmMs + last < opts.budgetMs / 4) {
    const [ms, out] = await once(c);
    c.release?.(out);
    warm++;
    warmMs += ms;
    last = ms;
  }
  gc?.();

  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (;;) {
    const [ms, out] = await once(c);
    c.release?.(out);
    samples.push(ms);
    const spent = performance.now() - t0;
    const n = samples.length;
    if (n >= opts.maxRuns) break;
    if (n >= opts.minRuns && spent >= opts.minTimeMs) break;
    // Too slow for minRuns within the budget: stop at 3 runs, or when the next one would overrun.
    if (n >= 3 && spent + ms > opts.budgetMs) break;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    note: c.note,
    firstMs,
    warmupRuns: warm,
    samples,
    runs: samples.length,
    medianMs: quantile(samples, 0.5),
    p25Ms: quantile(samples, 0.25),
    p75Ms: quantile(samples, 0.75),
    minMs: Math.min(...samples),
    cpuPerWall: (cpu.user + cpu.system) / 1000 / wall,
    maxAbsDiff: check.maxAbsDiff,
    refMaxAbs: check.refMaxAbs,
    match: check.match,
    reason: check.reason,
  };
}

/** NHWC → NCHW (for engines whose native layout is channels-last). */
export function nhwcToNchw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++)
          out[((b * c + ch) * h + y) * w + x] = src[((b * h + y) * w + x) * c + ch]!;
  return out;
}

/** NCHW → NHWC. */
export function nchwToNhwc(src: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((b * h + y) * w + x) * c + ch] = src[((b * c + ch) * h + y) * w + x]!;
  return out;
}

/** Permutes a 4-d array: `out[i[perm[0]], …] = src[i0, i1, i2, i3]` with `out` of shape `shape[perm]`. */
export function permute4(src: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const [, b, c, d] = shape as [number, number, number, number];
  const srcStrides = [b * c * d, c * d, d, 1];
  const outShape = perm.map((p) => shape[p]!);
  const out = new Float32Array(src.length);
  let o = 0;
  const [s0, s1, s2, s3] = perm.map((p) => srcStrides[p]!) as [number, number, number, number];
  for (let i0 = 0; i0 < outShape[0]!; i0++)
    for (let i1 = 0; i1 < outShape[1]!; i1++)
      for (let i2 = 0; i2 < outShape[2]!; i2++)
        for (let i3 = 0; i3 < outShape[3]!; i3++) out[o++] = src[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3]!;
  return out;
}
