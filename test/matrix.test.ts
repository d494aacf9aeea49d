/**
 * The convolution matrix: C·x = conv(x), Cᵀ·y = convTranspose(y), ⟨Cx, y⟩ = ⟨x, Cᵀy⟩ over random
 * 1-3d configurations (groups, dilation, stride, padding numbers / pairs / 'same' / 'valid'), the
 * CSR structure and the tap bookkeeping of rowEntries, and every error path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  tensor,
  randn,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
} from '../src/index.js';
import { convMatrix, MAX_DENSE_ELEMENTS } from '../src/matrix/convMatrix.js';
import { throwsArg } from './throws.js';

const convs = [conv1d, conv2d, conv3d];
const convTs = [convTranspose1d, convTranspose2d, convTranspose3d];

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= tol * (1 + Math.abs(e))))
      assert.fail(`${what}: element ${i}: ${actual[i]} vs ${e}`);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

type Pad = number | [number, number];

/** Random conv configurations; sizes chosen so the padded input holds the dilated kernel. */
const config = fc.integer({ min: 1, max: 3 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    batch: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    groups: fc.integer({ min: 1, max: 2 }),
    cinPerGroup: fc.integer({ min: 1, max: 2 }),
    coutPerGroup: fc.integer({ min: 1, max: 2 }),
    paddingKind: fc.constantFrom('numbers', 'pairs', 'same', 'valid'),
    dims: fc.array(
      fc.record({
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 3 }),
        dl: fc.integer({ min: 1, max: 2 }),
        pb: fc.integer({ min: 0, max: 2 }),
        pe: fc.integer({ min: 0, max: 2 }),
        extra: fc.integer({ min: 0, max: d === 3 ? 2 : 4 }),
      }),
      { minLength: d, maxLength: d },
    ),
    seed: fc.integer({ min: 0, max: 1e6 }),
  }),
);
type Config = typeof config extends fc.Arbitrary<infer T> ? T : never;

function setup(c: Config) {
  const same = c.paddingKind === 'same';
  const stride = c.dims.map((q) => (same ? 1 : q.s));
  const dilation = c.dims.map((q) => q.dl);
  const kernel = c.dims.map((q) => q.k);
  // resolved [begin, end] per dimension, written out here independently of the library
  const pairs: [number, number][] = c.dims.map((q) => {
    if (c.paddingKind === 'valid') return [0, 0];
    if (same) {
      const total = q.dl * (q.k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    return c.paddingKind === 'pairs' ? [q.pb, q.pe] : [q.pb, q.pb];
  });
  const padding: Pad[] | 'same' | 'valid' =
    c.paddingKind === 'numbers'
      ? pairs.map((p) => p[0])
      : c.paddingKind === 'pairs'
        ? pairs
        : (c.paddingKind as 'same' | 'valid');
  const size = c.dims.map(
    (q, i) => Math.max(1, q.dl * (q.k - 1) + 1 - pairs[i]![0] - pairs[i]![1]) + q.extra,
  );
  const cin = c.groups * c.cinPerGroup;
  const cout = c.groups * c.coutPerGroup;
  const lead = c.batch === undefined ? [] : [c.batch];
  const inputShape = [...lead, cin, ...size];
  const w = randn([cout, c.cinPerGroup, ...kernel], { seed: c.seed });
  const x = randn(inputShape, { seed: c.seed + 1 });
  const options = { stride, dilation, padding, groups: c.groups };
  return { inputShape, size, w, x, options, pairs, stride, dilation };
}

test('convMatrix: a hand-checked 1-d case, dense and CSR', () => {
  const C = convMatrix([1, 3], tensor([[[1, 2]]]));
  assert.equal(C.rows, 2);
  assert.equal(C.cols, 3);
  assert.equal(C.nnz, 4);
  assert.deepEqual(C.toDense().toArray(), [
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.deepEqual(Array.from(C.rowPtr), [0, 2, 4]);
  assert.deepEqual(Array.from(C.colIndex), [0, 1, 1, 2]);
  assert.deepEqual(Array.from(C.values), [1, 2, 1, 2]);
  assert.deepEqual(C.transpose().toDense().toArray(), [
    [1, 0],
    [2, 1],
    [0, 2],
  ]);
  assert.equal(C.transpose().transpose(), C);
  // stride 2, padding 1: outputs at -1..0, 1..2 → rows [w1, 0, 0], [0, w0, w1]... for k = 2
  const S = convMatrix([1, 4], tensor([[[1, 2]]]), { stride: 2, padding: 1 });
  assert.deepEqual(S.toDense().toArray(), [
    [2, 0, 0, 0],
    [0, 1, 2, 0],
    [0, 0, 0, 1],
  ]);
  assert.deepEqual(S.rowEntries(1), [
    { col: 1, value: 1, weightIndex: 0, tap: [0] },
    { col: 2, value: 2, weightIndex: 1, tap: [1] },
  ]);
  assert.deepEqual(S.rowCoords(2), { batch: 0, channel: 0, position: [2] });
  assert.deepEqual(S.transpose().rowEntries(3), [{ col: 2, value: 1, weightIndex: 0, tap: [0] }]);
});

test('C·x = conv(x), Cᵀ·y = convTranspose(y), <Cx, y> = <x, Cᵀy>', () => {
  fc.assert(
    fc.property(config, (c) => {
      const { inputShape, size, w, x, options, pairs, stride, dilation } = setup(c);
      const C = convMatrix(inputShape, w, options);
      const y = convs[c.d - 1]!(x, w, options);
      assert.deepEqual(C.outputShape, y.shape);
      assert.equal(C.rows, y.size);
      assert.equal(C.cols, x.size);
      close(C.matvec(x), y.data, 1e-5, 'C·x');
      close(C.matvec(Array.from(x.data)), y.data, 1e-5, 'C·x from an array');
      const gy = randn([...y.shape], { seed: c.seed + 2 });
      const T = C.transpose();
      const xt = convTs[c.d - 1]!(gy, w, {
        stride,
        dilation,
        padding: pairs,
        groups: c.groups,
        outputSize: size,
      });
      assert.deepEqual(xt.shape, inputShape);
      close(T.matvec(gy), xt.data, 1e-5, 'Cᵀ·y');
      const lhs = dot(C.matvec(x), gy.data);
      const rhs = dot(x.data, T.matvec(gy));
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
    }),
    { numRuns: 80, seed: 21 },
  );
});

test('CSR structure: sorted columns, rowEntries taps point at the right input cell and weight', () => {
  fc.assert(
    fc.property(config, (c) => {
      const { inputShape, w, options, pairs, stride, dilation } = setup(c);
      const C = convMatrix(inputShape, w, options);
      assert.equal(C.rowPtr[0], 0);
      assert.equal(C.rowPtr[C.rows], C.nnz);
      for (let r = 0; r < C.rows; r++) {
        const entries = C.rowEntries(r);
        assert.equal(entries.length, C.rowPtr[r + 1]! - C.rowPtr[r]!);
        const out = C.rowCoords(r);
        for (let e = 0; e < entries.length; e++) {
          const { col, value, weightIndex, tap } = entries[e]!;
          if (e > 0) assert.ok(col > entries[e - 1]!.col, 'columns ascend');
          assert.equal(value, w.data[weightIndex]);
          const inp = C.colCoords(col);
          assert.equal(inp.batch, out.batch);
          inp.position.forEach((p, k) =>
            assert.equal(p, out.position[k]! * stride[k]! - pairs[k]![0] + tap[k]! * dilation[k]!),
          );
          // weight index = (outChannel, inChannel within the group, taps)
          const cinG = c.cinPerGroup;
          let kIndex = 0;
          tap.forEach((t, k) => (kIndex = kIndex * c.dims[k]!.k + t));
          const kVol = c.dims.reduce((a, q) => a * q.k, 1);
          assert.equal(weightIndex, (out.channel * cinG + (inp.channel % cinG)) * kVol + kIndex);
          assert.equal(
            Math.floor(inp.channel / cinG),
            Math.floor(out.channel / c.coutPerGroup),
            'same group',
          );
        }
      }
      if (C.rows * C.cols <= 4096) {
        const D = C.toDense();
        const DT = C.transpose().toDense();
        for (let r = 0; r < C.rows; r++)
          for (let q = 0; q < C.cols; q++) assert.equal(D.data[r * C.cols + q], DT.data[q * C.rows + r]);
      }
    }),
    { numRuns: 40, seed: 22 },
  );
});

test('float64 weights give float64 values; batches are block-diagonal', () => {
  const w = tensor(Float64Array.from(randn([2, 1, 3], { seed: 1 }).data), [2, 1, 3], { dtype: 'float64' });
  const C = convMatrix([2, 1, 5], w, { padding: 1 });
  assert.ok(C.values instanceof Float64Array, 'float64 values');
  assert.equal(C.toDense().dtype, 'float64');
  const one = convMatrix([1, 5], w, { padding: 1 });
  assert.equal(C.nnz, 2 * one.nnz);
  const D = C.toDense();
  const D1 = one.toDense();
  for (let r = 0; r < C.rows; r++)
    for (let q = 0; q < C.cols; q++) {
      const sameBlock = Math.floor(r / one.rows) === Math.floor(q / one.cols);
      const expected = sameBlock ? D1.data[(r % one.rows) * one.cols + (q % one.cols)]! : 0;
      assert.equal(D.data[r * C.cols + q], expected);
    }
});

test('convMatrix errors name the argument', () => {
  const w = randn([2, 1, 3, 3]);
  throwsArg(() => convMatrix([1, 5, 5], 'w' as never), 'weight', /must be a Tensor/);
  throwsArg(
    () => convMatrix([1, 5, 5], randn([2, 1])),
    'weight',
    /weight\.shape = \[2, 1\] must have 3 to 5 dimensions/,
  );
  throwsArg(() => convMatrix(5 as never, w), 'inputShape', /must be an array/);
  throwsArg(() => convMatrix([5, 5], w), 'inputShape', /must have 4 entries/);
  throwsArg(() => convMatrix([1, 5, 0], w), 'inputShape', /inputShape\[2\] = 0 must be a positive integer/);
  throwsArg(() => convMatrix([1, 5, 2.5], w), 'inputShape', /inputShape\[2\] = 2.5/);
  throwsArg(() => convMatrix([1, 2, 5], w), 'inputShape', /inputShape\[1\] = 2 is too small/);
  throwsArg(() => convMatrix([2, 5, 5], w), 'weight', /weight\.shape\[1\] = 1 must equal input channels/);
  throwsArg(
    () => convMatrix([2, 5, 5], w, { groups: 3 }),
    'groups',
    /must divide the input channels inputShape\[0\] = 2/,
  );
  throwsArg(() => convMatrix([1, 5, 5], w, { stride: [1, 0] }), 'stride', /stride\[1\] = 0/);
  throwsArg(
    () => convMatrix([1, 5, 5], w, { padding: 'same', stride: 2 }),
    'padding',
    /'same' needs stride 1/,
  );
  throwsArg(() => convMatrix([1, 5, 5], w, { bias: randn([2]) } as never), 'bias', /not part of the matrix/);
  throwsArg(() => convMatrix([1, 5, 5], w, null as never), 'options', /must be an object/);
  throwsArg(
    () => convMatrix([1, 5, 5], tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3], { dtype: 'int32' })),
    'weight',
  );
  throwsArg(
    () => convMatrix([64, 64, 64, 64], randn([64, 64, 3, 3])),
    'inputShape',
    /more than the 67108864 convMatrix builds/,
  );

  const C = convMatrix([1, 5, 5], w);
  throwsArg(
    () => C.matvec(new Float32Array(24)),
    'x',
    /x\.length = 24 must equal the matrix's column count 25/,
  );
  throwsArg(() => C.matvec(randn([1, 4, 4])), 'x', /x\.size = 16/);
  throwsArg(() => C.matvec(3 as never), 'x', /must be a Tensor or an array-like/);
  throwsArg(() => C.transpose().matvec(new Float32Array(25)), 'x', /column count 18/);
  throwsArg(() => C.rowEntries(18), 'r', /from 0 to 17/);
  throwsArg(() => C.rowEntries(-1), 'r');
  throwsArg(() => C.rowCoords(1.5), 'r');
  throwsArg(() => C.colCoords(25), 'c');
  const big = convMatrix([1, 64, 64], randn([2, 1, 3, 3]));
  assert.ok(big.rows * big.cols > MAX_DENSE_ELEMENTS, 'too big for toDense');
  throwsArg(() => big.toDense(), 'matrix', /toDense: matrix = \[7688, 4096\] has 31490048 dense elements/);
});
