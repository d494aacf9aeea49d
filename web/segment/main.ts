/**
 * The segmentation explorer: the user draws on a 32×64 canvas (shown 8× larger); after every
 * stroke segment the page runs each decoder's shipped model (models/segment, copied into the site
 * by scripts/build-web.ts) on the drawing with the library, in the page, and paints the predicted
 * class of every pixel. `window.deconvSegment` exposes the input and the predictions (for the
 * Chromium test, which recomputes them in Node).
 */
import { BACKGROUND, SEGMENTATION_CLASSES, Tensor, nn, noGrad, readSafetensors } from '../../src/index.js';

const H = 32;
const W = 64;
const SCALE = 8;
const OUT_SCALE = 4;

/** Class colours: digits 0–9 and background (as in `deconv segment report`). */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [230, 26, 26],
  [255, 128, 0],
  [242, 217, 26],
  [102, 204, 26],
  [26, 153, 77],
  [26, 204, 204],
  [51, 102, 255],
  [128, 51, 230],
  [230, 77, 204],
  [153, 102, 51],
  [0, 0, 0],
];

interface Run {
  decoder: nn.SegmentationDecoder;
  seed: number;
  file: string;
}
interface Loaded {
  decoder: nn.SegmentationDecoder;
  model: nn.SegmentationModel;
  canvas: HTMLCanvasElement;
  classes: HTMLElement;
}

const input = new Float32Array(H * W);
const predictions: Record<string, number[]> = {};
let runs = 0;
declare global {
  interface Window {
    deconvSegment: { input: () => number[]; predictions: Record<string, number[]>; runs: () => number };
  }
}
window.deconvSegment = { input: () => Array.from(input), predictions, runs: () => runs };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const draw = $<HTMLCanvasElement>('draw');
const status = $('status');

function paintInput(): void {
  const ctx = draw.getContext('2d')!;
  const img = ctx.createImageData(W, H);
  for (let p = 0; p < H * W; p++) {
    const v = Math.round(255 * input[p]!);
    img.data.set([v, v, v, 255], 4 * p);
  }
  const small = new OffscreenCanvas(W, H);
  small.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, W * SCALE, H * SCALE);
}

/** A soft round brush of radius `r` canvas pixels at (x, y), like a pen stroke of an MNIST digit. */
function stamp(x: number, y: number, r: number): void {
  for (let py = Math.floor(y - r - 1); py <= Math.ceil(y + r + 1); py++)
    for (let px = Math.floor(x - r - 1); px <= Math.ceil(x + r + 1); px++) {
      if (py < 0 || py >= H || px < 0 || px >= W) continue;
      const d = Math.hypot(px + 0.5 - x, py + 0.5 - y);
      const v = Math.max(0, Math.min(1, r + 0.5 - d));
      const i = py * W + px;
      if (v > input[i]!) input[i] = v;
    }
}

function paintLabels(target: HTMLCanvasElement, labels: ArrayLike<number>): void {
  const ctx = target.getContext('2d')!;
  const img = ctx.createImageData(W, H);
  for (let p = 0; p < H * W; p++) img.data.set([...PALETTE[labels[p]!]!, 255], 4 * p);
  const small = new OffscreenCanvas(W, H);
  small.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, W * OUT_SCALE, H * OUT_SCALE);
}

let models: Loaded[] = [];

function segment(): void {
  const t0 = performance.now();
  const x = new Tensor(Float32Array.from(input), [1, 1, H, W]);
  noGrad(() => {
    for (const m of models) {
      const labels = nn.predictLabels(m.model.forward(x)).data;
      predictions[m.decoder] = Array.from(labels);
      paintLabels(m.canvas, labels);
      const counts = new Array<number>(SEGMENTATION_CLASSES).fill(0);
      for (const l of labels) counts[l]!++;
      const found = counts
        .map((c, k) => [k, c] as const)
        .filter(([k, c]) => k !== BACKGROUND && c > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, c]) => `${k} (${c} px)`);
      m.classes.textContent = found.length === 0 ? 'background only' : `digits: ${found.join(', ')}`;
    }
  });
  runs++;
  document.body.dataset.segmented = String(runs);
  $('timing').textContent = `${models.length} decoders in ${(performance.now() - t0).toFixed(0)} ms`;
}

let pending = false;
function schedule(): void {
  if (pending || models.length === 0) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    segment();
  });
}

let last: [number, number] | null = null;
function point(e: PointerEvent): [number, number] {
  const r = draw.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * W, ((e.clientY - r.top) / r.height) * H];
}
draw.addEventListener('pointerdown', (e) => {
  draw.setPointerCapture(e.pointerId);
  last = point(e);
  stamp(...last, Number($<HTMLInputElement>('brush').value));
  paintInput();
});
draw.addEventListener('pointermove', (e) => {
  if (last === null) return;
  const p = point(e);
  const r = Number($<HTMLInputElement>('brush').value);
  const steps = Math.max(1, Math.ceil(Math.hypot(p[0] - last[0], p[1] - last[1]) / 0.25));
  for (let k = 1; k <= steps; k++)
    stamp(last[0] + ((p[0] - last[0]) * k) / steps, last[1] + ((p[1] - last[1]) * k) / steps, r);
  last = p;
  paintInput();
  schedule();
});
const end = (): void => {
  if (last === null) return;
  last = null;
  schedule();
};
draw.addEventListener('pointerup', end);
draw.addEventListener('pointercancel', end);
$('clear').addEventListener('click', () => {
  input.fill(0);
  paintInput();
  schedule();
});

const TITLES: Readonly<Record<nn.SegmentationDecoder, string>> = {
  segnet: 'SegNet: max unpooling + conv',
  deconvnet: 'DeconvNet: unpooling + deconvolution',
  fcn8s: 'FCN-8s: bilinear-initialised transposed convs + skips',
  unet: 'U-Net: transposed convs + concatenated skips',
  'resize-nearest': 'resize-conv: nearest + conv',
  'resize-bilinear': 'resize-conv: bilinear + conv',
};

async function load(): Promise<void> {
  const legend = PALETTE.map(
    (c, i) =>
      `<span class="sw" style="background: rgb(${c.join(',')})"></span>${i === BACKGROUND ? 'background' : i}`,
  ).join(' ');
  $('legend').innerHTML = legend;
  const res = await fetch('models/segment.json');
  if (!res.ok) throw new Error(`models/segment.json: ${res.status}`);
  const results = (await res.json()) as { settings: { channels: number[] }; runs: Run[] };
  const first = new Map<nn.SegmentationDecoder, Run>();
  for (const r of results.runs) {
    const had = first.get(r.decoder);
    if (!had || r.seed < had.seed) first.set(r.decoder, r);
  }
  const box = $('decoders');
  const loaded: Loaded[] = [];
  for (const decoder of nn.SEGMENTATION_DECODERS) {
    const run = first.get(decoder);
    if (!run) continue;
    const bytes = new Uint8Array(await (await fetch(`models/${run.file}`)).arrayBuffer());
    const model = nn.segmentationModel(decoder, {
      channels: results.settings.channels,
      numClasses: SEGMENTATION_CLASSES,
    });
    model.loadStateDict(readSafetensors(bytes));
    model.eval();
    const div = document.createElement('div');
    div.className = 'decoder';
    div.innerHTML = `<h3>${TITLES[decoder]}</h3>`;
    const canvas = document.createElement('canvas');
    canvas.width = W * OUT_SCALE;
    canvas.height = H * OUT_SCALE;
    canvas.dataset.testid = `seg-${decoder}`;
    const classes = document.createElement('div');
    classes.className = 'classes';
    classes.dataset.testid = `classes-${decoder}`;
    div.append(canvas, classes);
    box.append(div);
    loaded.push({ decoder, model, canvas, classes });
  }
  models = loaded;
  status.textContent = `${models.length} decoders loaded; draw with the mouse (or a pen or finger).`;
  paintInput();
  segment();
  document.body.dataset.ready = 'true';
}

load().catch((e: unknown) => {
  status.textContent = `could not load the models: ${e instanceof Error ? e.message : String(e)}`;
  status.className = 'error';
});
