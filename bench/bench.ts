/**
 * `npm run bench`: deconv against ONNX Runtime (native and WebAssembly), TensorFlow.js (cpu and wasm
 * backends) and PyTorch on the workloads of issue 3, at 1 and 2 threads, in one run.
 *
 *   npm run bench                        full run, text tables
 *   npm run bench -- --quick             smoke test: small batches, 3 timed runs
 *   npm run bench -- --only W1,W5/nearest
 *   npm run bench -- --engines deconv,ort-node,pytorch --threads 1
 *   npm run bench -- --json              machine-readable results on stdout (progress on stderr)
 *   npm run bench -- --markdown          the tables as Markdown (for bench/RESULTS.md)
 *   npm run bench -- --budget 30         seconds of timed runs per case before a slow one stops at 3
 *   npm run bench -- --rounds 3          repeat the sweep, keep each case's best round (shared machines)
 *   npm run bench -- --profile --only W1 deconv alone under V8's CPU profiler, self time summarised
 *   npm run bench -- --save run.json     also write the results as JSON; --from run.json renders them
 *
 * Each engine runs at each thread count in its own process (bench/runner.ts; PyTorch through
 * bench/torch_bench.py), all started up front; the workloads then go round them one at a time, so
 * every engine meets a workload within the same few minutes of machine load. deconv goes first on
 * each workload and its output is the reference every other engine's output is compared with on the
 * same input files (max |Δ|, flagged above 1e-4 of the output's scale). Targets (issue 3) compare
 * each engine's best median with at most t threads at thread count t.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, EngineName, EngineReport, MeasureOptions } from './engine.js';
import { profileDeconv, renderProfile } from './profile.js';
import { nodeWorker, probeTorch, torchWorker, type Started, type Worker } from './workers.js';
import { fileStem, makeWorkloads, selectWorkloads, writeInputs, type Workload } from './workloads.js';

type Name = EngineName | 'pytorch';
const ALL: readonly Name[] = [
  'deconv',
  'ort-node',
  'ort-export',
  'ort-web',
  'tfjs-cpu',
  'tfjs-wasm',
  'pytorch',
];
const LABEL: Record<Name, string> = {
  deconv: 'deconv',
  'ort-node': 'onnxruntime-node',
  'ort-export': 'onnxruntime-node on exportOnnx',
  'ort-web': 'onnxruntime-web',
  'tfjs-cpu': 'tfjs-cpu',
  'tfjs-wasm': 'tfjs-wasm',
  pytorch: 'PyTorch',
};
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

interface Args {
  json: boolean;
  markdown: boolean;
  quick: boolean;
  only: string[];
  engines: Name[];
  threads: number[];
  budgetS: number;
  keep: boolean;
  profile: boolean;
  save?: string;
  from?: string;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    json: false,
    markdown: false,
    quick: false,
    only: [],
    engines: [...ALL],
    threads: [1, 2],
    budgetS: 20,
    keep: false,
    profile: false,
    rounds: 1,
  };
  const list = (i: number): string[] => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${argv[i - 1]} needs a value`);
    return v.split(',').filter((s) => s.length > 0);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = (): string[] => (inline !== undefined ? inline.split(',') : list(++i));
    switch (flag) {
      case '--json':
        a.json = true;
        break;
      case '--markdown':
      case '--md':
        a.markdown = true;
        break;
      case '--quick':
        a.quick = true;
        break;
      case '--keep':
        a.keep = true;
        break;
      case '--profile':
        a.profile = true;
        break;
      case '--save':
        a.save = value()[0];
        break;
      case '--from':
        a.from = value()[0];
        break;
      case '--only':
        a.only = value();
        break;
      case '--engines': {
        const e = value();
        const bad = e.filter((x) => !ALL.includes(x as Name));
        if (bad.length > 0)
          throw new Error(`--engines: unknown ${bad.join(', ')} (known: ${ALL.join(', ')})`);
        a.engines = ALL.filter((x) => e.includes(x));
        if (!a.engines.includes('deconv')) a.engines.unshift('deconv');
        break;
      }
      case '--threads': {
        a.threads = [...new Set(value().map(Number))].sort((x, y) => x - y);
        if (a.threads.some((t) => !Number.isInteger(t) || t < 1))
          throw new Error('--threads: positive integers');
        break;
      }
      case '--rounds':
        a.rounds = Number(value()[0]);
        if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds: a positive integer');
        break;
      case '--budget':
        a.budgetS = Number(value()[0]);
        if (!(a.budgetS > 0)) throw new Error('--budget: seconds > 0');
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          readFileSync(here('./bench.ts'), 'utf8')
            .split('*/')[0]!
            .replace(/^\/\*\*|^ \* ?/gm, ''),
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  return a;
}

function machine(): Record<string, string | number> {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  let flags = '';
  try {
    const f = /flags\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(' ') ?? [];
    flags = ['avx2', 'fma', 'avx512f'].filter((x) => f.includes(x)).join(' ');
  } catch {
    // not Linux
  }
  return {
    nproc: availableParallelism(),
    cpu,
    cpuFlags: flags,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
  };
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// ---------------------------------------------------------------- running the engines

interface Slot {
  engine: Name;
  threads: number;
  worker: Worker | null;
  report: EngineReport;
}

const failed = (e: unknown): Started => ({
  type: 'skipped',
  reason: e instanceof Error ? e.message : String(e),
});

/** Starts every engine at every thread count (each in its own process), in table order. */
async function startEngines(engines: Name[], threads: number[], log: (s: string) => void): Promise<Slot[]> {
  const slots: Slot[] = [];
  const slot = (engine: Name, t: number, started: Started, worker: Worker | null): void => {
    const report: EngineReport =
      started.type === 'ready'
        ? { engine, threads: t, version: started.version, notes: started.notes, results: [] }
        : { engine, threads: t, version: '', notes: [], skipped: started.reason, results: [] };
    slots.push({ engine, threads: t, worker: started.type === 'ready' ? worker : null, report });
    log(`  ${LABEL[engine]} at ${t}: ${started.type === 'ready' ? 'ready' : `skipped (${started.reason})`}`);
  };
  for (const name of engines) {
    if (name === 'pytorch') {
      const probe = probeTorch();
      if ('missing' in probe) {
        for (const t of threads) slot(name, t, { type: 'skipped', reason: probe.missing }, null);
        continue;
      }
      for (const t of threads) {
        const w = torchWorker(t);
        const started = await w.start().catch(failed);
        if (started.type === 'skipped') void w.close();
        slot(name, t, started, w);
      }
      continue;
    }
    for (const t of threads) {
      if (name === 'tfjs-cpu' && t !== 1) {
        slot(
          name,
          t,
          { type: 'skipped', reason: 'the cpu backend is single-threaded JavaScript (no thread control)' },
          null,
        );
        continue;
      }
      const w = nodeWorker(name, t);
      const started = await w.start().catch(failed);
      if (started.type === 'skipped') void w.close();
      slot(name, t, started, w);
    }
  }
  return slots;
}

/**
 * Times every workload on every engine, workload by workload (deconv first: its output is the
 * reference), so that all engines meet a workload within the same few minutes of machine load.
 * With several rounds the whole sweep repeats and each case keeps its best round (lowest median):
 * on a shared machine a burst of someone else's work then costs one round, not the result.
 */
async function runAll(
  workloads: Workload[],
  slots: Slot[],
  options: MeasureOptions,
  rounds: number,
  dir: string,
  log: (s: string) => void,
): Promise<void> {
  const all = new Map<Slot, Map<string, CaseResult[]>>(slots.map((s) => [s, new Map()]));
  for (let round = 1; round <= rounds; round++) {
    for (const wl of workloads) {
      log(`${rounds > 1 ? `round ${round}/${rounds} ` : ''}${wl.key} (load ${load()})`);
      const refFile = join(dir, `${fileStem(wl)}.ref.bin`);
      let refWritten = round > 1;
      for (const s of slots) {
        if (!s.worker) continue;
        const writeRef = s.engine === 'deconv' && !refWritten;
        if (writeRef) refWritten = true;
        const result = await s.worker
          .run({ type: 'run', workload: wl, options, refFile, writeRef, threads: s.threads })
          .catch((e: unknown): CaseResult => ({
            engine: s.engine,
            threads: s.threads,
            key: wl.key,
            status: 'error',
            reason: e instanceof Error ? e.message : String(e),
          }));
        const list = all.get(s)!.get(wl.key) ?? [];
        list.push(result);
        all.get(s)!.set(wl.key, list);
        log(
          `  ${LABEL[s.engine]}@${s.threads}: ${
            result.status === 'ok'
              ? `${result.medianMs!.toFixed(2)} ms (${result.runs} runs)${result.match === false ? ' MISMATCH' : ''}`
              : `${result.status}: ${result.reason}`
          }`,
        );
      }
    }
  }
  for (const s of slots) {
    for (const wl of workloads) {
      const list = all.get(s)!.get(wl.key);
      if (!list) continue;
      const ok = list.filter((r) => r.status === 'ok');
      if (ok.length === 0) {
        s.report.results.push(list[list.length - 1]!);
        continue;
      }
      const bestRound = ok.reduce((x, y) => (y.medianMs! < x.medianMs! ? y : x));
      // A mismatch in any round is reported, whichever round was fastest.
      const worst = ok.find((r) => r.match === false);
      const maxDiffs = ok.map((r) => r.maxAbsDiff).filter((d): d is number => typeof d === 'number');
      s.report.results.push({
        ...bestRound,
        roundMedians: ok.map((r) => r.medianMs!),
        maxAbsDiff: maxDiffs.length > 0 ? Math.max(...maxDiffs) : bestRound.maxAbsDiff,
        match: worst ? false : bestRound.match,
        reason: worst?.reason ?? bestRound.reason,
      });
    }
  }
}

// ---------------------------------------------------------------- tables and targets

interface Cell {
  result: CaseResult;
  /** The engine cannot run this many threads: this is its measurement at `result.threads`. */
  substituted: boolean;
}

/** An engine's measurement at `threads`, or — when it cannot run that many — at one thread. */
function cell(reports: EngineReport[], engine: Name, threads: number, key: string): Cell | null {
  const report = (t: number): EngineReport | undefined =>
    reports.find((r) => r.engine === engine && r.threads === t);
  const own = report(threads)?.results.find((x) => x.key === key);
  if (own) return { result: own, substituted: false };
  if (threads !== 1 && report(threads)?.skipped) {
    const one = report(1)?.results.find((x) => x.key === key);
    if (one) return { result: one, substituted: true };
  }
  return null;
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRate = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtX = (x: number): string =>
  x >= 10 ? `${x.toFixed(0)}×` : x >= 1 ? `${x.toFixed(2)}×` : `${x.toPrecision(2)}×`;

function rate(wl: Workload, ms: number): number {
  return wl.bound === 'compute' ? wl.flops / ms / 1e6 : wl.bytes / ms / 1e6;
}
const unit = (wl: Workload): string => (wl.bound === 'compute' ? 'GFLOP/s' : 'GB/s');

export interface Target {
  key: string;
  threads: number;
  rule: string;
  peer?: Name;
  status: 'met' | 'missed' | 'not measured';
  /** deconv's speed-up over the peer (peer ms / deconv ms), or GB/s for the bandwidth rule. */
  value?: number;
  need?: number;
  /** How far off: deconv must get this many times faster to meet it. */
  shortBy?: number;
  detail: string;
}

/**
 * For the targets: an engine's best median using at most `threads` threads. A user with two cores
 * gets at least an engine's one-thread speed, and on a loaded machine a two-thread run can be the
 * slower one; taking the best keeps a peer's bad luck from counting for deconv.
 */
function best(
  reports: EngineReport[],
  engine: Name,
  threads: number,
  key: string,
): { ms: number; threads: number; own: boolean } | undefined {
  let found: { ms: number; threads: number; own: boolean } | undefined;
  for (const r of reports) {
    if (r.engine !== engine || r.threads > threads) continue;
    const x = r.results.find((c) => c.key === key);
    if (x?.status !== 'ok') continue;
    if (!found || x.medianMs! < found.ms)
      found = { ms: x.medianMs!, threads: r.threads, own: r.threads === threads };
  }
  return found;
}

function targets(
  workloads: Workload[],
  reports: EngineReport[],
  engines: Name[],
  threads: number[],
): Target[] {
  const out: Target[] = [];
  for (const wl of workloads) {
    for (const t of threads) {
      const d = best(reports, 'deconv', t, wl.key);
      const dMs = d?.ms;
      const dSub = d && !d.own ? `deconv ${d.threads}T` : '';
      const vsPeer = (peer: Name, need: number, rule: string, strict = false): void => {
        if (!engines.includes(peer)) return;
        const p = best(reports, peer, t, wl.key);
        const pMs = p?.ms;
        if (dMs === undefined || pMs === undefined) {
          out.push({
            key: wl.key,
            threads: t,
            rule,
            peer,
            status: 'not measured',
            detail: 'no timing for one side',
          });
          return;
        }
        const speedup = pMs / dMs;
        const met = strict ? speedup > need : speedup >= need;
        const subs = [dSub, p!.own ? '' : `${LABEL[peer]} ${p!.threads}T`].filter((x) => x !== '');
        const sub = subs.length > 0 ? ` (best at ≤ ${t}T: ${subs.join(', ')})` : '';
        out.push({
          key: wl.key,
          threads: t,
          rule,
          peer,
          status: met ? 'met' : 'missed',
          value: speedup,
          need,
          shortBy: met ? undefined : need / speedup,
          detail: `deconv ${fmtMs(dMs)} ms vs ${fmtMs(pMs)} ms → ${fmtX(speedup)}${
            met ? '' : `; needs ≤ ${fmtMs(pMs / need)} ms, ${fmtX(need / speedup)} short`
          }${sub}`,
        });
      };
      // Every workload: 1.5× the WebAssembly peers.
      vsPeer('ort-web', 1.5, '≥ 1.5× onnxruntime-web');
      vsPeer('tfjs-wasm', 1.5, '≥ 1.5× tfjs-wasm');
      if (wl.key === 'W1/b1' && t === 1) {
        const ok = dMs !== undefined && dMs <= 7.8;
        out.push({
          key: wl.key,
          threads: t,
          rule: '≤ 7.8 ms on one thread',
          status: dMs === undefined ? 'not measured' : ok ? 'met' : 'missed',
          value: dMs,
          need: 7.8,
          shortBy: dMs !== undefined && !ok ? dMs / 7.8 : undefined,
          detail: dMs === undefined ? 'deconv not measured' : `deconv ${fmtMs(dMs)} ms`,
        });
      }
      if (wl.id === 'W3') vsPeer('ort-node', 1, 'faster than onnxruntime-node', true);
      else if (wl.bound === 'compute') vsPeer('ort-node', 0.7, '≥ 0.7× onnxruntime-node');
      if (wl.bound === 'memory') {
        const gbs = dMs === undefined ? undefined : rate(wl, dMs);
        out.push({
          key: wl.key,
          threads: t,
          rule: '≥ 10 GB/s',
          status: gbs === undefined ? 'not measured' : gbs >= 10 ? 'met' : 'missed',
          value: gbs,
          need: 10,
          shortBy: gbs !== undefined && gbs < 10 ? 10 / gbs : undefined,
          detail: gbs === undefined ? 'deconv not measured' : `deconv ${fmtRate(gbs)} GB/s`,
        });
        for (const peer of engines)
          if (peer !== 'deconv') vsPeer(peer, 1, `faster than ${LABEL[peer]}`, true);
      }
    }
  }
  return out;
}

function tables(
  workloads: Workload[],
  reports: EngineReport[],
  engines: Name[],
  threads: number[],
  md: boolean,
): string {
  const lines: string[] = [];
  for (const wl of workloads) {
    const work =
      wl.bound === 'compute'
        ? `${(wl.flops / 1e9).toFixed(3)} GFLOP`
        : `${(wl.bytes / 2 ** 20).toFixed(1)} MiB moved`;
    lines.push(md ? `\n#### ${wl.key}: ${wl.title} — ${work}\n` : `\n${wl.key}  ${wl.title} — ${work}`);
    const head = ['engine'];
    for (const t of threads) head.push(`${t}T ms`, `${t}T ${unit(wl)}`, `${t}T runs`, `${t}T speed-up`);
    head.push(`cpu/wall (${threads.map((t) => `${t}T`).join(', ')})`, 'max abs Δ vs deconv', 'note');
    const rows: string[][] = [head];
    for (const e of engines) {
      const row = [LABEL[e]];
      const cpu: string[] = [];
      let maxDiff: number | null = null;
      let mismatch: string | null = null;
      let note = '';
      for (const t of threads) {
        const c = cell(reports, e, t, wl.key);
        const d = cell(reports, 'deconv', t, wl.key);
        const r = c?.result;
        if (!c || !r) {
          const rep = reports.find((x) => x.engine === e && x.threads === t);
          row.push(rep?.skipped ? 'skipped' : '—', '', '', '');
          continue;
        }
        if (r.status !== 'ok') {
          row.push(r.status, '', '', '');
          note = r.reason ?? '';
          continue;
        }
        const mark = c.substituted ? '¹' : '';
        row.push(
          `${fmtMs(r.medianMs!)}${mark}`,
          fmtRate(rate(wl, r.medianMs!)),
          `${r.runs}${r.runs! < 10 ? '*' : ''}`,
        );
        const dMs = d?.result.status === 'ok' ? d.result.medianMs : undefined;
        row.push(e === 'deconv' || dMs === undefined ? '' : fmtX(r.medianMs! / dMs));
        if (r.match === false) mismatch = `MISMATCH ${r.maxAbsDiff?.toExponential(1) ?? r.reason ?? ''}`;
        cpu.push(c.substituted || r.cpuPerWall === undefined ? '–' : r.cpuPerWall.toFixed(2));
        if (typeof r.maxAbsDiff === 'number') maxDiff = Math.max(maxDiff ?? 0, r.maxAbsDiff);
        if (r.note) note = r.note;
      }
      const diff =
        mismatch ??
        (maxDiff === null
          ? e === 'deconv'
            ? 'reference'
            : ''
          : maxDiff === 0
            ? '0'
            : maxDiff.toExponential(1));
      row.push(cpu.join(', '), diff, note);
      rows.push(row);
    }
    lines.push(render(rows, md));
  }
  const foot = [
    'speed-up = engine ms / deconv ms at the same thread count (> 1: deconv is faster).',
    'GFLOP/s counts 2·MACs of the taps that meet real input (no inserted zeros, no padding taps); GB/s counts bytes read + written (W4: 4·(input + indices + output), indices as int32; W5: 4·(input + output)), the same count for every engine.',
    '¹ the engine has no multi-thread mode here: its 1-thread time, compared with deconv at that thread count.',
    '* fewer than 10 timed runs (--quick, or 11 runs would not fit in --budget seconds): the median of the runs there were.',
    "targets (below) compare, at t threads, each engine's best median with at most t threads.",
    "cpu/wall: CPU time of the engine's process (all threads) / wall time while timing: about 1 on one thread, up to 2 when two threads both work.",
    "max abs Δ: largest absolute difference from deconv over the whole output, over the thread counts; MISMATCH above 1e-4 × max(1, largest magnitude in deconv's output).",
  ];
  lines.push('', ...foot.map((f) => (md ? `- ${f}` : `  ${f}`)));
  return lines.join('\n');
}

function render(rows: string[][], md: boolean): string {
  if (md) {
    const out = rows.map((r) => `| ${r.join(' | ')} |`);
    out.splice(
      1,
      0,
      `|${rows[0]!.map((_, i) => (i === 0 || i === rows[0]!.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`,
    );
    return out.join('\n');
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function targetReport(list: Target[], md: boolean): string {
  const met = list.filter((t) => t.status === 'met').length;
  const missed = list.filter((t) => t.status === 'missed').length;
  const rows = [['workload', 'threads', 'target', 'status', 'detail']];
  for (const t of list) rows.push([t.key, String(t.threads), t.rule, t.status.toUpperCase(), t.detail]);
  const counts = `(${met} met, ${missed} missed, ${list.length - met - missed} not measured)`;
  return md ? `\n### Targets ${counts}\n\n${render(rows, md)}` : `\nTargets ${counts}\n${render(rows, md)}`;
}

// ---------------------------------------------------------------- main

/** Everything a run produced: what `--json` prints, `--save` writes and `--from` renders again. */
interface RunData {
  machine: Record<string, string | number>;
  loadavg: { before: string; after: string };
  elapsedS: number;
  options: MeasureOptions & { quick: boolean; threads: number[]; engines: Name[]; rounds: number };
  workloads: Omit<Workload, 'inputs'>[];
  engines: Omit<EngineReport, 'results'>[];
  results: CaseResult[];
  targets: Target[];
  /** the machine's limits, measured in the same run (limits.ts) */
  limits?: Limits;
}

/** Copy bandwidth by thread count (GB/s, bytes read + written) and one thread's 128-bit FMA peak. */
interface Limits {
  copyGBs: Record<string, number>;
  fmaGflops: number;
  /** the median run of the FMA probe (runs saved before it was recorded lack it) */
  fmaMedianGflops?: number;
  /**
   * the FMA peak per thread by the number of threads running the probe at once, fastest and median
   * run (runs saved before it was recorded lack it: their limit at t threads is t · fmaGflops)
   */
  fmaByThreads?: Record<string, { fastest: number; median: number }>;
}

/** The compute limit at t threads: t · the per-thread FMA peak measured with t threads running (fastest or median run). */
function fmaLimit(lim: Limits, t: number, which: 'fastest' | 'median'): number | undefined {
  const at = lim.fmaByThreads?.[t];
  if (at) return t * at[which];
  const one = which === 'fastest' ? lim.fmaGflops : lim.fmaMedianGflops;
  return one === undefined ? undefined : t * one;
}

/**
 * Measures the limits in this process on deconv's own engine: memory.copy of 32 MiB regions (one
 * per thread) and 8 independent chains of f32x4 multiply-adds (src/kernels/wasm/probe.ts).
 */
async function measureMachineLimits(threads: number[]): Promise<Limits> {
  const lib = await import('../src/index.js');
  const { defaultEngine } = await import('../src/kernels/wasm/loader.js');
  const { measureLimits } = await import('../src/kernels/wasm/probe.js');
  const copyGBs: Record<string, number> = {};
  let fmaGflops = 0;
  let fmaMedianGflops = 0;
  const fmaByThreads: Record<string, { fastest: number; median: number }> = {};
  for (const t of [...new Set([1, ...threads])]) {
    await lib.setNumThreads(t);
    const e = defaultEngine();
    if (!e) break;
    const m = measureLimits(e);
    for (const c of m.copyGBs) copyGBs[c.threads] = Math.max(copyGBs[c.threads] ?? 0, c.gbs);
    if (m.fmaGflops > fmaGflops) [fmaGflops, fmaMedianGflops] = [m.fmaGflops, m.fmaMedianGflops];
    for (const f of m.fmaByThreads)
      if (f.fastest > (fmaByThreads[f.threads]?.fastest ?? 0))
        fmaByThreads[f.threads] = { fastest: f.fastest, median: f.median };
  }
  // one thread's figures from the best one-thread probe of any pass
  fmaByThreads[1] = { fastest: fmaGflops, median: fmaMedianGflops };
  await lib.setNumThreads(1);
  return { copyGBs, fmaGflops, fmaMedianGflops, fmaByThreads };
}

/**
 * deconv's rate on each workload as a fraction of the limit that bounds it: a memory-bound
 * workload's GB/s over the copy bandwidth at that thread count, a compute-bound one's GFLOP/s over
 * threads × the FMA peak per thread measured with that many threads running the probe (fmaLimit);
 * for compute-bound ones also over threads × the probe's median run, and over threads × the median
 * run of the probe timed beside the case on as many threads (CaseResult.fmaAlongside): the same
 * statistic as the workload's, under the machine's load of the same minute.
 */
function limitReport(data: RunData, md: boolean): string {
  const lim = data.limits;
  if (!lim) return '';
  const workloads = data.workloads as Workload[];
  const head = md
    ? '\n### Limits of this machine (measured in this run)\n'
    : '\nLimits (measured in this run)';
  const facts = [
    ...Object.entries(lim.copyGBs).map(
      ([t, g]) =>
        `copy bandwidth at ${t} thread(s): ${fmtRate(g)} GB/s (bytes read + written, 32 MiB regions)`,
    ),
    `128-bit FMA peak, one thread: ${fmtRate(lim.fmaGflops)} GFLOP/s (8 f32x4 multiply-add chains, fastest run)${
      lim.fmaMedianGflops ? `; the same probe's median run ${fmtRate(lim.fmaMedianGflops)} GFLOP/s` : ''
    }`,
    ...Object.entries(lim.fmaByThreads ?? {})
      .filter(([t]) => t !== '1')
      .map(
        ([t, f]) =>
          `128-bit FMA peak per thread with ${t} threads running the probe at once: ${fmtRate(f.fastest)} GFLOP/s (fastest run; ${(
            (100 * f.fastest) /
            lim.fmaGflops
          ).toFixed(0)} % of one thread alone), median run ${fmtRate(f.median)} GFLOP/s`,
      ),
  ];
  const med = lim.fmaMedianGflops;
  const alongside = data.results.some((c) => c.engine === 'deconv' && c.fmaAlongside);
  const rows = [
    [
      'workload',
      'threads',
      'deconv',
      'limit',
      'fraction of limit',
      ...(med ? ['vs the FMA median'] : []),
      ...(alongside ? ['FMA probe alongside (median, per thread)', 'vs the probe alongside'] : []),
    ],
  ];
  for (const wl of workloads)
    for (const t of data.options.threads) {
      const r = data.results.find((c) => c.engine === 'deconv' && c.threads === t && c.key === wl.key);
      if (r?.status !== 'ok' || r.medianMs === undefined) continue;
      const got = rate(wl, r.medianMs);
      const limit = wl.bound === 'compute' ? fmaLimit(lim, t, 'fastest') : lim.copyGBs[t];
      if (limit === undefined) continue;
      const medLimit = fmaLimit(lim, t, 'median');
      rows.push([
        wl.key,
        String(t),
        `${fmtRate(got)} ${unit(wl)}`,
        `${fmtRate(limit)} ${unit(wl)}`,
        `${((100 * got) / limit).toFixed(0)} %`,
        ...(med
          ? [wl.bound === 'compute' && medLimit ? `${((100 * got) / medLimit).toFixed(0)} %` : '']
          : []),
        ...(alongside
          ? r.fmaAlongside
            ? [
                `${fmtRate(r.fmaAlongside.medianGflops)} GFLOP/s`,
                `${((100 * got) / (t * r.fmaAlongside.medianGflops)).toFixed(0)} %`,
              ]
            : ['', '']
          : []),
      ]);
    }
  return [head, ...facts.map((f) => (md ? `- ${f}` : `  ${f}`)), '', render(rows, md)].join('\n');
}

function renderRun(data: RunData, md: boolean): string {
  const { machine: info, loadavg: la, options } = data;
  const workloads = data.workloads as Workload[];
  const reports: EngineReport[] = data.engines.map((e) => ({
    ...e,
    results: data.results.filter((r) => r.engine === e.engine && r.threads === e.threads),
  }));
  const out: string[] = [];
  out.push(md ? '### Machine\n' : 'Machine');
  const m = [
    `${info.nproc} CPUs, ${info.cpu} (${info.cpuFlags}), ${info.memoryGiB} GiB, ${info.platform}`,
    `node ${info.node} (V8 ${info.v8}); load average (1, 5, 15 min) before ${la.before}, after ${la.after}; ${data.elapsedS.toFixed(0)} s`,
    `timing: median of ≥ ${options.minRuns} runs (and ≥ ${options.minTimeMs} ms) after ${options.warmupRuns} warm-up runs; a case slower than --budget ${options.budgetMs / 1000} s / ${options.minRuns} stops at 3${options.quick ? '; --quick (small batches)' : ''}${(options.rounds ?? 1) > 1 ? `; ${options.rounds} rounds, each case's best round shown` : ''}`,
  ];
  for (const r of reports) {
    const what = r.skipped ? `skipped: ${r.skipped}` : `${r.version}; ${r.notes.join('; ')}`;
    m.push(`${LABEL[r.engine as Name] ?? r.engine} at ${r.threads} thread(s): ${what}`);
  }
  out.push(m.map((x) => (md ? `- ${x}` : `  ${x}`)).join('\n'));
  out.push(tables(workloads, reports, options.engines, options.threads, md));
  out.push(targetReport(data.targets, md));
  out.push(limitReport(data, md));
  return out.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  if (args.from !== undefined) {
    const data = JSON.parse(readFileSync(args.from, 'utf8')) as RunData;
    process.stdout.write(
      args.json ? `${JSON.stringify(data, null, 1)}\n` : `${renderRun(data, args.markdown)}\n`,
    );
    return;
  }
  const workloads = selectWorkloads(makeWorkloads(args.quick), args.only);
  const options: MeasureOptions = args.quick
    ? { minRuns: 3, minTimeMs: 0, maxRuns: 3, warmupRuns: 1, budgetMs: args.budgetS * 1000 }
    : { minRuns: 11, minTimeMs: 1000, maxRuns: 100, warmupRuns: 3, budgetMs: args.budgetS * 1000 };
  const info = machine();
  const loadBefore = load();
  log(
    `deconv bench: ${workloads.map((w) => w.key).join(', ')}; ${info.nproc} CPUs (${info.cpu}), node ${info.node}`,
  );
  log(`load average before: ${loadBefore}`);

  const dir = mkdtempSync(join(tmpdir(), 'deconv-bench-'));
  if (args.profile) {
    try {
      writeInputs(workloads, dir);
      log(`profiling deconv at ${args.threads[0]} thread(s)`);
      const profileOptions = { ...options, minTimeMs: Math.max(options.minTimeMs, 3000) };
      for (const s of await profileDeconv(workloads, args.threads[0]!, profileOptions, dir)) {
        process.stdout.write(`${typeof s === 'string' ? s : renderProfile(s, args.markdown)}\n`);
      }
    } finally {
      if (!args.keep) rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const started = Date.now();
  let slots: Slot[] = [];
  let limits: Limits | undefined;
  try {
    writeInputs(workloads, dir);
    log('starting the engines');
    slots = await startEngines(args.engines, args.threads, log);
    await runAll(workloads, slots, options, args.rounds, dir, log);
  } finally {
    await Promise.all([...new Set(slots.map((s) => s.worker))].map((w) => w?.close()));
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else log(`inputs kept in ${dir}`);
  }
  // after every engine's process is gone: a peer's threads that still spin or wake (an OpenMP
  // pool's wait policy) took one of the two cores from the two-thread probes (one run read 51 % per
  // thread with two threads)
  if (args.engines.includes('deconv')) {
    log('measuring the machine limits (copy bandwidth, FMA peak)');
    limits = await measureMachineLimits(args.threads);
  }
  const reports = slots.map((s) => s.report);
  const loadAfter = load();
  const elapsedS = (Date.now() - started) / 1000;
  log(`load average after: ${loadAfter} (${elapsedS.toFixed(0)} s)`);

  const data: RunData = {
    machine: info,
    loadavg: { before: loadBefore, after: loadAfter },
    elapsedS,
    options: {
      ...options,
      quick: args.quick,
      threads: args.threads,
      engines: args.engines,
      rounds: args.rounds,
    },
    workloads: workloads.map(({ inputs: _inputs, ...rest }) => rest),
    engines: reports.map(({ results: _results, ...rest }) => rest),
    results: reports.flatMap((r) => r.results),
    targets: targets(workloads, reports, args.engines, args.threads),
    limits,
  };
  if (args.save !== undefined) writeFileSync(args.save, `${JSON.stringify(data, null, 1)}\n`);
  process.stdout.write(
    args.json ? `${JSON.stringify(data, null, 1)}\n` : `${renderRun(data, args.markdown)}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
