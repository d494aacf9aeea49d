/**
 * The op applied to a picture: the sample photo (photo.png next to the page) or an image the user
 * drops in, decoded by the browser (createImageBitmap → canvas → RGB Tensor in [0, 1]) and run
 * through the library with the sliders' parameters.
 */
import { byId } from './dom.js';
import {
  conv2d,
  convTranspose2d,
  DeconvError,
  bilinearFiller,
  interpolate,
  maxPool2d,
  maxUnpool2d,
  pixelShuffle,
  pixelUnshuffle,
  tensor,
  Tensor,
} from './lib.js';
import type { Params } from './params.js';

/** Longest side of the picture the ops start from (small enough to compute at every slider move). */
const UPSAMPLE_SIDE = 64;
const DOWNSAMPLE_SIDE = 128;
/** Both pictures are shown this wide, so that the output's extra (or missing) resolution shows. */
const SHOWN_WIDTH = 256;

type Source = ImageBitmap | HTMLCanvasElement;

/** A drawn stand-in for the photo when the site was built without one: shapes, stripes and text. */
function syntheticSample(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = 128;
  c.height = 128;
  const g = c.getContext('2d')!;
  const sky = g.createLinearGradient(0, 0, 0, 128);
  sky.addColorStop(0, '#6fa8dc');
  sky.addColorStop(1, '#fce5cd');
  g.fillStyle = sky;
  g.fillRect(0, 0, 128, 128);
  g.fillStyle = '#f1c232';
  g.beginPath();
  g.arc(92, 34, 16, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#38761d';
  g.beginPath();
  g.moveTo(0, 100);
  g.lineTo(40, 62);
  g.lineTo(78, 100);
  g.fill();
  for (let x = 0; x < 128; x += 4) {
    g.fillStyle = x % 8 ? '#274e13' : '#b6d7a8';
    g.fillRect(x, 104, 2, 24);
  }
  g.fillStyle = '#1f2933';
  g.font = 'bold 18px sans-serif';
  g.fillText('deconv', 8, 24);
  return c;
}

/** The picture as an RGB tensor (3, H, W) in [0, 1], scaled to fit `side` pixels. */
function toTensor(source: Source, side: number, multipleOf = 1): Tensor {
  const scale = Math.min(1, side / Math.max(source.width, source.height));
  const w = Math.max(multipleOf, Math.floor((source.width * scale) / multipleOf) * multipleOf);
  const h = Math.max(multipleOf, Math.floor((source.height * scale) / multipleOf) * multipleOf);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d', { willReadFrequently: true })!;
  g.imageSmoothingQuality = 'high';
  g.drawImage(source, 0, 0, w, h);
  const rgba = g.getImageData(0, 0, w, h).data;
  const data = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++)
    for (let ch = 0; ch < 3; ch++) data[ch * w * h + i] = rgba[4 * i + ch]! / 255;
  return tensor(data, [3, h, w]);
}

/**
 * Draws an RGB tensor (3, H, W), values clamped to [0, 1], at `zoom` screen pixels per image pixel,
 * so an upsampled result is shown as much larger than its input as it is (ImagePanel picks one
 * zoom for both that fits the wider of the two in the panel, so a narrow page shrinks them alike).
 */
function draw(canvas: HTMLCanvasElement, t: Tensor, zoom: number): void {
  const [, h, w] = t.shape as [number, number, number];
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${w * zoom}px`;
  canvas.style.height = `${h * zoom}px`;
  canvas.dataset['zoom'] = String(zoom);
  const g = canvas.getContext('2d')!;
  const img = g.createImageData(w, h);
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++)
      img.data[4 * i + ch] = Math.round(Math.min(1, Math.max(0, t.data[ch * plane + i]!)) * 255);
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}

/** A colour weight (3, 3/groups, k, k) that applies `kernel` to each channel on its own. */
function perChannel(kernel: Float32Array, k: number, groups: number): Tensor {
  const per = 3 / groups;
  // groups must divide 3: otherwise the shape below is wrong and the op refuses it with a DeconvError
  const inner = Number.isInteger(per) ? per : 1;
  const data = new Float32Array(3 * inner * k * k);
  for (let c = 0; c < 3; c++) {
    const j = inner === 1 ? 0 : c % inner;
    data.set(kernel, (c * inner + j) * k * k);
  }
  return tensor(data, [3, inner, k, k]);
}

/** Tiles (3·r², h, w) as r × r colour pictures, one per sub-pixel phase. */
function phaseTiles(t: Tensor, r: number): Tensor {
  const [, h, w] = t.shape as [number, number, number];
  const out = new Float32Array(3 * r * h * r * w);
  const W = r * w;
  const plane = r * h * W;
  for (let ch = 0; ch < 3; ch++) {
    for (let a = 0; a < r; a++) {
      for (let b = 0; b < r; b++) {
        const src = (ch * r * r + a * r + b) * h * w;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            out[ch * plane + (a * h + y) * W + b * w + x] = t.data[src + y * w + x]!;
      }
    }
  }
  return tensor(out, [3, r * h, r * w]);
}

export class ImagePanel {
  private source: Source | null = null;
  private sourceName = 'the sample photo';
  private params: Params | null = null;
  private readonly status = byId('image-status');
  /** what is drawn (input as shown, output or null when refused), for redrawing on resize */
  private shown: { input: Tensor; output: Tensor | null } | null = null;

  constructor() {
    let pending: number | undefined;
    window.addEventListener('resize', () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(() => this.layout(), 100);
    });
    const drop = byId('drop');
    const file = byId<HTMLInputElement>('image-file');
    drop.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('over');
      const f = ev.dataTransfer?.files[0];
      if (f) void this.loadFile(f);
    });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void this.loadFile(f);
    });
    byId('image-reset').addEventListener('click', () => void this.loadSample());
  }

  /** Loads photo.png from the site, or draws a sample when the site has none. */
  async loadSample(): Promise<void> {
    try {
      const res = await fetch('photo.png');
      if (!res.ok) throw new Error(`photo.png: HTTP ${res.status}`);
      this.source = await createImageBitmap(await res.blob());
      this.sourceName = 'the sample photo';
    } catch {
      this.source = syntheticSample();
      this.sourceName = 'a drawn sample (this build has no photo.png)';
    }
    document.body.dataset.photo = 'loaded';
    if (this.params) this.update(this.params);
  }

  private async loadFile(f: File): Promise<void> {
    try {
      this.source = await createImageBitmap(f);
      this.sourceName = f.name;
      if (this.params) this.update(this.params);
    } catch {
      this.status.textContent = `${f.name}: the browser cannot decode this file as an image.`;
      this.status.classList.add('bad');
    }
  }

  /**
   * Draws input and output at one zoom: the input SHOWN_WIDTH wide (so a 2× output is twice that),
   * or smaller where the panel cannot hold the wider of the two side by side or one above the other
   * — never each narrowed on its own, which would draw a 2× result as large as its input.
   */
  private layout(): void {
    if (!this.shown) return;
    const { input, output } = this.shown;
    const panel = byId('image-panel');
    const style = getComputedStyle(panel);
    const room = panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 2;
    const wIn = input.shape[2]!;
    const wOut = output ? output.shape[2]! : 0;
    const zoom = Math.min(SHOWN_WIDTH / wIn, room > 0 ? room / Math.max(wIn, wOut) : Infinity);
    draw(byId<HTMLCanvasElement>('image-in'), input, zoom);
    if (output) draw(byId<HTMLCanvasElement>('image-out'), output, zoom);
  }

  /** Runs the op on the picture with these parameters and draws input and output. */
  update(p: Params): void {
    this.params = p;
    if (!this.source) return;
    const outCanvas = byId<HTMLCanvasElement>('image-out');
    const explain = byId('image-explain');
    this.status.classList.remove('bad');
    const up = p.op !== 'conv' && p.op !== 'dilated';
    let x = toTensor(
      this.source,
      up ? UPSAMPLE_SIDE : DOWNSAMPLE_SIDE,
      p.op === 'pixelShuffle' ? Math.max(1, p.stride) : 1,
    );
    let shownIn = x;
    this.shown = { input: x, output: null };
    this.layout();
    byId('image-in-label').textContent = `input ${x.shape.slice(1).join('×')} (${this.sourceName})`;
    try {
      let y: Tensor;
      const k = p.kernel;
      switch (p.op) {
        case 'conv':
        case 'dilated': {
          const box = new Float32Array(k * k).fill(1 / (k * k));
          y = conv2d(x, perChannel(box, k, p.groups), {
            stride: p.stride,
            padding: p.padding,
            dilation: p.dilation,
            groups: p.groups,
          });
          explain.textContent =
            `conv2d with a ${k}×${k} averaging kernel on each colour channel (weight [3, ${3 / p.groups}, ${k}, ${k}]` +
            `${p.groups > 1 ? `, groups ${p.groups}` : ''}): stride ${p.stride} takes the picture down.`;
          break;
        }
        case 'convTranspose': {
          // the library's bilinear filler (Caffe's, as FCN uses), scaled so that a kernel that
          // overlaps evenly keeps the brightness: each output pixel then gets Σw / s² of it
          const b = Array.from(bilinearFiller([1, 1, k, k]).data);
          const sum = b.reduce((a, v) => a + v, 0);
          const kernel = Float32Array.from(b, (v) => (v * p.stride * p.stride) / sum);
          y = convTranspose2d(x, perChannel(kernel, k, p.groups), {
            stride: p.stride,
            padding: p.padding,
            outputPadding: p.outputPadding,
            dilation: p.dilation,
            groups: p.groups,
          });
          explain.textContent =
            `convTranspose2d with a ${k}×${k} bilinear kernel (bilinearFiller) on each colour channel. Kernel 2s − s mod 2 ` +
            'with padding ⌈(s − 1) / 2⌉ is bilinear upsampling by s; a kernel the stride does not divide shows the checkerboard.';
          break;
        }
        case 'maxUnpool': {
          const pooled = maxPool2d(x, {
            kernelSize: k,
            stride: p.stride,
            padding: p.padding,
            returnIndices: true,
          });
          shownIn = pooled.output;
          y = maxUnpool2d(pooled.output, pooled.indices, {
            kernelSize: k,
            stride: p.stride,
            padding: p.padding,
            outputSize: x.shape.slice(1),
          });
          explain.textContent =
            `maxPool2d (window ${k}, stride ${p.stride}) takes the picture down and records where each maximum was; ` +
            'maxUnpool2d puts every maximum back in its place and zeros elsewhere.';
          break;
        }
        case 'nearest':
        case 'bilinear':
        case 'bicubic':
          y = interpolate(x, { scaleFactor: [p.stride, p.stride], mode: p.op });
          explain.textContent = `interpolate(x, { scaleFactor: [${p.stride}, ${p.stride}], mode: '${p.op}' }).`;
          break;
        case 'pixelShuffle': {
          const r = p.stride;
          x = pixelUnshuffle(x, r);
          shownIn = phaseTiles(x, r);
          y = pixelShuffle(x, r);
          explain.textContent =
            `pixelUnshuffle(photo, ${r}) gives ${3 * r * r} channels of ${x.shape[1]}×${x.shape[2]} (left: the ${r * r} sub-pixel ` +
            `pictures); pixelShuffle(x, ${r}) interleaves them back into ${y.shape[1]}×${y.shape[2]}.`;
          break;
        }
      }
      this.shown = { input: shownIn, output: y };
      this.layout();
      byId('image-in-label').textContent = `input ${shownIn.shape.slice(1).join('×')} (${this.sourceName})`;
      byId('image-out-label').textContent = `output ${y.shape.slice(1).join('×')}`;
      this.status.textContent = '';
      outCanvas.dataset.size = y.shape.slice(1).join('x');
    } catch (err) {
      outCanvas.getContext('2d')!.clearRect(0, 0, outCanvas.width, outCanvas.height);
      byId('image-out-label').textContent = 'output: refused';
      this.status.textContent = err instanceof DeconvError ? err.message : `internal error: ${String(err)}`;
      this.status.classList.add('bad');
      outCanvas.dataset.size = '';
    }
  }
}
