/**
 * conv*Input / conv*Weight beyond the PyTorch fixtures (test/fixtures/conv_grad.json): their
 * relation to convTranspose and to conv's own backward pass, and every argument check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2d,
  conv1dInput,
  conv2dInput,
  conv3dInput,
  conv2dWeight,
  conv3dWeight,
  convTranspose2d,
  randn,
  zeros,
} from '../src/index.js';
import { throwsArg } from './throws.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('conv2dInput is convTranspose2d with outputSize; both equal conv2d backward', () => {
  const x = randn([2, 3, 9, 8], { seed: 1, requiresGrad: true });
  const w = randn([4, 3, 3, 2], { seed: 2, requiresGrad: true });
  const options = { stride: 2, padding: [1, 0], dilation: [1, 2] };
  const y = conv2d(x, w, options);
  const gy = randn([...y.shape], { seed: 3 });
  y.backward(gy);
  const gx = conv2dInput(x.shape, w, gy, options);
  const gw = conv2dWeight(x, w.shape, gy, options);
  close(gx.data, x.grad!.data, 'input gradient');
  close(gw.data, w.grad!.data, 'weight gradient');
  const t = convTranspose2d(gy, w, { ...options, outputSize: [9, 8] });
  close(gx.data, t.data, 'convTranspose2d');
  assert.deepEqual(gx.shape, [2, 3, 9, 8]);
  assert.deepEqual(gw.shape, [4, 3, 3, 2]);
});

test('conv*Input / conv*Weight refuse bad arguments, naming them', () => {
  const w = randn([4, 3, 3, 3]);
  const gy = randn([1, 4, 6, 6]);
  const x = randn([1, 3, 8, 8]);
  throwsArg(
    () => conv2dInput([1, 3, 9, 9], w, gy),
    'gradOutput',
    'gradOutput.shape = [1, 4, 6, 6]',
    '[1, 4, 7, 7]',
  );
  throwsArg(() => conv2dInput([3, 8], w, gy), 'inputShape', 'must have 3 or 4 entries');
  throwsArg(() => conv2dInput([1, 3, 8, 8.5], w, gy), 'inputShape', 'inputShape[3] = 8.5');
  throwsArg(() => conv2dInput('x' as never, w, gy), 'inputShape', 'must be an array');
  throwsArg(
    () => conv2dInput([1, 5, 8, 8], w, gy),
    'weight',
    'weight.shape[1] = 3',
    'input channels / groups',
  );
  throwsArg(() => conv2dInput([1, 3, 2, 2], w, gy), 'inputShape', 'inputShape[2] = 2 is too small');
  throwsArg(() => conv2dInput([1, 3, 8, 8], w, gy, { bias: null } as never), 'bias', 'is not an option');
  throwsArg(() => conv2dInput([1, 3, 8, 8], w, gy, { stride: 0 }), 'stride', 'stride = 0');
  throwsArg(() => conv2dInput([1, 3, 8, 8], {} as never, gy), 'weight', 'must be a Tensor');
  throwsArg(() => conv2dInput([1, 3, 8, 8], w, [1] as never), 'gradOutput', 'must be a Tensor');
  throwsArg(
    () =>
      conv2dInput([1, 3, 2 ** 20, 2 ** 20], randn([4, 3, 1, 1]), randn([1, 4, 1, 1]), { stride: 2 ** 20 }),
    'inputShape',
    'more than',
  );
  throwsArg(() => conv1dInput([1, 3, 8], w, gy), 'weight', 'weight.shape');
  throwsArg(() => conv2dWeight(x, [4, 3, 3], gy), 'weightShape', 'must have 4 entries');
  throwsArg(() => conv2dWeight(x, [4, 3, 0, 3], gy), 'weightShape', 'weightShape[2] = 0');
  throwsArg(() => conv2dWeight(x, [4, 3, 3, 3], randn([1, 4, 5, 6])), 'gradOutput', 'gradOutput.shape');
  throwsArg(() => conv2dWeight(x, [4, 2, 3, 3], gy), 'weightShape', 'weightShape[1] = 2');
  throwsArg(() => conv2dWeight(x, [4, 3, 3, 3], gy, { groups: 2 }), 'groups', 'groups = 2');
  throwsArg(
    () => conv2dWeight(zeros([1, 3, 8, 8], { dtype: 'int32' }), [4, 3, 3, 3], gy),
    'input',
    "input.dtype = 'int32'",
  );
  throwsArg(() => conv3dInput([1, 3, 8, 8], w, gy), 'weight', 'weight.shape');
  throwsArg(() => conv3dWeight(randn([3, 8]), [4, 3, 3, 3, 3], gy), 'input', 'input.shape');
});
