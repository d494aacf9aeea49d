/**
 * The machine's own limits, measured on the engine the kernels run on (for the bench): copy
 * bandwidth with 1 and with every configured thread (memory.copy, one region per thread, bytes
 * read + written counted, as the bench counts a memory-bound workload's bytes) and the peak of
 * 128-bit fused multiply-adds per thread (8 independent f32x4 chains) on one thread and on every
 * thread at once, and runs of that probe (fmaRuns: the bench times them beside each compute-bound
 * case).
 * Internal: not exported from the package entry.
 */
import { PROBE } from './layout.js';
import type { WasmEngine } from './loader.js';
import { FN, parallel, poolTuning, threadsOf, type Job } from './threads.js';

export interface MachineLimits {
  /** copy bandwidth (GB/s, bytes read + written) by thread count: [1 thread, all threads] */
  copyGBs: { threads: number; gbs: number }[];
  /** 128-bit multiply-add peak of one thread, GFLOP/s (2 flops per lane): the fastest run */
  fmaGflops: number;
  /**
   * the median run of the same probe: on a machine whose clock moves with its neighbours' load it
   * reads about 10 % below the fastest, and it is the statistic the bench reports workloads by
   */
  fmaMedianGflops: number;
  /**
   * the same probe per thread with 1 and with every configured thread running it at once
   * (GFLOP/s of each thread, fastest and median run): [1 thread, all threads]; two cores that share
   * a clock, a cache or a power budget each reach less than one alone
   */
  fmaByThreads: { threads: number; fastest: number; median: number }[];
}

/**
 * The fastest of repeated runs of `f` (each returning its own time in ms), over at least `minMs` of
 * runs and at least `minRuns` of them. A short window under-reports: this machine's clock and memory
 * bandwidth move with the load of its neighbours (a best of 7 FMA runs measured 51–57 GFLOP/s where
 * a best over a second measured 58–59.5, and a best of 7 two-thread copies 34.6 GB/s in a run where
 * the workloads themselves moved 43.7: bench/RESULTS.md).
 */
function fastest(f: () => number, minMs = 400, minRuns = 15): number {
  let best = Infinity;
  let runs = 0;
  const start = performance.now();
  while (runs < minRuns || performance.now() - start < minMs) {
    best = Math.min(best, f());
    runs++;
  }
  return best;
}

/**
 * Copies `bytes` per thread (regions of 32 MiB: past the last-level cache, like the workloads' outputs),
 * `threads` jobs at once; returns GB/s of bytes read + written, from the fastest run (`fastest`).
 */
function copyProbe(e: WasmEngine, threads: number, bytes = 32 << 20, iterations = 2): number {
  e.reset();
  const jobs: Job[] = [];
  for (let t = 0; t < threads; t++) {
    const src = e.alloc(bytes / 4);
    const dst = e.alloc(bytes / 4);
    e.f32.fill(1, src >> 2, (src + bytes) >> 2);
    jobs.push([FN.probeCopy, e.record(PROBE, { src, dst, bytes, iterations })]);
  }
  // one region per thread, all at once: every worker runs its job (no dynamic claims)
  const claim = poolTuning.claim;
  poolTuning.claim = 'roundRobin';
  try {
    parallel(e, jobs); // warm: pages touched, workers awake
    const ms = fastest(() => {
      const t0 = performance.now();
      parallel(e, jobs);
      return performance.now() - t0;
    });
    return (2 * bytes * iterations * threads) / (ms * 1e6);
  } finally {
    poolTuning.claim = claim;
  }
}

/**
 * Runs of the multiply-add probe: 2·10⁶ steps of 8 chains (about 2 ms each) on each of `threads`
 * threads at once (one job per thread), after warm-up calls (the first calls may run V8's
 * baseline code, before the optimised tier replaces it; `threads` is capped at the engine's own
 * thread count); each run's GFLOP/s per thread (the flops of all threads over the run's wall
 * time, divided by `threads`), sorted ascending. Over at least `minMs` of runs and at least
 * `minRuns` of them.
 */
export function fmaRuns(
  e: WasmEngine,
  threads = 1,
  minMs = 400,
  minRuns = 15,
  iterations = 2_000_000,
): number[] {
  threads = Math.max(1, Math.min(threads, threadsOf(e)));
  e.reset();
  const jobs: Job[] = [];
  for (let t = 0; t < threads; t++)
    jobs.push([FN.probeFma, e.record(PROBE, { iterations, result: e.alloc(4) })]);
  const run = (): number => {
    const t0 = performance.now();
    if (threads === 1) e.fns.probeFma(jobs[0]![1]);
    else parallel(e, jobs);
    return performance.now() - t0;
  };
  // one job per thread, all at once (as copyProbe runs its regions)
  const claim = poolTuning.claim;
  poolTuning.claim = 'roundRobin';
  try {
    for (let i = 0; i < 3; i++) run();
    const ms: number[] = [];
    const start = performance.now();
    while (ms.length < minRuns || performance.now() - start < minMs) ms.push(run());
    return ms.map((t) => (iterations * 8 * 4 * 2) / (t * 1e6)).sort((a, b) => a - b);
  } finally {
    poolTuning.claim = claim;
  }
}

/** The multiply-add peak per thread on `threads` threads: the fastest and the median of fmaRuns; GFLOP/s. */
function fmaProbe(e: WasmEngine, threads = 1): { threads: number; fastest: number; median: number } {
  const g = fmaRuns(e, threads);
  return { threads, fastest: g[g.length - 1]!, median: g[g.length >> 1]! };
}

/** The limits on engine `e` (its worker pool must be started for the multi-thread probe). */
export function measureLimits(e: WasmEngine): MachineLimits {
  const n = threadsOf(e);
  const copyGBs = [{ threads: 1, gbs: copyProbe(e, 1) }];
  if (n > 1) copyGBs.push({ threads: n, gbs: copyProbe(e, n) });
  const fmaByThreads = [fmaProbe(e)];
  if (n > 1) fmaByThreads.push(fmaProbe(e, n));
  const one = fmaByThreads[0]!;
  return { copyGBs, fmaGflops: one.fastest, fmaMedianGflops: one.median, fmaByThreads };
}
