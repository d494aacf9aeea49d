/**
 * Transposed convolution by sub-pixel decomposition on the WebAssembly GEMM (dilation 1): s^d
 * stride-1 convolutions of y with the kernel's phase slices, phases of equal geometry stacked into
 * one GEMM (transposed when a class has many phases over few positions), each phase's rows then
 * stored to x[…, firstOutput + q·stride]. The per-dimension phase arithmetic is here; asm/subpixel.ts
 * packs the weights and stores the phases. Reference: W. Shi et al., arXiv:1609.07009 (2016).
 */
import { convPlan, map3, volume, type ConvPlan, type Triple } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import { GEMM, GEMM_B_KIND, GEMM_C_KIND, GEMM_MODE, PAD, PHASE, SLICE, WPACK } from './layout.js';
import type { WasmEngine } from './loader.js';
import {
  colsByChannel,
  im2colKind,
  padCopy,
  paddedSlice,
  wasmConvTuning,
  writeSlice,
  type SliceRecord,
} from './slice.js';
import {
  gemmJobs,
  gemmThreads,
  memoryThreads,
  packThreads,
  part,
  roundUp,
  runByUnits,
  threadScratch,
  tileRowsFor,
  unitJobs,
  type ThreadScratch,
} from './split.js';
import { FN, parallel, type Job } from './threads.js';
import { keptBlock, weightsFinite } from './kept.js';

const ONE: Triple = [1, 1, 1];

/** The sub-pixel decomposition needs dilation 1 in every dimension. */
export function subpixelApplies(g: ConvGeometry): boolean {
  return g.dilation.every((d) => d === 1);
}

/**
 * One dimension's phase: kernel residue r (its taps read w[r + j·s], j < taps), first position m0,
 * positions q, first output i0. With exact borders a residue's border positions become phases of
 * their own whose r is shifted by the first real tap (see phases1).
 */
interface Phase1 {
  r: number;
  taps: number;
  m0: number;
  q: number;
  i0: number;
}

/**
 * Output i = r − p + s·m takes y[m − j]·w[r + j·s] for j < taps = ⌈(K − r)/s⌉, m from
 * m0 = ⌈(p − r)/s⌉ to m1 = ⌊(X − 1 + p − r)/s⌋ (see asm/subpixel.ts). Residues without outputs
 * are left out.
 *
 * `exact`: only the taps that meet y, j ∈ [max(0, m − Y + 1), min(taps, m + 1)). That set is the
 * same for every interior position and differs at the border ones, so each residue splits into
 * runs of positions with one tap range [ja, jb), and a run is a phase of its own: residue
 * r + ja·s, taps jb − ja, first position m − ja (then y[m − j] = y[(m − ja) − (j − ja)]), the
 * same outputs. No GEMM then multiplies a padding zero, and runs with equal geometry across
 * residues (the interiors) form one class. A run without any real tap (outputs that only
 * outputPadding reaches) has no taps: its GEMM has K = 0 and writes the bias (or zero), as PyTorch
 * gives there whatever the weights hold.
 */
function phases1(X: number, Y: number, K: number, s: number, p: number, exact: boolean): Phase1[] {
  const out: Phase1[] = [];
  for (let r = 0; r < s; r++) {
    const taps = Math.max(0, Math.ceil((K - r) / s));
    const m0 = Math.ceil((p - r) / s);
    const m1 = Math.floor((X - 1 + p - r) / s);
    if (m1 < m0) continue;
    if (!exact) {
      out.push({ r, taps, m0, q: m1 - m0 + 1, i0: r - p + m0 * s });
      continue;
    }
    const range = (m: number): [number, number] => {
      const ja = Math.max(0, m - Y + 1);
      const jb = Math.min(taps, m + 1);
      return ja < jb ? [ja, jb] : [0, 0];
    };
    for (let a = m0; a <= m1;) {
      const [ja, jb] = range(a);
      let b = a;
      while (b + 1 <= m1 && range(b + 1)[0] === ja && range(b + 1)[1] === jb) b++;
      out.push({ r: r + ja * s, taps: jb - ja, m0: a - ja, q: b - a + 1, i0: r - p + a * s });
      a = b + 1;
    }
  }
  return out;
}

/**
 * Phases with the same (taps, m0, q) in one dimension share their stride-1 convolution's geometry:
 * a class is a run of consecutive residues of one geometry (asm/subpixel.ts describes a class by
 * its first residue and its length).
 */
function classes1(ps: Phase1[]): Phase1[][] {
  const groups = new Map<string, Phase1[]>();
  for (const ph of ps) {
    const key = `${ph.taps},${ph.m0},${ph.q}`;
    const list = groups.get(key);
    if (list) list.push(ph);
    else groups.set(key, [ph]);
  }
  const classes: Phase1[][] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.r - b.r);
    let run: Phase1[] = [list[0]!];
    for (const ph of list.slice(1)) {
      if (ph.r === run[run.length - 1]!.r + 1) run.push(ph);
      else {
        classes.push(run);
        run = [ph];
      }
    }
    classes.push(run);
  }
  return classes;
}

/**
 * In which dimensions (z, y, x) the phases skip the padding taps (phases1's `exact`). In every one
 * when a weight is not finite: the plain split multiplies the zero padding of y by every tap, and
 * 0 · Inf is NaN where PyTorch (whose col2im only ever multiplies real inputs) gives a number. With
 * finite weights those products are +0 and change no sum, so the split is a matter of speed:
 * - in every dimension when the classes of the plain split run as transposed GEMMs (large strides,
 *   few positions per class: W3's 7 × 7 positions lose 1 − (13/14)² = 14 % of their multiply-adds
 *   to padding, and the four classes become one interior GEMM of 36 positions and border GEMMs
 *   with only their real taps);
 * - with the (c, phase) rows of small strides the positions are the GEMM's columns: split along z
 *   and y only, when the rows along x are whole micro-panels, so that every GEMM still reads B in
 *   place (im2colKind) and a border is whole rows (W1 and W7: 1/32 of the multiply-adds, and 2–5 %
 *   of the time, bench/RESULTS.md); a split along x would break rows into runs of other lengths.
 */
function exactBorders(e: WasmEngine, plain: Phase1[][][], finite: boolean): readonly boolean[] {
  const all = (v: boolean): boolean[] => [v, v, v];
  if (wasmConvTuning.exactBorders !== 'auto') return all(wasmConvTuning.exactBorders);
  if (!finite) return all(true);
  if (wasmConvTuning.transposedSubpixel && plain[2]!.every((c) => c.length % e.NR === 0)) return all(true);
  const wholeRows = plain[2]!.every((c) => c[0]!.q % e.NR === 0);
  return [wholeRows, wholeRows, false];
}

/** Columns (batch elements × positions) of one sub-pixel class GEMM. */
const SUBPIXEL_COLUMNS = 4096;

/**
 * packASubpixel of the class record `wr` (an M × K operand), split by panels (of its tileRows rows)
 * across as many threads as packThreads allows, each with its own tap table from `taps`.
 */
function packSubpixelA(e: WasmEngine, wr: number, taps: number[], M: number, K: number): void {
  const tileRows = e.read(wr, WPACK, 'tileRows');
  const T = packThreads(e, M, K, taps.length, tileRows);
  e.write(wr, WPACK, { rowBegin: 0, rowEnd: 0, scratch: taps[0]! });
  if (T <= 1) {
    e.fns.packASubpixel(wr);
    return;
  }
  const panels = Math.ceil(M / tileRows);
  const top = e.alloc(0);
  const jobs: Job[] = [];
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(panels, T, t);
    const r = e.copyRecord(wr, WPACK, { rowBegin: u0 * tileRows, rowEnd: u1 * tileRows, scratch: taps[t]! });
    jobs.push([FN.packASubpixel, r]);
  }
  parallel(e, jobs);
  e.release(top);
}

/**
 * Packs the class's weights (B of the GEMM record `rec`, kind weights, n × k) whole to `dst` for
 * gemm's kind packed (asm/gemm.ts packB), split by NR-column panels across threads, each run with
 * its own row-table scratch.
 */
function packWholeB(e: WasmEngine, rec: number, n: number, k: number, dst: number): void {
  const panels = Math.ceil(n / e.NR);
  runByUnits(e, FN.packB, panels, 4 * Math.ceil(n / e.NR) * e.NR * k, (u0, count) =>
    e.copyRecord(rec, GEMM, {
      bPack: dst,
      columnBegin: u0 * e.NR,
      columnEnd: Math.min(n, (u0 + count) * e.NR),
      scratch: e.alloc(e.fns.blocking(5)),
    }),
  );
}

/**
 * The phaseStore jobs of the store record at `hs`, split by x channels for `threads` threads:
 * channel c's rows (c, phase) of the GEMM result start `c · nph · step` floats in (step: the row
 * stride), its x plane c · channelStride in.
 */
function storeJobs(
  e: WasmEngine,
  hs: number,
  channels: number,
  nph: number,
  step: number,
  bytes: number,
  threads: number,
): Job[] {
  const src = e.read(hs, PHASE, 'src');
  const dst = e.read(hs, PHASE, 'dst');
  const cs = e.read(hs, PHASE, 'channelStride');
  const pair = e.read(hs, PHASE, 'pairSrc');
  if (threads <= 1) return [[FN.phaseStore, hs]];
  return unitJobs(e, channels, bytes, threads, (c0, n) =>
    e.copyRecord(hs, PHASE, {
      channels: n,
      src: src + 4 * c0 * nph * step,
      pairSrc: pair ? pair + 4 * c0 * nph * step : 0,
      dst: dst + 4 * c0 * cs,
    }),
  ).map((q) => [FN.phaseStore, q.rec] as const);
}

/**
 * Floats of per-GEMM operands (results, packed A, packed weights) that one wave of sub-pixel GEMMs
 * may hold (at least one GEMM per wave).
 */
const WAVE_FLOATS = 1 << 22;

/** One GEMM of a wave: its record, its store record and what the store needs. */
interface WaveGemm {
  rec: number;
  hs: number;
  plan: ClassPlan;
  work: number;
  storeBytes: number;
  /** the GEMM writes x itself (GEMM_C_KIND.phases2x2 or scattered): no store step */
  stored: boolean;
}

/**
 * Runs a wave of independent sub-pixel GEMMs in one parallel step (all their runs, largest GEMM
 * first, so the step ends on short runs of the small border GEMMs); the stores of the GEMMs that
 * do not store x themselves follow in a second step. One or two waits for the whole wave instead
 * of two per class, and a class too small to split on its own still runs beside the others.
 */
function runWave(e: WasmEngine, wave: readonly WaveGemm[], per: readonly ThreadScratch[]): void {
  const top = e.alloc(0);
  const order = [...wave].sort((a, b) => b.work - a.work);
  parallel(
    e,
    order.flatMap((u) => gemmJobs(e, u.rec, per)),
    per.length,
  );
  const rest = pairStores(
    e,
    order.filter((u) => !u.stored),
  );
  const bytes = rest.reduce((a, u) => a + u.storeBytes, 0);
  const threads = memoryThreads(e, Infinity, bytes);
  const stores: Job[] = [];
  for (const u of rest) {
    const cx = e.read(u.hs, PHASE, 'channels');
    const step = e.read(u.hs, PHASE, 'srcStride');
    stores.push(...storeJobs(e, u.hs, cx, u.plan.nph, step, u.storeBytes, threads));
  }
  parallel(e, stores, threads);
  e.release(top);
}

/**
 * The stores of a wave with the classes that are neighbours along x paired (PHASE.pairSrc): a
 * class with one residue along x and stride 2 there, and one laid out the same whose outputs are
 * the next ones along x (k4 s2's two residues along x, DCGAN's W1), are stored by one pass that
 * zips their rows into whole runs of x instead of two passes of every other float.
 */
function pairStores(e: WasmEngine, stores: readonly WaveGemm[]): WaveGemm[] {
  const field = (u: WaveGemm, k: keyof typeof PHASE.at, i = 0): number =>
    e.i32[(u.hs >> 2) + PHASE.at[k] + i]!;
  const sameLayout = (u: WaveGemm, v: WaveGemm): boolean =>
    PAIRED_FIELDS.every(([k, i]) => field(u, k, i) === field(v, k, i));
  const out: WaveGemm[] = [];
  // unpaired candidates in wave order (a wave has a few classes: compared pairwise)
  const waiting: WaveGemm[] = [];
  for (const u of stores) {
    if (field(u, 'phaseCount', 2) !== 1 || field(u, 'stride', 2) !== 2) {
      out.push(u);
      continue;
    }
    const f = field(u, 'firstOutput', 2);
    const mateAt = (df: number): number =>
      waiting.findIndex((v) => field(v, 'firstOutput', 2) === f + df && sameLayout(u, v));
    let j = mateAt(-1);
    const lower = j >= 0;
    if (!lower) j = mateAt(1);
    if (j < 0) {
      waiting.push(u);
      continue;
    }
    const mate = waiting.splice(j, 1)[0]!;
    const [first, second] = lower ? [mate, u] : [u, mate];
    e.write(first.hs, PHASE, { pairSrc: field(second, 'src') });
    out.push({ ...first, storeBytes: first.storeBytes + second.storeBytes });
    subpixelStats.pairedStores++;
  }
  out.push(...waiting);
  return out;
}

/** The PHASE fields two classes paired by pairStores share: every one but src and firstOutput along x. */
const PAIRED_FIELDS: readonly (readonly [keyof typeof PHASE.at, number])[] = [
  ...(['channels', 'srcStride', 'dst', 'channelStride', 'batchStride', 'batchCount'] as const).map(
    (k) => [k, 0] as const,
  ),
  ...(['positions', 'xSize', 'stride', 'phaseCount'] as const).flatMap((k) =>
    [0, 1, 2].map((i) => [k, i] as const),
  ),
  ['firstOutput', 0],
  ['firstOutput', 1],
];

/**
 * Counters for tests: sub-pixel GEMMs that stored x themselves (GEMM_C_KIND.phases2x2), and
 * pairs of classes stored by one pass (pairStores).
 */
export const subpixelStats = { gemmStores: 0, pairedStores: 0 };

/**
 * Whether the call's GEMM can store x itself (GEMM_C_KIND.phases2x2 in layout.ts): a 2-D
 * transposed convolution with kernel = stride = 2 along y and x, so one class of the four phases
 * (0, 0) … (1, 1) covers every output once, from output 0, with rows of a whole number of NR
 * positions and in one K block (its A then packed in 4-row panels: one channel's four phases a tile).
 */
function storesPhases2x2(e: WasmEngine, plans: readonly ClassPlan[], m: ConvPlan): boolean {
  const { xSize, stride } = m;
  if (plans.length !== 1 || e.MR !== 4) return false;
  const c = plans[0]!;
  const [pz, py, px] = c.phaseCount;
  return (
    !c.transposed &&
    stride[1] === 2 &&
    stride[2] === 2 &&
    pz === 1 &&
    py === 2 &&
    px === 2 &&
    c.firstResidue.every((r) => r === 0) &&
    c.first.every((f) => f.i0 === 0) &&
    xSize[0] === 1 &&
    c.positions[0] === 1 &&
    2 * c.positions[1] === xSize[1] &&
    2 * c.positions[2] === xSize[2] &&
    c.positions[2] % e.NR === 0 &&
    c.Kc <= e.KC
  );
}

/** The phase classes of a call (per dimension), their GEMMs and the kept packing's key. */
interface CallPlan {
  per: Phase1[][][];
  plans: ClassPlan[];
  key: string;
}

/** Call plans by geometry and tuning (a model calls the same layers again and again). */
const callPlans = new Map<string, CallPlan>();
const CALL_PLANS = 64;

function callPlan(e: WasmEngine, m: ConvPlan, finite: boolean): CallPlan {
  const { groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy } = m;
  const t = wasmConvTuning;
  const id = `${e.NR} ${t.transposedSubpixel} ${t.exactBorders} ${finite} ${groups} ${cx} ${cy} ${m.xSize} ${m.ySize} ${m.kernelSize} ${m.stride} ${m.padBegin}`;
  const have = callPlans.get(id);
  if (have) return have;
  const split = (exact: readonly boolean[]): Phase1[][][] =>
    [0, 1, 2].map((d) =>
      classes1(phases1(m.xSize[d]!, m.ySize[d]!, m.kernelSize[d]!, m.stride[d]!, m.padBegin[d]!, exact[d]!)),
    );
  const plain = split([false, false, false]);
  const exact = exactBorders(e, plain, finite);
  const per = exact.some((v) => v) ? split(exact) : plain;
  // Each class's GEMM: rows (c, phase) or, transposed, columns; the weights packed per class and
  // group as A (packASubpixel) or, transposed, as B whole (packB) when they are kept between calls.
  const plans: ClassPlan[] = [];
  for (const cz of per[0]!)
    for (const cyy of per[1]!) for (const cxx of per[2]!) plans.push(classPlan(e, [cz, cyy, cxx], cx, cy));
  const key = `subpixel ${groups} ${cx} ${cy} ${m.kernelSize} ${m.stride} ${plans
    .map((c) => `${c.firstResidue}+${c.phaseCount}x${c.taps}${c.transposed ? 'T' : ''}`)
    .join(' ')}`;
  const plan = { per, plans, key };
  if (callPlans.size >= CALL_PLANS) callPlans.delete(callPlans.keys().next().value!);
  callPlans.set(id, plan);
  return plan;
}

/**
 * The row table of a transposed class's GEMM_C_KIND.scattered store: row (b, qz, qy, qx) of Cᵀ
 * is position q of every phase, at byte offset 4·(b·batchStride + Σ_d q_d·stride_d·(x's stride
 * along d)) from the class's x (the phase's own offset is in its panel, scatteredPanels).
 */
function scatteredRows(m: ConvPlan, q: Triple, nb: number, batchStride: number): Int32Array {
  const out = new Int32Array(nb * volume(q));
  const [, X1, X2] = m.xSize;
  const [s0, s1, s2] = m.stride;
  let r = 0;
  for (let b = 0; b < nb; b++)
    for (let qz = 0; qz < q[0]; qz++)
      for (let qy = 0; qy < q[1]; qy++)
        for (let qx = 0; qx < q[2]; qx++)
          out[r++] = 4 * (b * batchStride + (qz * s0 * X1 + qy * s1) * X2 + qx * s2);
  return out;
}

/**
 * The panel table of a transposed class's GEMM_C_KIND.scattered store: columns (c, pz, py, px) in
 * runs of NR adjacent phases along x (phaseCount[2] is a multiple of NR), each run NR adjacent
 * outputs of one x row: its byte offset 4·(c·plane + output offset of phase (pz, py, px)) and its
 * bias index c.
 */
function scatteredPanels(m: ConvPlan, NR: number, n: Triple, first: Triple, cx: number): Int32Array {
  const out = new Int32Array((2 * cx * volume(n)) / NR);
  const [, X1, X2] = m.xSize;
  let r = 0;
  for (let c = 0; c < cx; c++)
    for (let iz = 0; iz < n[0]; iz++)
      for (let iy = 0; iy < n[1]; iy++)
        for (let ix = 0; ix < n[2]; ix += NR) {
          out[r++] = 4 * (c * m.xPlane + ((first[0] + iz) * X1 + first[1] + iy) * X2 + first[2] + ix);
          out[r++] = c;
        }
  return out;
}

/**
 * A transposed class's scattered-store tables in the engine's memory: made once per call plan
 * (rows per batch chunk length) and copied in on every call.
 */
function scatterTables(
  e: WasmEngine,
  plan: ClassPlan,
  m: ConvPlan,
  nb: number,
  cx: number,
  batchStride: number,
): { rows: number; panels: number } {
  const t = plan.scatter;
  t.panels ??= scatteredPanels(m, e.NR, plan.phaseCount, plan.firstOutput, cx);
  let rows = t.rows.get(nb);
  if (!rows) {
    // a few batch chunk lengths per plan (a model's batch sizes); more start the cache afresh
    if (t.rows.size >= 8) t.rows.clear();
    t.rows.set(nb, (rows = scatteredRows(m, plan.positions, nb, batchStride)));
  }
  const copy = (a: Int32Array): number => {
    const p = e.alloc(a.length);
    e.i32.set(a, p >> 2);
    return p;
  };
  return { rows: copy(rows), panels: copy(t.panels) };
}

/**
 * x = convᵀ(y, w) + bias by sub-pixel decomposition (dilation 1), every element of x written.
 * Each class of phases (equal stride-1 geometry in every dimension) runs as one GEMM per group and
 * batch chunk: rows (phase, c), columns (b, q), K = (o, taps), or transposed; then each phase's
 * rows go to x[…, i0 + q·s]. The GEMMs of a class and group share its packed weights; GEMMs run in
 * waves (runWave).
 */
export function convScatterSubpixelWasm(
  e: WasmEngine,
  g: ConvGeometry,
  y: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  x: Float32Array,
): void {
  const m = convPlan(g);
  const { batch, groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy, xPlane } = m;
  const scan = weightsFinite(e, w);
  const { per, plans, key } = callPlan(e, m, scan.finite);
  const direct2x2 = storesPhases2x2(e, plans, m);
  // the tile rows of each class's packed weights (A): 4 when its GEMM stores x (phases2x2)
  const rowsOf = (c: ClassPlan): number => (direct2x2 ? e.MR : tileRowsFor(e, c.M));
  const packedFloats = (c: ClassPlan): number =>
    c.transposed ? roundUp(c.M, e.NR) * c.Kc : roundUp(c.M, rowsOf(c)) * c.Kc;
  const kept = keptBlock(
    e,
    w,
    `${key} ${plans.map(rowsOf).join(',')}`,
    groups * plans.reduce((a, c) => a + packedFloats(c), 0),
  );
  let keptAt = kept?.at ?? 0;
  // (a weight the scan copied in is the start of this call's scratch: no reset after it)
  if (scan.at === null) e.reset();
  const yp = e.copyIn(y);
  const wp = scan.at ?? e.copyIn(w);
  const xp = e.output(x);
  // One zero-padded copy of y, padded for every class's stride-1 convolution: that convolution
  // pads by taps − 1 − m0 before (negative: a crop) and reads up to index q − 1 + m0.
  const before = [0, 0, 0];
  const after = [0, 0, 0];
  for (let d = 0; d < 3; d++)
    for (const cls of per[d]!) {
      const { taps, m0, q } = cls[0]!;
      before[d] = Math.max(before[d]!, taps - 1 - m0);
      after[d] = Math.max(after[d]!, q - 1 + m0 - (m.ySize[d]! - 1));
    }
  const padBefore = before as unknown as Triple;
  const padAfter = after as unknown as Triple;
  const whole: SliceRecord = {
    channels: batch * groups * cy,
    xSize: m.ySize,
    ySize: m.ySize,
    kernelSize: ONE,
    stride: ONE,
    dilation: ONE,
    padBegin: [0, 0, 0],
    src: yp,
    channelStride: m.yPlane,
    batchStride: 0,
    batchCount: 1,
  };
  let yPadded = whole;
  if ([...before, ...after].some((v) => v > 0)) {
    const yPad = e.alloc(whole.channels * paddedSlice(whole, padBefore, padAfter, 0).channelStride);
    padCopy(e, e.record(PAD), whole, whole.channels, padBefore, padAfter, yPad);
    yPadded = paddedSlice(whole, padBefore, padAfter, yPad);
  }
  const bp = bias ? e.copyIn(bias) : 0;
  // Batch elements per GEMM: about SUBPIXEL_COLUMNS columns. Wide GEMMs stream the packed
  // weights fewer times and take fewer parallel steps (each wakes the workers); much wider
  // ones no longer keep their result in cache (bench/RESULTS.md).
  const nbcOf = (c: ClassPlan): number => Math.min(batch, Math.max(1, Math.ceil(SUBPIXEL_COLUMNS / c.qVol)));
  // per-thread GEMM scratch for every wave, the threads decided by the whole call's work;
  // one im2col buffer for the transposed classes (packed into each GEMM's own A at once)
  const work = groups * batch * plans.reduce((a, c) => a + c.M * c.Kc * c.qVol, 0);
  const threadScratches = threadScratch(e, Math.max(...plans.map((c) => c.Kc)), gemmThreads(e, work));
  const T = threadScratches.length;
  const cols = e.alloc(Math.max(0, ...plans.map((c) => (c.transposed ? c.Kc * nbcOf(c) * c.qVol : 0))));
  const waveTop = e.alloc(0);
  let wave: WaveGemm[] = [];
  let held = 0;
  const flush = (): void => {
    if (wave.length > 0) runWave(e, wave, threadScratches);
    wave = [];
    held = 0;
    e.release(waveTop);
  };
  for (const plan of plans) {
    const { first, taps, positions, phaseCount, qVol, nph, M, Kc, transposed, firstResidue } = plan;
    const nbc = nbcOf(plan);
    // the stride-1 convolution's padding taps − 1 − m0, less what the padded copy has
    const padBegin = map3(taps, (t, d) => t - 1 - first[d]!.m0 - before[d]!);
    const { firstOutput } = plan;
    for (let gr = 0; gr < groups; gr++) {
      // this class and group's kept packing (filled on the first call), else packed per wave
      const keptHere = kept ? keptAt : 0;
      keptAt += 4 * packedFloats(plan);
      const weights = {
        weights: wp + 4 * gr * cy * cx * m.kernelVolume,
        xChannels: cx,
        yChannels: cy,
        kernelSize: m.kernelSize,
        stride: m.stride,
        taps,
        firstResidue,
        phaseCount,
        tileRows: rowsOf(plan),
      };
      if (kept && !kept.ready) {
        // packed whole once, then read in place by every call's GEMMs of this class and group
        const top = e.alloc(0);
        const wr = e.record(WPACK, { ...weights, dst: keptHere });
        if (transposed) {
          const rec = e.record(GEMM, { n: M, k: Kc, bKind: GEMM_B_KIND.weights, b: wr });
          packWholeB(e, rec, M, Kc, keptHere);
        } else
          packSubpixelA(
            e,
            wr,
            Array.from({ length: T }, () => e.alloc(nph * (volume(taps) + 1))),
            M,
            Kc,
          );
        e.release(top);
      }
      // the weights of this class and group in the current wave (re-made after a flush)
      let packedIn = -1;
      let packed = keptHere;
      let wr = 0;
      let biasRows = 0;
      for (let b0 = 0; b0 < batch; b0 += nbc) {
        const nb = Math.min(nbc, batch - b0);
        // a transposed class's A is its im2colᵀ: nb · qVol rows
        const aRows = transposed ? tileRowsFor(e, nb * qVol) : rowsOf(plan);
        const need =
          (transposed ? nb * qVol + (2 * M) / e.NR + roundUp(nb * qVol, aRows) * Kc : M * nb * qVol) +
          (packedIn < 0 && !kept && !transposed ? packedFloats(plan) : 0);
        if (wave.length > 0 && held + need > WAVE_FLOATS) {
          flush();
          packedIn = -1;
        }
        held += need;
        if (packedIn < 0) {
          packedIn = 0;
          wr = e.record(WPACK, { ...weights, dst: 0 });
          if (!transposed) {
            if (!kept) {
              packed = e.alloc(packedFloats(plan));
              e.write(wr, WPACK, { dst: packed });
              const top = e.alloc(0);
              packSubpixelA(
                e,
                wr,
                Array.from({ length: T }, () => e.alloc(nph * (volume(taps) + 1))),
                M,
                Kc,
              );
              e.release(top);
            }
            if (bias) {
              // rows (c, phase)
              biasRows = e.alloc(M);
              const f = e.f32;
              for (let c = 0; c < cx; c++)
                f.fill(bias[gr * cx + c]!, (biasRows >> 2) + c * nph, (biasRows >> 2) + (c + 1) * nph);
            }
          }
        }
        const conv: SliceRecord = {
          channels: cy,
          xSize: yPadded.xSize,
          ySize: positions,
          kernelSize: taps,
          stride: ONE,
          dilation: ONE,
          padBegin,
          src: yPadded.src + 4 * (b0 * groups + gr) * cy * yPadded.channelStride,
          channelStride: yPadded.channelStride,
          batchStride: groups * cy * yPadded.channelStride,
          batchCount: nb,
        };
        const dst = xp + 4 * (b0 * groups + gr) * cx * xPlane;
        let rec: number;
        let hs = 0;
        if (transposed) {
          const tables = scatterTables(e, plan, m, nb, cx, groups * cx * xPlane);
          // Cᵀ (b·q × (c, phase)) = im2colᵀ · Wᵀ stored straight into x (GEMM_C_KIND.scattered),
          // bias added after; A = im2colᵀ (b·q × (o, taps)) packed from a plain im2col (rows (o, taps))
          const packedA = e.alloc(roundUp(nb * qVol, aRows) * Kc);
          const cv = e.record(SLICE);
          const r = { ...conv, columns: cols, columnStride: nb * qVol };
          writeSlice(e, cv, r);
          colsByChannel(e, FN.im2col, cv, r, volume(taps), 4 * Kc * nb * qVol);
          rec = e.record(GEMM, {
            m: nb * qVol,
            n: M,
            k: Kc,
            packedA,
            bKind: kept ? GEMM_B_KIND.packed : GEMM_B_KIND.weights,
            b: kept ? keptHere : wr,
            c: dst,
            cKind: GEMM_C_KIND.scattered,
            cRowOffsets: tables.rows,
            cPanels: tables.panels,
            mode: GEMM_MODE.set,
            bias: bias ? bp + 4 * gr * cx : 0,
            aSource: cols,
            aRowStride: 1,
            aColumnStride: nb * qVol,
            tileRows: aRows,
          });
          e.fns.packA(rec);
        } else {
          const cTmp = e.alloc(M * nb * qVol);
          hs = e.record(PHASE, {
            channels: cx,
            src: cTmp,
            srcStride: nb * qVol,
            positions,
            xSize: m.xSize,
            firstOutput,
            stride: m.stride,
            phaseCount,
            dst,
            channelStride: xPlane,
            batchStride: groups * cx * xPlane,
            batchCount: nb,
          });
          const cv = e.record(SLICE);
          writeSlice(e, cv, conv);
          rec = e.record(GEMM, {
            m: M,
            n: nb * qVol,
            k: Kc,
            packedA: packed,
            bKind: im2colKind(e, {
              stride: ONE,
              ySize: positions,
              channelStride: yPadded.channelStride,
              channels: cy,
              batchCount: nb,
            }),
            b: cv,
            c: cTmp,
            cRowStride: nb * qVol,
            mode: bias ? GEMM_MODE.bias : GEMM_MODE.set,
            bias: biasRows,
            tileRows: aRows,
          });
          if (direct2x2) {
            // the GEMM stores x itself: rows (c, py, px), columns (b, qy, qx)
            subpixelStats.gemmStores++;
            e.write(rec, GEMM, {
              c: e.read(hs, PHASE, 'dst'),
              cRowStride: xPlane,
              cKind: GEMM_C_KIND.phases2x2,
              cBatchStride: groups * cx * xPlane,
              cPositions: qVol,
              cRowLength: positions[2],
            });
          }
        }
        wave.push({
          rec,
          hs,
          plan,
          work: M * Kc * nb * qVol,
          storeBytes: 4 * M * nb * qVol,
          stored: transposed || direct2x2,
        });
      }
    }
  }
  flush();
  kept?.done();
  e.copyOut(xp, x);
}

/** One class of phases (equal stride-1 geometry in every dimension) and its GEMM's sizes. */
interface ClassPlan {
  first: readonly [Phase1, Phase1, Phase1];
  taps: Triple;
  positions: Triple;
  phaseCount: Triple;
  firstResidue: Triple;
  qVol: number;
  nph: number;
  /** rows (c, phase) */
  M: number;
  /** (o, taps) */
  Kc: number;
  /** the first output of the class's first phase, per dimension */
  firstOutput: Triple;
  /** transposed: the scattered store's tables (scatterTables), made on first use */
  scatter: { panels?: Int32Array; rows: Map<number, Int32Array> };
  /**
   * Runs of NR adjacent residues along x (large strides): the transposed GEMM, the weights as B
   * (see asm/subpixel.ts); otherwise rows (c, phase) with packed weights as A.
   */
  transposed: boolean;
}

function classPlan(
  e: WasmEngine,
  cls: readonly [Phase1[], Phase1[], Phase1[]],
  cx: number,
  cy: number,
): ClassPlan {
  const first = [cls[0][0]!, cls[1][0]!, cls[2][0]!] as const;
  const taps: Triple = [first[0].taps, first[1].taps, first[2].taps];
  const positions: Triple = [first[0].q, first[1].q, first[2].q];
  const phaseCount: Triple = [cls[0].length, cls[1].length, cls[2].length];
  const nph = volume(phaseCount);
  return {
    first,
    taps,
    positions,
    phaseCount,
    firstResidue: [first[0].r, first[1].r, first[2].r],
    qVol: volume(positions),
    nph,
    M: nph * cx,
    Kc: cy * volume(taps),
    firstOutput: [first[0].i0, first[1].i0, first[2].i0],
    scatter: { rows: new Map() },
    transposed: wasmConvTuning.transposedSubpixel && phaseCount[2] % e.NR === 0,
  };
}
