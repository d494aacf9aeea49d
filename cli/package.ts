/**
 * The installed package, found from this file (sources or dist/): its folder, its version, and the
 * sample photo it ships, so `--version` and the help's examples work from any directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: { dir: string; version: string } | undefined;

function find(): { dir: string; version: string } {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'deconv') return (root = { dir, version: pkg.version ?? '0.0.0' });
      } catch {
        // not ours: keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('the deconv package folder was not found above cli/');
    dir = up;
  }
}

/** The folder of the package (the one whose package.json is named `deconv`). */
export function packageRoot(): string {
  return find().dir;
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return find().version;
}

/** The sample photo shipped in the package (assets/photo.png), as an absolute path. */
export function samplePhoto(): string {
  return join(packageRoot(), 'assets', 'photo.png');
}
