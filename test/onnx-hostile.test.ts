/**
 * Hostile and broken .onnx files are refused by importOnnx with a DeconvError, never a crash, a
 * hang, a huge allocation or a silently wrong model: every truncation of a PyTorch-exported model,
 * seeded byte corruptions, huge and negative dims, cyclic graphs and redefined names, channel and
 * bias mismatches found at import, and external-data locations that would leave the model's
 * folder (in importOnnx and in `deconv onnx inspect`, which reads external data beside the model).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeconvError, importOnnx, readOnnxTensor, type Tensor } from '../src/node.js';
import { DataType, decodeModel, encodeModel, type ModelProto } from '../src/onnx/proto.js';
import { runCli } from './cli-util.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TORCH = join(root, 'test/fixtures/onnx/torch');
const bytesOf = (name: string): Uint8Array => readFileSync(join(TORCH, name, 'model.onnx'));
const tensorOf = (name: string, file: string): Tensor =>
  readOnnxTensor(readFileSync(join(TORCH, name, 'test_data_set_0', file)));

function edited(name: string, edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModel('test', bytesOf(name));
  edit(m);
  return encodeModel(m);
}

function refused(f: () => unknown, pattern: RegExp, what: string): void {
  assert.throws(
    f,
    (e: unknown) => {
      assert.ok(e instanceof DeconvError, `${what}: a DeconvError, not ${String(e)}`);
      assert.match(e.message, pattern, what);
      return true;
    },
    what,
  );
}

/** Imports and, when that works, runs the model on its fixture inputs: only DeconvErrors may escape. */
function importAndRun(name: string, bytes: Uint8Array): 'refused at import' | 'refused at run' | 'ran' {
  let model;
  try {
    model = importOnnx(bytes);
  } catch (e) {
    assert.ok(e instanceof DeconvError, `${name}: import throws a DeconvError, not ${(e as Error).stack}`);
    return 'refused at import';
  }
  const feeds = Object.fromEntries(model.inputNames.map((n, i) => [n, tensorOf(name, `input_${i}.pb`)]));
  try {
    model.run(feeds);
    return 'ran';
  } catch (e) {
    assert.ok(e instanceof DeconvError, `${name}: run throws a DeconvError, not ${(e as Error).stack}`);
    return 'refused at run';
  }
}

test('every truncation of a PyTorch-exported model is refused with a DeconvError', () => {
  const bytes = bytesOf('dcgan_opset17');
  let refusedCount = 0;
  for (let n = 0; n < bytes.length; n++) {
    if (importAndRun('dcgan_opset17', bytes.subarray(0, n)) !== 'ran') refusedCount++;
  }
  assert.equal(refusedCount, bytes.length, 'no truncated file imports and runs');
});

test('seeded byte corruptions: a DeconvError or a model that runs, nothing else', () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const seen = new Map<string, number>();
  for (const name of ['dcgan_opset17', 'segmenter_opset13', 'mixed_opset11', 'espcn_opset17']) {
    const original = bytesOf(name);
    for (let trial = 0; trial < 150; trial++) {
      const b = Uint8Array.from(original);
      for (let j = 0, k = 1 + Math.floor(random() * 3); j < k; j++)
        b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      const r = importAndRun(name, b);
      seen.set(r, (seen.get(r) ?? 0) + 1);
    }
  }
  assert.ok((seen.get('refused at import') ?? 0) > 0, `some corruptions are refused: ${[...seen]}`);
});

test('huge and negative dims are refused before any allocation', () => {
  refused(
    () => importOnnx(edited('dcgan_opset17', (m) => (m.graph!.initializer![0]!.dims = [1e9, 1e9]))),
    /initializer 'net\.0\.weight' has dims \[1000000000, 1000000000\]: .* more than deconv's limit/,
    'an initializer of 10¹⁸ elements',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          const t = m.graph!.initializer![0]!;
          t.dims = [-1, -2];
          t.rawData = new Uint8Array(8);
        }),
      ),
    /initializer 'net\.0\.weight' has dims \[-1, -2\]: each must be a non-negative integer/,
    'negative initializer dims',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.input![0]!.type!.tensorType!.shape!.dim![2] = { dimValue: -5 };
        }),
      ),
    /graph input 'input0' has dims .*non-negative/,
    'a negative input dim',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = { dimValue: 1e12 };
        }),
      ),
    /graph input 'input0' has dims .*more than deconv's limit/,
    'a huge input dim',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.node![0]!.attribute!.push({ name: 'dilations', type: 7, ints: [1e7, 1e7] });
        }),
      ),
    /^importOnnx: node 0 '\/net\/net\.0\/ConvTranspose' \(ConvTranspose\): shape inference: output 0, unknown sizes counted as 1, has dims \[1, 6, 30000001, 30000001\]: 5400000360000006 elements, more than deconv's limit/,
    'an inferred output beyond the element limit, at import',
  );
  // a ConstantOfShape whose (known) shape is huge: folding it at import would allocate 10¹⁸ floats
  refused(
    () =>
      importOnnx(
        encodeModel({
          irVersion: 8,
          opsetImport: [{ domain: '', version: 17 }],
          graph: {
            name: 'huge',
            initializer: [{ name: 'shape', dims: [2], dataType: DataType.INT64, int64Data: [1e9, 1e9] }],
            node: [{ opType: 'ConstantOfShape', name: 'fill', input: ['shape'], output: ['y'] }],
            output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
          },
        }),
      ),
    /node 0 'fill' \(ConstantOfShape\).*exceed/,
    'a folded result beyond the element limit names the node',
  );
});

test('cyclic graphs and redefined names are refused naming the node', () => {
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          const n = m.graph!.node!;
          n[0]!.input![0] = n[n.length - 1]!.output![0]!; // the last node feeds the first
        }),
      ),
    /node 0 .*\(ConvTranspose\): input = 'output0' is not a graph input, an initializer or an earlier node output/,
    'a cycle through the whole graph',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          const n = m.graph!.node![0]!;
          n.input![0] = n.output![0]!;
        }),
      ),
    /node 0 .*not a graph input, an initializer or an earlier node output/,
    'a node reading its own output',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          const n = m.graph!.node!;
          n[2]!.output![0] = n[1]!.output![0]!; // Relu redefines BatchNormalization's output
          n[3]!.input![0] = n[1]!.output![0]!;
        }),
      ),
    /node 2 .*\(Relu\): output = .* is already defined/,
    'a name defined twice',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.node![0]!.output![0] = 'net.0.weight';
        }),
      ),
    /node 0 .*output = 'net\.0\.weight' is already defined/,
    'an output replacing an initializer',
  );
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.initializer!.push({ ...m.graph!.initializer![0]! });
        }),
      ),
    /initializer 'net\.0\.weight' is defined twice/,
    'two initializers of one name',
  );
});

test('channel and bias mismatches of Conv and ConvTranspose are refused at import', () => {
  refused(
    () =>
      importOnnx(
        edited('dcgan_opset17', (m) => {
          m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = { dimValue: 5 };
        }),
      ),
    /node 0 .*\(ConvTranspose\): input W shape = \[8, 6, 4, 4\] must have X's channels 5/,
    "ConvTranspose's input channels",
  );
  refused(
    () =>
      importOnnx(
        edited('espcn_opset17', (m) => {
          const bias = m.graph!.initializer!.find((t) => t.name === 'c1.bias')!;
          bias.dims = [7];
          bias.rawData = bias.rawData!.subarray(0, 28);
        }),
      ),
    /\(Conv\): input B shape = \[7\] must be \[8\]/,
    "Conv's bias",
  );
});

/** The model with every raw initializer moved into one external file at `location`. */
function externalised(name: string, location: string): { model: Uint8Array; file: Uint8Array } {
  const m = decodeModel('test', bytesOf(name));
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph!.initializer!) {
    if (!t.rawData || t.rawData.length === 0) continue;
    const raw = Uint8Array.from(t.rawData);
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    t.dataLocation = 1;
    t.rawData = new Uint8Array();
    parts.push(raw);
    offset += raw.length;
  }
  const file = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return { model: encodeModel(m), file };
}

test('external data: given by the caller; locations outside the model folder are refused', () => {
  const name = 'dcgan_opset17';
  const x = tensorOf(name, 'input_0.pb');
  const expected = importOnnx(bytesOf(name)).run({ input0: x })['output0']!;
  const { model, file } = externalised(name, 'weights/dcgan.bin');
  for (const externalData of [
    { 'weights/dcgan.bin': file },
    (l: string) => (l === 'weights/dcgan.bin' ? file : undefined),
  ]) {
    const got = importOnnx(model, { externalData }).run({ input0: x })['output0']!;
    assert.deepEqual(
      Array.from(got.data),
      Array.from(expected.data),
      'the same outputs with external weights',
    );
  }
  refused(
    () => importOnnx(model),
    /stored in the external file 'weights\/dcgan\.bin': pass its bytes as options\.externalData/,
    'missing external data',
  );
  refused(
    () => importOnnx(model, { externalData: { 'weights/dcgan.bin': file.subarray(0, 100) } }),
    /lies outside the 100 bytes/,
    'an external file too short',
  );
  for (const [location, rule] of [
    ['../secret.bin', /must not leave the model's folder/],
    ['weights/../../secret.bin', /must not leave the model's folder/],
    ['/etc/passwd', /not absolute/],
    ['C:/weights.bin', /not absolute/],
    ['weights\\dcgan.bin', /backslash/],
    ['', /must be a file name/],
  ] as const) {
    let asked = false;
    refused(
      () =>
        importOnnx(externalised(name, location).model, {
          externalData: () => {
            asked = true;
            return file;
          },
        }),
      new RegExp(`external data location = .*${rule.source}`),
      `location ${JSON.stringify(location)}`,
    );
    assert.equal(asked, false, `${location}: refused before the caller is asked for it`);
  }
  refused(() => importOnnx(model, { externalData: 7 as never }), /externalData = 7 must be/, 'a bad option');
});

test('deconv onnx inspect reads external data beside the model, and nothing outside its folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconv-onnx-external-'));
  try {
    const { model, file } = externalised('dcgan_opset17', 'dcgan.bin');
    writeFileSync(join(dir, 'model.onnx'), model);
    writeFileSync(join(dir, 'dcgan.bin'), file);
    const ok = await runCli(['onnx', 'inspect', join(dir, 'model.onnx')], dir);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /ConvTranspose .*\?×6×4×4 → \?×4×8×8/, 'the layers of the model');
    // a location that is a symbolic link to a file outside the folder
    const inner = join(dir, 'inner');
    const outside = join(dir, 'outside.bin');
    writeFileSync(outside, file);
    const { model: linked } = externalised('dcgan_opset17', 'link.bin');
    mkdirSync(inner);
    writeFileSync(join(inner, 'model.onnx'), linked);
    symlinkSync(outside, join(inner, 'link.bin'));
    const escaped = await runCli(['onnx', 'inspect', join(inner, 'model.onnx')], dir);
    assert.notEqual(escaped.code, 0, 'a symbolic link out of the folder is refused');
    assert.match(escaped.err, /link\.bin, which leads outside the model's folder/, escaped.err);
    const { model: parent } = externalised('dcgan_opset17', '../outside.bin');
    writeFileSync(join(inner, 'parent.onnx'), parent);
    const up = await runCli(['onnx', 'inspect', join(inner, 'parent.onnx')], dir);
    assert.notEqual(up.code, 0, "a '..' location is refused");
    assert.match(up.err, /must not leave the model's folder/, up.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
