/**
 * Animated GIFs of scenes: each frame is rasterised (`raster.ts`) and encoded with gifenc
 * (https://github.com/mattdesl/gifenc). The pictures use few, flat colours, so each frame's
 * colours map exactly to a palette; only a frame with more than 256 colours (a photo) is quantised.
 */
import gifenc from 'gifenc';
import { DeconvError, fail, show } from '../errors.js';
import { checkInt, checkOptions, POSITIVE } from '../geometry/args.js';
import type { Animation } from './animation.js';
import { SCENE_OPTIONS, sceneOf, sceneOptions, type AnimationSceneOptions } from './draw.js';
import { checkSceneColors, parseColor, rasterize } from './raster.js';
import type { RgbaImage, Scene } from './scene.js';

export interface GifOptions {
  /** called after each encoded frame, e.g. to move a progress bar */
  onFrame?: (done: number, total: number) => void;
}

const GIF_OPTIONS: readonly (keyof GifOptions)[] = ['onFrame'];

/** A GIF stores a frame's delay in hundredths of a second in 16 bits: at most 655.35 s. */
const MAX_DELAY_MS = 655350;

/** ... and an image's width and height in 16 bits. */
const MAX_GIF_SIDE = 65535;

/** GifOptions checked for `fn` before any work: known keys (and `extra`), `onFrame` a function. */
function gifOptions<T extends GifOptions>(fn: string, options: unknown, extra: readonly string[] = []): T {
  // null options are none, as everywhere; unknown keys are refused, as everywhere
  const o = checkOptions<T>(fn, options, [...GIF_OPTIONS, ...extra]);
  if (o.onFrame !== undefined && typeof o.onFrame !== 'function')
    fail(fn, 'onFrame', o.onFrame, 'must be a function (done, total) => void');
  return o;
}

/** `delays` (named `path` in `fn`'s arguments): one per frame, 0 to MAX_DELAY_MS milliseconds. */
function checkDelays(fn: string, path: string, delays: unknown, count: number): readonly number[] {
  if (!Array.isArray(delays)) fail(fn, path, delays, `must be an array of ${count} delays in milliseconds`);
  if (delays.length !== count)
    fail(fn, `${path}.length`, delays.length, `must be ${count}, one delay per frame`);
  delays.forEach((ms: unknown, t) => {
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_DELAY_MS))
      fail(
        fn,
        `${path}[${t}]`,
        ms,
        `must be a number of milliseconds from 0 to ${MAX_DELAY_MS} (a GIF keeps hundredths of a second in 16 bits)`,
      );
  });
  return delays as number[];
}

/**
 * An RGBA image a GIF can hold, of the size of the first frame (`first`, when given); `label` is
 * how the image is reached (`frames[3]`, `frame(3)`), `argument` the argument it comes from.
 */
function checkRgba(fn: string, argument: string, label: string, img: unknown, first?: RgbaImage): RgbaImage {
  const refuse = (path: string, value: unknown, rule: string): never => {
    throw new DeconvError(fn, argument, `${path} = ${show(value)} ${rule}`);
  };
  if (img === null || typeof img !== 'object')
    refuse(label, img, 'must be an RGBA image { width, height, data }');
  const { width, height } = img as RgbaImage;
  const data: unknown = (img as RgbaImage).data;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_GIF_SIDE)
      refuse(`${label}.${name}`, v, `must be an integer from 1 to ${MAX_GIF_SIDE} (a GIF's 16 bits)`);
  }
  if (first && (width !== first.width || height !== first.height)) {
    refuse(
      `${label}.width`,
      width,
      `and height ${height} must be the first frame's ${first.width} × ${first.height} (a GIF's frames have one size)`,
    );
  }
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array))
    refuse(`${label}.data`, data, 'must be a Uint8ClampedArray of RGBA bytes');
  if ((data as Uint8Array).length !== width * height * 4)
    refuse(
      `${label}.data.length`,
      (data as Uint8Array).length,
      `must be width · height · 4 = ${width * height * 4}`,
    );
  return img as RgbaImage;
}

/** Adds the colours of `img` to `palette`; false when they do not fit in 256. */
function collect(img: RgbaImage, palette: number[][], lookup: Map<number, number>): boolean {
  const d = img.data;
  let last = -1;
  for (let p = 0; p < img.width * img.height; p++) {
    const key = (d[4 * p]! << 16) | (d[4 * p + 1]! << 8) | d[4 * p + 2]!;
    if (key === last || lookup.has(key)) {
      last = key;
      continue;
    }
    if (palette.length === 256) return false;
    lookup.set(key, palette.length);
    palette.push([d[4 * p]!, d[4 * p + 1]!, d[4 * p + 2]!]);
    last = key;
  }
  return true;
}

/** Palette indices of `img`, or null if it has a colour outside the palette. */
function indexed(img: RgbaImage, lookup: Map<number, number>): Uint8Array | null {
  const d = img.data;
  const index = new Uint8Array(img.width * img.height);
  let lastKey = -1;
  let lastIndex = 0;
  for (let p = 0; p < index.length; p++) {
    const key = (d[4 * p]! << 16) | (d[4 * p + 1]! << 8) | d[4 * p + 2]!;
    if (key !== lastKey) {
      const k = lookup.get(key);
      if (k === undefined) return null;
      lastKey = key;
      lastIndex = k;
    }
    index[p] = lastIndex;
  }
  return index;
}

/**
 * Encodes `count` RGBA frames of one size, produced on demand by `frame(t)` (called twice per
 * frame: once for the palette, once to encode, so frames need not all be held in memory), as a
 * looping GIF. One global palette when all frames together use at most 256 colours, else each
 * frame is quantised with its own palette. `delays` in milliseconds per frame.
 *
 * `count` is a positive integer, `frame` a function returning for each `t` an RGBA image of 1 to
 * 65535 pixels a side (the GIF limit), all of one size, `delays` one number per frame from 0 to
 * 655350 (a GIF keeps hundredths of a second in 16 bits). Options: `onFrame` (a function) and
 * `palette` (the colours, `[r, g, b]` bytes, when known in advance); null is none, another key is
 * refused. A refusal is a `DeconvError` naming the argument.
 *
 * @example
 *   import { encodeGifFrames, blankImage } from 'deconv';
 *   const colours = ['#ff0000', '#00ff00', '#0000ff'];
 *   const bytes = encodeGifFrames(3, (t) => blankImage(8, 8, colours[t]), [200, 200, 200]);
 */
export function encodeGifFrames(
  count: number,
  frame: (t: number) => RgbaImage,
  delays: readonly number[],
  options: GifOptions & { palette?: readonly (readonly number[])[] } = {},
): Uint8Array {
  const fn = 'encodeGifFrames';
  checkInt(fn, 'count', count, POSITIVE);
  if (typeof frame !== 'function') fail(fn, 'frame', frame, 'must be a function (t) => RGBA image');
  const o = gifOptions<GifOptions & { palette?: unknown }>(fn, options, ['palette']);
  let palette: number[][] | undefined;
  if (o.palette !== undefined) {
    if (!Array.isArray(o.palette)) fail(fn, 'palette', o.palette, 'must be an array of [r, g, b] colours');
    palette = o.palette.map((c: unknown, i) => {
      if (!Array.isArray(c) || c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255))
        fail(fn, `palette[${i}]`, c, 'must be [r, g, b], integers from 0 to 255');
      return c as number[];
    });
  }
  let first: RgbaImage | undefined;
  const checked = (t: number): RgbaImage => {
    const img = checkRgba(fn, 'frame', `frame(${t})`, frame(t), first);
    first ??= img;
    return img;
  };
  return encode(fn, count, checked, checkDelays(fn, 'delays', delays, count), o.onFrame, palette);
}

/** The encoder of encodeGifFrames, for `fn`, its arguments checked (the frames as they come). */
function encode(
  fn: string,
  count: number,
  frame: (t: number) => RgbaImage,
  delays: readonly number[],
  onFrame: GifOptions['onFrame'],
  known?: readonly (readonly number[])[],
): Uint8Array {
  const gif = gifenc.GIFEncoder();
  const palette: number[][] = [];
  const lookup = new Map<number, number>();
  let exact = true;
  if (known) {
    // the colours are known in advance (a scene's): one pass
    for (const c of known) {
      const key = (c[0]! << 16) | (c[1]! << 8) | c[2]!;
      if (!lookup.has(key)) {
        lookup.set(key, palette.length);
        palette.push([c[0]!, c[1]!, c[2]!]);
      }
    }
    exact = palette.length <= 256;
  } else {
    for (let t = 0; t < count && exact; t++) exact = collect(frame(t), palette, lookup);
  }
  // one spare palette entry marks "unchanged since the previous frame" (transparent, not
  // disposed), so a frame stores only the pixels that change: much smaller files
  const spare = exact && palette.length < 256 ? palette.length : -1;
  if (spare >= 0) palette.push([255, 0, 255]);
  while (palette.length < 2) palette.push([0, 0, 0]);
  let previous: Uint8Array | null = null;
  for (let t = 0; t < count; t++) {
    const img = frame(t);
    const delay = delays[t]!;
    const index = exact ? indexed(img, lookup) : null;
    if (index) {
      let data = index;
      if (previous && spare >= 0) {
        data = new Uint8Array(index.length);
        for (let p = 0; p < index.length; p++) data[p] = index[p] === previous[p] ? spare : index[p]!;
      }
      gif.writeFrame(data, img.width, img.height, {
        ...(t === 0 ? { palette } : {}),
        delay,
        repeat: 0,
        dispose: 1,
        ...(previous && spare >= 0 ? { transparent: true, transparentIndex: spare } : {}),
      });
      previous = index;
    } else {
      previous = null;
      // a colour outside the global palette: this frame gets its own, quantised
      const local = gifenc.quantize(img.data, 256);
      gif.writeFrame(gifenc.applyPalette(img.data, local), img.width, img.height, {
        palette: local,
        delay,
        repeat: 0,
        dispose: 1,
      });
    }
    onFrame?.(t + 1, count);
  }
  gif.finish();
  return gif.bytes();
}

/**
 * Encodes RGBA frames (all of one size) as a looping GIF; `delays` in milliseconds per frame.
 * `frames` is a non-empty array of RGBA images of 1 to 65535 pixels a side, all of one size;
 * `delays` one number per frame from 0 to 655350; options as `encodeGifFrames`'s `onFrame`. A
 * refusal is a `DeconvError` naming the argument (`frames[2].width`, `delays[0]`), before any work.
 *
 * @example
 *   import { encodeGif, blankImage } from 'deconv';
 *   const bytes = encodeGif([blankImage(8, 8, '#ff0000'), blankImage(8, 8, '#0000ff')], [500, 500]);
 */
export function encodeGif(
  frames: readonly RgbaImage[],
  delays: readonly number[],
  options: GifOptions = {},
): Uint8Array {
  const fn = 'encodeGif';
  if (!Array.isArray(frames) || frames.length === 0)
    fail(fn, 'frames', frames, 'must be a non-empty array of RGBA images { width, height, data }');
  const first = checkRgba(fn, 'frames', 'frames[0]', frames[0]);
  frames.forEach((img, t) => checkRgba(fn, 'frames', `frames[${t}]`, img, first));
  const d = checkDelays(fn, 'delays', delays, frames.length);
  const o = gifOptions<GifOptions>(fn, options);
  return encode(fn, frames.length, (t) => frames[t]!, d, o.onFrame);
}

/**
 * A scene as an animated GIF (one GIF frame per scene frame, looping). Its colours are checked as
 * `rasterize` checks them, `scene.frameMs` as `encodeGif`'s delays; options: `onFrame`.
 *
 * @example
 *   import { buildAnimation, animationScene, sceneToGif } from 'deconv';
 *   const bytes = sceneToGif(animationScene(buildAnimation({ op: 'nearest', inputSize: 3 })));
 */
export function sceneToGif(scene: Scene, options: GifOptions = {}): Uint8Array {
  const fn = 'sceneToGif';
  return gifOf(fn, scene, gifOptions<GifOptions>(fn, options));
}

/** sceneToGif for `fn`, its options' keys already checked. */
function gifOf(fn: string, scene: Scene, options: GifOptions): Uint8Array {
  checkSceneColors(fn, scene);
  const n = scene.frameCount;
  if (!Number.isInteger(n) || n < 1) fail(fn, 'scene.frameCount', n, 'must be a positive integer');
  for (const [name, v] of [
    ['width', scene.width],
    ['height', scene.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_GIF_SIDE)
      fail(fn, `scene.${name}`, v, `must be an integer from 1 to ${MAX_GIF_SIDE} (a GIF's 16 bits)`);
  }
  const delays = checkDelays(fn, 'scene.frameMs', scene.frameMs, n);
  const palette = scenePalette(scene);
  return encode(fn, n, (t) => rasterize(scene, t), delays, options.onFrame, palette ?? undefined);
}

/**
 * An animation as an animated GIF. Options: `animationScene`'s and `onFrame`.
 *
 * @example
 *   import { buildAnimation, animationToGif } from 'deconv';
 *   const bytes = animationToGif(buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 }));
 */
export function animationToGif(a: Animation, options: AnimationSceneOptions & GifOptions = {}): Uint8Array {
  const fn = 'animationToGif';
  const o = gifOptions<AnimationSceneOptions & GifOptions>(fn, options, SCENE_OPTIONS);
  return gifOf(fn, sceneOf(fn, a, sceneOptions(o)), { onFrame: o.onFrame });
}

/**
 * Every colour a scene can put on a pixel (the rasteriser draws no anti-aliasing), or null when an
 * image shape has partly transparent pixels (their blends are not known in advance).
 */
function scenePalette(scene: Scene): number[][] | null {
  const colors = new Map<number, number[]>();
  const add = (c: readonly number[]): void => {
    colors.set((c[0]! << 16) | (c[1]! << 8) | c[2]!, [c[0]!, c[1]!, c[2]!]);
  };
  // the colours are checked (checkSceneColors); 'none' paints nothing, and a background of
  // 'none' is white, as rasterize draws them
  const paint = (c: string | undefined): void => {
    if (c !== undefined && c !== 'none') add(parseColor(c));
  };
  add(scene.background === 'none' ? [255, 255, 255] : parseColor(scene.background));
  for (const s of scene.shapes) {
    if (s.kind === 'rect') {
      paint(s.fill);
      paint(s.stroke);
    } else if (s.kind === 'text') paint(s.fill);
    else if (s.kind === 'line') paint(s.stroke);
    else {
      const d = s.image.data;
      for (let p = 0; p < d.length; p += 4) {
        if (d[p + 3] === 255) add([d[p]!, d[p + 1]!, d[p + 2]!]);
        else if (d[p + 3] !== 0) return null;
      }
    }
    if (colors.size > 256) return null;
  }
  return [...colors.values()];
}
