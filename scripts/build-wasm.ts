/**
 * Compiles the WebAssembly kernels (asm/, AssemblyScript) three times — relaxed SIMD, SIMD and
 * scalar — and embeds the binaries as base64 in src/kernels/wasm/binary.generated.ts, so that Node
 * and bundlers (the explorer is bundled with esbuild) load them the same way, with no file I/O and
 * no fetch.
 *
 *     npm run build:wasm                                   # always rebuilds
 *     node --import tsx scripts/build-wasm.ts --if-stale   # rebuilds when asm/ changed (pretest)
 *     node --import tsx scripts/build-wasm.ts --check      # exits 1 when the module is stale
 *
 * asm/params.ts (the field indices of the kernels' parameter records) is generated too, from
 * src/kernels/wasm/layout.ts, the one definition of those records: every mode writes it afresh
 * when it differs (--check: exits 1), before the hash of asm/ is taken.
 *
 * The generated module is committed (it is small, about 40 KB of base64): a fresh clone typechecks, lints,
 * bundles and runs without a build step, and it records a hash of asm/ and of the compiler options
 * so that `--check` (and test/wasm.test.ts) catch a binary that no longer matches its sources.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asmParamsSource } from '../src/kernels/wasm/layout.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ASM = join(ROOT, 'asm');
export const GENERATED = join(ROOT, 'src', 'kernels', 'wasm', 'binary.generated.ts');
export const PARAMS = join(ASM, 'params.ts');

/** asm/params.ts as generated from src/kernels/wasm/layout.ts, formatted by prettier. */
export async function expectedParams(): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(PARAMS)) ?? {};
  return prettier.format(asmParamsSource(), { ...options, filepath: PARAMS });
}

/** Whether asm/params.ts matches the layout (written afresh unless `checkOnly`). */
async function syncParams(checkOnly: boolean): Promise<boolean> {
  const want = await expectedParams();
  if (existsSync(PARAMS) && readFileSync(PARAMS, 'utf8') === want) return true;
  if (!checkOnly) {
    writeFileSync(PARAMS, want);
    console.log(`wrote ${PARAMS}`);
  }
  return false;
}

/** The three builds; the feature flags decide ASC_FEATURE_SIMD / ASC_FEATURE_RELAXED_SIMD. */
export const VARIANTS = {
  relaxed: ['--enable', 'simd', '--enable', 'relaxed-simd'],
  simd: ['--enable', 'simd'],
  scalar: [],
} as const;
/**
 * No GC and no allocator (the caller lays out memory), full optimisation. The memory is imported
 * and declared shared (the worker pool runs the same module on it from several threads, see
 * src/kernels/wasm/threads.ts); where shared memory is unavailable the loader clears the shared
 * flag of that import before compiling (src/kernels/wasm/loader.ts). The module has no data
 * segments, so instantiating it in a worker writes nothing into the shared memory.
 */
const COMMON = [
  '-O3',
  '--runtime',
  'stub',
  '--noAssert',
  '--enable',
  'threads',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '32768',
];

function compilerVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(ROOT, 'node_modules', 'assemblyscript', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}

/** SHA-256 over asm/'s sources, the compiler options and the compiler version. */
export function asmSourceHash(): string {
  const h = createHash('sha256');
  for (const name of readdirSync(ASM).sort()) {
    if (!name.endsWith('.ts')) continue;
    h.update(name);
    h.update(readFileSync(join(ASM, name)));
  }
  h.update(JSON.stringify({ VARIANTS, COMMON }));
  h.update(compilerVersion());
  return h.digest('hex');
}

/** The hash recorded in the generated module, or null when there is none. */
export function generatedHash(): string | null {
  if (!existsSync(GENERATED)) return null;
  const m = /sourceHash = '([0-9a-f]+)'/.exec(readFileSync(GENERATED, 'utf8'));
  return m ? m[1]! : null;
}

async function compile(flags: readonly string[]): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  let binary: Uint8Array | null = null;
  const errors: string[] = [];
  const { error } = await asc.main([join(ASM, 'index.ts'), ...COMMON, ...flags, '--outFile', 'out.wasm'], {
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

function chunk(s: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(`  '${s.slice(i, i + width)}'`);
  return lines.join(' +\n');
}

export async function buildWasm(quiet = false): Promise<void> {
  const hash = asmSourceHash();
  const parts: string[] = [];
  for (const [name, flags] of Object.entries(VARIANTS)) {
    const bin = await compile(flags);
    if (!quiet) console.log(`asm → ${name}.wasm: ${bin.length} bytes`);
    parts.push(`  ${name}:\n${chunk(Buffer.from(bin).toString('base64'), 96)},`);
  }
  const text = `// Generated by scripts/build-wasm.ts from asm/ (npm run build:wasm). Do not edit.
// AssemblyScript ${compilerVersion()}; three builds of the same sources, base64.

/** SHA-256 of asm/, the compiler options and the compiler version this module was built from. */
export const sourceHash = '${hash}';

export const wasmBase64: Readonly<Record<'relaxed' | 'simd' | 'scalar', string>> = {
${parts.join('\n')}
};
`;
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(GENERATED)) ?? {};
  writeFileSync(GENERATED, await prettier.format(text, { ...options, filepath: GENERATED }));
  if (!quiet) console.log(`wrote ${GENERATED}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const paramsFresh = await syncParams(args.includes('--check'));
  if (!paramsFresh && args.includes('--check')) {
    console.error(`${PARAMS} does not match src/kernels/wasm/layout.ts: run npm run build:wasm`);
    process.exit(1);
  }
  const fresh = generatedHash() === asmSourceHash();
  if (args.includes('--check')) {
    if (!fresh) {
      console.error(`${GENERATED} is stale or missing: run npm run build:wasm`);
      process.exit(1);
    }
    return;
  }
  if (args.includes('--if-stale') && fresh) return;
  await buildWasm();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
