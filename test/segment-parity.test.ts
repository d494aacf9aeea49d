/**
 * SegNet and FCN-8s train as in PyTorch: the models of src/nn/segmentation.ts start from the
 * state_dict PyTorch wrote (scripts/gen_segment_fixture.py builds the same networks in PyTorch with
 * the same module names), take 20 Adam steps of pixel-wise cross entropy on the same canvases and
 * must give PyTorch's loss at every step and PyTorch's final state_dict (parameters, batch-norm
 * running statistics, num_batches_tracked). Tolerances as in test/training.test.ts: at least 10
 * times the float32 drift PyTorch itself shows between float32 and float64 (recorded in runs.json,
 * checked here), and training must move the weights by far more than them.
 *
 * FCN-8s's own initialisation is checked too: a fresh `nn.FCN8s` has PyTorch's zero score layers
 * and bilinear (Caffe filler, on the class diagonal) upsampling weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nn from '../src/nn/index.js';
import { readSafetensors } from '../src/io/safetensors.js';

const LOSS_RTOL = 1e-5;
const WEIGHT_ATOL = 3e-5;
const WEIGHT_RTOL = 1e-5;

const DIR = new URL('./fixtures/segment/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, DIR));
const fixture = JSON.parse(read('runs.json').toString()) as {
  steps: number;
  channels: number[];
  numClasses: number;
  adam: { lr: number; betas: [number, number]; eps: number };
  runs: Record<
    'segnet' | 'fcn8s',
    { losses: number[]; keys: string[]; float32Drift: { lossRelative: number; weightAbsolute: number } }
  >;
};
const data = readSafetensors(read('data.safetensors'));
const options = { channels: fixture.channels, numClasses: fixture.numClasses };

for (const name of ['segnet', 'fcn8s'] as const) {
  test(`${name}: ${fixture.steps} Adam steps from PyTorch's initial weights give PyTorch's losses and weights`, () => {
    const run = fixture.runs[name];
    assert.ok(run.float32Drift.lossRelative * 10 <= LOSS_RTOL, 'the loss tolerance covers float32 drift');
    assert.ok(
      run.float32Drift.weightAbsolute * 10 <= WEIGHT_ATOL,
      'the weight tolerance covers float32 drift',
    );
    const model = nn.segmentationModel(name, options);
    assert.deepEqual([...model.stateDict().keys()], run.keys, 'our state_dict keys, in PyTorch order');
    const initial = readSafetensors(read(`${name}-initial.safetensors`));
    model.loadStateDict(initial);
    model.train();
    const opt = new nn.Adam(model.parameters(), fixture.adam);
    const x = data.input!;
    const labels = data.labels!;
    assert.equal(labels.dtype, 'int32', 'I64 labels are read as int32');
    for (let step = 0; step < fixture.steps; step++) {
      opt.zeroGrad();
      const loss = nn.crossEntropy(model.forward(x), labels);
      loss.backward();
      opt.step();
      const got = loss.item();
      const expected = run.losses[step]!;
      assert.ok(
        Math.abs(got - expected) <= LOSS_RTOL * Math.abs(expected),
        `step ${step}: loss ${got}, PyTorch ${expected}`,
      );
    }
    const final = readSafetensors(read(`${name}-final.safetensors`));
    let moved = 0;
    for (const [key, t] of model.stateDict()) {
      const ref = final[key]!;
      assert.deepEqual(t.shape, ref.shape, key);
      if (t.dtype === 'int32') {
        assert.deepEqual(t.data, ref.data, `${key} (num_batches_tracked)`);
        continue;
      }
      for (let i = 0; i < t.size; i++) {
        const diff = Math.abs(t.data[i]! - ref.data[i]!);
        assert.ok(
          diff <= WEIGHT_ATOL + WEIGHT_RTOL * Math.abs(ref.data[i]!),
          `${key}[${i}] = ${t.data[i]}, PyTorch ${ref.data[i]} (difference ${diff})`,
        );
        moved = Math.max(moved, Math.abs(ref.data[i]! - initial[key]!.data[i]!));
      }
    }
    assert.ok(moved > 100 * WEIGHT_ATOL, `training moved the weights (by up to ${moved})`);
  });
}

test("FCN-8s's initialisation: zero score layers and PyTorch's bilinear upsampling weights", () => {
  const initial = readSafetensors(read('fcn8s-initial.safetensors'));
  nn.manualSeed(3);
  const ours = nn.segmentationModel('fcn8s', options).stateDict();
  for (const key of ['upscore2.weight', 'upscore_pool4.weight', 'upscore8.weight']) {
    assert.deepEqual(ours.get(key)!.shape, initial[key]!.shape, key);
    for (let i = 0; i < initial[key]!.size; i++)
      assert.ok(
        Math.abs(ours.get(key)!.data[i]! - initial[key]!.data[i]!) <= 1e-7,
        `${key}[${i}] = ${ours.get(key)!.data[i]}, PyTorch ${initial[key]!.data[i]}`,
      );
  }
  for (const key of ['score_fr', 'score_pool4', 'score_pool3'])
    for (const p of ['weight', 'bias'])
      assert.ok(
        ours.get(`${key}.${p}`)!.data.every((v) => v === 0),
        `${key}.${p} starts at zero`,
      );
});
