/**
 * The trained segmentation models exported with `exportOnnx` run in ONNX Runtime (onnxruntime-node)
 * with deconv's predictions: every shipped decoder (seed 0), SegNet first (MaxPool with Indices →
 * MaxUnpool), U-Net through ONNX Concat, on 40 test canvases at a batch size other than the
 * export's (the batch dimension is symbolic). Logits agree to 1e-4; the predicted class of every
 * pixel is the same wherever our top two logits are more than 1e-3 apart (closer ones are ties
 * that float rounding may break either way; they are counted and must be rare).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { Tensor, exportOnnx, nn, noGrad, readSafetensors } from '../src/index.js';
import { segmentCanvases, type SegmentResults } from '../cli/segment.js';

const SESSION: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};
const SHIPPED = new URL('../models/segment/', import.meta.url);
const shipped = JSON.parse(readFileSync(new URL('segment.json', SHIPPED), 'utf8')) as SegmentResults;
const canvases = segmentCanvases('test', 40, shipped.settings);
const decoders = [...new Set(shipped.runs.map((r) => r.decoder))].sort((a, b) =>
  a === 'segnet' ? -1 : b === 'segnet' ? 1 : 0,
);

for (const decoder of decoders) {
  test(`${decoder}: exported with exportOnnx, ONNX Runtime gives deconv's logits and predictions`, async () => {
    const run = shipped.runs.filter((r) => r.decoder === decoder).sort((a, b) => a.seed - b.seed)[0]!;
    const model = nn.segmentationModel(decoder, { channels: shipped.settings.channels });
    model.loadStateDict(readSafetensors(readFileSync(new URL(run.file, SHIPPED))));
    model.eval();
    const plane = 32 * 64;
    const example = new Tensor(canvases.images.data.slice(0, 2 * plane), [2, 1, 32, 64]);
    const bytes = exportOnnx(model, example);
    const session = await ort.InferenceSession.create(bytes, SESSION);
    const x = canvases.images;
    const ours = noGrad(() => model.forward(x));
    const got = await session.run({
      input0: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
    });
    const out = got.output0!;
    assert.deepEqual(out.dims, ours.shape, 'logits shape');
    const o = out.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < o.length; i++) worst = Math.max(worst, Math.abs(o[i]! - ours.data[i]!));
    assert.ok(worst <= 1e-4, `largest logit difference ${worst}`);
    const K = ours.shape[1]!;
    let differ = 0;
    let ties = 0;
    for (let n = 0; n < x.shape[0]!; n++)
      for (let p = 0; p < plane; p++) {
        const at = (d: ArrayLike<number>, c: number): number => d[(n * K + c) * plane + p]!;
        const rank = (d: ArrayLike<number>): number[] =>
          Array.from({ length: K }, (_, c) => c).sort((a, b) => at(d, b) - at(d, a));
        const r = rank(ours.data);
        const tie = at(ours.data, r[0]!) - at(ours.data, r[1]!) <= 1e-3;
        if (tie) ties++;
        else if (rank(o)[0] !== r[0]) differ++;
      }
    assert.equal(differ, 0, `${differ} pixels with a clear winner are predicted differently`);
    assert.ok(ties <= 0.001 * x.shape[0]! * plane, `${ties} near-ties`);
  });
}
