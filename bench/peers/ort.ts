/**
 * ONNX Runtime, native (onnxruntime-node, CPU execution provider) and WebAssembly (onnxruntime-web,
 * 'wasm' execution provider, run in Node). 'ort-export' is onnxruntime-node on the model deconv's
 * own `exportOnnx` writes for the conv workloads (the bridge a user gets), instead of the
 * hand-built one-node model. One session per workload with the model from
 * `../onnx.ts`; the timed call is the awaited `session.run(feeds)` with the feeds built before.
 *
 * Threads: onnxruntime-node takes `intraOpNumThreads` per session; onnxruntime-web takes
 * `env.wasm.numThreads` once, before its WebAssembly module starts (so one process per count).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtNode from 'onnxruntime-node';
import type { Engine, Prepared } from '../engine.js';
import { buildModel, type OnnxModel as BenchModel } from '../onnx.js';
import * as deconv from '../../src/index.js';
import type { MaxUnpoolSpec, Workload } from '../workloads.js';

type Ort = typeof OrtNode;
type OrtTensor = InstanceType<Ort['Tensor']>;

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  // onnxruntime-web's "exports" hide package.json: find it from the resolved entry instead.
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

/** PyTorch's per-plane int32 indices → ONNX's int64 indices into the whole flattened output. */
function globalIndices(spec: MaxUnpoolSpec, idx: Int32Array): BigInt64Array {
  const plane = spec.h * spec.w;
  const outPlane = plane * spec.k * spec.k;
  const out = new BigInt64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = BigInt(Math.floor(i / plane) * outPlane + idx[i]!);
  return out;
}

/**
 * The conv workloads as exportOnnx writes them: the layer as a function of its input, traced by
 * exportOnnx, the weight an initializer. W7 (the conv's input gradient, which deconv times as
 * `backward()`) is `conv2dInput` (torch.nn.grad.conv2d_input), the transposed convolution it is,
 * exported as ConvTranspose reading the gradient `g`.
 */
function exportedModel(wl: Workload, inputs: Map<string, Float32Array | Int32Array>): BenchModel | null {
  const s = wl.spec;
  const shapeOf = (name: string): number[] => wl.inputs.find((i) => i.name === name)!.shape;
  const t = (name: string): deconv.Tensor => deconv.tensor(inputs.get(name) as Float32Array, shapeOf(name));
  const exported = (f: (x: deconv.Tensor) => deconv.Tensor, from: 'x' | 'g', note: string): BenchModel => ({
    bytes: deconv.exportOnnx(f, t(from), { inputNames: ['X'], outputNames: ['Y'], dynamicBatch: false }),
    feeds: [{ name: 'X', from, type: 'float32' }],
    note,
  });
  switch (s.op) {
    case 'convTranspose2d': {
      const w = t('w');
      return exported(
        (x) => deconv.convTranspose2d(x, w, { stride: s.stride, padding: s.padding }),
        'x',
        'exportOnnx(x => convTranspose2d(x, w, …)): one ConvTranspose node',
      );
    }
    case 'conv2d': {
      const w = t('w');
      return exported(
        (x) => deconv.conv2d(x, w, { padding: 'same', dilation: s.dilation }),
        'x',
        "exportOnnx(x => conv2d(x, w, { padding: 'same', … })): one Conv node",
      );
    }
    case 'conv2dInputGrad': {
      const w = t('w');
      const inputShape = shapeOf('x');
      return exported(
        (g) => deconv.conv2dInput(inputShape, w, g, { stride: s.stride, padding: s.padding }),
        'g',
        "exportOnnx(g => conv2dInput(x.shape, w, g, …)): the conv's input gradient as one ConvTranspose node",
      );
    }
    default:
      return null;
  }
}

export async function ortEngine(
  kind: 'ort-node' | 'ort-export' | 'ort-web',
  threads: number,
): Promise<Engine | { skipped: string }> {
  const notes: string[] = [];
  let ort: Ort;
  let sessionOptions: OrtNode.InferenceSession.SessionOptions;
  if (kind === 'ort-node' || kind === 'ort-export') {
    ort = await import('onnxruntime-node');
    sessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // idle intra-op threads sleep instead of busy-waiting on the core deconv's other thread uses
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    notes.push(`CPU execution provider, intraOpNumThreads ${threads}, session.intra_op.allow_spinning 0`);
  } else {
    ort = (await import('onnxruntime-web')) as unknown as Ort;
    ort.env.logLevel = 'error';
    ort.env.wasm.numThreads = threads;
    // In Node the package loads its .wasm from its own dist/ folder (no wasmPaths needed): say so.
    const wasm = join(packageDir('onnxruntime-web'), 'dist', 'ort-wasm-simd-threaded.wasm');
    if (!existsSync(wasm)) return { skipped: `cannot find ${wasm}` };
    notes.push(`wasm EP, env.wasm.numThreads ${threads}, ${wasm.slice(wasm.indexOf('node_modules'))}`);
    sessionOptions = {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
  }
  const version = packageVersion(kind === 'ort-web' ? 'onnxruntime-web' : 'onnxruntime-node');
  if (kind === 'ort-export') notes.push('models written by deconv exportOnnx (fixed batch)');
  const sessions: { release(): Promise<void> }[] = [];

  return {
    name: kind,
    version,
    notes,
    async prepare(wl: Workload, inputs): Promise<Prepared> {
      let model: BenchModel;
      if (kind === 'ort-export') {
        const exported = exportedModel(wl, inputs);
        if (!exported)
          return { unsupported: 'not a conv workload (exportOnnx is benched on the conv workloads)' };
        model = exported;
      } else model = buildModel(wl, inputs.get('w') as Float32Array | undefined);
      const session = await ort.InferenceSession.create(model.bytes, sessionOptions);
      sessions.push(session);
      const feeds: Record<string, OrtTensor> = {};
      for (const f of model.feeds) {
        const spec = wl.inputs.find((i) => i.name === f.from)!;
        const data = inputs.get(f.from)!;
        feeds[f.name] =
          f.type === 'int64'
            ? new ort.Tensor('int64', globalIndices(wl.spec as MaxUnpoolSpec, data as Int32Array), spec.shape)
            : new ort.Tensor('float32', data as Float32Array, spec.shape);
      }
      return {
        run: () => session.run(feeds),
        read: (out: Awaited<ReturnType<typeof session.run>>) => out['Y']!.data as Float32Array,
        release: (out: Awaited<ReturnType<typeof session.run>>) => out['Y']!.dispose(),
        note: model.note,
      };
    },
    async close() {
      for (const s of sessions) await s.release();
    },
  };
}
