/**
 * importOnnx against ONNX 1.12's own node tests and PyTorch 1.13's exports (fixtures written by
 * scripts/gen_onnx_fixtures.py): every case of the upsampling family must give ONNX's expected
 * outputs; every case of the operators around it must too, or be refused at import with a
 * DeconvError (the list of refusals is fixed below, so a new refusal fails).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { DeconvError, importOnnx, readOnnxTensor, type Tensor } from '../src/index.js';

const ROOT = new URL('./fixtures/onnx/', import.meta.url).pathname;

/** The operator of each case, from cases.txt, and whether it is of the family. */
function catalogue(): Map<string, { op: string; family: boolean }> {
  const out = new Map<string, { op: string; family: boolean }>();
  for (const line of readFileSync(`${ROOT}node/cases.txt`, 'utf8').split('\n')) {
    const m = /^(family|around) (\w+): (.*)$/.exec(line);
    if (!m) continue;
    for (const name of m[3]!.split(' ')) out.set(name, { op: m[2]!, family: m[1] === 'family' });
  }
  return out;
}

/** Cases of the operators around the family that deconv refuses at import, with the reason. */
const REFUSED: Record<string, RegExp> = {};

function load(dir: string, kind: 'input' | 'output', count: number): (Tensor | null)[] {
  return Array.from({ length: count }, (_, i) => {
    const f = `${dir}/test_data_set_0/${kind}_${i}.pb`;
    return existsSync(f) ? readOnnxTensor(readFileSync(f)) : null;
  });
}

/** Max over elements of |a − e| − rtol·|e|; ≤ atol passes. NaN where expected is NaN counts as equal. */
function compare(name: string, actual: Tensor, expected: Tensor, atol = 1e-5, rtol = 1e-4): void {
  assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${name}: dtype`);
  for (let k = 0; k < expected.size; k++) {
    const a = actual.data[k]!;
    const e = expected.data[k]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${name}: element ${k} = ${a}, expected ${e}`);
  }
}

function runCase(dir: string, batchSlice?: number): void {
  const model = importOnnx(readFileSync(`${dir}/model.onnx`));
  const inputs = load(dir, 'input', model.inputNames.length);
  const expected = load(dir, 'output', model.outputNames.length);
  const first = (t: Tensor): Tensor => {
    if (batchSlice === undefined) return t;
    const per = t.size / t.shape[0]!;
    const data = t.data.slice(0, per * batchSlice);
    return readLike(t, data, [batchSlice, ...t.shape.slice(1)]);
  };
  const feeds = Object.fromEntries(model.inputNames.map((n, i) => [n, first(inputs[i]!)]));
  const out = model.run(feeds);
  model.outputNames.forEach((n, i) => {
    if (expected[i]) compare(`${dir.split('/').pop()} ${n}`, out[n]!, first(expected[i]!));
  });
}

let lib: typeof import('../src/index.js') | null = null;
async function tensorLib(): Promise<typeof import('../src/index.js')> {
  lib ??= await import('../src/index.js');
  return lib;
}
let tensorFn: ((v: ArrayLike<number>, s: number[], o: { dtype: 'float32' | 'int32' }) => Tensor) | null =
  null;
function readLike(t: Tensor, data: ArrayLike<number>, shape: number[]): Tensor {
  return tensorFn!(data, shape, { dtype: t.dtype as 'float32' | 'int32' });
}

const cases = catalogue();
const counts = new Map<string, { pass: number; total: number }>();

test('ONNX 1.12 node tests: the upsampling family and the operators around it', async (t) => {
  tensorFn = (await tensorLib()).tensor as typeof tensorFn;
  const names = readdirSync(`${ROOT}node`)
    .filter((n) => n.startsWith('test_'))
    .sort();
  assert.ok(names.length > 300, `expected the committed node-test fixtures, found ${names.length}`);
  for (const name of names) {
    const info = cases.get(name);
    assert.ok(info, `${name} is listed in cases.txt`);
    const c = counts.get(info.op) ?? { pass: 0, total: 0 };
    counts.set(info.op, c);
    c.total++;
    await t.test(`${info.op}: ${name}`, () => {
      const refusal = REFUSED[name];
      if (refusal) {
        assert.throws(
          () => importOnnx(readFileSync(`${ROOT}node/${name}/model.onnx`)),
          (e: unknown) => e instanceof DeconvError && refusal.test(e.message),
          `${name} is refused naming the reason`,
        );
        return;
      }
      runCase(`${ROOT}node/${name}`);
      c.pass++;
    });
  }
  const family = [...counts].filter(([op]) => [...cases.values()].some((v) => v.op === op && v.family));
  const total = family.reduce((a, [, c]) => a + c.total, 0);
  const passed = family.reduce((a, [, c]) => a + c.pass, 0);
  t.diagnostic(
    `family: ${passed}/${total} (${family.map(([op, c]) => `${op} ${c.pass}/${c.total}`).join(', ')})`,
  );
  const around = [...counts].filter(([op]) => !family.some(([f]) => f === op));
  const aroundTotal = around.reduce((a, [, c]) => a + c.total, 0);
  const aroundPassed = around.reduce((a, [, c]) => a + c.pass, 0);
  t.diagnostic(`around: ${aroundPassed}/${aroundTotal}`);
  assert.equal(passed, total, 'every node test of the upsampling family passes');
  assert.equal(aroundPassed, aroundTotal, 'every node test of the operators around it passes');
  // the counts the README states ("all 77 … all 260"): a fixture set that shrinks says so here
  assert.equal(total, 77, "the upsampling family's node tests of ONNX 1.12");
  assert.equal(aroundTotal, 260, 'the node tests collected for the operators around it');
});

test('PyTorch 1.13 exports (opsets 11, 13, 17): PyTorch outputs at batch 2 and batch 1', async (t) => {
  tensorFn = (await tensorLib()).tensor as typeof tensorFn;
  const names = readdirSync(`${ROOT}torch`).sort();
  assert.equal(names.length, 13, 'four models at three opsets, and one with unequal axes');
  for (const name of names) {
    await t.test(name, () => {
      runCase(`${ROOT}torch/${name}`);
      runCase(`${ROOT}torch/${name}`, 1);
    });
  }
});
