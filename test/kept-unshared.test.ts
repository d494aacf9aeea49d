/**
 * keepPacked without shared memory (a page that is not cross-origin isolated): tensors are
 * ordinary arrays from the storage pool, and their packed copies live in the engine's plain
 * memory, read by offset. The same guarantees as with shared memory (kept-packed.test.ts): results
 * bit-identical to an unmarked weight, on the packing call and on the calls that reuse; a user's
 * write plus markModified() gives the new values; dispose, collection, keepPacked(false) and
 * releaseWasmMemory give the copies back.
 */
import './unshared-setup.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import v8 from 'node:v8';
import {
  conv2d,
  convTranspose2d,
  randn,
  releaseWasmMemory,
  settledStorageStats,
  storageStats,
  type Tensor,
} from '../src/index.js';
import { defaultEngine, sharedMemorySupported } from '../src/kernels/wasm/loader.js';

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i]))
      assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]} (bit-identical expected)`);
};

// the calls: sub-pixel A (k4 s2, W1's shape), transposed sub-pixel B packed whole (k16 s8), gather
const CALLS: [string, number[], number[], (x: Tensor, w: Tensor) => Tensor][] = [
  [
    'convTranspose2d k4 s2 p1',
    [2, 32, 6, 8],
    [32, 16, 4, 4],
    (x, w) => convTranspose2d(x, w, { stride: 2, padding: 1 }),
  ],
  [
    'convTranspose2d k16 s8 p4',
    [1, 9, 3, 3],
    [9, 9, 16, 16],
    (x, w) => convTranspose2d(x, w, { stride: 8, padding: 4 }),
  ],
  ['conv2d 3×3 p1', [1, 24, 9, 16], [16, 24, 3, 3], (x, w) => conv2d(x, w, { padding: 1 })],
];

test('without shared memory: the engine is plain and tensors are ordinary arrays', () => {
  assert.equal(sharedMemorySupported(), false);
  const e = defaultEngine();
  assert.ok(e, 'a WebAssembly build loads');
  assert.equal(e.shared, false);
  const w = randn([32, 16, 4, 4]);
  assert.equal(e.owns(w.data as Float32Array), false, 'tensor storage is an ordinary array');
  assert.equal(storageStats().wasmBytes, 0);
});

test('without shared memory: a kept weight gives bit-identical results and packs once', () => {
  for (const [label, xs, ws, call] of CALLS) {
    const x = randn(xs, { seed: 1 });
    const w = randn(ws, { seed: 2 });
    const plain = call(x, w).data.slice();
    const before = storageStats().packedBytes;
    w.keepPacked();
    const first = call(x, w).data.slice();
    const packed = storageStats().packedBytes;
    assert.ok(packed > before, `${label}: a packed copy is kept (${before} → ${packed} bytes)`);
    const second = call(x, w).data.slice();
    assert.equal(storageStats().packedBytes, packed, `${label}: the second call packs nothing new`);
    same(first, plain, `${label}, packing call`);
    same(second, plain, `${label}, reusing call`);
    // the user's own write, announced: the next call uses the new values
    w.data[0] = (w.data[0] ?? 0) + 1;
    w.data[w.size - 1] = -3;
    w.markModified();
    assert.equal(storageStats().packedBytes, before, `${label}: markModified drops the copy`);
    const changed = call(x, w).data.slice();
    const reference = call(x, w.clone()).data.slice();
    same(changed, reference, `${label}, after markModified`);
    w.dispose();
    assert.equal(storageStats().packedBytes, before, `${label}: dispose gives the copy back`);
  }
});

test('without shared memory: keepPacked(false), collection and releaseWasmMemory give the copies back', async () => {
  const [, xs, ws, call] = CALLS[0]!;
  const x = randn(xs, { seed: 3 });
  const base = storageStats().packedBytes;
  const w = randn(ws, { seed: 4 }).keepPacked();
  call(x, w);
  assert.ok(storageStats().packedBytes > base);
  w.keepPacked(false);
  assert.equal(storageStats().packedBytes, base, 'keepPacked(false)');

  const w2 = randn(ws, { seed: 5 }).keepPacked();
  call(x, w2);
  assert.ok(storageStats().packedBytes > base);
  releaseWasmMemory();
  assert.equal(storageStats().packedBytes, base, 'releaseWasmMemory');
  same(call(x, w2).data, call(x, w2.clone()).data, 'after releaseWasmMemory, packed afresh');

  // collection: a marked weight that is dropped without dispose()
  v8.setFlagsFromString('--expose-gc');
  const g = globalThis as { gc?: () => void };
  const hadGc = g.gc;
  g.gc = vm.runInNewContext('gc') as () => void;
  try {
    const settledBase = (await settledStorageStats()).packedBytes;
    (() => {
      const w3 = randn(ws, { seed: 6 }).keepPacked();
      call(x, w3).dispose();
    })();
    assert.ok(storageStats().packedBytes > settledBase);
    const after = await settledStorageStats();
    assert.equal(after.packedBytes, settledBase, 'the collected array took its copy with it');
  } finally {
    g.gc = hadGc;
  }
});
