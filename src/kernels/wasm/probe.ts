/**
 * The machine's own limits, measured on the engine the kernels run on (for the bench): copy
 * bandwidth with 1 and with every configured thread (memory.copy, one region per thread, bytes
 * read + written counted, as the bench counts a memory-bound workload's bytes) and the peak of
 * 128-bit fused multiply-adds on one thread (8 independent f32x4 chains). Internal: not exported
 * from the package entry.
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
}

/**
 * The fastest of repeated runs of `f` (each returning its own time in ms), over at least `minMs` of
 * runs and at least `minRuns` of them. A short window under-reports: this machine's clock and memory
 * bandwidth move with the load of its neighbours (a best of 7 FMA runs measured 51–57 GFLOP/s where
 * a best over a second measured 58–59.5, and a best of 7 two-thread copies 34.6 GB/s in a run where
 * the workloads themselves moved 43.7: bench/RESULTS.md).
 */
function fastest(f: () => number, minMs = 400, minRuns = 15): number {
  return timed(f, minMs, minRuns).fastest;
}

/** The fastest and the median of repeated runs of `f` (as `fastest` runs them), in ms. */
function timed(f: () => number, minMs = 400, minRuns = 15): { fastest: number; median: number } {
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < minRuns || performance.now() - start < minMs) ms.push(f());
  ms.sort((a, b) => a - b);
  return { fastest: ms[0]!, median: ms[ms.length >> 1]! };
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
 * The multiply-add peak: the fastest run (`fastest`) of 2·10⁶ steps of 8 chains (about 2 ms each),
 * after warm-up calls (the first calls may run V8's baseline code, before the optimised tier
 * replaces it), and the median run; GFLOP/s.
 */
function fmaProbe(e: WasmEngine, iterations = 2_000_000): { peak: number; median: number } {
  e.reset();
  const result = e.alloc(4);
  const rec = e.record(PROBE, { iterations, result });
  for (let i = 0; i < 3; i++) e.fns.probeFma(rec);
  const ms = timed(() => {
    const t0 = performance.now();
    e.fns.probeFma(rec);
    return performance.now() - t0;
  });
  const gflops = (t: number): number => (iterations * 8 * 4 * 2) / (t * 1e6);
  return { peak: gflops(ms.fastest), median: gflops(ms.median) };
}

/** The limits on engine `e` (its worker pool must be started for the multi-thread probe). */
export function measureLimits(e: WasmEngine): MachineLimits {
  const n = threadsOf(e);
  const copyGBs = [{ threads: 1, gbs: copyProbe(e, 1) }];
  if (n > 1) copyGBs.push({ threads: n, gbs: copyProbe(e, n) });
  const fma = fmaProbe(e);
  return { copyGBs, fmaGflops: fma.peak, fmaMedianGflops: fma.median };
}
