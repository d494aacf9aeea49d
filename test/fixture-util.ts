/**
 * Replays the PyTorch reference fixtures written by scripts/gen_fixtures.py (test/fixtures/*.json):
 * builds our tensors, calls the op with the stored options, compares the output (and indices
 * exactly), runs backward with the stored upstream gradient and compares every input's gradient.
 * See the generator's docstring for the case format.
 */
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import type { Tensor } from '../src/index.js';

/** The library as the test sees it (imported dynamically so a broken module fails one test, not the file). */
export type Lib = typeof import('../src/index.js');

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}

/** A positional argument: a tensor of `inputs` by name, a plain value, or the options object. */
export type FixtureArg =
  string | { value: unknown } | { options: Record<string, unknown>; tensorOptions: string[] };

export interface FixtureCase {
  name: string;
  op: string;
  args: FixtureArg[];
  inputs: Record<string, FixtureTensor>;
  output: FixtureTensor;
  /** maxPool with `returnIndices: true` only */
  indices?: FixtureTensor;
  gradOutput: FixtureTensor;
  /** gradient of every float input */
  grads: Record<string, FixtureTensor>;
  /** inputs (batch size 1) to call again without their batch dimension (interpolate) */
  unbatched?: string[];
  note?: string;
  /** conv_large.json: the transposed-convolution kernel dispatch picks ('subpixel' or 'col2im') */
  kernel?: string;
}

export interface FixtureFile {
  generator: string;
  torch: string;
  seed: number;
  family: string;
  count: number;
  cases: FixtureCase[];
}

/** An element passes when `|actual - expected| <= atol + rtol * max|expected|` (per tensor). */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Family {
  file: string;
  tolerance: Tolerance;
  /** the committed script that writes the file (default scripts/gen_fixtures.py) */
  generator?: string;
}

/** Every fixture file, with the tolerance its float32 arithmetic needs against a float64 reference. */
export const FAMILIES: readonly Family[] = [
  { file: 'conv.json', tolerance: { atol: 1e-4, rtol: 1e-4 } },
  { file: 'conv_transpose.json', tolerance: { atol: 1e-4, rtol: 1e-4 } },
  // Max pooling and unpooling copy values; gradients sum at most a few float32 terms.
  { file: 'pool.json', tolerance: { atol: 1e-6, rtol: 1e-6 } },
  { file: 'unpool.json', tolerance: { atol: 1e-6, rtol: 1e-6 } },
  { file: 'avgpool.json', tolerance: { atol: 1e-5, rtol: 1e-5 } },
  { file: 'interpolate.json', tolerance: { atol: 1e-4, rtol: 1e-4 } },
  { file: 'shuffle.json', tolerance: { atol: 0, rtol: 0 } },
  { file: 'fold.json', tolerance: { atol: 1e-5, rtol: 1e-5 } },
  // Sums of up to a few thousand products: the same float32 error budget as conv.json.
  {
    file: 'conv_large.json',
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    generator: 'scripts/gen_fixtures_conv.py',
  },
  {
    file: 'conv_grad.json',
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    generator: 'scripts/gen_fixtures_conv.py',
  },
];

/** `DECONV_FIXTURE_DIR` points the replay at another generated set (e.g. a fresh seed). */
export function fixturePath(file: string): URL {
  const dir = process.env['DECONV_FIXTURE_DIR'];
  if (dir) return new URL(file, `file://${dir.endsWith('/') ? dir : `${dir}/`}`);
  return new URL(`./fixtures/${file}`, import.meta.url);
}

export function loadFixture(file: string): FixtureFile {
  const url = fixturePath(file);
  assert.ok(
    existsSync(url),
    `missing fixture file test/fixtures/${file}: run /usr/bin/python3 scripts/gen_fixtures.py (or scripts/gen_fixtures_conv.py)`,
  );
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as FixtureFile;
  assert.ok(Array.isArray(parsed.cases), `test/fixtures/${file} has no "cases" array`);
  return parsed;
}

/** Cases grouped by op name, in file order. */
export function byOp(cases: readonly FixtureCase[]): Map<string, FixtureCase[]> {
  const groups = new Map<string, FixtureCase[]>();
  for (const c of cases) {
    const list = groups.get(c.op) ?? [];
    list.push(c);
    groups.set(c.op, list);
  }
  return groups;
}

function isOptionsArg(a: FixtureArg): a is { options: Record<string, unknown>; tensorOptions: string[] } {
  return typeof a === 'object' && 'options' in a;
}

/** The options object of a case (for messages), without tensors. */
export function caseOptions(c: FixtureCase): Record<string, unknown> | undefined {
  const last = c.args.find(isOptionsArg);
  return last?.options;
}

/** `conv2d/017: conv2d(input [2,3,5,5], weight [4,3,3,3], {"stride":2} with bias: [4])` and the note. */
export function describeCase(c: FixtureCase, unbatched = false): string {
  const drop = new Set(unbatched ? (c.unbatched ?? []) : []);
  const parts = c.args.map((a) => {
    if (typeof a === 'string') {
      const shape = c.inputs[a]!.shape;
      return `${a} [${(drop.has(a) ? shape.slice(1) : shape).join(',')}]${c.inputs[a]!.dtype === 'int32' ? ' int32' : ''}`;
    }
    if (isOptionsArg(a)) {
      const tensors = a.tensorOptions.map((k) => `${k}: [${c.inputs[k]!.shape.join(',')}]`);
      return JSON.stringify(a.options) + (tensors.length > 0 ? ` with ${tensors.join(', ')}` : '');
    }
    return JSON.stringify(a.value);
  });
  const note = c.note ? `\n  reference: ${c.note}` : '';
  return `${c.name}${unbatched ? ' (unbatched call)' : ''}: ${c.op}(${parts.join(', ')})${note}`;
}

function multiIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/**
 * Asserts that `actual` is a tensor of `shape` close to `expected` (exactly equal for int32).
 * The message names the case, the compared quantity and the first mismatching element.
 */
export function assertTensorClose(
  lib: Lib,
  actual: unknown,
  expected: FixtureTensor,
  shape: readonly number[],
  tolerance: Tolerance,
  what: string,
  context: string,
): void {
  if (!(actual instanceof lib.Tensor)) {
    assert.fail(`${context}\n  ${what}: expected a Tensor, got ${describeValue(actual)}`);
  }
  const t = actual as Tensor;
  const wantDtype = expected.dtype ?? 'float32';
  if (t.dtype !== wantDtype) assert.fail(`${context}\n  ${what}: dtype ${t.dtype}, expected ${wantDtype}`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    assert.fail(`${context}\n  ${what}: shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  // The fixture holds the shortest decimal of each float32 value: read it back as that float32.
  const ref = wantDtype === 'int32' ? expected.data : Float32Array.from(expected.data);
  if (t.data.length !== ref.length) {
    assert.fail(`${context}\n  ${what}: ${t.data.length} elements, expected ${ref.length}`);
  }
  let maxRef = 0;
  for (const v of ref) maxRef = Math.max(maxRef, Math.abs(v));
  const bound = wantDtype === 'int32' ? 0 : tolerance.atol + tolerance.rtol * maxRef;
  let first = -1;
  let bad = 0;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(t.data[i]! - ref[i]!);
    // `!(diff <= bound)` also catches NaN.
    if (!(diff <= bound)) {
      if (first < 0) first = i;
      bad++;
      worst = Number.isNaN(diff) || Number.isNaN(worst) ? NaN : Math.max(worst, diff);
    }
  }
  if (first >= 0) {
    assert.fail(
      `${context}\n  ${what}: ${bad} of ${ref.length} elements differ by more than ${bound.toExponential(2)}` +
        ` (atol ${tolerance.atol} + rtol ${tolerance.rtol} * max|ref| ${maxRef.toPrecision(4)});` +
        ` first at [${multiIndex(first, shape).join(',')}] (flat ${first}): got ${t.data[first]}, expected ${expected.data[first]};` +
        ` largest difference ${worst}`,
    );
  }
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return `{ ${Object.keys(v).join(', ')} }`;
  return typeof v;
}

function makeTensor(lib: Lib, ft: FixtureTensor, shape: readonly number[], requiresGrad: boolean): Tensor {
  if (ft.dtype === 'int32') return lib.tensor(Int32Array.from(ft.data), [...shape], { dtype: 'int32' });
  return lib.tensor(Float32Array.from(ft.data), [...shape], { requiresGrad });
}

export type OpFunction = (...args: unknown[]) => unknown;

/**
 * Runs one case: forward, output (and indices), backward, gradients. With `unbatched`, the inputs
 * named in `c.unbatched` (batch size 1) are passed without their batch dimension and the output
 * and their gradients are expected without it.
 */
export function runCase(
  lib: Lib,
  fn: OpFunction,
  c: FixtureCase,
  tolerance: Tolerance,
  unbatched = false,
): void {
  const context = describeCase(c, unbatched);
  const drop = new Set(unbatched ? (c.unbatched ?? []) : []);
  const squeeze = (shape: readonly number[]): number[] => (unbatched ? shape.slice(1) : [...shape]);
  const inputs: Record<string, Tensor> = {};
  for (const [name, ft] of Object.entries(c.inputs)) {
    inputs[name] = makeTensor(lib, ft, drop.has(name) ? ft.shape.slice(1) : ft.shape, ft.dtype !== 'int32');
  }
  const args = c.args.map((a): unknown => {
    if (typeof a === 'string') return inputs[a];
    if (isOptionsArg(a)) {
      const options: Record<string, unknown> = { ...a.options };
      for (const k of a.tensorOptions) options[k] = inputs[k];
      // deconv refuses a single size/scaleFactor for a rank-3 input whose mode does not fix the
      // spatial rank (image or 1-D batch?): PyTorch's reading, a batch of 1-D signals, is [v]
      const x = inputs[c.args[0] as string];
      for (const k of ['size', 'scaleFactor'])
        if (
          c.op === 'interpolate' &&
          x?.shape.length === 3 &&
          ['nearest', 'nearest-exact', 'area', undefined].includes(options['mode'] as string | undefined) &&
          typeof options[k] === 'number'
        )
          options[k] = [options[k]];
      return options;
    }
    return a.value;
  });

  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    assert.fail(
      `${context}\n  threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }

  let output: unknown = result;
  if (c.indices) {
    const r = result as { output?: unknown; indices?: unknown } | null;
    if (r === null || typeof r !== 'object' || !('output' in r) || !('indices' in r)) {
      assert.fail(
        `${context}\n  expected { output, indices } (returnIndices: true), got ${describeValue(result)}`,
      );
    }
    output = r.output;
    assertTensorClose(lib, output, c.output, squeeze(c.output.shape), tolerance, 'output', context);
    assertTensorClose(lib, r.indices, c.indices, squeeze(c.indices.shape), tolerance, 'indices', context);
  } else {
    assertTensorClose(lib, output, c.output, squeeze(c.output.shape), tolerance, 'output', context);
  }

  const gradOutput = makeTensor(lib, c.gradOutput, squeeze(c.gradOutput.shape), false);
  try {
    (output as Tensor).backward(gradOutput);
  } catch (error) {
    assert.fail(
      `${context}\n  backward threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  for (const [name, expected] of Object.entries(c.grads)) {
    const grad = inputs[name]!.grad;
    if (grad === null) assert.fail(`${context}\n  ${name}.grad is null after backward`);
    const shape = drop.has(name) ? expected.shape.slice(1) : expected.shape;
    assertTensorClose(lib, grad, expected, shape, tolerance, `${name}.grad`, context);
  }
}
