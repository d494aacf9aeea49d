/**
 * Builds the explorer (web/) into static files in web/dist/: index.html, style.css, main.js (one
 * ESM bundle of web/main.ts and the library, made by esbuild), restore-worker.js (the
 * restoration panel's worker, a bundle of its own) and the sample photo.
 *
 *     npm run build:web            # → web/dist/, open it with any static file server
 *
 * The page imports only the package's public root entry (src/index.ts), which has no Node built-in,
 * so esbuild bundles it with its default browser settings: no plugins, no stubs, no externals.
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository: the nearest folder above this script with web/index.html (also when run from dist/scripts). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'web', 'index.html'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('build-web: cannot find web/index.html above this script');
    dir = up;
  }
}

const ROOT = findRoot();
export const WEB_DIR = join(ROOT, 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');
/** The demo's sample photo; copied into the site as photo.png when it exists. */
const PHOTO = join(ROOT, 'assets', 'photo.png');

export interface BuildWebOptions {
  /** output folder, default web/dist */
  outDir?: string;
  minify?: boolean;
  /** print what was written */
  quiet?: boolean;
}

/** One ES-module bundle of `entry` (and the library it imports) for browsers, at `outfile`. */
export async function bundleForBrowser(entry: string, outfile: string, minify = true): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

/** Builds the site; returns the folder it wrote. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<string> {
  const outDir = options.outDir ?? WEB_DIST;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await bundleForBrowser(join(WEB_DIR, 'main.ts'), join(outDir, 'main.js'), options.minify ?? true);
  // the restoration panel's worker (web/restore-worker.ts), loaded by the page as restore-worker.js
  await bundleForBrowser(
    join(WEB_DIR, 'restore-worker.ts'),
    join(outDir, 'restore-worker.js'),
    options.minify ?? true,
  );
  await copyFile(join(WEB_DIR, 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(WEB_DIR, 'style.css'), join(outDir, 'style.css'));
  const photo = existsSync(PHOTO);
  if (photo) await copyFile(PHOTO, join(outDir, 'photo.png'));
  await buildSegmentPage(join(outDir, 'segment'), options.minify ?? true);
  if (!options.quiet) {
    console.log(
      `explorer built into ${outDir}${photo ? '' : ' (no assets/photo.png yet: the page draws its own sample)'}`,
    );
  }
  return outDir;
}

/** The shipped segmentation weights (deconv segment train --out models/segment). */
const SEGMENT_MODELS = join(ROOT, 'models', 'segment');

/**
 * The segmentation explorer (web/segment/) into `outDir`: its page, its bundle, and the shipped
 * weights it runs (segment.json and, per decoder, the run of the lowest seed) under models/.
 */
async function buildSegmentPage(outDir: string, minify: boolean): Promise<void> {
  await mkdir(join(outDir, 'models'), { recursive: true });
  await bundleForBrowser(join(WEB_DIR, 'segment', 'main.ts'), join(outDir, 'main.js'), minify);
  await copyFile(join(WEB_DIR, 'segment', 'index.html'), join(outDir, 'index.html'));
  const summary = join(SEGMENT_MODELS, 'segment.json');
  if (!existsSync(summary)) return;
  await copyFile(summary, join(outDir, 'models', 'segment.json'));
  const runs = (
    JSON.parse(await readFile(summary, 'utf8')) as { runs: { decoder: string; seed: number; file: string }[] }
  ).runs;
  const first = new Map<string, { seed: number; file: string }>();
  for (const r of runs)
    if (!first.has(r.decoder) || r.seed < first.get(r.decoder)!.seed) first.set(r.decoder, r);
  for (const { file } of first.values())
    await copyFile(join(SEGMENT_MODELS, file), join(outDir, 'models', file));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildWeb().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
