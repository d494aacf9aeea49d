/**
 * The benchmark's workloads (issue 3, item 6): what each one computes, its inputs, its output
 * shape and the work it does — 2·MACs for the compute-bound ones, bytes moved for the memory-bound
 * ones — so that every engine is timed on the same work and rated by the same count.
 *
 * Every engine reads the same inputs: the bench writes them once as raw little-endian files
 * (`float32`, or `int32` for indices) and each engine converts them to its own layout before timing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A transposed convolution in PyTorch's terms: `input (n, cin, h, w)`, `weight (cin, cout, k, k)`. */
export interface ConvTransposeSpec {
  op: 'convTranspose2d';
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  padding: number;
}

/**
 * The input gradient of `conv2d(x, weight, { stride, padding })` with `x (n, cout, oh, ow)` and
 * `weight (cin, cout, k, k)`: its `gradOutput` is `(n, cin, h, w)`, so the fields read exactly as
 * the transposed convolution it equals (W7 is the conv whose transpose is W1).
 */
export interface ConvInputGradSpec extends Omit<ConvTransposeSpec, 'op'> {
  op: 'conv2dInputGrad';
}

/** `conv2d(input (n, cin, h, w), weight (cout, cin, k, k), { padding: 'same', dilation })`. */
export interface ConvSameSpec {
  op: 'conv2d';
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: number;
  dilation: number;
}

/** `maxUnpool2d(input (n, c, h, w), indices, { kernelSize: k })` (stride k): output `(n, c, k·h, k·w)`. */
export interface MaxUnpoolSpec {
  op: 'maxUnpool2d';
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
}

/** `interpolate(input (n, c, h, w), { scaleFactor, mode })`, `alignCorners: false` for bilinear. */
export interface InterpolateSpec {
  op: 'interpolate';
  n: number;
  c: number;
  h: number;
  w: number;
  scale: number;
  mode: 'bilinear' | 'nearest';
}

export type Spec = ConvTransposeSpec | ConvInputGradSpec | ConvSameSpec | MaxUnpoolSpec | InterpolateSpec;

export interface InputSpec {
  /** `x` input, `w` weight, `g` gradient of the output, `indices` unpooling indices (per plane). */
  name: 'x' | 'w' | 'g' | 'indices';
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Raw little-endian file the engines read (filled in by `writeInputs`). */
  file?: string;
}

export interface Workload {
  /** Unique key, e.g. `W1/b16`, `W5/nearest`. */
  key: string;
  /** The workload id, `W1` … `W7`. */
  id: string;
  title: string;
  spec: Spec;
  inputs: InputSpec[];
  outShape: number[];
  bound: 'compute' | 'memory';
  /** 2·MACs of the real convolution (compute-bound workloads). */
  flops: number;
  /** Bytes read + written (memory-bound workloads). */
  bytes: number;
  /** How the rate is counted, for the table's footnotes. */
  countNote: string;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * Number of (output position, kernel tap) pairs of a 1-d convolution from size `inSize` to
 * `outSize` whose input position `o·stride − padding + k·dilation` is inside the input: the taps
 * that multiply real values, not padding. A transposed convolution does the same pairs as the
 * convolution it is the transpose of (with the roles of input and output swapped), and none of the
 * zeros a zero-insertion implementation would multiply.
 */
export function realTaps(
  inSize: number,
  outSize: number,
  k: number,
  stride: number,
  padding: number,
  dilation = 1,
): number {
  let n = 0;
  for (let o = 0; o < outSize; o++) {
    for (let t = 0; t < k; t++) {
      const i = o * stride - padding + t * dilation;
      if (i >= 0 && i < inSize) n++;
    }
  }
  return n;
}

const convTransposeOut = (h: number, k: number, s: number, p: number): number => (h - 1) * s - 2 * p + k;

function convTransposeWorkload(
  key: string,
  id: string,
  title: string,
  spec: ConvTransposeSpec | ConvInputGradSpec,
): Workload {
  const { n, cin, cout, h, w, k, stride, padding } = spec;
  const oh = convTransposeOut(h, k, stride, padding);
  const ow = convTransposeOut(w, k, stride, padding);
  // The forward conv runs from (oh, ow) to (h, w): count its real taps.
  const flops =
    2 * n * cin * cout * realTaps(oh, h, k, stride, padding) * realTaps(ow, w, k, stride, padding);
  const inputs: InputSpec[] =
    spec.op === 'convTranspose2d'
      ? [
          { name: 'x', shape: [n, cin, h, w], dtype: 'float32' },
          { name: 'w', shape: [cin, cout, k, k], dtype: 'float32' },
        ]
      : [
          // x: the conv's input (its values do not change the input gradient, but deconv and
          // PyTorch build the forward graph from it, outside the timing).
          { name: 'x', shape: [n, cout, oh, ow], dtype: 'float32' },
          { name: 'w', shape: [cin, cout, k, k], dtype: 'float32' },
          { name: 'g', shape: [n, cin, h, w], dtype: 'float32' },
        ];
  return {
    key,
    id,
    title,
    spec,
    inputs,
    outShape: [n, cout, oh, ow],
    bound: 'compute',
    flops,
    bytes: 0,
    countNote: '2·MACs of the taps that meet real input (no inserted zeros, no padding)',
  };
}

/**
 * The workloads of issue 3. `quick` shrinks the batches (smoke test): W1/W7 batch 16 → 2, and the
 * batch of W2, W4, W5 → 1.
 */
export function makeWorkloads(quick: boolean): Workload[] {
  const list: Workload[] = [];
  for (const n of quick ? [1, 2] : [1, 16]) {
    list.push(
      convTransposeWorkload(
        `W1/b${n}`,
        'W1',
        `ConvTranspose2d 256→128 k4 s2 p1, ${n}×256×16×16 → ${n}×128×32×32 (DCGAN)`,
        { op: 'convTranspose2d', n, cin: 256, cout: 128, h: 16, w: 16, k: 4, stride: 2, padding: 1 },
      ),
    );
  }
  const n2 = quick ? 1 : 4;
  list.push(
    convTransposeWorkload(`W2`, 'W2', `ConvTranspose2d 128→64 k2 s2, ${n2}×128×64×64 → 128×128 (U-Net)`, {
      op: 'convTranspose2d',
      n: n2,
      cin: 128,
      cout: 64,
      h: 64,
      w: 64,
      k: 2,
      stride: 2,
      padding: 0,
    }),
  );
  list.push(
    convTransposeWorkload(`W3`, 'W3', 'ConvTranspose2d 21→21 k64 s32 p16, 1×21×7×7 → 224×224 (FCN-32s)', {
      op: 'convTranspose2d',
      n: 1,
      cin: 21,
      cout: 21,
      h: 7,
      w: 7,
      k: 64,
      stride: 32,
      padding: 16,
    }),
  );
  {
    const n = quick ? 1 : 8;
    const [c, h, w, k] = [64, 56, 56, 2];
    const inN = n * c * h * w;
    const outN = inN * k * k;
    list.push({
      key: 'W4',
      id: 'W4',
      title: `MaxUnpool2d 2×2, ${n}×64×56×56 → 112×112`,
      spec: { op: 'maxUnpool2d', n, c, h, w, k },
      inputs: [
        { name: 'x', shape: [n, c, h, w], dtype: 'float32' },
        { name: 'indices', shape: [n, c, h, w], dtype: 'int32' },
      ],
      outShape: [n, c, h * k, w * k],
      bound: 'memory',
      flops: 0,
      bytes: 4 * inN + 4 * inN + 4 * outN,
      countNote: 'bytes = 4·numel(input) + 4·numel(indices) + 4·numel(output) (indices counted as int32)',
    });
  }
  for (const mode of ['bilinear', 'nearest'] as const) {
    const n = quick ? 1 : 8;
    const [c, h, w, scale] = [64, 64, 64, 2];
    const inN = n * c * h * w;
    const outN = inN * scale * scale;
    list.push({
      key: `W5/${mode}`,
      id: 'W5',
      title: `interpolate ×2 ${mode}${mode === 'bilinear' ? ' (alignCorners false)' : ''}, ${n}×64×64×64 → 128×128`,
      spec: { op: 'interpolate', n, c, h, w, scale, mode },
      inputs: [{ name: 'x', shape: [n, c, h, w], dtype: 'float32' }],
      outShape: [n, c, h * scale, w * scale],
      bound: 'memory',
      flops: 0,
      bytes: 4 * inN + 4 * outN,
      countNote: 'bytes = 4·numel(input) + 4·numel(output)',
    });
  }
  {
    const [n, cin, cout, h, w, k, dilation] = [1, 64, 64, 64, 64, 3, 2];
    const pad = ((k - 1) * dilation) / 2;
    const flops =
      2 * n * cin * cout * realTaps(h, h, k, 1, pad, dilation) * realTaps(w, w, k, 1, pad, dilation);
    list.push({
      key: 'W6',
      id: 'W6',
      title: "conv2d 3×3 dilation 2 'same' 64→64, 1×64×64×64",
      spec: { op: 'conv2d', n, cin, cout, h, w, k, dilation },
      inputs: [
        { name: 'x', shape: [n, cin, h, w], dtype: 'float32' },
        { name: 'w', shape: [cout, cin, k, k], dtype: 'float32' },
      ],
      outShape: [n, cout, h, w],
      bound: 'compute',
      flops,
      bytes: 0,
      countNote: '2·MACs of the taps that meet real input (padding taps not counted)',
    });
  }
  for (const n of quick ? [1, 2] : [1, 16]) {
    list.push(
      convTransposeWorkload(
        `W7/b${n}`,
        'W7',
        `input gradient of conv2d 128→256 k4 s2 p1 (W1's transpose) through backward(), gradOutput ${n}×256×16×16`,
        { op: 'conv2dInputGrad', n, cin: 256, cout: 128, h: 16, w: 16, k: 4, stride: 2, padding: 1 },
      ),
    );
  }
  return list;
}

/** Keeps the workloads whose id (`W1`) or key (`W5/nearest`) is in `only` (all when empty). */
export function selectWorkloads(all: Workload[], only: readonly string[]): Workload[] {
  if (only.length === 0) return all;
  const wanted = new Set(only.map((s) => s.trim().toUpperCase()));
  const picked = all.filter((w) => wanted.has(w.id.toUpperCase()) || wanted.has(w.key.toUpperCase()));
  const known = new Set(all.flatMap((w) => [w.id.toUpperCase(), w.key.toUpperCase()]));
  const unknown = [...wanted].filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new Error(
      `--only: unknown workload ${unknown.join(', ')} (known: ${[...new Set(all.map((w) => w.id))].join(', ')})`,
    );
  }
  return picked;
}

/** A small seeded generator (mulberry32) so every run benchmarks the same numbers. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function normal(n: number, seed: number, scale: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r();
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * scale;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/**
 * Unpooling indices as `maxPool2d(kernelSize k, returnIndices)` would return them: one position
 * per k×k window, flat within its `(2h·2w)` output plane (PyTorch's convention).
 */
function poolIndices(spec: MaxUnpoolSpec, seed: number): Int32Array {
  const { n, c, h, w, k } = spec;
  const r = rng(seed);
  const out = new Int32Array(n * c * h * w);
  const ow = w * k;
  let i = 0;
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dy = Math.floor(r() * k);
        const dx = Math.floor(r() * k);
        out[i++] = (y * k + dy) * ow + (x * k + dx);
      }
    }
  }
  return out;
}

/** The values of one input: N(0, 1) data, weights N(0, 1/fanIn) so outputs stay near unit scale. */
export function makeInput(wl: Workload, input: InputSpec): Float32Array | Int32Array {
  const seed = hash(`${wl.key}:${input.name}`);
  if (input.name === 'indices') return poolIndices(wl.spec as MaxUnpoolSpec, seed);
  const n = prod(input.shape);
  if (input.name !== 'w') return normal(n, seed, 1);
  // Fan-in of one output value: PyTorch's (cin, cout, k, k) transposed weight sums over cin·k·k/s²
  // taps on average, the conv weight (cout, cin, k, k) over cin·k·k.
  const [a, b, kh, kw] = input.shape as [number, number, number, number];
  const fanIn = wl.spec.op === 'conv2d' ? b * kh * kw : a * kh * kw;
  return normal(n, seed, 1 / Math.sqrt(fanIn));
}

/** Writes every input of every workload into `dir` and records the file names in the specs. */
export function writeInputs(workloads: Workload[], dir: string): void {
  for (const wl of workloads) {
    for (const input of wl.inputs) {
      const data = makeInput(wl, input);
      const file = join(dir, `${fileStem(wl)}.${input.name}.bin`);
      writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      input.file = file;
    }
  }
}

/** File-name stem of a workload (`W1/b16` → `W1-b16`). */
export function fileStem(wl: Workload): string {
  return wl.key.replace(/[^A-Za-z0-9]+/g, '-');
}

export const numelOf = prod;
