import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  conv2d,
  convOutputSize,
  convTranspose2d,
  convTransposeOutputSize,
  DeconvError,
  maxPool2d,
  maxUnpool2d,
  tensor,
} from '../src/index.js';
import { interpolate } from '../src/ops/interpolate.js';
import { pixelShuffle } from '../src/ops/shuffle.js';
import {
  animationScene,
  animationToGif,
  animationToSvg,
  blankImage,
  buildAnimation,
  checkerboard,
  checkerboardScene,
  colormap,
  colormapHex,
  encodeGif,
  encodeGifFrames,
  finalOutput,
  frameworkSnippets,
  heatmap,
  heatmapRange,
  matrixScene,
  matrixText,
  matrixView,
  parseColor,
  rasterize,
  sceneToGif,
  sceneToSvg,
  sizeFormula,
  sizeFormulaLines,
  textWidth,
  THEME,
  type Animation,
} from '../src/viz/index.js';
import { deconvError, throwsArg } from './throws.js';

function transposeOf(a: Animation): Float32Array {
  const [ih, iw] = a.inputSize as [number, number];
  const [kh, kw] = a.kernelSize as [number, number];
  const y = convTranspose2d(tensor(a.input, [1, 1, ih, iw]), tensor(a.kernel!, [1, 1, kh, kw]), {
    stride: [...a.stride],
    padding: [...a.padding],
    outputPadding: [...a.outputPadding],
    dilation: [...a.dilation],
  });
  return y.data as Float32Array;
}

test('convTranspose i=2, k=3, s=2, p=0: ends on the 5×5 output of convTranspose2d, in both frame orders', () => {
  for (const order of ['output', 'input'] as const) {
    const a = buildAnimation({
      op: 'convTranspose',
      inputSize: 2,
      kernelSize: 3,
      stride: 2,
      padding: 0,
      order,
    });
    assert.deepEqual(a.outputSize, [5, 5]);
    assert.deepEqual(
      a.views.map((v) => v.id),
      ['scatter', 'direct'],
    );
    const expected = transposeOf(a);
    assert.equal(expected.length, 25);
    assert.deepEqual(Array.from(finalOutput(a)), Array.from(expected));
    assert.equal(a.frames.length, order === 'output' ? 25 : 4);
    // every cell's sum, spelled out: out[o] = Σ in[i]·w[k] over o = i·s + k
    const sums = new Array<number>(25).fill(0);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        for (let u = 0; u < 3; u++) {
          for (let v = 0; v < 3; v++)
            sums[(2 * r + u) * 5 + 2 * c + v]! += a.input[r * 2 + c]! * a.kernel![u * 3 + v]!;
        }
      }
    }
    assert.deepEqual(Array.from(finalOutput(a)), sums);
  }
});

test('convTranspose: the two views mark the same contributions in every frame', () => {
  const a = buildAnimation({
    op: 'convTranspose',
    inputSize: [3, 2],
    kernelSize: [3, 2],
    stride: [2, 3],
    padding: [1, 0],
    outputPadding: [1, 2],
  });
  const [scatter, direct] = a.views as [Animation['views'][0], Animation['views'][0]];
  const directInput = direct.grids.find((g) => g.id === 'direct.input')!;
  a.frames.forEach((f, t) => {
    const inputs = new Set(f.contributions.map((c) => c.input));
    const scatterRead = new Set(
      scatter.marks[t]!.filter((m) => m.grid === 'scatter.input' && m.level === 'read').map((m) => m.cell),
    );
    assert.deepEqual(scatterRead, inputs, `frame ${t}: scatter view`);
    // the direct view reads the zero-inserted cells that hold exactly those inputs
    const directRead = direct.marks[t]!.filter((m) => m.grid === 'direct.input' && m.level === 'read').map(
      (m) => m.cell,
    );
    assert.deepEqual(
      new Set(directRead.map((cell) => directInput.values[cell])),
      new Set([...inputs].map((i) => a.input[i])),
    );
    assert.equal(directRead.length, inputs.size, `frame ${t}: direct view`);
    for (const cell of directRead) assert.equal(directInput.kinds[cell], 'data');
  });
  assert.deepEqual(Array.from(finalOutput(a)), Array.from(transposeOf(a)));
});

test('convTranspose: final output equals convTranspose2d and the direct grid is s(i − 1) + 1 + 2(d(k − 1) − p) + a, for many parameters', () => {
  let checked = 0;
  for (const i of [1, 2, 3]) {
    for (const k of [1, 2, 3, 4]) {
      for (const s of [1, 2, 3]) {
        for (const d of [1, 2]) {
          for (let p = 0; p <= d * (k - 1) + 1; p++) {
            for (let a = 0; a < Math.max(s, d); a++) {
              const opts = {
                inputSize: i,
                kernelSize: k,
                stride: s,
                padding: p,
                outputPadding: a,
                dilation: d,
              };
              let size: number[];
              try {
                size = convTransposeOutputSize(opts);
              } catch (e) {
                assert.ok(e instanceof DeconvError);
                continue;
              }
              const anim = buildAnimation({ op: 'convTranspose', ...opts });
              assert.deepEqual(anim.outputSize, [size[0], size[0]]);
              assert.deepEqual(
                Array.from(finalOutput(anim)),
                Array.from(transposeOf(anim)),
                JSON.stringify(opts),
              );
              const side = s * (i - 1) + 1 + 2 * (d * (k - 1) - p) + a;
              assert.deepEqual(anim.direct!.size, [side, side], JSON.stringify(opts));
              const grid = anim.views[1]!.grids[0]!;
              assert.equal(grid.rows, side);
              if (p <= d * (k - 1)) {
                // nothing cropped: every input cell and every inserted zero is in the grid
                const count = (kind: string): number => grid.kinds.filter((x) => x === kind).length;
                assert.equal(count('data'), i * i);
                assert.equal(count('inserted'), (s * (i - 1) + 1) ** 2 - i * i);
              }
              checked++;
            }
          }
        }
      }
    }
  }
  assert.ok(checked > 150, `checked ${checked}`);
});

test('the direct view of i=2, k=3, s=2, p=0 is the 7×7 zero-inserted input padded by 2 with the flipped kernel', () => {
  const a = buildAnimation({ op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2 });
  const g = a.views[1]!.grids[0]!;
  assert.equal(g.rows, 2 * (2 - 1) + 1 + 2 * (3 - 0 - 1) + 0);
  const kinds = (r: number, c: number): string => g.kinds[r * g.cols + c]!;
  assert.equal(kinds(2, 2), 'data');
  assert.equal(kinds(2, 3), 'inserted');
  assert.equal(kinds(2, 4), 'data');
  assert.equal(kinds(0, 0), 'padding');
  assert.deepEqual(a.direct!.padBegin, [2, 2]);
  const flipped = a.views[1]!.grids[1]!.values;
  const k = a.kernel!;
  for (let t = 0; t < 9; t++) assert.equal(flipped[t], k[8 - t]);
});

test('conv and dilated conv end on conv2d', () => {
  for (const [op, opts] of [
    ['conv', { inputSize: 5, kernelSize: 3, stride: 2, padding: 1 }],
    ['conv', { inputSize: [4, 6], kernelSize: [2, 3], stride: [1, 2] }],
    ['dilated', { inputSize: 7, kernelSize: 3 }],
    ['dilated', { inputSize: 6, kernelSize: 2, dilation: 3, padding: 1 }],
  ] as const) {
    const a = buildAnimation({ op, ...opts });
    const [ih, iw] = a.inputSize as [number, number];
    const y = conv2d(tensor(a.input, [1, 1, ih, iw]), tensor(a.kernel!, [1, 1, ...a.kernelSize!]), {
      stride: [...a.stride],
      padding: [...a.padding],
      dilation: [...a.dilation],
    });
    assert.deepEqual(a.outputSize, y.shape.slice(2));
    assert.deepEqual(Array.from(finalOutput(a)), Array.from(y.data));
    assert.deepEqual(
      a.outputSize,
      convOutputSize({
        inputSize: [ih, iw],
        kernelSize: [...a.kernelSize!],
        stride: [...a.stride],
        padding: [...a.padding],
        dilation: [...a.dilation],
      }),
    );
  }
});

test('maxUnpool ends on maxUnpool2d of the pooled sample', () => {
  const a = buildAnimation({ op: 'maxUnpool', inputSize: 3, kernelSize: 2 });
  assert.deepEqual(a.outputSize, [6, 6]);
  const x = tensor(a.input, [1, 1, 3, 3]);
  const idx = tensor(a.indices!, [1, 1, 3, 3], { dtype: 'int32' });
  const y = maxUnpool2d(x, idx, { kernelSize: 2 });
  assert.deepEqual(Array.from(finalOutput(a)), Array.from(y.data));
  // the values are the maxima of their windows
  const sample = new Float32Array(36);
  for (let r = 0; r < 6; r++)
    for (let c = 0; c < 6; c++) sample[r * 6 + c] = ((r * 5 + c * 3 + r * c) % 9) + 1;
  const pooled = maxPool2d(tensor(sample, [1, 1, 6, 6]), { kernelSize: 2, returnIndices: true });
  assert.deepEqual(Array.from(a.input), Array.from(pooled.output.data));
});

test('nearest, bilinear and pixelShuffle end on interpolate and pixelShuffle', () => {
  const n = buildAnimation({ op: 'nearest', inputSize: 3, scale: 2 });
  const xn = tensor(n.input, [1, 1, 3, 3]);
  assert.deepEqual(
    Array.from(finalOutput(n)),
    Array.from(interpolate(xn, { scaleFactor: 2, mode: 'nearest' }).data),
  );
  assert.equal(n.frames.length, 9);
  const b = buildAnimation({ op: 'bilinear', inputSize: [2, 3], scale: 2 });
  const yb = interpolate(tensor(b.input, [1, 1, 2, 3]), { scaleFactor: 2, mode: 'bilinear' });
  finalOutput(b).forEach((v, i) =>
    assert.ok(Math.abs(v - yb.data[i]!) < 1e-6, `bilinear ${i}: ${v} vs ${yb.data[i]}`),
  );
  const s = buildAnimation({ op: 'pixelShuffle', inputSize: 2, scale: 3 });
  assert.equal(s.channels, 9);
  const ys = pixelShuffle(tensor(s.input, [1, 9, 2, 2]), 3);
  assert.deepEqual(Array.from(finalOutput(s)), Array.from(ys.data));
});

test('animation arguments are checked with DeconvError', () => {
  assert.throws(
    () => buildAnimation({ op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2, outputPadding: 2 }),
    (e: unknown) => {
      return e instanceof DeconvError && e.argument === 'outputPadding';
    },
  );
  assert.throws(
    () => buildAnimation({ op: 'nearest', inputSize: 2, kernelSize: 3 }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'kernelSize',
  );
  assert.throws(
    () => buildAnimation({ op: 'conv', inputSize: 2, kernelSize: 3 }),
    (e: unknown) => e instanceof DeconvError,
  );
  assert.throws(() => buildAnimation({ op: 'conv', inputSize: 64, kernelSize: 1 }), /more frames/);
  assert.throws(
    () => buildAnimation({ op: 'bogus' as 'conv', inputSize: 2 }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'op',
  );
});

test('SVG animates (SMIL) and a single frame is still; GIF has its header', () => {
  const a = buildAnimation({ op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2 });
  const svg = animationToSvg(a);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.ok(svg.includes('<animate attributeName="visibility"'));
  const still = animationToSvg(a, { frame: 24 });
  assert.ok(!still.includes('<animate'));
  // the last frame shows the output's values
  for (const v of finalOutput(a)) assert.ok(still.includes(`>${v}</text>`), `value ${v}`);
  const gif = animationToGif(buildAnimation({ op: 'conv', inputSize: 3, kernelSize: 2 }));
  assert.equal(String.fromCharCode(...gif.subarray(0, 6)), 'GIF89a');
  assert.equal(gif[gif.length - 1], 0x3b);
  const scene = animationScene(a);
  const img = rasterize(scene, 0);
  assert.equal(img.data.length, scene.width * scene.height * 4);
});

/** Independent 1-d count: the number of i in [0, n) with 0 ≤ j − i·s + p < k. */
function counts1d(n: number, k: number, s: number, p: number): number[] {
  const o = s * (n - 1) - 2 * p + k;
  return Array.from({ length: o }, (_, j) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (j - i * s + p >= 0 && j - i * s + p < k) c++;
    return c;
  });
}

/** Stacked 1-d: each layer scatters its input's counts with a ones kernel. */
function stacked1d(n: number, k: number, s: number, p: number, layers: number): number[] {
  let x = new Array<number>(n).fill(1);
  for (let l = 0; l < layers; l++) {
    const o = s * (x.length - 1) - 2 * p + k;
    const y = new Array<number>(o).fill(0);
    x.forEach((v, i) => {
      for (let t = 0; t < k; t++) {
        const j = i * s - p + t;
        if (j >= 0 && j < o) y[j]! += v;
      }
    });
    x = y;
  }
  return x;
}

test('checkerboard counts of k3 s2 match the hand-derived pattern', () => {
  const r = checkerboard({ kernelSize: 3, stride: 2, inputSize: 5 });
  const c = counts1d(5, 3, 2, 0);
  assert.deepEqual(c, [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]);
  assert.deepEqual(r.size, [11, 11]);
  for (let y = 0; y < 11; y++) for (let x = 0; x < 11; x++) assert.equal(r.counts[y * 11 + x], c[y]! * c[x]!);
  assert.equal(r.even, false);
  assert.equal(r.min, 1);
  assert.equal(r.max, 4);
  assert.deepEqual(r.interior, [
    [1, 10],
    [1, 10],
  ]);
  assert.match(r.verdict, /checkerboard/);
  assert.match(r.fixes.join('\n'), /kernelSize 4 with stride 2/);
  assert.match(r.fixes.join('\n'), /resize, then convolve/);
  assert.match(r.fixes.join('\n'), /ICNR/);
  // stacked layers, padding: separable products of the 1-d counts
  const r3 = checkerboard({ kernelSize: 3, stride: 2, padding: 1, layers: 3, inputSize: [4, 5] });
  const rows = stacked1d(4, 3, 2, 1, 3);
  const cols = stacked1d(5, 3, 2, 1, 3);
  assert.deepEqual(r3.size, [rows.length, cols.length]);
  rows.forEach((a, y) => cols.forEach((b, x) => assert.equal(r3.counts[y * cols.length + x], a * b)));
  // a kernel divisible by the stride is even in the interior
  const even = checkerboard({ kernelSize: 4, stride: 2, padding: 1, layers: 2 });
  assert.equal(even.even, true);
  assert.equal(even.min, 16); // (2 taps per dimension per layer)² over 2 layers
  const scene = checkerboardScene(r3);
  assert.ok(rasterize(scene).width > 0);
});

test('heat maps: sizes and colour ends', () => {
  const img = heatmap([0, 1, 2, 3, 4, 5], 2, 3, { scale: 4 });
  assert.equal(img.width, 12);
  assert.equal(img.height, 8);
  assert.equal(img.data.length, 12 * 8 * 4);
  assert.deepEqual(Array.from(img.data.subarray(0, 4)), [...colormap('viridis', 0), 255]);
  const last = 4 * (8 * 12 - 1);
  assert.deepEqual(Array.from(img.data.subarray(last, last + 4)), [...colormap('viridis', 1), 255]);
  const div = heatmap([-2, 0, 1, 2], 1, 4, { colormap: 'diverging' });
  assert.deepEqual(Array.from(div.data.subarray(4, 7)), [247, 247, 247]); // 0 is white
  assert.throws(
    () => heatmap([1, 2, 3], 2, 2),
    (e: unknown) => e instanceof DeconvError && e.argument === 'values',
  );
});

test('matrix view: C is (outputs × inputs), Cᵀ its transpose, the row lists its input cells', () => {
  const v = matrixView({ inputSize: 4, kernelSize: 3, row: 1 });
  assert.equal(v.matrix.rows, 4);
  assert.equal(v.matrix.cols, 16);
  assert.deepEqual(
    v.rowEntries.map((e) => e.col),
    [1, 2, 3, 5, 6, 7, 9, 10, 11],
  );
  const text = matrixText(v).split('\n');
  assert.equal(text.length, 4);
  assert.equal(matrixText(v, true).split('\n').length, 16);
  const scene = matrixScene(v);
  assert.ok(sceneToSvg(scene).includes('data-grid="input"'));
});

test('matrix picture: row and column indices on C and Cᵀ; cell values only where they can be read (≥ 9 px)', () => {
  const v = matrixView({ inputSize: 3, kernelSize: 2, row: 2 }); // C is 4 × 9
  const scene = matrixScene(v);
  const axis = scene.shapes.filter(
    (s): s is Extract<typeof s, { kind: 'text' }> =>
      s.kind === 'text' && s.size === 9 && s.fill === THEME.muted,
  );
  const numbers = axis.map((s) => Number(s.text)).sort((a, b) => a - b);
  // C: columns 0..8, rows 0..3; Cᵀ: columns 0..3, rows 0..8 (every index: the cells have room)
  const want = [
    ...[...Array(9).keys()],
    ...[...Array(4).keys()],
    ...[...Array(4).keys()],
    ...[...Array(9).keys()],
  ];
  assert.deepEqual(
    numbers,
    want.sort((a, b) => a - b),
    'every row and column of both matrices is indexed',
  );
  const big = matrixScene(matrixView({ inputSize: 6, kernelSize: 4, row: 4 })); // C is 9 × 36: 14 px cells
  const small = big.shapes.filter((s) => s.kind === 'text' && s.size < 9);
  assert.deepEqual(small, [], 'no text below 9 px (the 14 px cells show no values)');
});

test('raster text: a hyphen before a number is drawn as a minus sign, not as a dot', () => {
  const draw = (text: string): number[] =>
    Array.from(
      rasterize(
        {
          width: 40,
          height: 20,
          background: '#ffffff',
          frameCount: 1,
          frameMs: [1],
          shapes: [{ kind: 'text', x: 2, y: 10, text, size: 11, fill: '#000000' }],
          title: text,
        },
        0,
      ).data,
    );
  assert.deepEqual(draw('-3'), draw('\u22123'), "'-3' is drawn as '−3'");
  assert.notDeepEqual(draw('-3'), draw('·3'), "'-3' is not drawn as '·3'");
});

test('the filled-in formulas evaluate to the library sizes', () => {
  for (let i = 1; i <= 9; i++) {
    for (let k = 1; k <= 4; k++) {
      for (let s = 1; s <= 3; s++) {
        for (let d = 1; d <= 2; d++) {
          for (let p = 0; p <= 2; p++) {
            const kE = d * (k - 1) + 1;
            if (i + 2 * p >= kE) {
              const conv = convOutputSize({
                inputSize: i,
                kernelSize: k,
                stride: s,
                padding: p,
                dilation: d,
              })[0];
              assert.equal(
                sizeFormula({ op: 'conv', inputSize: i, kernelSize: k, stride: s, padding: p, dilation: d })
                  .value,
                conv,
              );
              if (2 * p <= k) {
                const pool = convOutputSize({
                  inputSize: i,
                  kernelSize: k,
                  stride: s,
                  padding: p,
                  dilation: d,
                  ceilMode: true,
                })[0];
                const f = sizeFormula({
                  op: 'pool',
                  inputSize: i,
                  kernelSize: k,
                  stride: s,
                  padding: p,
                  dilation: d,
                  ceilMode: true,
                });
                assert.equal(f.value, pool, `pool ${i} ${k} ${s} ${p} ${d}`);
              }
            }
            for (let a = 0; a < Math.max(s, d); a++) {
              let t: number;
              try {
                t = convTransposeOutputSize({
                  inputSize: i,
                  kernelSize: k,
                  stride: s,
                  padding: p,
                  outputPadding: a,
                  dilation: d,
                })[0]!;
              } catch {
                continue;
              }
              const f = sizeFormula({
                op: 'convTranspose',
                inputSize: i,
                kernelSize: k,
                stride: s,
                padding: p,
                outputPadding: a,
                dilation: d,
              });
              assert.equal(f.value, t);
              assert.ok(f.filled.endsWith(`= ${t}`));
            }
          }
        }
      }
    }
  }
});

test('framework calls: what TF.js and Keras can express', () => {
  const cfg = (
    k: number,
    s: number,
    p: number,
    a: number,
    d = 1,
  ): Parameters<typeof frameworkSnippets>[0] => ({
    kernelSize: [k],
    stride: [s],
    padding: [p],
    outputPadding: [a],
    dilation: [d],
  });
  const same = frameworkSnippets(cfg(4, 2, 1, 0), [16]);
  assert.deepEqual(same.pytorch, {
    ok: true,
    code: 'nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)',
  });
  assert.ok(same.tfjs.ok && same.tfjs.code.includes("padding: 'same'"));
  assert.ok(same.keras.ok && same.keras.code.includes('padding="same"'));
  assert.ok(same.onnx.ok && same.onnx.code.includes('pads=[1, 1, 1, 1]'));
  const valid = frameworkSnippets(cfg(4, 4, 0, 0), [7]);
  assert.ok(valid.tfjs.ok && valid.tfjs.code.includes("padding: 'valid'"));
  // 16 → 32 with k3 s2 p1 a1: TensorFlow's 'same' pads 0 before, PyTorch pads 1: not expressible
  const odd = frameworkSnippets(cfg(3, 2, 1, 1), [16]);
  assert.equal(odd.tfjs.ok, false);
  assert.equal(odd.keras.ok, false);
  assert.ok(odd.pytorch.ok && odd.pytorch.code.includes('output_padding=1'));
  // k3 s2 p1 a0 (16 → 31) is Keras 'same' with output_padding=0
  const keras = frameworkSnippets(cfg(3, 2, 1, 0), [16]);
  assert.ok(
    keras.keras.ok && keras.keras.code.includes('padding="same", output_padding=0'),
    JSON.stringify(keras.keras),
  );
  assert.equal(keras.tfjs.ok, false);
  const dil = frameworkSnippets(cfg(3, 2, 0, 0, 2), [5]);
  assert.equal(dil.tfjs.ok, false);
  assert.equal(dil.keras.ok, false);
});

test('the last frame of every animated op: one caption, no overlaid text, and the values the op itself gives', async () => {
  const { visibleAt } = await import('../src/viz/scene.js');
  const { fmtCell } = await import('../src/viz/format.js');
  const { ANIMATION_OPS } = await import('../src/viz/animation.js');
  const ops: Record<
    string,
    { options: Parameters<typeof buildAnimation>[0]; reference: (a: Animation) => ArrayLike<number> }
  > = {
    conv: {
      options: { op: 'conv', inputSize: 4, kernelSize: 3 },
      reference: (a) => conv2d(tensor(a.input, [1, 1, 4, 4]), tensor(a.kernel!, [1, 1, 3, 3])).data,
    },
    dilated: {
      options: { op: 'dilated', inputSize: 5, kernelSize: 2, dilation: 2 },
      reference: (a) =>
        conv2d(tensor(a.input, [1, 1, 5, 5]), tensor(a.kernel!, [1, 1, 2, 2]), { dilation: 2 }).data,
    },
    convTranspose: {
      options: { op: 'convTranspose', inputSize: 2, kernelSize: 3, stride: 2 },
      reference: transposeOf,
    },
    maxUnpool: {
      options: { op: 'maxUnpool', inputSize: 4, kernelSize: 2 },
      reference: (a) => {
        const p = maxPool2d(tensor(a.input, [1, 1, 4, 4]), { kernelSize: 2, returnIndices: true });
        return maxUnpool2d(p.output, p.indices, { kernelSize: 2 }).data;
      },
    },
    nearest: {
      options: { op: 'nearest', inputSize: 3, scale: 2 },
      reference: (a) => interpolate(tensor(a.input, [1, 1, 3, 3]), { scaleFactor: 2, mode: 'nearest' }).data,
    },
    bilinear: {
      options: { op: 'bilinear', inputSize: 2, scale: 2 },
      reference: (a) => interpolate(tensor(a.input, [1, 1, 2, 2]), { scaleFactor: 2, mode: 'bilinear' }).data,
    },
    bicubic: {
      options: { op: 'bicubic', inputSize: 3, scale: 2 },
      reference: (a) => interpolate(tensor(a.input, [1, 1, 3, 3]), { scaleFactor: 2, mode: 'bicubic' }).data,
    },
    pixelShuffle: {
      options: { op: 'pixelShuffle', inputSize: 2, scale: 2 },
      reference: (a) => pixelShuffle(tensor(a.input, [1, 4, 2, 2]), 2).data,
    },
  };
  assert.deepEqual(Object.keys(ops).sort(), [...ANIMATION_OPS].sort(), 'every animated op is covered');
  for (const [name, { options, reference }] of Object.entries(ops)) {
    const a = buildAnimation(options);
    const scene = animationScene(a);
    const last = scene.frameCount - 1;
    const texts = scene.shapes.filter((s) => s.kind === 'text' && visibleAt(s, last)) as {
      x: number;
      y: number;
      text: string;
    }[];
    const counters = texts.filter((t) => /^frame \d+\/\d+$/.test(t.text)).map((t) => t.text);
    assert.deepEqual(
      counters,
      [`frame ${last + 1}/${last + 1}`],
      `${name}: one frame counter in the last frame`,
    );
    const at = new Map<string, string>();
    for (const t of texts) {
      const key = `${t.x},${t.y}`;
      assert.ok(
        !at.has(key),
        `${name}: '${t.text}' is drawn over '${at.get(key)}' at (${key}) in the last frame`,
      );
      at.set(key, t.text);
    }
    // the output grid's values in the last frame are the op's own output, cell by cell
    const want = Array.from(reference(a), (v) => fmtCell(v));
    const shown = texts.map((t) => t.text);
    for (const w of new Set(want)) {
      const need = want.filter((v) => v === w).length;
      const have = shown.filter((v) => v === w).length;
      assert.ok(
        have >= need,
        `${name}: the last frame shows '${w}' ${have} times, the op's output has it ${need} times`,
      );
    }
    // and it rasterises (the GIF path)
    const img = rasterize(scene, last);
    assert.equal(img.width * img.height * 4, img.data.length, `${name}: last frame rasterised`);
  }
});

test('the pictures font: Greek, arrows, superscripts and lower case have their own glyphs; text keeps 3 : 1 contrast on any cell', async () => {
  const { glyphBitmap } = await import('../src/viz/font.js');
  const { readable, contrastRatio } = await import('../src/viz/raster.js');
  const bits = (ch: string): string => {
    const g = glyphBitmap(ch, 24);
    return `${g.width}x${g.height}:${Array.from(g.coverage, (c) => (c >= 8 ? 1 : 0)).join('')}`;
  };
  const unknown = bits('?');
  for (const ch of ['λ', '→', 'ᵀ', '⌊', '×', 'a', 'S', 's'])
    assert.notEqual(bits(ch), unknown, `'${ch}' is drawn from the font, not as '?'`);
  assert.notEqual(bits('s'), bits('S'), 'lower case is not drawn as capitals');
  assert.ok(
    glyphBitmap('ᵀ', 24).top < glyphBitmap('T', 24).top + 4 &&
      glyphBitmap('ᵀ', 24).height < glyphBitmap('T', 24).height,
    'ᵀ is a raised small T',
  );
  for (const cell of [
    [178, 24, 43],
    [33, 102, 172],
    [255, 255, 255],
    [244, 165, 130],
    [0, 0, 0],
  ]) {
    const ink = readable([34, 34, 34], cell);
    assert.ok(
      contrastRatio(ink, cell) >= 3,
      `text on rgb(${cell.join(', ')}) has contrast ${contrastRatio(ink, cell).toFixed(2)}`,
    );
  }
  // a picture with text on a dark red cell: the digits there are light
  const scene = {
    width: 40,
    height: 20,
    background: '#ffffff',
    frameCount: 1,
    frameMs: [100],
    title: 't',
    shapes: [
      { kind: 'rect', x: 0, y: 0, w: 40, h: 20, fill: '#b2182b' },
      { kind: 'text', x: 20, y: 10, text: '0.19', size: 14, fill: '#222222', anchor: 'middle' },
    ],
  } as unknown as Parameters<typeof rasterize>[0];
  const img = rasterize(scene, 0);
  let light = 0;
  for (let p = 0; p < 40 * 20; p++) if (img.data[4 * p]! > 200 && img.data[4 * p + 1]! > 200) light++;
  assert.ok(light > 10, `light digits on dark red (${light} light pixels)`);
});

test('axisLabelStep: the smallest of 1, 2, 5, 10, … whose labels have room; bad sizes refused', async () => {
  const { axisLabelStep, DeconvError } = await import('../src/index.js');
  assert.equal(axisLabelStep(22, 18), 1, 'room for every label');
  assert.equal(axisLabelStep(10, 18), 2, '2 × 10 px ≥ 18 px');
  assert.equal(axisLabelStep(4, 18), 5, '5 × 4 px ≥ 18 px');
  assert.equal(axisLabelStep(3, 18), 10, '10 × 3 px ≥ 18 px');
  assert.equal(axisLabelStep(0.001, 18), 20000, 'tiny cells');
  assert.equal(axisLabelStep(5, 0), 1, 'no room needed');
  for (const [cell, room] of [
    [0, 18],
    [-1, 18],
    [NaN, 18],
    [Infinity, 18],
    [3, -1],
    [3, Infinity],
  ])
    assert.throws(() => axisLabelStep(cell!, room!), DeconvError, `axisLabelStep(${cell}, ${room}) refused`);
});

test('buildAnimation refuses a grid too large to draw before making its values, naming the size', () => {
  const refusedFor = (options: Parameters<typeof buildAnimation>[0], argument: string): void => {
    const t0 = performance.now();
    assert.throws(
      () => buildAnimation(options),
      (e: unknown) => e instanceof DeconvError && e.argument === argument && e.message.includes(argument),
      `${JSON.stringify(options)}: a DeconvError naming ${argument}`,
    );
    assert.ok(performance.now() - t0 < 200, `${JSON.stringify(options)}: refused before any work`);
  };
  for (const op of ['conv', 'dilated', 'convTranspose', 'nearest', 'bilinear', 'bicubic'] as const) {
    refusedFor({ op, inputSize: 1e9 }, 'inputSize');
    refusedFor({ op, inputSize: 300 }, 'inputSize');
  }
  for (const op of ['conv', 'dilated', 'convTranspose'] as const)
    refusedFor({ op, inputSize: 4, kernelSize: 1e9 }, 'kernelSize');
  refusedFor({ op: 'maxUnpool', inputSize: 4, kernelSize: 1e9 }, 'kernelSize');
  refusedFor({ op: 'maxUnpool', inputSize: 4, kernelSize: 2, stride: 1e9 }, 'stride');
  refusedFor({ op: 'pixelShuffle', inputSize: 4, scale: 1e9 }, 'scale');
  refusedFor({ op: 'pixelShuffle', inputSize: 4, stride: 1e9 }, 'stride');
});

test('pictures: null options are none, sizes and colour maps are checked with DeconvErrors naming them', () => {
  const a = buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 });
  const none = null as unknown as Record<string, never>;
  assert.ok(animationScene(a, none).frameCount > 0);
  assert.ok(sceneToSvg(animationScene(a), none).startsWith('<svg'));
  assert.ok(animationToSvg(a, none).startsWith('<svg'));
  assert.ok(heatmap([1, 2, 3, 4], 2, 2, none).data.length === 16);
  assert.deepEqual(heatmapRange([1, 2], none), [1, 2]);
  const named = (f: () => unknown, argument: string): void =>
    assert.throws(
      f,
      (e: unknown) => e instanceof DeconvError && e.argument === argument && e.message.includes(argument),
      argument,
    );
  for (const bad of [NaN, Infinity, -1, 0, 'x']) {
    named(() => animationScene(a, { cellSize: bad as number }), 'cellSize');
    named(() => animationScene(a, { frameMs: bad as number }), 'frameMs');
    named(() => animationScene(a, { holdLast: bad as number }), 'holdLast');
    named(
      () => checkerboardScene(checkerboard({ kernelSize: 3, stride: 2 }), { cellSize: bad as number }),
      'cellSize',
    );
  }
  named(() => blankImage(-1, 2), 'width');
  named(() => blankImage(2, 1.5), 'height');
  named(() => blankImage(1e6, 1e6), 'width');
  named(() => colormap('bogus' as 'gray', 0.5), 'name');
  named(() => colormapHex('toString' as 'gray', 0.5), 'name');
  named(() => colormap('gray', 'x' as unknown as number), 't');
  assert.deepEqual(blankImage(0, 0).data.length, 0);
});

test('matrixView: kernelValues must be an array of finite numbers (null was a TypeError, NaN a NaN matrix)', () => {
  for (const kernelValues of [null, 5, [NaN, 1, 2, 3], [1, 2, Infinity, 3], ['1', 2, 3, 4]]) {
    assert.throws(
      () => matrixView({ inputSize: 4, kernelSize: 2, kernelValues: kernelValues as unknown as number[] }),
      (e: unknown) =>
        e instanceof DeconvError && e.argument === 'kernelValues' && /kernelValues/.test(e.message),
      JSON.stringify(kernelValues),
    );
  }
  assert.equal(matrixView({ inputSize: 4, kernelSize: 2, kernelValues: [1, 2, 3, 4] }).kernel.length, 4);
});

test('sizeFormula, sizeFormulaLines: bad records are DeconvErrors naming the field (null and [] were TypeErrors, a bogus op undefined, NaN a NaN formula)', () => {
  const f = sizeFormula as (a: unknown) => unknown;
  throwsArg(() => f(null), 'args', 'sizeFormula: args');
  throwsArg(() => f({ op: 'bogus', inputSize: 3 }), 'op', 'sizeFormula: op');
  throwsArg(() => f({ op: 'conv', inputSize: NaN }), 'inputSize', 'sizeFormula: inputSize');
  throwsArg(() => f({ op: 'conv', inputSize: 4, stride: 0 }), 'stride', 'sizeFormula: stride');
  throwsArg(
    () => f({ op: 'conv', inputSize: 2, kernelSize: 3 }),
    'inputSize',
    'sizeFormula: inputSize',
    'too small',
  );
  throwsArg(() => f({ op: 'convTranspose', inputSize: 2, stride: 2, outputPadding: 2 }), 'outputPadding');
  throwsArg(() => f({ op: 'maxUnpool', inputSize: 2, dilation: 2 }), 'dilation', "op 'maxUnpool'");
  throwsArg(() => f({ op: 'interpolate', inputSize: 2, scale: 0.1 }), 'scale', 'sizeFormula: scale');
  throwsArg(() => f({ op: 'conv', inputSize: 3, bogus: 1 }), 'bogus', 'sizeFormula: bogus');
  const lines = sizeFormulaLines as (p: unknown, n?: unknown) => unknown;
  throwsArg(() => lines([]), 'perDim', 'sizeFormulaLines: perDim');
  throwsArg(() => lines(null), 'perDim', 'sizeFormulaLines: perDim');
  throwsArg(
    () =>
      lines([
        { op: 'conv', inputSize: 3 },
        { op: 'conv', inputSize: 3, stride: NaN },
      ]),
    'perDim',
    'sizeFormulaLines: perDim[1].stride',
  );
  throwsArg(() => lines([{ op: 'conv', inputSize: 3 }], [1]), 'names', 'sizeFormulaLines: names');
});

test('frameworkSnippets: config, inputSize and channels are checked with DeconvErrors naming them', () => {
  const fs = frameworkSnippets as (c: unknown, i: unknown, ch?: unknown) => unknown;
  const ok = { kernelSize: [4], stride: [2], padding: [1], outputPadding: [0], dilation: [1] };
  throwsArg(() => fs(null, [4]), 'config', 'frameworkSnippets: config');
  throwsArg(() => fs({ ...ok, kernelSize: [NaN] }, [4]), 'config', 'frameworkSnippets: config.kernelSize[0]');
  throwsArg(() => fs({ ...ok, stride: undefined }, [4]), 'config', 'config.stride');
  throwsArg(() => fs({ ...ok, outputPadding: [2] }, [4]), 'config', 'config.outputPadding[0]');
  throwsArg(() => fs({ ...ok, padding: [9] }, [4]), 'config', 'config.padding[0]', 'too large');
  throwsArg(() => fs({ ...ok, bogus: 1 }, [4]), 'config', 'config.bogus');
  throwsArg(() => fs(ok, null), 'inputSize', 'frameworkSnippets: inputSize');
  throwsArg(() => fs(ok, [0]), 'inputSize', 'frameworkSnippets: inputSize[0]');
  throwsArg(() => fs(ok, [4], { in: 1.5 }), 'channels', 'frameworkSnippets: channels.in');
  throwsArg(() => fs(ok, [4], { groups: 2 }), 'channels', 'channels.groups');
});

test('textWidth: a non-string text (a TypeError) and a NaN size (a NaN width) are DeconvErrors', () => {
  const tw = textWidth as (t: unknown, s: unknown) => number;
  throwsArg(() => tw(5, 10), 'text', 'textWidth: text');
  throwsArg(() => tw(null, 10), 'text', 'textWidth: text');
  for (const size of [NaN, -1, 0, Infinity, '10']) throwsArg(() => tw('a', size), 'size', 'textWidth: size');
});

test('encodeGif, encodeGifFrames: bad frames, delays and options are DeconvErrors (null was a TypeError or a 1-byte file)', () => {
  const eg = encodeGif as (f: unknown, d: unknown, o?: unknown) => Uint8Array;
  const ef = encodeGifFrames as (n: unknown, f: unknown, d: unknown, o?: unknown) => Uint8Array;
  const img = blankImage(2, 2);
  throwsArg(() => eg(null, []), 'frames', 'encodeGif: frames');
  throwsArg(() => eg([], []), 'frames', 'encodeGif: frames');
  throwsArg(() => eg([img, blankImage(3, 2)], [1, 1]), 'frames', 'encodeGif: frames[1].width');
  throwsArg(() => eg([{ width: 2, height: 2, data: null }], [1]), 'frames', 'encodeGif: frames[0].data');
  throwsArg(() => eg([img], []), 'delays', 'encodeGif: delays.length');
  throwsArg(() => eg([img], [NaN]), 'delays', 'encodeGif: delays[0]');
  throwsArg(() => eg([img], [1], { onFrame: 5 }), 'onFrame', 'encodeGif: onFrame');
  throwsArg(() => eg([img], [1], { bogus: 1 }), 'bogus', 'encodeGif: bogus');
  throwsArg(() => ef(null, () => img, []), 'count', 'encodeGifFrames: count');
  throwsArg(() => ef(0, () => img, []), 'count', 'encodeGifFrames: count');
  throwsArg(() => ef(1, null, [1]), 'frame', 'encodeGifFrames: frame');
  throwsArg(() => ef(2, (t: number) => (t ? null : img), [1, 1]), 'frame', 'encodeGifFrames: frame(1)');
  throwsArg(
    () => ef(1, () => img, [1], { palette: [[0, 0, 256]] }),
    'palette',
    'encodeGifFrames: palette[0]',
  );
});

test('parseColor refuses non-strings and non-colours (they were TypeErrors or magenta); scenes keep #rgb and none', () => {
  const pc = parseColor as (c: unknown) => unknown;
  for (const bad of [5, null, 'red', '#ggg', '#12345', ''])
    throwsArg(() => pc(bad), 'color', 'parseColor: color');
  throwsArg(() => blankImage(2, 2, 'red'), 'color', 'blankImage: color');
  const scene = (fill: string, background = '#ffffff') =>
    ({
      width: 4,
      height: 4,
      background,
      frameCount: 1,
      frameMs: [100],
      shapes: [{ kind: 'rect', x: 0, y: 0, w: 4, h: 4, fill }],
    }) as Parameters<typeof rasterize>[0];
  // 'none' paints nothing, as in the SVG (it was drawn magenta); a background of 'none' is white
  assert.deepEqual([...rasterize(scene('none')).data.slice(0, 4)], [255, 255, 255, 255]);
  assert.deepEqual([...rasterize(scene('#000', 'none')).data.slice(0, 4)], [0, 0, 0, 255]);
  assert.ok(sceneToSvg(scene('none')).includes('fill="none"'));
  throwsArg(() => rasterize(scene('red')), 'scene', 'rasterize: scene.shapes[0].fill');
  throwsArg(() => rasterize(scene('#fff', 'blue')), 'scene', 'rasterize: scene.background');
  throwsArg(() => sceneToSvg(scene('x" onload="alert(1)')), 'scene', 'sceneToSvg: scene.shapes[0].fill');
  throwsArg(() => sceneToGif(scene('#ggg')), 'scene', 'sceneToGif: scene.shapes[0].fill');
  throwsArg(() => rasterize(scene('#fff'), 3), 'frame', 'rasterize: frame');
});

test('sceneToSvg refuses data keys that are not data-* attribute names (they were written unescaped)', () => {
  const scene = (data: Record<string, string | number>) =>
    ({
      width: 4,
      height: 4,
      background: '#ffffff',
      frameCount: 1,
      frameMs: [100],
      shapes: [{ kind: 'rect', x: 0, y: 0, w: 4, h: 4, fill: '#000000', data }],
    }) as Parameters<typeof sceneToSvg>[0];
  for (const key of ['x" onload="alert(1)', 'a b', 'Grid', '1st', '', 'x>y'])
    throwsArg(() => sceneToSvg(scene({ [key]: 1 })), 'scene', 'sceneToSvg: scene.shapes[0].data');
  const svg = sceneToSvg(scene({ grid: 'in"put', 'cell_2.x-y': 3 }));
  assert.ok(svg.includes('data-grid="in&quot;put"'));
  assert.ok(svg.includes('data-cell_2.x-y="3"'));
  assert.ok(!svg.includes('onload'));
});

test('refusals name the function and the argument that caused them', () => {
  // matrixView: was "convOutputSize: inputSize …"
  throwsArg(() => matrixView({ inputSize: 2, kernelSize: 3 }), 'inputSize', 'matrixView: inputSize[0]');
  // checkerboard: was "convTransposeOutputSize: padding …"
  throwsArg(
    () => checkerboard({ kernelSize: 3, stride: 1, padding: 5, inputSize: 2 }),
    'padding',
    'checkerboard: padding',
  );
  // buildAnimation: dilation 1e9 was refused naming `input` (input.shape[2])
  throwsArg(
    () => buildAnimation({ op: 'conv', inputSize: 4, dilation: 1e9 }),
    'inputSize',
    'buildAnimation: inputSize[0]',
    'dilation 1000000000',
  );
  // frame counts: padding, stride and scale grew them, not inputSize
  throwsArg(
    () => buildAnimation({ op: 'conv', inputSize: 4, kernelSize: 1, padding: 40 }),
    'padding',
    'buildAnimation: padding',
    'frame',
  );
  throwsArg(
    () => buildAnimation({ op: 'convTranspose', inputSize: 4, stride: 40 }),
    'stride',
    'buildAnimation: stride',
    "order: 'input'",
  );
  throwsArg(
    () => buildAnimation({ op: 'bilinear', inputSize: 4, scale: 12 }),
    'scale',
    'buildAnimation: scale',
  );
  throwsArg(
    () => buildAnimation({ op: 'bilinear', inputSize: 4, stride: 12 }),
    'stride',
    'buildAnimation: stride',
  );
  assert.throws(() => buildAnimation({ op: 'conv', inputSize: 64, kernelSize: 1 }), deconvError('inputSize'));
  // grids that one frame per input cell did not bound (they ran out of memory and killed the process)
  throwsArg(
    () => buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 1e6, order: 'input' }),
    'stride',
    'buildAnimation: stride',
  );
  throwsArg(
    () => buildAnimation({ op: 'conv', inputSize: 2, stride: 1e6, padding: 1e6 }),
    'padding',
    'buildAnimation: padding',
  );
  throwsArg(
    () => buildAnimation({ op: 'nearest', inputSize: 10, scale: 100 }),
    'scale',
    'buildAnimation: scale',
  );
  // animationToSvg / animationToGif name themselves, not animationScene
  const a = buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 });
  throwsArg(() => animationToSvg(a, { cellSize: -1 }), 'cellSize', 'animationToSvg: cellSize');
  throwsArg(() => animationToGif(a, { holdLast: NaN }), 'holdLast', 'animationToGif: holdLast');
});

test('pictures: unknown option keys are refused, as checkOptions refuses them elsewhere', () => {
  const a = buildAnimation({ op: 'convTranspose', inputSize: 2, stride: 2 });
  const bogus = { bogus: 1 } as unknown as Record<string, never>;
  const scene = animationScene(a);
  const calls: [string, () => unknown][] = [
    ['heatmap', () => heatmap([1, 2, 3, 4], 2, 2, bogus)],
    ['heatmapRange', () => heatmapRange([1, 2], bogus)],
    ['animationScene', () => animationScene(a, bogus)],
    ['sceneToSvg', () => sceneToSvg(scene, bogus)],
    ['animationToSvg', () => animationToSvg(a, bogus)],
    ['sceneToGif', () => sceneToGif(scene, bogus)],
    ['animationToGif', () => animationToGif(a, bogus)],
    ['checkerboard', () => checkerboard({ kernelSize: 3, stride: 2, ...bogus })],
    ['checkerboardScene', () => checkerboardScene(checkerboard({ kernelSize: 3, stride: 2 }), bogus)],
    ['matrixView', () => matrixView({ inputSize: 4, kernelSize: 2, ...bogus })],
  ];
  for (const [fn, call] of calls) throwsArg(call, 'bogus', `${fn}: bogus`);
  // the combined functions take both sets of keys
  assert.ok(animationToSvg(a, { frame: 0, frameMs: 100 }).startsWith('<svg'));
  throwsArg(() => heatmap([1, 2, 3, 4], 2, 2, { min: NaN }), 'min', 'heatmap: min');
  throwsArg(() => heatmapRange([1], { colormap: 'nope' as 'gray' }), 'colormap', 'heatmapRange: colormap');
});
