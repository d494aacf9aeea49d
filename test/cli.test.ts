import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES, type CommandName } from '../cli/examples.js';
import { runCli } from './cli-util.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function workdir(): string {
  // an empty folder: the examples must run from any directory
  return mkdtempSync(join(tmpdir(), 'deconv-cli-'));
}

function checkFile(path: string): void {
  const bytes = readFileSync(path);
  if (path.endsWith('.png'))
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], path);
  else if (path.endsWith('.gif')) {
    assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a', path);
    assert.equal(bytes[bytes.length - 1], 0x3b, `${path}: GIF trailer`);
  } else if (path.endsWith('.svg')) {
    const text = bytes.toString('utf8');
    assert.ok(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), path);
    assert.ok(text.trimEnd().endsWith('</svg>'), path);
  } else if (path.endsWith('.json')) assert.doesNotThrow(() => JSON.parse(bytes.toString('utf8')), path);
  else assert.fail(`unexpected output ${path}`);
}

test('every example in the help runs and writes what it says', async () => {
  const dir = workdir();
  try {
    for (const [command, examples] of Object.entries(EXAMPLES) as [
      CommandName,
      (typeof EXAMPLES)[CommandName],
    ][]) {
      const help = await runCli([command, '--help'], dir);
      assert.equal(help.code, 0);
      for (const e of examples) {
        assert.ok(
          help.out.includes(`$ deconv ${e.args.join(' ')}`),
          `help of ${command} lists ${e.args.join(' ')}`,
        );
        const r = await runCli(e.args, dir);
        assert.equal(r.code, 0, `deconv ${e.args.join(' ')}: ${r.err}`);
        assert.equal(r.err, '');
        assert.ok(r.out.length > 0);
        if (e.writes) checkFile(join(dir, e.writes));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shape: the output sizes, computed independently', async () => {
  const dir = tmpdir();
  // o = s(i − 1) − 2p + k + a
  let r = await runCli(EXAMPLES.shape[0]!.args, dir);
  assert.match(r.out, new RegExp(`output size: ${2 * (16 - 1) - 2 * 1 + 3 + 0}\\n`));
  assert.match(r.out, /can also be 32/);
  r = await runCli(EXAMPLES.shape[1]!.args, dir);
  assert.match(r.out, new RegExp(`output size: ${2 * (16 - 1) - 2 * 1 + 3 + 1}\\n`));
  assert.match(r.out, /= 2·\(16 − 1\) − 2·1 \+ 3 \+ 1 = 32/);
  // ⌊(i + 2p − k) / s⌋ + 1 per dimension
  r = await runCli(EXAMPLES.shape[2]!.args, dir);
  const h = Math.floor((32 + 2 - 3) / 2) + 1;
  const w = Math.floor((24 + 2 - 3) / 2) + 1;
  assert.match(r.out, new RegExp(`output size: ${h}×${w}\\n`));
  assert.match(r.out, /H: .*= 16\n/);
  assert.match(r.out, /W: .*= 12\n/);
  // ceil mode: ⌈(7 − 2) / 2⌉ + 1
  r = await runCli(EXAMPLES.shape[3]!.args, dir);
  assert.match(r.out, new RegExp(`output size: ${Math.ceil((7 - 2) / 2) + 1}\\n`));
  r = await runCli(['shape', 'conv', '--input', '7', '--kernel', '3', '--padding', 'same'], dir);
  assert.match(r.out, /output size: 7\n/);
});

test('solve: 7 → 28 starts with kernel 4, stride 4, padding 0, with the four framework calls', async () => {
  const r = await runCli(EXAMPLES.solve[0]!.args, tmpdir());
  assert.equal(r.code, 0);
  const first = r.out.split('\n\n')[1]!;
  assert.match(first, /^1\. kernel 4, stride 4, padding 0, output padding 0, dilation 1\n/);
  assert.ok(4 * (7 - 1) + 4 === 28);
  assert.match(first, /PyTorch +nn\.ConvTranspose2d\(in_channels, out_channels, kernel_size=4, stride=4\)/);
  assert.match(
    first,
    /TF\.js +tf\.layers\.conv2dTranspose\(\{ filters, kernelSize: 4, strides: 4, padding: 'valid' \}\)/,
  );
  assert.match(
    first,
    /ONNX +ConvTranspose\(kernel_shape=\[4, 4\], strides=\[4, 4\], pads=\[0, 0, 0, 0\], output_padding=\[0, 0\], dilations=\[1, 1\]\)/,
  );
  assert.match(
    first,
    /Keras +keras\.layers\.Conv2DTranspose\(filters, kernel_size=4, strides=4, padding="valid"\)/,
  );
  const fixed = await runCli(EXAMPLES.solve[1]!.args, tmpdir());
  // 16 → 32 with k4 s2: 2·15 − 2p + 4 + a = 32 → p = 1, a = 0 first
  assert.match(fixed.out, /1\. kernel 4, stride 2, padding 1, output padding 0, dilation 1\n/);
  assert.match(fixed.out, /padding: 'same'/);
  const limited = await runCli(EXAMPLES.solve[2]!.args, tmpdir());
  assert.equal(limited.out.match(/^\d+\. /gm)?.length, 3);
  // what a framework cannot express is said
  const odd = await runCli(
    ['solve', '--in', '16', '--out', '32', '--kernel', '3', '--stride', '2', '--limit', '1'],
    tmpdir(),
  );
  assert.match(odd.out, /output padding 1/);
  assert.match(odd.out, /TF\.js +cannot express it/);
});

test('explain: the transposed animation prints the 5×5 output of i=2, k=3, s=2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-cli-'));
  try {
    const r = await runCli(
      ['explain', 'convTranspose', '--input', '2', '--kernel', '3', '--stride', '2', '-o', 'a.svg'],
      dir,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /input 2×2 → output 5×5/);
    assert.match(r.out, /25 frames \(one per output cell\)/);
    const rows = r.out.split('output (last frame):\n')[1]!.trim().split('\n');
    assert.equal(rows.length, 5);
    checkFile(join(dir, 'a.svg'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors: DeconvError messages without a stack, exit code 2; bad syntax exit code 2', async () => {
  const dir = tmpdir();
  let r = await runCli(['shape', 'conv', '--input', '7x', '--kernel', '3'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: deconv shape: --input = '7x' must be a positive integer/);
  assert.doesNotMatch(r.err, /\n\s+at /);
  r = await runCli(
    ['shape', 'convTranspose', '--input', '4', '--kernel', '3', '--stride', '2', '--output-padding', '2'],
    dir,
  );
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /--output-padding \(dimension 0\) = 2 must be smaller than --stride \(dimension 0\) = 2/,
  );
  r = await runCli(['explain', 'convTranspose', '--input', '2', '-o', 'x.txt'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /--output = 'x.txt' must end in .svg or .gif/);
  r = await runCli(['shape', 'deconvolve', '--input', '7', '--kernel', '3'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /value 'deconvolve' is invalid for argument 'op'/);
  r = await runCli(['solve', '--in', '7'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /required option '--out <size>' not specified/);
  r = await runCli(['frobnicate'], dir);
  assert.equal(r.code, 2);
  r = await runCli(['upsample', 'missing.png', 'out.png'], dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /deconv upsample: in = .* could not be read/);
});

test('the bin runs as a process: shebang, output, exit codes', () => {
  const bin = join(root, 'cli', 'deconv.ts');
  assert.ok(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n'));
  const ok = spawnSync(
    process.execPath,
    ['--import', 'tsx', bin, 'shape', 'conv', '--input', '7', '--kernel', '3'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /output size: 5\n/);
  const bad = spawnSync(
    process.execPath,
    ['--import', 'tsx', bin, 'shape', 'conv', '--input', '2', '--kernel', '3'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: deconv shape: --input \(dimension 0\) = 2 is too small/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const r = await runCli(['--version'], tmpdir());
  assert.equal(r.code, 0);
  assert.equal(r.out.trim(), pkg.version);
});

test('matrix convTranspose: Cᵀ as text without -o, each column the transposed convolution of a unit input', async () => {
  const { convTranspose2d, matrixView, tensor } = await import('../src/index.js');
  const r = await runCli(
    ['matrix', 'convTranspose', '--input', '2', '--kernel', '3', '--stride', '2', '--output-padding', '1'],
    tmpdir(),
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /transposed convolution of a 2×2 input with a 3×3 kernel → 6×6/);
  assert.match(r.out, /its matrix is Cᵀ, 36×4/);
  const kernel = matrixView({ inputSize: 6, kernelSize: 3, stride: 2 }).kernel;
  const block = r.out.split('Cᵀ (the transposed convolution):\n')[1]!.split('\n\n')[0]!.trim().split('\n');
  assert.equal(block.length, 36, 'one text row per output cell');
  const rows = block.map((line) =>
    line
      .split('|')[1]!
      .trim()
      .split(/\s+/)
      .map((v) => (v === '.' ? 0 : Number(v))),
  );
  for (let col = 0; col < 4; col++) {
    const unit = new Float32Array(4);
    unit[col] = 1;
    const y = convTranspose2d(tensor(unit, [1, 1, 2, 2]), tensor(Float32Array.from(kernel), [1, 1, 3, 3]), {
      stride: 2,
      outputPadding: 1,
    });
    assert.deepEqual(
      rows.map((row) => row[col]),
      Array.from(y.data),
      `column ${col} of Cᵀ`,
    );
  }
  const big = await runCli(['matrix', '--input', '12', '--kernel', '3'], tmpdir());
  assert.equal(big.code, 0, big.err);
  assert.match(big.out, /too large to print as text \(100×144\): give -o/);
  const bad = await runCli(['matrix', '--input', '4', '--kernel', '3', '--output-padding', '1'], tmpdir());
  assert.match(bad.err, /--output-padding = '1' is for convTranspose only/);
});

test('shape: --groups gives the weight shape; --input 16x16x16 is shown as given', async () => {
  let r = await runCli(
    [
      'shape',
      'conv',
      '--input',
      '16x16x16',
      '--kernel',
      '3',
      '--groups',
      '4',
      '--in-channels',
      '8',
      '--out-channels',
      '12',
    ],
    tmpdir(),
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^conv: input 16×16×16, /);
  assert.match(r.out, /output size: 14×14×14/);
  assert.match(r.out, /channels: 8 → 12 in 4 groups of 2 → 3; weight \(12, 2, 3, 3, 3\)/);
  r = await runCli(
    [
      'shape',
      'convTranspose',
      '--input',
      '8',
      '--kernel',
      '4',
      '--stride',
      '2',
      '--groups',
      '2',
      '--in-channels',
      '6',
      '--out-channels',
      '4',
    ],
    tmpdir(),
  );
  assert.match(r.out, /weight \(6, 2, 4\)/, 'convTranspose: (in, out / groups, k)');
  r = await runCli(
    ['shape', 'conv', '--input', '8', '--kernel', '3', '--groups', '3', '--in-channels', '8'],
    tmpdir(),
  );
  assert.equal(r.code, 2);
  assert.match(r.err, /deconv shape: --in-channels = 8 must be divisible by --groups = 3/);
});

test("errors in the CLI's words: flags, not library functions or API advice", async () => {
  const cases: [string[], RegExp][] = [
    [
      ['checkerboard', '--kernel', '3', '--stride', '2', '--layers', '12', '-o', 'x.png'],
      /^error: deconv checkerboard: --layers = 12 must be/,
    ],
    [['matrix', '--input', '5', '--kernel', '3', '--row', '99'], /^error: deconv matrix: --row = 99 must be/],
    [
      ['shape', 'convTranspose', '--input', '4', '--kernel', '3', '--stride', '2', '--output-padding', '2'],
      /--output-padding \(dimension 0\) = 2 must be smaller than --stride \(dimension 0\) = 2/,
    ],
    [
      ['explain', 'conv', '--input', '40', '-o', 'x.svg'],
      /^error: deconv explain: --input = \[40, 40\] gives 1444 output cells/,
    ],
    [
      ['upsample', join(root, 'test', 'fixtures', 'png', 'photo-really-a.jpg'), 'o.png'],
      /deconv upsample: in = '.*' is a JPEG image, not a PNG image/,
    ],
    [
      ['upsample', join(root, 'test', 'fixtures', 'png', 'bomb-12000x12000.png'), 'o.png'],
      /more than maxPixels = 67108864; it was not decoded\n/,
    ],
  ];
  const dir = workdir();
  try {
    for (const [args, want] of cases) {
      const r = await runCli(args, dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, want, args.join(' '));
      assert.doesNotMatch(
        r.err,
        /matrixView|buildAnimation|convOutputSize|convTransposeOutputSize|readPng|error: checkerboard|strict: false|pass a larger/,
        r.err,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hostile PNG: the process exits 2 with a message, no abort, nothing written', () => {
  const bin = join(root, 'cli', 'deconv.ts');
  const dir = workdir();
  try {
    for (const f of ['huge-ihdr-2147483647x1.png', 'truncated-image-data.png']) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', bin, 'upsample', join(root, 'test', 'fixtures', 'png', f), join(dir, 'out.png')],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(r.status, 2, `${f}: ${r.stderr}`);
      assert.match(r.stderr, /^error: deconv upsample: in = /, f);
      assert.throws(() => readFileSync(join(dir, 'out.png')), /ENOENT/, `${f}: nothing written`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('solve: the count says "the first 1000" when the search stops, and the help states the order', async () => {
  const r = await runCli(['solve', '--in', '3', '--out', '224', '--limit', '1'], tmpdir());
  assert.match(
    r.out,
    /: the first 1000 \(the search stops there\) configurations, simplest first; showing 1/,
  );
  const help = await runCli(['solve', '--help'], tmpdir());
  assert.match(
    help.out,
    /Simplest first means: dilation 1 first, then output padding 0, then no checkerboard/,
  );
  const seven = await runCli(['solve', '--in', '7', '--out', '28', '--limit', '3'], tmpdir());
  assert.match(
    seven.out,
    /1\. kernel 4, stride 4, padding 0[^\n]*\n[\s\S]*2\. kernel 8, stride 4, padding 2/,
  );
});
