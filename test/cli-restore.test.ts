/**
 * `deconv blur`, `deblur`, `sparse-code` (cli/restore.ts) beyond "the examples run" (test/cli.test.ts):
 * the PSNR lines, the PSF written and read back, and argument errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-util.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('blur then deblur: the restored image is closer to the sharp one (PSNR printed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-restore-'));
  try {
    mkdirSync(join(dir, 'assets'));
    copyFileSync(join(root, 'assets', 'photo.png'), join(dir, 'assets', 'photo.png'));
    let r = await runCli(
      ['blur', 'assets/photo.png', 'b.png', '--psf', 'box', '--size', '5', '--psf-out', 'p.png'],
      dir,
    );
    assert.equal(r.code, 0, r.err);
    for (const method of ['tikhonov', 'rl-adjoint', 'wiener']) {
      r = await runCli(
        [
          'deblur',
          'b.png',
          `r-${method}.png`,
          '--psf',
          'p.png',
          '--method',
          method,
          '--iterations',
          '8',
          '--reference',
          'assets/photo.png',
        ],
        dir,
      );
      assert.equal(r.code, 0, `${method}: ${r.err}`);
      const m = /blurred ([\d.]+) dB, restored ([\d.]+) dB/.exec(r.out);
      assert.ok(m, `${method}: PSNR line in ${r.out}`);
      assert.ok(Number(m[2]) > Number(m[1]), `${method}: restored ${m[2]} dB > blurred ${m[1]} dB`);
    }
    r = await runCli(['deblur', 'b.png', 'x.png', '--psf', 'p.png', '--method', 'magic'], dir);
    assert.equal(r.code, 2, 'unknown method');
    r = await runCli(['deblur', 'b.png', 'x.png', '--psf', 'p.png', '--boundary', 'wrap'], dir);
    assert.equal(r.code, 2, 'unknown boundary');
    assert.match(r.err, /--boundary/);
    r = await runCli(['blur', 'assets/photo.png', 'x.png', '--psf', 'disk'], dir);
    assert.equal(r.code, 2, 'unknown psf');
    assert.match(r.err, /--psf/);
    r = await runCli(['sparse-code', 'assets/photo.png', '--kernel', '99'], dir);
    assert.equal(r.code, 2, 'kernel too large');
    r = await runCli(['sparse-code', 'assets/photo.png', '--crop', '1000'], dir);
    assert.equal(r.code, 2, 'crop larger than the image');
    assert.match(r.err, /--crop/);
    // a motion blur along a negative angle, without noise spelt out as 0
    r = await runCli(
      ['blur', 'assets/photo.png', 'm.png', '--psf', 'motion', '--angle', '-30', '--noise', '0'],
      dir,
    );
    assert.equal(r.code, 0, r.err);
    r = await runCli(['blur', 'assets/photo.png', 'm.png', '--psf', 'motion', '--angle', 'x'], dir);
    assert.equal(r.code, 2, 'angle not a number');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
