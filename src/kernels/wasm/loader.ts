/**
 * Loads the WebAssembly kernels (asm/, embedded by scripts/build-wasm.ts) and owns their memory.
 *
 * Three builds of the same sources: 'relaxed' (f32x4.relaxed_madd: one fused multiply-add where
 * the CPU has FMA; results may differ from 'simd' in the last bit, deterministic per engine),
 * 'simd' (128-bit SIMD, mul + add) and 'scalar'. The best one the engine supports is detected once,
 * never assumed: `WebAssembly.validate` on a tiny module that uses the feature. Node 20 has relaxed
 * SIMD behind a V8 flag, which may be set at run time before the module is compiled; this loader
 * sets it (`--experimental-wasm-relaxed-simd`, through `process.getBuiltinModule('node:v8')`, Node
 * ≥ 20.16) only when the probe fails without it. Newer Node and Chrome ≥ 114 need no flag.
 *
 * Loading is synchronous on first use (`new WebAssembly.Module` on the embedded bytes, about 10 KB):
 * Node, workers and current browsers allow it (Chrome ≥ 114 allows up to 8 MB on the main thread;
 * older Chrome allowed 4 KB). Where the engine refuses, the fast path runs the JavaScript kernels
 * until `await ready()` has compiled the module asynchronously; call it once at start-up in a
 * browser to be sure every call runs the same kernels.
 *
 * Memory: each engine has one WebAssembly.Memory that grows as needed. Its lower part lends blocks
 * as tensor storage (storage.ts; see WasmEngine), above it each call lays out its scratch and
 * releases it when it returns, so repeated calls reuse the same pages. Operands that are blocks of
 * this memory are read and written in place; others are copied in and out. WebAssembly memory
 * cannot shrink: `releaseWasmMemory()` drops the instances (the next call compiles a fresh one) to
 * give a large memory back to the garbage collector.
 *
 * The memory is created here and imported by the module. Where the engine has shared memory
 * (Node; browsers on cross-origin-isolated pages) it is a shared WebAssembly.Memory, which the
 * worker pool of threads.ts instantiates the same module on; elsewhere the module's memory import
 * is rewritten to a plain one (one flag byte, `memoryImportFlags`) and everything runs on the
 * calling thread.
 */
import { wasmBase64 } from './binary.generated.js';
import { readField, writeRecord, type RecordLayout, type RecordValues } from './layout.js';
import { setBlockLender, type BlockLender } from '../../storage.js';
import type { WasmInstance, WasmMemory, WasmModule } from '../../wasm-types.js';

export type WasmVariant = 'relaxed' | 'simd' | 'scalar';
/** Best first. */
export const WASM_VARIANTS: readonly WasmVariant[] = ['relaxed', 'simd', 'scalar'];

/** The module's exports (asm/index.ts); pointers and sizes are byte offsets and element counts. */
export interface KernelExports {
  readonly memory: WasmMemory;
  gemm(record: number): void;
  packA(record: number): void;
  packB(record: number): void;
  kcOf(k: number): number;
  im2col(record: number): void;
  col2im(record: number): void;
  padCopy(record: number): void;
  packASubpixel(record: number): void;
  phaseStore(record: number): void;
  resample(record: number): void;
  maxUnpool(record: number): void;
  maxUnpoolBackward(record: number): void;
  pixelShuffle(record: number): void;
  probeCopy(record: number): void;
  probeFma(record: number): void;
  /** 1 when the `count` floats at byte offset `src` are all finite, else 0 */
  allFinite(src: number, count: number): number;
  heapBase(): number;
  blocking(i: number): number;
  variant(): number;
}

const PAGE = 65536;
/** Largest linear memory a call may use (wasm32 addresses, i32 record fields). */
export const MAX_BYTES = 2 ** 31 - PAGE;
/** The maximum the module declares for its memory, in pages (scripts/build-wasm.ts). */
const MAX_PAGES = 32768;

/**
 * Bytes of tensor storage one engine lends at most (the rest of the 2 GiB address space stays for
 * the calls' scratch); beyond it tensors get ordinary arrays.
 */
export const MAX_LENT_BYTES = 2 ** 30;

/**
 * One instance of one build and its memory. The memory holds two regions:
 *
 *   [heapBase, arenaEnd)   blocks lent as tensor storage (storage.ts), free or in use; a block's
 *                          view never moves or detaches (the memory is shared: growing it keeps
 *                          old views valid), and a free block is reused only for its exact size
 *   [arenaEnd, …)          the current call's scratch, a bump allocator reset by every call
 *
 * Blocks are lent and given back between kernel calls, never during one, so the scratch can start
 * at the arena's end. Only shared memories lend blocks: growing a plain memory detaches its views.
 */
export class WasmEngine {
  readonly fns: KernelExports;
  /** rows of the GEMM's tile (asm/blocking.ts MR) */
  readonly MR: number;
  /** the wider tile a GEMM may ask for (GEMM.tileRows): 5 in the relaxed-SIMD build, else MR */
  readonly tileRowsWide: number;
  readonly NR: number;
  /** the largest K block of the GEMM (asm/blocking.ts KC) */
  readonly KC: number;
  readonly NC: number;
  private readonly base: number;
  private top: number;
  private arenaEnd: number;
  /** bytes lent and not given back */
  private lent = 0;
  /** free blocks by exact byte size (offsets, last freed last) */
  private readonly freeBySize = new Map<number, number[]>();
  /** free blocks by their end offset, to give the arena's top back */
  private readonly freeByEnd = new Map<number, number>();
  /** every ArrayBuffer object this memory has shown (a shared memory shows a new one per growth) */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    readonly variant: WasmVariant,
    /** The compiled module (the worker pool instantiates it again on the same memory). */
    readonly module: WasmModule,
    instance: WasmInstance,
    /** Whether the memory is shared (then a worker pool may run on it, and it lends storage). */
    readonly shared: boolean,
  ) {
    this.fns = instance.exports as unknown as KernelExports;
    this.MR = this.fns.blocking(0);
    this.tileRowsWide = this.fns.blocking(6);
    this.NR = this.fns.blocking(1);
    this.KC = this.fns.blocking(2);
    this.NC = this.fns.blocking(4);
    this.base = align(this.fns.heapBase());
    this.top = this.base;
    this.arenaEnd = this.base;
    this.f32View = new Float32Array(this.buffer());
    this.i32View = new Int32Array(this.buffer());
  }

  /** The memory's current buffer, remembered as this memory's. */
  private buffer(): ArrayBufferLike {
    const b = this.fns.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Grows the memory to at least `end` bytes (the caller checked MAX_BYTES). */
  private reserve(end: number): void {
    const have = this.fns.memory.buffer.byteLength;
    if (end <= have) return;
    this.fns.memory.grow(Math.ceil((end - have) / PAGE));
    // a plain memory's old buffer is detached; a shared one's keeps its old length: renew both
    this.f32View = new Float32Array(this.buffer());
    this.i32View = new Int32Array(this.buffer());
  }

  /** Releases every allocation (the start of a kernel call). */
  reset(): void {
    this.top = this.arenaEnd;
  }

  /** Releases every allocation made after byte offset `p` (a value alloc returned). */
  release(p: number): void {
    this.top = Math.max(this.arenaEnd, Math.min(this.top, p));
  }

  /** Bytes a call may still allocate. */
  get available(): number {
    return MAX_BYTES - this.top;
  }

  /** `n` floats (or i32s), 64-byte aligned; returns the byte offset. Grows the memory if needed. */
  alloc(n: number): number {
    const at = this.top;
    const end = align(at + 4 * Math.max(0, n));
    if (end > MAX_BYTES) throw new RangeError(`wasm kernels: ${end} bytes of linear memory needed`);
    this.reserve(end);
    this.top = end;
    return at;
  }

  /**
   * A block of `bytes` (a multiple of 4) lent as tensor storage (`views`: the storage pool hands
   * out a view of it) or as a kernel's own block read by offset (a packed weight), as its byte
   * offset, or -1 when this memory lends none (views of a memory that is not shared: growing it
   * detaches them) or no more (MAX_LENT_BYTES). Not during a kernel call.
   */
  lend(bytes: number, views = true): number {
    if (views && !this.shared) return -1;
    const size = align(bytes);
    const list = this.freeBySize.get(size);
    let p: number;
    if (list !== undefined && list.length > 0) {
      p = list.pop()!;
      this.freeByEnd.delete(p + size);
    } else {
      if (this.lent + size > MAX_LENT_BYTES || this.arenaEnd + size > MAX_BYTES) return -1;
      try {
        this.reserve(this.arenaEnd + size);
      } catch {
        return -1;
      }
      p = this.arenaEnd;
      this.arenaEnd += size;
    }
    this.lent += size;
    this.top = Math.max(this.top, this.arenaEnd);
    return p;
  }

  /** Takes back the block of `bytes` at `p` (lend returned it); the arena's free top shrinks. */
  giveBack(p: number, bytes: number): void {
    const size = align(bytes);
    this.lent -= size;
    let list = this.freeBySize.get(size);
    if (list === undefined) this.freeBySize.set(size, (list = []));
    list.push(p);
    this.freeByEnd.set(p + size, p);
    for (let q = this.freeByEnd.get(this.arenaEnd); q !== undefined; q = this.freeByEnd.get(this.arenaEnd)) {
      const s = this.arenaEnd - q;
      const l = this.freeBySize.get(s)!;
      l.splice(l.lastIndexOf(q), 1);
      if (l.length === 0) this.freeBySize.delete(s);
      this.freeByEnd.delete(this.arenaEnd);
      this.arenaEnd = q;
    }
  }

  /** Bytes of tensor storage lent now, and the arena's extent (lent + free blocks). */
  get lentBytes(): number {
    return this.lent;
  }
  get arenaBytes(): number {
    return this.arenaEnd - this.base;
  }

  /** Whether `a` is a view of this memory (then kernels read and write it in place). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /** A Float32Array or Int32Array view of `n` elements at byte offset `p`. */
  view(dtype: 'float32' | 'int32', p: number, n: number): Float32Array | Int32Array {
    const b = this.buffer();
    return dtype === 'float32' ? new Float32Array(b, p, n) : new Int32Array(b, p, n);
  }

  /**
   * A Float32Array over the whole memory. Growing the memory detaches the old buffer (its views
   * then read as length 0) and the view is renewed; reading `memory.buffer` on every call is slow.
   */
  get f32(): Float32Array {
    if (this.f32View.length === 0) this.f32View = new Float32Array(this.buffer());
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.length === 0) this.i32View = new Int32Array(this.buffer());
    return this.i32View;
  }

  /**
   * The byte offset of input `src` in this memory: its own when it is a view of this memory
   * (tensor storage lent by it: read in place), else a scratch copy.
   */
  copyIn(src: Float32Array | Int32Array): number {
    if (this.owns(src)) return src.byteOffset;
    const p = this.alloc(src.length);
    if (src instanceof Float32Array) this.f32.set(src, p >> 2);
    else this.i32.set(src, p >> 2);
    return p;
  }

  /** Where a kernel writes output `dst`: in place when it is a view of this memory, else scratch. */
  output(dst: Float32Array | Int32Array): number {
    return this.owns(dst) ? dst.byteOffset : this.alloc(dst.length);
  }

  /** Copies the output at byte offset `p` into `dst`, unless it was written there in place. */
  copyOut(p: number, dst: Float32Array | Int32Array): void {
    if (this.owns(dst) && dst.byteOffset === p) return;
    const src = dst instanceof Float32Array ? this.f32 : this.i32;
    dst.set(src.subarray(p >> 2, (p >> 2) + dst.length));
  }

  /**
   * A parameter record of layout `l` (layout.ts), zeroed, then the given fields written by name;
   * returns its byte offset.
   */
  record<F extends RecordLayout['fields']>(l: RecordLayout<F>, values: RecordValues<F> = {}): number {
    const p = this.alloc(l.size);
    this.i32.fill(0, p >> 2, (p >> 2) + l.size);
    writeRecord(this.i32, p, l, values);
    return p;
  }

  /** Writes the given fields of the record of layout `l` at byte offset `p`. */
  write<F extends RecordLayout['fields']>(p: number, l: RecordLayout<F>, values: RecordValues<F>): void {
    writeRecord(this.i32, p, l, values);
  }

  /** Field `key` of the record of layout `l` at byte offset `p`. */
  read<F extends RecordLayout['fields']>(p: number, l: RecordLayout<F>, key: keyof F): number {
    return readField(this.i32, p, l, key);
  }

  /** A copy of the record of layout `l` at `p`, with the given fields rewritten; its byte offset. */
  copyRecord<F extends RecordLayout['fields']>(
    p: number,
    l: RecordLayout<F>,
    values: RecordValues<F> = {},
  ): number {
    const q = this.alloc(l.size);
    this.i32.copyWithin(q >> 2, p >> 2, (p >> 2) + l.size);
    writeRecord(this.i32, q, l, values);
    return q;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

// Feature probes: a function returning a v128 constant (SIMD), and one returning
// f32x4.relaxed_madd of three constants (relaxed SIMD).
function probe(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x00, ...body, 0x0b];
  const section = [0x01, code.length, ...code];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type: () -> v128
    ...[0x03, 0x02, 0x01, 0x00], // one function of type 0
    ...[0x0a, section.length, ...section],
  ]);
}
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const SIMD_PROBE = probe(V128_ZERO);
const RELAXED_PROBE = probe([...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

let support: Record<WasmVariant, boolean> | undefined;

/** Which builds this engine can run (detected once). */
export function wasmSupport(): Readonly<Record<WasmVariant, boolean>> {
  if (support) return support;
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const simd = wasm && validates(SIMD_PROBE);
  let relaxed = simd && validates(RELAXED_PROBE);
  if (simd && !relaxed) {
    // Node 20: relaxed SIMD is implemented behind a flag that can be set before compiling.
    const proc = (globalThis as { process?: NodeProcess }).process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as
      { setFlagsFromString?: (f: string) => void } | undefined;
    if (v8?.setFlagsFromString) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxed = validates(RELAXED_PROBE);
    }
  }
  support = { relaxed, simd, scalar: wasm };
  return support;
}

/** The import entry `env.memory`: module name, field name, kind memory; the limits flags follow. */
const MEMORY_IMPORT = [0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02];

/**
 * Offset of the limits flags of the module's memory import (0x03: shared with a maximum), found
 * by its bytes in the import section; -1 when absent.
 */
export function memoryImportFlags(bytes: Uint8Array): number {
  outer: for (let i = 8; i + MEMORY_IMPORT.length < bytes.length; i++) {
    for (let j = 0; j < MEMORY_IMPORT.length; j++) if (bytes[i + j] !== MEMORY_IMPORT[j]) continue outer;
    return i + MEMORY_IMPORT.length;
  }
  return -1;
}

/** The module's bytes; with `shared` false its memory import is rewritten to a plain memory. */
function bytesOf(variant: WasmVariant, shared: boolean): Uint8Array<ArrayBuffer> {
  const bin = atob(wasmBase64[variant]);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  const at = memoryImportFlags(out);
  if (at < 0 || out[at] !== 0x03) throw new Error('wasm kernels: the module has no shared memory import');
  if (!shared) out[at] = 0x01;
  return out;
}

let sharedOk: boolean | undefined;

/**
 * Whether a shared WebAssembly.Memory can be made here (Node; browsers only on cross-origin-
 * isolated pages, where SharedArrayBuffer exists).
 */
export function sharedMemorySupported(): boolean {
  if (sharedOk !== undefined) return sharedOk;
  try {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    sharedOk =
      typeof SharedArrayBuffer === 'function' &&
      isolated !== false &&
      new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }).buffer instanceof
        SharedArrayBuffer;
  } catch {
    sharedOk = false;
  }
  return sharedOk;
}

function memoryFor(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
}

/**
 * A new engine of one build, compiled synchronously, on a shared memory or (the module's memory
 * import rewritten) a plain one. wasmEngine keeps one per build; tests make plain ones with this.
 */
export function newEngine(variant: WasmVariant, shared: boolean): WasmEngine {
  const module = new WebAssembly.Module(bytesOf(variant, shared));
  const instance = new WebAssembly.Instance(module, { env: { memory: memoryFor(shared) } });
  return new WasmEngine(variant, module, instance, shared);
}

const engines = new Map<WasmVariant, WasmEngine>();
const failed = new Map<WasmVariant, unknown>();
let forced: WasmVariant | null = null;

/** The engine of one build, compiled synchronously on first use; null where unsupported or refused. */
export function wasmEngine(variant: WasmVariant): WasmEngine | null {
  const have = engines.get(variant);
  if (have) return have;
  if (failed.has(variant) || !wasmSupport()[variant]) return null;
  try {
    const engine = newEngine(variant, sharedMemorySupported());
    engines.set(variant, engine);
    return engine;
  } catch (error) {
    // e.g. a browser that refuses synchronous compilation on the main thread: ready() can still
    // compile asynchronously.
    failed.set(variant, error);
    return null;
  }
}

/** The best supported build (or the one forced by setWasmVariant). */
export function bestVariant(): WasmVariant | null {
  if (forced) return forced;
  const s = wasmSupport();
  return WASM_VARIANTS.find((v) => s[v]) ?? null;
}

/** The engine the fast path uses: the best supported build, or null (then the JS kernels run). */
export function defaultEngine(): WasmEngine | null {
  const v = bestVariant();
  return v ? wasmEngine(v) : null;
}

/**
 * Forces one build for every later call ('auto' restores detection). For tests and measurements;
 * throws if the engine cannot run that build.
 */
export function setWasmVariant(variant: WasmVariant | 'auto'): void {
  if (variant === 'auto') {
    forced = null;
    return;
  }
  if (!WASM_VARIANTS.includes(variant))
    throw new Error(
      `setWasmVariant: variant = ${String(variant)} must be 'relaxed', 'simd', 'scalar' or 'auto'`,
    );
  if (!wasmSupport()[variant]) throw new Error(`setWasmVariant: variant = ${variant} is not supported here`);
  forced = variant;
}

/**
 * Compiles and instantiates the WebAssembly kernels asynchronously (allowed everywhere, also on a
 * browser's main thread). Resolves to the build the fast path will use, or null when WebAssembly
 * is unavailable (the JavaScript kernels run). Call once at start-up in browsers; in Node the first
 * kernel call compiles synchronously and this is not needed.
 *
 * @example
 *   import { ready } from 'deconv';
 *   await ready(); // 'relaxed' on Chrome ≥ 114 and Node ≥ 20.16
 */
export async function ready(): Promise<WasmVariant | null> {
  const v = bestVariant();
  if (!v) return null;
  if (engines.has(v)) return v;
  try {
    const shared = sharedMemorySupported();
    const module = await WebAssembly.compile(bytesOf(v, shared));
    const instance = await WebAssembly.instantiate(module, { env: { memory: memoryFor(shared) } });
    engines.set(v, new WasmEngine(v, module, instance, shared));
    failed.delete(v);
    return v;
  } catch {
    return null;
  }
}

/**
 * Tensor storage comes from the default engine's memory when it is shared (storage.ts). Lending
 * compiles the engine on the first tensor of pool size, as the first kernel call would.
 */
const lenders = new WeakMap<WasmEngine, BlockLender>();
setBlockLender(() => {
  const e = defaultEngine();
  if (e === null || !e.shared) return null;
  let l = lenders.get(e);
  if (l === undefined) {
    l = {
      lend(dtype, n) {
        const p = e.lend(4 * n);
        return p < 0 ? null : e.view(dtype, p, n);
      },
      giveBack(p, bytes) {
        e.giveBack(p, bytes);
      },
    };
    lenders.set(e, l);
  }
  return l;
});

/** @internal Forgets every engine (releaseWasmMemory in runtime.ts); returns them. */
export function dropEngines(): WasmEngine[] {
  const all = [...engines.values()];
  engines.clear();
  return all;
}
