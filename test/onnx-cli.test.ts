/**
 * `deconv onnx inspect|run` on PyTorch-exported models, and importOnnx's refusals at import: an
 * unsupported operator, attribute, attribute value or type names the node and the operator; a
 * wrong feed is refused by run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ONNX_EXAMPLES } from '../cli/onnx.js';
import { DeconvError, importOnnx, randn, readPng, tensor } from '../src/node.js';
import { decodeModel, encodeModel, type ModelProto } from '../src/onnx/proto.js';
import { runCli } from './cli-util.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('deconv onnx inspect: layers, sizes, formulas, checkerboard verdicts, PyTorch calls', async () => {
  const r = await runCli(['onnx', 'inspect', 'test/fixtures/onnx/torch/dcgan_opset17/model.onnx'], root);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /ConvTranspose .*: \?×6×4×4 → \?×4×8×8/,
    'input → output sizes with the symbolic batch',
  );
  assert.match(r.out, /2·\(4 − 1\) − 2·1 \+ 4 \+ 0 = 8/, 'the formula filled in');
  assert.match(r.out, /no checkerboard/, 'kernel 4, stride 2: even overlap');
  assert.match(r.out, /nn\.ConvTranspose2d\(6, 4, kernel_size=4, stride=2, padding=1\)/, 'the PyTorch call');
  const seg = await runCli(
    ['onnx', 'inspect', 'test/fixtures/onnx/torch/segmenter_opset13/model.onnx'],
    root,
  );
  assert.equal(seg.code, 0, seg.err);
  assert.match(seg.out, /Resize .*\?×6×4×4 → \?×6×8×8/, 'Resize sizes through the symbolic batch');
  assert.match(seg.out, /mode='bilinear', align_corners=False/, "Resize as PyTorch's bilinear interpolate");
  const odd = await runCli(
    ['onnx', 'inspect', 'test/fixtures/onnx/node/test_convtranspose_kernel_shape/model.onnx'],
    root,
  );
  assert.equal(odd.code, 0, odd.err);
  const bad = await runCli(['onnx', 'inspect', 'no-such.onnx'], root);
  assert.equal(bad.code, 2, 'a missing file is a usage error');
});

test('deconv onnx run: an ESPCN-style ×3 net on a photo, and every help example', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-onnx-'));
  try {
    for (const d of ['test', 'assets']) symlinkSync(join(root, d), join(dir, d));
    for (const e of [...ONNX_EXAMPLES.inspect, ...ONNX_EXAMPLES.run]) {
      const r = await runCli([...e.args], dir);
      assert.equal(r.code, 0, `deconv ${e.args.join(' ')}: ${r.err}`);
    }
    const photo = readPng(join(root, 'assets/photo.png'));
    const out = readPng(readFileSync(join(dir, 'photo-espcn.png')));
    assert.deepEqual(
      [...out.shape.slice(1)],
      [photo.shape[1]! * 3, photo.shape[2]! * 3],
      'three times the photo',
    );
    const notImage = await runCli(
      [
        'onnx',
        'run',
        'test/fixtures/onnx/torch/dcgan_opset17/model.onnx',
        '--input',
        'assets/photo.png',
        '-o',
        'x.png',
      ],
      dir,
    );
    assert.notEqual(notImage.code, 0, 'a model that does not take images is refused');
    assert.match(notImage.err, /takes an input of shape \[\?, 8, 1, 1\]: an image model takes/, notImage.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const bytesOf = (path: string): Uint8Array => readFileSync(join(root, 'test/fixtures/onnx', path));
function edited(path: string, edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModel('test', bytesOf(path));
  edit(m);
  return encodeModel(m);
}
function refused(bytes: Uint8Array, pattern: RegExp, what: string): void {
  assert.throws(
    () => importOnnx(bytes),
    (e: unknown) => e instanceof DeconvError && pattern.test(e.message),
    what,
  );
}

test('importOnnx refuses, naming the node and the operator, before any run', () => {
  const ct = 'node/test_convtranspose_pads/model.onnx';
  refused(
    edited(ct, (m) => (m.graph!.node![0]!.opType = 'Einsum')),
    /node 0 .*\(Einsum\).*not supported/,
    'unsupported operator',
  );
  refused(
    edited(ct, (m) => m.graph!.node![0]!.attribute!.push({ name: 'speed', type: 2, i: 1 })),
    /\(ConvTranspose\): attribute speed/,
    'unknown attribute',
  );
  refused(
    edited(ct, (m) =>
      m.graph!.node![0]!.attribute!.push({
        name: 'auto_pad',
        type: 3,
        s: new TextEncoder().encode('SAME_MIDDLE'),
      }),
    ),
    /\(ConvTranspose\): attribute auto_pad = 'SAME_MIDDLE'/,
    'bad attribute value',
  );
  refused(
    edited(ct, (m) => {
      const strides = m.graph!.node![0]!.attribute!.find((a) => a.name === 'strides')!;
      strides.ints = [3];
    }),
    /attribute strides = \[3\] must have 2 entries/,
    'wrong attribute length',
  );
  refused(
    edited('node/test_resize_upsample_scales_linear/model.onnx', (m) => {
      const mode = m.graph!.node![0]!.attribute!.find((a) => a.name === 'mode')!;
      mode.s = new TextEncoder().encode('area');
    }),
    /\(Resize\): attribute mode = 'area'/,
    'Resize mode',
  );
  refused(
    edited(ct, (m) => (m.graph!.input![0]!.type!.tensorType!.elemType = 10)),
    /float16/,
    'unsupported type',
  );
  refused(
    edited('node/test_maxpool_2d_pads/model.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim = [1, 3, 2, 2].map((v) => ({ dimValue: v }));
      const k = m.graph!.node![0]!.attribute!.find((a) => a.name === 'kernel_shape')!;
      k.ints = [9, 9];
    }),
    /\(MaxPool\).*smaller than the dilated kernel/,
    'shapes that cannot work, found by shape inference',
  );
  refused(
    edited('node/test_batchnorm_example/model.onnx', (m) => {
      m.opsetImport![0]!.version = 7; // spatial is an attribute of opsets 7 and 8
      m.graph!.node![0]!.attribute!.push({ name: 'spatial', type: 2, i: 2 });
    }),
    /\(BatchNormalization\): attribute spatial = 2 is not supported/,
    'the attribute value as the model has it',
  );
  refused(new Uint8Array([1, 2, 3, 4, 5]), /ONNX ModelProto|without a graph/, 'not a model');
});

test('OnnxModel.run refuses feeds of the wrong name, dtype or shape', () => {
  const m = importOnnx(bytesOf('torch/dcgan_opset13/model.onnx'));
  const ok = randn([3, 8, 1, 1], { seed: 0 });
  assert.deepEqual([...m.run({ input0: ok })['output0']!.shape], [3, 3, 16, 16], 'any batch size');
  const argument = (e: unknown): boolean => e instanceof DeconvError && e.argument === 'feeds';
  assert.throws(() => m.run({ image: ok }), argument, 'unknown name');
  assert.throws(() => m.run({}), argument, 'missing input');
  assert.throws(() => m.run({ input0: randn([3, 8, 2, 1]) }), argument, 'wrong shape');
  assert.throws(
    () => m.run({ input0: tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 8, 1, 1], { dtype: 'int32' }) }),
    argument,
    'wrong dtype',
  );
});
