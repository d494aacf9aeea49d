/**
 * A test page for test/browser.test.ts: the library's WebAssembly kernels on 1 and 2 threads in
 * the browser (Web Workers on shared memory; the page is cross-origin isolated by the server's
 * COOP/COEP headers). Reports to document.body's data attributes.
 */
import { ready, setNumThreads, convTranspose2d, randn } from '../../src/index.js';

async function main(): Promise<void> {
  const body = document.body;
  try {
    body.dataset.isolated = String(globalThis.crossOriginIsolated);
    body.dataset.variant = String(await ready());
    const x = randn([2, 64, 16, 16], { seed: 1 });
    const w = randn([64, 32, 4, 4], { seed: 2 });
    const run = (): Float32Array => convTranspose2d(x, w, { stride: 2, padding: 1 }).data as Float32Array;
    body.dataset.threads1 = String(await setNumThreads(1));
    const one = run();
    body.dataset.threads2 = String(await setNumThreads(2));
    const t0 = performance.now();
    const two = run();
    body.dataset.ms2 = (performance.now() - t0).toFixed(1);
    let same = one.length === two.length;
    for (let i = 0; same && i < one.length; i++) same = Object.is(one[i], two[i]);
    body.dataset.identical = String(same);
    body.dataset.sum = String(two.reduce((a, b) => a + b, 0));
  } catch (e) {
    body.dataset.error = String((e as Error).stack ?? e);
  }
  body.dataset.done = 'true';
}
void main();
