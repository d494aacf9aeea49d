/**
 * The fuzz suite (issue #14): every input, however wrong or large, gets a clear answer.
 *
 * 1. Valid calls of every op family (random ranks, batches including 0, groups, strides, …) run on
 *    the 'reference', 'js', 'wasm' and 'fast' kernel paths, forward and backward; every path must
 *    agree with the reference (the float64-accumulating loops).
 * 2. A valid base call of every public function with one mutation: an option set to a value of
 *    every wrong type, an unknown option, a tensor argument replaced by a look-alike object, a
 *    disposed tensor, an int32 or wrong-rank tensor, or a huge empty tensor (a batch of 0 with a
 *    2³¹ or 2⁴⁰ dimension). The outcome must be a DeconvError that names the function and an
 *    argument (for a look-alike or an unknown option, that argument), or a result whose tensors
 *    keep their invariants; never another exception, never more than 5 s.
 * 3. Fully random arguments of random types for every function: the same oracle.
 *
 * Budget: DECONV_FUZZ_RUNS calls per property (300 by default, a few seconds); the seed is printed
 * and DECONV_FUZZ_SEED replays it. Helpers and the catalogue of wrong values: test/fuzz-util.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as lib from '../src/index.js';
import { nn, randn, zeros, tensor, type Tensor, type KernelPath } from '../src/index.js';
import {
  RUNS,
  SEED,
  run,
  check,
  stats,
  wrongValues,
  neverValid,
  badTensors,
  hugeEmpty,
  validCallArb,
  closeEnough,
  tensorsOf,
} from './fuzz-util.js';

const PATHS: readonly KernelPath[] = ['reference', 'js', 'wasm', 'fast'];
const savedPath = lib.getKernelPath();

before(async () => {
  await lib.ready();
  console.log(`fuzz: seed ${SEED}, ${RUNS} runs per property (replay: DECONV_FUZZ_SEED=${SEED})`);
});
after(() => {
  lib.setKernelPath(savedPath);
  console.log(
    `fuzz: ${stats.calls} calls, ${stats.refusals} refusals (DeconvError), ${stats.results} results, ` +
      `${stats.compared} valid results compared across paths, ${stats.crashes} other exceptions; ` +
      `slowest call ${stats.slowest.toFixed(0)} ms (${stats.slowestCall})`,
  );
});

function onPath<T>(path: KernelPath, f: () => T): T {
  lib.setKernelPath(path);
  try {
    return f();
  } finally {
    lib.setKernelPath(savedPath);
  }
}

const params = { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true } as const;

test('valid calls agree across the reference, js, wasm and fast paths, gradients included', () => {
  fc.assert(
    fc.property(validCallArb, fc.integer({ min: 0, max: 2 ** 30 }), (vc, gseed) => {
      const results = PATHS.map((path) =>
        onPath(path, () => {
          for (const t of vc.inputs) t.grad = null;
          const out = run(`${vc.label} on '${path}'`, () => vc.call(...vc.inputs));
          report(check(`${vc.label} on '${path}'`, out));
          if (out.kind === 'crashed') return { refused: String(out.error) };
          if (out.kind !== 'result') return { refused: (out as { error: Error }).error.message };
          const y = tensorsOf(out.value)[0]!;
          const g = randn([...y.shape], { seed: gseed });
          y.backward(g);
          return {
            values: tensorsOf(out.value).map((t) => Array.from(t.data)),
            grads: vc.inputs.map((t) => (t.grad ? Array.from(t.grad.data) : null)),
          };
        }),
      );
      const ref = results[0]!;
      results.slice(1).forEach((r, i) => {
        const path = PATHS[i + 1];
        if ('refused' in ref || 'refused' in r) {
          assert.deepEqual(r, ref, `${vc.label}: '${path}' and 'reference' must refuse alike`);
          return;
        }
        ref.values!.forEach((v, j) => {
          const p = closeEnough(r.values![j]!, v, 30);
          assert.equal(p, null, `${vc.label}: output ${j} on '${path}' vs 'reference': ${p}`);
        });
        ref.grads!.forEach((v, j) => {
          if (v === null) return;
          const p = closeEnough(r.grads![j]!, v, 30);
          assert.equal(p, null, `${vc.label}: gradient of input ${j} on '${path}' vs 'reference': ${p}`);
        });
        stats.compared++;
      });
    }),
    params,
  );
});

/** A public function with a valid base call: its tensor slots and its option keys. */
interface Spec {
  name: string;
  /** the valid arguments; a slot `{ tensor: i }` … are positions of tensors within `args` */
  args: () => unknown[];
  /** positions of tensor arguments and their names as the contract spells them */
  tensors: { at: number; name: string; key?: string }[];
  /** position of the options record in `args`, and its keys */
  options?: { at: number; keys: string[] };
  call: (...args: unknown[]) => unknown;
  /** a method: the first argument is the tensor it is called on (the random property keeps it one) */
  method?: boolean;
}

const x2 = () => randn([1, 2, 5, 5], { seed: 1 });

function conv(d: number, transposed: boolean): Spec {
  const name = transposed ? `convTranspose${d}d` : `conv${d}d`;
  const sp = new Array<number>(d).fill(5);
  const k = new Array<number>(d).fill(3);
  return {
    name,
    args: () => [
      randn([1, 2, ...sp], { seed: 1 }),
      randn([2, 2, ...k], { seed: 2 }),
      { bias: randn([2], { seed: 3 }), stride: 1, padding: 1 },
    ],
    tensors: [
      { at: 0, name: 'input' },
      { at: 1, name: 'weight' },
      { at: 2, name: 'bias', key: 'bias' },
    ],
    options: {
      at: 2,
      keys: transposed
        ? ['bias', 'stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize']
        : ['bias', 'stride', 'padding', 'dilation', 'groups'],
    },
    call: (...a) => (lib[name as 'conv1d'] as (...b: unknown[]) => unknown)(...a),
  };
}

function pool(d: number, kind: 'max' | 'avg' | 'unpool'): Spec {
  const sp = new Array<number>(d).fill(6);
  if (kind === 'unpool') {
    const name = `maxUnpool${d}d`;
    return {
      name,
      args: () => {
        const p = lib[`maxPool${d}d` as 'maxPool1d'](randn([1, 2, ...sp], { seed: 1 }), {
          kernelSize: 2,
          returnIndices: true,
        });
        return [p.output, p.indices, { kernelSize: 2, stride: 2 }];
      },
      tensors: [
        { at: 0, name: 'input' },
        { at: 1, name: 'indices' },
      ],
      options: { at: 2, keys: ['kernelSize', 'stride', 'padding', 'outputSize'] },
      call: (...a) => (lib[name as 'maxUnpool1d'] as (...b: unknown[]) => unknown)(...a),
    };
  }
  const name = `${kind}Pool${d}d`;
  return {
    name,
    args: () => [randn([1, 2, ...sp], { seed: 1 }), { kernelSize: 2, stride: 1, padding: 1 }],
    tensors: [{ at: 0, name: 'input' }],
    options: {
      at: 1,
      keys:
        kind === 'max'
          ? ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']
          : ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'],
    },
    call: (...a) => (lib[name as 'maxPool1d'] as (...b: unknown[]) => unknown)(...a),
  };
}

const allSpecs: Spec[] = [
  ...[1, 2, 3].flatMap((d) => [conv(d, false), conv(d, true)]),
  ...[1, 2, 3].flatMap((d) => [pool(d, 'max'), pool(d, 'avg'), pool(d, 'unpool')]),
  {
    name: 'interpolate',
    args: () => [x2(), { size: [7, 3], mode: 'bilinear', alignCorners: false }],
    tensors: [{ at: 0, name: 'input' }],
    options: { at: 1, keys: ['size', 'scaleFactor', 'mode', 'alignCorners'] },
    call: (a, b) => lib.interpolate(a as Tensor, b as never),
  },
  {
    name: 'pixelShuffle',
    args: () => [randn([1, 8, 3, 3], { seed: 1 }), 2],
    tensors: [{ at: 0, name: 'input' }],
    call: (a, b) => lib.pixelShuffle(a as Tensor, b as number),
  },
  {
    name: 'pixelUnshuffle',
    args: () => [randn([1, 2, 4, 4], { seed: 1 }), 2],
    tensors: [{ at: 0, name: 'input' }],
    call: (a, b) => lib.pixelUnshuffle(a as Tensor, b as number),
  },
  {
    name: 'unfold',
    args: () => [x2(), { kernelSize: 2, stride: 1, padding: 0, dilation: 1 }],
    tensors: [{ at: 0, name: 'input' }],
    options: { at: 1, keys: ['kernelSize', 'dilation', 'padding', 'stride'] },
    call: (a, b) => lib.unfold(a as Tensor, b as never),
  },
  {
    name: 'fold',
    args: () => [randn([1, 8, 16], { seed: 1 }), { outputSize: [5, 5], kernelSize: 2 }],
    tensors: [{ at: 0, name: 'input' }],
    options: { at: 1, keys: ['outputSize', 'kernelSize', 'dilation', 'padding', 'stride'] },
    call: (a, b) => lib.fold(a as Tensor, b as never),
  },
  {
    name: 'convOutputSize',
    args: () => [{ inputSize: [7, 8], kernelSize: 3, stride: 2, padding: 1, dilation: 1, ceilMode: false }],
    tensors: [],
    options: { at: 0, keys: ['inputSize', 'kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'] },
    call: (a) => lib.convOutputSize(a as never),
  },
  {
    name: 'convTransposeOutputSize',
    args: () => [{ inputSize: 7, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, dilation: 1 }],
    tensors: [],
    options: { at: 0, keys: ['inputSize', 'kernelSize', 'stride', 'padding', 'outputPadding', 'dilation'] },
    call: (a) => lib.convTransposeOutputSize(a as never),
  },
  {
    name: 'solveConvTranspose',
    args: () => [{ inputSize: 7, outputSize: 14 }],
    tensors: [],
    options: {
      at: 0,
      keys: [
        'inputSize',
        'outputSize',
        'kernelSize',
        'stride',
        'padding',
        'outputPadding',
        'dilation',
        'maxResults',
      ],
    },
    call: (a) => lib.solveConvTranspose(a as never),
  },
  {
    name: 'hasEvenOverlap',
    args: () => [{ kernelSize: [4, 3], stride: 2, dilation: 1 }],
    tensors: [],
    options: { at: 0, keys: ['kernelSize', 'stride', 'dilation'] },
    call: (a) => lib.hasEvenOverlap(a as never),
  },
  {
    name: 'convOutputLength',
    args: () => [
      { inputSize: 9, kernelSize: 3, stride: 2, padBegin: 1, padEnd: 0, dilation: 2, ceilMode: true },
    ],
    tensors: [],
    options: {
      at: 0,
      keys: ['inputSize', 'kernelSize', 'stride', 'padBegin', 'padEnd', 'dilation', 'ceilMode'],
    },
    call: (a) => lib.convOutputLength(a as never),
  },
  {
    name: 'transposedOutputLength',
    args: () => [
      { inputSize: 9, kernelSize: 3, stride: 2, padBegin: 1, padEnd: 0, dilation: 2, outputPadding: 1 },
    ],
    tensors: [],
    options: {
      at: 0,
      keys: ['inputSize', 'kernelSize', 'stride', 'padBegin', 'padEnd', 'dilation', 'outputPadding'],
    },
    call: (a) => lib.transposedOutputLength(a as never),
  },
  ...(
    [
      ['effectiveKernel', [3, 2]],
      ['unpoolOutputLength', [4, 2, 2, 0]],
      ['samePadding', [4, 3]],
      ['largestOutputPadding', [2, 3]],
      ['largestPoolPadding', [5]],
    ] as const
  ).map(([name, args]): Spec => ({
    name,
    args: () => [...args],
    tensors: [],
    call: (...a) => (lib[name] as (...b: unknown[]) => unknown)(...a),
  })),
  {
    name: 'convMatrix',
    args: () => [[1, 4, 4], randn([2, 1, 3, 3], { seed: 2 }), { stride: 1, padding: 1 }],
    tensors: [{ at: 1, name: 'weight' }],
    options: { at: 2, keys: ['stride', 'padding', 'dilation', 'groups'] },
    call: (a, b, c) => lib.convMatrix(a as never, b as Tensor, c as never),
  },
  {
    name: 'tensor',
    args: () => [[1, 2, 3, 4], [2, 2], { dtype: 'float32', requiresGrad: false }],
    tensors: [],
    options: { at: 2, keys: ['dtype', 'requiresGrad'] },
    call: (a, b, c) => tensor(a as never, b as never, c as never),
  },
  {
    name: 'full',
    args: () => [[2, 3], 7, { dtype: 'int32' }],
    tensors: [],
    options: { at: 2, keys: ['dtype', 'requiresGrad'] },
    call: (a, b, c) => lib.full(a as never, b as never, c as never),
  },
  {
    name: 'zeros',
    args: () => [[2, 3], { dtype: 'float32' }],
    tensors: [],
    options: { at: 1, keys: ['dtype', 'requiresGrad'] },
    call: (a, b) => zeros(a as never, b as never),
  },
  {
    name: 'randn',
    args: () => [[2, 3], { seed: 1, requiresGrad: true }],
    tensors: [],
    options: { at: 1, keys: ['seed', 'requiresGrad', 'dtype'] },
    call: (a, b) => randn(a as never, b as never),
  },
  {
    name: 'sum',
    method: true,
    args: () => [randn([2, 3, 4], { seed: 1 }), [0, 2], false],
    tensors: [],
    call: (a, b, c) => (a as Tensor).sum(b as never, c as never),
  },
  {
    name: 'mean',
    method: true,
    args: () => [randn([2, 3, 4], { seed: 1 }), 1, true],
    tensors: [],
    call: (a, b, c) => (a as Tensor).mean(b as never, c as never),
  },
  {
    name: 'add',
    method: true,
    args: () => [randn([2, 3], { seed: 1 }), randn([3], { seed: 2 })],
    tensors: [{ at: 1, name: 'other' }],
    call: (a, b) => (a as Tensor).add(b as never),
  },
  {
    name: 'matmul',
    method: true,
    args: () => [randn([2, 3], { seed: 1 }), randn([3, 4], { seed: 2 })],
    tensors: [{ at: 1, name: 'other' }],
    call: (a, b) => (a as Tensor).matmul(b as never),
  },
  {
    name: 'reshape',
    method: true,
    args: () => [randn([2, 3], { seed: 1 }), [3, -1]],
    tensors: [],
    call: (a, b) => (a as Tensor).reshape(b as never),
  },
  {
    name: 'mseLoss',
    args: () => [randn([2, 3], { seed: 1 }), randn([2, 3], { seed: 2 }), { reduction: 'mean' }],
    tensors: [
      { at: 0, name: 'input' },
      { at: 1, name: 'target' },
    ],
    options: { at: 2, keys: ['reduction'] },
    call: (a, b, c) => nn.mseLoss(a as Tensor, b as Tensor, c as never),
  },
  {
    name: 'crossEntropy',
    args: () => [randn([2, 3], { seed: 1 }), tensor([0, 2], [2], { dtype: 'int32' }), {}],
    tensors: [
      { at: 0, name: 'input' },
      { at: 1, name: 'target' },
    ],
    call: (a, b, c) => nn.crossEntropy(a as Tensor, b as Tensor, c as never),
  },
  {
    name: 'leakyRelu',
    args: () => [randn([2, 3], { seed: 1 }), 0.1],
    tensors: [{ at: 0, name: 'input' }],
    call: (a, b) => nn.leakyRelu(a as Tensor, b as never),
  },
  {
    name: 'uniform',
    args: () => [zeros([3, 3]), -1, 1],
    tensors: [{ at: 0, name: 'tensor' }],
    call: (a, b, c) => nn.init.uniform(a as Tensor, b as never, c as never),
  },
  {
    name: 'SGD',
    args: () => [[randn([3], { seed: 1, requiresGrad: true })], { lr: 0.1 }],
    tensors: [],
    options: { at: 1, keys: ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'] },
    call: (a, b) => new nn.SGD(a as never, b as never),
  },
  {
    name: 'encodePng',
    args: () => [lib.rand([3, 4, 4], { seed: 1 })],
    tensors: [{ at: 0, name: 'image' }],
    call: (a) => lib.encodePng(a as Tensor),
  },
  {
    name: 'writeSafetensors',
    args: () => [{ a: randn([2], { seed: 1 }) }],
    tensors: [],
    call: (a) => lib.writeSafetensors(a as never),
  },
  {
    name: 'Conv2d.forward',
    args: () => [randn([1, 1, 5, 5], { seed: 1 })],
    tensors: [{ at: 0, name: 'input' }],
    call: (a) => new nn.Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3 }).forward(a as Tensor),
  },
];

const specs = allSpecs;

type Mutation =
  | { kind: 'option'; key: string; value: unknown }
  | { kind: 'unknown-option'; key: string }
  | { kind: 'options'; value: unknown }
  | { kind: 'argument'; at: number; value: unknown }
  | { kind: 'bad-tensor'; slot: number; which: number }
  | { kind: 'huge-empty'; slot: number; which: number }
  | { kind: 'int32'; slot: number };

const mutationArb: fc.Arbitrary<{ spec: Spec; m: Mutation; path: KernelPath }> = fc
  .record({
    spec: fc.constantFrom(...specs),
    kind: fc.integer({ min: 0, max: 6 }),
    pick: fc.nat(),
    value: fc.oneof(fc.constantFrom(...wrongValues), fc.anything()),
    path: fc.constantFrom(...PATHS),
  })
  .map(({ spec, kind, pick, value, path }) => {
    const keys = spec.options?.keys ?? [];
    const slots = spec.tensors;
    let m: Mutation;
    if (kind === 0 && keys.length > 0) m = { kind: 'option', key: keys[pick % keys.length]!, value };
    else if (kind === 1 && spec.options)
      m = { kind: 'unknown-option', key: ['fooBar', 'strides', 'pad'][pick % 3]! };
    else if (kind === 2 && spec.options) m = { kind: 'options', value };
    else if (kind === 3 && slots.length > 0)
      m = { kind: 'bad-tensor', slot: pick % slots.length, which: pick };
    else if (kind === 4 && slots.length > 0)
      m = { kind: 'huge-empty', slot: pick % slots.length, which: pick };
    else if (kind === 5 && slots.length > 0) m = { kind: 'int32', slot: pick % slots.length };
    else m = { kind: 'argument', at: pick, value };
    return { spec, m, path };
  });

function describe(v: unknown): string {
  try {
    if (v instanceof lib.Tensor) return `${v}`;
    return typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function'
      ? String(v)
      : (JSON.stringify(v) ?? String(v)).slice(0, 120);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * A failed oracle: an assertion, or with DECONV_FUZZ_SURVEY=1 a line in a list of distinct
 * problems printed at the end (to see every kind of failure of a run at once).
 */
const survey = new Map<string, string>();
function report(problem: string | null): void {
  if (problem === null) return;
  if (process.env.DECONV_FUZZ_SURVEY) {
    const key = problem
      .split('\n')[0]!
      .replace(/^[^:]*: /, '')
      .replace(/[\d.e+-]+/g, '#')
      .slice(0, 100);
    if (!survey.has(key)) survey.set(key, problem.split('\n').slice(0, 4).join('\n'));
    return;
  }
  assert.fail(problem);
}
after(() => {
  for (const p of survey.values()) console.log(`SURVEY ${p}`);
});

test('one mutation of a valid call: a DeconvError naming the argument, or a valid result', () => {
  fc.assert(
    fc.property(mutationArb, ({ spec, m, path }) => {
      const args = spec.args();
      let mustRefuse: string | undefined;
      let label = `${spec.name} on '${path}'`;
      const opts = spec.options ? { ...(args[spec.options.at] as object) } : undefined;
      if (spec.options) args[spec.options.at] = opts;
      const setSlot = (slot: number, value: unknown) => {
        const s = spec.tensors[slot]!;
        if (s.key !== undefined) (args[s.at] as Record<string, unknown>)[s.key] = value;
        else args[s.at] = value;
      };
      switch (m.kind) {
        case 'option':
          (opts as Record<string, unknown>)[m.key] = m.value;
          label += ` with ${m.key} = ${describe(m.value)}`;
          if (
            neverValid.some((v) => v === m.value) ||
            typeof m.value === 'symbol' ||
            typeof m.value === 'bigint' ||
            typeof m.value === 'function'
          )
            mustRefuse = m.key;
          break;
        case 'unknown-option':
          (opts as Record<string, unknown>)[m.key] = 1;
          label += ` with the unknown option ${m.key}`;
          mustRefuse = m.key;
          break;
        case 'options':
          args[spec.options!.at] = m.value;
          label += ` with options = ${describe(m.value)}`;
          break;
        case 'argument': {
          // any argument (or one past the last), except the tensor a method is called on
          const first = spec.method ? 1 : 0;
          const at = first + (m.at % (args.length + 1 - first));
          args[at] = m.value;
          label += ` with argument ${at} = ${describe(m.value)}`;
          break;
        }
        case 'bad-tensor': {
          const s = spec.tensors[m.slot]!;
          const cur =
            s.key !== undefined ? (args[s.at] as Record<string, Tensor>)[s.key]! : (args[s.at] as Tensor);
          const bads = badTensors([...cur.shape]).filter(
            (b) =>
              !(s.name === 'bias' && b.value === null) &&
              !(s.name === 'other' && typeof b.value === 'number'),
          );
          const bad = bads[m.which % bads.length]!;
          setSlot(m.slot, bad.value);
          label += ` with ${s.name} = ${bad.what}`;
          mustRefuse = s.name;
          break;
        }
        case 'huge-empty': {
          const s = spec.tensors[m.slot]!;
          const cur =
            s.key !== undefined ? (args[s.at] as Record<string, Tensor>)[s.key]! : (args[s.at] as Tensor);
          const huge = hugeEmpty(cur.shape.length);
          if (huge.length === 0) return;
          const h = huge[m.which % huge.length]!;
          setSlot(m.slot, h);
          label += ` with ${s.name} = zeros(${describe(h.shape)})`;
          break;
        }
        case 'int32': {
          const s = spec.tensors[m.slot]!;
          const cur =
            s.key !== undefined ? (args[s.at] as Record<string, Tensor>)[s.key]! : (args[s.at] as Tensor);
          setSlot(m.slot, zeros([...cur.shape], { dtype: 'int32' }));
          label += ` with ${s.name} of dtype int32`;
          break;
        }
      }
      const out = onPath(path, () => run(label, () => spec.call(...args)));
      report(check(label, out, mustRefuse));
    }),
    { ...params, numRuns: RUNS * 2 },
  );
});

test('fully random arguments of every function: a DeconvError or a valid result', () => {
  const tensorArb = fc.oneof(
    fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 5 })
      .map((shape) => randn(shape, { seed: 1 })),
    fc.constantFrom(...hugeEmpty(4), ...hugeEmpty(3)),
    fc.constant(zeros([2, 2], { dtype: 'int32' })),
  );
  const argArb = fc.oneof(
    { arbitrary: tensorArb, weight: 3 },
    { arbitrary: fc.constantFrom(...wrongValues), weight: 2 },
    { arbitrary: fc.anything({ maxDepth: 2 }), weight: 1 },
    {
      arbitrary: fc.dictionary(
        fc.constantFrom(
          'kernelSize',
          'stride',
          'padding',
          'dilation',
          'size',
          'mode',
          'groups',
          'bias',
          'outputSize',
        ),
        fc.oneof(fc.constantFrom(...wrongValues), fc.integer({ min: 0, max: 4 }), tensorArb),
      ),
      weight: 2,
    },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...specs),
      fc.array(argArb, { maxLength: 4 }),
      fc.constantFrom(...PATHS),
      (spec, args, path) => {
        if (spec.method) args[0] = randn([2, 3], { seed: 1 });
        const label = `${spec.name}(${args.map(describe).join(', ')}) on '${path}'`;
        const out = onPath(path, () => run(label, () => spec.call(...args)));
        report(check(label, out));
      },
    ),
    params,
  );
});
