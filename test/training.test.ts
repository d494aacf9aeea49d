/**
 * Training equals PyTorch's: the encoder-decoder of scripts/gen_training_fixture.py, built with our
 * `nn`, starts from PyTorch's initial weights (a safetensors file PyTorch's state_dict was written
 * to), takes 20 optimiser steps on the same data (Adam; SGD with momentum, nesterov and weight
 * decay; AdamW with amsgrad) and must give PyTorch's loss at every step and PyTorch's final
 * state_dict (parameters, running statistics and num_batches_tracked).
 *
 * Tolerance. Both sides compute in float32, with different summation orders, so they differ by
 * rounding, and 20 steps of training propagate and amplify that rounding. How much, PyTorch tells
 * us itself: the generator runs every optimiser in float32 and in float64 and records the
 * difference in runs.json (`float32Drift`: up to 3e-7 relative for the losses and 1.5e-6 absolute
 * for the weights). We allow LOSS_RTOL = 1e-5 relative on every loss and WEIGHT_ATOL = 3e-5
 * absolute (plus WEIGHT_RTOL = 1e-5 relative) on every final weight and running statistic: at
 * least 10 times that drift, and far below what a real mistake does — a wrong gradient, update
 * rule (bias correction, momentum buffer initialisation, decoupled decay) or running-variance
 * formula moves the results by 1e-3 or more (checked by breaking them on purpose). The test also
 * checks that the recorded drift is within the tolerances and that training moved the weights by
 * far more than them, so the comparison is not vacuous. Every run uses the default kernels; the
 * Adam run also the reference kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, getKernelPath, setKernelPath, type KernelPath } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import { relu } from '../src/ops/elementwise.js';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '../src/io/safetensors.js';

const LOSS_RTOL = 1e-5;
const WEIGHT_ATOL = 3e-5;
const WEIGHT_RTOL = 1e-5;

const DIR = new URL('./fixtures/training/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, DIR));

interface Run {
  optimizer: 'Adam' | 'SGD' | 'AdamW';
  options: Record<string, unknown>;
  losses: number[];
  float32Drift: { lossRelative: number; weightAbsolute: number };
}
const fixture = JSON.parse(read('runs.json').toString()) as {
  steps: number;
  keys: string[];
  runs: Record<string, Run>;
};

/** The generator's model, with the same module names (so the same state_dict keys). */
class EncoderDecoder extends nn.Module {
  encoder = this.registerModule(
    'encoder',
    new nn.Sequential(
      new nn.Conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1, bias: false }),
      new nn.BatchNorm2d({ numFeatures: 8 }),
      new nn.ReLU(),
    ),
  );
  pool = this.registerModule('pool', new nn.MaxPool2d({ kernelSize: 2, returnIndices: true }));
  middle = this.registerModule(
    'middle',
    new nn.Sequential(
      new nn.Conv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1 }),
      new nn.ReLU(),
      new nn.Conv2d({ inChannels: 16, outChannels: 16, kernelSize: 3, stride: 2, padding: 1 }),
      new nn.ReLU(),
    ),
  );
  up = this.registerModule(
    'up',
    new nn.ConvTranspose2d({
      inChannels: 16,
      outChannels: 8,
      kernelSize: 3,
      stride: 2,
      padding: 1,
      bias: false,
    }),
  );
  bn = this.registerModule('bn', new nn.BatchNorm2d({ numFeatures: 8 }));
  unpool = this.registerModule('unpool', new nn.MaxUnpool2d({ kernelSize: 2 }));
  decoder = this.registerModule(
    'decoder',
    new nn.ConvTranspose2d({ inChannels: 8, outChannels: 1, kernelSize: 3, padding: 1 }),
  );

  forward(x: Tensor): Tensor {
    const h = this.encoder.forward(x); //                              (N, 8, 12, 12)
    const { output: p, indices } = this.pool.forward(h); //            (N, 8, 6, 6)
    const m = this.middle.forward(p); //                               (N, 16, 3, 3)
    const u = relu(this.bn.forward(this.up.forward(m, p.shape.slice(2)))); // (N, 8, 6, 6)
    return this.decoder.forward(this.unpool.forward(u, indices)); //   (N, 1, 12, 12)
  }
}

function optimizerFor(run: Run, params: Tensor[]): nn.Optimizer {
  const o = run.options as never;
  if (run.optimizer === 'Adam') return new nn.Adam(params, o);
  if (run.optimizer === 'AdamW') return new nn.AdamW(params, o);
  return new nn.SGD(params, o);
}

const initialBytes = read('initial.safetensors');
const initial = readSafetensors(initialBytes);
const data = readSafetensors(read('data.safetensors'));

test('the PyTorch-written state_dict loads with the same keys, shapes and dtypes', () => {
  const model = new EncoderDecoder();
  const ours = model.stateDict();
  assert.deepEqual([...ours.keys()], fixture.keys, 'our state_dict keys, in PyTorch order');
  assert.deepEqual(Object.keys(initial).sort(), [...fixture.keys].sort());
  for (const [key, t] of ours) {
    assert.deepEqual(initial[key]!.shape, t.shape, key);
    assert.equal(initial[key]!.dtype, t.dtype, key);
  }
  assert.equal(initial['bn.num_batches_tracked']!.dtype, 'int32', 'I64 is read as int32');
  assert.deepEqual(initial['bn.num_batches_tracked']!.shape, []);
  model.loadStateDict(initial);
  for (const [key, t] of model.stateDict()) assert.deepEqual(t.data, initial[key]!.data, key);
  assert.deepEqual(readSafetensorsMetadata(initialBytes), { format: 'pt' });
});

test('a state_dict read from PyTorch and written back gives the same bytes', () => {
  const model = new EncoderDecoder();
  model.loadStateDict(initial);
  const again = writeSafetensors(model.stateDict(), { metadata: { format: 'pt' } });
  assert.equal(Buffer.compare(Buffer.from(again), initialBytes), 0);
  // and what we write reads back unchanged
  const back = readSafetensors(again);
  for (const [key, t] of model.stateDict()) {
    assert.deepEqual(back[key]!.shape, t.shape, key);
    assert.deepEqual(back[key]!.data, t.data, key);
  }
});

// Every run on the default (fast) kernels; the Adam run on the reference kernels too.
const cases: [string, Run, KernelPath][] = Object.entries(fixture.runs).map(([name, run]) => [
  name,
  run,
  'fast',
]);
cases.push(['adam', fixture.runs.adam!, 'reference']);

for (const [name, run, path] of cases) {
  test(`${fixture.steps} steps of ${run.optimizer} ${JSON.stringify(run.options)} give PyTorch's losses and weights [${path} kernels]`, () => {
    const before = getKernelPath();
    setKernelPath(path);
    try {
      trainAndCompare(name, run);
    } finally {
      setKernelPath(before);
    }
  });
}

function trainAndCompare(name: string, run: Run): void {
  assert.ok(run.float32Drift.lossRelative * 10 <= LOSS_RTOL, 'the loss tolerance covers float32 drift');
  assert.ok(run.float32Drift.weightAbsolute * 10 <= WEIGHT_ATOL, 'the weight tolerance covers float32 drift');
  const model = new EncoderDecoder();
  model.loadStateDict(initial);
  model.train();
  const opt = optimizerFor(run, model.parameters());
  const input = data.input!;
  const target = data.target!;
  for (let step = 0; step < fixture.steps; step++) {
    opt.zeroGrad();
    const loss = nn.mseLoss(model.forward(input), target);
    loss.backward();
    opt.step();
    const expected = run.losses[step]!;
    const got = loss.item();
    assert.ok(
      Math.abs(got - expected) <= LOSS_RTOL * Math.abs(expected),
      `step ${step}: loss ${got}, PyTorch ${expected} (relative difference ${Math.abs(got - expected) / expected})`,
    );
  }
  const final = readSafetensors(read(`${name}.safetensors`));
  const ours = model.stateDict();
  assert.deepEqual(Object.keys(final).sort(), [...ours.keys()].sort());
  let moved = 0;
  for (const [key, t] of ours) {
    const ref = final[key]!;
    assert.deepEqual(t.shape, ref.shape, key);
    if (t.dtype === 'int32') {
      assert.deepEqual(t.data, ref.data, `${key} (num_batches_tracked = ${fixture.steps})`);
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
  assert.equal(final['bn.num_batches_tracked']!.data[0], fixture.steps);
  assert.ok(moved > 100 * WEIGHT_ATOL, `training moved the weights (by up to ${moved})`);
}
