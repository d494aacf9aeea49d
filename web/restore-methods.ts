/**
 * The methods the restoration panel runs (web/restore.ts shows them, web/restore-worker.ts runs
 * them), each with the settings the panel uses and a hook that receives the current estimate
 * during the iterations (through the method's progress callback; Wiener is direct and has none).
 */
import { restoration, type Tensor } from './lib.js';

/** Called during the iterations with the iteration and a getter of the current estimate. */
export type Watch = (iteration: number, estimate: () => Tensor) => void;

export interface PanelMethod {
  name: string;
  run(y: Tensor, psf: Tensor, watch: Watch): Tensor;
}

export const PANEL_METHODS: readonly PanelMethod[] = [
  {
    name: 'Richardson–Lucy (scikit-image: zero boundary)',
    run: (y, p, watch) =>
      restoration.richardsonLucy(y, p, {
        iterations: 30,
        callback: (s) => watch(s.iteration, s.estimate),
      }),
  },
  {
    name: 'Wiener (scikit-image, edge-tapered)',
    run: (y, p) => restoration.wiener(restoration.edgeTaper(y, p), p, { balance: 0.02 }),
  },
  {
    name: 'unsupervised Wiener (scikit-image’s sampler)',
    run: (y, p, watch) =>
      restoration.unsupervisedWiener(restoration.edgeTaper(y, p), p, {
        seed: 1,
        callback: (s) => watch(s.iteration, s.estimate),
      }).image,
  },
  {
    name: 'Tikhonov (CG, reflect)',
    run: (y, p, watch) =>
      restoration.tikhonov(y, p, {
        lambda: 0.003,
        iterations: 40,
        callback: (s) => watch(s.iteration, s.estimate),
      }),
  },
  {
    name: 'total variation (reflect)',
    run: (y, p, watch) =>
      restoration.totalVariation(y, p, {
        lambda: 0.004,
        iterations: 60,
        callback: (s) => watch(s.iteration, s.estimate),
      }),
  },
  {
    name: 'accelerated RL (exact adjoint)',
    run: (y, p, watch) =>
      restoration.richardsonLucyAdjoint(y, p, {
        iterations: 20,
        accelerate: true,
        callback: (s) => watch(s.iteration, s.estimate),
      }),
  },
  {
    name: 'Landweber (reflect)',
    run: (y, p, watch) =>
      restoration.landweber(y, p, {
        iterations: 60,
        nonNegative: true,
        callback: (s) => watch(s.iteration, s.estimate),
      }),
  },
  {
    name: 'blind RL (PSF unknown, flat start)',
    run: (y, p, watch) =>
      restoration.blindRichardsonLucy(y, {
        psfShape: [...p.shape],
        iterations: 30,
        boundary: 'reflect',
        callback: (s) => watch(s.iteration, s.estimate),
      }).image,
  },
];

/** What the page sends the worker: one blurred image to restore by every method. */
export interface RestoreJob {
  generation: number;
  side: number;
  blurred: Float32Array;
  sharp: Float32Array;
  psf: Float32Array;
  psfSize: number;
  /** post the estimate every this many iterations */
  every: number;
}

/** What the worker sends back: an estimate of one method, during the run or at its end. */
export interface RestoreUpdate {
  generation: number;
  method: number;
  /** the iteration the estimate is from; −1 for the final result */
  iteration: number;
  psnr: number;
  pixels: Float32Array;
  /** milliseconds since the method started */
  ms: number;
  error?: string;
}
