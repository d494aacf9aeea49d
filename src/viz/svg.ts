/**
 * Writes a scene as SVG: a still picture, one chosen frame, or an animation that plays in any
 * browser by itself (SMIL: each timed shape toggles its `visibility` with a discrete `<animate>`
 * over one loop of all frames, so the file needs no script and no CSS).
 */
import { fail } from '../errors.js';
import { checkOptions } from '../geometry/args.js';
import type { Animation } from './animation.js';
import { SCENE_OPTIONS, sceneOf, sceneOptions, type AnimationSceneOptions } from './draw.js';
import { checkFrame, checkSceneColors } from './raster.js';
import { type RgbaImage, type Scene, type Shape, visibleAt } from './scene.js';

export interface SvgOptions {
  /** write only this frame, without animation */
  frame?: number;
}

const SVG_OPTIONS: readonly (keyof SvgOptions)[] = ['frame'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

/** A `data-*` attribute's name as HTML allows it: lower case, XML name characters. */
const DATA_KEY = /^[a-z_][a-z0-9_.-]*$/;

/**
 * Refuses a shape's `data` whose keys could not be written as `data-*` attribute names (a key is
 * written as it is: `x" onload="…` would add an attribute of its own).
 */
function checkDataKeys(fn: string, scene: Scene): void {
  scene.shapes.forEach((shape, i) => {
    if (shape.data === undefined) return;
    if (shape.data === null || typeof shape.data !== 'object')
      fail(fn, `scene.shapes[${i}].data`, shape.data, 'must be an object of strings and numbers');
    for (const key of Object.keys(shape.data))
      if (!DATA_KEY.test(key))
        fail(
          fn,
          `scene.shapes[${i}].data`,
          key,
          'keys must be data-* attribute names: lower-case letters, digits, _ . - (not first: digits, . -)',
        );
  });
}

function dataAttrs(shape: Shape): string {
  if (!shape.data) return '';
  return Object.entries(shape.data)
    .map(([k, v]) => ` data-${k}="${esc(String(v))}"`)
    .join('');
}

/** Rows of equal colour merged into one rectangle each. */
function imageRects(img: RgbaImage, x: number, y: number, w: number, h: number): string {
  const sx = w / img.width;
  const sy = h / img.height;
  const out: string[] = [];
  const hex = (o: number): string =>
    '#' + [0, 1, 2].map((k) => img.data[o + k]!.toString(16).padStart(2, '0')).join('');
  for (let r = 0; r < img.height; r++) {
    let c = 0;
    while (c < img.width) {
      const color = hex(4 * (r * img.width + c));
      let e = c + 1;
      while (e < img.width && hex(4 * (r * img.width + e)) === color) e++;
      out.push(
        `<rect x="${num(x + c * sx)}" y="${num(y + r * sy)}" width="${num((e - c) * sx)}" height="${num(sy)}" fill="${color}"/>`,
      );
      c = e;
    }
  }
  return `<g shape-rendering="crispEdges">${out.join('')}</g>`;
}

function element(shape: Shape, anim: string): string {
  const hidden = anim ? ' visibility="hidden"' : '';
  const close = (tag: string, attrs: string, body = ''): string =>
    anim || body ? `<${tag}${attrs}${hidden}>${body}${anim}</${tag}>` : `<${tag}${attrs}/>`;
  switch (shape.kind) {
    case 'rect': {
      const attrs =
        ` x="${num(shape.x)}" y="${num(shape.y)}" width="${num(shape.w)}" height="${num(shape.h)}"` +
        ` fill="${shape.fill ?? 'none'}"` +
        (shape.stroke ? ` stroke="${shape.stroke}" stroke-width="${num(shape.strokeWidth ?? 1)}"` : '') +
        (shape.dashed ? ' stroke-dasharray="3 3"' : '') +
        dataAttrs(shape);
      return close('rect', attrs);
    }
    case 'text': {
      const anchor = shape.anchor && shape.anchor !== 'start' ? ` text-anchor="${esc(shape.anchor)}"` : '';
      const attrs =
        ` x="${num(shape.x)}" y="${num(shape.y)}" font-size="${num(shape.size)}" fill="${shape.fill}"` +
        `${anchor}${shape.bold ? ' font-weight="bold"' : ''} dominant-baseline="central"${dataAttrs(shape)}`;
      return `<text${attrs}${hidden}>${esc(shape.text)}${anim}</text>`;
    }
    case 'line':
      return close(
        'line',
        ` x1="${num(shape.x1)}" y1="${num(shape.y1)}" x2="${num(shape.x2)}" y2="${num(shape.y2)}" stroke="${shape.stroke}" stroke-width="${num(shape.width ?? 1)}"${dataAttrs(shape)}`,
      );
    case 'image': {
      const body = imageRects(shape.image, shape.x, shape.y, shape.w, shape.h);
      return anim ? `<g${hidden}>${anim}${body}</g>` : body;
    }
  }
}

/**
 * A scene as an SVG document. With more than one frame and no `frame` option, the SVG animates
 * (looping forever); with `frame` (an integer from 0 to `frameCount − 1`), it is that frame,
 * still. The scene's colours are checked as `rasterize` checks them (they go into the SVG's
 * attributes), and a shape's `data` keys must be `data-*` attribute names (lower-case letters,
 * digits, `_ . -`; their values are escaped); null options are none, another key is refused with
 * a `DeconvError` naming it.
 *
 * @example
 *   import { buildAnimation, animationScene, sceneToSvg } from 'deconv';
 *   const scene = animationScene(buildAnimation({ op: 'dilated', inputSize: 5 }));
 *   sceneToSvg(scene);            // animated
 *   sceneToSvg(scene, { frame: 0 }); // the first frame only
 */
export function sceneToSvg(scene: Scene, options: SvgOptions = {}): string {
  const fn = 'sceneToSvg';
  // null options are none, as everywhere; unknown keys are refused, as everywhere
  return svgOf(fn, scene, checkOptions<SvgOptions>(fn, options, SVG_OPTIONS));
}

/** sceneToSvg for `fn`, its options' keys already checked. */
function svgOf(fn: string, scene: Scene, options: SvgOptions): string {
  // colours go into attributes as they are: only checked ones ('#rrggbb', '#rgb', 'none')
  checkSceneColors(fn, scene);
  checkDataKeys(fn, scene);
  if (options.frame !== undefined) checkFrame(fn, 'frame', scene, options.frame);
  const n = scene.frameCount;
  const still = options.frame !== undefined || n <= 1;
  const start: number[] = [0];
  for (const ms of scene.frameMs) start.push(start[start.length - 1]! + ms);
  const total = start[n] ?? 1;
  const key = (t: number): string => (start[t]! / total).toFixed(5);
  const parts: string[] = [];
  for (const shape of scene.shapes) {
    if (still) {
      if (visibleAt(shape, options.frame ?? 0)) parts.push(element(shape, ''));
      continue;
    }
    const [a, b] = shape.frames ?? [0, n];
    if (a <= 0 && b >= n) {
      parts.push(element(shape, ''));
      continue;
    }
    const values = a <= 0 ? 'visible;hidden' : b >= n ? 'hidden;visible' : 'hidden;visible;hidden';
    const times = a <= 0 ? `0;${key(b)}` : b >= n ? `0;${key(a)}` : `0;${key(a)};${key(b)}`;
    const anim = `<animate attributeName="visibility" values="${values}" keyTimes="${times}" dur="${total}ms" calcMode="discrete" repeatCount="indefinite"/>`;
    parts.push(element(shape, anim));
  }
  const title = scene.title ? `<title>${esc(scene.title)}</title>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}"` +
    ` font-family="Helvetica, Arial, sans-serif">${title}` +
    `<rect width="100%" height="100%" fill="${scene.background}"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

/**
 * An animation as an SVG that plays in a browser (or its frame `frame`, still). Options:
 * `animationScene`'s and `sceneToSvg`'s; a refusal names `animationToSvg`.
 *
 * @example
 *   import { buildAnimation, animationToSvg } from 'deconv';
 *   const svg = animationToSvg(buildAnimation({ op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2 }));
 */
export function animationToSvg(a: Animation, options: AnimationSceneOptions & SvgOptions = {}): string {
  const fn = 'animationToSvg';
  const o = checkOptions<AnimationSceneOptions & SvgOptions>(fn, options, [...SCENE_OPTIONS, ...SVG_OPTIONS]);
  return svgOf(fn, sceneOf(fn, a, sceneOptions(o)), { frame: o.frame });
}
