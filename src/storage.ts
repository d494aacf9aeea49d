/**
 * Tensor storage from a pool. A memory-bound op (unpooling, interpolation) that writes its output
 * into fresh memory pays for the operating system's first-touch page faults on every call: a fresh
 * 32 MiB Float32Array costs ~16 ms here, a reused one under 1 ms. `Tensor.dispose()` gives a
 * tensor's storage back; the next allocation of the same byte length takes it again.
 *
 * Design:
 *
 * - Free lists keyed by exact byte length (float32 and int32 of one element count share a list; a
 *   buffer is re-wrapped as the dtype asked for). Exact sizes mean `t.data.length === t.size` and
 *   `t.data.buffer` is the tensor's own, whole buffer, as it is without a pool; no size classes,
 *   no subarrays. Each list is a stack (the buffer returned last, the warmest, goes out first).
 * - Buffers under `POOL_MIN_BYTES` bypass the pool: a plain `new`, untracked (small arrays are
 *   cheap to allocate and would only make the bookkeeping cost more than it saves).
 * - The pool keeps at most `limit` bytes (default 256 MiB, `setStoragePoolLimit`); beyond it the
 *   buffers returned longest ago are dropped first (LRU), and a buffer larger than the limit is
 *   never kept.
 * - Sharing: several tensors may wrap one buffer (`detach()`, `reshape`, the state dict, the
 *   gradient rule of reshape). Each pool-made buffer has a record with the number of live
 *   (constructed, not disposed) tensors over it; the Tensor constructor counts up, `dispose()`
 *   counts down, and the buffer goes back to the pool only when the count reaches 0. A tensor that
 *   is never disposed keeps its count forever, so its buffer is never reused: not disposing is
 *   always safe, it only forgoes the reuse.
 * - Zeroing: buffers come back dirty. `takeStorage(…, zeroed = true)` zeroes a reused buffer
 *   (a fill is cheap next to fresh pages); the ops whose kernels write every element on every path
 *   ask for uninitialised storage instead (`allocate(…, 'uninitialised')` in tensor.ts).
 *
 * Storage in WebAssembly memory. Where the WebAssembly engine has a shared memory (Node; browsers
 * on cross-origin-isolated pages), float32 and int32 storage of pool size is a block of that
 * memory, lent by the engine (kernels/wasm/loader.ts registers itself as the lender): the kernels
 * read such inputs and write such outputs in place, with no copy in or out, and every thread
 * writes its own part of the output directly. `data` is then a view of the engine's memory
 * (`data.buffer` is that memory, `data.byteOffset` the block): it never moves and never detaches
 * (growing a shared memory keeps old views valid), and its block is reused only when the tensor
 * is disposed (every sharer) or when the view object itself — what a user can hold, not the
 * Tensor — has been garbage-collected: a FinalizationRegistry on the view gives the block back.
 * A view derived from `data` (`subarray`, an array over `data.buffer`) is not watched: keep
 * `data` or the tensor while using one. Plain memories (growing one detaches its views), storage
 * beyond what the engine lends (MAX_LENT_BYTES) and float64 get ordinary arrays, as below;
 * `storageStats().wasmBytes` shows what lives in WebAssembly memory. The pool limit and
 * `emptyStoragePool` concern the ordinary arrays only: a block goes straight back to the engine,
 * and `releaseWasmMemory()` drops the engine's memory (views still held keep theirs alive).
 *
 * Packed copies (`Tensor.keepPacked`): pool storage that the user marked (a block of WebAssembly
 * memory or, where memory cannot be shared, an ordinary array) may carry packed copies of its
 * values that kernels keep between calls (kernels/wasm/kept.ts), each a block of engine memory
 * (read by the kernels by offset, never through a view, so a plain memory can hold them too).
 * They are released when the values may change — `storageModified`, which every library write
 * into an existing tensor calls, and `Tensor.markModified()` for the user's own writes — and with
 * the storage itself (dispose of the last sharer, collection of the view or the array), so a copy
 * never outlives the values it was made from.
 *
 * For ordinary arrays the FinalizationRegistry is a safety net for the accounting only, never for recycling. It
 * watches each pool-made ArrayBuffer; when one that was handed out is garbage-collected without
 * having been disposed, `liveBytes` drops by its size and `collected` / `collectedBytes` count it,
 * so the statistics stay honest when users do not dispose. Recycling from the registry is not
 * possible safely: a registry callback runs only after its target is unreachable, by then the
 * buffer is gone and cannot be put in the pool; watching the Tensor instead (and holding the
 * buffer strongly in the registry's held value to recycle it when the tensor dies) would recycle
 * memory the user may still hold: `const a = op(x).data` keeps the array while the tensor is
 * collected, and a later op would overwrite `a`. JavaScript offers no way to know that nobody else
 * references a typed array or its buffer, so only an explicit `dispose()` may recycle.
 */
import { fail } from './errors.js';

export type StorageDType = 'float32' | 'int32' | 'float64';
export type StorageArray = Float32Array | Int32Array | Float64Array;

/** Buffers of fewer bytes bypass the pool (a plain `new`, never tracked). */
export const POOL_MIN_BYTES = 4096;

/** Bytes the pool keeps by default. */
export const DEFAULT_POOL_LIMIT = 256 * 2 ** 20;

/**
 * Lends blocks of WebAssembly memory as tensor storage (kernels/wasm/loader.ts). `lend` returns a
 * view of `n` elements, or null (then an ordinary array is used); `giveBack` takes back the block
 * at byte offset `p` of `bytes` it lent.
 */
export interface BlockLender {
  lend(dtype: 'float32' | 'int32', n: number): Float32Array | Int32Array | null;
  giveBack(p: number, bytes: number): void;
}

let lender: (() => BlockLender | null) | null = null;

/** @internal Sets where blocks of WebAssembly memory come from (the loader, once). */
export function setBlockLender(source: () => BlockLender | null): void {
  lender = source;
}

/** Switches for tests and measurements: `wasm` false gives every tensor an ordinary array. */
export const storageTuning = { wasm: true };

/** Per pool-made buffer or lent block: its size, how many live tensors wrap it, and where it is. */
interface StorageRecord {
  readonly bytes: number;
  refs: number;
  /**
   * 'lent': handed out; 'pooled': in a free list (or, for a block, given back to its engine);
   * 'dropped': evicted or too large, untracked now
   */
  state: 'lent' | 'pooled' | 'dropped';
  /** a block of WebAssembly memory: its lender and byte offset */
  block?: { lender: BlockLender; at: number };
  /**
   * keepPacked(): the packed copies kernels keep of these values, by what they pack (see
   * PackedCopy); undefined: none are kept
   */
  packed?: Map<string, PackedCopy>;
}

/**
 * A packed copy of a tensor's values that a kernel keeps between calls (kernels/wasm/kept.ts): a
 * block of WebAssembly memory holding, e.g., a convolution weight in the GEMM's panel layout.
 * `owner` is the engine whose memory holds it, `at` and `bytes` the block, `ready` whether it has
 * been filled (a call that fails half-way leaves it unready), `release` gives the block back.
 */
export interface PackedCopy {
  readonly owner: object;
  readonly at: number;
  readonly bytes: number;
  ready: boolean;
  /** not a packing: whether every value is finite, as a kernel found it (kernels/wasm/kept.ts) */
  readonly allFinite?: boolean;
  release(): void;
}

/**
 * The most packed copies one storage keeps (e.g. a weight's forward and backward packings), not
 * counting the copies of no bytes (addPackedCopy).
 */
export const MAX_PACKED_COPIES = 4;

/** Pool statistics, from `storageStats()`. Sizes in bytes; small tensors are not counted. */
export interface StorageStats {
  /** bytes the pool holds, ready for reuse */
  pooledBytes: number;
  /** buffers the pool holds */
  pooledBuffers: number;
  /** the most bytes the pool keeps (`setStoragePoolLimit`) */
  limitBytes: number;
  /** bytes handed out by the pool and neither disposed nor garbage-collected yet */
  liveBytes: number;
  /** buffers handed out and neither disposed nor garbage-collected yet */
  liveBuffers: number;
  /** allocations served from the pool */
  reused: number;
  /** allocations of pool size that took fresh memory */
  allocated: number;
  /** buffers given back to the pool by `dispose()` */
  returned: number;
  /** pooled buffers dropped: over the limit, by `emptyStoragePool()`, or larger than the limit */
  evicted: number;
  /** buffers handed out that were garbage-collected without `dispose()` */
  collected: number;
  /** their bytes */
  collectedBytes: number;
  /** bytes of live tensor storage in WebAssembly memory (kernels read and write it in place) */
  wasmBytes: number;
  /** blocks of WebAssembly memory given back when their view was garbage-collected */
  wasmCollected: number;
  /** bytes of packed copies kept for tensors marked with `keepPacked()` (in WebAssembly memory) */
  packedBytes: number;
}

const records = new WeakMap<ArrayBuffer, StorageRecord>();
/** byte length → pooled buffers of that length, most recently returned last */
const free = new Map<number, ArrayBuffer[]>();
/** every pooled buffer, returned longest ago first (a Set iterates in insertion order) */
const lru = new Set<ArrayBuffer>();

let limit = DEFAULT_POOL_LIMIT;
const stats = {
  pooledBytes: 0,
  liveBytes: 0,
  liveBuffers: 0,
  reused: 0,
  allocated: 0,
  returned: 0,
  evicted: 0,
  collected: 0,
  collectedBytes: 0,
  wasmBytes: 0,
  wasmCollected: 0,
  packedBytes: 0,
};

/** The lent block of each view (keyed by the view object: its buffer is the engine's memory). */
const blocks = new WeakMap<Float32Array | Int32Array, StorageRecord>();

const registry = new FinalizationRegistry<StorageRecord>((r) => {
  if (r.state !== 'lent') return;
  // the array is gone: its packed copies go back to their engine (between calls, as every task)
  dropPacked(r);
  r.packed = undefined;
  r.state = 'dropped';
  stats.liveBytes -= r.bytes;
  stats.liveBuffers--;
  stats.collected++;
  stats.collectedBytes += r.bytes;
});

/**
 * Gives a block back to its engine when its view has been collected: nothing can read the block
 * any more (a view derived from it is not watched, see above). The held value is the record,
 * which does not reach the view.
 */
const blockRegistry = new FinalizationRegistry<StorageRecord>((r) => {
  if (r.state !== 'lent') return;
  stats.wasmCollected++;
  returnBlock(r);
});

/** A view lent from WebAssembly memory, or null. */
function lendBlock(dtype: StorageDType, n: number, bytes: number): StorageArray | null {
  if (dtype === 'float64' || !storageTuning.wasm || lender === null) return null;
  const l = lender();
  const view = l?.lend(dtype, n) ?? null;
  if (l === null || view === null) return null;
  const r: StorageRecord = { bytes, refs: 0, state: 'lent', block: { lender: l, at: view.byteOffset } };
  blocks.set(view, r);
  blockRegistry.register(view, r, r);
  stats.liveBytes += bytes;
  stats.liveBuffers++;
  stats.wasmBytes += bytes;
  stats.allocated++;
  return view;
}

/** Gives a lent block back to its engine (its last sharer was disposed, or its view collected). */
function returnBlock(r: StorageRecord): void {
  dropPacked(r);
  r.packed = undefined;
  r.state = 'pooled';
  blockRegistry.unregister(r);
  stats.liveBytes -= r.bytes;
  stats.liveBuffers--;
  stats.wasmBytes -= r.bytes;
  r.block!.lender.giveBack(r.block!.at, r.bytes);
}

function bytesPer(dtype: StorageDType): number {
  return dtype === 'float64' ? 8 : 4;
}

function fresh(dtype: StorageDType, n: number): StorageArray {
  return dtype === 'float32'
    ? new Float32Array(n)
    : dtype === 'int32'
      ? new Int32Array(n)
      : new Float64Array(n);
}

function view(dtype: StorageDType, buffer: ArrayBuffer): StorageArray {
  return dtype === 'float32'
    ? new Float32Array(buffer)
    : dtype === 'int32'
      ? new Int32Array(buffer)
      : new Float64Array(buffer);
}

/** Removes `buffer` from its free list and the LRU order (it must be pooled). */
function unpool(buffer: ArrayBuffer): void {
  const list = free.get(buffer.byteLength)!;
  const i = list.lastIndexOf(buffer);
  list.splice(i, 1);
  if (list.length === 0) free.delete(buffer.byteLength);
  lru.delete(buffer);
  stats.pooledBytes -= buffer.byteLength;
}

function drop(r: StorageRecord): void {
  r.state = 'dropped';
  registry.unregister(r);
  stats.evicted++;
}

/** Drops the buffers returned longest ago until the pool holds at most `limit` bytes. */
function trim(): void {
  while (stats.pooledBytes > limit) {
    const oldest = lru.values().next().value as ArrayBuffer;
    unpool(oldest);
    drop(records.get(oldest)!);
  }
}

/**
 * `n` elements of `dtype`, from the pool when a buffer of that byte length is there. Zeroed when
 * `zeroed` (fresh memory always is); otherwise a reused buffer keeps whatever it held. Throws the
 * allocation's RangeError when memory runs out even after emptying the pool.
 */
export function takeStorage(dtype: StorageDType, n: number, zeroed = true): StorageArray {
  const bytes = n * bytesPer(dtype);
  if (bytes < POOL_MIN_BYTES) return fresh(dtype, n);
  const block = lendBlock(dtype, n, bytes);
  if (block !== null) {
    // a block comes back dirty (freed by another tensor, or once the calls' scratch)
    if (zeroed) block.fill(0);
    return block;
  }
  const list = free.get(bytes);
  if (list !== undefined) {
    const buffer = list.pop()!;
    if (list.length === 0) free.delete(bytes);
    lru.delete(buffer);
    stats.pooledBytes -= bytes;
    const r = records.get(buffer)!;
    r.state = 'lent';
    r.refs = 0;
    stats.liveBytes += bytes;
    stats.liveBuffers++;
    stats.reused++;
    const data = view(dtype, buffer);
    if (zeroed) data.fill(0);
    return data;
  }
  let data: StorageArray;
  try {
    data = fresh(dtype, n);
  } catch (e) {
    // out of memory: what the pool holds is the first thing to give up
    if (!(e instanceof RangeError) || stats.pooledBytes === 0) throw e;
    emptyStoragePool();
    data = fresh(dtype, n);
  }
  const r: StorageRecord = { bytes, refs: 0, state: 'lent' };
  records.set(data.buffer as ArrayBuffer, r);
  registry.register(data.buffer, r, r);
  stats.liveBytes += bytes;
  stats.liveBuffers++;
  stats.allocated++;
  return data;
}

/**
 * The record of `data`'s buffer, if the pool made it. Arrays under POOL_MIN_BYTES are never
 * looked up: reading `.buffer` of a small typed array makes V8 move it off its heap (~0.7 µs, as
 * much as a small element-wise op), and the pool never hands out a small array. (No tensor wraps
 * a small part of a pooled buffer: no op makes such a view.)
 */
function recordOf(data: StorageArray): StorageRecord | undefined {
  if (data.byteLength < POOL_MIN_BYTES) return undefined;
  return (
    records.get(data.buffer as ArrayBuffer) ?? (data instanceof Float64Array ? undefined : blocks.get(data))
  );
}

/**
 * Counts one more live tensor over `data`'s buffer (the Tensor constructor calls this). Returns
 * false when the buffer is in the pool: the data belongs to a disposed tensor.
 */
export function retainStorage(data: StorageArray): boolean {
  const r = recordOf(data);
  if (r === undefined || r.state === 'dropped') return true;
  if (r.state === 'pooled') return false;
  r.refs++;
  return true;
}

/** One live tensor over `data`'s buffer fewer (`dispose()`); the last one returns it to the pool. */
export function releaseStorage(data: StorageArray): void {
  const r = recordOf(data);
  if (r === undefined || r.state !== 'lent') return;
  if (--r.refs > 0) return;
  if (r.block) {
    stats.returned++;
    returnBlock(r);
    return;
  }
  const buffer = data.buffer as ArrayBuffer;
  dropPacked(r);
  r.packed = undefined;
  stats.liveBytes -= r.bytes;
  stats.liveBuffers--;
  stats.returned++;
  if (r.bytes > limit) {
    drop(r);
    return;
  }
  r.state = 'pooled';
  let list = free.get(r.bytes);
  if (list === undefined) free.set(r.bytes, (list = []));
  list.push(buffer);
  lru.add(buffer);
  stats.pooledBytes += r.bytes;
  trim();
}

/**
 * Whether `data` is the whole of a pool-made buffer that exactly one live tensor wraps (and no
 * other tensor shares): then that tensor's owner may hand it on without a copy.
 */
export function soleStorage(data: StorageArray): boolean {
  const r = recordOf(data);
  return r !== undefined && r.state === 'lent' && r.refs === 1 && data.byteLength === r.bytes;
}

/**
 * The storage pool's statistics: what it holds, what is handed out, and how often it was reused.
 *
 * When the numbers are current: `pooledBytes`, `pooledBuffers`, `limitBytes`, `reused`,
 * `allocated`, `returned` and `evicted` are exact at every moment, and so are `liveBytes` /
 * `liveBuffers` for tensors that were disposed. A tensor dropped without `dispose()` stays
 * counted in `liveBytes` / `liveBuffers` (and `wasmBytes`) until the engine has garbage-collected
 * its storage *and* run the finalization callbacks that report it (`collected`,
 * `wasmCollected`); those callbacks run as separate tasks of the event loop, never inside
 * synchronous code, and several turns of the loop may pass before all have run. So in a
 * synchronous loop that drops tensors undisposed `liveBytes` grows (to gigabytes) while the
 * process's memory does not. To get current numbers: `dispose()` what you are done with (then
 * they are exact at once), or `await settledStorageStats()`, which yields to the event loop until
 * the pending reports have been delivered (after a full collection where `gc()` is exposed, as in
 * `node --expose-gc`); what it still counts as live is storage the garbage collector has not
 * freed.
 *
 * @example
 *   const y = interpolate(x, { scaleFactor: 2 });
 *   y.dispose();
 *   storageStats().pooledBytes; // y's bytes, ready for the next output of that size
 */
export function storageStats(): StorageStats {
  return { ...stats, pooledBuffers: lru.size, limitBytes: limit };
}

/**
 * {@link storageStats} once the garbage collector's pending reports have been delivered: calls
 * `gc()` where the engine exposes it (`node --expose-gc`), then yields to the event loop, one task
 * at a time, until the counts of live and collected storage have not changed for three turns (at
 * most 200 turns, a fraction of a second); with `gc()`, it collects again after every turn whose
 * reports changed the counts (what a report's bookkeeping let go of may only then be garbage).
 * Use it for leak checks of code that does not dispose.
 *
 * @example
 *   for (let i = 0; i < 1000; i++) interpolate(x, { scaleFactor: 2 }); // never disposed
 *   storageStats().liveBytes;                // still counts most of them (reports pending)
 *   (await settledStorageStats()).liveBytes; // what the garbage collector has not freed
 */
export async function settledStorageStats(): Promise<StorageStats> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
  const mark = (): string => `${stats.liveBuffers} ${stats.collected} ${stats.wasmCollected}`;
  let last = mark();
  for (let turn = 0, still = 0; turn < 200 && still < 3; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const now = mark();
    if (now !== last && typeof gc === 'function') gc();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return storageStats();
}

/**
 * Sets the most bytes the storage pool keeps (default 256 MiB; 0 turns reuse off) and drops the
 * buffers returned longest ago until the pool fits. Returns the previous limit.
 *
 * @example
 *   setStoragePoolLimit(64 * 2 ** 20); // keep at most 64 MiB of disposed tensors' storage
 */
export function setStoragePoolLimit(bytes: number): number {
  if (typeof bytes !== 'number' || !(bytes >= 0) || Number.isNaN(bytes)) {
    fail(
      'setStoragePoolLimit',
      'bytes',
      bytes,
      'must be a non-negative number of bytes (Infinity for no limit)',
    );
  }
  const previous = limit;
  limit = bytes;
  trim();
  return previous;
}

/**
 * Drops every buffer the storage pool holds (the garbage collector frees them); tensors in use are
 * not touched. Returns the bytes dropped.
 *
 * @example
 *   emptyStoragePool(); // e.g. before a phase that needs other sizes
 */
export function emptyStoragePool(): number {
  const dropped = stats.pooledBytes;
  for (const buffer of [...lru]) {
    unpool(buffer);
    drop(records.get(buffer)!);
  }
  return dropped;
}

/**
 * The records that hold packed copies now (for releaseWasmMemory). A record does not reach its
 * view, so holding it keeps no tensor storage alive.
 */
const holders = new Set<StorageRecord>();

/** Releases every packed copy of `r` (the keepPacked() mark stays). */
function dropPacked(r: StorageRecord): void {
  holders.delete(r);
  if (r.packed === undefined || r.packed.size === 0) return;
  for (const copy of r.packed.values()) {
    stats.packedBytes -= copy.bytes;
    copy.release();
  }
  r.packed.clear();
}

/** @internal Releases every packed copy of every storage (releaseWasmMemory drops their memory). */
export function dropPackedCopies(): void {
  for (const r of [...holders]) dropPacked(r);
}

/**
 * The record of `data` when the pool made it and it is in use (a block of WebAssembly memory or
 * an ordinary array): only those keep packed copies.
 */
function liveRecord(data: StorageArray): StorageRecord | undefined {
  const r = recordOf(data);
  return r !== undefined && r.state === 'lent' ? r : undefined;
}

/**
 * Marks `data`'s storage (every tensor sharing it) as one whose packed copies kernels may keep
 * (`keep`), or drops that mark and the copies. Returns whether copies can be kept: only storage
 * the pool made keeps them (not arrays under POOL_MIN_BYTES).
 */
export function keepPackedStorage(data: StorageArray, keep: boolean): boolean {
  const r = liveRecord(data);
  if (r === undefined) return false;
  if (keep) r.packed ??= new Map();
  else {
    dropPacked(r);
    r.packed = undefined;
  }
  return true;
}

/** Whether `data`'s storage is marked with keepPacked (then kernels keep packed copies of it). */
export function keepsPacked(data: StorageArray): boolean {
  return liveRecord(data)?.packed !== undefined;
}

/** The packed copy `key` of `data`, if `data` is marked with keepPacked and one is kept. */
export function packedCopy(data: StorageArray, key: string): PackedCopy | undefined {
  return liveRecord(data)?.packed?.get(key);
}

/**
 * Keeps `copy` as the packed copy `key` of `data` (marked with keepPacked), replacing (and
 * releasing) one of the same key; beyond MAX_PACKED_COPIES packings the one kept longest goes.
 * A copy of no bytes (a fact a kernel found about the values, `allFinite`) neither counts towards
 * the limit nor is pushed out by it.
 */
export function addPackedCopy(data: StorageArray, key: string, copy: PackedCopy): void {
  const r = liveRecord(data);
  const packed = r?.packed;
  if (r === undefined || packed === undefined)
    throw new Error('addPackedCopy: the storage is not marked with keepPacked');
  const old = packed.get(key);
  if (old !== undefined) {
    packed.delete(key);
    stats.packedBytes -= old.bytes;
    old.release();
  }
  if (copy.bytes > 0) {
    const packings = [...packed].filter(([, c]) => c.bytes > 0);
    for (let i = 0; i <= packings.length - MAX_PACKED_COPIES; i++) {
      const [k, oldest] = packings[i]!;
      packed.delete(k);
      stats.packedBytes -= oldest.bytes;
      oldest.release();
    }
  }
  packed.set(key, copy);
  holders.add(r);
  stats.packedBytes += copy.bytes;
}

/**
 * Tells the storage of `data` that its values changed: the packed copies kernels kept of it are
 * dropped (the next call packs afresh). Every library function that writes into an existing
 * tensor calls this (optimisers, initialisers, loadStateDict, running statistics, gradcheck);
 * `Tensor.markModified()` is the same for a user's own writes to `data`.
 */
export function storageModified(data: StorageArray): void {
  const r = recordOf(data);
  if (r !== undefined) dropPacked(r);
}
