/**
 * The restoration panel: blur the sample photo with a chosen PSF and noise, watch each method of
 * the library's `restoration` namespace restore it — the estimate and its PSNR redrawn every few
 * iterations, computed in a worker (web/restore-worker.ts) so the page stays responsive — and see
 * the blur as the matrix C (the explicit `convMatrix` of the PSF on a small patch, drawn as the
 * matrix view draws C: diverging colours, white = 0).
 */
import { byId, h } from './dom.js';
import { colormap, convMatrix, restoration, tensor, type Tensor } from './lib.js';
import { PANEL_METHODS, type RestoreJob, type RestoreUpdate } from './restore-methods.js';

const SIDE = 96;
const PATCH = 6;
/** the estimate and its PSNR are shown every this many iterations */
const EVERY = 3;

/** A PSF of `kind` and odd `size`. */
export function makePsf(kind: string, size: number): Tensor {
  const n = size * size;
  const h0 = new Float32Array(n);
  const c = (size - 1) / 2;
  if (kind === 'box') h0.fill(1);
  else if (kind === 'motion') for (let i = 0; i < size; i++) h0[Math.round(c) * size + i] = 1;
  else {
    const sigma = size / 4;
    for (let a = 0; a < size; a++)
      for (let b = 0; b < size; b++)
        h0[a * size + b] = Math.exp(-((a - c) ** 2 + (b - c) ** 2) / (2 * sigma * sigma));
  }
  const s = h0.reduce((x, y) => x + y, 0);
  return tensor(
    h0.map((v) => v / s),
    [size, size],
  );
}

/** Deterministic normal noise (the page and the test agree on nothing random but the seed). */
function noiseField(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

function drawGrey(canvas: HTMLCanvasElement, t: Tensor, scale = 2): void {
  const [H, W] = t.shape as [number, number];
  canvas.width = W;
  canvas.height = H;
  canvas.style.width = `${W * scale}px`;
  canvas.style.height = `${H * scale}px`;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(W, H);
  for (let i = 0; i < H * W; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, t.data[i]!)));
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** C of the PSF on a PATCH × PATCH image with zero padding ('same' size), as a heat map. */
function drawMatrix(canvas: HTMLCanvasElement, psf: Tensor): string {
  const k = psf.shape[0]!;
  // convMatrix is cross-correlation: the flipped PSF makes it the convolution C
  const flipped = tensor(Float32Array.from(psf.data).reverse(), [1, 1, k, k]);
  const C = convMatrix([1, PATCH, PATCH], flipped, { padding: (k - 1) >> 1 });
  const dense = C.toDense();
  const rows = C.rows;
  const cols = C.cols;
  const px = 4;
  canvas.width = cols * px;
  canvas.height = rows * px;
  const ctx = canvas.getContext('2d')!;
  let max = 0;
  for (const v of dense.data) max = Math.max(max, Math.abs(v));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense.data[r * cols + c]!;
      const [R, G, B] = colormap('diverging', 0.5 + v / (2 * (max || 1)));
      ctx.fillStyle = `rgb(${R}, ${G}, ${B})`;
      ctx.fillRect(c * px, r * px, px, px);
    }
  }
  return `${rows} × ${cols}`;
}

export class RestorePanel {
  private sharp: Tensor | null = null;
  private timer = 0;
  private generation = 0;

  constructor() {
    for (const id of ['restore-psf', 'restore-size', 'restore-noise']) {
      byId(id).addEventListener('input', () => this.schedule());
    }
  }

  /** Takes the sample photo (an ImageBitmap or a drawn fallback) as a grey SIDE × SIDE image. */
  async load(): Promise<void> {
    let source: CanvasImageSource;
    try {
      const res = await fetch('photo.png');
      if (!res.ok) throw new Error(String(res.status));
      source = await createImageBitmap(await res.blob());
    } catch {
      const c = document.createElement('canvas');
      c.width = c.height = SIDE;
      const g = c.getContext('2d')!;
      g.fillStyle = '#333';
      g.fillRect(0, 0, SIDE, SIDE);
      g.fillStyle = '#ddd';
      g.fillRect(20, 20, 40, 30);
      g.beginPath();
      g.arc(60, 65, 18, 0, 2 * Math.PI);
      g.fill();
      source = c;
    }
    const c = document.createElement('canvas');
    c.width = c.height = SIDE;
    const g = c.getContext('2d')!;
    g.drawImage(source, 0, 0, SIDE, SIDE);
    const px = g.getImageData(0, 0, SIDE, SIDE).data;
    const grey = new Float32Array(SIDE * SIDE);
    for (let i = 0; i < grey.length; i++)
      grey[i] = (px[4 * i]! + px[4 * i + 1]! + px[4 * i + 2]!) / (3 * 255);
    this.sharp = tensor(grey, [SIDE, SIDE]);
    this.schedule();
  }

  private visible = false;

  /** Recomputes soon — once the panel has been on screen (the methods take a core for a second
   * or so, which the rest of the page should not pay for at load). */
  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.visible) {
      if (!this.observer) {
        this.observer = new IntersectionObserver((entries) => {
          if (!entries.some((e) => e.isIntersecting)) return;
          this.visible = true;
          this.observer?.disconnect();
          this.schedule();
        });
        this.observer.observe(byId('restore-panel'));
      }
      return;
    }
    this.timer = window.setTimeout(() => this.update(), 60);
  }
  private observer: IntersectionObserver | null = null;
  private worker: Worker | null = null;

  /** Blurs, then has the worker run the methods one by one, drawing what it reports. */
  private update(): void {
    if (!this.sharp) return;
    const gen = ++this.generation;
    const kind = byId<HTMLSelectElement>('restore-psf').value;
    const size = 2 * Number(byId<HTMLInputElement>('restore-size').value) + 1;
    const noise = Number(byId<HTMLInputElement>('restore-noise').value) / 1000;
    byId('restore-size-value').textContent = `${size}×${size}`;
    byId('restore-noise-value').textContent = noise.toFixed(3);
    const psf = makePsf(kind, size);
    const op = restoration.blurOperator([SIDE, SIDE], Float64Array.from(psf.data), [size, size], 'reflect');
    const b = new Float64Array(SIDE * SIDE);
    op.apply(Float64Array.from(this.sharp.data), b);
    const z = noiseField(b.length, 1);
    const blurred = tensor(
      b.map((v, i) => v + noise * z[i]!),
      [SIDE, SIDE],
    );
    drawGrey(byId<HTMLCanvasElement>('restore-sharp'), this.sharp);
    drawGrey(byId<HTMLCanvasElement>('restore-blurred'), blurred);
    byId('restore-blurred-psnr').textContent =
      `blurred: ${restoration.psnr(blurred, this.sharp).toFixed(2)} dB`;
    byId('restore-matrix-dims').textContent = drawMatrix(byId<HTMLCanvasElement>('restore-matrix'), psf);
    const list = byId('restore-results');
    list.replaceChildren();
    document.body.dataset.restore = 'running';
    const figures = PANEL_METHODS.map((m, i) => {
      const canvas = h('canvas', {});
      const label = h('span', { class: 'psnr', 'data-testid': `restore-psnr-${i}` }, '…');
      list.append(
        h('figure', { class: 'restore-result' }, canvas, h('figcaption', {}, `${m.name}: `, label)),
      );
      return { canvas, label };
    });
    // a new worker per run: the methods are synchronous, so a stale run is stopped by terminating it
    this.worker?.terminate();
    const worker = new Worker('restore-worker.js', { type: 'module' });
    this.worker = worker;
    let finished = 0;
    worker.onmessage = (e: MessageEvent<RestoreUpdate>) => {
      const u = e.data;
      if (u.generation !== this.generation) return;
      const f = figures[u.method]!;
      if (u.error !== undefined) {
        f.label.textContent = `failed: ${u.error}`;
      } else {
        drawGrey(f.canvas, tensor(u.pixels, [SIDE, SIDE]));
        f.label.textContent =
          u.iteration < 0
            ? `${u.psnr.toFixed(2)} dB (${Math.round(u.ms)} ms)`
            : `${u.psnr.toFixed(2)} dB (iteration ${u.iteration + 1})`;
      }
      if (u.iteration < 0 && ++finished === PANEL_METHODS.length) {
        document.body.dataset.restore = 'done';
        worker.terminate();
      }
    };
    worker.onerror = (e) => {
      if (gen !== this.generation) return;
      for (const f of figures) if (f.label.textContent === '…') f.label.textContent = `failed: ${e.message}`;
      document.body.dataset.restore = 'done';
    };
    const job: RestoreJob = {
      generation: gen,
      side: SIDE,
      blurred: Float32Array.from(blurred.data),
      sharp: Float32Array.from(this.sharp.data),
      psf: Float32Array.from(psf.data),
      psfSize: size,
      every: EVERY,
    };
    worker.postMessage(job, [job.blurred.buffer, job.sharp.buffer, job.psf.buffer]);
  }
}
