/**
 * The explorer's ONNX drop zone: drop (or choose) an .onnx file, and the page lists its
 * upsampling-family layers as `importOnnx` reads them (sizes through the symbolic batch); clicking
 * one loads its parameters (first spatial dimension) into the animation, the matrix view and the
 * checkerboard map.
 */
import { h } from './dom.js';
import { DeconvError, importOnnx, type OnnxLayer } from './lib.js';
import type { Params } from './params.js';

/** Animations stay readable (and fast) up to this input size. */
const MAX_INPUT = 12;

const dims = (s: readonly (number | null)[] | null): string => (s ? s.map((v) => v ?? '?').join('×') : '?');

/** The explorer's parameters for a layer, or why it has no animation. */
export function paramsOf(layer: OnnxLayer): Partial<Params> | string {
  const p = layer.params;
  if (!p) return 'global pooling has no window to animate';
  const input = Math.min(MAX_INPUT, Math.max(1, layer.inputShape?.[2] ?? 4));
  const first = (v: readonly number[] | null | undefined, fallback: number): number => v?.[0] ?? fallback;
  switch (p.kind) {
    case 'conv':
      return {
        op: first(p.dilation, 1) > 1 ? 'dilated' : 'conv',
        input,
        kernel: first(p.kernelSize, 3),
        stride: first(p.stride, 1),
        padding: first(p.padBegin, 0),
        dilation: first(p.dilation, 1),
        groups: 1,
      };
    case 'convTranspose':
      return {
        op: 'convTranspose',
        input,
        kernel: first(p.kernelSize, 3),
        stride: first(p.stride, 1),
        padding: first(p.padBegin, 0),
        outputPadding: first(p.outputPadding, 0),
        dilation: first(p.dilation, 1),
        groups: 1,
      };
    case 'maxUnpool':
      return {
        op: 'maxUnpool',
        input,
        kernel: first(p.kernelSize, 2),
        stride: first(p.stride, 2),
        padding: first(p.padBegin, 0),
      };
    case 'maxPool':
    case 'avgPool':
      return {
        op: 'conv',
        input,
        kernel: first(p.kernelSize, 2),
        stride: first(p.stride, 2),
        padding: first(p.padBegin, 0),
        dilation: first(p.dilation, 1),
        groups: 1,
      };
    case 'depthToSpace':
      return p.mode === 'CRD'
        ? { op: 'pixelShuffle', input, stride: p.blocksize! }
        : 'DepthToSpace in DCR order is not the pixel shuffle the page animates';
    case 'resize': {
      const outH = layer.outputShape?.[2];
      const inH = layer.inputShape?.[2];
      const scale = outH && inH ? Math.round(outH / inH) : 2;
      if (!(scale >= 1)) return 'a downsampling Resize';
      return { op: p.resize?.mode === 'nearest' ? 'nearest' : 'bilinear', input, stride: scale };
    }
    default:
      return `${layer.opType} has no animation here`;
  }
}

/** Wires the drop zone `zone` (with its file input) to list layers in `list`; `load` applies a layer's parameters. */
export function mountOnnxDrop(
  zone: HTMLElement,
  file: HTMLInputElement,
  list: HTMLElement,
  status: HTMLElement,
  load: (params: Partial<Params>) => void,
): void {
  const read = async (f: File): Promise<void> => {
    try {
      const model = importOnnx(new Uint8Array(await f.arrayBuffer()));
      status.textContent = `${f.name}: opset ${model.opset}, ${model.layers.length} upsampling-family layer${model.layers.length === 1 ? '' : 's'}`;
      list.replaceChildren(
        ...model.layers.map((layer, k) => {
          const target = paramsOf(layer);
          const row = h(
            'li',
            {
              'data-testid': 'onnx-layer',
              tabindex: 0,
              title: typeof target === 'string' ? target : 'load into the animation',
            },
            h('code', {}, `${k + 1}. ${layer.opType}`),
            ` ${layer.name} ${dims(layer.inputShape)} → ${dims(layer.outputShape)}`,
          );
          if (typeof target !== 'string') {
            const go = (): void => {
              list.querySelectorAll('li.selected').forEach((r) => r.classList.remove('selected'));
              row.classList.add('selected');
              load(target);
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
