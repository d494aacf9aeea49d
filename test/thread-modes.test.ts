/**
 * The worker pool in every way Node runs a script (issue #14): a CommonJS file, an ES module file,
 * `--input-type=module` from `-e` and from stdin, each with the `--import tsx` loader; a threaded op
 * runs, the process exits with 0 and nothing reaches an unhandled 'error' event. Then the order of
 * un-awaited setNumThreads calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setNumThreads, getNumThreads } from '../src/index.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
// a convolution large enough to be split across threads (≈ 3·10⁷ multiply-adds)
const body = (lib: string) => `
${lib}
(async () => {
  const n = await lib.setNumThreads(2);
  const y = lib.conv2d(lib.randn([1, 32, 64, 64], { seed: 1 }), lib.randn([32, 32, 3, 3], { seed: 2 }), { padding: 1 });
  await new Promise((r) => setTimeout(r, 200)); // a worker failure would surface after the op
  console.log('ok', n, y.shape.join('x'));
})();
`;
const esm = body(`const lib = await import(${JSON.stringify(entry)});`)
  .replace('(async () => {', '')
  .replace(/}\)\(\);\s*$/, '');

function runNode(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('threads start and report in CommonJS, ESM, --input-type=module and stdin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-threads-'));
  const cjs = join(dir, 'run.cjs');
  writeFileSync(cjs, body(`const lib = require(${JSON.stringify(entry)});`));
  const mjs = join(dir, 'run.mjs');
  writeFileSync(mjs, esm);
  const modes: [string, string[], string?][] = [
    ['CommonJS file', ['--import', 'tsx', cjs]],
    ['ESM file', ['--import', 'tsx', mjs]],
    ['--input-type=module -e', ['--import', 'tsx', '--input-type=module', '-e', esm]],
    ['--input-type=module from stdin', ['--import', 'tsx', '--input-type=module'], esm],
  ];
  for (const [what, args, input] of modes) {
    const r = runNode(args, input);
    assert.equal(r.status, 0, `${what}: exit status ${r.status}\n${r.out}`);
    assert.match(r.out, /ok 2 1x32x64x64/, `${what}: the threaded op ran on 2 threads\n${r.out}`);
  }
});

test('un-awaited setNumThreads calls resolve in call order, each to the value it set', async () => {
  const saved = getNumThreads();
  const order: number[] = [];
  const ps = [3, 1, 2].map((n) => setNumThreads(n).then((v) => (order.push(n), v)));
  assert.equal(getNumThreads(), 2, 'the last call is the setting');
  const values = await Promise.all(ps);
  assert.deepEqual(order, [3, 1, 2], 'resolved in call order');
  assert.deepEqual(values, [3, 1, 2], 'each to the value its call set');
  assert.equal(getNumThreads(), 2, 'still the last call');
  await setNumThreads(saved);
});
