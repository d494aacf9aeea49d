/**
 * `resize`: ONNX Resize's rules as a differentiable op. Its values on ONNX's own Resize/Upsample
 * node tests are checked through importOnnx (test/onnx-node.test.ts); here: interpolate's PyTorch
 * modes as settings of resize give PyTorch 1.13's outputs and gradients (the interpolate fixtures
 * of scripts/gen_fixtures.py), finite-difference gradients, and the argument checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeconvError, Tensor, gradcheck, resize, tensor, type ResizeOptions } from '../src/index.js';
import { loadFixture, type FixtureTensor } from './fixture-util.js';

function t(f: FixtureTensor): Tensor {
  return tensor(f.data, f.shape);
}
function close(what: string, a: Tensor, e: FixtureTensor, tol = 1e-4): void {
  assert.deepEqual([...a.shape], f(e.shape), `${what}: shape`);
  const scale = Math.max(1, ...e.data.map(Math.abs));
  e.data.forEach((v, k) =>
    assert.ok(Math.abs(a.data[k]! - v) <= tol * scale, `${what}: element ${k} = ${a.data[k]}, PyTorch ${v}`),
  );
}
function f(s: number[]): number[] {
  return [...s];
}

/** interpolate's PyTorch modes as resize settings (the table in src/ops/resize.ts). */
function asResize(mode: string, alignCorners: boolean): Omit<ResizeOptions, 'sizes'> | null {
  switch (mode) {
    case 'nearest':
      return { mode: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' };
    case 'nearest-exact':
      return {
        mode: 'nearest',
        coordinateTransformationMode: 'half_pixel',
        nearestMode: 'round_prefer_ceil',
      };
    case 'linear':
    case 'bilinear':
    case 'trilinear':
      return { mode: 'linear', coordinateTransformationMode: alignCorners ? 'align_corners' : 'half_pixel' };
    case 'bicubic':
      return { mode: 'cubic', coordinateTransformationMode: alignCorners ? 'align_corners' : 'half_pixel' };
    default:
      return null; // 'area' is adaptive pooling
  }
}

test("interpolate's PyTorch modes as resize settings give PyTorch 1.13's outputs and gradients", () => {
  const cases = loadFixture('interpolate.json').cases;
  let checked = 0;
  for (const c of cases) {
    const opts = (c.args[1] as { options: Record<string, unknown> }).options;
    const size = opts['size'];
    if (size === undefined) continue; // with scaleFactor PyTorch samples at 1 / scaleFactor in float32
    const settings = asResize(
      (opts['mode'] as string | undefined) ?? 'nearest',
      opts['alignCorners'] === true,
    );
    if (!settings) continue;
    const x = t(c.inputs['input']!);
    const d = Array.isArray(size) ? size.length : x.shape.length - 2;
    if (x.shape.length !== d + 2) continue;
    const xg = tensor(x.data, x.shape, { requiresGrad: true });
    const y = resize(xg, {
      ...settings,
      sizes: Array.isArray(size) ? (size as number[]) : new Array<number>(d).fill(size as number),
    });
    close(`${c.name} output`, y, c.output);
    y.backward(t(c.gradOutput));
    close(`${c.name} gradient`, xg.grad!, c.grads['input']!);
    checked++;
  }
  assert.ok(checked >= 40, `checked ${checked} PyTorch cases`);
});

test('resize: finite-difference gradients in every mode, including extrapolation', () => {
  const x = tensor(
    Float64Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i * 1.3)),
    [1, 2, 3, 5],
  );
  const settings: ResizeOptions[] = [
    { sizes: [5, 4], mode: 'linear' },
    { sizes: [7, 3], mode: 'cubic', excludeOutside: true, cubicCoeffA: -0.5 },
    { scales: [0.6, 1.7], mode: 'cubic', coordinateTransformationMode: 'align_corners' },
    {
      sizes: [4, 4],
      mode: 'linear',
      coordinateTransformationMode: 'tf_crop_and_resize',
      roi: [-0.3, 0.2, 0.8, 1.4],
      extrapolationValue: 3,
    },
    {
      sizes: [6, 9],
      mode: 'nearest',
      nearestMode: 'ceil',
      coordinateTransformationMode: 'tf_half_pixel_for_nn',
    },
  ];
  for (const o of settings) {
    const xg = new Tensor(Float64Array.from(x.data), x.shape, true);
    const r = gradcheck((v) => resize(v, o), [xg]);
    assert.ok(r.ok, `${JSON.stringify(o)}: ${r.message}`);
  }
});

test('resize: unbatched input, and the argument checks name the argument', () => {
  const x = tensor(
    new Float32Array(2 * 4 * 4).map((_, i) => i),
    [2, 4, 4],
  );
  assert.deepEqual([...resize(x, { sizes: [8, 2], mode: 'linear' }).shape], [2, 8, 2], 'unbatched (C, H, W)');
  const bad: [ResizeOptions, string][] = [
    [{ sizes: [2, 2], scales: [1, 1] }, 'scales'],
    [{} as ResizeOptions, 'sizes'],
    [{ sizes: [2, 0] }, 'sizes'],
    [{ scales: [0.1, 1] }, 'scales'],
    [{ sizes: [2, 2], mode: 'area' as never }, 'mode'],
    [{ sizes: [2, 2], coordinateTransformationMode: 'tf' as never }, 'coordinateTransformationMode'],
    [{ sizes: [2, 2], nearestMode: 'up' as never }, 'nearestMode'],
    [{ sizes: [2, 2], roi: [0, 0, 1, 1] }, 'roi'],
    [{ sizes: [2, 2], coordinateTransformationMode: 'tf_crop_and_resize', roi: [0, 1] }, 'roi'],
    [{ sizes: [2, 2], speed: 1 } as never, 'speed'],
  ];
  for (const [o, argument] of bad) {
    assert.throws(
      () => resize(x, o),
      (e: unknown) => e instanceof DeconvError && e.argument === argument,
      `${JSON.stringify(o)} is refused naming ${argument}`,
    );
  }
  assert.throws(
    () => resize(tensor([1, 2], [1, 2], { dtype: 'int32' }), { sizes: [3] }),
    (e: unknown) => e instanceof DeconvError && e.argument === 'input',
    'int32 input',
  );
});
