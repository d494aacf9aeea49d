/**
 * Fast kernels against their reference siblings, on sizes chosen to hit vector tails (odd channel
 * counts, widths 2·lanes + 3) with outputs pre-filled with NaN so a skipped element shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randn } from '../src/index.js';
import type { ConvGeometry } from '../src/geometry/conv.js';
import { convGeometry, convTransposeGeometry } from './geometry-of.js';
import { convGatherRef, convScatterRef, convWeightRef } from '../src/kernels/ref/conv.js';
import { convGatherFast, convScatterFast, convWeightFast } from '../src/kernels/fast/conv.js';

function nanArray(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}
function close(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i]! - b[i]!) <= 1e-5 * scale,
      `${what}: element ${i}: fast ${a[i]} vs reference ${b[i]}`,
    );
  }
}

const arb = fc.record({
  transposed: fc.boolean(),
  d: fc.integer({ min: 1, max: 3 }),
  groups: fc.constantFrom(1, 3),
  cin: fc.constantFrom(1, 3, 5),
  cout: fc.constantFrom(1, 3, 7),
  size: fc.constantFrom(1, 4, 11, 19),
  k: fc.integer({ min: 1, max: 4 }),
  s: fc.integer({ min: 1, max: 3 }),
  dil: fc.integer({ min: 1, max: 2 }),
  p: fc.integer({ min: 0, max: 2 }),
  batch: fc.integer({ min: 1, max: 2 }),
  seed: fc.nat(),
});

test('fast conv kernels equal the reference kernels, every element written', () => {
  let checked = 0;
  fc.assert(
    fc.property(arb, (c) => {
      // keep 3-d small; the last dimension takes the odd width
      const sp = Array.from({ length: c.d }, (_, i) => (i === c.d - 1 ? c.size : Math.min(c.size, 5)));
      const cin = c.cin * c.groups;
      const cout = c.cout * c.groups;
      const k = new Array<number>(c.d).fill(c.k);
      let g: ConvGeometry;
      try {
        if (c.transposed) {
          const x = randn([c.batch, cin, ...sp], { seed: c.seed });
          const w = randn([cin, c.cout, ...k]);
          g = convTransposeGeometry(
            't',
            x,
            w,
            { stride: c.s, padding: c.p, dilation: c.dil, groups: c.groups },
            c.d,
          ).geometry;
        } else {
          const x = randn([c.batch, cin, ...sp], { seed: c.seed });
          const w = randn([cout, c.cin, ...k]);
          g = convGeometry(
            't',
            x,
            w,
            { stride: c.s, padding: c.p, dilation: c.dil, groups: c.groups },
            c.d,
          ).geometry;
        }
      } catch {
        return; // a size the kernel does not fit: not a kernel case
      }
      checked++;
      const xn = g.batch * g.xChannels * g.xSize.reduce((a, b) => a * b, 1);
      const yn = g.batch * g.yChannels * g.ySize.reduce((a, b) => a * b, 1);
      const wn = (g.yChannels * g.xChannels * g.kernel.reduce((a, b) => a * b, 1)) / g.groups;
      const x = randn([xn], { seed: c.seed + 1 }).data as Float32Array;
      const y = randn([yn], { seed: c.seed + 2 }).data as Float32Array;
      const w = randn([wn], { seed: c.seed + 3 }).data as Float32Array;
      const bx = randn([g.xChannels], { seed: c.seed + 4 }).data as Float32Array;
      const by = randn([g.yChannels], { seed: c.seed + 5 }).data as Float32Array;

      const [y1, y2] = [nanArray(yn), nanArray(yn)];
      convGatherRef(g, x, w, by, y1);
      convGatherFast(g, x, w, by, y2);
      close(y2, y1, 'gather');
      const [x1, x2] = [nanArray(xn), nanArray(xn)];
      convScatterRef(g, y, w, bx, x1);
      convScatterFast(g, y, w, bx, x2);
      close(x2, x1, 'scatter');
      const [w1, w2] = [nanArray(wn), nanArray(wn)];
      convWeightRef(g, x, y, w1);
      convWeightFast(g, x, y, w2);
      close(w2, w1, 'weight');
    }),
    { numRuns: 80 },
  );
  assert.ok(checked > 20, `only ${checked} configurations were kernel cases`);
});
