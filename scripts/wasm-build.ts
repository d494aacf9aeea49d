/**
 * What the two WebAssembly builds share (scripts/build-wasm.ts for asm/, scripts/build-wasm-fft.ts
 * for asm-fft/): the AssemblyScript compiler called in memory, the hash of a module's sources
 * that its generated file records, the base64 embedding, prettier on the generated file, and the
 * command line (`--check`, `--if-stale`, or always rebuild).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The installed AssemblyScript version (part of every source hash). */
export function compilerVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}

/**
 * SHA-256 over the `.ts` files of `dir` (name and contents, by name), then the contents of
 * `files`, the compiler options (as JSON) and the compiler version.
 */
export function sourceHash(dir: string, files: readonly string[], options: unknown): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.ts')) continue;
    h.update(name);
    h.update(readFileSync(join(dir, name)));
  }
  for (const f of files) h.update(readFileSync(f));
  h.update(JSON.stringify(options));
  h.update(compilerVersion());
  return h.digest('hex');
}

/** The `sourceHash` recorded in a generated module, or null when there is none. */
export function recordedHash(generated: string): string | null {
  if (!existsSync(generated)) return null;
  const m = /sourceHash = '([0-9a-f]+)'/.exec(readFileSync(generated, 'utf8'));
  return m ? m[1]! : null;
}

/** Compiles `entry` with asc and the given flags, in memory; returns the binary. */
export async function compile(entry: string, flags: readonly string[]): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  let binary: Uint8Array | null = null;
  const errors: string[] = [];
  const { error } = await asc.main([entry, ...flags, '--outFile', 'out.wasm'], {
    writeFile(name, contents) {
      if (name.endsWith('.wasm') && contents instanceof Uint8Array) binary = contents;
    },
    stderr: {
      write(text: string | Uint8Array) {
        errors.push(typeof text === 'string' ? text : new TextDecoder().decode(text));
        return true;
      },
    } as never,
  });
  if (error || binary === null) throw new Error(`asc failed: ${error?.message ?? ''}\n${errors.join('')}`);
  return binary;
}

/** A binary as base64 string literals of 96 characters, one per line, joined by `+`. */
export function base64Lines(bin: Uint8Array): string {
  const s = Buffer.from(bin).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 96) lines.push(`  '${s.slice(i, i + 96)}'`);
  return lines.join(' +\n');
}

/** Writes `text` to `file`, formatted by prettier with the project's options. */
export async function writeFormatted(file: string, text: string): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

/**
 * The command line of a build script: `--check` exits 1 when `generated` does not record `hash`,
 * `--if-stale` builds only then, no flag always builds.
 */
export async function buildMain(
  args: readonly string[],
  generated: string,
  hash: () => string,
  build: () => Promise<void>,
): Promise<void> {
  const fresh = recordedHash(generated) === hash();
  if (args.includes('--check')) {
    if (!fresh) {
      console.error(`${generated} is stale or missing: run npm run build:wasm`);
      process.exit(1);
    }
    return;
  }
  if (args.includes('--if-stale') && fresh) return;
  await build();
}
