/**
 * Every op against PyTorch 1.13: the committed fixtures of scripts/gen_fixtures.py (random
 * configurations covering each option, dimension count, batched and unbatched input) and
 * scripts/gen_fixtures_conv.py (convolutions past the fast path's WebAssembly thresholds, and
 * conv*Input / conv*Weight), replayed over every kernel path: 'reference', 'fast' (which picks
 * WebAssembly by size, as users get it) and 'wasm' (WebAssembly for every call) once per
 * WebAssembly build the machine runs. Output, indices and the gradient of every float input are
 * compared. On 'fast', the conv_large.json transposed convolutions must reach the WebAssembly
 * kernel their "kernel" field names (sub-pixel or GEMM + col2im).
 *
 * One test per fixture file and kernel path, a subtest per op (which fails once, clearly, while the
 * op is not exported yet) and a subtest per case. `FIXTURE_FILTER=conv2d` runs only the cases whose
 * name contains that text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, byOp, loadFixture, runCase, type Lib, type OpFunction } from './fixture-util.js';
import { observeScatterKernels, type ScatterKernel } from '../src/kernels/dispatch.js';
import { WASM_VARIANTS, setWasmVariant, wasmSupport, type WasmVariant } from '../src/kernels/wasm/loader.js';
import { subpixelStats } from '../src/kernels/wasm/subpixel.js';

let lib: Lib | undefined;
let importError: unknown;
try {
  lib = await import('../src/index.js');
} catch (error) {
  importError = error;
}

const filter = process.env['FIXTURE_FILTER'];

type Run = { path: 'reference' | 'fast' | 'wasm'; variant: WasmVariant | 'auto' };
const RUNS: Run[] = [
  { path: 'reference', variant: 'auto' },
  { path: 'fast', variant: 'auto' },
  ...WASM_VARIANTS.filter((v) => wasmSupport()[v]).map((variant): Run => ({ path: 'wasm', variant })),
];

for (const { path, variant } of RUNS) {
  const label = path === 'wasm' ? `wasm kernels, ${variant} build` : `${path} kernels`;
  for (const family of FAMILIES) {
    test(`PyTorch fixtures ${family.file} [${label}]`, async (t) => {
      if (lib === undefined) {
        assert.fail(
          `cannot import ../src/index.js: ${importError instanceof Error ? importError.stack : String(importError)}`,
        );
      }
      const library = lib;
      const fixture = loadFixture(family.file);
      for (const [op, cases] of byOp(fixture.cases)) {
        const selected = filter ? cases.filter((c) => c.name.includes(filter)) : cases;
        if (selected.length === 0) continue;
        await t.test(`${op} (${selected.length} cases, torch ${fixture.torch})`, async (t2) => {
          const fn = (library as unknown as Record<string, unknown>)[op];
          if (typeof fn !== 'function') {
            assert.fail(
              `${op} is not exported from src/index.ts (got ${typeof fn}); its ${selected.length} cases did not run`,
            );
          }
          for (const c of selected) {
            await t2.test(c.name, () => {
              library.setKernelPath(path);
              setWasmVariant(variant);
              const seen: ScatterKernel[] = [];
              observeScatterKernels((k) => seen.push(k));
              try {
                runCase(library, fn as OpFunction, c, family.tolerance);
                if (c.unbatched) runCase(library, fn as OpFunction, c, family.tolerance, true);
              } finally {
                observeScatterKernels(null);
                setWasmVariant('auto');
                library.setKernelPath('fast');
              }
              // The forward pass is the first scatter of a transposed convolution.
              if (c.kernel !== undefined && path !== 'reference') {
                assert.equal(
                  seen[0],
                  c.kernel,
                  `${c.name} [${label}]: forward ran ${String(seen[0])}, expected ${c.kernel}`,
                );
              }
            });
          }
        });
      }
    });
  }
}

test('fixtures: every file is present and from the generator', () => {
  for (const family of FAMILIES) {
    const fixture = loadFixture(family.file);
    assert.equal(fixture.generator, family.generator ?? 'scripts/gen_fixtures.py', family.file);
    assert.equal(fixture.count, fixture.cases.length, family.file);
    assert.ok(fixture.cases.length > 0, family.file);
  }
});

test('fixtures: conv_large.json reaches both WebAssembly transposed-convolution kernels', () => {
  const kernels = loadFixture('conv_large.json')
    .cases.map((c) => c.kernel)
    .filter((k) => k !== undefined);
  assert.ok(kernels.includes('subpixel'), 'no conv_large case for the sub-pixel kernel');
  assert.ok(kernels.includes('col2im'), 'no conv_large case for the GEMM + col2im kernel');
});

test('fixtures: the U-Net k2 s2 case of conv_large.json reaches the GEMM that stores its phases into x', () => {
  assert.ok(lib !== undefined, 'cannot import ../src/index.js');
  const library = lib;
  const name = 'convTranspose2d/large16';
  const c = loadFixture('conv_large.json').cases.find((x) => x.name === name);
  assert.ok(c !== undefined, `${name} is missing from conv_large.json`);
  const family = FAMILIES.find((f) => f.file === 'conv_large.json');
  assert.ok(family !== undefined);
  const fn = (library as unknown as Record<string, unknown>)[c.op] as OpFunction;
  for (const variant of WASM_VARIANTS.filter((v) => wasmSupport()[v])) {
    const before = subpixelStats.gemmStores;
    library.setKernelPath('wasm');
    setWasmVariant(variant);
    try {
      runCase(library, fn, c, family.tolerance);
    } finally {
      setWasmVariant('auto');
      library.setKernelPath('fast');
    }
    assert.ok(subpixelStats.gemmStores > before, `${name} [${variant}]: the GEMM did not store the phases`);
  }
});
