/**
 * Animated GIFs of scenes: each frame is rasterised (`raster.ts`) and encoded with gifenc
 * (https://github.com/mattdesl/gifenc). The pictures use few, flat colours, so each frame's
 * colours map exactly to a palette; only a frame with more than 256 colours (a photo) is quantised.
 */
import gifenc from 'gifenc';
import type { Animation } from './animation.js';
import { animationScene, type AnimationSceneOptions } from './draw.js';
import { parseColor, rasterize } from './raster.js';
import type { RgbaImage, Scene } from './scene.js';

export interface GifOptions {
  /** called after each encoded frame, e.g. to move a progress bar */
  onFrame?: (done: number, total: number) => void;
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
 */
export function encodeGifFrames(
  count: number,
  frame: (t: number) => RgbaImage,
  delays: readonly number[],
  options: GifOptions & { palette?: readonly (readonly number[])[] } = {},
): Uint8Array {
  const gif = gifenc.GIFEncoder();
  const palette: number[][] = [];
  const lookup = new Map<number, number>();
  let exact = true;
  if (options.palette) {
    // the colours are known in advance (a scene's): one pass
    for (const c of options.palette) {
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
    const delay = delays[t] ?? 100;
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
    options.onFrame?.(t + 1, count);
  }
  gif.finish();
  return gif.bytes();
}

/**
 * Encodes RGBA frames (all of one size) as a looping GIF; `delays` in milliseconds per frame.
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
  return encodeGifFrames(frames.length, (t) => frames[t]!, delays, options);
}

/**
 * A scene as an animated GIF (one GIF frame per scene frame, looping).
 *
 * @example
 *   import { buildAnimation, animationScene, sceneToGif } from 'deconv';
 *   const bytes = sceneToGif(animationScene(buildAnimation({ op: 'nearest', inputSize: 3 })));
 */
export function sceneToGif(scene: Scene, options: GifOptions = {}): Uint8Array {
  options ??= {}; // null options are none, as everywhere
  const palette = scenePalette(scene);
  return encodeGifFrames(
    scene.frameCount,
    (t) => rasterize(scene, t),
    scene.frameMs,
    palette ? { ...options, palette } : options,
  );
}

/**
 * An animation as an animated GIF.
 *
 * @example
 *   import { buildAnimation, animationToGif } from 'deconv';
 *   const bytes = animationToGif(buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 }));
 */
export function animationToGif(a: Animation, options: AnimationSceneOptions & GifOptions = {}): Uint8Array {
  return sceneToGif(animationScene(a, options), options);
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
  add(parseColor(scene.background));
  for (const s of scene.shapes) {
    if (s.kind === 'rect') {
      if (s.fill) add(parseColor(s.fill));
      if (s.stroke) add(parseColor(s.stroke));
    } else if (s.kind === 'text') add(parseColor(s.fill));
    else if (s.kind === 'line') add(parseColor(s.stroke));
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
