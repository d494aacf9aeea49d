/**
 * readPng against files whose samples did not come from our decoder (scripts/gen_png_fixtures.py
 * writes them and checks each with Pillow), and against a corpus of hostile files: each must be
 * refused with a DeconvError naming the source, quickly and without inflating the image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeconvError, encodePng, readPng, tensor } from '../src/index.js';
import { readPng as readPngFile } from '../src/io/pngFile.js';

const DIR = join(import.meta.dirname, 'fixtures', 'png');
const valid = JSON.parse(readFileSync(join(DIR, 'valid.json'), 'utf8')) as {
  file: string;
  height: number;
  width: number;
  rgb: number[];
  refused?: string;
}[];
const hostile = JSON.parse(readFileSync(join(DIR, 'hostile.json'), 'utf8')) as {
  file: string;
  match: string;
}[];

test('every colour type, bit depth and Adam7 interlacing reads pixel-exact (samples checked by Pillow)', () => {
  assert.ok(valid.length >= 20, 'the corpus has its 20 files');
  for (const c of valid) {
    if (c.refused) {
      assert.throws(
        () => readPng(new Uint8Array(readFileSync(join(DIR, c.file)))),
        new RegExp(c.refused),
        c.file,
      );
      continue;
    }
    const t = readPng(new Uint8Array(readFileSync(join(DIR, c.file))));
    assert.deepEqual(t.shape, [3, c.height, c.width], c.file);
    const want = Float32Array.from(c.rgb);
    for (let i = 0; i < want.length; i++) {
      if (t.data[i] !== want[i]) assert.fail(`${c.file}: element ${i} is ${t.data[i]}, expected ${want[i]}`);
    }
  }
});

test('encodePng → readPng round-trips 8-bit levels for 1 to 4 channels', () => {
  const levels = Array.from({ length: 24 }, (_, i) => (i * 11) / 255);
  for (const c of [1, 2, 3, 4]) {
    const img = tensor(levels.slice(0, c * 6), [c, 2, 3]);
    const back = readPng(encodePng(img));
    const grey = c < 3;
    for (let k = 0; k < 3; k++)
      for (let p = 0; p < 6; p++) {
        const want = Math.fround(levels[(grey ? 0 : k) * 6 + p]!);
        assert.equal(back.data[k * 6 + p], want, `C = ${c}, channel ${k}, pixel ${p}`);
      }
  }
});

test('the hostile corpus: each file refused with a DeconvError naming the source, in well under a second', () => {
  assert.ok(hostile.length >= 20, 'the corpus has its files');
  for (const h of hostile) {
    const path = join(DIR, h.file);
    const bytes = new Uint8Array(readFileSync(path));
    const t0 = performance.now();
    assert.throws(
      () => readPng(bytes),
      (e: unknown) => {
        assert.ok(e instanceof DeconvError, `${h.file}: a DeconvError (got ${String(e)})`);
        assert.equal(e.argument, 'source', h.file);
        assert.ok(e.message.startsWith('readPng: source = Uint8Array('), `${h.file}: ${e.message}`);
        assert.ok(e.message.includes(h.match), `${h.file}: '${e.message}' should say '${h.match}'`);
        return true;
      },
    );
    const ms = performance.now() - t0;
    assert.ok(ms < 1500, `${h.file} took ${ms.toFixed(0)} ms to refuse`);
    // by path (deconv/node): the message names the file
    assert.throws(
      () => readPngFile(path),
      (e: unknown) =>
        e instanceof DeconvError && e.message.includes(`'${path}'`) && e.message.includes(h.match),
      h.file,
    );
  }
});

test('the 12000 × 12000 bomb decodes only when maxPixels allows it, and maxPixels is checked', () => {
  const bytes = new Uint8Array(readFileSync(join(DIR, 'bomb-12000x12000.png')));
  assert.throws(() => readPng(bytes, { maxPixels: 1e8 }), /maxPixels/, 'still above 1e8 pixels? no: 1.44e8');
  assert.throws(
    () => readPng(bytes, { maxPixels: 0 }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'maxPixels',
  );
  assert.throws(
    () => readPng(bytes, { maxPixel: 5 } as never),
    (e: unknown) => e instanceof DeconvError,
  );
  const small = encodePng(tensor([0, 0.5, 1, 0.25], [1, 2, 2]));
  assert.throws(() => readPng(small, { maxPixels: 3 }), /2 × 2 = 4 pixels, more than maxPixels = 3/);
  assert.deepEqual(readPng(small, { maxPixels: 4 }).shape, [3, 2, 2]);
});

test('the root readPng refuses a path and points to deconv/node', () => {
  assert.throws(() => readPng('photo.png' as never), /import \{ readPng \} from 'deconv\/node'/);
  assert.throws(
    () => readPng(42 as never),
    (e: unknown) => e instanceof DeconvError && e.argument === 'source',
  );
});

test('readPng reads null options as none (as every other options argument), in both entries', () => {
  const bytes = encodePng(tensor([0, 0.5, 1, 0.25], [1, 2, 2]));
  const nullOptions = null as unknown as Record<string, never>;
  assert.deepEqual(readPng(bytes, nullOptions).shape, [3, 2, 2]);
  assert.deepEqual(readPngFile(bytes, nullOptions).shape, [3, 2, 2]);
});

test('encodePng returns a Uint8Array that owns exactly the file (not a view into a larger buffer)', () => {
  const bytes = encodePng(tensor([0, 0.5, 1, 0.25], [1, 2, 2]));
  assert.equal(bytes.constructor, Uint8Array);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.length);
  assert.deepEqual(readPng(new Uint8Array(bytes.buffer)).shape, [3, 2, 2]);
});
