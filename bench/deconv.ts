/**
 * deconv itself, through its public entry and its default kernel path: whatever `convTranspose2d`
 * and friends dispatch to when the bench runs is what gets measured.
 */
import { readFileSync } from 'node:fs';
import * as deconv from '../src/index.js';
import type { Tensor } from '../src/index.js';
import type { Engine, Prepared } from './engine.js';
import type { Workload } from './workloads.js';

type Lib = typeof deconv & {
  setNumThreads?: (n: number) => unknown;
  getNumThreads?: () => number;
};
const lib = deconv as Lib;

/** Whether this build exports `setNumThreads` (the worker pool of issue 3, item 3). */
export function hasThreadControl(): boolean {
  return typeof lib.setNumThreads === 'function';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const f32 = (a: Float32Array | Int32Array | undefined): Float32Array => a as Float32Array;

/** Disposes a tensor when this build has `dispose()` (the storage pool of issue 3, item 4). */
function release(t: Tensor): void {
  (t as Tensor & { dispose?: () => void }).dispose?.();
}

/**
 * Marks a weight with `keepPacked()` when this build has it (the packed-weight cache of issue 16,
 * item 4): deconv then packs it once, as ONNX Runtime pre-packs its initializers. Off with
 * DECONV_BENCH_KEEP_PACKED=0 (for A/B runs).
 */
function weight(t: Tensor): Tensor {
  if (process.env.DECONV_BENCH_KEEP_PACKED === '0') return t;
  (t as Tensor & { keepPacked?: () => Tensor }).keepPacked?.();
  return t;
}
const keepsPacked = (): boolean =>
  process.env.DECONV_BENCH_KEEP_PACKED !== '0' &&
  typeof (deconv.Tensor.prototype as { keepPacked?: unknown }).keepPacked === 'function';

/**
 * Which build of deconv's WebAssembly kernels this engine runs ('relaxed', 'simd', 'scalar'; null
 * without WebAssembly; undefined when this version of deconv has none) and the source hash it was
 * compiled from. Read from internal modules (not public exports), so looked up defensively.
 */
async function wasmBuild(): Promise<{ variant?: string | null; hash?: string }> {
  const load = async <T>(specifier: string): Promise<T | undefined> => {
    try {
      return (await import(specifier)) as T;
    } catch {
      return undefined;
    }
  };
  const loader = await load<{ bestVariant?: () => string | null }>('../src/kernels/wasm/loader.js');
  const binary = await load<{ sourceHash?: string }>('../src/kernels/wasm/binary.generated.js');
  return { variant: loader?.bestVariant?.(), hash: binary?.sourceHash };
}

/**
 * The FMA probe on deconv's engine (src/kernels/wasm/probe.ts fmaRuns), or null where this build
 * has none. Internal modules, looked up defensively as wasmBuild does.
 */
async function fmaProbe(): Promise<((threads: number, ms: number) => number[]) | null> {
  try {
    const { defaultEngine } = await import('../src/kernels/wasm/loader.js');
    const { fmaRuns } = await import('../src/kernels/wasm/probe.js');
    if (typeof fmaRuns !== 'function') return null;
    return (threads, ms) => {
      const e = defaultEngine();
      return e ? fmaRuns(e, threads, ms, 10) : [];
    };
  } catch {
    return null;
  }
}

export async function deconvEngine(threads: number): Promise<Engine | { skipped: string }> {
  const notes: string[] = [];
  if (hasThreadControl()) {
    await lib.setNumThreads!(threads);
    const got = lib.getNumThreads?.();
    notes.push(`setNumThreads(${threads})${got !== undefined ? `, getNumThreads() = ${got}` : ''}`);
  } else if (threads !== 1) {
    return { skipped: "'setNumThreads' is not exported from src/index.ts: deconv runs on one thread only" };
  } else {
    notes.push("no 'setNumThreads' export: deconv is single-threaded in this build");
  }
  notes.push(`kernel path '${deconv.getKernelPath()}' (the default)`);
  if (keepsPacked())
    notes.push('conv weights marked with keepPacked() (packed once, as ONNX Runtime pre-packs)');
  const wasm = await wasmBuild();
  if (wasm.variant !== undefined) {
    notes.push(
      `WebAssembly build '${wasm.variant}'${wasm.hash ? ` (asm/ source hash ${wasm.hash.slice(0, 12)})` : ''}`,
    );
  }

  const probe = await fmaProbe();
  return {
    name: 'deconv',
    version: version(),
    notes,
    ...(probe ? { fmaRuns: (ms: number) => probe(threads, ms) } : {}),
    async prepare(wl: Workload, inputs): Promise<Prepared> {
      const s = wl.spec;
      const t = (name: string, shape: number[], requiresGrad = false): Tensor =>
        deconv.tensor(f32(inputs.get(name)), shape, { requiresGrad });
      const shapeOf = (name: string): number[] => wl.inputs.find((i) => i.name === name)!.shape;
      const plain = (run: () => Tensor): Prepared => ({
        run,
        read: (y: Tensor) => y.data as Float32Array,
        release,
      });
      switch (s.op) {
        case 'convTranspose2d': {
          const x = t('x', shapeOf('x'));
          const w = weight(t('w', shapeOf('w')));
          return plain(() => deconv.convTranspose2d(x, w, { stride: s.stride, padding: s.padding }));
        }
        case 'conv2d': {
          const x = t('x', shapeOf('x'));
          const w = weight(t('w', shapeOf('w')));
          return plain(() => deconv.conv2d(x, w, { padding: 'same', dilation: s.dilation }));
        }
        case 'maxUnpool2d': {
          const x = t('x', shapeOf('x'));
          const idx = deconv.tensor(inputs.get('indices')!, shapeOf('indices'), { dtype: 'int32' });
          return plain(() => deconv.maxUnpool2d(x, idx, { kernelSize: s.k }));
        }
        case 'interpolate': {
          const x = t('x', shapeOf('x'));
          return plain(() =>
            deconv.interpolate(
              x,
              s.mode === 'bilinear'
                ? { scaleFactor: s.scale, mode: 'bilinear', alignCorners: false }
                : { scaleFactor: s.scale, mode: 'nearest' },
            ),
          );
        }
        case 'conv2dInputGrad': {
          // The graph is built once, untimed; each timed call is one backward() through it.
          const x = t('x', shapeOf('x'), true);
          const w = weight(t('w', shapeOf('w')));
          const g = t('g', shapeOf('g'));
          const y = deconv.conv2d(x, w, { stride: s.stride, padding: s.padding });
          return {
            run: () => {
              x.grad = null;
              y.backward(g);
              return x.grad!;
            },
            read: (gx: Tensor) => gx.data as Float32Array,
            release,
            note: 'y = conv2d(x, w) built once; timed: y.backward(gradOutput), x.grad',
          };
        }
      }
    },
  };
}
