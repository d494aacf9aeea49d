/**
 * How the one worker pool (src/kernels/wasm/threads.ts, hosting the kernels and the FFT module)
 * fails, in Node (issue #14 item 5; the browser's side is test/browser-workers.test.ts): a kernel
 * that traps in a worker or on the calling thread, a worker that exits without an error event, a
 * worker that stops answering (the bounded wait), `new Worker()` throwing (a child process whose
 * worker_threads.Worker is replaced), and releaseWasmMemory() giving back the FFT module's memory.
 * Each failure is a DeconvError on the calling thread naming the kernel, and the pool works again
 * for the next call.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DeconvError,
  conv2d,
  csc,
  getNumThreads,
  interpolate,
  pixelShuffle,
  randn,
  releaseWasmMemory,
  setNumThreads,
} from '../src/index.js';
import { PROBE } from '../src/kernels/wasm/layout.js';
import { defaultEngine, type WasmEngine } from '../src/kernels/wasm/loader.js';
import {
  FN,
  injectWorkerFault,
  parallel,
  poolTuning,
  startThreads,
  threadStats,
  type Job,
} from '../src/kernels/wasm/threads.js';
import { FFT_FN, fftEngine, fftThreadStats, setFftWasm, startFftThreads } from '../src/fft/wasm.js';
import { realFft2, spectrumWidth } from '../src/fft/real.js';

const saved = { threads: getNumThreads(), ...poolTuning };
after(async () => {
  Object.assign(poolTuning, { claim: saved.claim, stallMs: saved.stallMs });
  await setNumThreads(saved.threads);
});

const BYTES = 4096;

/** Two probeCopy jobs (one per thread under round-robin claims), each copying BYTES of ones. */
function copyJobs(e: WasmEngine, bad: 'none' | 'first' | 'second' = 'none'): { jobs: Job[]; dst: number[] } {
  e.reset();
  const jobs: Job[] = [];
  const dst: number[] = [];
  for (let j = 0; j < 2; j++) {
    const src = e.alloc(BYTES / 4);
    const to = e.alloc(BYTES / 4);
    e.f32.fill(1, src >> 2, (src + BYTES) >> 2);
    e.f32.fill(0, to >> 2, (to + BYTES) >> 2);
    const outside = (bad === 'first' && j === 0) || (bad === 'second' && j === 1);
    // a source past the end of the memory: memory.copy traps (out of bounds)
    jobs.push([
      FN.probeCopy,
      e.record(PROBE, { src: outside ? 2 ** 31 - 64 : src, dst: to, bytes: BYTES, iterations: 1 }),
    ]);
    dst.push(to);
  }
  return { jobs, dst };
}

function copied(e: WasmEngine, dst: number[]): boolean {
  return dst.every((p) => e.f32.subarray(p >> 2, (p + BYTES) >> 2).every((v) => v === 1));
}

/** Throws unless `f` throws a DeconvError whose message matches every pattern. */
function deconvError(f: () => unknown, patterns: RegExp[], what: string): DeconvError {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DeconvError, `${what}: a DeconvError, not ${String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p, `${what}: the message`);
  return caught;
}

async function twoThreads(): Promise<WasmEngine> {
  assert.equal(await setNumThreads(2), 2, 'two threads start');
  const e = defaultEngine()!;
  assert.equal(await startThreads(e), true, 'the pool runs');
  return e;
}

test('a kernel that traps in a worker, or on the calling thread, is a DeconvError naming it; the pool keeps working', async () => {
  const e = await twoThreads();
  poolTuning.claim = 'roundRobin';
  try {
    const worker = copyJobs(e, 'second');
    const steps = threadStats.parallelSteps;
    deconvError(
      () => parallel(e, worker.jobs),
      [/^probeCopy: /, /worker thread 1/, /out of bounds/],
      'a trap in worker thread 1',
    );
    assert.ok(threadStats.parallelSteps === steps, 'the step did not count as done');
    deconvError(
      () => parallel(e, copyJobs(e, 'first').jobs),
      [/^probeCopy: /, /calling thread/, /out of bounds/],
      'a trap on the calling thread',
    );
    // without a pool (one job) the same error
    deconvError(
      () => parallel(e, [copyJobs(e, 'first').jobs[0]!]),
      [/^probeCopy: /],
      'a trap without threads',
    );
    // the pool still runs the next step, on both threads
    const ok = copyJobs(e);
    const before = threadStats.workerJobs;
    parallel(e, ok.jobs);
    assert.ok(threadStats.workerJobs > before, 'a worker ran a job after the trap');
    assert.ok(copied(e, ok.dst), 'the next step copied everything');
  } finally {
    poolTuning.claim = saved.claim;
  }
});

test('a trap in the FFT module on a worker is a DeconvError naming its function', async () => {
  await twoThreads();
  const f = fftEngine()!;
  assert.equal(await startFftThreads(), 2, 'the pool that hosts the FFT module runs');
  poolTuning.claim = 'roundRobin';
  const mark = f.mark();
  try {
    // a record far past the FFT memory's end
    const bad: [number, number][] = [
      [FFT_FN.realFft2, 2 ** 31 - 4096],
      [FFT_FN.realFft2, 2 ** 31 - 4096],
    ];
    deconvError(() => f.run(bad), [/^realFft2: /, /out of bounds/], 'an FFT trap');
  } finally {
    f.release(mark);
    poolTuning.claim = saved.claim;
  }
});

test('a worker that exits without an error event: a DeconvError at once, then a fresh pool', async () => {
  const e = await twoThreads();
  poolTuning.claim = 'roundRobin';
  try {
    injectWorkerFault(e, 1, 'exit'); // process.exit() inside the worker as it takes its next job
    const lost = threadStats.lostWorkers;
    const t0 = performance.now();
    deconvError(() => parallel(e, copyJobs(e).jobs), [/^probeCopy: /, /worker thread 1 exited/], 'the step');
    const ms = performance.now() - t0;
    assert.ok(
      ms < poolTuning.stallMs,
      `seen through the worker's exit, not the bounded wait (${ms.toFixed(0)} ms)`,
    );
    assert.equal(threadStats.lostWorkers, lost + 1, 'counted');
    // the next step runs (on the calling thread while the new pool starts), then on both threads
    const next = copyJobs(e);
    parallel(e, next.jobs);
    assert.ok(copied(e, next.dst), 'the next step is complete');
    assert.equal(await startThreads(e), true, 'a fresh pool starts');
    const again = copyJobs(e);
    const before = threadStats.workerJobs;
    parallel(e, again.jobs);
    assert.ok(threadStats.workerJobs > before, 'the fresh pool runs jobs');
    assert.ok(copied(e, again.dst), 'and completes them');
    // through a public op, the error names the op
    injectWorkerFault(e, 1, 'exit');
    const x = randn([1, 32, 64, 64], { seed: 1 });
    const w = randn([32, 32, 3, 3], { seed: 2 });
    deconvError(
      () => conv2d(x, w, { padding: 1 }),
      [/^conv2d: worker thread 1 exited while it ran the WebAssembly kernel \w+/],
      'conv2d on a worker that exits',
    );
    assert.equal(await startThreads(e), true, 'a fresh pool starts again');
    const y = conv2d(x, w, { padding: 1 });
    assert.deepEqual(y.shape, [1, 32, 64, 64], 'and conv2d runs');
  } finally {
    poolTuning.claim = saved.claim;
  }
});

test('a worker lost during interpolate or pixelShuffle: the DeconvError names the public op', async () => {
  const e = await twoThreads();
  poolTuning.claim = 'roundRobin';
  try {
    const x = randn([8, 64, 64, 64], { seed: 5 });
    const cases: [string, () => unknown][] = [
      ['interpolate', () => interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false })],
      ['pixelShuffle', () => pixelShuffle(x, 2)],
    ];
    for (const [op, call] of cases) {
      injectWorkerFault(e, 1, 'exit');
      deconvError(call, [new RegExp(`^${op}: worker thread 1 exited`)], `${op} on a worker that exits`);
      assert.equal(await startThreads(e), true, `a fresh pool starts after ${op}`);
    }
  } finally {
    poolTuning.claim = saved.claim;
  }
});

test('a worker lost during an FFT of csc: the DeconvError names the public function', async () => {
  // the FFT module's kernels (realFft2, …) serve several public functions: the error names the one called
  const e = await twoThreads();
  assert.equal(await startFftThreads(), 2, 'the pool that hosts the FFT module runs');
  poolTuning.claim = 'roundRobin';
  setFftWasm('always');
  try {
    const image = randn([96, 96], { seed: 6 });
    const cases: [string, () => unknown][] = [
      ['convBPDN', () => csc.convBPDN(image, randn([4, 5, 5], { seed: 8 }), { lambda: 0.1, iterations: 2 })],
      [
        'learnDictionary',
        () =>
          csc.learnDictionary(randn([2, 96, 96], { seed: 9 }), {
            atoms: 4,
            kernelSize: 5,
            lambda: 0.1,
            iterations: 1,
          }),
      ],
    ];
    for (const [fn, call] of cases) {
      injectWorkerFault(e, 1, 'exit');
      deconvError(call, [new RegExp(`^${fn}: `), /worker thread 1 exited/], `${fn} on a worker that exits`);
      assert.equal(await startThreads(e), true, `a fresh pool starts after ${fn}`);
      assert.equal(await startFftThreads(), 2, `the FFT module runs on it after ${fn}`);
    }
  } finally {
    setFftWasm('auto');
    poolTuning.claim = saved.claim;
  }
});

test('a worker that stops answering: the bounded wait gives a DeconvError, then a fresh pool', async () => {
  const e = await twoThreads();
  poolTuning.claim = 'roundRobin';
  poolTuning.stallMs = 300;
  try {
    injectWorkerFault(e, 1, 'hang'); // takes its job and never finishes, running no code that says so
    const t0 = performance.now();
    deconvError(
      () => parallel(e, copyJobs(e).jobs),
      [/^probeCopy: /, /worker thread 1 did not finish within \d+ ms/],
      'the step',
    );
    const ms = performance.now() - t0;
    assert.ok(ms >= 300 && ms < 5000, `the wait was bounded by stallMs (${ms.toFixed(0)} ms)`);
    assert.equal(await startThreads(e), true, 'a fresh pool starts');
    const again = copyJobs(e);
    const before = threadStats.workerJobs;
    parallel(e, again.jobs);
    assert.ok(threadStats.workerJobs > before && copied(e, again.dst), 'the fresh pool runs the next step');
    // and an op through the public API gives the one-thread result
    const x = randn([1, 32, 48, 48], { seed: 3 });
    const w = randn([32, 32, 3, 3], { seed: 4 });
    const two = conv2d(x, w, { padding: 1 }).data;
    await setNumThreads(1);
    const one = conv2d(x, w, { padding: 1 }).data;
    assert.ok(
      one.every((v, i) => Object.is(v, two[i])),
      'the op after the failure equals the one-thread result',
    );
  } finally {
    poolTuning.claim = saved.claim;
    poolTuning.stallMs = saved.stallMs;
  }
});

test('releaseWasmMemory() also gives back the FFT module memory; the FFT runs on the one pool afterwards', async () => {
  const f = fftEngine()!;
  const mark = f.mark();
  f.view(1 << 22); // 32 MiB
  f.release(mark);
  assert.ok(f.memory.buffer.byteLength >= 32 << 20, 'the FFT memory grew');
  releaseWasmMemory();
  const g = fftEngine()!;
  assert.ok(g !== f, 'a new FFT engine');
  assert.equal(g.memory.buffer.byteLength, 65536, 'on a fresh one-page memory');
  // the fresh engine runs, on the pool's threads too (the pool hosts the new instance)
  assert.equal(await setNumThreads(2), 2);
  assert.equal(await startFftThreads(), 2, 'the pool hosts the new FFT engine');
  const [planes, h, w] = [4, 64, 60];
  const x = new Float64Array(planes * h * w).map((_, i) => Math.sin(i * 0.37));
  setFftWasm('never');
  const js = realFft2(x, planes, h, w);
  setFftWasm('always');
  const calls = fftThreadStats.parallelCalls;
  const steps = threadStats.parallelSteps;
  let out;
  try {
    out = realFft2(x, planes, h, w);
  } finally {
    setFftWasm('auto');
  }
  assert.ok(fftThreadStats.parallelCalls > calls, 'the transform ran on the worker threads');
  assert.ok(threadStats.parallelSteps > steps, 'as steps of the kernels pool (one pool)');
  assert.equal(out.re.length, planes * h * spectrumWidth(w));
  assert.ok(
    out.re.every((v, i) => Object.is(v, js.re[i])) && out.im.every((v, i) => Object.is(v, js.im[i])),
    'bit-identical to the JavaScript path',
  );
});

test('`new Worker()` throwing: ops run on one thread, getNumThreads() is 1, setNumThreads(2) rejects saying why', () => {
  const src = (p: string) => JSON.stringify(fileURLToPath(new URL(p, import.meta.url)));
  const script = `
const wt = process.getBuiltinModule('node:worker_threads');
wt.Worker = class { constructor() { throw new Error('workers are forbidden here'); } };
const lib = await import(${src('../src/index.ts')});
const { setThreadCount } = await import(${src('../src/kernels/wasm/threads.ts')});
setThreadCount(2); // the default on a machine with two cores, whatever this one has
const run = () => {
  const y = lib.conv2d(lib.randn([1, 32, 64, 64], { seed: 1 }), lib.randn([32, 32, 3, 3], { seed: 2 }), { padding: 1 });
  return Array.from(y.data.subarray(0, 64)).join(',');
};
const out = { first: run(), threads: lib.getNumThreads() };
try {
  out.resolved = await lib.setNumThreads(2);
} catch (e) {
  out.rejected = (e instanceof lib.DeconvError ? 'DeconvError ' : 'other ') + e.message;
}
out.after = lib.getNumThreads();
out.second = run();
await new Promise((r) => setTimeout(r, 100));
console.log(JSON.stringify(out));
`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.status, 0, `the child exits normally\n${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string | number>;
  // the one-thread result, computed here
  const y = conv2d(randn([1, 32, 64, 64], { seed: 1 }), randn([32, 32, 3, 3], { seed: 2 }), { padding: 1 });
  const expected = Array.from(y.data.subarray(0, 64)).join(',');
  assert.equal(out.first, expected, 'the op ran (on one thread) although the pool could not start');
  assert.equal(out.threads, 1, 'getNumThreads() says 1 after the automatic start failed');
  assert.equal(out.resolved, undefined, 'setNumThreads(2) does not resolve');
  assert.match(
    String(out.rejected),
    /^DeconvError setNumThreads: n = 2 .*workers are forbidden here/,
    'setNumThreads(2) rejects with a DeconvError that says why',
  );
  assert.equal(out.after, 1, 'still one thread');
  assert.equal(out.second, expected, 'ops still work');
});
