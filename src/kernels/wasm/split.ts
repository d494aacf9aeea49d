/**
 * The thread-split policy of every WebAssembly kernel, in one place: when a step is split across
 * the worker pool (threads.ts) and how. Results never depend on the thread count: a split assigns
 * every output element to exactly one job, which computes it with the same arithmetic in the same
 * order as a single thread would — GEMM tiles by whole NR-column or tile-row panels (never K), the
 * memory-bound kernels (stores, col2im, padded copies, resampling, unpooling, shuffles) by channels
 * or planes, the sub-pixel weight packing by tile-row panels. The tile's rows (tileRowsFor) do not
 * change any element's arithmetic either: each is the same chain of multiply-adds over k.
 */
import { GEMM, type RecordLayout, type RecordValues } from './layout.js';
import type { WasmEngine } from './loader.js';
import { FN, parallel, threadsOf, type Job } from './threads.js';

/**
 * When work is split across threads. Below `minMacs` multiply-adds a GEMM runs on the calling
 * thread: waking a worker costs tens of µs, and each thread packs its own B blocks; a split gives
 * each thread at least `minPanels` micro-panels (NR columns or MR rows). Below `minBytes` written,
 * a memory-bound step is not split. A split step is cut into shrinking runs (jobs, see `runs`)
 * of at least `minJobMacs` multiply-adds or `minJobBytes` written, which the threads take in
 * order. The README cites these values. Mutable for tests, which force splits on small,
 * tail-hitting geometries.
 */
export const threadTuning = {
  minMacs: 4e6,
  minPanels: 4,
  minBytes: 1 << 19,
  minJobMacs: 1 << 19,
  minJobBytes: 1 << 16,
};

/** v rounded up to a multiple of m. */
export function roundUp(v: number, m: number): number {
  return Math.ceil(v / m) * m;
}

/**
 * The GEMM's tile rows. The relaxed-SIMD build has a 5 × 8 tile beside the 4 × 8 one, `wideGain`
 * faster per row (measured: 7–9 % on whole GEMM calls, bench/RESULTS.md); a GEMM of M rows takes
 * it when its rows padded to 5 cost less than padded to 4 (M = 36 stays on 4: 40 / 1.08 > 36).
 * `rows` forces one (tests: every GEMM on the wide tile, or none).
 */
export const tileTuning: { wideGain: number; rows: 'auto' | 'narrow' | 'wide' } = {
  wideGain: 1.08,
  rows: 'auto',
};

/** Tile rows (GEMM.tileRows, WPACK.tileRows) for a GEMM of M rows on engine e. */
export function tileRowsFor(e: WasmEngine, M: number): number {
  const wide = e.tileRowsWide;
  if (wide === e.MR || tileTuning.rows === 'narrow') return e.MR;
  if (tileTuning.rows === 'wide') return wide;
  return roundUp(M, wide) < tileTuning.wideGain * roundUp(M, e.MR) ? wide : e.MR;
}

/** [start, end) of part t of `units` units split into `parts` near-equal runs. */
export function part(units: number, parts: number, t: number): [number, number] {
  return [Math.floor((t * units) / parts), Math.floor(((t + 1) * units) / parts)];
}

/**
 * `units` cut into runs for `threads` threads taking them in order (guided scheduling): each run
 * is 1/(2·threads) of what is left, at least `least` units, so the first runs are long and the
 * last short, and a thread that starts late or runs slow leaves little for the others to wait on.
 * Returns the runs' first units and the end (`units`).
 */
export function runs(units: number, threads: number, least: number): number[] {
  const starts: number[] = [];
  const min = Math.max(1, Math.ceil(least));
  for (let u = 0; u < units;) {
    starts.push(u);
    u += Math.max(min, Math.ceil((units - u) / (2 * threads)));
  }
  starts.push(units);
  return starts;
}

/** Threads for a memory-bound step over `units` units writing `bytes`: 1 below minBytes. */
export function memoryThreads(e: WasmEngine, units: number, bytes: number): number {
  return bytes >= threadTuning.minBytes ? Math.max(1, Math.min(units, threadsOf(e))) : 1;
}

/**
 * The jobs of a memory-bound kernel `fn` over `units` units (channels, planes) for `threads`
 * threads: one job for a single thread, else shrinking runs (`runs`) the threads take in order;
 * `record(u0, n)` returns the byte offset of a record covering units [u0, u0 + n) only (allocated:
 * the caller releases them after the step). Returns the jobs' first units and records, in unit
 * order.
 */
export function unitJobs(
  e: WasmEngine,
  units: number,
  bytes: number,
  threads: number,
  record: (u0: number, n: number) => number,
): { u0: number; rec: number }[] {
  const starts =
    threads > 1 ? runs(units, threads, (threadTuning.minJobBytes * units) / Math.max(bytes, 1)) : [0, units];
  const parts: { u0: number; rec: number }[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const u0 = starts[i]!;
    parts.push({ u0, rec: record(u0, starts[i + 1]! - u0) });
  }
  return parts;
}

/**
 * Runs a memory-bound kernel `fn` over `units` units (channels, planes), in one job below the
 * memoryThreads threshold, else in shrinking runs (`runs`) the threads take in order:
 * `record(u0, n)` returns the byte offset of a record covering units [u0, u0 + n) only. Returns
 * the jobs' first units and records, in unit order, which stay readable until the next allocation
 * (they are released).
 */
export function runByUnits(
  e: WasmEngine,
  fn: number,
  units: number,
  bytes: number,
  record: (u0: number, n: number) => number,
): { u0: number; rec: number }[] {
  const top = e.alloc(0);
  const parts = unitJobs(e, units, bytes, memoryThreads(e, units, bytes), record);
  parallel(
    e,
    parts.map((p) => [fn, p.rec] as const),
  );
  e.release(top);
  return parts;
}

/**
 * runByUnits on a record already written at `rec` (layout `l`): each job runs on a copy with the
 * fields `shift(u0, n)` returns rewritten; a single job runs on `rec` itself.
 */
export function splitRecord<F extends RecordLayout['fields']>(
  e: WasmEngine,
  fn: number,
  l: RecordLayout<F>,
  rec: number,
  units: number,
  bytes: number,
  shift: (u0: number, n: number) => RecordValues<F>,
): void {
  if (memoryThreads(e, units, bytes) <= 1) {
    parallel(e, [[fn, rec]]);
    return;
  }
  runByUnits(e, fn, units, bytes, (u0, n) => e.copyRecord(rec, l, shift(u0, n)));
  return;
}

/** One thread's GEMM scratch: a packed B block, an edge tile, the row tables. */
export interface ThreadScratch {
  bPack: number;
  tile: number;
  scratch: number;
}

/** Scratch for one GEMM: packed A for an M × K operand and, per thread, a ThreadScratch. */
export interface GemmScratch {
  packedA: number;
  per: ThreadScratch[];
  /** thread 0's (what a single-threaded call uses) */
  bPack: number;
  tile: number;
}

/** GEMM scratch for `threads` threads and GEMMs of depth up to K. */
export function threadScratch(e: WasmEngine, K: number, threads: number): ThreadScratch[] {
  const per: ThreadScratch[] = [];
  for (let t = 0; t < threads; t++)
    per.push({
      bPack: e.alloc(e.fns.kcOf(K) * roundUp(e.NC, e.NR)),
      tile: e.alloc(e.tileRowsWide * e.NR + e.tileRowsWide),
      scratch: e.alloc(e.fns.blocking(5)),
    });
  return per;
}

/** Threads for GEMMs of `work` multiply-adds in all: one below minMacs. */
export function gemmThreads(e: WasmEngine, work: number): number {
  return work >= threadTuning.minMacs ? threadsOf(e) : 1;
}

/**
 * Scratch for GEMMs of an M × K A operand packed in panels of `tileRows` rows; `work`, the
 * multiply-adds of the largest GEMM it serves, decides the thread count (one below minMacs).
 */
export function gemmScratch(
  e: WasmEngine,
  M: number,
  K: number,
  work: number,
  tileRows: number,
): GemmScratch {
  const packedA = e.alloc(roundUp(M, tileRows) * K);
  const per = threadScratch(e, K, gemmThreads(e, work));
  return { packedA, per, bPack: per[0]!.bPack, tile: per[0]!.tile };
}

/**
 * The jobs of the GEMM of record `rec` for the threads of `per` (one ThreadScratch each), split by
 * columns (whole NR panels) when there are enough, else by rows (whole tileRows panels); one job when it
 * is below minMacs or too small to split. Column splits are shrinking runs of panels the threads
 * take in order (each run packs only its own B columns, so more runs cost no packing); row splits,
 * where every run packs all of B, one run per thread. Each job has a record per thread (that
 * thread's scratch), `GEMM.size` fields apart, allocated here (the caller releases them after the
 * step).
 */
export function gemmJobs(e: WasmEngine, rec: number, per: readonly ThreadScratch[]): Job[] {
  const M = e.read(rec, GEMM, 'm');
  const N = e.read(rec, GEMM, 'n');
  const K = e.read(rec, GEMM, 'k');
  const tileRows = e.read(rec, GEMM, 'tileRows');
  const T = per.length;
  const byCols = N >= threadTuning.minPanels * T * e.NR;
  const byRows = !byCols && M >= threadTuning.minPanels * T * tileRows;
  const split = T > 1 && (byCols || byRows) && M * N * K >= threadTuning.minMacs;
  const [size, unit, other] = byCols ? [N, e.NR, M] : [M, tileRows, N];
  const units = Math.ceil(size / unit);
  const least = Math.max(threadTuning.minPanels, threadTuning.minJobMacs / (unit * other * Math.max(K, 1)));
  const starts = !split
    ? [0, units]
    : byCols
      ? runs(units, T, least)
      : Array.from({ length: T + 1 }, (_, i) => part(units, T, i)[0]);
  const stride = 4 * GEMM.size;
  const jobs: Job[] = [];
  for (let j = 0; j + 1 < starts.length; j++) {
    const begin = starts[j]! * unit;
    const end = Math.min(size, starts[j + 1]! * unit);
    if (end <= begin && split) continue;
    const base = e.alloc(GEMM.size * T);
    for (let t = 0; t < T; t++) {
      const r = base + t * stride;
      const scratch = per[t]!;
      e.i32.copyWithin(r >> 2, rec >> 2, (rec >> 2) + GEMM.size);
      if (split)
        e.write(r, GEMM, byCols ? { columnBegin: begin, columnEnd: end } : { rowBegin: begin, rowEnd: end });
      e.write(r, GEMM, { bPack: scratch.bPack, tile: scratch.tile, scratch: scratch.scratch });
    }
    jobs.push([FN.gemm, base, stride]);
  }
  return jobs;
}

/**
 * Runs the GEMM of record `rec` with the scratch `s`, split over its threads (gemmJobs); a GEMM
 * that does not split runs on the calling thread.
 */
export function gemmRun(e: WasmEngine, rec: number, s: GemmScratch): void {
  const top = e.alloc(0);
  const jobs = gemmJobs(e, rec, s.per);
  if (jobs.length === 1) {
    const t = s.per[0]!;
    e.release(top);
    e.write(rec, GEMM, { bPack: t.bPack, tile: t.tile, scratch: t.scratch });
    e.fns.gemm(rec);
    return;
  }
  parallel(e, jobs, s.per.length);
  e.release(top);
}

/**
 * Threads for packing an M × K sub-pixel A operand in panels of `tileRows` rows with `tapTables`
 * tap-table scratch areas: panels split when it writes at least minBytes.
 */
export function packThreads(
  e: WasmEngine,
  M: number,
  K: number,
  tapTables: number,
  tileRows: number,
): number {
  const panels = Math.ceil(M / tileRows);
  return 4 * M * K >= threadTuning.minBytes ? Math.max(1, Math.min(tapTables, panels)) : 1;
}
