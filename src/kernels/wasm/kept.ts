/**
 * Packed weights kept between calls (`Tensor.keepPacked()`): a convolution weight whose storage is
 * marked is packed into the GEMM's layout once, into a block of the engine's memory, and later
 * calls of the same geometry read that block instead of packing again.
 *
 * Why this cannot give a stale result: a copy is kept only for storage the user marked, and it is
 * dropped whenever the values may change — by every library write into an existing tensor
 * (storage.ts `storageModified`), by `markModified()` for the user's own writes to `data` (the
 * documented condition of `keepPacked`), when the storage is disposed or collected, and with the
 * engine (`releaseWasmMemory`: a copy is used only by the engine that made it). A copy is used
 * only once the call that filled it has finished (`ready`), and it holds exactly what the per-call
 * packing writes, so results are bit-identical with and without it.
 *
 * Blocks are lent before the call lays out its scratch (`lend` moves the arena's end, which the
 * scratch starts above), so `keptBlock` must run before `e.reset()`.
 */
import { addPackedCopy, keepsPacked, packedCopy } from '../../storage.js';
import type { WasmEngine } from './loader.js';

/** Where a call's packed weight lives: `at` (byte offset), and whether it is filled already. */
export interface KeptBlock {
  at: number;
  ready: boolean;
  /** marks the block filled (call it once the packing has completed) */
  done(): void;
}

/**
 * The kept block of `floats` floats for packing `key` of weight `w` on engine `e`, or null when
 * none is kept (w not marked, or no block to lend): then the call packs into its scratch as
 * usual. Call before `e.reset()`.
 */
export function keptBlock(e: WasmEngine, w: Float32Array, key: string, floats: number): KeptBlock | null {
  if (floats <= 0 || !keepsPacked(w)) return null;
  const bytes = 4 * floats;
  const have = packedCopy(w, key);
  if (have !== undefined && have.owner === e && have.bytes === bytes) {
    return {
      at: have.at,
      ready: have.ready,
      done: () => {
        have.ready = true;
      },
    };
  }
  // read by offset only: a plain memory may hold it too (growing that detaches views, not offsets)
  const at = e.lend(bytes, false);
  if (at < 0) return null;
  const copy = { owner: e, at, bytes, ready: false, release: () => e.giveBack(at, bytes) };
  addPackedCopy(w, key, copy);
  return {
    at,
    ready: false,
    done: () => {
      copy.ready = true;
    },
  };
}

const ALL_FINITE = 'allFinite';

/**
 * Whether every value of `w` is finite (no ±Inf, no NaN), for a call that copies `w` into `e`'s
 * memory anyway: scanned in place when `w` lives there; a weight that does not and is not marked
 * with keepPacked is first copied in (after `e.reset()`: the call then starts from that copy,
 * `at`, and must not reset again) and scanned there, as fast as in place; a marked one is
 * scanned in JavaScript (its block must be lent before the reset, see keptBlock). For marked
 * storage the answer is kept with its packed copies, and dropped with them whenever the values
 * may change, so a marked weight is scanned once.
 */
export function weightsFinite(e: WasmEngine, w: Float32Array): { finite: boolean; at: number | null } {
  const marked = keepsPacked(w);
  if (marked) {
    const have = packedCopy(w, ALL_FINITE)?.allFinite;
    if (have !== undefined) return { finite: have, at: null };
  }
  let finite: boolean;
  let at: number | null = null;
  if (e.owns(w)) finite = e.fns.allFinite(w.byteOffset, w.length) === 1;
  else if (!marked) {
    e.reset();
    at = e.copyIn(w);
    finite = e.fns.allFinite(at, w.length) === 1;
  } else {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! - w[i]!;
    finite = s === 0;
  }
  if (marked)
    addPackedCopy(w, ALL_FINITE, { owner: e, at: 0, bytes: 0, ready: true, allFinite: finite, release() {} });
  return { finite, at };
}
