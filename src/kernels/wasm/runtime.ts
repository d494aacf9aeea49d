/**
 * The public controls of the WebAssembly kernels: `ready`, `releaseWasmMemory`, `setNumThreads`,
 * `getNumThreads`. They sit above the loader (engines and their memory) and the worker pool
 * (threads.ts), which know nothing of each other's state beyond the engine a pool runs on.
 */
import { fail } from '../../errors.js';
import { defaultEngine, dropEngines } from './loader.js';
import { dropPackedCopies } from '../../storage.js';
import {
  MAX_THREADS,
  describeFailure,
  dropHostedModules,
  dropPool,
  setThreadCount,
  startThreads,
  stopPoolsOtherThan,
} from './threads.js';

export { ready } from './loader.js';
export { getNumThreads } from './threads.js';

/**
 * Drops the compiled instances and their memory (WebAssembly memory only grows) — the kernels'
 * and the FFT module's (restoration, csc) — and stops their worker threads; the next call
 * instantiates afresh. Packed weights kept by `Tensor.keepPacked()` are dropped too (the next
 * call packs them again). Useful after one very large call.
 *
 * @example
 *   releaseWasmMemory();
 */
export function releaseWasmMemory(): void {
  dropPackedCopies();
  for (const e of dropEngines()) dropPool(e);
  dropHostedModules();
}

/**
 * Sets how many threads the WebAssembly kernels and the FFT module use (default: the machine's
 * cores; one pool of workers runs both), starts the workers and resolves to the number of threads
 * that will run: `n`, or 1 where shared WebAssembly memory or workers are unavailable (browsers
 * need a cross-origin-isolated page). Rejects with a DeconvError saying why when the workers fail
 * to start (say `new Worker()` throws under a Content-Security-Policy that forbids workers); the
 * thread count is then 1. Results are bit-identical for every thread count. Work too small to pay for
 * waking a thread runs on the calling thread anyway: a GEMM below `threadTuning.minMacs`
 * multiply-adds, a memory-bound step writing less than `threadTuning.minBytes` (kernels/wasm/split.ts).
 *
 * @example
 *   import { setNumThreads } from 'deconv';
 *   await setNumThreads(2);
 */
export function setNumThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    try {
      fail('setNumThreads', 'n', n, `must be an integer from 1 to ${MAX_THREADS}`);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  // The setting takes effect in call order at once (getNumThreads sees the last call); the pool
  // starts are queued, so the promises resolve in call order, each to what its own call set.
  const call = ++calls;
  setThreadCount(n);
  const result = threadQueue.then(() => applyThreads(n, call));
  threadQueue = result.catch(() => undefined);
  return result;
}
let threadQueue: Promise<unknown> = Promise.resolve();
let calls = 0;

async function applyThreads(n: number, call: number): Promise<number> {
  // superseded by a later call: nothing to start, only whether n threads could run
  if (call !== calls) return n === 1 ? 1 : defaultEngine()?.shared ? n : 1;
  stopPoolsOtherThan(n);
  if (n === 1) return 1;
  const e = defaultEngine();
  if (!e) return 1;
  let started: boolean;
  try {
    started = await startThreads(e);
  } catch (err) {
    // the pool's failure already set the thread count to 1 (unless a later call changed it)
    fail(
      'setNumThreads',
      'n',
      n,
      `cannot be used here: the worker threads failed to start (${describeFailure(err)})`,
    );
  }
  return started ? n : 1;
}
