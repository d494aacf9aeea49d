/**
 * scripts/zeiler-demo.ts, small: a deconvolutional-network layer learned from photo patches and
 * from MNIST digits writes its pictures, its objective falls and its maps are sparse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zeilerDemo } from '../scripts/zeiler-demo.js';

for (const source of ['photo', 'mnist'] as const) {
  test(`Zeiler demo (${source}): pictures written, objective falls, sparse maps`, () => {
    const out = mkdtempSync(join(tmpdir(), 'deconv-zeiler-'));
    try {
      const s = zeilerDemo({ source, out, atoms: 4, kernel: 5, images: 4, iterations: 6, patch: 20 });
      for (const f of s.files) assert.ok(existsSync(join(out, f)), `${f} written`);
      const png = readFileSync(join(out, 'filters.png'));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'filters.png is a PNG');
      assert.ok(s.objective[s.objective.length - 1]! < s.objective[0]!, `objective ${s.objective.join(' ')}`);
      assert.ok(s.density > 0 && s.density < 0.5, `density ${s.density}`);
      assert.ok(s.relativeError < 0.9, `relative error ${s.relativeError}`);
      assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /Deconvolutional Networks/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
