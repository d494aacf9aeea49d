/**
 * `deconv blur`, `deconv deblur`, `deconv sparse-code`: deconvolution as an inverse problem from
 * the command line (the library's `restoration` and `csc` namespaces).
 */
import { mkdirSync } from 'node:fs';
import { csc, encodePng, makeGrid, readPng, restoration, Rng, tensor, type Tensor } from './api.js';
import { cliFail, parseInteger, parseNumber } from './args.js';

/** A finite number (any sign; zero allowed), or undefined when the option is absent. */
function finite(command: string, option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) cliFail(command, option, value, 'must be a number');
  return n;
}
import type { Options } from './commands.js';
import { progress, resolvePath, writeOutput, type CliIo } from './io.js';

export const PSF_KINDS = ['gaussian', 'box', 'motion'] as const;
export const DEBLUR_METHODS = [
  'richardson-lucy',
  'wiener',
  'unsupervised-wiener',
  'landweber',
  'tikhonov',
  'tv',
  'rl-adjoint',
  'blind',
] as const;
const BOUNDARIES = ['zero', 'reflect', 'symmetric', 'circular', 'valid'] as const;

const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));

function int(
  cmd: string,
  option: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  const n = parseInteger(cmd, option, value, min);
  if (n !== undefined && n > max) cliFail(cmd, option, value, `must be at most ${max}`);
  return n;
}

/** A PSF from the options: `--psf gaussian|box|motion|file.png`, `--size`, `--sigma`, `--angle`. */
export function psfFromOptions(cmd: string, opts: Options, io: CliIo): Tensor {
  const kind = str(opts.psf) ?? 'gaussian';
  const size = int(cmd, '--size', str(opts.size), 1, 255) ?? 9;
  if (kind === 'gaussian') {
    const sigma = parseNumber(cmd, '--sigma', str(opts.sigma)) ?? size / 4;
    if (!(sigma > 0)) cliFail(cmd, '--sigma', opts.sigma, 'must be > 0');
    const h = new Float32Array(size * size);
    let s = 0;
    const c = (size - 1) / 2;
    for (let a = 0; a < size; a++)
      for (let b = 0; b < size; b++)
        s += h[a * size + b] = Math.exp(-((a - c) ** 2 + (b - c) ** 2) / (2 * sigma * sigma));
    return tensor(
      h.map((v) => v / s),
      [size, size],
    );
  }
  if (kind === 'box') return tensor(new Float32Array(size * size).fill(1 / (size * size)), [size, size]);
  if (kind === 'motion') {
    const angle = ((finite(cmd, '--angle', str(opts.angle)) ?? 0) * Math.PI) / 180;
    // a line of length `size` through the centre, splatted bilinearly at 4 samples per pixel
    const h = new Float32Array(size * size);
    const c = (size - 1) / 2;
    const steps = 4 * size;
    for (let t = 0; t <= steps; t++) {
      const r = (t / steps - 0.5) * (size - 1);
      const x = c + r * Math.cos(angle);
      const y = c - r * Math.sin(angle);
      const x0 = Math.floor(x),
        y0 = Math.floor(y);
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ] as const) {
        const yy = y0 + dy,
          xx = x0 + dx;
        if (yy < 0 || yy >= size || xx < 0 || xx >= size) continue;
        h[yy * size + xx] += (1 - Math.abs(y - yy)) * (1 - Math.abs(x - xx));
      }
    }
    const s = h.reduce((a, b) => a + b, 0);
    return tensor(
      h.map((v) => v / s),
      [size, size],
    );
  }
  if (!kind.toLowerCase().endsWith('.png')) {
    cliFail(cmd, '--psf', kind, `must be one of ${PSF_KINDS.join(', ')} or a .png file`);
  }
  const img = readPng(resolvePath(io, kind));
  const [C, H, W] = img.shape as [number, number, number];
  const h = new Float32Array(H * W);
  for (let c = 0; c < Math.min(C, 3); c++) for (let i = 0; i < H * W; i++) h[i] += img.data[c * H * W + i]!;
  const s = h.reduce((a, b) => a + b, 0);
  if (!(s > 0)) cliFail(cmd, '--psf', kind, 'must have some non-zero pixels');
  return tensor(
    h.map((v) => v / s),
    [H, W],
  );
}

/** RGB (drops alpha) planes of a PNG as (C, H, W) float32 in [0, 1]. */
function readImage(io: CliIo, path: string): Tensor {
  const img = readPng(resolvePath(io, path));
  const [C, H, W] = img.shape as [number, number, number];
  const c = Math.min(C, 3);
  return tensor(img.data.subarray(0, c * H * W), [c, H, W]);
}

function clamp01(t: Tensor): Tensor {
  return tensor(
    Float32Array.from(t.data, (v) => Math.min(1, Math.max(0, v))),
    t.shape,
  );
}

function checkPngPath(cmd: string, option: string, path: string): void {
  if (!path.toLowerCase().endsWith('.png')) cliFail(cmd, option, path, 'must be a .png file');
}

/** `t` (H, W) extended by `ph` rows and `pw` columns on each side, mirrored about its edge pixels. */
function reflectPad(t: Tensor, ph: number, pw: number): Tensor {
  const [H, W] = t.shape as [number, number];
  const mirror = (i: number, n: number) => {
    // reflect (edge not repeated), period 2(n − 1); a single pixel repeats
    if (n === 1) return 0;
    const p = 2 * (n - 1);
    const q = ((i % p) + p) % p;
    return q < n ? q : p - q;
  };
  const h = H + 2 * ph;
  const w = W + 2 * pw;
  const out = new Float32Array(h * w);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) out[i * w + j] = t.data[mirror(i - ph, H) * W + mirror(j - pw, W)]!;
  return tensor(out, [h, w]);
}

/** The (H, W) middle of a `reflectPad` result. */
function cropPad(t: Tensor, H: number, W: number, ph: number, pw: number): Tensor {
  const w = W + 2 * pw;
  const out = new Float32Array(H * W);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) out[i * W + j] = t.data[(i + ph) * w + j + pw]!;
  return tensor(out, [H, W]);
}

/** `deconv blur in.png out.png --psf … --noise σ` */
export function blurCommand(inPath: string, outPath: string, opts: Options, io: CliIo): void {
  const cmd = 'blur';
  checkPngPath(cmd, 'out', outPath);
  const psf = psfFromOptions(cmd, opts, io);
  const noise = finite(cmd, '--noise', str(opts.noise)) ?? 0;
  if (!(noise >= 0)) cliFail(cmd, '--noise', opts.noise, 'must be ≥ 0');
  const seed = int(cmd, '--seed', str(opts.seed), 0, 2 ** 31) ?? 0;
  const boundary = str(opts.boundary) ?? 'reflect';
  if (boundary === 'valid' || !(BOUNDARIES as readonly string[]).includes(boundary)) {
    cliFail(cmd, '--boundary', boundary, "must be one of 'zero', 'reflect', 'symmetric', 'circular'");
  }
  const image = readImage(io, inPath);
  const [C, H, W] = image.shape as [number, number, number];
  const op = restoration.blurOperator(
    [H, W],
    Float64Array.from(psf.data),
    [...psf.shape],
    boundary as restoration.Boundary,
  );
  const rng = new Rng(seed);
  const out = new Float32Array(C * H * W);
  const plane = new Float64Array(H * W);
  for (let c = 0; c < C; c++) {
    op.apply(Float64Array.from(image.data.subarray(c * H * W, (c + 1) * H * W)), plane);
    for (let i = 0; i < H * W; i++)
      out[c * H * W + i] = Math.min(1, Math.max(0, plane[i]! + noise * rng.normal()));
  }
  writeOutput(io, cmd, 'out', outPath, encodePng(tensor(out, [C, H, W])));
  if (opts.psfOut !== undefined) {
    const p = str(opts.psfOut)!;
    checkPngPath(cmd, '--psf-out', p);
    let max = 0;
    for (const v of psf.data) max = Math.max(max, v);
    writeOutput(
      io,
      cmd,
      '--psf-out',
      p,
      encodePng(
        tensor(
          psf.data.map((v) => v / max),
          [1, ...psf.shape],
        ),
      ),
    );
  }
  io.out(
    `${inPath} ${W}×${H} blurred by a ${psf.shape.join('×')} ${str(opts.psf) ?? 'gaussian'} PSF (boundary '${boundary}')` +
      `${noise > 0 ? `, Gaussian noise σ = ${noise}` : ''} → ${outPath}\n`,
  );
}

/** `deconv deblur in.png out.png --psf … --method …` */
export function deblurCommand(inPath: string, outPath: string, opts: Options, io: CliIo): void {
  const cmd = 'deblur';
  checkPngPath(cmd, 'out', outPath);
  const method = str(opts.method) ?? 'richardson-lucy';
  if (!(DEBLUR_METHODS as readonly string[]).includes(method)) {
    cliFail(cmd, '--method', method, `must be one of ${DEBLUR_METHODS.join(', ')}`);
  }
  const psf = psfFromOptions(cmd, opts, io);
  const iterations = int(cmd, '--iterations', str(opts.iterations), 1, 100000);
  const lambda = parseNumber(cmd, '--lambda', str(opts.lambda));
  const balance = parseNumber(cmd, '--balance', str(opts.balance)) ?? 0.05;
  const boundary = (str(opts.boundary) ?? 'reflect') as restoration.Boundary;
  if (!(BOUNDARIES as readonly string[]).includes(boundary))
    cliFail(cmd, '--boundary', boundary, `must be one of ${BOUNDARIES.join(', ')}`);
  const image = readImage(io, inPath);
  const reference = opts.reference === undefined ? null : readImage(io, str(opts.reference)!);
  if (reference && reference.shape.join() !== image.shape.join()) {
    cliFail(
      cmd,
      '--reference',
      opts.reference,
      `must have the image's size ${image.shape.slice(1).join('×')} and channels`,
    );
  }
  const [C, H, W] = image.shape as [number, number, number];
  // the bar's steps per channel: iterations (the unsupervised sampler: at most maxIterations
  // samples, 200 unless --iterations says otherwise; it may stop before)
  const perChannel =
    method === 'unsupervised-wiener' ? (iterations ?? 200) : method === 'wiener' ? 1 : (iterations ?? 50);
  const total = perChannel * C;
  const bar = progress(io, `deblurring (${method})`, total, true);
  let done = 0;
  const tick = () => bar.update(++done);
  const channel = (c: number) => tensor(image.data.subarray(c * H * W, (c + 1) * H * W), [H, W]);
  const planes: Tensor[] = [];
  try {
    for (let c = 0; c < C; c++) {
      const y = channel(c);
      let x: Tensor;
      const it = iterations;
      switch (method) {
        case 'richardson-lucy': {
          // scikit-image's method convolves with zero padding, which darkens the border: it runs on
          // the image extended by reflection (by the PSF's size), cropped back
          const [ph, pw] = psf.shape as [number, number];
          const padded = restoration.richardsonLucy(reflectPad(y, ph, pw), psf, {
            iterations: it ?? 50,
            callback: tick,
          });
          x = cropPad(padded, H, W, ph, pw);
          break;
        }
        case 'wiener':
          x = restoration.wiener(restoration.edgeTaper(y, psf), psf, { balance });
          tick();
          break;
        case 'unsupervised-wiener':
          x = restoration.unsupervisedWiener(restoration.edgeTaper(y, psf), psf, {
            seed: 0,
            ...(it === undefined ? {} : { maxIterations: it }),
            callback: tick,
          }).image;
          break;
        case 'landweber':
          x = restoration.landweber(y, psf, {
            boundary,
            iterations: it ?? 50,
            nonNegative: true,
            callback: tick,
          });
          break;
        case 'tikhonov':
          x = restoration.tikhonov(y, psf, {
            boundary,
            lambda: lambda ?? 0.002,
            iterations: it ?? 50,
            callback: tick,
          });
          break;
        case 'tv':
          x = restoration.totalVariation(y, psf, {
            boundary,
            lambda: lambda ?? 0.002,
            iterations: it ?? 50,
            callback: tick,
          });
          break;
        case 'rl-adjoint':
          x = restoration.richardsonLucyAdjoint(y, psf, {
            boundary,
            iterations: it ?? 50,
            accelerate: true,
            callback: tick,
          });
          break;
        default: {
          const r = restoration.blindRichardsonLucy(y, {
            initialPsf: psf,
            iterations: it ?? 50,
            boundary,
            callback: tick,
          });
          x = r.image;
        }
      }
      planes.push(x);
      // a method that stopped on its tolerance: the bar moves on to the next channel's start
      done = ((c + 1) * total) / C;
      bar.update(done);
    }
  } finally {
    bar.stop();
  }
  const out = new Float32Array(C * H * W);
  planes.forEach((p, c) => out.set(p.data, c * H * W));
  const restored = clamp01(tensor(out, [C, H, W]));
  writeOutput(io, cmd, 'out', outPath, encodePng(restored));
  let line = `${inPath} ${W}×${H} deblurred by ${method} with a ${psf.shape.join('×')} PSF → ${outPath}`;
  if (reference) {
    line += `\nPSNR against ${str(opts.reference)}: blurred ${restoration.psnr(image, reference).toFixed(2)} dB, restored ${restoration.psnr(restored, reference).toFixed(2)} dB`;
  }
  io.out(`${line}\n`);
}

/** Each (h, w) plane of `data` (P planes) scaled to [0, 1] by its own range, as (1, h, w) images. */
function planesForGrid(
  data: ArrayLike<number>,
  P: number,
  h: number,
  w: number,
  symmetric: boolean,
): Tensor[] {
  const out = new Float32Array(P * h * w);
  for (let p = 0; p < P; p++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < h * w; i++) {
      const v = data[p * h * w + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (symmetric) {
      const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      for (let i = 0; i < h * w; i++) out[p * h * w + i] = 0.5 + (0.5 * data[p * h * w + i]!) / m;
    } else {
      const r = hi - lo || 1;
      for (let i = 0; i < h * w; i++) out[p * h * w + i] = (data[p * h * w + i]! - lo) / r;
    }
  }
  return Array.from({ length: P }, (_, p) => tensor(out.subarray(p * h * w, (p + 1) * h * w), [1, h, w]));
}

/**
 * Zeiler's deconvolutional network, one layer: learns `atoms` filters from a grey image's
 * high-pass part and writes filters.png, maps.png (the sparse feature maps) and
 * reconstruction.png into `--out`.
 */
export function sparseCodeCommand(inPath: string, opts: Options, io: CliIo): void {
  const cmd = 'sparse-code';
  const atoms = int(cmd, '--atoms', str(opts.atoms), 1, 256) ?? 16;
  const k = int(cmd, '--kernel', str(opts.kernel), 2, 32) ?? 8;
  const lambda = finite(cmd, '--lambda', str(opts.lambda)) ?? 0.05;
  if (!(lambda >= 0)) cliFail(cmd, '--lambda', opts.lambda, 'must be ≥ 0');
  const iterations = int(cmd, '--iterations', str(opts.iterations), 1, 10000) ?? 20;
  const size = int(cmd, '--crop', str(opts.crop), 16, 4096);
  const dir = str(opts.out) ?? 'sparse-code';
  const image = readImage(io, inPath);
  const [C, H0, W0] = image.shape as [number, number, number];
  if (size !== undefined && size > Math.min(H0, W0))
    cliFail(cmd, '--crop', size, `must not exceed the image's size ${W0}×${H0}`);
  const H = size ?? H0;
  const W = size ?? W0;
  if (k > H || k > W) cliFail(cmd, '--kernel', k, `must not exceed the image's size ${W}×${H}`);
  // grey, centre crop
  const r0 = Math.floor((H0 - H) / 2);
  const c0 = Math.floor((W0 - W) / 2);
  const grey = new Float32Array(H * W);
  for (let c = 0; c < C; c++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) grey[i * W + j] += image.data[(c * H0 + r0 + i) * W0 + c0 + j]! / C;
  // the low-pass part (a 9×9 box mean, circular) is kept aside; the filters code the rest
  const low = new Float32Array(H * W);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      let s = 0;
      for (let a = -4; a <= 4; a++)
        for (let b = -4; b <= 4; b++) s += grey[((i + a + H) % H) * W + ((j + b + W) % W)]!;
      low[i * W + j] = s / 81;
    }
  const high = tensor(
    grey.map((v, i) => v - low[i]!),
    [H, W],
  );
  const bar = progress(io, 'learning the dictionary', iterations, true);
  let learned;
  try {
    learned = csc.learnDictionary(high, {
      atoms,
      kernelSize: k,
      lambda,
      iterations,
      seed: 0,
      callback: (p) => bar.update(p.iteration + 1),
    });
  } finally {
    bar.stop();
  }
  const codeBar = progress(io, 'sparse coding with the learned filters', 100, true);
  let coded;
  try {
    coded = csc.convBPDN(high, learned.dictionary, {
      lambda,
      iterations: 100,
      callback: (p) => codeBar.update(p.iteration + 1),
    });
  } finally {
    codeBar.stop();
  }
  try {
    mkdirSync(resolvePath(io, dir), { recursive: true });
  } catch (e) {
    cliFail(cmd, '--out', dir, `could not be created: ${(e as Error).message}`);
  }
  const nrow = Math.ceil(Math.sqrt(atoms));
  const filters = makeGrid(planesForGrid(learned.dictionary.data, atoms, k, k, true), {
    columns: nrow,
    padding: 1,
  });
  const maps = makeGrid(planesForGrid(coded.coefficients.data, atoms, H, W, true), {
    columns: nrow,
    padding: 2,
  });
  const recon = tensor(
    coded.reconstruction.data.map((v, i) => Math.min(1, Math.max(0, v + low[i]!))),
    [1, H, W],
  );
  const scaleUp = (t: Tensor, f: number) => {
    const [c, h, w] = t.shape as [number, number, number];
    const out = new Float32Array(c * h * f * w * f);
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h * f; i++)
        for (let j = 0; j < w * f; j++)
          out[(ch * h * f + i) * w * f + j] = t.data[(ch * h + Math.floor(i / f)) * w + Math.floor(j / f)]!;
    return tensor(out, [c, h * f, w * f]);
  };
  writeOutput(io, cmd, '--out', `${dir}/filters.png`, encodePng(scaleUp(filters, 8)));
  writeOutput(io, cmd, '--out', `${dir}/maps.png`, encodePng(maps));
  writeOutput(io, cmd, '--out', `${dir}/reconstruction.png`, encodePng(recon));
  let nz = 0;
  for (const v of coded.coefficients.data) if (v !== 0) nz++;
  const ref = tensor(grey, [1, H, W]);
  io.out(
    `${atoms} filters ${k}×${k} learned from ${inPath} (${W}×${H}, grey, high-pass) in ${iterations} iterations: ` +
      `objective ${learned.objective[0]!.toFixed(3)} → ${learned.objective[learned.objective.length - 1]!.toFixed(3)}\n` +
      `sparse maps: ${nz} of ${coded.coefficients.size} coefficients non-zero (${((100 * nz) / coded.coefficients.size).toFixed(1)}%); ` +
      `reconstruction PSNR ${restoration.psnr(recon, ref).toFixed(2)} dB\n` +
      `wrote ${dir}/filters.png, ${dir}/maps.png, ${dir}/reconstruction.png\n`,
  );
}
