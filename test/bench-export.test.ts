/**
 * The bench's 'ort-export' engine (onnxruntime-node on the model deconv's exportOnnx writes): every
 * conv workload of the bench (W1, W2, W3, W6, W7, at --quick sizes) gets one, and its output equals
 * deconv's own engine on the same inputs; the bench's `measure` refuses to time an engine that must
 * be verified when its first output differs from deconv's or when there is no deconv output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deconvEngine } from '../bench/deconv.js';
import { compare, measure, type MeasureOptions } from '../bench/engine.js';
import { ortEngine } from '../bench/peers/ort.js';
import { makeWorkloads } from '../bench/workloads.js';
import { randn } from '../src/index.js';

const ONCE: MeasureOptions = { minRuns: 1, minTimeMs: 0, maxRuns: 1, warmupRuns: 0, budgetMs: 1000 };

test('bench ort-export: every conv workload, exported by exportOnnx, gives deconv its outputs in ORT', async () => {
  const workloads = makeWorkloads(true);
  const conv = workloads.filter((w) => w.bound === 'compute');
  assert.deepEqual(
    [...new Set(conv.map((w) => w.id))],
    ['W1', 'W2', 'W3', 'W6', 'W7'],
    'the conv workloads are W1, W2, W3, W6 and W7',
  );
  const ours = await deconvEngine(1);
  const ort = await ortEngine('ort-export', 1);
  assert.ok(!('skipped' in ours) && !('skipped' in ort), 'both engines start');
  try {
    // one case per workload id: the smallest batch
    for (const wl of conv.filter((w, i) => conv.findIndex((v) => v.id === w.id) === i)) {
      const inputs = new Map<string, Float32Array | Int32Array>(
        wl.inputs.map((s, k) => [
          s.name,
          Float32Array.from(randn([s.shape.reduce((a, b) => a * b, 1)], { seed: k }).data),
        ]),
      );
      const mine = await ours.prepare(wl, inputs);
      const theirs = await ort.prepare(wl, inputs);
      assert.ok(!('unsupported' in mine), `${wl.key}: deconv runs it`);
      assert.ok(!('unsupported' in theirs), `${wl.key}: ort-export has a model`);
      const ref = Float32Array.from(await mine.read(await mine.run()));
      const m = await measure(theirs, ref, ONCE, true);
      assert.equal(m.match, true, `${wl.key}: ORT on exportOnnx matches deconv (max |Δ| ${m.maxAbsDiff})`);
      assert.ok(m.note?.startsWith('exportOnnx('), `${wl.key}: the note names the export`);
    }
    const nonConv = workloads.find((w) => w.bound === 'memory')!;
    const none = await ort.prepare(nonConv, new Map());
    assert.ok('unsupported' in none, `${nonConv.key}: not a conv workload, n/a`);
  } finally {
    await ort.close?.();
  }
});

test('bench measure with verify: a wrong or unverifiable output is not timed', async () => {
  let runs = 0;
  const c = {
    run: () => {
      runs++;
      return new Float32Array([1, 2, 3]);
    },
    read: (o: Float32Array) => o,
  };
  await assert.rejects(
    measure(c, new Float32Array([1, 2, 4]), ONCE, true),
    /not timed: the output differs from deconv's/,
    'a mismatch is refused',
  );
  assert.equal(runs, 1, 'only the verifying call ran');
  await assert.rejects(measure(c, null, ONCE, true), /no deconv output/, 'no reference is refused');
  const ok = await measure(c, new Float32Array([1, 2, 3]), ONCE, true);
  assert.equal(ok.match, true, 'a match is timed');
  assert.equal(compare(new Float32Array([1]), new Float32Array([1, 2])).match, false, 'length differs');
});
