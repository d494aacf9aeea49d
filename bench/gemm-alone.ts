/**
 * `npx tsx bench/gemm-alone.ts M N K [calls] [--per-block]`: the WebAssembly GEMM alone, C (M × N)
 * = A (M × K) · B (K × N) on the relaxed build's wide tile, A packed once, B packed whole once
 * (or, with --per-block, packed by every call as it goes, as a strided operand), the same record
 * run `calls` times a round, seven rounds; then the FMA probe in the same process. Prints the
 * GFLOP/s of the best and the median round and their ratio to the probe's fastest and median run:
 * the kernel's own ceiling, without a workload's packing of y, stores or JavaScript around it
 * (bench/RESULTS.md, "Where the GEMM target stands").
 */
import { GEMM, GEMM_B_KIND, GEMM_MODE } from '../src/kernels/wasm/layout.js';
import { defaultEngine, ready } from '../src/kernels/wasm/loader.js';
import { fmaRuns } from '../src/kernels/wasm/probe.js';
import { gemmScratch, roundUp } from '../src/kernels/wasm/split.js';

const args = process.argv.slice(2);
const perBlock = args.includes('--per-block');
const [M, N, K, calls = 10] = args.filter((a) => !a.startsWith('--')).map(Number);
if (![M, N, K, calls].every((v) => Number.isInteger(v) && v! > 0)) {
  console.error('usage: npx tsx bench/gemm-alone.ts M N K [calls] [--per-block]');
  process.exit(2);
}
await ready();
const e = defaultEngine();
if (e === null) throw new Error('no WebAssembly build runs here');
e.reset();
const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const a = e.copyIn(random(M! * K!));
const b = e.copyIn(random(K! * N!));
const c = e.alloc(M! * N!);
const tileRows = e.tileRowsWide;
const s = gemmScratch(e, M!, K!, 0, tileRows);
const whole = e.alloc(K! * roundUp(N!, e.NR));
const rec = e.record(GEMM, {
  m: M!,
  n: N!,
  k: K!,
  packedA: s.packedA,
  bKind: GEMM_B_KIND.strided,
  b,
  bRowStride: N!,
  bColumnStride: 1,
  c,
  cRowStride: N!,
  mode: GEMM_MODE.set,
  bPack: whole,
  tile: s.tile,
  scratch: s.per[0]!.scratch,
  aSource: a,
  aRowStride: K!,
  aColumnStride: 1,
  tileRows,
});
e.fns.packA(rec);
if (!perBlock) {
  e.fns.packB(rec);
  e.write(rec, GEMM, { bKind: GEMM_B_KIND.packed, b: whole });
}
e.write(rec, GEMM, { bPack: s.bPack });
for (let i = 0; i < calls!; i++) e.fns.gemm(rec);
const rates: number[] = [];
for (let round = 0; round < 7; round++) {
  const t0 = performance.now();
  for (let i = 0; i < calls!; i++) e.fns.gemm(rec);
  rates.push((2 * M! * N! * K! * calls!) / ((performance.now() - t0) * 1e6));
}
rates.sort((x, y) => x - y);
const probe = fmaRuns(e, 1, 300, 15);
const [bestRate, medianRate] = [rates[rates.length - 1]!, rates[rates.length >> 1]!];
const [fastest, median] = [probe[probe.length - 1]!, probe[probe.length >> 1]!];
const pct = (x: number, y: number): string => `${Math.round((100 * x) / y)} %`;
console.log(
  `M ${M} N ${N} K ${K}, B ${perBlock ? 'packed per block' : 'packed whole'}: GEMM best ${bestRate.toFixed(1)}, ` +
    `median ${medianRate.toFixed(1)} GFLOP/s; FMA probe fastest ${fastest.toFixed(1)}, median ${median.toFixed(1)}; ` +
    `best / fastest ${pct(bestRate, fastest)}, median / median ${pct(medianRate, median)}`,
);
process.exit(0);
