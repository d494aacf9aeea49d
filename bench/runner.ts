/**
 * One engine at one thread count, in its own process: ONNX Runtime Web and tfjs-wasm fix their
 * thread count when their WebAssembly module starts, and a process of its own keeps one engine's
 * heap, JIT state and threads out of another's timings.
 *
 *   fork('bench/runner.ts', [engine, threads], { execArgv: ['--import', 'tsx', '--expose-gc'] })
 *
 * The process starts the engine, replies 'ready' (or 'skipped'), then times one case per 'run'
 * message (see `Command` / `Reply` in engine.ts) until 'close'. The main process sends every engine
 * the same workload before it moves to the next one, so the engines of one workload are timed
 * minutes apart at most, under about the same load from the rest of the machine.
 *
 * With DECONV_BENCH_PROFILE=<dir> in the environment, each case is also recorded by V8's sampling
 * CPU profiler (the one behind `node --cpu-prof`, here through node:inspector so that only the
 * case's own calls are in the profile) into `<dir>/<workload>.cpuprofile`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { deconvEngine } from './deconv.js';
import type { CaseResult, Command, Engine, EngineName, Reply } from './engine.js';
import { measure, readFloats, readInputs } from './engine.js';
import { ortEngine } from './peers/ort.js';
import { tfjsEngine } from './peers/tfjs.js';
import { fileStem } from './workloads.js';

function makeEngine(name: EngineName, threads: number): Promise<Engine | { skipped: string }> {
  switch (name) {
    case 'deconv':
      return deconvEngine(threads);
    case 'ort-node':
    case 'ort-export':
    case 'ort-web':
      return ortEngine(name, threads);
    case 'tfjs-cpu':
      return tfjsEngine('cpu', threads);
    case 'tfjs-wasm':
      return tfjsEngine('wasm', threads);
  }
}

const message = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

/** How long the FMA probe runs before and after each of deconv's compute-bound cases. */
const ALONGSIDE_MS = 150;

const send = (reply: Reply): void => void process.send!(reply);

async function profiled<T>(file: string | null, body: () => Promise<T>): Promise<T> {
  if (file === null) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function runCase(
  engine: Engine,
  name: EngineName,
  threads: number,
  cmd: Extract<Command, { type: 'run' }>,
): Promise<CaseResult> {
  const wl = cmd.workload;
  const base = { engine: name, threads, key: wl.key };
  try {
    const prepared = await engine.prepare(wl, readInputs(wl));
    if ('unsupported' in prepared) return { ...base, status: 'n/a', reason: prepared.unsupported };
    if (cmd.writeRef) {
      // The reference is deconv's own output, written before anything is timed.
      let y = prepared.run();
      if (y instanceof Promise) y = await y;
      const data = await prepared.read(y);
      writeFileSync(cmd.refFile, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      prepared.release?.(y);
    }
    const ref = existsSync(cmd.refFile) ? readFloats(cmd.refFile) : null;
    const profDir = process.env['DECONV_BENCH_PROFILE'];
    const profFile = profDir ? join(profDir, `${fileStem(wl)}.cpuprofile`) : null;
    // The exportOnnx bridge is timed only once its first output matches deconv's.
    const verify = name === 'ort-export';
    // deconv's compute-bound cases: the FMA probe on the same threads just before and just after
    const probe =
      wl.bound === 'compute' && engine.fmaRuns ? (): number[] => engine.fmaRuns!(ALONGSIDE_MS) : null;
    const before = probe?.() ?? [];
    const m = await profiled(profFile, () => measure(prepared, ref, cmd.options, verify));
    const runs = [...before, ...(probe?.() ?? [])].sort((a, b) => a - b);
    await prepared.close?.();
    const fmaAlongside =
      runs.length > 0
        ? { fastestGflops: runs[runs.length - 1]!, medianGflops: runs[runs.length >> 1]!, runs: runs.length }
        : undefined;
    return { ...base, status: 'ok', ...m, ...(fmaAlongside ? { fmaAlongside } : {}) };
  } catch (e) {
    return { ...base, status: 'error', reason: message(e) };
  }
}

async function main(): Promise<void> {
  const [name, threadsArg] = process.argv.slice(2) as [EngineName, string];
  const threads = Number(threadsArg);
  const engine = await makeEngine(name, threads).catch((e: unknown) => ({ skipped: message(e) }));
  if ('skipped' in engine) {
    send({ type: 'skipped', reason: engine.skipped });
  } else {
    send({ type: 'ready', version: engine.version, notes: engine.notes });
  }
  // One case at a time, in the order the main process sends them.
  let queue = Promise.resolve();
  process.on('message', (cmd: Command) => {
    queue = queue.then(async () => {
      if (cmd.type === 'close') {
        if (!('skipped' in engine)) await engine.close?.();
        process.exit(0);
      }
      if ('skipped' in engine) return;
      const result = await runCase(engine, name, threads, cmd);
      send({ type: 'result', result });
    });
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`runner failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
