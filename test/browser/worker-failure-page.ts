/**
 * A test page for test/browser-workers.test.ts: what the calling thread sees when the worker pool
 * fails in a browser. `?mode=` picks the failure, made by replacing the page's `Worker` before the
 * library starts any:
 *
 *   script-error   every worker's script throws as it starts (as a worker whose module cannot be
 *                  instantiated, or a script blocked after the constructor returned);
 *   error-event    the workers start, then each reports an error event while the pool is in use;
 *   ctor-throws    `new Worker()` throws (a page whose policy forbids workers): first an op with
 *                  the default thread count (the automatic start), then setNumThreads(2);
 *   worker-closes  the workers start, then one closes itself as it takes a job (no event tells
 *                  the blocked caller: the bounded wait must end the step with a DeconvError).
 *
 * The page records whether setNumThreads resolved or rejected (and with what), whether ops still
 * give the one-thread result, and every 'error' / 'unhandledrejection' event that reached the
 * window. Reports to document.body's data attributes.
 */
import { ready, setNumThreads, getNumThreads, convTranspose2d, randn, DeconvError } from '../../src/index.js';
import { defaultEngine } from '../../src/kernels/wasm/loader.js';
import { injectWorkerFault, poolTuning } from '../../src/kernels/wasm/threads.js';

const mode = new URLSearchParams(location.search).get('mode') ?? 'none';
const unhandled: string[] = [];
addEventListener('error', (e) => unhandled.push(`error event: ${e.message}`));
addEventListener('unhandledrejection', (e) => unhandled.push(`unhandled rejection: ${String(e.reason)}`));

const RealWorker = globalThis.Worker;
const started: Worker[] = [];
const failing = URL.createObjectURL(
  new Blob(['throw new Error("worker script failed on purpose")'], { type: 'text/javascript' }),
);
if (mode === 'script-error') {
  globalThis.Worker = class extends RealWorker {
    constructor(_url: string | URL, options?: WorkerOptions) {
      super(failing, options);
    }
  };
} else if (mode === 'error-event') {
  // the workers start; once the pool runs, each reports an error event (what a worker that ran
  // out of memory sends); main() fires them after setNumThreads resolved
  globalThis.Worker = class extends RealWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      started.push(this);
    }
  };
} else if (mode === 'ctor-throws') {
  globalThis.Worker = class {
    constructor() {
      throw new DOMException('workers are forbidden here', 'SecurityError');
    }
  } as unknown as typeof Worker;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const body = document.body;
  const x = randn([2, 64, 16, 16], { seed: 1 });
  const w = randn([64, 32, 4, 4], { seed: 2 });
  const run = (): string => {
    try {
      const y = convTranspose2d(x, w, { stride: 2, padding: 1 }).data as Float32Array;
      return String(y.reduce((a, b) => a + b, 0));
    } catch (e) {
      return `threw ${e instanceof DeconvError ? 'DeconvError' : (e as Error).name}: ${(e as Error).message}`;
    }
  };
  try {
    body.dataset.isolated = String(globalThis.crossOriginIsolated);
    await ready();
    if (mode === 'ctor-throws') {
      // the automatic start: the first op with the default thread count starts the pool
      body.dataset.defaultThreads = String(getNumThreads());
      body.dataset.sumAuto = run();
      body.dataset.autoThreads = String(getNumThreads());
    }
    await setNumThreads(1);
    body.dataset.sum1 = run();
    try {
      body.dataset.resolved = String(await setNumThreads(2));
    } catch (e) {
      body.dataset.rejected = `${e instanceof DeconvError ? 'DeconvError' : (e as Error).name}: ${(e as Error).message}`;
    }
    body.dataset.configured = String(getNumThreads());
    if (mode === 'worker-closes') {
      poolTuning.claim = 'roundRobin'; // every posted worker takes its job
      poolTuning.stallMs = 300;
      injectWorkerFault(defaultEngine()!, 1, 'exit'); // self.close() as it takes its next job
      const t0 = performance.now();
      body.dataset.closed = run();
      body.dataset.closedMs = String(Math.round(performance.now() - t0));
      poolTuning.claim = 'dynamic';
    }
    body.dataset.sum2 = run();
    for (const w of started)
      w.dispatchEvent(new ErrorEvent('error', { message: 'worker failed on purpose' }));
    await sleep(100);
    body.dataset.sum3 = run();
    await sleep(100);
  } catch (e) {
    body.dataset.error = String((e as Error).stack ?? e);
  }
  body.dataset.unhandled = JSON.stringify(unhandled);
  body.dataset.done = 'true';
}
void main();
