/** The explorer's parameters: the ops, the sliders, which slider each op uses, and the URL form. */
import type { AnimationOp } from './lib.js';

export type Op = AnimationOp;

export const OPS: readonly Op[] = [
  'conv',
  'convTranspose',
  'dilated',
  'maxUnpool',
  'nearest',
  'bilinear',
  'bicubic',
  'pixelShuffle',
];

export type Key = 'input' | 'kernel' | 'stride' | 'padding' | 'outputPadding' | 'dilation' | 'groups';

export interface Params {
  op: Op;
  input: number;
  kernel: number;
  stride: number;
  padding: number;
  outputPadding: number;
  dilation: number;
  groups: number;
}

export interface SliderSpec {
  key: Key;
  label: string;
  /** URL parameter name */
  short: string;
  min: number;
  max: number;
  initial: number;
}

export const SLIDERS: readonly SliderSpec[] = [
  { key: 'input', label: 'input size', short: 'i', min: 1, max: 12, initial: 2 },
  { key: 'kernel', label: 'kernel size', short: 'k', min: 1, max: 7, initial: 3 },
  { key: 'stride', label: 'stride', short: 's', min: 1, max: 4, initial: 2 },
  { key: 'padding', label: 'padding', short: 'p', min: 0, max: 4, initial: 0 },
  { key: 'outputPadding', label: 'output padding', short: 'a', min: 0, max: 3, initial: 0 },
  { key: 'dilation', label: 'dilation', short: 'd', min: 1, max: 3, initial: 1 },
  { key: 'groups', label: 'groups', short: 'g', min: 1, max: 3, initial: 1 },
];

/** The sliders an op reads, and their names for it. */
export const USES: Record<Op, Partial<Record<Key, string>>> = {
  conv: {
    input: 'input size',
    kernel: 'kernel size',
    stride: 'stride',
    padding: 'padding',
    dilation: 'dilation',
    groups: 'groups',
  },
  dilated: {
    input: 'input size',
    kernel: 'kernel size',
    stride: 'stride',
    padding: 'padding',
    dilation: 'dilation',
    groups: 'groups',
  },
  convTranspose: {
    input: 'input size',
    kernel: 'kernel size',
    stride: 'stride',
    padding: 'padding',
    outputPadding: 'output padding',
    dilation: 'dilation',
    groups: 'groups',
  },
  maxUnpool: { input: 'pooled size', kernel: 'pooling window', stride: 'stride', padding: 'padding' },
  nearest: { input: 'input size', stride: 'scale factor' },
  bilinear: { input: 'input size', stride: 'scale factor' },
  bicubic: { input: 'input size', stride: 'scale factor' },
  pixelShuffle: { input: 'input size', stride: 'factor r' },
};

export const OP_TITLES: Record<Op, string> = {
  conv: 'convolution',
  convTranspose: 'transposed convolution',
  dilated: 'dilated convolution',
  maxUnpool: 'max unpooling',
  nearest: 'nearest upsampling',
  bilinear: 'bilinear upsampling',
  bicubic: 'bicubic upsampling',
  pixelShuffle: 'pixel shuffle',
};

export function initialParams(): Params {
  const p = { op: 'convTranspose' } as Params;
  for (const sl of SLIDERS) p[sl.key] = sl.initial;
  return p;
}

/** Parameters from a URL hash like `#op=convTranspose&i=2&k=3&s=2`; unknown or bad entries are ignored. */
export function fromHash(hash: string, base: Params): Params {
  const p = { ...base };
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const op = q.get('op');
  if (op && (OPS as readonly string[]).includes(op)) p.op = op as Op;
  for (const sl of SLIDERS) {
    const v = Number(q.get(sl.short));
    if (q.has(sl.short) && Number.isInteger(v) && v >= 0 && v <= 4096) p[sl.key] = v;
  }
  return p;
}

export function toHash(p: Params): string {
  const q = new URLSearchParams({ op: p.op });
  for (const sl of SLIDERS) q.set(sl.short, String(p[sl.key]));
  return `#${q.toString()}`;
}
