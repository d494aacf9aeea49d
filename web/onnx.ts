/**
 * The explorer's ONNX drop zone: drop (or choose) an .onnx file, and the page lists its
 * upsampling-family layers as `importOnnx` reads them (sizes through the symbolic batch). Clicking
 * one shows its spatial axes — H and W for a 2-D layer, D, H, W for a 3-D one — and loads an axis
 * into the animation, the matrix view and the checkerboard map (the first axis at once; a button
 * per axis). The page's views are square 2-D examples with one parameter per slider, so a layer is
 * shown exactly where its axes agree, and one axis at a time where they differ; every way the view
 * departs from the layer (an axis of several, a size too large to animate, asymmetric padding,
 * groups, a pool drawn as its window, a Resize the page cannot sample alike …) is said in words
 * beside it, with the reason.
 */
import { animationFor, MAX_DRAWN, runOp } from './compute.js';
import { h } from './dom.js';
import { DeconvError, importOnnx, MAX_FRAMES, type OnnxLayer } from './lib.js';
import { OP_TITLES, type Params } from './params.js';

const dims = (s: readonly (number | null)[] | null): string => (s ? s.map((v) => v ?? '?').join('×') : '?');

/** The names of the spatial axes of a 1-, 2- or 3-d layer. */
const AXIS_NAMES: Record<number, readonly string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

/** One spatial axis of a layer as the page shows it. */
export interface AxisView {
  /** 'H', 'W' … */
  axis: string;
  /** the page's parameters for this axis (merged into the current ones) */
  params: Partial<Params>;
  /** the layer along this axis, in the page's words: "4 → 8, kernel 4, stride 2, padding 1" */
  layer: string;
  /** how the page's view differs from the layer along this axis, and why (empty: exact) */
  reduced: string[];
}

/** A layer as the page shows it: one view per spatial axis, or why it has none. */
export interface LayerView {
  axes: AxisView[];
  /** true when every axis has the same parameters: the square view is the layer itself */
  same: boolean;
  /** what holds for every axis (the op the page draws it with, groups, channels …) */
  notes: string[];
}

type Kind = NonNullable<OnnxLayer['params']>['kind'];

/** The page's op for the layer, or why it has none. */
function pageOp(layer: OnnxLayer, notes: string[]): Params['op'] | { why: string } {
  const p = layer.params!;
  const kind: Kind = p.kind;
  const dilated = (p.dilation ?? []).some((v) => v > 1);
  switch (kind) {
    case 'conv':
      return dilated ? 'dilated' : 'conv';
    case 'convTranspose':
      return 'convTranspose';
    case 'maxUnpool':
      return 'maxUnpool';
    case 'maxPool':
    case 'avgPool':
      notes.push(
        `${kind === 'maxPool' ? 'a max' : 'an average'} pool: the page has no pooling op, so it draws the pool's window as a convolution with the same kernel, stride, padding and dilation (the matrix view is that convolution's; a pool takes the max or mean instead of a weighted sum)` +
          (p.ceilMode ? '; ceil_mode: the page rounds the output size down' : ''),
      );
      return dilated ? 'dilated' : 'conv';
    case 'depthToSpace':
      return p.mode === 'CRD'
        ? 'pixelShuffle'
        : { why: 'DepthToSpace in DCR order is not the pixel shuffle (CRD) the page animates' };
    case 'spaceToDepth':
      return { why: 'SpaceToDepth (pixel unshuffle) has no animation here' };
    case 'resize': {
      const r = p.resize ?? {};
      const mode = r.mode ?? 'nearest';
      const ctm = r.coordinateTransformationMode ?? 'half_pixel';
      if (mode === 'nearest') {
        if (ctm !== 'asymmetric' || r.nearestMode !== 'floor')
          notes.push(
            `nearest with ${ctm} / ${r.nearestMode ?? 'round_prefer_floor'}: the page animates PyTorch's 'nearest' (asymmetric / floor), which picks other source pixels for some outputs`,
          );
        return 'nearest';
      }
      if (mode === 'cubic') {
        if (ctm !== 'half_pixel' || (r.cubicCoeffA ?? -0.75) !== -0.75 || r.excludeOutside)
          notes.push(
            `cubic with ${ctm}, A = ${r.cubicCoeffA ?? -0.75}${r.excludeOutside ? ', exclude_outside' : ''}: the page animates PyTorch's bicubic (half_pixel, A = −0.75), whose weights differ`,
          );
        return 'bicubic';
      }
      if (ctm !== 'half_pixel' && ctm !== 'pytorch_half_pixel')
        notes.push(
          `linear with ${ctm}: the page animates PyTorch's bilinear (half_pixel, alignCorners false), whose weights differ`,
        );
      return 'bilinear';
    }
  }
}

/** Does the page draw these parameters: an animation within its frame limit and a matrix it draws? */
function drawable(p: Params): boolean {
  let r;
  try {
    r = runOp(p);
  } catch {
    return true; // refused by the library: the page shows why; not a matter of size
  }
  const cells = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (cells(r.input.shape) * cells(r.output.shape) > MAX_DRAWN) return false;
  for (const order of p.op === 'convTranspose' ? (['output', 'input'] as const) : (['output'] as const)) {
    try {
      animationFor(p, order);
      return true;
    } catch {
      // too many frames in this order
    }
  }
  return false;
}

/**
 * The largest input size up to `n` that the page draws with `base`'s other parameters. Sizes are
 * tried from the top down: a size the page cannot draw is refused early and cheaply (the matrix
 * size, or the animation's frame count before any frame is built), so only the answer is drawn.
 * Above 96 nothing is drawable under the page's limits (an output of at most MAX_FRAMES = 32² frames, a matrix
 * of at most 6·10⁶ entries), so the scan starts there.
 */
function largestDrawable(base: Params, n: number): number {
  if (drawable({ ...base, input: n })) return n;
  for (let m = Math.min(n - 1, 96); m > 1; m--) if (drawable({ ...base, input: m })) return m;
  return 1;
}

/** Why the page has no view of `layer` (global pools, DCR DepthToSpace …), or null. */
export function noView(layer: OnnxLayer): string | null {
  if (!layer.params) return 'global pooling has no window to animate (every output reads the whole plane)';
  const op = pageOp(layer, []);
  return typeof op === 'object' ? op.why : null;
}

/**
 * The page's view of `layer`: one `AxisView` per spatial axis, or a string saying why the page has
 * no animation for it. `current` supplies the parameters an op does not read.
 */
export function viewOf(layer: OnnxLayer, current: Params): LayerView | string {
  const why = noView(layer);
  if (why !== null) return why;
  const p = layer.params!;
  const notes: string[] = [];
  const op = pageOp(layer, notes) as Params['op'];
  const inShape = layer.inputShape;
  const outShape = layer.outputShape;
  const d = inShape ? inShape.length - 2 : (p.kernelSize?.length ?? 2);
  const names = AXIS_NAMES[d] ?? Array.from({ length: d }, (_, i) => `axis ${i}`);
  if (d === 1)
    notes.push('a 1-d layer: the page is 2-d, so it shows the one axis along both rows and columns');
  if (d === 3) notes.push('a 3-d layer: the page is 2-d, so it shows each axis as a square 2-d example');
  const groups = p.groups ?? 1;
  const conv = p.kind === 'conv' || p.kind === 'convTranspose';
  if (conv) {
    notes.push(
      `channels ${p.inChannels ?? '?'} → ${p.outChannels ?? '?'}${groups > 1 ? ` in ${groups} groups` : ''}: the page's example has one input and one output channel per group, with a small-integer kernel, not the layer's weights`,
    );
  }
  const axes = names.map((axis, i): AxisView => {
    const reduced: string[] = [];
    const inSize = inShape?.[2 + i] ?? null;
    const outSize = outShape?.[2 + i] ?? null;
    const at = (v: readonly number[] | null | undefined, fallback: number): number => v?.[i] ?? fallback;
    const kernel = at(p.kernelSize, op === 'maxUnpool' ? 2 : 3);
    const stride = at(p.stride, 1);
    const padBegin = p.padBegin === null ? null : at(p.padBegin, 0);
    const padEnd = p.padEnd === null ? null : at(p.padEnd, 0);
    const dilation = at(p.dilation, 1);
    const outputPadding = at(p.outputPadding, 0);
    let params: Partial<Params>;
    let layerText: string;
    const sizes = `${inSize ?? '?'} → ${outSize ?? '?'}`;
    if (op === 'nearest' || op === 'bilinear' || op === 'bicubic' || op === 'pixelShuffle') {
      let scale: number;
      if (op === 'pixelShuffle') scale = p.blocksize ?? 2;
      else if (inSize && outSize) {
        const exact = outSize / inSize;
        scale = Math.max(1, Math.round(exact));
        if (scale !== exact)
          reduced.push(
            exact < 1
              ? `a downsampling Resize (${sizes}): the page animates upsampling only; shown with scale 1`
              : `scale ${+exact.toFixed(3)} (${sizes}) is not a whole number: the page animates whole scale factors; shown with ${scale}`,
          );
      } else {
        scale = 2;
        reduced.push(`the sizes are symbolic (${sizes}): shown with scale 2`);
      }
      params = { op, stride: scale };
      layerText = `${sizes}, ${op === 'pixelShuffle' ? 'factor' : 'scale'} ${op === 'pixelShuffle' ? scale : outSize && inSize ? +(outSize / inSize).toFixed(3) : '?'}`;
    } else {
      if (padBegin === null || padEnd === null)
        reduced.push('auto_pad SAME with a symbolic input size: the padding is not known here; shown with 0');
      else if (padBegin !== padEnd)
        reduced.push(
          `padding ${padBegin} before and ${padEnd} after${p.autoPad && p.autoPad !== 'NOTSET' ? ` (auto_pad ${p.autoPad})` : ''}: the page pads both sides alike; shown with ${padBegin}`,
        );
      params = {
        op,
        kernel,
        stride,
        padding: padBegin ?? 0,
        ...(op === 'maxUnpool' ? {} : { dilation }),
        ...(op === 'convTranspose' ? { outputPadding } : {}),
        ...(conv ? { groups: groups <= 3 ? groups : 1 } : {}),
      };
      if (conv && groups > 3)
        reduced.push(`group ${groups}: the page draws at most 3 groups (one channel each); shown with 1`);
      layerText =
        `${sizes}, kernel ${kernel}, stride ${stride}, padding ${padBegin ?? '?'}` +
        (padEnd !== padBegin ? `/${padEnd ?? '?'}` : '') +
        (dilation !== 1 ? `, dilation ${dilation}` : '') +
        (op === 'convTranspose' && outputPadding !== 0 ? `, output padding ${outputPadding}` : '');
    }
    // the input size: the layer's own where the page can draw it
    const base = { ...current, ...params } as Params;
    let input: number;
    if (inSize === null) {
      input = 4;
      reduced.push(`the input size is symbolic: shown with ${input}`);
    } else {
      input = largestDrawable(base, inSize);
      if (input < inSize) {
        reduced.push(
          `input ${inSize} shown as ${input}: at ${inSize} the ${OP_TITLES[op]} would need more animation frames or a larger matrix than the page draws (at most ${MAX_FRAMES} frames, ${(MAX_DRAWN / 1e6).toFixed(0)}·10⁶ matrix entries); the sizes above are the layer's own`,
        );
      }
    }
    params.input = input;
    return { axis, params, layer: layerText, reduced };
  });
  const key = (a: AxisView): string => `${JSON.stringify(a.params)}|${a.reduced.join('|')}`;
  const same = axes.every((a) => key(a) === key(axes[0]!));
  return { axes, same, notes };
}

/** The sentences that say how the view departs from the layer, for one axis. */
export function viewNote(layer: OnnxLayer, view: LayerView, k: number): string {
  const a = view.axes[k]!;
  const where = `${layer.opType}${layer.name ? ` '${layer.name}'` : ''}`;
  const d = view.axes.length;
  const head =
    d === 1
      ? `${where}: ${a.layer}.`
      : view.same
        ? `${where}: every axis (${view.axes.map((v) => v.axis).join(', ')}) ${a.layer}; the square view is the layer along each.`
        : `${where}, axis ${a.axis} of ${view.axes.map((v) => v.axis).join(', ')}: ${a.layer}. The axes differ and the page's views are square, so they show one axis at a time: pick another axis to see it.`;
  const reduced = [...a.reduced, ...view.notes];
  return reduced.length === 0
    ? `${head} Shown exactly.`
    : `${head} Reduced: ${reduced.map((r) => `${r}.`).join(' ')}`;
}

/**
 * Wires the drop zone `zone` (with its file input) to list layers in `list`; `load` applies a
 * layer axis's parameters (with the note saying how the view departs from the layer); `current`
 * reads the page's parameters.
 */
export function mountOnnxDrop(
  zone: HTMLElement,
  file: HTMLInputElement,
  list: HTMLElement,
  status: HTMLElement,
  load: (params: Partial<Params>, note: string) => void,
  current: () => Params,
): void {
  const axesBar = h('div', { class: 'onnx-axes', 'data-testid': 'onnx-axes', hidden: '' });
  list.after(axesBar);
  const show = (layer: OnnxLayer, view: LayerView, k: number): void => {
    axesBar.querySelectorAll('button').forEach((b, j) => b.classList.toggle('selected', j === k));
    axesBar.querySelector('p')!.textContent = viewNote(layer, view, k);
    load(view.axes[k]!.params, viewNote(layer, view, k));
  };
  const select = (layer: OnnxLayer, view: LayerView): void => {
    axesBar.hidden = false;
    axesBar.replaceChildren(
      h(
        'span',
        { class: 'muted' },
        `${layer.opType} ${dims(layer.inputShape)} → ${dims(layer.outputShape)}: `,
      ),
      ...view.axes.map((a, k) => {
        const b = h(
          'button',
          { type: 'button', 'data-testid': 'onnx-axis', title: a.layer },
          `${a.axis}: ${a.layer}`,
        );
        b.addEventListener('click', () => show(layer, view, k));
        return b;
      }),
      h('p', { class: 'hint', 'data-testid': 'onnx-view-note' }),
    );
    show(layer, view, 0);
  };
  const read = async (f: File): Promise<void> => {
    axesBar.hidden = true;
    try {
      const model = importOnnx(new Uint8Array(await f.arrayBuffer()));
      status.textContent = `${f.name}: opset ${model.opset}, ${model.layers.length} upsampling-family layer${model.layers.length === 1 ? '' : 's'}`;
      list.replaceChildren(
        ...model.layers.map((layer, k) => {
          // the views are worked out when the layer is clicked (finding a drawable size takes a moment)
          const view = noView(layer);
          const row = h(
            'li',
            {
              'data-testid': 'onnx-layer',
              tabindex: 0,
              title:
                typeof view === 'string'
                  ? view
                  : 'load into the animation, the matrix view and the checkerboard map',
            },
            h('code', {}, `${k + 1}. ${layer.opType}`),
            ` ${layer.name} ${dims(layer.inputShape)} → ${dims(layer.outputShape)}`,
            ...(typeof view === 'string' ? [h('span', { class: 'muted' }, ` (${view})`)] : []),
          );
          if (typeof view !== 'string') {
            let v: LayerView | string | null = null;
            const go = (): void => {
              list.querySelectorAll('li.selected').forEach((r) => r.classList.remove('selected'));
              row.classList.add('selected');
              v ??= viewOf(layer, current());
              if (typeof v === 'string') {
                axesBar.hidden = false;
                axesBar.replaceChildren(h('p', { class: 'hint', 'data-testid': 'onnx-view-note' }, v));
              } else select(layer, v);
            };
            row.addEventListener('click', go);
            row.addEventListener('keydown', (ev) => {
              if (ev.key === 'Enter' || ev.key === ' ') {
                ev.preventDefault();
                go();
              }
            });
          } else row.classList.add('muted');
          return row;
        }),
      );
    } catch (e) {
      list.replaceChildren();
      status.textContent =
        e instanceof DeconvError ? e.message : `could not read ${f.name}: ${(e as Error).message}`;
    }
  };
  zone.addEventListener('dragover', (ev) => ev.preventDefault());
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer?.files[0];
    if (f) void read(f);
  });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void read(f);
  });
}
