/**
 * The restoration panel's worker: runs every method of PANEL_METHODS on the blurred image it is
 * sent, posting the estimate and its PSNR every few iterations and at the end, so the page stays
 * responsive and shows each method converging. The page terminates it when the inputs change.
 */
import { restoration, tensor, type Tensor } from './lib.js';
import { PANEL_METHODS, type RestoreJob, type RestoreUpdate } from './restore-methods.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<RestoreJob>) => void) | null;
  postMessage(message: RestoreUpdate, transfer: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const job = e.data;
  const shape = [job.side, job.side];
  const y = tensor(job.blurred, shape);
  const sharp = tensor(job.sharp, shape);
  const psf = tensor(job.psf, [job.psfSize, job.psfSize]);
  const post = (method: number, iteration: number, x: Tensor, t0: number) => {
    const pixels = Float32Array.from(x.data);
    scope.postMessage(
      {
        generation: job.generation,
        method,
        iteration,
        psnr: restoration.psnr(x, sharp),
        pixels,
        ms: performance.now() - t0,
      },
      [pixels.buffer],
    );
  };
  PANEL_METHODS.forEach((m, i) => {
    const t0 = performance.now();
    try {
      const x = m.run(y, psf, (iteration, estimate) => {
        if (iteration % job.every === 0) post(i, iteration, estimate(), t0);
      });
      post(i, -1, x, t0);
    } catch (err) {
      scope.postMessage(
        {
          generation: job.generation,
          method: i,
          iteration: -1,
          psnr: NaN,
          pixels: new Float32Array(0),
          ms: performance.now() - t0,
          error: (err as Error).message,
        },
        [],
      );
    }
  });
};
