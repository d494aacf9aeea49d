/**
 * Re-runs every reproduction of issue #14's "Why" section against the current code and prints one
 * line per reproduction: what it gave then, what it gives now. Exit code 1 if any regressed.
 *
 *   npm run build && node --import tsx scripts/verify-issue14.ts [--huge]
 *
 * `--huge` adds interpolate's 8·10⁸-element outputs, forward and backward, and one at the element
 * budget, each in a child process of its own (several minutes, up to 10 GB at a time: see HUGE).
 * `--huge-case <name>` runs one of them. The thread modes run the built package (dist/) in child
 * processes.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as lib from '../src/index.js';
import { linearAt } from '../test/linear-oracle.js';
import { DeconvError, Tensor, randn, zeros, tensor, full, type KernelPath } from '../src/index.js';

const dist = fileURLToPath(new URL('../dist/src/index.js', import.meta.url));
let failures = 0;
const line = (ok: boolean, what: string, now: string): void => {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${now}`);
};

/** Runs `f`; 'DeconvError(fn, argument)' or the result's description; the time it took. */
function outcome(f: () => unknown): { text: string; error?: DeconvError; value?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    const value = f();
    const ms = performance.now() - t0;
    const text =
      value instanceof Tensor ? `a Tensor of shape [${value.shape.join(', ')}]` : JSON.stringify(value);
    return { text, value, ms };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof DeconvError)
      return { text: `DeconvError(${e.fn}, ${e.argument}): ${e.message}`, error: e, ms };
    return { text: `NOT a DeconvError: ${String(e)}`, ms };
  }
}

function refused(what: string, f: () => unknown, argument?: string, maxMs = 2000): void {
  const o = outcome(f);
  const ok = !!o.error && (argument === undefined || o.error.argument === argument) && o.ms < maxMs;
  line(ok, what, `${o.text.slice(0, 160)} (${o.ms.toFixed(0)} ms)`);
}

const PATHS: KernelPath[] = ['reference', 'js', 'wasm', 'fast'];
function onEveryPath(f: (p: KernelPath) => void): void {
  const saved = lib.getKernelPath();
  for (const p of PATHS) {
    lib.setKernelPath(p);
    try {
      f(p);
    } finally {
      lib.setKernelPath(saved);
    }
  }
}

/**
 * `--huge`: outputs of 8·10⁸ elements (3.2 GB; their tap tables were 40 bytes per output, and
 * 8·10⁸ ended in a RangeError after 114 s and 21.9 GB) and one at the element budget (2³¹ − 1
 * outputs, 8.6 GB), each checked against the closed form of linear (or Keys cubic) interpolation
 * of known values at 2000 outputs. One at a time: each needs up to 10 GB.
 */
const KNOWN = [1, -2, 0.5, 3];

/** Keys' cubic convolution (a = −0.75) of `v` at output `o` of `n`, indices clamped, in float64. */
function cubicAt(v: readonly number[], n: number, o: number): number {
  const a = -0.75;
  const w = (d: number): number => {
    const t = Math.abs(d);
    return t <= 1
      ? ((a + 2) * t - (a + 3)) * t * t + 1
      : t < 2
        ? ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
        : 0;
  };
  const x = Math.fround(v.length / n) * (o + 0.5) - 0.5;
  const i = Math.floor(x);
  let sum = 0;
  for (let j = i - 1; j <= i + 2; j++) sum += w(x - j) * v[Math.max(0, Math.min(j, v.length - 1))]!;
  return sum;
}

/** Samples of `[0, n)`: the ends, a few fractions and 2000 pseudo-random outputs. */
function samples(n: number): number[] {
  const out = [0, 1, 2, n - 1, n - 2, Math.floor(n / 3), Math.floor(n / 2)];
  let s = 12345;
  for (let k = 0; k < 2000; k++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(s % n);
  }
  return out;
}

/** The largest difference between `data` at offset `at + o` and `want(o)` over `samples(n)`. */
function worst(data: ArrayLike<number>, at: number, n: number, want: (o: number) => number): number {
  let e = 0;
  for (const o of samples(n)) e = Math.max(e, Math.abs(data[at + o]! - want(o)));
  return e;
}

const HUGE: Record<string, () => { ok: boolean; text: string }> = {
  'interpolate([1, 1, 4] known values, { size: [8e8], mode: linear }) forward': () => {
    const n = 8e8;
    const y = lib.interpolate(tensor(KNOWN, [1, 1, 4]), { size: [n], mode: 'linear' });
    const e = worst(y.data, 0, n, (o) => linearAt(KNOWN, n, o, false));
    return { ok: e < 1e-5, text: `largest difference from the closed form ${e.toExponential(2)}` };
  },
  'interpolate([1, 1, 4] known values, { size: [8e8], mode: linear, alignCorners: true }) forward': () => {
    const n = 8e8;
    const y = lib.interpolate(tensor(KNOWN, [1, 1, 4]), { size: [n], mode: 'linear', alignCorners: true });
    const e = worst(y.data, 0, n, (o) => linearAt(KNOWN, n, o, true));
    return { ok: e < 1e-5, text: `largest difference from the closed form ${e.toExponential(2)}` };
  },
  'interpolate([1, 1, 4], { size: [8e8], mode: linear }) backward of ones': () => {
    const n = 8e8;
    const x = tensor(KNOWN, [1, 1, 4], { requiresGrad: true });
    lib.interpolate(x, { size: [n], mode: 'linear' }).backward(full([1, 1, n], 1));
    // the gradient of Σ y: each input's total weight, Σ_o w_i(o)
    const want = [0, 0, 0, 0];
    for (let o = 0; o < n; o++) {
      const pos = Math.max(Math.fround(4 / n) * (o + 0.5) - 0.5, 0);
      const i = Math.min(Math.floor(pos), 3);
      const l = Math.fround(pos - i);
      want[i]! += Math.fround(1 - l);
      want[Math.min(i + 1, 3)]! += l;
    }
    const got = [...x.grad!.data];
    const e = Math.max(...got.map((g, i) => Math.abs(g - want[i]!) / want[i]!));
    return {
      ok: e < 1e-6,
      text: `gradient [${got.join(', ')}], closed form [${want.join(', ')}]: relative difference ${e.toExponential(2)}`,
    };
  },
  'interpolate([1, 1, 2, 4] known rows, { size: [2, 4e8], mode: bicubic }) forward': () => {
    const n = 4e8;
    const rows = [KNOWN, [3, 0, -1, 2]];
    const y = lib.interpolate(tensor(rows.flat(), [1, 1, 2, 4]), { size: [2, n], mode: 'bicubic' });
    const e = Math.max(...rows.map((v, r) => worst(y.data, r * n, n, (o) => cubicAt(v, n, o))));
    return { ok: e < 1e-5, text: `largest difference from the closed form ${e.toExponential(2)}` };
  },
  'interpolate([1, 1, 2, 4] known rows, { size: [2, 4e8], mode: bilinear }) forward': () => {
    const n = 4e8;
    const rows = [KNOWN, [3, 0, -1, 2]];
    const y = lib.interpolate(tensor(rows.flat(), [1, 1, 2, 4]), { size: [2, n], mode: 'bilinear' });
    const e = Math.max(...rows.map((v, r) => worst(y.data, r * n, n, (o) => linearAt(v, n, o, false))));
    return { ok: e < 1e-5, text: `largest difference from the closed form ${e.toExponential(2)}` };
  },
  'interpolate([1, 1, 4] known values, { size: [2 ** 31 - 1], mode: linear }) forward (the element budget)':
    () => {
      const n = 2 ** 31 - 1;
      try {
        const y = lib.interpolate(tensor(KNOWN, [1, 1, 4]), { size: [n], mode: 'linear' });
        const e = worst(y.data, 0, n, (o) => linearAt(KNOWN, n, o, false));
        return {
          ok: e < 1e-5,
          text: `produced; largest difference from the closed form ${e.toExponential(2)}`,
        };
      } catch (error) {
        return {
          ok: error instanceof DeconvError,
          text: `${error instanceof DeconvError ? '' : 'NOT '}a DeconvError: ${String(error)}`,
        };
      }
    },
};

const hugeCase = process.argv.indexOf('--huge-case');
if (hugeCase >= 0) {
  await lib.ready();
  const t0 = performance.now();
  const r = HUGE[process.argv[hugeCase + 1]!]!();
  const s = (performance.now() - t0) / 1000;
  const gb = process.resourceUsage().maxRSS / 2 ** 20;
  console.log(
    JSON.stringify({ ok: r.ok, text: `${r.text}; ${s.toFixed(1)} s, peak RSS ${gb.toFixed(2)} GB` }),
  );
  process.exit(0);
}

await lib.ready();
console.log('— fake tensors reach the kernels');
onEveryPath((p) => {
  const x = randn([1, 3, 5, 5], { seed: 1 });
  const fake = (v: unknown): Tensor => v as Tensor;
  refused(
    `${p}: conv2d(x, { shape: [3, 2, 3, 3], data: Float32Array(1) })`,
    () => lib.conv2d(x, fake({ shape: [3, 2, 3, 3], data: new Float32Array(1) })),
    'weight',
  );
  refused(
    `${p}: fake [32, 32, 3, 3] weight with 16 values`,
    () =>
      lib.conv2d(
        randn([1, 32, 8, 8], { seed: 2 }),
        fake({ shape: [32, 32, 3, 3], data: new Float32Array(16) }),
      ),
    'weight',
  );
  refused(`${p}: data: null`, () => lib.conv2d(x, fake({ shape: [3, 3, 3, 3], data: null })), 'weight');
  refused(
    `${p}: shape: 'abcd'`,
    () => lib.conv2d(x, fake({ shape: 'abcd', data: new Float32Array(81) })),
    'weight',
  );
});
refused(
  'new Tensor(new Float32Array(1), [1, 1, 3, 3])',
  () => new Tensor(new Float32Array(1), [1, 1, 3, 3]),
  'data',
);

console.log('— valid calls that crash or exhaust the machine');
onEveryPath((p) => {
  const w = zeros([3, 2, 3, 3]);
  const cases: [string, () => Tensor][] = [
    ['conv2d(zeros([0, 2, 2**31, 5]), w)', () => lib.conv2d(zeros([0, 2, 2 ** 31, 5]), w)],
    [
      'maxPool2d(zeros([0, 1, 4, 2**40]), { kernelSize: 1, dilation: [1, 2] })',
      () => lib.maxPool2d(zeros([0, 1, 4, 2 ** 40]), { kernelSize: 1, dilation: [1, 2] }) as Tensor,
    ],
    [
      'avgPool1d(zeros([0, 2, 2**32]), { kernelSize: 2, stride: 1 })',
      () => lib.avgPool1d(zeros([0, 2, 2 ** 32]), { kernelSize: 2, stride: 1 }),
    ],
    [
      "interpolate(zeros([0, 2, 4, 2**31 - 1]), { mode: 'bilinear', size: [1, 3] })",
      () => lib.interpolate(zeros([0, 2, 4, 2 ** 31 - 1]), { mode: 'bilinear', size: [1, 3] }),
    ],
  ];
  for (const [what, f] of cases) {
    const rss0 = process.memoryUsage().rss;
    const o = outcome(f);
    const grew = process.memoryUsage().rss - rss0;
    line(
      o.value instanceof Tensor && o.value.size === 0 && o.ms < 2000 && grew < 2 ** 28,
      `${p}: ${what}`,
      `${o.text} in ${o.ms.toFixed(0)} ms, RSS +${(grew / 2 ** 20).toFixed(0)} MB`,
    );
  }
});
if (process.argv.includes('--huge')) {
  // one child process per case, so that each reports its own time and peak RSS
  for (const name of Object.keys(HUGE)) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--huge-case', name],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let result: { ok: boolean; text: string } | undefined;
    try {
      result = JSON.parse(last) as { ok: boolean; text: string };
    } catch {
      result = undefined;
    }
    line(
      !!result?.ok,
      name,
      result?.text ?? `the child exited with ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-300)}`,
    );
  }
}

console.log('— the arithmetic helpers accept nonsense');
refused(
  'solveConvTranspose({ inputSize: 7, outputSize: 28, dilation: 2**40 })',
  () => lib.solveConvTranspose({ inputSize: 7, outputSize: 28, dilation: 2 ** 40 }),
  'dilation',
);
refused(
  'solveConvTranspose({ inputSize: 7, outputSize: 28, padding: 1e308 })',
  () => lib.solveConvTranspose({ inputSize: 7, outputSize: 28, padding: 1e308 }),
  'padding',
);
refused(
  'convTransposeOutputSize({ inputSize: 7, kernelSize: 3, dilation: 1e308 })',
  () => lib.convTransposeOutputSize({ inputSize: 7, kernelSize: 3, dilation: 1e308 }),
  'dilation',
);
refused('convTransposeOutputSize({ inputSize: 2**53, kernelSize: 6 })', () =>
  lib.convTransposeOutputSize({ inputSize: 2 ** 53, kernelSize: 6 }),
);
refused(
  'convOutputSize with an unknown key',
  () => lib.convOutputSize({ inputSize: 7, kernelSize: 3, strides: 2 } as never),
  'strides',
);
refused(
  "convOutputSize({ …, ceilMode: 'no' })",
  () => lib.convOutputSize({ inputSize: 7, kernelSize: 2, stride: 2, ceilMode: 'no' as never }),
  'ceilMode',
);

console.log('— silently wrong reductions and factories');
const m = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
refused('m.sum([1, 1])', () => m.sum([1, 1]), 'dims');
refused('m.mean([0, 0])', () => m.mean([0, 0]), 'dims');
refused('m.sum(true)', () => m.sum(true as never), 'dims');
refused("tensor(['a', 'b'], [2])", () => tensor(['a', 'b'] as never, [2]), 'values');
refused("full([2], 2**40, { dtype: 'int32' })", () => full([2], 2 ** 40, { dtype: 'int32' }), 'value');
refused("full([2], 2.5, { dtype: 'int32' })", () => full([2], 2.5, { dtype: 'int32' }), 'value');
refused("randn([2], { dtype: 'int32' })", () => randn([2], { dtype: 'int32' } as never), 'dtype');
refused('zeros([2], { foo: 1 })', () => zeros([2], { foo: 1 } as never), 'foo');
refused(
  "zeros([2], { requiresGrad: 'no' })",
  () => zeros([2], { requiresGrad: 'no' } as never),
  'requiresGrad',
);
refused("zeros([2], { dtype: 'float64' })", () => zeros([2], { dtype: 'float64' as never }), 'dtype');

console.log('— threads crash a whole kind of process');
const threaded = `import { setNumThreads, conv2d, randn, getNumThreads } from ${JSON.stringify(dist)};
await setNumThreads(2);
const y = conv2d(randn([1, 16, 96, 96], { seed: 1 }), randn([32, 16, 3, 3], { seed: 2 }));
console.log('threads', getNumThreads(), y.shape.join('x'));`;
for (const [what, args, input] of [
  ['--input-type=module -e', ['--input-type=module', '-e', threaded], undefined],
  ['--input-type=module from stdin', ['--input-type=module'], threaded],
] as const) {
  const r = spawnSync(process.execPath, [...args], { input, encoding: 'utf8', timeout: 60_000 });
  line(
    r.status === 0 && /threads 2 1x32x94x94/.test(r.stdout),
    `threaded conv2d in node ${what}`,
    `exit ${r.status}, ${(r.stdout + r.stderr).trim().split('\n').slice(-1)[0]}`,
  );
}
{
  const p1 = lib.setNumThreads(3);
  const p2 = lib.setNumThreads(1);
  const p3 = lib.setNumThreads(2);
  const got = await Promise.all([p1, p2, p3]);
  line(
    got.join() === '3,1,2' && lib.getNumThreads() === 2,
    'un-awaited setNumThreads(3), (1), (2)',
    `resolved ${got.join(', ')}, getNumThreads() = ${lib.getNumThreads()}`,
  );
  await lib.setNumThreads(1);
}

console.log('— numerics that differ by path');
onEveryPath((p) => {
  const x = zeros([1, 1, 5, 5]);
  x.data[12] = Infinity;
  const y = lib.conv2d(x, zeros([1, 1, 3, 3]));
  line(
    y.data.every((v) => Number.isNaN(v)),
    `${p}: conv2d(single +Inf, zero weight)`,
    `[${[...y.data].join(', ')}]`,
  );
  const z = tensor([-0, -0, -0, -0], [1, 1, 4]);
  for (const opts of [{ size: [7], mode: 'linear', alignCorners: true }, { size: [7] }] as const) {
    const v = lib.interpolate(z, opts as never);
    line(
      [...v.data].every((e) => Object.is(e, -0)),
      `${p}: interpolate(−0, ${JSON.stringify(opts)}) keeps −0`,
      [...v.data].map((e) => (Object.is(e, -0) ? '-0' : String(e))).join(' '),
    );
  }
});

console.log('— storageStats() in a synchronous loop');
{
  const before = await lib.settledStorageStats();
  let peak = 0;
  for (let i = 0; i < 500; i++) {
    randn([1024, 1024]);
    peak = Math.max(peak, lib.storageStats().liveBytes);
  }
  const after = await lib.settledStorageStats();
  const rss = process.memoryUsage().rss;
  line(
    after.liveBytes - before.liveBytes < 2 ** 26,
    'settledStorageStats() after 500 undisposed 4 MB tensors',
    `liveBytes ${(after.liveBytes / 2 ** 20).toFixed(0)} MB (peak inside the loop ${(peak / 2 ** 30).toFixed(1)} GB, as documented; RSS ${(rss / 2 ** 20).toFixed(0)} MB)`,
  );
}

console.log('— messages that blame the wrong argument');
onEveryPath((p) =>
  refused(
    `${p}: convTranspose2d(…, { padding: 2**31 - 1, outputSize: [5, 5] })`,
    () =>
      lib.convTranspose2d(randn([1, 1, 5, 5]), randn([1, 1, 3, 3]), {
        padding: 2 ** 31 - 1,
        outputSize: [5, 5],
      }),
    'padding',
  ),
);

console.log(failures === 0 ? 'every reproduction holds' : `${failures} reproduction(s) FAILED`);
process.exitCode = failures === 0 ? 0 : 1;
