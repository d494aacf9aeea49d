/**
 * The worker pool: threads that run the WebAssembly kernels on the calling engine's shared memory.
 *
 * Each engine (one build of the module, one shared WebAssembly.Memory) gets `threads − 1` workers,
 * started on the first call that can use them (worker_threads in Node, Web Workers in browsers;
 * the worker's code is the small script below, it imports nothing). A worker instantiates the same
 * compiled module on the same memory and then sleeps in Atomics.wait on its word of a control block
 * (its own SharedArrayBuffer). A parallel step is a list of jobs: an exported kernel and its
 * parameter record (records live in the shared memory). The caller writes the list to the control
 * block, posts it to the workers it wants (their words: POSTED) and takes jobs itself, in order,
 * from an atomic counter; a worker that wakes takes its posting (RUNNING) and then jobs from the
 * same counter. Once the counter is past the last job the caller takes back every posting no worker
 * has taken yet (so it never waits for a thread to wake) and waits only for the workers that run.
 * Splitting a step into more jobs than threads (split.ts: shrinking runs of columns, channels or
 * planes) is the work-stealing that keeps the caller from waiting for a slow or late thread.
 *
 * Results do not depend on the thread count or on which thread ran which job: callers split work
 * so that every output element is computed by one job, with the same arithmetic in the same order
 * as without threads (GEMM tiles by rows or columns, never K; stores and col2im by channels; the
 * resampling kernels by planes). test/threads.test.ts and test/wasm-resample.test.ts check that the
 * results are bit-identical for 1, 2 and 3 threads.
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
  'packB',
] as const satisfies readonly (keyof KernelExports)[];

/**
 * A job: the index of an exported kernel in POOL_FUNCTIONS, its record's byte offset and, for jobs
 * that need per-thread scratch, the byte stride between the records of consecutive threads (the
 * thread with index t runs `record + t · threadStride`; 0: one record for every thread).
 */
export type Job = readonly [fn: number, record: number, threadStride?: number];

/** Job function indices. */
export const FN = Object.fromEntries(POOL_FUNCTIONS.map((name, i) => [name, i])) as {
  readonly [K in (typeof POOL_FUNCTIONS)[number]]: number;
};

/**
 * How the threads of a step take its jobs. 'dynamic' (the default): from one atomic counter, in
 * job order, so a thread that starts late takes fewer, and the caller runs itself every job of a
 * worker that has not started by the time the caller is out of work (it never waits for a worker
 * to wake). 'roundRobin': thread t runs jobs t, t + T, … and the caller waits for every worker —
 * a fixed partition, for tests that need every worker to run jobs. Either way each job runs once,
 * so results do not depend on the mode or on which thread ran what.
 */
export const poolTuning: { claim: 'dynamic' | 'roundRobin' } = { claim: 'dynamic' };

// control block (Int32Array over its own SharedArrayBuffer)
const NEXT = 0; // the next unclaimed job (dynamic claims)
const COUNT = 1; // jobs in this step
const READY = 2; // workers started
const ERROR = 3; // a worker's kernel trapped
const MODE = 4; // 0 dynamic, 1 round robin
const THREADS = 5; // threads taking part in this step (round robin)
const CLAIMED = 6; // jobs workers ran (counted for threadStats)
const STATE = 8; // one word per worker: IDLE, POSTED or RUNNING
/** The most jobs one posting carries (a step with more posts several times). */
export const MAX_JOBS = 256;
const IDLE = 0;
const POSTED = 1;
const RUNNING = 2;
const jobsAt = (size: number): number => STATE + size;
/**
 * Polls of the control block before a thread sleeps in Atomics.wait (some tens of µs). Waking a
 * sleeping thread is slow on virtual machines (the idle vCPU is halted): measured here, W1/b1 at 2
 * threads took 7.2 ms without the spin and 4.4 ms with it (1 thread: 7.0-7.6 ms), W6 6.4 → 4.2 ms.
 */
const SPIN = 20000;

/**
 * The worker's script (plain JavaScript, evaluated as a classic script in Node's worker_threads
 * and as a Blob URL in browsers). One message starts it: { module, memory, ctl, id, size, names }.
 * A worker sleeps until its state word is POSTED, takes it (POSTED → RUNNING; the caller may have
 * taken it back first, POSTED → IDLE, and then the worker does nothing), runs jobs, and sets IDLE.
 */
const WORKER_SOURCE = `
'use strict';
function start(d) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const fns = d.names.map((n) => inst.exports[n]);
  const c = new Int32Array(d.ctl);
  const st = ${STATE} + d.id;
  const J = ${STATE} + d.size;
  const t = d.id + 1;
  const run = (j) => {
    try {
      fns[c[J + 3 * j]](c[J + 3 * j + 1] + t * c[J + 3 * j + 2]);
    } catch (e) {
      Atomics.store(c, ${ERROR}, 1);
    }
  };
  Atomics.add(c, ${READY}, 1);
  Atomics.notify(c, ${READY});
  for (;;) {
    // a short spin first: steps of one op follow each other within microseconds, and waking from
    // Atomics.wait costs tens of them
    for (let i = 0; i < ${SPIN} && Atomics.load(c, st) !== ${POSTED}; i++);
    while (Atomics.load(c, st) !== ${POSTED}) Atomics.wait(c, st, ${IDLE});
    if (Atomics.compareExchange(c, st, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
    const n = c[${COUNT}];
    let ran = 0;
    if (c[${MODE}] === 1) {
      for (let j = t, T = c[${THREADS}]; j < n; j += T, ran++) run(j);
    } else {
      for (let j = Atomics.add(c, ${NEXT}, 1); j < n; j = Atomics.add(c, ${NEXT}, 1), ran++) run(j);
    }
    if (ran) Atomics.add(c, ${CLAIMED}, ran);
    Atomics.store(c, st, ${IDLE});
    Atomics.notify(c, st);
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
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (jobsAt(size) + 3 * MAX_JOBS)));
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
        size,
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

  /**
   * Runs `jobs` (at most MAX_JOBS) on this thread and the first `threads − 1` workers (see
   * poolTuning); returns when all are done, with the number of jobs the workers ran.
   */
  run(jobs: readonly Job[], threads: number, local: (job: Job, t: number) => void): number {
    const c = this.ctl;
    const J = jobsAt(this.size);
    const n = jobs.length;
    const workers = Math.min(this.size, threads - 1, n - 1);
    const roundRobin = poolTuning.claim === 'roundRobin';
    for (let j = 0; j < n; j++) {
      const job = jobs[j]!;
      c[J + 3 * j] = job[0];
      c[J + 3 * j + 1] = job[1];
      c[J + 3 * j + 2] = job[2] ?? 0;
    }
    c[COUNT] = n;
    c[MODE] = roundRobin ? 1 : 0;
    c[THREADS] = workers + 1;
    Atomics.store(c, CLAIMED, 0);
    Atomics.store(c, NEXT, 0);
    for (let w = 0; w < workers; w++) {
      Atomics.store(c, STATE + w, POSTED);
      Atomics.notify(c, STATE + w);
    }
    let error: unknown = null;
    const runHere = (j: number): void => {
      try {
        local(jobs[j]!, 0);
      } catch (e) {
        error ??= e;
      }
    };
    if (roundRobin) for (let j = 0; j < n; j += workers + 1) runHere(j);
    else for (let j = Atomics.add(c, NEXT, 1); j < n; j = Atomics.add(c, NEXT, 1)) runHere(j);
    const block = mayBlock(c);
    for (let w = 0; w < workers; w++) {
      // a worker that has not taken its posting yet never will: the caller took every job
      if (!roundRobin && Atomics.compareExchange(c, STATE + w, POSTED, IDLE) === POSTED) {
        threadStats.takenBack++;
        continue;
      }
      let spins = 0;
      for (let s = Atomics.load(c, STATE + w); s !== IDLE; s = Atomics.load(c, STATE + w))
        if (block && ++spins > SPIN) Atomics.wait(c, STATE + w, s, 1000);
    }
    if (error) throw error;
    if (Atomics.exchange(c, ERROR, 0) !== 0) throw new Error('wasm kernels: a worker thread trapped');
    return Atomics.load(c, CLAIMED);
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
 * Runs `jobs` on up to `threads` threads (default: all of the pool's), this one included; jobs
 * that name a thread stride need a record for each of those threads. With one job, or no ready
 * pool, they run here one after another (as thread 0).
 */
export function parallel(e: WasmEngine, jobs: readonly Job[], threads = Infinity): void {
  const call = (job: Job, t: number): void => {
    (e.fns[POOL_FUNCTIONS[job[0]]!] as (p: number) => void)(job[1] + t * (job[2] ?? 0));
  };
  const pool = jobs.length > 1 && threads > 1 ? poolOf(e) : null;
  if (!pool?.ready) {
    for (const job of jobs) call(job, 0);
    return;
  }
  for (let j0 = 0; j0 < jobs.length; j0 += MAX_JOBS) {
    const part = jobs.length <= MAX_JOBS ? jobs : jobs.slice(j0, j0 + MAX_JOBS);
    if (part.length === 1) {
      call(part[0]!, 0);
      continue;
    }
    threadStats.jobs += part.length;
    threadStats.workerJobs += pool.run(part, threads, call);
    threadStats.parallelSteps++;
  }
}

/**
 * Counters for tests and measurements: steps posted to the workers, the jobs of those steps, the
 * jobs workers ran, and postings the caller took back (no worker had started when it ran out of jobs).
 */
export const threadStats = { parallelSteps: 0, jobs: 0, workerJobs: 0, takenBack: 0 };

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
