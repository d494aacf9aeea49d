/**
 * The worker pool: threads that run the WebAssembly kernels on the calling engine's shared memory.
 *
 * Each engine (one build of the module, one shared WebAssembly.Memory) gets `threads − 1` workers,
 * started on the first call that can use them (worker_threads in Node, Web Workers in browsers;
 * the worker's code is the small script below, it imports nothing). A worker instantiates the same
 * compiled module on the same memory and then sleeps in Atomics.wait on a control block (its own
 * SharedArrayBuffer). A parallel step is a list of jobs, one per thread: an exported kernel and its
 * parameter record (records live in the shared memory); job 0 runs on the calling thread, the
 * others are written to the control block, the generation counter is bumped and the workers are
 * woken; the caller then waits until every worker has reported (Atomics.wait where the thread may
 * block, a spin on the browser's main thread, where it may not).
 *
 * Results do not depend on the thread count: callers split work so that every output element is
 * computed by one job, with the same arithmetic in the same order as without threads (GEMM tiles
 * by rows or columns, never K; stores and col2im by channels; the resampling kernels by planes).
 * test/threads.test.ts and test/wasm-resample.test.ts check that the results are bit-identical
 * for 1, 2 and 3 threads.
 *
 * Until every worker of a pool has started, steps run on the calling thread alone (a browser's
 * workers start only once the main thread returns to its event loop); `setNumThreads` resolves
 * when they have. Workers are unref'ed in Node: an idle pool does not keep a process alive.
 */
import type { KernelExports, WasmEngine } from './loader.js';

/** The exported kernels the worker pool can run, by index (a job names its kernel so). */
export const POOL_FUNCTIONS = [
  'gemm',
  'im2col',
  'col2im',
  'padCopy',
  'phaseStore',
  'phaseStoreT',
  'packASubpixel',
  'resample',
  'maxUnpool',
  'maxUnpoolBackward',
  'pixelShuffle',
  'probeCopy',
  'probeFma',
] as const satisfies readonly (keyof KernelExports)[];

/** A job: the index of an exported kernel in POOL_FUNCTIONS and its record's byte offset. */
export type Job = readonly [fn: number, record: number];

/** Job function indices. */
export const FN = Object.fromEntries(POOL_FUNCTIONS.map((name, i) => [name, i])) as {
  readonly [K in (typeof POOL_FUNCTIONS)[number]]: number;
};

// control block (Int32Array over its own SharedArrayBuffer)
const GEN = 0;
const PENDING = 1;
const READY = 2;
const ERROR = 3;
const JOBS = 4;
/**
 * Polls of the control block before a thread sleeps in Atomics.wait (some tens of µs). Waking a
 * sleeping thread is slow on virtual machines (the idle vCPU is halted): measured here, W1/b1 at 2
 * threads took 7.2 ms without the spin and 4.4 ms with it (1 thread: 7.0-7.6 ms), W6 6.4 → 4.2 ms.
 */
const SPIN = 20000;

/**
 * The worker's script (plain JavaScript, evaluated as a classic script in Node's worker_threads
 * and as a Blob URL in browsers). One message starts it: { module, memory, ctl, id, names }.
 */
const WORKER_SOURCE = `
'use strict';
function start(d) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const fns = d.names.map((n) => inst.exports[n]);
  const c = new Int32Array(d.ctl);
  const slot = ${JOBS} + 2 * d.id;
  let seen = Atomics.load(c, ${GEN});
  Atomics.add(c, ${READY}, 1);
  Atomics.notify(c, ${READY});
  for (;;) {
    // a short spin first: steps of one op follow each other within microseconds, and waking from
    // Atomics.wait costs tens of them
    for (let i = 0; i < ${SPIN} && Atomics.load(c, ${GEN}) === seen; i++);
    Atomics.wait(c, ${GEN}, seen);
    const gen = Atomics.load(c, ${GEN});
    if (gen === seen) continue;
    seen = gen;
    const f = c[slot];
    if (f >= 0) {
      try {
        fns[f](c[slot + 1]);
      } catch (e) {
        Atomics.store(c, ${ERROR}, 1);
      }
    }
    if (Atomics.sub(c, ${PENDING}, 1) === 1) Atomics.notify(c, ${PENDING});
  }
}
// Neither require nor import: Node evaluates this as CommonJS or, under --input-type=module (and
// for a script read from stdin), as an ES module; process.getBuiltinModule works in both.
const wt =
  typeof process === 'object' && typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule('node:worker_threads')
    : null;
if (wt && wt.parentPort) wt.parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

interface AnyWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
  unref?: () => void;
  /** Node's worker_threads */
  on?: (event: 'error', listener: (e: unknown) => void) => void;
  /** Web Workers */
  onerror?: ((e: unknown) => void) | null;
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

function nodeModule<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** A new worker running WORKER_SOURCE, or null where workers cannot be made. */
function spawn(): AnyWorker | null {
  const wt = nodeModule<{ Worker: new (code: string, options: { eval: boolean }) => AnyWorker }>(
    'node:worker_threads',
  );
  if (wt) return new wt.Worker(WORKER_SOURCE, { eval: true });
  const W = (globalThis as { Worker?: new (url: string) => AnyWorker }).Worker;
  if (typeof W !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function')
    return null;
  // one URL for the page's lifetime: a worker fetches its script after the constructor returns
  workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  return new W(workerUrl);
}
let workerUrl: string | undefined;

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
let canBlock: boolean | undefined;
function mayBlock(c: Int32Array): boolean {
  if (canBlock === undefined) {
    try {
      Atomics.wait(c, ERROR, 1, 0);
      canBlock = true;
    } catch {
      canBlock = false;
    }
  }
  return canBlock;
}

class WorkerPool {
  readonly ctl: Int32Array;
  private readonly workers: AnyWorker[] = [];
  /** A worker failed (its script, or the module, could not start): the pool never becomes ready. */
  failed: unknown = null;

  constructor(
    engine: WasmEngine,
    readonly size: number,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (JOBS + 2 * size)));
    for (let id = 0; id < size; id++) {
      const w = spawn();
      if (!w) break;
      // A worker's failure must not become an unhandled 'error' event (which ends a Node process):
      // it marks the pool failed, so ops run on the calling thread and setNumThreads resolves to 1.
      const onError = (e: unknown): void => {
        this.failed ??= e ?? new Error('worker failed');
        this.terminate();
      };
      if (typeof w.on === 'function') w.on('error', onError);
      else
        w.onerror = (e: unknown) => {
          (e as { preventDefault?: () => void })?.preventDefault?.();
          onError(e);
        };
      w.unref?.();
      w.postMessage({
        module: engine.module,
        memory: engine.fns.memory,
        ctl: this.ctl.buffer,
        id,
        names: POOL_FUNCTIONS,
      });
      this.workers.push(w);
    }
  }

  /** Whether every worker has started (then steps run in parallel). */
  get ready(): boolean {
    return (
      this.failed === null && this.workers.length === this.size && Atomics.load(this.ctl, READY) === this.size
    );
  }

  /** Resolves when every worker has started (false if they cannot be made or time out). */
  async whenReady(timeoutMs = 30000): Promise<boolean> {
    if (this.workers.length < this.size) return false;
    const until = Date.now() + timeoutMs;
    // a timer poll (Atomics.waitAsync is not in every engine); start-up takes tens of ms
    while (!this.ready) {
      if (this.failed !== null || Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return true;
  }

  /** Runs `jobs` (at most size + 1): job 0 here, job i on worker i − 1; returns when all are done. */
  run(jobs: readonly Job[], local: (job: Job) => void): void {
    const c = this.ctl;
    for (let w = 0; w < this.size; w++) {
      const job = jobs[w + 1];
      c[JOBS + 2 * w] = job ? job[0] : -1;
      c[JOBS + 2 * w + 1] = job ? job[1] : 0;
    }
    Atomics.store(c, PENDING, this.size);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let error: unknown = null;
    try {
      if (jobs[0]) local(jobs[0]);
    } catch (e) {
      error = e;
    }
    const block = mayBlock(c);
    let spins = 0;
    for (let p = Atomics.load(c, PENDING); p !== 0; p = Atomics.load(c, PENDING)) {
      if (block && ++spins > SPIN) Atomics.wait(c, PENDING, p, 1000);
    }
    if (error) throw error;
    if (Atomics.exchange(c, ERROR, 0) !== 0) throw new Error('wasm kernels: a worker thread trapped');
  }

  terminate(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

function defaultThreads(): number {
  const os = nodeModule<{ availableParallelism?: () => number; cpus?: () => unknown[] }>('node:os');
  const n =
    os?.availableParallelism?.() ??
    os?.cpus?.().length ??
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ??
    1;
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n)));
}

/** The most threads setNumThreads accepts. */
export const MAX_THREADS = 64;

let threads: number | undefined;
const pools = new Map<WasmEngine, WorkerPool>();

/** The configured thread count (the machine's cores until setNumThreads is called). */
export function getNumThreads(): number {
  threads ??= defaultThreads();
  return threads;
}

/** The engine's pool (started on first use) when more than one thread is configured and allowed. */
function poolOf(e: WasmEngine): WorkerPool | null {
  const n = getNumThreads();
  if (n <= 1 || !e.shared) return null;
  let pool = pools.get(e);
  if (!pool || pool.size !== n - 1) {
    pool?.terminate();
    pool = new WorkerPool(e, n - 1);
    pools.set(e, pool);
  }
  return pool;
}

/** Threads a step on `e` may use now: 1 + the pool's workers once all have started, else 1. */
export function threadsOf(e: WasmEngine): number {
  const pool = poolOf(e);
  return pool?.ready ? pool.size + 1 : 1;
}

/**
 * Runs jobs (at most threadsOf(e)) in parallel: job 0 on this thread. With one job, or no ready
 * pool, they run here one after another.
 */
export function parallel(e: WasmEngine, jobs: readonly Job[]): void {
  const call = (job: Job): void => {
    (e.fns[POOL_FUNCTIONS[job[0]]!] as (p: number) => void)(job[1]);
  };
  const pool = jobs.length > 1 ? poolOf(e) : null;
  if (!pool?.ready || jobs.length > pool.size + 1) {
    for (const job of jobs) call(job);
    return;
  }
  pool.run(jobs, call);
  threadStats.parallelSteps++;
  threadStats.workerJobs += jobs.length - 1;
}

/** Counters for tests and measurements: steps that ran on more than one thread, jobs workers ran. */
export const threadStats = { parallelSteps: 0, workerJobs: 0 };

/**
 * Starts the pool of engine `e` for the configured thread count; resolves when its workers run
 * (false: one thread, no shared memory or no workers). setNumThreads does this for the default
 * build; tests call it for the others.
 */
export async function startThreads(e: WasmEngine): Promise<boolean> {
  const pool = poolOf(e);
  return pool ? pool.whenReady() : false;
}

/** Stops the engine's workers (releaseWasmMemory). */
export function dropPool(e: WasmEngine): void {
  pools.get(e)?.terminate();
  pools.delete(e);
}

/** @internal Sets the thread count (setNumThreads in runtime.ts checks `n` and starts the pool). */
export function setThreadCount(n: number): void {
  threads = n;
}

/** @internal Stops the pools whose size does not fit `n` threads (setNumThreads in runtime.ts). */
export function stopPoolsOtherThan(n: number): void {
  for (const [e, pool] of pools)
    if (pool.size !== n - 1) {
      pool.terminate();
      pools.delete(e);
    }
}
