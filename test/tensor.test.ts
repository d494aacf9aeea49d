import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, randn, rand, DeconvError, Tensor } from '../src/index.js';

test('tensor from nested and flat values', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = tensor(new Float32Array([1, 2, 3, 4]), [2, 2], { dtype: 'int32' });
  assert.equal(b.dtype, 'int32');
  assert.ok(b.data instanceof Int32Array);
  assert.equal(zeros([2, 3]).size, 6);
  assert.equal(ones([2]).data[1], 1);
});

test('seeded random numbers repeat', () => {
  assert.deepEqual(randn([5], { seed: 3 }).data, randn([5], { seed: 3 }).data);
  assert.notDeepEqual(randn([5], { seed: 3 }).data, randn([5], { seed: 4 }).data);
  const u = rand([1000], { seed: 1 }).data;
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const n = Array.from(randn([20000], { seed: 2 }).data);
  const mean = n.reduce((s, v) => s + v, 0) / n.length;
  const varc = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(varc - 1) < 0.05, `mean ${mean} var ${varc}`);
});

test('autograd through broadcasting arithmetic', () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  const w = tensor([[2], [3]], undefined, { requiresGrad: true });
  // y = sum((w * x + 1)^2): broadcast (2,1) * (3) -> (2,3)
  const y = w.mul(x).add(1).pow(2).sum();
  y.backward();
  // dy/dx_j = sum_i 2 (w_i x_j + 1) w_i ; dy/dw_i = sum_j 2 (w_i x_j + 1) x_j
  const gx = [1, 2, 3].map((xj) => [2, 3].reduce((s, wi) => s + 2 * (wi * xj + 1) * wi, 0));
  const gw = [2, 3].map((wi) => [1, 2, 3].reduce((s, xj) => s + 2 * (wi * xj + 1) * xj, 0));
  assert.deepEqual([...x.grad!.data], gx);
  assert.deepEqual([...w.grad!.data], gw);
});

test('bad arguments throw DeconvError naming the argument', () => {
  assert.throws(
    () => tensor([1, 2, 3], [2, 2]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'shape' && /shape = \[2, 2\]/.test(e.message),
  );
  assert.throws(
    () => tensor(new Float32Array(3)),
    (e: unknown) => e instanceof DeconvError && e.argument === 'shape',
  );
  assert.throws(
    () => zeros([2, -1]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'shape' && /shape\[1\] = -1/.test(e.message),
  );
  assert.throws(
    () => tensor([[1, 2], [3]]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'values',
  );
  assert.throws(
    () => tensor([1, 2], [2], { dtype: 'float16' as never }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'dtype',
  );
  assert.throws(
    () => tensor([1.5], [1], { dtype: 'int32' }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'values',
  );
  assert.throws(
    () => zeros([65536, 65536]),
    (e: unknown) => e instanceof DeconvError && e.argument === 'shape',
  );
  const x = tensor([1, 2], [2], { requiresGrad: true });
  assert.throws(
    () => x.mul(2).backward(),
    (e: unknown) => e instanceof DeconvError && e.argument === 'gradOutput',
  );
  assert.throws(
    () => x.mul(2).backward(tensor([1, 2, 3])),
    (e: unknown) => e instanceof DeconvError && e.argument === 'gradOutput',
  );
  assert.throws(
    () => tensor([1]).backward(),
    (e: unknown) => e instanceof DeconvError && e.argument === 'this',
  );
  assert.ok(new Tensor(new Float32Array(1), [1]) instanceof Tensor);
});
