/**
 * TensorFlow.js (@tensorflow/tfjs-core) with the 'cpu' backend (plain JavaScript) or the 'wasm'
 * backend (XNNPACK compiled to WebAssembly SIMD), in production mode. tfjs is channels-last: inputs
 * are converted to NHWC and weights to its filter layouts before timing; the timed call is the op
 * plus `dataSync()` (the output as a JavaScript array), and its output goes back to NCHW untimed.
 *
 * What tfjs can express:
 * - W1/W2/W3: `conv2dTranspose` (filter `[kH, kW, Cout, Cin]` = PyTorch's weight permuted, not flipped).
 * - W7: `conv2dTranspose` too: it *is* tfjs's Conv2DBackpropInput kernel, the one `tf.grad` of a
 *   conv2d calls for the input gradient (calling it through `tf.grad` would add the forward conv).
 * - W6: `conv2d` with `dilations` and 'same' (TF's 'same' pads (k−1)·d = 4 as 2 + 2, like PyTorch).
 * - W4: no unpooling op. `scatterND` into a zeroed flat output with the indices made global before
 *   timing is the same work (write the zeros, scatter the values), so it is measured that way.
 * - W5: `image.resizeBilinear(alignCorners false, halfPixelCenters true)` and
 *   `image.resizeNearestNeighbor(alignCorners false, halfPixelCenters false)` (floor, as PyTorch).
 *
 * Threads: the cpu backend is single-threaded JavaScript. The wasm backend's threaded build is
 * disabled in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag returns false under IS_NODE,
 * tensorflow/tfjs#3830), so tfjs-wasm is measured on one thread.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Engine, Prepared } from '../engine.js';
import { nchwToNhwc, nhwcToNchw, permute4 } from '../engine.js';
import type { Workload } from '../workloads.js';
import { packageVersion } from './ort.js';

export async function tfjsEngine(
  backend: 'cpu' | 'wasm',
  threads: number,
): Promise<Engine | { skipped: string }> {
  const tf = await import('@tensorflow/tfjs-core');
  const notes: string[] = [];
  let version = packageVersion('@tensorflow/tfjs-core');
  if (backend === 'cpu') {
    if (threads !== 1)
      return { skipped: 'the cpu backend is single-threaded JavaScript (no thread control)' };
    await import('@tensorflow/tfjs-backend-cpu');
    version += ` + backend-cpu ${packageVersion('@tensorflow/tfjs-backend-cpu')}`;
  } else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const multi = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (threads !== 1 && !multi) {
      return {
        skipped:
          'tfjs-backend-wasm disables its threaded build in Node (WASM_HAS_MULTITHREAD_SUPPORT = false, tensorflow/tfjs#3830)',
      };
    }
    wasm.setThreadsCount(threads);
    version += ` + backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}`;
  }
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) return { skipped: `tf.setBackend('${backend}') failed` };
  await tf.ready();
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    notes.push(`wasm backend, SIMD ${simd ? 'on' : 'off'}, threads ${wasm.getThreadsCount()}`);
  } else {
    notes.push('cpu backend (JavaScript)');
  }
  notes.push('NHWC layout (converted before timing); timed: op + dataSync()');

  const kept: TF.Tensor[] = [];
  const keep = <T extends TF.Tensor>(t: T): T => {
    kept.push(t);
    return t;
  };

  return {
    name: `tfjs-${backend}`,
    version,
    notes,
    async prepare(wl: Workload, inputs): Promise<Prepared> {
      const s = wl.spec;
      const f = (name: string): Float32Array => inputs.get(name) as Float32Array;
      const [on, oc, oh, ow] = wl.outShape as [number, number, number, number];
      const nhwc = (name: string): TF.Tensor4D => {
        const [n, c, h, w] = wl.inputs.find((i) => i.name === name)!.shape as [
          number,
          number,
          number,
          number,
        ];
        return keep(tf.tensor4d(nchwToNhwc(f(name), n, c, h, w), [n, h, w, c]));
      };
      const timed = (op: () => TF.Tensor, note?: string): Prepared => ({
        run: () => {
          const y = op();
          y.dataSync();
          return y;
        },
        read: (y: TF.Tensor) => nhwcToNchw(y.dataSync() as Float32Array, on, oh, ow, oc),
        release: (y: TF.Tensor) => y.dispose(),
        note,
      });
      switch (s.op) {
        case 'convTranspose2d':
        case 'conv2dInputGrad': {
          const x = nhwc(s.op === 'convTranspose2d' ? 'x' : 'g');
          // (Cin, Cout, kH, kW) → (kH, kW, Cout, Cin)
          const filter = keep(
            tf.tensor4d(permute4(f('w'), [s.cin, s.cout, s.k, s.k], [2, 3, 1, 0]), [s.k, s.k, s.cout, s.cin]),
          );
          const pad = s.padding === 0 ? 'valid' : s.padding;
          return timed(
            () => tf.conv2dTranspose(x, filter, [on, oh, ow, oc], s.stride, pad),
            s.op === 'conv2dInputGrad'
              ? 'conv2dTranspose = the Conv2DBackpropInput kernel tf.grad(conv2d) runs (forward conv not timed)'
              : undefined,
          );
        }
        case 'conv2d': {
          const x = nhwc('x');
          // (Cout, Cin, kH, kW) → (kH, kW, Cin, Cout)
          const filter = keep(
            tf.tensor4d(permute4(f('w'), [s.cout, s.cin, s.k, s.k], [2, 3, 1, 0]), [s.k, s.k, s.cin, s.cout]),
          );
          return timed(() => tf.conv2d(x, filter, 1, 'same', 'NHWC', s.dilation));
        }
        case 'maxUnpool2d': {
          const idx = inputs.get('indices') as Int32Array;
          const plane = s.h * s.w;
          const outPlane = plane * s.k * s.k;
          const global = new Int32Array(idx.length);
          for (let i = 0; i < idx.length; i++) global[i] = Math.floor(i / plane) * outPlane + idx[i]!;
          const indices = keep(tf.tensor2d(global, [idx.length, 1], 'int32'));
          const updates = keep(tf.tensor1d(f('x')));
          const total = on * oc * oh * ow;
          return {
            run: () => {
              const y = tf.scatterND(indices, updates, [total]);
              y.dataSync();
              return y;
            },
            read: (y: TF.Tensor) => y.dataSync() as Float32Array,
            release: (y: TF.Tensor) => y.dispose(),
            note: 'scatterND of the values at global flat indices (NCHW, made before timing) into zeros',
          };
        }
        case 'interpolate': {
          const x = nhwc('x');
          const size: [number, number] = [oh, ow];
          return timed(() =>
            s.mode === 'bilinear'
              ? tf.image.resizeBilinear(x, size, false, true)
              : tf.image.resizeNearestNeighbor(x, size, false, false),
          );
        }
      }
    },
    close() {
      for (const t of kept) t.dispose();
      kept.length = 0;
    },
  };
}
