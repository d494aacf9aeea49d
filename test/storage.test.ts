/**
 * The storage pool (src/storage.ts) and `Tensor.dispose()`: reuse of a disposed tensor's buffer,
 * zeroing where it is asked, sharing (views keep storage alive), use after dispose, the limit and
 * its LRU eviction, no growth over 10⁴ calls, the garbage-collector safety net, and — the one that
 * matters most — dirty pooled buffers (filled with NaN) never reaching a result, for every op
 * family in both directions on every kernel path.
 *
 * These are the ordinary arrays' pool: storage in WebAssembly memory is switched off here (it is
 * tested in test/wasm-storage.test.ts, the dirty-storage test there too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  DeconvError,
  Tensor,
  avgPool2d,
  conv2d,
  convTranspose2d,
  emptyStoragePool,
  fold,
  full,
  getKernelPath,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  pixelShuffle,
  pixelUnshuffle,
  randn,
  setKernelPath,
  setStoragePoolLimit,
  settledStorageStats,
  storageStats,
  tensor,
  unfold,
  zeros,
  type KernelPath,
} from '../src/index.js';
import { storageTuning } from '../src/storage.js';

storageTuning.wasm = false;

/** Runs `f` with the pool limit set to `bytes`, restoring the previous limit afterwards. */
function withLimit<T>(bytes: number, f: () => T): T {
  const previous = setStoragePoolLimit(bytes);
  try {
    return f();
  } finally {
    setStoragePoolLimit(previous);
  }
}

function withPath<T>(path: KernelPath, f: () => T): T {
  const saved = getKernelPath();
  setKernelPath(path);
  try {
    return f();
  } finally {
    setKernelPath(saved);
  }
}

/** Bitwise-equal values (NaN equal to NaN). */
function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Object.is(a, e) || (a === 0 && e === 0) || (Number.isNaN(a) && Number.isNaN(e)))) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
    }
  }
}

test('a disposed tensor’s buffer is handed out again, zeroed where zeros are asked for', () => {
  const x = randn([2, 4, 16, 16], { seed: 1 });
  const y = interpolate(x, { scaleFactor: 2 }); // 8192 floats: pooled
  const buffer = y.data.buffer;
  y.data.fill(NaN);
  const before = storageStats();
  y.dispose();
  assert.equal(y.isDisposed, true, 'isDisposed after dispose()');
  const after = storageStats();
  assert.equal(after.pooledBytes - before.pooledBytes, y.size * 4, 'the bytes went to the pool');
  assert.equal(after.returned, before.returned + 1, 'one buffer returned');
  y.dispose(); // a second call does nothing
  assert.equal(storageStats().returned, after.returned, 'disposing twice returns nothing more');

  const z = zeros([2, 4, 32, 32]);
  assert.equal(z.data.buffer, buffer, 'zeros() took the pooled buffer');
  assert.equal(storageStats().reused, after.reused + 1, 'counted as reused');
  assert.ok(
    (z.data as Float32Array).every((v) => v === 0),
    'a pooled buffer given to zeros() is zeroed',
  );
  z.dispose();
  // an op whose kernels write every element takes it dirty and overwrites it all
  z.data.fill(NaN);
  const again = interpolate(x, { scaleFactor: 2 });
  assert.equal(again.data.buffer, buffer, 'the op took the pooled buffer');
  sameValues(again.data, interpolate(x, { scaleFactor: 2 }).data, 'output over a dirty buffer');
  // float32 and int32 of one element count share a free list
  again.dispose();
  const indices = zeros([2, 4, 32, 32], { dtype: 'int32' });
  assert.equal(indices.data.buffer, buffer, 'int32 reuses a float32 buffer of the same byte length');
  assert.ok(indices.data instanceof Int32Array, 'as an Int32Array');
  assert.equal(indices.data.length, indices.size, 'data.length is the tensor size');
  indices.dispose();
});

test('small tensors bypass the pool; disposing them still marks them', () => {
  const before = storageStats();
  const t = tensor([1, 2, 3]);
  t.dispose();
  const after = storageStats();
  assert.equal(after.pooledBytes, before.pooledBytes, 'nothing pooled for 12 bytes');
  assert.equal(after.returned, before.returned, 'nothing returned');
  assert.throws(() => t.add(1), DeconvError, 'a small disposed tensor is refused too');
});

test('storage shared by views goes back only when the last sharer is disposed', () => {
  const x = randn([1, 8, 16, 16], { seed: 3 });
  const y = interpolate(x, { scaleFactor: 2, mode: 'bilinear' });
  const expected = Float32Array.from(y.data);
  const view = y.reshape([8, 32, 32]);
  const detached = y.detach();
  const buffer = y.data.buffer;
  const pooled0 = storageStats().pooledBytes;
  y.dispose();
  assert.equal(storageStats().pooledBytes, pooled0, 'two views alive: nothing pooled');
  // an allocation of the same size must not get the shared buffer
  const other = full([1, 8, 32, 32], 7);
  assert.notEqual(other.data.buffer, buffer, 'a live view’s storage is not handed out');
  sameValues(view.data, expected, 'the reshape view keeps its values');
  view.dispose();
  assert.equal(storageStats().pooledBytes, pooled0, 'the detached tensor still holds it');
  sameValues(detached.sum().data, tensor([expected.reduce((a, b) => a + b, 0)]).data, 'still usable');
  detached.dispose();
  assert.equal(storageStats().pooledBytes, pooled0 + y.size * 4, 'the last sharer returned it');
  const next = zeros([8, 1024]);
  assert.equal(next.data.buffer, buffer, 'then it is reused');
  next.dispose();
  other.dispose();
});

test('using a disposed tensor throws a DeconvError naming the argument', () => {
  const x = randn([1, 2, 8, 8], { seed: 4 });
  const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
  const w = randn([3, 2, 3, 3], { seed: 5 });
  const disposed = (argument: string) => (e: unknown) => {
    assert.ok(e instanceof DeconvError, `a DeconvError, got ${String(e)}`);
    assert.equal(e.argument, argument, `argument of: ${e.message}`);
    assert.match(e.message, /was disposed/, 'the rule');
    return true;
  };
  const y = interpolate(x, { scaleFactor: 2 });
  y.dispose();
  assert.throws(() => interpolate(y, { scaleFactor: 2 }), disposed('input'));
  assert.throws(() => maxPool2d(y, { kernelSize: 2 }), disposed('input'));
  assert.throws(() => y.add(1), disposed('input'));
  assert.throws(() => x.mul(y), disposed('other'));
  assert.throws(() => y.reshape([-1]), disposed('input'));
  assert.throws(() => y.sum(), disposed('input'));
  assert.throws(() => y.toArray(), disposed('this'));
  assert.throws(() => y.detach(), disposed('this'));
  assert.throws(() => y.item(), disposed('this'));
  indices.dispose();
  assert.throws(() => maxUnpool2d(output, indices, { kernelSize: 2 }), disposed('indices'));
  w.dispose();
  assert.throws(() => conv2d(x, w), disposed('weight'));
  const b = zeros([3]);
  b.dispose();
  assert.throws(() => conv2d(x, randn([3, 2, 3, 3]), { bias: b }), disposed('bias'));
});

test('dispose() on a tensor with a gradient disposes the data only', () => {
  const x = randn([4, 300], { seed: 6, requiresGrad: true });
  x.mul(x).sum().backward();
  x.dispose();
  assert.ok(x.grad !== null && !x.grad.isDisposed, 'grad is kept');
  sameValues(x.grad.data, x.grad.data, 'grad is readable');
  x.grad.dispose();
});

test('backward() refuses a graph that reads a disposed tensor, before any work', () => {
  const x = randn([1, 2, 16, 16], { seed: 7, requiresGrad: true });
  const w = randn([3, 2, 3, 3], { seed: 8, requiresGrad: true });
  const h = conv2d(x, w);
  const s = h.sigmoid();
  const loss = s.sum();
  s.dispose(); // sigmoid's gradient reads its output
  assert.throws(
    () => loss.backward(),
    (e: unknown) => e instanceof DeconvError && e.fn === 'backward' && /sigmoid/.test(e.message),
    'the rule that needs it is named',
  );
  assert.equal(x.grad, null, 'nothing was written');
  assert.equal(w.grad, null, 'nothing was written');
  const g = randn([3, 14, 14], { seed: 9 });
  const y = conv2d(x, w);
  const gy = randn([...y.shape], { seed: 10 });
  gy.dispose();
  assert.throws(() => y.backward(gy), /gradOutput = .* was disposed/, 'a disposed gradOutput');
  x.dispose(); // conv's gradient reads its input
  assert.throws(() => y.backward(g.reshape([1, 3, 14, 14])), /conv/, 'a disposed saved input');
});

test('backward() gives the same gradients with its temporaries recycled', () => {
  // shared gradients: add(x, x), a reshape view, clone's identity rule, several paths into w
  const run = (): [Float32Array, Float32Array, Float32Array] => {
    const x = randn([2, 3, 12, 12], { seed: 11, requiresGrad: true });
    const w = randn([4, 3, 3, 3], { seed: 12, requiresGrad: true });
    const a = conv2d(x.add(x), w)
      .reshape([2, 4 * 10 * 10])
      .clone();
    const b = interpolate(conv2d(x, w, { padding: 1 }), { scaleFactor: 0.5, mode: 'area' });
    const loss = a
      .mul(a)
      .sum()
      .add(b.sum())
      .add(a.reshape([-1]).sum());
    loss.backward();
    loss.backward(); // the second pass adds to the leaves' grads
    return [x.grad!.data as Float32Array, w.grad!.data as Float32Array, Float32Array.from(a.data)];
  };
  const fresh = withLimit(0, () => {
    emptyStoragePool();
    return run();
  });
  const before = storageStats();
  // twice, so the second run draws its temporaries from what the first returned
  run();
  const pooled = run();
  assert.ok(storageStats().returned > before.returned, 'backward returned temporaries to the pool');
  fresh.forEach((f, i) => sameValues(pooled[i]!, f, `result ${i}`));
});

test('the limit evicts the buffers returned longest ago; emptyStoragePool drops them all', () => {
  const size = [16, 1024]; // 64 KiB
  withLimit(2 * 65536, () => {
    emptyStoragePool();
    const ts = [zeros(size), zeros(size), zeros(size)];
    const buffers = ts.map((t) => t.data.buffer);
    const before = storageStats();
    for (const t of ts) t.dispose();
    const after = storageStats();
    assert.equal(after.pooledBuffers, 2, 'two fit');
    assert.equal(after.pooledBytes, 2 * 65536, 'bytes within the limit');
    assert.equal(after.evicted, before.evicted + 1, 'one evicted');
    const a = zeros(size);
    const b = zeros(size);
    const c = zeros(size);
    assert.equal(a.data.buffer, buffers[2], 'the last returned comes out first');
    assert.equal(b.data.buffer, buffers[1], 'then the one before');
    assert.ok(!buffers.includes(c.data.buffer), 'the oldest was evicted: fresh memory');
    for (const t of [a, b, c]) t.dispose();
    const big = zeros([3 * 65536]); // larger than the limit: never kept
    big.dispose();
    assert.equal(storageStats().pooledBytes, 2 * 65536, 'a buffer over the limit is not pooled');
    assert.equal(emptyStoragePool(), 2 * 65536, 'emptyStoragePool returns the bytes dropped');
    assert.equal(storageStats().pooledBytes, 0, 'empty');
    assert.equal(storageStats().pooledBuffers, 0, 'empty');
  });
  assert.throws(() => setStoragePoolLimit(-1), DeconvError, 'a negative limit is refused');
  assert.throws(() => setStoragePoolLimit(NaN), DeconvError, 'NaN is refused');
  withLimit(0, () => {
    const t = zeros(size);
    t.dispose();
    assert.equal(storageStats().pooledBytes, 0, 'limit 0: nothing kept');
  });
});

test('no growth over 10⁴ calls of maxUnpool2d + interpolate with dispose()', () => {
  const x = randn([1, 8, 64, 64], { seed: 13 });
  const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true }); // (1, 8, 32, 32)
  const step = (): void => {
    const u = maxUnpool2d(output, indices, { kernelSize: 2 });
    const v = interpolate(output, { scaleFactor: 2, mode: 'nearest' });
    u.dispose();
    v.dispose();
  };
  for (let i = 0; i < 10; i++) step();
  const s0 = storageStats();
  const m0 = process.memoryUsage().arrayBuffers;
  let peakPooled = 0;
  let peakArrayBuffers = 0;
  for (let i = 0; i < 10_000; i++) {
    step();
    if (i % 500 === 0) {
      peakPooled = Math.max(peakPooled, storageStats().pooledBytes);
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
    }
  }
  const s1 = storageStats();
  assert.equal(s1.allocated, s0.allocated, 'every output came from the pool: no fresh allocation');
  assert.equal(s1.reused - s0.reused, 20_000, 'two reuses per step');
  assert.equal(s1.liveBytes, s0.liveBytes, 'nothing left handed out');
  assert.ok(peakPooled <= s0.pooledBytes + 2 * 131072, `pooled bytes bounded (${peakPooled})`);
  const growth = peakArrayBuffers - m0;
  assert.ok(growth < 4 * 2 ** 20, `process arrayBuffers grew by ${growth} bytes`);
});

test('no growth over 10⁴ forward calls of interpolate and resize whose backward tables are lazy', async () => {
  // Their geometry records build the backward taps on first read. A getter in an object literal
  // kept each call's tables alive through every scavenge (V8 puts accessor pairs in the old
  // generation): arrayBuffers grew by about 2 KB per call until a full GC (geometry/interpolate.ts).
  const { resize } = await import('../src/index.js');
  const x = randn([1, 8, 32, 32], { seed: 14 });
  const step = (): void => {
    interpolate(x, { scaleFactor: 2, mode: 'bilinear' }).dispose();
    resize(x, { scales: [2, 2], mode: 'linear' }).dispose();
    interpolate(x, { size: [48, 40] }).dispose();
  };
  for (let i = 0; i < 10; i++) step();
  const m0 = process.memoryUsage().arrayBuffers;
  let peak = 0;
  for (let i = 0; i < 10_000; i++) {
    step();
    if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  const growth = peak - m0;
  assert.ok(growth < 4 * 2 ** 20, `process arrayBuffers grew by ${growth} bytes`);
});

test('the garbage collector safety net: undisposed storage is counted as collected, never recycled', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const shape = [7, 1031]; // a byte length no other test uses
  const before = storageStats();
  // a user keeps the data and drops the tensor: that array must never be handed out again
  let kept: Float32Array | null = (() => full(shape, 5).data as Float32Array)();
  (() => {
    full(shape, 1); // dropped without dispose
  })();
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const after = storageStats();
  assert.ok(after.collected > before.collected, 'a dropped, undisposed buffer was counted as collected');
  assert.ok(after.collectedBytes >= before.collectedBytes + 7 * 1031 * 4, 'with its bytes');
  const fresh = [zeros(shape), zeros(shape), zeros(shape)];
  for (const t of fresh) assert.notEqual(t.data.buffer, kept.buffer, 'the kept array is not recycled');
  assert.ok(
    kept.every((v) => v === 5),
    'the kept array is intact',
  );
  for (const t of fresh) t.dispose();
  kept = null;
});

test('settledStorageStats gives current numbers after a synchronous loop that never disposes', async () => {
  const x = randn([1, 1, 256, 256], { seed: 1 });
  const mib = 2 ** 20; // each output: 1 × 1 × 512 × 512 float32
  // without gc(): the garbage collector frees the dropped outputs as the loop runs, but reports
  // them only between tasks, so storageStats() inside synchronous code still counts them (the
  // issue's 20-25 GB "live" at 150 MB RSS); settledStorageStats() waits for the reports
  const start = await settledStorageStats();
  for (let i = 0; i < 1000; i++) interpolate(x, { scaleFactor: 2 });
  const inLoop = storageStats();
  const settled = await settledStorageStats();
  assert.ok(
    inLoop.liveBytes - start.liveBytes > 500 * mib,
    `synchronously, dropped outputs are still counted: ${(inLoop.liveBytes - start.liveBytes) / mib} MiB`,
  );
  assert.ok(
    settled.liveBytes - start.liveBytes < 100 * mib,
    `settled: ${(settled.liveBytes - start.liveBytes) / mib} MiB of 1000 MiB dropped still counted`,
  );
  // with gc() exposed (node --expose-gc) the count is exact: only what is held
  v8.setFlagsFromString('--expose-gc');
  const g = globalThis as { gc?: () => void };
  const hadGc = g.gc;
  g.gc = vm.runInNewContext('gc') as () => void;
  try {
    const base = await settledStorageStats();
    const held = [0, 1, 2].map(() => interpolate(x, { scaleFactor: 2 }));
    for (let i = 0; i < 200; i++) interpolate(x, { scaleFactor: 2 });
    const exact = await settledStorageStats();
    assert.equal(exact.liveBuffers, base.liveBuffers + 3, 'exactly the three held outputs are live');
    assert.equal(exact.liveBytes, base.liveBytes + 3 * mib, 'with their bytes');
    for (const t of held) t.dispose();
    assert.equal(storageStats().liveBytes, base.liveBytes, 'disposed: exact at once');
  } finally {
    g.gc = hadGc;
  }
});

/**
 * Every op family, forward and backward, computed once with fresh memory and once with the pool
 * full of NaN-filled buffers of every size the computation allocates; the results must be equal
 * bit for bit. Each case returns its output and its inputs' gradients.
 */
test('dirty pooled buffers never leak into results (every op family, every path)', () => {
  const leaf = (shape: number[], seed: number): Tensor =>
    tensor(randn(shape, { seed }).data, shape, { requiresGrad: true });
  type Case = [string, () => Tensor[]];
  const withGrads = (out: Tensor, inputs: Tensor[], seed: number): Tensor[] => {
    out.backward(randn([...out.shape], { seed }));
    return [out, ...inputs.map((t) => t.grad!)];
  };
  const cases: Case[] = [
    [
      'conv2d',
      () => {
        const x = leaf([2, 3, 16, 16], 1);
        const w = leaf([4, 3, 3, 3], 2);
        const b = leaf([4], 3);
        return withGrads(conv2d(x, w, { bias: b, padding: 1 }), [x, w, b], 4);
      },
    ],
    [
      'convTranspose2d',
      () => {
        const x = leaf([2, 4, 8, 8], 5);
        const w = leaf([4, 3, 4, 4], 6);
        return withGrads(convTranspose2d(x, w, { stride: 2, padding: 1 }), [x, w], 7);
      },
    ],
    [
      'maxPool2d + maxUnpool2d',
      () => {
        const x = leaf([2, 4, 16, 16], 8);
        const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
        const u = maxUnpool2d(output.mul(2), indices, { kernelSize: 2 });
        return [indices, ...withGrads(u, [x], 9)];
      },
    ],
    [
      'maxPool2d overlapping',
      () => {
        const x = leaf([2, 4, 17, 17], 10);
        return withGrads(maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [x], 11);
      },
    ],
    [
      'avgPool2d',
      () => {
        const x = leaf([2, 4, 17, 17], 12);
        return withGrads(avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [x], 13);
      },
    ],
    ...(['nearest', 'bilinear', 'bicubic', 'area'] as const).map((mode, i): Case => [
      `interpolate ${mode}`,
      () => {
        const x = leaf([2, 3, 16, 16], 14 + i);
        return withGrads(interpolate(x, { size: mode === 'area' ? [7, 9] : [32, 24], mode }), [x], 20 + i);
      },
    ]),
    [
      'pixelShuffle / pixelUnshuffle',
      () => {
        const x = leaf([2, 16, 8, 8], 25);
        const y = pixelUnshuffle(pixelShuffle(x, 2).mul(3), 2);
        return withGrads(y, [x], 26);
      },
    ],
    [
      'unfold / fold',
      () => {
        const x = leaf([2, 3, 16, 16], 27);
        const cols = unfold(x, { kernelSize: 3, padding: 1, stride: 2 }); // (2, 27, 64)
        const y = fold(cols.mul(2), { outputSize: [16, 16], kernelSize: 3, padding: 1, stride: 2 });
        return [cols, ...withGrads(y, [x], 28)];
      },
    ],
  ];
  const sizesOf = (ts: Tensor[]): Set<number> => new Set(ts.map((t) => t.size));
  for (const path of ['reference', 'js', 'fast'] as const) {
    for (const [name, run] of cases) {
      const what = `${name} on '${path}'`;
      const fresh = withPath(path, () =>
        withLimit(0, () => {
          emptyStoragePool();
          return run();
        }),
      );
      // Poison: for every element count the computation produced (inputs' sizes too, through the
      // gradients), several NaN-filled buffers in the pool, float32 and float64-sized.
      const poison: Tensor[] = [];
      for (const n of sizesOf(fresh)) for (let k = 0; k < 8; k++) poison.push(full([n], NaN));
      const reused0 = storageStats().reused;
      for (const t of poison) t.dispose();
      const dirty = withPath(path, run);
      assert.ok(storageStats().reused > reused0, `${what}: the computation drew from the poisoned pool`);
      assert.equal(dirty.length, fresh.length, what);
      dirty.forEach((t, i) => sameValues(t.data, fresh[i]!.data, `${what}, result ${i}`));
      emptyStoragePool();
    }
  }
});
