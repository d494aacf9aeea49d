/**
 * Tensor storage in WebAssembly memory (src/storage.ts, the engine's arena in
 * src/kernels/wasm/loader.ts): tensors of pool size are blocks of the shared memory, the kernels
 * read and write them in place, `data` never changes behind the user's back and never detaches,
 * a block is reused only after dispose() or once its view is garbage-collected, no growth over
 * 10⁴ calls, releaseWasmMemory() gives the memory back, plain memories and oversized requests fall
 * back to ordinary arrays, and dirty blocks (filled with NaN) never reach a result on any path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  Tensor,
  avgPool2d,
  conv2d,
  convTranspose2d,
  fold,
  full,
  getKernelPath,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  pixelShuffle,
  pixelUnshuffle,
  randn,
  releaseWasmMemory,
  setKernelPath,
  storageStats,
  tensor,
  unfold,
  zeros,
  type KernelPath,
} from '../src/index.js';
import { storageTuning } from '../src/storage.js';
import { defaultEngine, newEngine, bestVariant, MAX_LENT_BYTES } from '../src/kernels/wasm/loader.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function withPath<T>(path: KernelPath, f: () => T): T {
  const saved = getKernelPath();
  setKernelPath(path);
  try {
    return f();
  } finally {
    setKernelPath(saved);
  }
}

function withWasmStorage<T>(on: boolean, f: () => T): T {
  const saved = storageTuning.wasm;
  storageTuning.wasm = on;
  try {
    return f();
  } finally {
    storageTuning.wasm = saved;
  }
}

async function collect(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Bitwise-equal values (NaN equal to NaN, ±0 equal). */
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

const overlaps = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;

test('tensors of pool size live in WebAssembly memory; kernels write them in place', () => {
  const e = defaultEngine()!;
  assert.ok(e.shared, 'Node has shared memory');
  const x = randn([1, 8, 64, 64], { seed: 1 });
  assert.ok(x.data.buffer instanceof SharedArrayBuffer, 'x is a view of the shared memory');
  assert.ok(e.owns(x.data), 'of the default engine');
  assert.ok(storageStats().wasmBytes >= x.data.byteLength, 'counted in wasmBytes');
  const small = randn([4, 4], { seed: 2 });
  assert.ok(!(small.data.buffer instanceof SharedArrayBuffer), 'small tensors stay ordinary arrays');
  for (const path of ['wasm', 'fast'] as const) {
    const y = withPath(path, () => interpolate(x, { scaleFactor: 2, mode: 'bilinear' }));
    const yr = withPath('reference', () => interpolate(x, { scaleFactor: 2, mode: 'bilinear' }));
    assert.ok(e.owns(y.data), `${path}: the output is a block`);
    sameValues(y.data, yr.data, `${path}: bilinear in place equals the reference`);
    const { output, indices } = withPath(path, () => maxPool2d(x, { kernelSize: 2, returnIndices: true }));
    assert.ok(e.owns(indices.data), 'int32 storage is a block too');
    const u = withPath(path, () => maxUnpool2d(output, indices, { kernelSize: 2 }));
    const ur = withPath('reference', () => maxUnpool2d(output, indices, { kernelSize: 2 }));
    sameValues(u.data, ur.data, `${path}: maxUnpool in place equals the reference`);
    for (const t of [y, yr, output, indices, u, ur]) t.dispose();
  }
});

test('a held view never changes and never detaches: memory growth, dispose and reuse', () => {
  const t = randn([64, 1024], { seed: 3 });
  const kept = t.data as Float32Array;
  const copy = Float32Array.from(kept);
  const length = kept.length;
  const offset = kept.byteOffset;
  // grow the memory well past its size, reuse freed blocks of every size around it
  const big = zeros([8, 1024, 1024]);
  for (let i = 0; i < 50; i++) full([64, 1024], i).dispose();
  big.dispose();
  assert.equal(kept.length, length, 'not detached');
  assert.equal(kept.byteOffset, offset, 'not moved');
  sameValues(kept, copy, 'unchanged');
  const again = full([64, 1024], 7);
  assert.ok(!overlaps(again.data, kept), 'a live block is not handed out');
  t.dispose();
  const next = full([64, 1024], 9);
  assert.equal(next.data.byteOffset, offset, 'a disposed block is handed out again');
  again.dispose();
  next.dispose();
});

test('a block goes back when its view is garbage-collected, never while the view is held', async () => {
  const shape = [7, 1033]; // a byte length no other test uses
  const before = storageStats();
  let kept: Float32Array | null = (() => full(shape, 5).data as Float32Array)(); // tensor dropped
  (() => {
    full(shape, 1); // dropped with its view
  })();
  await collect();
  const after = storageStats();
  assert.ok(after.wasmCollected > before.wasmCollected, 'the dropped view’s block came back');
  const fresh = [zeros(shape), zeros(shape), zeros(shape)];
  for (const f of fresh) assert.ok(!overlaps(f.data, kept), 'the kept view’s block is not reused');
  assert.ok(
    kept.every((v) => v === 5),
    'the kept view is intact',
  );
  for (const f of fresh) f.dispose();
  kept = null;
});

test('no growth over 10⁴ calls, with dispose() and without', async () => {
  const e = defaultEngine()!;
  const x = randn([1, 8, 64, 64], { seed: 13 });
  const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
  const step = (dispose: boolean): void => {
    const u = maxUnpool2d(output, indices, { kernelSize: 2 });
    const v = interpolate(output, { scaleFactor: 2, mode: 'nearest' });
    if (dispose) {
      u.dispose();
      v.dispose();
    }
  };
  for (let i = 0; i < 10; i++) step(true);
  const memory0 = e.fns.memory.buffer.byteLength;
  const arena0 = e.arenaBytes;
  for (let i = 0; i < 10_000; i++) step(true);
  assert.equal(e.fns.memory.buffer.byteLength, memory0, 'memory did not grow (dispose)');
  assert.equal(e.arenaBytes, arena0, 'the arena did not grow (dispose)');
  // without dispose the views die with the tensors; the collector gives their blocks back
  let peak = 0;
  for (let i = 0; i < 10_000; i++) {
    step(false);
    if (i % 1000 === 999) {
      peak = Math.max(peak, e.arenaBytes);
      await collect();
    }
  }
  const perThousand = 1000 * 2 * 131072;
  assert.ok(peak <= arena0 + perThousand + 2 ** 20, `the arena stays bounded without dispose (${peak})`);
});

test('plain memories and storage beyond the lending limit fall back to ordinary arrays', () => {
  const plain = newEngine(bestVariant()!, false);
  assert.equal(plain.lend(4096), -1, 'a plain memory lends nothing (growing it detaches views)');
  const shared = newEngine(bestVariant()!, true);
  assert.equal(shared.lend(MAX_LENT_BYTES + 64), -1, 'nothing beyond MAX_LENT_BYTES');
  const a = withWasmStorage(false, () => randn([1, 8, 64, 64], { seed: 4 }));
  assert.ok(!(a.data.buffer instanceof SharedArrayBuffer), 'switched off: ordinary arrays');
  const y = withPath('wasm', () => interpolate(a, { scaleFactor: 2, mode: 'nearest' }));
  const yr = withPath('reference', () => interpolate(a, { scaleFactor: 2, mode: 'nearest' }));
  sameValues(y.data, yr.data, 'an ordinary-array input is copied in');
});

test('releaseWasmMemory() gives the memory back; views still held stay valid', () => {
  const t = randn([1, 8, 64, 64], { seed: 5 });
  const kept = t.data;
  const copy = Float32Array.from(kept);
  const old = defaultEngine()!;
  releaseWasmMemory();
  const e = defaultEngine()!;
  assert.notEqual(e, old, 'a fresh engine');
  const y = withPath('wasm', () => interpolate(t, { scaleFactor: 2, mode: 'nearest' }));
  assert.ok(e.owns(y.data) && !e.owns(kept), 'new storage in the new memory; the old input copied in');
  sameValues(kept, copy, 'the held view is intact');
  t.dispose(); // gives its block to the dropped engine: harmless
  y.dispose();
});

/**
 * Every op family, forward and backward, once with ordinary fresh arrays and once with the
 * engine's free blocks full of NaN; bit for bit equal.
 */
test('dirty blocks never leak into results (every op family, every path)', () => {
  const leaf = (shape: number[], seed: number): Tensor =>
    tensor(randn(shape, { seed }).data, shape, { requiresGrad: true });
  const withGrads = (out: Tensor, inputs: Tensor[], seed: number): Tensor[] => {
    out.backward(randn([...out.shape], { seed }));
    return [out, ...inputs.map((t) => t.grad!)];
  };
  const cases: [string, () => Tensor[]][] = [
    [
      'conv2d',
      () => {
        const x = leaf([2, 3, 16, 16], 1);
        const w = leaf([4, 3, 3, 3], 2);
        return withGrads(conv2d(x, w, { padding: 1 }), [x, w], 4);
      },
    ],
    [
      'convTranspose2d',
      () => {
        const x = leaf([2, 16, 8, 8], 5);
        const w = leaf([16, 8, 4, 4], 6);
        return withGrads(convTranspose2d(x, w, { stride: 2, padding: 1 }), [x, w], 7);
      },
    ],
    [
      'convTranspose2d k2 s2 (U-Net: the GEMM stores the phases into the output)',
      () => {
        const x = leaf([2, 16, 4, 16], 30);
        const w = leaf([16, 8, 2, 2], 31);
        return withGrads(convTranspose2d(x, w, { stride: 2 }), [x, w], 32);
      },
    ],
    [
      'maxPool2d + maxUnpool2d',
      () => {
        const x = leaf([2, 8, 32, 32], 8);
        const { output, indices } = maxPool2d(x, { kernelSize: 2, returnIndices: true });
        return [indices, ...withGrads(maxUnpool2d(output.mul(2), indices, { kernelSize: 2 }), [x], 9)];
      },
    ],
    [
      'avgPool2d',
      () => {
        const x = leaf([2, 4, 33, 33], 12);
        return withGrads(avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [x], 13);
      },
    ],
    ...(['nearest', 'bilinear', 'bicubic'] as const).map((mode, i): [string, () => Tensor[]] => [
      `interpolate ${mode}`,
      () => {
        const x = leaf([2, 3, 32, 32], 14 + i);
        return withGrads(interpolate(x, { size: [64, 48], mode }), [x], 20 + i);
      },
    ]),
    [
      'pixelShuffle / pixelUnshuffle',
      () => {
        const x = leaf([2, 16, 16, 16], 25);
        return withGrads(pixelUnshuffle(pixelShuffle(x, 2).mul(3), 2), [x], 26);
      },
    ],
    [
      'unfold / fold',
      () => {
        const x = leaf([2, 3, 32, 32], 27);
        const cols = unfold(x, { kernelSize: 3, padding: 1, stride: 2 });
        const y = fold(cols.mul(2), { outputSize: [32, 32], kernelSize: 3, padding: 1, stride: 2 });
        return [cols, ...withGrads(y, [x], 28)];
      },
    ],
  ];
  for (const path of ['reference', 'js', 'fast', 'wasm'] as const) {
    for (const [name, run] of cases) {
      const what = `${name} on '${path}'`;
      const fresh = withWasmStorage(false, () => withPath(path, run));
      const poison: Tensor[] = [];
      for (const n of new Set(fresh.map((t) => t.size)))
        for (let k = 0; k < 6; k++) poison.push(full([n], NaN));
      const blocks = poison.filter((t) => defaultEngine()!.owns(t.data)).map((t) => t.data);
      assert.ok(blocks.length > 0, `${what}: poisoned blocks`);
      for (const t of poison) t.dispose();
      const dirty = withPath(path, run);
      assert.ok(
        dirty.some((t) => blocks.some((p) => overlaps(t.data, p))),
        `${what}: the computation drew from the poisoned blocks`,
      );
      assert.equal(dirty.length, fresh.length, what);
      dirty.forEach((t, i) => sameValues(t.data, fresh[i]!.data, `${what}, result ${i}`));
    }
  }
});
