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
 *
 * One pool for every module: the workers also host the FFT module (src/fft/wasm.ts, its own memory)
 * beside the kernels. A module registers with `hostOnPool`; its exports get job indices after
 * POOL_FUNCTIONS, every worker instantiates it on its memory at start, and its jobs run through
 * `parallel` like the kernels' (same claims, same thread count). A pool made before a hosted
 * module's instance changed (releaseWasmMemory) is stale and restarts on its next use.
 *
 * Failures, all reported on the calling thread, never as unhandled events:
 *   - a worker that cannot start (`new Worker()` throws, as under a Content-Security-Policy that
 *     forbids workers; its script or module fails; it exits before it is ready; 30 s pass): the
 *     pool fails to start. Ops run on the calling thread, getNumThreads() falls back to 1 and an
 *     explicit setNumThreads(n > 1) rejects with a DeconvError that says why (runtime.ts).
 *   - a kernel that traps in a worker (unreachable, out-of-bounds access): the worker records the
 *     job's function and the message in the control block; the caller throws a DeconvError naming
 *     that kernel once every thread is done. A trap on the calling thread gives the same error.
 *   - a worker that dies while the pool is in use. The caller blocks synchronously (Atomics.wait):
 *     no event listener can run during a step, so a death must be seen in shared memory. Two
 *     signals: (1) in Node a dying worker's own process 'exit' listener runs (process.exit(),
 *     terminate(), the end of its event loop) and stores DEAD in its state word, which wakes the
 *     caller at once; (2) a bounded wait for deaths that run no code in the worker (a browser's
 *     closed or killed worker, a Node worker killed outright): once the caller has finished its
 *     own share, it waits for a running worker at most max(poolTuning.stallMs, STALL_FACTOR × the
 *     time the caller spent on its share) — jobs are cut so that every thread's share takes about
 *     as long as the caller's, so only a thread that stopped (or was starved for seconds) exceeds
 *     it. Either way the step's results are incomplete: the caller throws a DeconvError naming the
 *     kernel, terminates the pool, and the next step starts a fresh one (running on the calling
 *     thread until it is ready). A worker seen dead between steps (the main thread's 'exit' or
 *     'error' event, or its DEAD word) is never posted to: the pool restarts before the next step.
 */
import { DeconvError } from '../../errors.js';
import type { WasmMemory, WasmModule } from '../../wasm-types.js';
import type { KernelExports, WasmEngine } from './loader.js';

/** The exported kernels the worker pool can run, by index (a job names its kernel so). */
export const POOL_FUNCTIONS = [
  'gemm',
  'im2col',
  'col2im',
  'padCopy',
  'phaseStore',
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
export const poolTuning: { claim: 'dynamic' | 'roundRobin'; stallMs: number } = {
  claim: 'dynamic',
  /** the least time the caller waits for a running worker before it declares it dead (tests lower it) */
  stallMs: 5000,
};
/** A running worker is declared dead after this many times the caller's own share of a step. */
const STALL_FACTOR = 50;

// control block (Int32Array over its own SharedArrayBuffer)
const NEXT = 0; // the next unclaimed job (dynamic claims)
const COUNT = 1; // jobs in this step
const READY = 2; // workers started
const ERROR = 3; // a worker's kernel trapped
const MODE = 4; // 0 dynamic, 1 round robin
const THREADS = 5; // threads taking part in this step (round robin)
const CLAIMED = 6; // jobs workers ran (counted for threadStats)
const FAULT = 7; // tests: a worker made to fail (injectWorkerFault)
const STATE = 8; // one word per worker: IDLE, POSTED, RUNNING or DEAD
/** The most jobs one posting carries (a step with more posts several times). */
export const MAX_JOBS = 256;
const IDLE = 0;
const POSTED = 1;
const RUNNING = 2;
const DEAD = 3;
const jobsAt = (size: number): number => STATE + size;
/**
 * After the jobs: the first trap of a step (ERROR holds its job function + 1): the thread, the
 * message's length and its first TEXT characters; then a word no one writes (a faulted worker
 * sleeps on it).
 */
const errorAt = (size: number): number => jobsAt(size) + 3 * MAX_JOBS;
const TEXT = 160;
const CTL_WORDS = (size: number): number => errorAt(size) + 2 + TEXT + 1;
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
  const fns = [];
  for (const m of d.modules) {
    const inst = m.module ? new WebAssembly.Instance(m.module, { env: { memory: m.memory } }) : null;
    for (const n of m.names) fns.push(inst ? inst.exports[n] : null);
  }
  const c = new Int32Array(d.ctl);
  const st = ${STATE} + d.id;
  const J = ${STATE} + d.size;
  const E = J + ${3 * MAX_JOBS};
  const t = d.id + 1;
  const run = (j) => {
    const f = c[J + 3 * j];
    try {
      fns[f](c[J + 3 * j + 1] + t * c[J + 3 * j + 2]);
    } catch (e) {
      // the first trap of the step: its function, thread and message, for the caller's error
      if (Atomics.compareExchange(c, ${ERROR}, 0, f + 1) === 0) {
        const m = String((e && e.message) || e).slice(0, ${TEXT});
        c[E] = t;
        c[E + 1] = m.length;
        for (let i = 0; i < m.length; i++) c[E + 2 + i] = m.charCodeAt(i);
      }
    }
  };
  // a worker that ends (process.exit, terminate, a failure) says so where a blocked caller sees it
  if (wt) process.on('exit', () => {
    Atomics.store(c, st, ${DEAD});
    Atomics.notify(c, st);
  });
  Atomics.add(c, ${READY}, 1);
  Atomics.notify(c, ${READY});
  for (;;) {
    // a short spin first: steps of one op follow each other within microseconds, and waking from
    // Atomics.wait costs tens of them
    for (let i = 0; i < ${SPIN} && Atomics.load(c, st) !== ${POSTED}; i++);
    while (Atomics.load(c, st) !== ${POSTED}) Atomics.wait(c, st, ${IDLE});
    if (Atomics.compareExchange(c, st, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
    const fault = c[${FAULT}];
    if (fault !== 0 && (fault & 255) === t) {
      // tests (injectWorkerFault): exit without an error event, or stop answering
      c[${FAULT}] = 0;
      if (fault >> 8 === 1) {
        if (wt) process.exit(0);
        else self.close();
      }
      for (;;) Atomics.wait(c, E + ${2 + TEXT}, 0);
    }
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
  on?: (event: 'error' | 'exit', listener: (e: unknown) => void) => void;
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

/** A new worker running WORKER_SOURCE, or null where workers cannot be made (it may throw). */
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

/** What a failure value says, for messages: `Name: message`. */
export function describeFailure(e: unknown): string {
  if (e instanceof Error) return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  const m = (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m !== '' ? m : String(e);
}

// ---- modules hosted beside the kernels

/** A module instance the workers also run: its compiled module, its memory, the caller's exports. */
export interface PoolModule {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly fns: object;
}

interface Host {
  readonly names: readonly string[];
  /** its first job index */
  readonly base: number;
  /** the current instance (made on demand), or null where the module cannot run */
  current(): PoolModule | null;
  /** forgets the instance and its memory (releaseWasmMemory) */
  drop(): void;
}
const hosts: Host[] = [];
let fnCount: number = POOL_FUNCTIONS.length;

/**
 * Registers a module that every pool's workers host beside the kernels (src/fft/wasm.ts); its
 * exports `names` become jobs `base + i` (base returned) that `parallel` runs. `current` gives
 * the instance the calling thread uses (the pools follow it), `drop` forgets it.
 */
export function hostOnPool(
  names: readonly string[],
  current: () => PoolModule | null,
  drop: () => void,
): number {
  const base = fnCount;
  hosts.push({ names, base, current, drop });
  fnCount += names.length;
  return base;
}

/** @internal Drops every hosted module's instance and memory (releaseWasmMemory). */
export function dropHostedModules(): void {
  for (const h of hosts) h.drop();
}

/** The name of job function `f` (for messages). */
function fnName(f: number): string {
  if (f < POOL_FUNCTIONS.length) return POOL_FUNCTIONS[f] ?? `job ${f}`;
  const h = hosts.find((x) => f >= x.base && f < x.base + x.names.length);
  return h ? h.names[f - h.base]! : `job ${f}`;
}

/** Job function `f` on the calling thread's instances. */
function localFn(e: WasmEngine, f: number): (p: number) => void {
  if (f < POOL_FUNCTIONS.length) return e.fns[POOL_FUNCTIONS[f]!] as (p: number) => void;
  const h = hosts.find((x) => f >= x.base && f < x.base + x.names.length);
  const m = h?.current();
  if (!h || !m) throw new Error(`wasm kernels: job function ${f} has no module here`);
  return (m.fns as Record<string, (p: number) => void>)[h.names[f - h.base]!]!;
}

/**
 * A WebAssembly kernel that failed (a trap, or a worker lost while it ran the kernel): a
 * DeconvError named after the kernel, which the op layer renames after the public op that ran it
 * (`of`, kernels/dispatch.ts).
 */
export class KernelError extends DeconvError {
  constructor(
    /** the kernel's export name, e.g. `gemm` or `realFft2` */
    readonly kernel: string,
    /** what happened, without the function's name */
    readonly detail: string,
    op: string = kernel,
  ) {
    super(op, 'input', detail);
  }

  /** The same failure, named after the public op `op`. */
  of(op: string): KernelError {
    return new KernelError(this.kernel, this.detail, op);
  }
}

/**
 * `f()`, with a KernelError it throws renamed after the public function `op` that called the
 * kernel (the FFT kernels serve restoration and csc, whose callers know them by those names).
 */
export function namedAfter<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof KernelError) throw error.of(op);
    throw error;
  }
}

/** A kernel failure (a trap) as the DeconvError the caller sees. */
function trapError(f: number, where: string, message: string): KernelError {
  const name = fnName(f);
  return new KernelError(name, `the WebAssembly kernel ${name} failed on ${where}: ${message}`);
}

/** Runs job `job` on this thread (as thread `t`); a trap becomes a DeconvError naming the kernel. */
function runLocal(e: WasmEngine, job: Job, t: number): void {
  try {
    localFn(e, job[0])(job[1] + t * (job[2] ?? 0));
  } catch (err) {
    if (err instanceof DeconvError) throw err;
    throw trapError(job[0], 'the calling thread', describeFailure(err));
  }
}

class WorkerPool {
  readonly ctl: Int32Array;
  private readonly workers: AnyWorker[] = [];
  /** The hosted modules' instances the workers run (stale when a host's current one differs). */
  private readonly hosted: (PoolModule | null)[];
  /** Why the pool cannot be used (a worker failed, exited or stalled), or null. */
  failed: unknown = null;
  /** Whether every worker once started (a later failure restarts the pool; an earlier one does not). */
  private started = false;
  /** Whether the failure came before the workers started (then it is reported, not retried). */
  startFailed = false;
  /** Terminated: later events of its workers (their 'exit') are not failures. */
  private closed = false;

  constructor(
    engine: WasmEngine,
    readonly size: number,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS(size)));
    this.hosted = hosts.map((h) => h.current());
    const modules = [
      { module: engine.module, memory: engine.fns.memory, names: POOL_FUNCTIONS },
      ...hosts.map((h, i) => ({
        module: this.hosted[i]?.module ?? null,
        memory: this.hosted[i]?.memory ?? null,
        names: h.names,
      })),
    ];
    for (let id = 0; id < size; id++) {
      let w: AnyWorker | null;
      try {
        w = spawn();
      } catch (err) {
        // e.g. a SecurityError where the page's policy forbids workers: no pool, one thread
        this.fail(err);
        return;
      }
      if (!w) break;
      // A worker's failure must not become an unhandled 'error' event (which ends a Node process):
      // it marks the pool failed, so ops run on the calling thread (and restart it if it had run).
      const onError = (e: unknown): void => this.fail(e ?? new Error('a worker failed'));
      if (typeof w.on === 'function') {
        w.on('error', onError);
        w.on('exit', (code) => this.fail(new Error(`a worker thread exited (code ${String(code)})`)));
      } else
        w.onerror = (e: unknown) => {
          (e as { preventDefault?: () => void })?.preventDefault?.();
          onError(e);
        };
      w.unref?.();
      this.workers.push(w);
      try {
        w.postMessage({ modules, ctl: this.ctl.buffer, id, size });
      } catch (err) {
        this.fail(err);
        return;
      }
    }
  }

  /** Marks the pool failed (the first reason stays) and stops its workers. */
  fail(reason: unknown): void {
    if (this.closed) return;
    if (this.failed === null) {
      this.failed = reason;
      if (!this.started) {
        this.startFailed = true;
        // the automatic start failed: what runs is one thread (an explicit setNumThreads says why)
        if (threads === this.size + 1) threads = 1;
      }
    }
    this.terminate();
  }

  /** Whether every worker has started and none has failed (then steps run in parallel). */
  get ready(): boolean {
    if (this.failed !== null || this.workers.length !== this.size) return false;
    if (!this.started) {
      if (Atomics.load(this.ctl, READY) !== this.size) return false;
      this.started = true;
    }
    for (let w = 0; w < this.size; w++)
      if (Atomics.load(this.ctl, STATE + w) === DEAD) {
        this.fail(new Error(`worker thread ${w + 1} exited`));
        return false;
      }
    return true;
  }

  /** Whether a hosted module's instance changed since the workers started. */
  get stale(): boolean {
    return hosts.length !== this.hosted.length || hosts.some((h, i) => h.current() !== this.hosted[i]);
  }

  /**
   * Resolves when every worker has started: true; false where workers cannot be made here (no
   * Worker); rejects with the reason when they failed to start or did not within `timeoutMs`.
   */
  async whenReady(timeoutMs = 30000): Promise<boolean> {
    if (this.failed !== null) throw this.failed;
    if (this.workers.length < this.size) return false;
    const until = Date.now() + timeoutMs;
    // a timer poll (Atomics.waitAsync is not in every engine); start-up takes tens of ms
    while (!this.ready) {
      if (this.failed !== null) throw this.failed;
      if (Date.now() > until) this.fail(new Error(`the workers did not start within ${timeoutMs} ms`));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return true;
  }

  /**
   * Runs `jobs` (at most MAX_JOBS) on this thread and the first `threads − 1` workers (see
   * poolTuning); returns when all are done, with the number of jobs the workers ran. Throws a
   * DeconvError when a kernel trapped or a worker died (see the file's comment).
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
    const t0 = performance.now();
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
    // the bounded wait: a worker still running this long after the caller's share is dead
    const since = performance.now();
    const bound = Math.max(poolTuning.stallMs, STALL_FACTOR * (since - t0));
    let lost: string | null = null;
    for (let w = 0; w < workers; w++) {
      // a worker that has not taken its posting yet never will: the caller took every job
      if (!roundRobin && Atomics.compareExchange(c, STATE + w, POSTED, IDLE) === POSTED) {
        threadStats.takenBack++;
        continue;
      }
      let spins = 0;
      for (let s = Atomics.load(c, STATE + w); s !== IDLE; s = Atomics.load(c, STATE + w)) {
        if (s === DEAD) {
          lost ??= `worker thread ${w + 1} exited`;
          break;
        }
        if (++spins > SPIN) {
          if (block) Atomics.wait(c, STATE + w, s, Math.min(1000, bound));
          if (performance.now() - since > bound) {
            lost ??= `worker thread ${w + 1} did not finish within ${Math.round(bound)} ms (it stopped)`;
            break;
          }
        }
      }
    }
    const trapped = Atomics.exchange(c, ERROR, 0);
    if (lost !== null) {
      const name = fnName(jobs[0]![0]);
      const err = new KernelError(
        name,
        `${lost} while it ran the WebAssembly kernel ${name}; the step's results are lost and the worker pool restarts`,
      );
      this.fail(err);
      threadStats.lostWorkers++;
      throw err;
    }
    if (error) throw error;
    if (trapped !== 0) {
      const E = errorAt(this.size);
      const len = Math.min(TEXT, c[E + 1]!);
      let text = '';
      for (let i = 0; i < len; i++) text += String.fromCharCode(c[E + 2 + i]!);
      throw trapError(trapped - 1, `worker thread ${c[E]}`, text);
    }
    return Atomics.load(c, CLAIMED);
  }

  /** @internal tests: the next posting worker `t` (1 …) takes makes it exit or stop answering. */
  injectFault(t: number, mode: 'exit' | 'hang'): void {
    Atomics.store(this.ctl, FAULT, t + 256 * (mode === 'exit' ? 1 : 2));
  }

  terminate(): void {
    this.closed = true;
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

/**
 * The configured thread count (the machine's cores until setNumThreads is called; 1 after the
 * workers failed to start).
 */
export function getNumThreads(): number {
  threads ??= defaultThreads();
  return threads;
}

/**
 * The engine's pool (started on first use) when more than one thread is configured and allowed.
 * A pool that failed after it had run, or whose hosted modules changed, is replaced; one that
 * failed to start stays (its failure set the thread count to 1; setNumThreads tries afresh).
 */
function poolOf(e: WasmEngine): WorkerPool | null {
  const n = getNumThreads();
  if (n <= 1 || !e.shared) return null;
  let pool = pools.get(e);
  if (pool && pool.size === n - 1 && pool.startFailed) return pool;
  if (!pool || pool.size !== n - 1 || pool.failed !== null || pool.stale) {
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
 * pool, they run here one after another (as thread 0). A trap, or a worker lost during the step,
 * throws a DeconvError naming the kernel.
 */
export function parallel(e: WasmEngine, jobs: readonly Job[], threads = Infinity): void {
  const call = (job: Job, t: number): void => runLocal(e, job, t);
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
 * jobs workers ran, postings the caller took back (no worker had started when it ran out of jobs),
 * and steps that lost a worker.
 */
export const threadStats = { parallelSteps: 0, jobs: 0, workerJobs: 0, takenBack: 0, lostWorkers: 0 };

/**
 * Starts the pool of engine `e` for the configured thread count; resolves when its workers run
 * (false: one thread, no shared memory or no workers here). Rejects with the reason when the
 * workers fail to start (a pool that failed before is tried afresh). setNumThreads does this for
 * the default build; tests call it for the others.
 */
export async function startThreads(e: WasmEngine): Promise<boolean> {
  if (pools.get(e)?.failed != null) dropPool(e);
  const pool = poolOf(e);
  return pool ? pool.whenReady() : false;
}

/** Stops the engine's workers (releaseWasmMemory). */
export function dropPool(e: WasmEngine): void {
  pools.get(e)?.terminate();
  pools.delete(e);
}

/** @internal tests: makes worker `t` (1 …) of `e`'s pool exit (no error event) or hang on its next job. */
export function injectWorkerFault(e: WasmEngine, t: number, mode: 'exit' | 'hang'): void {
  const pool = pools.get(e);
  if (!pool?.ready) throw new Error('injectWorkerFault: the pool is not running');
  pool.injectFault(t, mode);
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
