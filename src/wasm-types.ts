/**
 * The WebAssembly objects that the kernels' declarations name, as structural types of our own.
 *
 * The global `WebAssembly` namespace is declared by TypeScript's DOM lib and by `@types/node`, not
 * by the ES libs, so a `.d.ts` that names `WebAssembly.Memory` does not type-check in a strict
 * project with `lib: ["es2022"]` and neither of them (test/package.test.ts). These types hold
 * exactly what the kernels use; the real objects are assignable to them, and they are assignable
 * back wherever the real ones are expected (a module is opaque, as in the DOM lib). Types only:
 * nothing here exists at run time.
 */

/** A `WebAssembly.Memory`: its current buffer, and `grow` by whole 64 KiB pages. */
export interface WasmMemory {
  /** the current buffer (a SharedArrayBuffer for shared memory, though the DOM lib says ArrayBuffer) */
  readonly buffer: ArrayBuffer;
  /** grows by `delta` pages; returns the previous size in pages */
  grow(delta: number): number;
}

/** A compiled `WebAssembly.Module` (opaque: it is only instantiated or posted to a worker). */
export type WasmModule = object;

/** A `WebAssembly.Instance`: its exports, read through the module's own export interface. */
export interface WasmInstance {
  readonly exports: object;
}
