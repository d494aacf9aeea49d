/**
 * `npx tsx bench/alternate.ts KEY THREADS CALLS MODULE OBJECT.FIELD V1 V2 [V3 …]`: deconv on one
 * bench workload (bench/workloads.ts, e.g. W1/b16) with a tuning switch of a kernel module
 * (src/kernels/wasm/MODULE.ts, e.g. `slice wasmConvTuning.directMaxBytes 4194304 Infinity`) set to
 * each value in turn, 8 rounds of CALLS calls each, inside one process. On a shared host whose
 * speed drifts by minutes, alternating inside one process puts the drift on every value alike,
 * where alternating fresh processes leaves it to chance (bench/RESULTS.md, "Alternating inside one
 * process"). The values run in the given order in even rounds and reversed in odd ones: the value
 * timed second in a round has an edge on short calls. Prints each value's min and median ms per
 * call and every round's. Values: numbers, true, false, Infinity, or strings.
 */
import { deconvEngine } from './deconv.js';
import { makeInput, makeWorkloads } from './workloads.js';

const [key, threadsArg, callsArg, module, path, ...values] = process.argv.slice(2);
const [objectName, field] = (path ?? '').split('.');
if (!key || !module || !objectName || !field || values.length < 2) {
  console.error('usage: npx tsx bench/alternate.ts KEY THREADS CALLS MODULE OBJECT.FIELD V1 V2 [V3 …]');
  process.exit(2);
}
const workload = makeWorkloads(false).find((w) => w.key === key);
if (!workload) throw new Error(`no workload ${key}`);
const mod = (await import(`../src/kernels/wasm/${module}.js`)) as Record<string, Record<string, unknown>>;
const target = mod[objectName];
if (!target || !(field in target)) throw new Error(`src/kernels/wasm/${module}.ts has no ${path}`);
const parse = (v: string): unknown =>
  v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v);

const engine = await deconvEngine(Number(threadsArg));
if ('skipped' in engine) throw new Error(`deconv: ${engine.skipped}`);
const inputs = new Map(workload.inputs.map((i) => [i.name, makeInput(workload, i)]));
const prepared = await engine.prepare(workload, inputs);
if ('unsupported' in prepared) throw new Error(`deconv: ${prepared.unsupported}`);
const calls = Number(callsArg);
const saved = target[field];
const times = new Map<string, number[]>(values.map((v) => [v, []]));
try {
  for (let round = 0; round < 8; round++) {
    for (const v of round % 2 === 0 ? values : [...values].reverse()) {
      target[field] = parse(v);
      for (let i = 0; i < 2; i++) prepared.release?.(await prepared.run());
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) prepared.release?.(await prepared.run());
      times.get(v)!.push((performance.now() - t0) / calls);
    }
  }
} finally {
  target[field] = saved;
}
for (const [v, ms] of times) {
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(
    `${key} ${threadsArg}T ${path}=${v}: min ${sorted[0]!.toFixed(2)} ms, median ${sorted[sorted.length >> 1]!.toFixed(2)} | ` +
      ms.map((t) => t.toFixed(2)).join(' '),
  );
}
process.exit(0);
