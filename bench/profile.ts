/**
 * `npm run bench -- --profile [--only W1]`: runs deconv on each selected workload under V8's
 * sampling CPU profiler (the profiler of `node --cpu-prof`, started through node:inspector around
 * the case only, so start-up and module loading stay out) and summarises the profile: self time per
 * function and per source file, so a missed target comes with where the time goes.
 *
 * WebAssembly functions without a name section appear as `wasm-function[i]`; when the index is an
 * export of deconv's kernel module the summary adds its export name.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeasureOptions } from './engine.js';
import { nodeWorker } from './workers.js';
import { fileStem, type Workload } from './workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  key: string;
  file: string;
  totalMs: number;
  note?: string;
  functions: { name: string; where: string; selfMs: number; share: number }[];
  files: { where: string; selfMs: number; share: number }[];
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** Function index → export name, from a module's export section. */
export function wasmExportNames(bytes: Uint8Array): Map<number, string> {
  let p = 8; // magic + version
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return result;
    }
  };
  const name = (): string => {
    const n = leb();
    const s = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const names = new Map<number, string>();
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    const end = p + size;
    // Export indices are in the same function index space as V8's `wasm-function[i]` (imports first).
    if (id === 7) {
      for (let i = leb(); i > 0; i--) {
        const n = name();
        const kind = bytes[p++]!;
        const index = leb();
        if (kind === 0) names.set(index, n);
      }
    }
    p = end;
  }
  return names;
}

/**
 * Names for `wasm-function[i]` from the export section of the build of deconv's kernel module that
 * ran (`variant`, from the runner's notes). Empty if that module is not there.
 */
async function kernelNames(variant: string | undefined): Promise<Map<number, string>> {
  try {
    // A specifier in a variable: the module is deconv's internal build output, not a dependency.
    const specifier = '../src/kernels/wasm/binary.generated.js';
    const mod = (await import(specifier)) as { wasmBase64?: Record<string, string> };
    const b64 = variant === undefined ? undefined : mod.wasmBase64?.[variant];
    return b64 === undefined ? new Map() : wasmExportNames(new Uint8Array(Buffer.from(b64, 'base64')));
  } catch {
    return new Map();
  }
}

function where(url: string): string {
  if (url === '') return '(native / V8)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(root) ? relative(root, path) : path;
}

/** Self time by function and by file, largest first. */
export function summarise(
  key: string,
  file: string,
  profile: CpuProfile,
  wasmNames = new Map<number, string>(),
  top = 12,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const wasmIndex = (n: ProfileNode): number | null => {
    const m = /^wasm-function\[(\d+)\]$/.exec(n.callFrame.functionName);
    return m ? Number(m[1]) : null;
  };
  // An internal WebAssembly function is named after the nearest exported one that called it.
  const wasmName = (n: ProfileNode): string | undefined => {
    const own = wasmNames.get(wasmIndex(n) ?? -1);
    if (own !== undefined) return own;
    for (let id = parent.get(n.id); id !== undefined; id = parent.get(id)) {
      const i = wasmIndex(byId.get(id)!);
      if (i === null) return undefined;
      const name = wasmNames.get(i);
      if (name !== undefined) return `in ${name}`;
    }
    return undefined;
  };
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    total += us;
    const w = where(f.url);
    // Samples inside the inspector session's own frames are the profiler, not the case.
    let inspector = f.url === 'node:inspector';
    for (let id = parent.get(n.id); !inspector && id !== undefined; id = parent.get(id)) {
      inspector = byId.get(id)!.callFrame.url === 'node:inspector';
    }
    if (inspector) {
      const k = '(profiler: node:inspector session)';
      const e = fn.get(k) ?? { name: k, where: 'node:inspector', us: 0 };
      e.us += us;
      fn.set(k, e);
      files.set('node:inspector', (files.get('node:inspector') ?? 0) + us);
      continue;
    }
    const wasm = wasmIndex(n) === null ? undefined : wasmName(n);
    const name = wasm ? `${f.functionName} (${wasm})` : f.functionName || '(anonymous)';
    // tsx's transpiled modules put everything on line 1: name and file identify a function.
    const k = `${name}@${w}`;
    const e = fn.get(k) ?? { name, where: w, us: 0 };
    e.us += us;
    fn.set(k, e);
    files.set(w, (files.get(w) ?? 0) + us);
  }
  return {
    key,
    file,
    totalMs: total / 1000,
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: e.us / total })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([w, us]) => ({ where: w, selfMs: us / 1000, share: us / total })),
  };
}

/**
 * Profiles deconv on each workload at `threads` (inputs already written into `dir`): one runner
 * with DECONV_BENCH_PROFILE set records each case (cold call, warm-up and timed calls, nothing
 * else) with V8's sampling profiler.
 */
export async function profileDeconv(
  workloads: Workload[],
  threads: number,
  options: MeasureOptions,
  dir: string,
): Promise<(ProfileSummary | string)[]> {
  const profDir = join(dir, 'profiles');
  mkdirSync(profDir, { recursive: true });
  const w = nodeWorker('deconv', threads, { ...process.env, DECONV_BENCH_PROFILE: profDir });
  const out: (ProfileSummary | string)[] = [];
  try {
    const started = await w.start();
    if (started.type === 'skipped') return workloads.map(() => `deconv skipped: ${started.reason}`);
    const variant = started.notes.map((n) => /WebAssembly build '(\w+)'/.exec(n)?.[1]).find((v) => v);
    const names = await kernelNames(variant);
    for (const wl of workloads) {
      const refFile = join(dir, `${fileStem(wl)}.ref.bin`);
      const r = await w.run({ type: 'run', workload: wl, options, refFile, writeRef: false, threads });
      const file = join(profDir, `${fileStem(wl)}.cpuprofile`);
      if (r.status !== 'ok' || !existsSync(file)) {
        out.push(`${wl.key}: ${r.status} ${r.reason ?? 'no profile written'}`);
        continue;
      }
      const s = summarise(wl.key, file, JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, names);
      s.note = `median ${r.medianMs!.toFixed(2)} ms over ${r.runs} runs while profiled; ${started.notes.join('; ')}`;
      out.push(s);
    }
  } finally {
    w.close();
  }
  return out;
}

export function renderProfile(s: ProfileSummary, md: boolean): string {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const lines = [
    md
      ? `\n#### Profile of deconv on ${s.key}\n\n${s.totalMs.toFixed(0)} ms of samples over the case (cold call, warm-up, timed runs); ${s.note ?? ''}\n`
      : `\nProfile of deconv on ${s.key}: ${s.totalMs.toFixed(0)} ms of samples over the case (cold call, warm-up, timed runs); ${s.note ?? ''}`,
  ];
  const row = (cells: string[]): string => (md ? `| ${cells.join(' | ')} |` : `  ${cells.join('  ')}`);
  if (md) lines.push('| self | share | function | where |', '| ---: | ---: | --- | --- |');
  for (const f of s.functions) lines.push(row([`${f.selfMs.toFixed(0)} ms`, pct(f.share), f.name, f.where]));
  lines.push(md ? '\nBy file:\n' : '  by file:');
  if (md) lines.push('| self | share | file |', '| ---: | ---: | --- |');
  for (const f of s.files) lines.push(row([`${f.selfMs.toFixed(0)} ms`, pct(f.share), f.where]));
  return lines.join('\n');
}
