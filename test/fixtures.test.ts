/**
 * Every op against PyTorch 1.13: the committed fixtures of scripts/gen_fixtures.py (random
 * configurations covering each option, dimension count, batched and unbatched input), replayed
 * over both kernel paths. Output, indices and the gradient of every float input are compared.
 *
 * One test per fixture file and kernel path, a subtest per op (which fails once, clearly, while the
 * op is not exported yet) and a subtest per case. `FIXTURE_FILTER=conv2d` runs only the cases whose
 * name contains that text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, byOp, loadFixture, runCase, type Lib, type OpFunction } from './fixture-util.js';

let lib: Lib | undefined;
let importError: unknown;
try {
  lib = await import('../src/index.js');
} catch (error) {
  importError = error;
}

const filter = process.env['FIXTURE_FILTER'];

for (const path of ['reference', 'fast'] as const) {
  for (const family of FAMILIES) {
    test(`PyTorch fixtures ${family.file} [${path} kernels]`, async (t) => {
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
              runCase(library, fn as OpFunction, c, family.tolerance);
              if (c.unbatched) runCase(library, fn as OpFunction, c, family.tolerance, true);
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
    assert.equal(fixture.generator, 'scripts/gen_fixtures.py', family.file);
    assert.equal(fixture.count, fixture.cases.length, family.file);
    assert.ok(fixture.cases.length > 0, family.file);
  }
});
