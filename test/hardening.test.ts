/**
 * The reproductions of issue #14, each on every kernel path: a DeconvError naming the argument,
 * or PyTorch 1.13's result (test/fixtures/hardening.json from scripts/gen_hardening_fixtures.py).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as lib from '../src/index.js';
import { DeconvError, Tensor, randn, zeros, tensor, full, type KernelPath } from '../src/index.js';
import {
  WASM_VARIANTS,
  bestVariant,
  newEngine,
  setWasmVariant,
  wasmSupport,
} from '../src/kernels/wasm/loader.js';
import { convScatterSubpixelWasm } from '../src/kernels/wasm/subpixel.js';
import { convTransposeGeometry } from './geometry-of.js';

const PATHS: readonly KernelPath[] = ['reference', 'js', 'wasm', 'fast'];
const saved = lib.getKernelPath();
before(async () => {
  await lib.ready();
});
after(() => lib.setKernelPath(saved));

function onEveryPath(f: (path: KernelPath) => void): void {
  for (const p of PATHS) {
    lib.setKernelPath(p);
    try {
      f(p);
    } finally {
      lib.setKernelPath(saved);
    }
  }
}

function refuses(f: () => unknown, fn: string, argument: string, what: string): void {
  assert.throws(
    f,
    (e: unknown) =>
      e instanceof DeconvError && e.fn === fn && e.argument === argument && e.message.startsWith(`${fn}: `),
    `${what}: must be a DeconvError of ${fn} naming ${argument}`,
  );
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/hardening.json', import.meta.url), 'utf8')) as {
  numerics: {
    op: string;
    input: (number | string)[];
    inputShape: number[];
    weightShape?: number[];
    options: Record<string, unknown>;
    output: (number | string)[];
    outputShape: number[];
  }[];
  cpuCapability: string;
  bicubicWeights: { inSize: number; options: Record<string, unknown>; weights: (number | string)[] }[];
  bicubicSigns: {
    op: string;
    input: (number | string)[];
    inputShape: number[];
    options: Record<string, unknown>;
    output: (number | string)[];
    outputShape: number[];
  }[];
  backwardSigns: {
    op: string;
    inputShape: number[];
    options: Record<string, unknown>;
    gradOutput: (number | string)[];
    gradOutputShape: number[];
    gradInput: (number | string)[];
  }[];
  nonFiniteWeights: {
    op: string;
    input: (number | string)[];
    inputShape: number[];
    weight: (number | string)[];
    weightShape: number[];
    options: Record<string, unknown>;
    output: (number | string)[];
    outputShape: number[];
    gradInput: (number | string)[];
  }[];
  emptyBatch: {
    op: string;
    inputShape: number[];
    weightShape?: number[];
    options: Record<string, unknown>;
    outputShape: number[] | { error: string };
  }[];
};

const decode = (v: number | string): number =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0' ? -0 : (v as number);

test('fake weights and biases never reach a kernel', () => {
  onEveryPath((p) => {
    const x = randn([1, 3, 5, 5], { seed: 1 });
    const fakes: [string, unknown][] = [
      ['short data', { shape: [2, 3, 3, 3], data: new Float32Array(1) }],
      ['full data', { shape: [2, 3, 3, 3], data: new Float32Array(54), dtype: 'float32', size: 54 }],
      ['data null', { shape: [2, 3, 3, 3], data: null }],
      ["shape 'abcd'", { shape: 'abcd', data: new Float32Array(54) }],
    ];
    for (const [what, w] of fakes)
      refuses(() => lib.conv2d(x, w as Tensor), 'conv2d', 'weight', `${p}: ${what}`);
    const w = randn([2, 3, 3, 3], { seed: 2 });
    refuses(
      () => lib.conv2d(x, w, { bias: { shape: [2], data: new Float32Array(2) } as unknown as Tensor }),
      'conv2d',
      'bias',
      `${p}: fake bias`,
    );
    // the wasm reproduction: a fake [32, 32, 3, 3] weight with 16 values
    const x32 = randn([1, 32, 8, 8], { seed: 3 });
    refuses(
      () => lib.conv2d(x32, { shape: [32, 32, 3, 3], data: new Float32Array(16) } as unknown as Tensor),
      'conv2d',
      'weight',
      `${p}: short fake weight`,
    );
  });
});

test('the Tensor constructor keeps its invariants', () => {
  refuses(() => new Tensor(new Float32Array(1), [1, 1, 3, 3]), 'Tensor', 'data', 'short data');
  refuses(() => new Tensor(new Float32Array(9), [3, -3]), 'Tensor', 'shape', 'negative size');
  refuses(() => new Tensor(new Float32Array(2), [2.5]), 'Tensor', 'shape', 'fractional size');
  refuses(() => new Tensor([1, 2] as unknown as Float32Array, [2]), 'Tensor', 'data', 'a plain array');
  const t = randn([2, 2], { seed: 1 });
  (t as unknown as { data: Float32Array }).data = new Float32Array(1); // reassigned behind its back
  refuses(() => lib.conv1d(t, randn([1, 2, 1])), 'conv1d', 'input', 'data replaced');
});

test('reductions refuse repeated, out-of-range and ill-typed dims', () => {
  const m = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  refuses(() => m.sum([1, 1]), 'sum', 'dims', 'sum([1, 1])');
  refuses(() => m.mean([0, 0]), 'mean', 'dims', 'mean([0, 0])');
  refuses(() => m.sum([1, -1]), 'sum', 'dims', 'sum([1, -1]) names dimension 1 twice');
  refuses(() => m.sum(2), 'sum', 'dims', 'out of range');
  refuses(() => m.sum(0.5), 'sum', 'dims', 'fractional');
  refuses(() => m.sum(true as never), 'sum', 'dims', 'a boolean');
  refuses(() => m.sum(0, 'yes' as never), 'sum', 'keepDims', 'keepDims a string');
  assert.deepEqual(m.sum([0, 1]).toArray(), 21, 'a valid sum');
  assert.deepEqual(m.sum(1).toArray(), [6, 15], 'a valid sum over one dim');
});

test('factories refuse non-numbers, values outside the dtype, unknown or ill-typed options', () => {
  refuses(() => tensor(['a', 'b'] as never, [2]), 'tensor', 'values', "['a', 'b']");
  refuses(() => tensor([1, 'b'] as never), 'tensor', 'values', 'a string among numbers');
  refuses(() => full([2], 2 ** 40, { dtype: 'int32' }), 'full', 'value', '2**40 as int32');
  refuses(() => full([2], 2.5, { dtype: 'int32' }), 'full', 'value', '2.5 as int32');
  refuses(() => full([2], 'x' as never), 'full', 'value', 'a string');
  refuses(() => randn([2], { dtype: 'int32' } as never), 'randn', 'dtype', 'randn int32');
  refuses(() => zeros([2], { foo: 1 } as never), 'zeros', 'foo', 'unknown option');
  refuses(() => zeros([2], { requiresGrad: 'no' } as never), 'zeros', 'requiresGrad', "requiresGrad: 'no'");
  refuses(() => zeros([2], { dtype: 'float64' }), 'zeros', 'dtype', 'float64 is internal');
  refuses(
    () => zeros([2], { dtype: 'int32', requiresGrad: true }),
    'zeros',
    'requiresGrad',
    'int32 gradients',
  );
  refuses(() => zeros([2 ** 53 + 2]), 'zeros', 'shape', 'unsafe size');
  assert.ok(Object.is(full([1], -0).data[0], -0), 'full keeps -0');
});

test('0·Inf and −0 as PyTorch on every path', () => {
  onEveryPath((p) => {
    for (const c of fixtures.numerics) {
      const x = tensor(c.input.map(decode), c.inputShape);
      const y =
        c.op === 'interpolate'
          ? lib.interpolate(x, c.options as never)
          : (lib[c.op as 'conv2d'] as (a: Tensor, b: Tensor, o: object) => Tensor)(
              x,
              zeros(c.weightShape!),
              c.options,
            );
      assert.deepEqual([...y.shape], c.outputShape, `${p} ${c.op} ${JSON.stringify(c.options)} shape`);
      sameAsPyTorch(y.data, c.output, `${p} ${c.op} ${JSON.stringify(c.options)}`);
    }
  });
});

/**
 * The scatter direction with Inf and NaN weights: a transposed convolution's output and a
 * convolution's input gradient, which PyTorch computes from real inputs only (an Inf tap that meets
 * the padding leaves those outputs finite), on every path and every WebAssembly build. The shapes
 * take the sub-pixel GEMM there (k4 s2 p1 as W1 and W7), which then splits the border positions
 * off instead of multiplying the zero padding. The gather direction is not compared: PyTorch's
 * im2col and oneDNN algorithms differ there (see the generator).
 */
test('Inf and NaN weights: transposed convolutions and input gradients as PyTorch on every path', () => {
  const variants = WASM_VARIANTS.filter((v) => wasmSupport()[v]);
  onEveryPath((p) => {
    for (const variant of p === 'wasm' ? variants : (['auto'] as const)) {
      setWasmVariant(variant);
      try {
        for (const c of fixtures.nonFiniteWeights) {
          const what = `${p}${p === 'wasm' ? ` ${variant}` : ''} ${c.op} ${JSON.stringify(c.options)}`;
          const x = tensor(c.input.map(decode), c.inputShape, { requiresGrad: true });
          const w = tensor(c.weight.map(decode), c.weightShape);
          const y = (lib[c.op as 'conv2d'] as (a: Tensor, b: Tensor, o: object) => Tensor)(x, w, c.options);
          assert.deepEqual([...y.shape], c.outputShape, `${what} shape`);
          if (c.op.startsWith('convTranspose')) sameAsPyTorch(y.data, c.output, `${what} output`, 1e-5);
          else {
            y.backward(lib.ones([...y.shape]));
            sameAsPyTorch(x.grad!.data, c.gradInput, `${what} input gradient`, 1e-5);
          }
        }
      } finally {
        setWasmVariant('auto');
      }
    }
  });
});

/**
 * The same transposed convolutions on an engine without shared memory (a browser page that is not
 * cross-origin isolated): there the weights are ordinary arrays, copied in and scanned for Inf and
 * NaN in the engine's memory before the split is planned (kernels/wasm/kept.ts weightsFinite).
 */
test('Inf and NaN weights: transposed convolutions as PyTorch on an engine without shared memory', () => {
  const variant = bestVariant();
  if (!variant) return;
  const e = newEngine(variant, false);
  for (const c of fixtures.nonFiniteWeights.filter((f) => f.op.startsWith('convTranspose'))) {
    const d = c.inputShape.length - 2;
    const x = tensor(c.input.map(decode), c.inputShape);
    const w = tensor(c.weight.map(decode), c.weightShape);
    const { geometry } = convTransposeGeometry(c.op, x, w, c.options, d);
    const out = new Float32Array(c.output.length).fill(NaN);
    convScatterSubpixelWasm(e, geometry, new Float32Array(x.data), new Float32Array(w.data), null, out);
    sameAsPyTorch(out, c.output, `unshared ${c.op} ${JSON.stringify(c.options)}`, 1e-5);
  }
});

/**
 * Element by element: NaN as NaN, a zero with its sign, other values within `tolerance` (relative
 * beyond magnitude 1; 1e-6 unless told).
 */
function sameAsPyTorch(
  got: ArrayLike<number>,
  expected: readonly (number | string)[],
  what: string,
  tolerance = 1e-6,
): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = got[i]!;
    const b = decode(expected[i]!);
    const ok = Number.isNaN(b)
      ? Number.isNaN(a)
      : Object.is(a, b) || (b !== 0 && Math.abs(a - b) < tolerance * Math.max(1, Math.abs(b)));
    const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
    assert.ok(ok, `${what} element ${i}: ${show(a)} vs PyTorch ${show(b)}`);
  }
}

test("'bicubic' weights equal PyTorch's bit for bit on every path (one-hot inputs)", () => {
  // PyTorch 1.13 floors the float32 of its double source coordinate and computes the Keys weights
  // in float32 with its AVX2 build's fused multiply-adds (geometry/interpolate.ts,
  // TORCH_FLOAT32_ARITHMETIC); the fixtures record the capability its kernels ran with
  assert.equal(fixtures.cpuCapability, 'AVX2', "the fixtures come from PyTorch's AVX2 kernels");
  onEveryPath((p) => {
    for (const c of fixtures.bicubicWeights) {
      const n = c.inSize;
      const eye = zeros([n, 1, 1, n]);
      for (let i = 0; i < n; i++) eye.data[i * n + i] = 1;
      const y = lib.interpolate(eye, c.options as never);
      const want = c.weights.map(decode);
      assert.equal(y.size, want.length, `${p} ${JSON.stringify(c.options)} from ${n}: size`);
      for (let k = 0; k < want.length; k++)
        assert.ok(
          Object.is(y.data[k], want[k]),
          `${p} ${JSON.stringify(c.options)} from ${n}: weight of input ${Math.floor(k / (want.length / n))} ` +
            `at output ${k % (want.length / n)} is ${y.data[k]}, PyTorch's ${want[k]}`,
        );
    }
  });
});

test("the sign of zero through 'bicubic': every ±0 pattern of small inputs, as PyTorch", () => {
  // PyTorch 1.13 computes bicubic source positions and weights in float32: where float64 would
  // give a tiny negative weight (a position 6e-8 past a pixel), float32 gives 0, and −0 survives
  onEveryPath((p) => {
    let minusZeros = 0;
    for (const c of fixtures.bicubicSigns) {
      const y = lib.interpolate(tensor(c.input.map(decode), c.inputShape), c.options as never);
      assert.deepEqual([...y.shape], c.outputShape, `${p} ${JSON.stringify(c.options)} shape`);
      sameAsPyTorch(y.data, c.output, `${p} ${JSON.stringify(c.options)} of ${JSON.stringify(c.input)}`);
      minusZeros += c.output.filter((v) => v === '-0').length;
    }
    assert.ok(minusZeros > 100, `${p}: the fixtures hold −0 results (${minusZeros})`);
  });
});

test("the sign of zero in interpolate's gradient, every mode, as PyTorch (a zeroed accumulator)", () => {
  onEveryPath((p) => {
    for (const c of fixtures.backwardSigns) {
      const x = zeros(c.inputShape, { requiresGrad: true });
      lib.interpolate(x, c.options as never).backward(tensor(c.gradOutput.map(decode), c.gradOutputShape));
      sameAsPyTorch(
        x.grad!.data,
        c.gradInput,
        `${p} ${JSON.stringify(c.options)} gradient of ${JSON.stringify(c.gradOutput)}`,
      );
    }
  });
});

test('empty batches with huge spatial sizes: quick, small, PyTorch shapes', () => {
  onEveryPath((p) => {
    for (const c of fixtures.emptyBatch) {
      const x = zeros(c.inputShape);
      const t0 = performance.now();
      const y =
        c.op === 'conv2d'
          ? lib.conv2d(x, zeros(c.weightShape!))
          : c.op === 'interpolate'
            ? lib.interpolate(x, c.options as never)
            : (lib[c.op as 'avgPool1d'] as (a: Tensor, o: object) => Tensor)(x, c.options);
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `${p} ${c.op}: ${ms.toFixed(0)} ms`);
      // Where PyTorch 1.13 overflows its 32-bit size arithmetic, the size formula: ⌊(L − d(k−1) − 1)/s⌋ + 1.
      const want = Array.isArray(c.outputShape)
        ? c.outputShape
        : c.op === 'maxPool2d'
          ? [0, 1, 4, 2 ** 40]
          : [0, 2, 2 ** 32 - 1];
      assert.deepEqual([...y.shape], want, `${p} ${c.op} shape`);
      assert.equal(y.size, 0, `${p} ${c.op} is empty`);
    }
    // and their gradients
    const x = zeros([0, 2, 2 ** 31, 5], { requiresGrad: true });
    const w = randn([3, 2, 3, 3], { seed: 1, requiresGrad: true });
    lib.conv2d(x, w).sum().backward();
    assert.ok(
      w.grad!.data.every((v) => v === 0),
      `${p}: weight gradient of an empty batch is zero`,
    );
  });
});

test('an interpolation output within the element budget is produced, one beyond it refused first', () => {
  // 2²⁴ outputs (the issue's 1.2·10⁸ takes minutes on a shared machine; the tables are the same code)
  const y = lib.interpolate(randn([1, 1, 4], { seed: 1 }), { size: [2 ** 24], mode: 'linear' });
  assert.equal(y.size, 2 ** 24, 'a 2^24 linear interpolation');
  refuses(
    () => lib.interpolate(randn([1, 1, 4], { seed: 1 }), { size: [2 ** 31] }),
    'interpolate',
    'size',
    'beyond the element budget',
  );
});

test('resize: tables in typed arrays, an empty batch builds none, beyond the budget refused first', () => {
  // ONNX Resize's taps once lived in JavaScript arrays (gigabytes, and V8's fatal error past its limit)
  const y = lib.resize(randn([1, 1, 4], { seed: 1 }), { sizes: [2 ** 22], mode: 'cubic' });
  assert.equal(y.size, 2 ** 22, 'a 2^22 cubic resize');
  // all valid in ONNX: the spatial sizes of an empty batch allocate nothing
  const e = lib.resize(zeros([0, 2, 4, 2 ** 31 - 1]), { mode: 'linear', sizes: [1, 3] });
  assert.deepEqual([...e.shape], [0, 2, 1, 3], 'empty batch shape');
  const g = zeros([0, 2, 2 ** 31 - 1, 4], { requiresGrad: true });
  lib
    .resize(g, { mode: 'cubic', sizes: [3, 2 ** 31 - 1] })
    .sum()
    .backward();
  assert.deepEqual([...g.grad!.shape], [0, 2, 2 ** 31 - 1, 4], 'empty batch gradient shape');
  refuses(
    () => lib.resize(randn([1, 1, 4], { seed: 1 }), { sizes: [2 ** 31] }),
    'resize',
    'sizes',
    'beyond the element budget',
  );
});

test('the arithmetic helpers check every option and never round', () => {
  const cos = lib.convOutputSize;
  const ctos = lib.convTransposeOutputSize;
  refuses(
    () => cos({ inputSize: 7, kernelSize: 3, foo: 1 } as never),
    'convOutputSize',
    'foo',
    'unknown key',
  );
  refuses(
    () => cos({ inputSize: 7, kernelSize: 2, ceilMode: 'no' } as never),
    'convOutputSize',
    'ceilMode',
    "ceilMode: 'no'",
  );
  refuses(
    () => cos({ inputSize: 7, kernelSize: 2, ceilMode: 1 } as never),
    'convOutputSize',
    'ceilMode',
    'ceilMode: 1',
  );
  refuses(() => cos([7, 3] as never), 'convOutputSize', 'args', 'an array');
  refuses(() => cos({ inputSize: 7, kernelSize: 3, stride: NaN }), 'convOutputSize', 'stride', 'NaN');
  refuses(() => cos({ inputSize: 7, kernelSize: 3, padding: 1e308 }), 'convOutputSize', 'padding', '1e308');
  refuses(
    () => cos({ inputSize: 7, kernelSize: 2 ** 31 - 1, dilation: 2 ** 31 - 1 }),
    'convOutputSize',
    'dilation',
    'a dilated kernel beyond 2^53',
  );
  assert.deepEqual(cos({ inputSize: 7, kernelSize: 2, stride: 2, ceilMode: true }), [4], 'ceil mode');
  assert.deepEqual(cos({ inputSize: 7, kernelSize: 2, stride: 2, ceilMode: false }), [3], 'floor mode');
  refuses(
    () => ctos({ inputSize: 7, kernelSize: 3, dilation: 1e308 }),
    'convTransposeOutputSize',
    'dilation',
    '1e308',
  );
  refuses(() => ctos({ inputSize: 2 ** 53, kernelSize: 6 }), 'convTransposeOutputSize', 'inputSize', '2**53');
  refuses(
    () => ctos({ inputSize: 2 ** 31 - 1, kernelSize: 6, stride: 2 ** 31 - 1 }),
    'convTransposeOutputSize',
    'stride',
    'an output beyond 2^53',
  );
  refuses(
    () => ctos({ inputSize: 7, kernelSize: 3, strides: 2 } as never),
    'convTransposeOutputSize',
    'strides',
    'unknown key',
  );
  refuses(
    () => ctos({ inputSize: 7, kernelSize: 3, padding: 2 ** 31 - 1 }),
    'convTransposeOutputSize',
    'padding',
    'huge padding',
  );
  // the padding that crops everything is blamed, not outputSize
  onEveryPath((p) =>
    refuses(
      () =>
        lib.convTranspose2d(randn([1, 1, 5, 5]), randn([1, 1, 3, 3]), {
          padding: 2 ** 31 - 1,
          outputSize: [5, 5],
        }),
      'convTranspose2d',
      'padding',
      `${p}: padding 2**31 - 1 with outputSize`,
    ),
  );
  // a solver result can be spread in as it is
  const best = lib.solveConvTranspose({ inputSize: 7, outputSize: 28 })[0]!;
  assert.deepEqual(ctos({ inputSize: 7, ...best }), [28], 'a solver result spread in');
  // the per-dimension formulas
  refuses(() => lib.effectiveKernel(1e308, 2), 'effectiveKernel', 'kernelSize', 'effectiveKernel(1e308)');
  refuses(() => lib.effectiveKernel(3, 2 ** 31 - 1 + 1), 'effectiveKernel', 'dilation', 'dilation 2**31');
  refuses(() => lib.samePadding(3, 0.5), 'samePadding', 'dilation', 'samePadding(3, 0.5)');
  refuses(() => lib.largestOutputPadding('2' as never, 1), 'largestOutputPadding', 'stride', "stride '2'");
  refuses(() => lib.largestPoolPadding(-1), 'largestPoolPadding', 'kernelSize', 'kernelSize -1');
  refuses(() => lib.unpoolOutputLength(4, 2, Infinity, 0), 'unpoolOutputLength', 'stride', 'stride Infinity');
  const dim = { inputSize: 9, kernelSize: 3, stride: 2, padBegin: 1, padEnd: 0, dilation: 2 };
  refuses(
    () => lib.convOutputLength({ ...dim, ceilMode: 'no' } as never),
    'convOutputLength',
    'ceilMode',
    "ceilMode 'no'",
  );
  refuses(
    () => lib.convOutputLength({ ...dim, padding: 1 } as never),
    'convOutputLength',
    'padding',
    'unknown key',
  );
  refuses(
    () => lib.convOutputLength({ ...dim, stride: undefined } as never),
    'convOutputLength',
    'stride',
    'missing',
  );
  refuses(
    () => lib.transposedOutputLength(dim as never),
    'transposedOutputLength',
    'outputPadding',
    'missing',
  );
  refuses(
    () =>
      lib.transposedOutputLength({ ...dim, inputSize: 2 ** 31 - 1, stride: 2 ** 31 - 1, outputPadding: 0 }),
    'transposedOutputLength',
    'stride',
    'beyond 2^53',
  );
  refuses(
    () => lib.hasEvenOverlap({ kernelSize: 4, stride: 2, foo: 1 } as never),
    'hasEvenOverlap',
    'foo',
    'unknown key',
  );
  assert.equal(lib.effectiveKernel(3, 2), 5, 'effectiveKernel(3, 2)');
  assert.equal(lib.convOutputLength({ ...dim, ceilMode: true }), 4, 'convOutputLength in ceil mode');
  assert.equal(lib.transposedOutputLength({ ...dim, outputPadding: 1 }), 21, 'transposedOutputLength');
  assert.equal(lib.unpoolOutputLength(4, 2, 2, 0), 8, 'unpoolOutputLength');
});

test("the prebuilt bundles keep Tensor's chained methods (CommonJS and the CDN bundle)", async (t) => {
  // the package's "sideEffects": false once made esbuild drop `import './ops/chained.js'` from
  // its own bundles: require('deconv').randn([2]).sum() threw "the ops are not loaded"
  const dist = new URL('../dist/', import.meta.url);
  const cjs = new URL('cjs/index.cjs', dist);
  const cdn = new URL('deconv.browser.js', dist);
  if (!existsSync(cjs) || !existsSync(cdn)) {
    t.skip('dist/ is not built (npm test builds it first)');
    return;
  }
  const req = createRequire(import.meta.url);
  const fromCjs = req(fileURLToPath(cjs)) as typeof lib;
  const fromCdn = (await import(cdn.href)) as typeof lib;
  for (const [what, m] of [
    ['dist/cjs/index.cjs', fromCjs],
    ['dist/deconv.browser.js', fromCdn],
  ] as const) {
    const x = m.tensor([1, 2, 3, 4], [2, 2]);
    assert.deepEqual(x.mul(2).sum().toArray(), 20, `${what}: t.mul(2).sum()`);
    assert.deepEqual(x.reshape([4]).mean().toArray(), 2.5, `${what}: t.reshape().mean()`);
  }
});
