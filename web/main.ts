/**
 * The deconv explorer: pick an op and its parameters, and see — computed live by the library in
 * the browser — the output size with its formula, the conv-arithmetic animation (for transposed
 * convolution the scatter and the direct view, frame-synchronised), C and Cᵀ linked to the grids,
 * the checkerboard map, the parameter solver, and the op applied to a picture.
 */
import { AnimationPlayer } from './anim.js';
import { animationFor, matrixFor, runOp, type OpResult } from './compute.js';
import { byId, h } from './dom.js';
import { ImagePanel } from './image.js';
import {
  checkerboard,
  DeconvError,
  frameworkSnippets,
  solveConvTranspose,
  SOLVER_MAX_RESULTS,
  THEME,
  type ConvTransposeConfig,
  type FrameOrder,
  type Snippet,
} from './lib.js';
import { drawCounts, MatrixPanel } from './matrix.js';
import { mountOnnxDrop } from './onnx.js';
import { RestorePanel } from './restore.js';
import {
  fromHash,
  initialParams,
  OP_TITLES,
  SLIDERS,
  toHash,
  USES,
  type Key,
  type Op,
  type Params,
} from './params.js';

/** The solver's order, in the same words as `deconv solve --help`. */
const SIMPLEST_RULE =
  'dilation 1, then output padding 0, then no checkerboard (kernel a multiple of the stride), then the smallest kernel + padding, padding, stride';

/** The message to show for an error: a DeconvError's own message, anything else marked internal. */
function messageOf(err: unknown): string {
  if (err instanceof DeconvError) return err.message;
  return `internal error (please report): ${err instanceof Error ? err.message : String(err)}`;
}

// the library's picture colours, so the page and the CLI's pictures look alike
const root = document.documentElement.style;
for (const [name, value] of Object.entries(THEME)) root.setProperty(`--${name}`, value);

let params: Params = fromHash(location.hash, initialParams());
const sliders = new Map<
  Key,
  { input: HTMLInputElement; value: HTMLOutputElement; label: HTMLElement; field: HTMLElement }
>();
const player = new AnimationPlayer({
  views: byId('views'),
  counter: byId('frame-counter'),
  slider: byId<HTMLInputElement>('frame-slider'),
  caption: byId('caption'),
  play: byId<HTMLButtonElement>('play'),
  stepBack: byId<HTMLButtonElement>('step-back'),
  step: byId<HTMLButtonElement>('step'),
});
const matrices = new MatrixPanel();
const image = new ImagePanel();

// ---- controls ----

function buildSliders(): void {
  const box = byId('sliders');
  for (const spec of SLIDERS) {
    const input = h('input', {
      type: 'range',
      id: `slider-${spec.key}`,
      min: spec.min,
      max: Math.max(spec.max, params[spec.key]),
      step: 1,
      value: params[spec.key],
      'data-testid': `slider-${spec.key}`,
    });
    const value = h(
      'output',
      { for: input.id, 'data-testid': `value-${spec.key}` },
      String(params[spec.key]),
    );
    const label = h('span', { class: 'field-name' }, spec.label);
    const field = h(
      'label',
      { class: 'field slider', 'data-key': spec.key },
      label,
      h('span', { class: 'slider-row' }, input, value),
    );
    input.addEventListener('input', () => {
      showLayerNote(null);
      params = { ...params, [spec.key]: Number(input.value) };
      value.textContent = input.value;
      scheduleUpdate();
    });
    box.append(field);
    sliders.set(spec.key, { input, value, label, field });
  }
}

/** Puts `params` into the controls (after a solver row or the URL changed them). */
function syncControls(): void {
  byId<HTMLSelectElement>('op').value = params.op;
  for (const spec of SLIDERS) {
    const s = sliders.get(spec.key)!;
    const v = params[spec.key];
    if (v > Number(s.input.max)) s.input.max = String(v);
    s.input.value = String(v);
    s.value.textContent = String(v);
  }
}

/** Greys out the sliders the op does not read and names the others as the op does. */
function labelControls(): void {
  const uses = USES[params.op];
  for (const spec of SLIDERS) {
    const s = sliders.get(spec.key)!;
    const name = uses[spec.key];
    s.label.textContent = name ?? spec.label;
    s.input.disabled = name === undefined;
    s.field.classList.toggle('unused', name === undefined);
    s.field.title = name === undefined ? `${OP_TITLES[params.op]} has no ${spec.label}` : '';
  }
  const hints: Record<Op, string> = {
    conv: 'groups: the matrix view shows one channel per group.',
    dilated: 'Dilation spreads the kernel taps apart: try dilation 2 or 3.',
    convTranspose: 'Output padding adds rows at the end; it must be smaller than stride or dilation.',
    maxUnpool: 'The pooling that made the input: window, stride and padding (at most half the window).',
    nearest: 'The scale factor is an integer here; the library takes any positive number.',
    bilinear: 'PyTorch\u2019s bilinear with alignCorners false: half-pixel centres, edges clamped.',
    bicubic:
      'PyTorch\u2019s bicubic (Keys, A = \u22120.75) with alignCorners false: 4 \u00d7 4 taps, edges clamped; values may overshoot.',
    pixelShuffle: 'The input has r² channels; each output r×r block takes one value from each.',
  };
  byId('param-hint').textContent = hints[params.op];
  byId('order-field').hidden = params.op !== 'convTranspose';
}

// ---- the panels ----

/** Which ONNX layer the views show and how they depart from it; cleared once a control moves. */
function showLayerNote(note: string | null): void {
  const box = byId('onnx-note');
  box.hidden = note === null;
  box.textContent = note ?? '';
}

let order: FrameOrder = 'output';
let layers = 1;

function showError(message: string | null): void {
  const box = byId('error');
  box.hidden = message === null;
  box.textContent = message ?? '';
  document.body.classList.toggle('refused', message !== null);
}

function updateSize(r: OpResult | null, refusal: string | null): void {
  const size = byId('output-size');
  size.textContent = r ? r.size.join(' × ') : '—';
  size.dataset.size = r ? r.size.join('x') : '';
  byId('size-label').textContent = r
    ? `${OP_TITLES[params.op]}: input ${params.input} × ${params.input} → output`
    : 'output';
  byId('formula').replaceChildren(
    ...(r ? r.formula.map((line) => h('div', {}, line)) : [h('div', { class: 'bad' }, refusal ?? '')]),
  );
  byId('call').textContent = r ? r.call : '';
  // the same layer in the frameworks people port from (transposed convolution only)
  const calls = byId('calls');
  calls.hidden = !r || params.op !== 'convTranspose';
  if (!calls.hidden) {
    const two = (v: number): number[] => [v, v];
    const snippets = frameworkSnippets(
      {
        kernelSize: two(params.kernel),
        stride: two(params.stride),
        padding: two(params.padding),
        outputPadding: two(params.outputPadding),
        dilation: two(params.dilation),
      },
      two(params.input),
      { in: params.groups, out: params.groups },
    );
    const names = { pytorch: 'PyTorch', tfjs: 'TensorFlow.js', onnx: 'ONNX', keras: 'Keras' } as const;
    byId('calls-list').replaceChildren(
      ...(Object.keys(names) as (keyof typeof names)[]).flatMap((key) => {
        const sn = snippets[key];
        return [
          h('dt', {}, names[key]),
          h(
            'dd',
            { 'data-testid': `call-${key}` },
            h(sn.ok ? 'code' : 'span', { class: sn.ok ? '' : 'muted' }, snippetText(sn)),
          ),
        ];
      }),
    );
  }
}

function updateAnimation(): void {
  const select = byId<HTMLSelectElement>('order');
  select.value = order;
  try {
    player.load(animationFor(params, order));
  } catch (err) {
    // a transposed convolution with too many output cells may still animate one input cell per frame
    if (params.op === 'convTranspose' && order === 'output') {
      try {
        player.load(animationFor(params, 'input'));
        select.value = 'input';
        return;
      } catch {
        // fall through to the first message
      }
    }
    player.clear(messageOf(err));
  }
}

function updateChecker(): void {
  const canvas = byId<HTMLCanvasElement>('checkerboard');
  const text = byId('checker-text');
  const conv = params.op === 'conv' || params.op === 'dilated';
  if (!conv && params.op !== 'convTranspose') {
    canvas.hidden = true;
    byId('layers').closest('label')!.hidden = true;
    const why: Record<string, string> = {
      maxUnpool:
        'Max unpooling has no kernel: each pooled value lands on exactly one output pixel, and the others stay 0.',
      nearest:
        'Nearest upsampling copies each input pixel onto an s×s block: every output pixel reads exactly one input.',
      bilinear:
        'Bilinear upsampling weighs its 2×2 neighbours with weights that add up to 1 at every output pixel: even by construction.',
      bicubic:
        'Bicubic upsampling weighs its 4×4 neighbours with weights that add up to 1 at every output pixel: even by construction.',
      pixelShuffle:
        'Pixel shuffle moves each value to one output pixel; with ICNR-initialised weights before it, it is a checkerboard-free upsampler.',
    };
    text.replaceChildren(
      h('p', {}, why[params.op] ?? ''),
      h(
        'p',
        { class: 'muted' },
        'Checkerboard patterns come from transposed convolutions whose kernel the stride does not divide (Odena et al. 2016). Resize-then-convolve (nearest or bilinear, then a convolution) is one of the fixes.',
      ),
    );
    return;
  }
  byId('layers').closest('label')!.hidden = false;
  try {
    const r = checkerboard({
      kernelSize: params.kernel,
      stride: params.stride,
      padding: params.padding,
      dilation: params.dilation,
      layers,
      inputSize: Math.max(6, params.input),
    });
    canvas.hidden = false;
    const [rows, cols] = r.size as [number, number];
    const cell = drawCounts(canvas, r.counts, rows, cols);
    const [ia, ib] = r.interior[0]!;
    const [ja, jb] = r.interior[1]!;
    if (ib > ia && jb > ja) {
      const ctx = canvas.getContext('2d')!;
      ctx.strokeStyle = THEME.highlight;
      ctx.setLineDash([5, 3]);
      ctx.lineWidth = 2;
      ctx.strokeRect(ja * cell + 1, ia * cell + 1, (jb - ja) * cell - 2, (ib - ia) * cell - 2);
    }
    canvas.dataset.size = `${rows}x${cols}`;
    text.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `${layers} transposed convolution${layers > 1 ? 's' : ''} (kernel ${params.kernel}, stride ${params.stride}, padding ${params.padding}` +
          `${params.dilation > 1 ? `, dilation ${params.dilation}` : ''}) of a ${Math.max(6, params.input)}×${Math.max(6, params.input)} ` +
          `input of ones with a kernel of ones: each number is how many kernel taps reach that pixel. ` +
          `Dashed: the interior, which the borders do not reach.` +
          (conv
            ? ' The gradient of this convolution with respect to its input is this transposed convolution.'
            : ''),
      ),
      h('p', { class: r.even ? 'verdict good' : 'verdict bad', 'data-testid': 'checker-verdict' }, r.verdict),
      ...(r.even ? [] : [h('p', {}, 'Fixes:'), h('ol', {}, ...r.fixes.map((f) => h('li', {}, f)))]),
    );
  } catch (err) {
    canvas.hidden = true;
    text.replaceChildren(h('p', { class: 'bad' }, messageOf(err)));
  }
}

function update(): void {
  labelControls();
  history.replaceState(null, '', toHash(params));
  let r: OpResult | null = null;
  let refusal: string | null = null;
  try {
    r = runOp(params);
  } catch (err) {
    refusal = messageOf(err);
  }
  showError(refusal);
  updateSize(r, refusal);
  if (r) {
    updateAnimation();
    try {
      const pair = matrixFor(params, r);
      if (typeof pair === 'string') matrices.clear(pair);
      else matrices.show(pair);
    } catch (err) {
      matrices.clear(messageOf(err));
    }
  } else {
    player.clear('The parameters are refused: see the DeconvError message.');
    matrices.clear('The parameters are refused: see the DeconvError message.');
  }
  updateChecker();
  image.update(params);
  document.body.dataset.ready = 'true';
}

let pending = 0;
/** Coalesces quick slider moves into one update per animation frame. */
function scheduleUpdate(): void {
  if (pending) return;
  pending = requestAnimationFrame(() => {
    pending = 0;
    update();
  });
}

// ---- the solver ----

let solverShown = 10;

function readOptional(id: string): number | undefined {
  const v = byId<HTMLInputElement>(id).value.trim();
  return v === '' ? undefined : Number(v);
}

function snippetText(sn: Snippet): string {
  return sn.ok ? sn.code : `cannot: ${sn.reason}`;
}

function updateSolver(): void {
  const body = byId('solver-table').querySelector('tbody')!;
  const summary = byId('solver-summary');
  const more = byId<HTMLButtonElement>('solver-more');
  summary.classList.remove('bad');
  const inSize = Number(byId<HTMLInputElement>('solver-in').value);
  const outSize = Number(byId<HTMLInputElement>('solver-out').value);
  let configs: ConvTransposeConfig[];
  try {
    configs = solveConvTranspose({
      inputSize: inSize,
      outputSize: outSize,
      kernelSize: readOptional('solver-kernel'),
      stride: readOptional('solver-stride'),
      dilation: readOptional('solver-dilation'),
      // the library's default bound, as the CLI's solve uses: both say the same "first N"
      maxResults: SOLVER_MAX_RESULTS,
    });
  } catch (err) {
    body.replaceChildren();
    summary.textContent = messageOf(err);
    summary.classList.add('bad');
    more.hidden = true;
    return;
  }
  summary.textContent = configs.length
    ? `${configs.length >= SOLVER_MAX_RESULTS ? `The first ${SOLVER_MAX_RESULTS} (the search stops there)` : configs.length} configuration${configs.length === 1 ? '' : 's'} take ${inSize} to ${outSize}, simplest first: ${SIMPLEST_RULE}` +
      ' (solveConvTranspose). Click one to load it.'
    : `No configuration within the solver's bounds takes ${inSize} to ${outSize}.`;
  body.replaceChildren(
    ...configs.slice(0, solverShown).map((c, n) => {
      const row = h(
        'tr',
        { 'data-testid': 'solver-row', tabindex: 0, title: 'load this configuration' },
        h('td', {}, String(n + 1)),
        h('td', {}, String(c.kernelSize[0])),
        h('td', {}, String(c.stride[0])),
        h('td', {}, String(c.padding[0])),
        h('td', {}, String(c.outputPadding[0])),
        h('td', {}, String(c.dilation[0])),
        h('td', { class: c.evenOverlap ? 'good' : 'bad' }, c.evenOverlap ? 'even' : 'checkerboard'),
        h('td', {}, h('code', {}, snippetText(frameworkSnippets(c, [inSize]).pytorch))),
      );
      const load = (): void => {
        params = {
          ...params,
          op: 'convTranspose',
          input: inSize,
          kernel: c.kernelSize[0]!,
          stride: c.stride[0]!,
          padding: c.padding[0]!,
          outputPadding: c.outputPadding[0]!,
          dilation: c.dilation[0]!,
        };
        body.querySelectorAll('tr.selected').forEach((r) => r.classList.remove('selected'));
        row.classList.add('selected');
        syncControls();
        update();
        byId('size-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
      };
      row.addEventListener('click', load);
      row.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          load();
        }
      });
      return row;
    }),
  );
  more.hidden = configs.length <= solverShown;
  more.textContent = `show ${Math.min(20, configs.length - solverShown)} more`;
}

// ---- wiring ----

buildSliders();
syncControls();
byId<HTMLSelectElement>('op').addEventListener('change', (ev) => {
  const op = (ev.target as HTMLSelectElement).value as Op;
  showLayerNote(null);
  params = { ...params, op };
  // a dilated convolution without dilation is a plain one: start it at 2
  if (op === 'dilated' && params.dilation === 1) params.dilation = 2;
  syncControls();
  update();
});
byId<HTMLSelectElement>('speed').addEventListener('change', (ev) =>
  player.setFrameMs(Number((ev.target as HTMLSelectElement).value)),
);
byId<HTMLSelectElement>('order').addEventListener('change', (ev) => {
  order = (ev.target as HTMLSelectElement).value as FrameOrder;
  updateAnimation();
});
byId<HTMLInputElement>('layers').addEventListener('input', (ev) => {
  layers = Number((ev.target as HTMLInputElement).value);
  byId('layers-value').textContent = String(layers);
  updateChecker();
});
for (const id of ['solver-in', 'solver-out', 'solver-kernel', 'solver-stride', 'solver-dilation']) {
  byId(id).addEventListener('input', () => {
    solverShown = 10;
    updateSolver();
  });
}
byId('solver-form').addEventListener('submit', (ev) => ev.preventDefault());
byId('solver-more').addEventListener('click', () => {
  solverShown += 20;
  updateSolver();
});
window.addEventListener('hashchange', () => {
  const next = fromHash(location.hash, params);
  if (toHash(next) !== toHash(params)) {
    params = next;
    syncControls();
    update();
  }
});

mountOnnxDrop(
  byId('onnx-drop'),
  byId<HTMLInputElement>('onnx-file'),
  byId('onnx-layers'),
  byId('onnx-status'),
  (next, note) => {
    params = { ...params, ...next };
    syncControls();
    update();
    showLayerNote(note);
    byId('size-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
  },
  () => params,
);

update();
updateSolver();
void image.loadSample();
void new RestorePanel().load();
