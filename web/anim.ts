/**
 * The animation player: draws the library's frame model (`buildAnimation`) as live SVG grids, one
 * figure per view side by side (for transposed convolution the scatter and the direct view, both
 * showing the same frame), and steps through the frames.
 */
import { h, s } from './dom.js';
import type { Animation, AnimationGrid, MarkLevel } from './lib.js';

const LEVEL_RANK: Record<MarkLevel, number> = { window: 1, read: 2, write: 3 };

/**
 * The smallest cell side, in CSS pixels: room for a value like `-.25` in 11 px text. Below this
 * the numbers cannot be read, so a grid wider than its view scrolls sideways instead of shrinking.
 */
export const MIN_CELL = 26;
/** The largest cell side. */
const MAX_CELL = 34;
/** `.views.two .view`'s flex basis and the gap between views (style.css): side by side from here. */
const VIEW_BASIS = 420;
const VIEW_GAP = 28;
/** a view's padding and border (style.css `.views.two .view`) */
const VIEW_INSET = 26;

interface DrawnGrid {
  grid: AnimationGrid;
  rects: SVGRectElement[];
  /** value texts of a dynamic (output) grid */
  texts: SVGTextElement[];
  notes: SVGGElement;
  cell: number;
}

/** A value for a small grid cell: integers as they are, else 2 decimals without a leading zero. */
function cellText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const t = v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
  return t.replace(/^0\./, '.').replace(/^-0\./, '-.');
}

export interface PlayerElements {
  views: HTMLElement;
  counter: HTMLElement;
  slider: HTMLInputElement;
  caption: HTMLElement;
  play: HTMLButtonElement;
  stepBack: HTMLButtonElement;
  step: HTMLButtonElement;
}

export class AnimationPlayer {
  private anim: Animation | null = null;
  private grids = new Map<string, DrawnGrid>();
  private marked: SVGRectElement[] = [];
  private frame = 0;
  private playing = true;
  private timer: number | undefined;
  /** milliseconds per frame; the last frame is held 4 times as long */
  frameMs = 800;

  constructor(private readonly el: PlayerElements) {
    el.play.addEventListener('click', () => this.toggle());
    el.step.addEventListener('click', () => this.stepBy(1));
    el.stepBack.addEventListener('click', () => this.stepBy(-1));
    el.slider.addEventListener('input', () => {
      this.pause();
      this.show(Number(el.slider.value));
    });
    this.updateButton();
  }

  get frameCount(): number {
    return this.anim?.frames.length ?? 0;
  }

  /** Shows a new animation from its first frame (playing on if it was playing). */
  load(a: Animation): void {
    this.anim = a;
    this.grids.clear();
    this.marked = [];
    const n = a.frames.length;
    // one cell size for all views, so that each view's grids fit in one row where they can
    const available = this.el.views.clientWidth || 900;
    const two = a.views.length > 1;
    const sideBySide = two && available >= 2 * VIEW_BASIS + VIEW_GAP;
    const perView = sideBySide ? (available - VIEW_GAP) / 2 - VIEW_INSET : available - (two ? VIEW_INSET : 0);
    const rowWidth = (grids: readonly AnimationGrid[], cell: number): number => {
      const inputs = grids.filter((g) => g.role === 'input');
      const per = inputs.length > 2 ? Math.ceil(Math.sqrt(inputs.length)) : 0;
      let w = per ? per * (inputs[0]!.cols * cell + 10) + 22 : 0;
      for (const g of grids) if (!per || g.role !== 'input') w += Math.max(g.cols * cell + 2, 80) + 22;
      return w - 22;
    };
    const fits = (width: (grids: readonly AnimationGrid[], cell: number) => number, cell: number): boolean =>
      a.views.every((v) => width(v.grids, cell) <= perView);
    let cell = MAX_CELL;
    while (cell > MIN_CELL && !fits(rowWidth, cell)) cell--;
    if (!fits(rowWidth, cell)) {
      // not in one row even at the smallest readable cell: the grids wrap (one per line where
      // need be), so size the cells for the widest grid alone (it scrolls if even that is too wide)
      const widest = (grids: readonly AnimationGrid[], c: number): number =>
        Math.max(...grids.map((g) => g.cols * c + 2));
      cell = MAX_CELL;
      while (cell > MIN_CELL && !fits(widest, cell)) cell--;
    }
    const figures = a.views.map((view) => {
      const gridBox = h('div', { class: 'grids' });
      const inputs = view.grids.filter((g) => g.role === 'input');
      // many input planes (pixelShuffle's r² channels): a block of small grids
      const block =
        inputs.length > 2
          ? h('div', { class: 'plane-block', style: `--per: ${Math.ceil(Math.sqrt(inputs.length))}` })
          : null;
      if (block) gridBox.append(block);
      for (const g of view.grids) {
        const fig = this.drawGrid(g, cell);
        if (block && g.role === 'input') block.append(fig);
        else gridBox.append(fig);
      }
      return h(
        'figure',
        { class: 'view', 'data-view': view.id, 'data-testid': `view-${view.id}` },
        h('figcaption', {}, h('strong', {}, view.title), h('span', { class: 'muted' }, view.subtitle)),
        gridBox,
      );
    });
    this.el.views.replaceChildren(...figures);
    this.el.views.classList.toggle('two', a.views.length > 1);
    this.el.slider.max = String(Math.max(0, n - 1));
    this.show(0);
    this.schedule();
  }

  /** Shows a message instead of an animation (e.g. the parameters are refused). */
  clear(message: string): void {
    this.anim = null;
    this.grids.clear();
    this.marked = [];
    window.clearTimeout(this.timer);
    this.el.views.replaceChildren(h('p', { class: 'placeholder' }, message));
    this.el.views.classList.remove('two');
    this.el.caption.textContent = '';
    this.el.slider.max = '0';
    this.el.slider.value = '0';
    this.el.counter.textContent = 'frame 0 / 0';
  }

  private drawGrid(g: AnimationGrid, cell: number): HTMLElement {
    const w = g.cols * cell;
    const ht = g.rows * cell;
    const svg = s('svg', {
      width: w + 2,
      height: ht + 2,
      viewBox: `-1 -1 ${w + 2} ${ht + 2}`,
      class: `grid role-${g.role}`,
      'data-grid': g.id,
    });
    const rects: SVGRectElement[] = [];
    const texts: SVGTextElement[] = [];
    const valueLayer = s('g', { class: 'values', 'font-size': Math.max(11, Math.round(cell * 0.4)) });
    for (let i = 0; i < g.rows * g.cols; i++) {
      const x = (i % g.cols) * cell;
      const y = Math.floor(i / g.cols) * cell;
      const kind = g.kinds[i]!;
      const rect = s('rect', {
        x,
        y,
        width: cell,
        height: cell,
        class: `cell k-${g.role === 'input' ? kind : g.role}${kind === 'data' ? '' : ' faint'}`,
        'data-cell': i,
      });
      rects.push(rect);
      const v = g.values[i];
      if (g.dynamic || (v !== null && v !== undefined)) {
        const t = s('text', { x: x + cell / 2, y: y + cell / 2, class: kind === 'inserted' ? 'muted' : '' });
        if (!g.dynamic) t.textContent = cellText(v!);
        valueLayer.append(t);
        if (g.dynamic) texts[i] = t;
      }
    }
    const notes = s('g', { class: 'notes', 'font-size': Math.max(9, Math.round(cell * 0.3)) });
    const rectLayer = s('g');
    rectLayer.append(...rects);
    svg.append(rectLayer, valueLayer, notes);
    this.grids.set(g.id, { grid: g, rects, texts, notes, cell });
    return h('figure', { class: 'grid-figure' }, h('figcaption', {}, g.label), svg as unknown as Node);
  }

  /** Shows frame `t` (clamped). */
  show(t: number): void {
    const a = this.anim;
    if (!a) return;
    const n = a.frames.length;
    this.frame = Math.min(n - 1, Math.max(0, Math.round(t)));
    const frame = a.frames[this.frame]!;
    for (const r of this.marked) r.classList.remove('m-window', 'm-read', 'm-write');
    this.marked = [];
    for (const d of this.grids.values()) d.notes.replaceChildren();
    // outputs: computed cells and their (partial) values
    for (const d of this.grids.values()) {
      if (!d.grid.dynamic) continue;
      d.rects.forEach((rect, i) => {
        const v = frame.output[i]!;
        const done = !Number.isNaN(v);
        rect.classList.toggle('done', done);
        const t = d.texts[i];
        if (t) t.textContent = done ? cellText(v) : '';
      });
    }
    for (const view of a.views) {
      const best = new Map<string, { level: MarkLevel; note?: string }>();
      for (const m of view.marks[this.frame] ?? []) {
        const key = `${m.grid}#${m.cell}`;
        const prev = best.get(key);
        if (!prev || LEVEL_RANK[m.level] > LEVEL_RANK[prev.level])
          best.set(key, { level: m.level, note: m.note ?? prev?.note });
        else if (m.note && !prev.note) prev.note = m.note;
      }
      for (const [key, m] of best) {
        const [gridId, cellIndex] = key.split('#') as [string, string];
        const d = this.grids.get(gridId);
        const i = Number(cellIndex);
        const rect = d?.rects[i];
        if (!d || !rect) continue;
        rect.classList.add(`m-${m.level}`);
        this.marked.push(rect);
        if (m.note) {
          const x = (i % d.grid.cols) * d.cell + d.cell - 2;
          const y = Math.floor(i / d.grid.cols) * d.cell + d.cell - 2;
          const t = s('text', { x, y });
          t.textContent = m.note;
          d.notes.append(t);
        }
      }
    }
    this.el.caption.textContent = frame.caption;
    this.el.counter.textContent = `frame ${this.frame + 1} / ${n}`;
    this.el.slider.value = String(this.frame);
  }

  stepBy(delta: number): void {
    this.pause();
    const n = this.frameCount;
    if (n > 0) this.show((this.frame + delta + n) % n);
  }

  play(): void {
    this.playing = true;
    this.updateButton();
    this.schedule();
  }

  pause(): void {
    this.playing = false;
    window.clearTimeout(this.timer);
    this.updateButton();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else {
      // from the end, start over
      if (this.frame === this.frameCount - 1) this.show(0);
      this.play();
    }
  }

  /** Changes the speed; a running animation goes on at the new pace. */
  setFrameMs(ms: number): void {
    this.frameMs = ms;
    this.schedule();
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    const n = this.frameCount;
    if (!this.playing || n <= 1) return;
    const wait = this.frame === n - 1 ? this.frameMs * 4 : this.frameMs;
    this.timer = window.setTimeout(() => {
      this.show((this.frame + 1) % n);
      this.schedule();
    }, wait);
  }

  private updateButton(): void {
    this.el.play.textContent = this.playing ? '❚❚ pause' : '▶ play';
    this.el.play.setAttribute('aria-label', this.playing ? 'pause' : 'play');
    this.el.play.dataset.state = this.playing ? 'playing' : 'paused';
  }
}
