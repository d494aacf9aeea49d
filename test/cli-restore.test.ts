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
import { readPng } from '../src/node.js';

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
    // the other methods: each runs and prints its PSNR; all but the blind one (which also has the
    // PSF to estimate) beat the blurred image
    for (const method of ['richardson-lucy', 'unsupervised-wiener', 'landweber', 'tv', 'blind']) {
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
          '20',
        ].concat(['--reference', 'assets/photo.png']),
        dir,
      );
      assert.equal(r.code, 0, `${method}: ${r.err}`);
      const m = /blurred ([\d.]+) dB, restored ([\d.]+) dB/.exec(r.out);
      assert.ok(m, `${method}: PSNR line in ${r.out}`);
      if (method !== 'blind')
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

test('sparse-code writes the filters, the sparse maps and the reconstruction', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-csc-'));
  try {
    mkdirSync(join(dir, 'assets'));
    copyFileSync(join(root, 'assets', 'photo.png'), join(dir, 'assets', 'photo.png'));
    const r = await runCli(
      [
        'sparse-code',
        'assets/photo.png',
        '--atoms',
        '8',
        '--kernel',
        '6',
        '--crop',
        '64',
        '--iterations',
        '3',
      ].concat(['--out', 'csc']),
      dir,
    );
    assert.equal(r.code, 0, r.err);
    // 8 cells in 3 columns (3 rows): filters 6×6 with 1 px padding, drawn 8× larger; maps 64×64 with 2 px
    const size = (f: string) => readPng(join(dir, 'csc', f)).shape.slice(1);
    assert.deepEqual(size('filters.png'), [8 * (3 * 6 + 4), 8 * (3 * 6 + 4)], 'filters grid');
    assert.deepEqual(size('maps.png'), [3 * 64 + 4 * 2, 3 * 64 + 4 * 2], 'maps grid');
    assert.deepEqual(size('reconstruction.png'), [64, 64], 'reconstruction');
    const psnr = Number(/reconstruction PSNR ([\d.]+) dB/.exec(r.out)?.[1]);
    assert.ok(psnr > 20, `reconstruction PSNR ${psnr} in ${r.out}`);
    const nz = /sparse maps: (\d+) of (\d+) coefficients non-zero/.exec(r.out);
    assert.ok(nz && Number(nz[1]) > 0 && Number(nz[1]) < Number(nz[2]), `sparse maps line in ${r.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
