/**
 * Helpers of the fuzz suite (test/fuzz.test.ts): the run budget and seed, the oracle that sorts
 * every call's outcome, the catalogue of wrong values and the generators of valid calls, one per
 * op family. Run sizes:
 *
 *   npm test                                 a few seconds (DECONV_FUZZ_RUNS defaults to 300)
 *   DECONV_FUZZ_RUNS=20000 node --import tsx --test test/fuzz.test.ts     a deep run
 *   DECONV_FUZZ_SEED=123 …                   replays the run that printed seed 123
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import * as lib from '../src/index.js';
import { DeconvError, Tensor, randn, zeros, tensor } from '../src/index.js';

/** Calls per property: `DECONV_FUZZ_RUNS` (the deep mode) or a small default for `npm test`. */
export const RUNS = Number(process.env.DECONV_FUZZ_RUNS ?? 300);
/** The seed of this run (printed so that a failure can be replayed with `DECONV_FUZZ_SEED`). */
export const SEED = Number(process.env.DECONV_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** No call, valid or not, may take longer than this (the "no hang over 5 s"). */
export const CALL_LIMIT_MS = 5000;

/** What one call did. */
export type Outcome =
  | { kind: 'result'; value: unknown; ms: number }
  | { kind: 'refused'; error: DeconvError; ms: number }
  | { kind: 'crashed'; error: unknown; ms: number };

/** Figures of a run, reported at the end (the deep run's numbers in the lead's notes). */
export const stats = {
  calls: 0,
  refusals: 0,
  results: 0,
  compared: 0,
  crashes: 0,
  slowest: 0,
  slowestCall: '',
};

/** With DECONV_FUZZ_TRACE=file, each call's label is written there first (to find a hang). */
const TRACE = process.env.DECONV_FUZZ_TRACE;

export function run(label: string, f: () => unknown): Outcome {
  if (TRACE) writeFileSync(TRACE, label);
  const t0 = performance.now();
  let out: Outcome;
  try {
    const value = f();
    out = { kind: 'result', value, ms: 0 };
  } catch (error) {
    out =
      error instanceof DeconvError ? { kind: 'refused', error, ms: 0 } : { kind: 'crashed', error, ms: 0 };
  }
  out.ms = performance.now() - t0;
  stats.calls++;
  if (out.kind === 'refused') stats.refusals++;
  else if (out.kind === 'result') stats.results++;
  else stats.crashes++;
  if (out.ms > stats.slowest) {
    stats.slowest = out.ms;
    stats.slowestCall = label;
  }
  return out;
}

/** Tensors of a result (a Tensor, `{ output, indices }`, an array, a record), for invariant checks. */
export function tensorsOf(value: unknown): Tensor[] {
  if (value instanceof Tensor) return [value];
  if (Array.isArray(value)) return value.flatMap(tensorsOf);
  if (value !== null && typeof value === 'object')
    return Object.values(value).filter((v): v is Tensor => v instanceof Tensor);
  return [];
}

/**
 * The oracle every call must pass: a `DeconvError` whose message starts with its function and that
 * names an argument, or a result whose tensors keep their invariants; never another exception,
 * never longer than the limit. With `mustRefuse`, a result is a failure too, and the error must
 * name that argument.
 */
export function check(label: string, out: Outcome, mustRefuse?: string): string | null {
  if (out.ms > CALL_LIMIT_MS) return `${label}: took ${out.ms.toFixed(0)} ms`;
  if (out.kind === 'crashed') {
    const e = out.error as Error;
    return `${label}: threw a non-DeconvError ${e?.name}: ${e?.message}\n${e?.stack ?? ''}`;
  }
  if (out.kind === 'refused') {
    const e = out.error;
    if (!e.argument) return `${label}: DeconvError without an argument: ${e.message}`;
    if (!e.message.startsWith(`${e.fn}: `))
      return `${label}: message does not start with '${e.fn}: ': ${e.message}`;
    if (mustRefuse !== undefined && e.argument !== mustRefuse)
      return `${label}: refused naming '${e.argument}' instead of '${mustRefuse}': ${e.message}`;
    return null;
  }
  if (mustRefuse !== undefined) return `${label}: gave a result for an invalid ${mustRefuse}`;
  for (const t of tensorsOf(out.value)) {
    let n = 1;
    for (const s of t.shape) n *= s;
    if (t.data.length !== n || t.size !== n) return `${label}: result ${t} holds ${t.data.length} elements`;
  }
  return null;
}

/** A look-alike of a tensor: what a user might pass from another library. */
export function fakeTensor(shape: number[], length: number): unknown {
  return { shape, data: new Float32Array(length), dtype: 'float32', size: length, requiresGrad: false };
}

/** A tensor that was disposed (its storage is back in the pool). */
export function disposedTensor(shape: number[]): Tensor {
  const t = randn(shape, { seed: 1 });
  t.dispose();
  return t;
}

/** Values of every wrong type for an option (some may still be valid for a given option). */
export const wrongValues: readonly unknown[] = [
  null,
  'abc',
  '',
  NaN,
  Infinity,
  -Infinity,
  -1,
  0,
  1.5,
  -0,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 40,
  2 ** 53,
  2 ** 53 + 2,
  1e308,
  -1e308,
  true,
  false,
  {},
  [],
  [1],
  [1, 2],
  [1, 2, 3, 4],
  [[1, 2]],
  [NaN],
  ['1'],
  [2 ** 31],
  Symbol('s'),
  10n,
  () => 1,
  new Float32Array(2),
];

/** Values that no option of any op accepts: each must be refused. */
export const neverValid: readonly unknown[] = [Symbol('s'), 10n, () => 1, {}, { a: 1 }];

/** Replacements for a tensor argument that must be refused, naming that argument. */
export function badTensors(shape: number[]): { what: string; value: unknown }[] {
  let n = 1;
  for (const s of shape) n *= s;
  return [
    { what: 'a fake tensor with matching data', value: fakeTensor(shape, n) },
    { what: 'a fake tensor with short data', value: fakeTensor(shape, Math.max(0, n - 1)) },
    { what: 'a fake tensor with data null', value: { shape, data: null } },
    { what: "a fake tensor with shape 'abcd'", value: { shape: 'abcd', data: new Float32Array(n) } },
    { what: 'null', value: null },
    { what: 'a number', value: 3 },
    { what: 'an array', value: [1, 2, 3] },
    { what: 'a Float32Array', value: new Float32Array(n) },
    { what: 'a disposed tensor', value: disposedTensor(shape) },
  ];
}

/** Huge empty tensors: valid in PyTorch, so either a quick result or a DeconvError, never a long job. */
export function hugeEmpty(rank: number): Tensor[] {
  const out: Tensor[] = [];
  for (const big of [2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 40]) {
    for (let at = 1; at < rank; at++) {
      const shape = new Array<number>(rank).fill(3);
      shape[0] = 0;
      shape[at] = big;
      out.push(zeros(shape));
    }
  }
  return out;
}

/** One valid call of an op: a label, a function of the inputs, and which inputs get gradients. */
export interface ValidCall {
  label: string;
  inputs: Tensor[];
  call: (...inputs: Tensor[]) => unknown;
}

const seedArb = fc.integer({ min: 0, max: 2 ** 30 });

function batchShape(d: number, batch: number | null, channels: number, spatial: number[]): number[] {
  return batch === null ? [channels, ...spatial] : [batch, channels, ...spatial];
}

const batchArb = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 }));
const dArb = fc.integer({ min: 1, max: 3 });

const convArb = fc
  .record({
    d: dArb,
    batch: batchArb,
    groups: fc.integer({ min: 1, max: 2 }),
    cinG: fc.integer({ min: 1, max: 3 }),
    coutG: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    extra: fc.integer({ min: 0, max: 4 }),
    bias: fc.boolean(),
    transposed: fc.boolean(),
    outputPadding: fc.integer({ min: 0, max: 2 }),
    seed: seedArb,
  })
  .map((c): ValidCall => {
    const { d, groups, k, dilation, padding, stride } = c;
    const cin = groups * c.cinG;
    const cout = groups * c.coutG;
    const fnName = (c.transposed ? `convTranspose${d}d` : `conv${d}d`) as 'conv1d';
    const op = lib[fnName] as (x: Tensor, w: Tensor, o: object) => Tensor;
    const kernel = new Array<number>(d).fill(k);
    const spatial = new Array<number>(d).fill(
      c.transposed ? 1 + c.extra : Math.max(1, (k - 1) * dilation + 1 - 2 * padding + c.extra),
    );
    const x = randn(batchShape(d, c.batch, cin, spatial), { seed: c.seed, requiresGrad: true });
    const w = randn(c.transposed ? [cin, c.coutG, ...kernel] : [cout, c.cinG, ...kernel], {
      seed: c.seed + 1,
      requiresGrad: true,
    });
    const b = randn([cout], { seed: c.seed + 2, requiresGrad: true });
    const op2 = c.outputPadding % Math.max(stride, dilation);
    const options: Record<string, unknown> = { stride, padding, dilation, groups };
    if (c.transposed) options.outputPadding = op2;
    const inputs = c.bias ? [x, w, b] : [x, w];
    return {
      label: `${fnName}(${x}, ${w}, ${JSON.stringify(options)}${c.bias ? ' +bias' : ''})`,
      inputs,
      call: (xx, ww, bb) => op(xx!, ww!, { ...options, bias: bb }),
    };
  });

const poolArb = fc
  .record({
    d: dArb,
    batch: batchArb,
    channels: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    extra: fc.integer({ min: 0, max: 4 }),
    ceilMode: fc.boolean(),
    countIncludePad: fc.boolean(),
    kind: fc.constantFrom('max', 'avg', 'unpool'),
    seed: seedArb,
  })
  .map((c): ValidCall => {
    const { d, k, stride } = c;
    const padding = Math.min(c.padding, Math.floor(k / 2));
    const dilation = c.kind === 'avg' ? 1 : c.dilation;
    const spatial = new Array<number>(d).fill((k - 1) * dilation + 1 + c.extra);
    const x = randn(batchShape(d, c.batch, c.channels, spatial), { seed: c.seed, requiresGrad: true });
    if (c.kind === 'avg') {
      const op = lib[`avgPool${d}d` as 'avgPool1d'];
      const o = { kernelSize: k, stride, padding, ceilMode: c.ceilMode, countIncludePad: c.countIncludePad };
      return { label: `avgPool${d}d(${x}, ${JSON.stringify(o)})`, inputs: [x], call: (xx) => op(xx!, o) };
    }
    const op = lib[`maxPool${d}d` as 'maxPool1d'];
    const o = { kernelSize: k, stride, padding, dilation, ceilMode: c.ceilMode };
    if (c.kind === 'max')
      return { label: `maxPool${d}d(${x}, ${JSON.stringify(o)})`, inputs: [x], call: (xx) => op(xx!, o) };
    const unpool = lib[`maxUnpool${d}d` as 'maxUnpool1d'];
    const pooled = lib.noGrad(() => op(x, { kernelSize: k, stride, padding, returnIndices: true }));
    const y = pooled.output.detach();
    y.requiresGrad = true;
    return {
      label: `maxUnpool${d}d(${y}, indices, ${JSON.stringify({ kernelSize: k, stride, padding })})`,
      inputs: [y],
      call: (yy) => unpool(yy!, pooled.indices, { kernelSize: k, stride, padding, outputSize: spatial }),
    };
  });

const MODES: Record<number, readonly string[]> = {
  1: ['nearest', 'nearest-exact', 'linear', 'area'],
  2: ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'],
  3: ['nearest', 'nearest-exact', 'trilinear', 'area'],
};

const interpolateArb = fc
  .record({
    d: dArb,
    batch: batchArb,
    channels: fc.integer({ min: 1, max: 2 }),
    inSize: fc.integer({ min: 1, max: 6 }),
    outSize: fc.integer({ min: 1, max: 9 }),
    mode: fc.integer({ min: 0, max: 4 }),
    alignCorners: fc.boolean(),
    byScale: fc.boolean(),
    scale: fc.constantFrom(0.5, 1, 1.5, 2, 3, 0.75),
    seed: seedArb,
  })
  .map((c): ValidCall => {
    const modes = MODES[c.d]!;
    const mode = modes[c.mode % modes.length]!;
    const x = randn(batchShape(c.d, c.batch, c.channels, new Array<number>(c.d).fill(c.inSize)), {
      seed: c.seed,
      requiresGrad: true,
    });
    const o: Record<string, unknown> = { mode };
    if (c.byScale && mode !== 'area' && c.inSize * c.scale >= 1) o.scaleFactor = c.scale;
    else o.size = new Array<number>(c.d).fill(c.outSize);
    if (/linear|cubic/.test(mode)) o.alignCorners = c.alignCorners;
    return {
      label: `interpolate(${x}, ${JSON.stringify(o)})`,
      inputs: [x],
      call: (xx) => lib.interpolate(xx!, o),
    };
  });

const shuffleArb = fc
  .record({
    batch: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 })),
    r: fc.integer({ min: 1, max: 3 }),
    c: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 3 }),
    w: fc.integer({ min: 1, max: 3 }),
    un: fc.boolean(),
    seed: seedArb,
  })
  .map((c): ValidCall => {
    const shape = c.un ? [c.c, c.h * c.r, c.w * c.r] : [c.c * c.r * c.r, c.h, c.w];
    const x = randn(c.batch === null ? shape : [c.batch, ...shape], { seed: c.seed, requiresGrad: true });
    const op = c.un ? lib.pixelUnshuffle : lib.pixelShuffle;
    return {
      label: `${c.un ? 'pixelUnshuffle' : 'pixelShuffle'}(${x}, ${c.r})`,
      inputs: [x],
      call: (xx) => op(xx!, c.r),
    };
  });

const foldArb = fc
  .record({
    d: dArb,
    batch: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 })),
    channels: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    extra: fc.integer({ min: 0, max: 3 }),
    isFold: fc.boolean(),
    seed: seedArb,
  })
  .map((c): ValidCall => {
    const size = new Array<number>(c.d).fill((c.k - 1) * c.dilation + 1 + c.extra);
    const o = { kernelSize: c.k, stride: c.stride, dilation: c.dilation, padding: c.padding };
    if (!c.isFold) {
      const x = randn(batchShape(c.d, c.batch, c.channels, size), { seed: c.seed, requiresGrad: true });
      return { label: `unfold(${x}, ${JSON.stringify(o)})`, inputs: [x], call: (xx) => lib.unfold(xx!, o) };
    }
    let blocks = 1;
    for (const n of size)
      blocks *= Math.floor((n + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
    const rows = c.channels * c.k ** c.d;
    const x = randn(c.batch === null ? [rows, blocks] : [c.batch, rows, blocks], {
      seed: c.seed,
      requiresGrad: true,
    });
    const fo = { ...o, outputSize: size };
    return { label: `fold(${x}, ${JSON.stringify(fo)})`, inputs: [x], call: (xx) => lib.fold(xx!, fo) };
  });

/** Valid calls of every op family with kernels on more than one path. */
export const validCallArb: fc.Arbitrary<ValidCall> = fc.oneof(
  { arbitrary: convArb, weight: 4 },
  { arbitrary: poolArb, weight: 3 },
  { arbitrary: interpolateArb, weight: 3 },
  { arbitrary: shuffleArb, weight: 1 },
  { arbitrary: foldArb, weight: 2 },
);

/** Float32 values of two paths agree: NaN with NaN, equal infinities, else within tolerance. */
export function closeEnough(a: ArrayLike<number>, b: ArrayLike<number>, scale: number): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    if (Math.abs(x - y) <= 1e-4 * scale * (1 + Math.abs(y))) continue;
    return `element ${i}: ${x} vs ${y}`;
  }
  return null;
}

export { tensor };
