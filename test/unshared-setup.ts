/**
 * Imported first by the tests that run the library as on a page without cross-origin isolation:
 * no shared WebAssembly memory (kernels/wasm/loader.ts sharedMemorySupported), so every tensor is
 * an ordinary array and the kernels copy in and out. Each test file runs in a process of its own.
 */
(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated = false;
