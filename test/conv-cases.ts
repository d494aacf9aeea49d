/**
 * Convolution geometries for the kernel tests (test/wasm.test.ts, test/threads.test.ts): a case
 * names the op's channels per group, sizes and options, and geometryOf builds the geometry record
 * the kernels take, through the same argument checks as the ops.
 */
import { randn } from '../src/index.js';
import type { ConvGeometry } from '../src/geometry/conv.js';
import { convGeometry, convTransposeGeometry } from './geometry-of.js';

export interface Case {
  transposed: boolean;
  batch: number;
  /** per group, conv-op input channels */
  cin: number;
  /** per group */
  cout: number;
  groups: number;
  size: number[];
  kernel: number[];
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  outputPadding?: number | number[];
}

/** The geometry of case `c` (throws a DeconvError when the case is not a valid convolution). */
export function geometryOf(c: Case, seed = 1): ConvGeometry {
  const d = c.size.length;
  const x = randn([c.batch, c.cin * c.groups, ...c.size], { seed });
  const opts = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
  if (c.transposed) {
    const w = randn([c.cin * c.groups, c.cout, ...c.kernel]);
    return convTransposeGeometry('t', x, w, { ...opts, outputPadding: c.outputPadding }, d).geometry;
  }
  const w = randn([c.cout * c.groups, c.cin, ...c.kernel]);
  return convGeometry('c', x, w, opts, d).geometry;
}

export const prod = (a: readonly number[]): number => a.reduce((p, v) => p * v, 1);
