/**
 * Convolution kernels on the WebAssembly GEMM (same signatures as kernels/ref/conv.ts, plus the
 * engine; float32 data only). Per call: the operands are copied into linear memory, the module's
 * building blocks run, the output is copied out.
 *
 *   gather   y = W · im2col(x)            conv forward / convT input-grad; im2col is packed straight
 *                                         into the GEMM's B panels, or read in place from a
 *                                         zero-padded copy of x, never stored whole
 *   scatter  x = col2im(Wᵀ · y)           any geometry (convScatterCol2imWasm)
 *            x = sub-pixel phases         dilation 1 (convScatterSubpixelWasm): s^d stride-1
 *                                         convolutions of y with the kernel's phase slices, phases
 *                                         of equal geometry stacked into one GEMM (transposed when
 *                                         a class has many phases over few positions)
 *   weight   gw = Σ_b y_b · im2col(x_b)ᵀ  both ops' weight gradient
 *
 * Measured copy cost (Node 20, this machine): in and out of linear memory at 9-17 GB/s into warm
 * pages (0.12 ms for 2 MB), about 2-3% of W1 (DCGAN: 0.25 MB in, 2 MB of weights, 0.5 MB out).
 * Writing into a freshly allocated output array costs far more, 0.5-2 ms per MB of first-touch
 * page faults, but that is the op's allocation, paid by every kernel path alike (a storage pool
 * removes it).
 *
 * Which one runs is decided in kernels/dispatch.ts. References: K. Chellapilla et al., "High
 * performance convolutional neural networks for document processing" (2006) for im2col + GEMM;
 * W. Shi et al., arXiv:1609.07009 (2016) for the sub-pixel view of transposed convolution.
 */
import { convPlan, type ConvPlan, type Triple } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import {
  G,
  V,
  H,
  W,
  Z,
  MODE_SET,
  MODE_ADD,
  MODE_BIAS,
  B_STRIDED,
  B_IM2COL,
  B_DIRECT,
  B_WEIGHTS,
} from './abi.js';
import type { WasmEngine } from './loader.js';
import { FN, parallel, threadsOf, type Job } from './threads.js';

/** The geometry of one (batch, group) slice, per dimension padded to 3 as (z, y, x). */

/**
 * Switches for tests and measurements: directB false packs every im2col operand;
 * transposedSubpixel false keeps every sub-pixel class in the (c, phase)-rows orientation.
 */
export const wasmConvTuning = { directB: true, transposedSubpixel: true };

/**
 * How the GEMM reads an im2col operand whose taps all lie inside x: in place when the stride along
 * x is 1 and output rows are whole micro-panels (NR columns never straddle two rows), else packed.
 */
function im2colKind(e: WasmEngine, r: { S: Triple; Y: Triple; cs: number }): number {
  // a channel stride that is a multiple of 128 bytes maps the rows to a fraction of the L1 sets
  const spread = r.cs % 32 !== 0;
  return wasmConvTuning.directB && spread && r.S[2] === 1 && r.Y[2] % e.NR === 0 ? B_DIRECT : B_IM2COL;
}

const vol = (t: readonly number[]): number => t[0]! * t[1]! * t[2]!;
const ONE: Triple = [1, 1, 1];

function roundUp(v: number, m: number): number {
  return Math.ceil(v / m) * m;
}

/**
 * When work is split across threads. Below `minMacs` multiply-adds a GEMM runs on the calling
 * thread: waking a worker and waiting for it costs 20-60 µs here, and each thread packs its own B
 * blocks; a split gives each thread at least `minPanels` micro-panels (NR columns or MR rows).
 * Below `minBytes` written, a memory-bound step (store, col2im, padded copy) is not split.
 * Mutable for tests, which force splits on small, tail-hitting geometries.
 */
export const threadTuning = { minMacs: 4e6, minPanels: 4, minBytes: 1 << 19 };

/** One thread's GEMM scratch: a packed B block, an edge tile, the row tables, its record. */
interface ThreadScratch {
  bPack: number;
  tile: number;
  scratch: number;
  rec: number;
}

/** Scratch for one GEMM: packed A for an M × K operand and, per thread, a ThreadScratch. */
interface GemmScratch {
  a: number;
  per: ThreadScratch[];
  /** thread 0's (what a single-threaded call uses) */
  bPack: number;
  tile: number;
}

/** `work`: the multiply-adds of the largest GEMM this scratch serves (decides the thread count). */
function gemmScratch(e: WasmEngine, M: number, K: number, work: number): GemmScratch {
  const a = e.alloc(roundUp(M, e.MR) * K);
  const threads = work >= threadTuning.minMacs ? threadsOf(e) : 1;
  const per: ThreadScratch[] = [];
  for (let t = 0; t < threads; t++)
    per.push({
      bPack: e.alloc(e.fns.kcOf(K) * roundUp(e.NC, e.NR)),
      tile: e.alloc(e.MR * e.NR + e.MR),
      scratch: e.alloc(e.fns.blocking(5)),
      rec: e.record(G.FIELDS),
    });
  return { a, per, bPack: per[0]!.bPack, tile: per[0]!.tile };
}

/** [start, end) of part t of `units` units split into `parts` near-equal runs. */
function part(units: number, parts: number, t: number): [number, number] {
  return [Math.floor((t * units) / parts), Math.floor(((t + 1) * units) / parts)];
}

/**
 * Runs the GEMM of record `rec` with the scratch `s`, split over its threads by columns (whole NR
 * panels) when there are enough, else by rows (whole MR panels): every element of C is computed by
 * one thread with the same arithmetic, so the result does not depend on the thread count.
 */
function gemmRun(e: WasmEngine, rec: number, s: GemmScratch): void {
  const M = e.get(rec, G.M);
  const N = e.get(rec, G.N);
  const T = s.per.length;
  const byCols = N >= threadTuning.minPanels * T * e.NR;
  const byRows = !byCols && M >= threadTuning.minPanels * T * e.MR;
  if (T === 1 || (!byCols && !byRows) || M * N * e.get(rec, G.K) < threadTuning.minMacs) {
    const t = s.per[0]!;
    e.setAll(rec, G.BPACK, [t.bPack, t.tile]);
    e.set(rec, G.SCRATCH, t.scratch);
    e.fns.gemm(rec);
    return;
  }
  const [size, unit, lo, hi] = byCols ? [N, e.NR, G.N0, G.N1] : [M, e.MR, G.R0, G.R1];
  const units = Math.ceil(size / unit);
  const jobs: Job[] = s.per.map((t, i) => {
    const r = t.rec;
    e.i32.copyWithin(r >> 2, rec >> 2, (rec >> 2) + G.FIELDS);
    const [u0, u1] = part(units, T, i);
    e.set(r, lo, u0 * unit);
    e.set(r, hi, Math.min(size, u1 * unit));
    e.setAll(r, G.BPACK, [t.bPack, t.tile]);
    e.set(r, G.SCRATCH, t.scratch);
    return [FN.gemm, r] as const;
  });
  parallel(e, jobs);
}

/**
 * Runs a memory-bound kernel (`fn`, record `rec` of `fields` fields) over `count` units (channels,
 * planes) split across threads when it writes at least threadTuning.minBytes; `shift(r, u0, n)`
 * rewrites a copy of the record to cover units [u0, u0 + n) only.
 */
function splitRun(
  e: WasmEngine,
  fn: number,
  rec: number,
  fields: number,
  count: number,
  bytes: number,
  shift: (r: number, u0: number, n: number) => void,
): void {
  const T = bytes >= threadTuning.minBytes ? Math.min(count, threadsOf(e)) : 1;
  if (T <= 1) {
    parallel(e, [[fn, rec]]);
    return;
  }
  const top = e.alloc(0);
  const jobs: Job[] = [];
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(count, T, t);
    const r = e.copyRecord(rec, fields);
    shift(r, u0, u1 - u0);
    jobs.push([fn, r]);
  }
  parallel(e, jobs);
  e.release(top);
}

/** An im2col / col2im slice (asm/params.ts V_*): an x tensor region and the conv that reads it. */
export interface SliceRecord {
  /** channels */
  c: number;
  X: Triple;
  Y: Triple;
  K: Triple;
  S: Triple;
  D: Triple;
  P: Triple;
  /** byte offset of channel 0 of batch element 0 */
  src: number;
  /** channel and batch strides in floats */
  cs: number;
  bs: number;
  /** batch elements the im2col columns span */
  nb: number;
  /** plain im2col / col2im: the matrix and its row stride */
  cols?: number;
  ld?: number;
}

/** The x slice of batch element `b`, group `gr` (x at byte offset `xp` in wasm memory). */
function xSlice(m: ConvPlan, xp: number, b: number, gr: number): SliceRecord {
  return {
    c: m.cx,
    X: m.X,
    Y: m.Y,
    K: m.K,
    S: m.S,
    D: m.D,
    P: m.P,
    src: xp + 4 * (b * m.G + gr) * m.cx * m.xPlane,
    cs: m.xPlane,
    bs: 0,
    nb: 1,
  };
}

export function writeSlice(e: WasmEngine, p: number, r: SliceRecord): void {
  e.setAll(p, 0, [r.c, ...r.X, ...r.Y, ...r.K, ...r.S, ...r.D, ...r.P, r.src, r.cs, r.bs, r.nb]);
  e.setAll(p, V.COLS, [r.cols ?? 0, r.ld ?? 0]);
}

/**
 * Plain im2col or col2im (`fn`) of the slice record at `cv` (already written from `r`), split by
 * channels across threads: channel c's rows of the matrix are [c·kVol, (c + 1)·kVol) and it
 * reads / writes only x channel c.
 */
export function colsByChannel(
  e: WasmEngine,
  fn: number,
  cv: number,
  r: SliceRecord,
  kVol: number,
  bytes: number,
): void {
  splitRun(e, fn, cv, V.FIELDS, r.c, bytes, (q, c0, n) => {
    e.set(q, V.C, n);
    e.set(q, V.SRC, r.src + 4 * c0 * r.cs);
    e.set(q, V.COLS, r.cols! + 4 * c0 * kVol * r.ld!);
  });
}

/**
 * phaseStore / phaseStoreT (`fn`) of the store record at `hs`, split by x channels across threads:
 * channel c's part of the GEMM result starts `c · nph · step` floats in (phaseStore: rows (c, phase),
 * step = the row stride; phaseStoreT: columns (c, phase), step 1), its x plane c · H_CS floats in.
 */
function storeByChannel(
  e: WasmEngine,
  fn: number,
  hs: number,
  channels: number,
  nph: number,
  step: number,
  bytes: number,
): void {
  const src = e.get(hs, H.SRC);
  const dst = e.get(hs, H.DST);
  const cs = e.get(hs, H.CS);
  const bias = e.get(hs, H.BIAS);
  splitRun(e, fn, hs, H.FIELDS, channels, bytes, (q, c0, n) => {
    e.set(q, H.C, n);
    e.set(q, H.SRC, src + 4 * c0 * nph * step);
    e.set(q, H.DST, dst + 4 * c0 * cs);
    if (bias) e.set(q, H.BIAS, bias + 4 * c0);
  });
}

/**
 * Zero padding per dimension that puts every tap of every output inside x, so that im2col runs
 * without bounds tests: before max(0, P), after max(0, (Y − 1)·S + (K − 1)·D − P − (X − 1)).
 */
function padFor(r: SliceRecord): { before: Triple; after: Triple; any: boolean } {
  const before = r.P.map((p) => Math.max(0, p)) as Triple;
  const after = r.X.map((x, i) =>
    Math.max(0, (r.Y[i]! - 1) * r.S[i]! + (r.K[i]! - 1) * r.D[i]! - r.P[i]! - (x - 1)),
  ) as Triple;
  return { before, after, any: [...before, ...after].some((v) => v > 0) };
}

/**
 * Plane stride of a padded copy: planes of 256 floats or more start an odd number of 64-byte lines
 * apart, so that the in-place B's rows (one per channel) spread over all L1 sets instead of piling
 * into a few (a power-of-two plane, 64 × 64 floats, puts every row in the same set).
 */
function planeStride(v: number): number {
  return v < 256 ? v : v + ((((16 - (v % 32)) % 32) + 32) % 32);
}

/** The slice record of a zero-padded copy at `dst`. */
function paddedSlice(r: SliceRecord, before: Triple, after: Triple, dst: number): SliceRecord {
  const X = r.X.map((x, i) => x + before[i]! + after[i]!) as Triple;
  const P = r.P.map((p, i) => p - before[i]!) as Triple;
  const cs = planeStride(vol(X));
  return { ...r, X, P, src: dst, cs, bs: r.c * cs };
}

/** Copies `planes` planes of the slice (plane stride `r.cs`) into `dst` with the padding. */
function padCopy(
  e: WasmEngine,
  rec: number,
  r: SliceRecord,
  planes: number,
  before: Triple,
  after: Triple,
  dst: number,
): void {
  const dps = paddedSlice(r, before, after, dst).cs;
  e.setAll(rec, 0, [r.src, r.cs, dst, planes, ...r.X, ...before, ...after, dps]);
  splitRun(e, FN.padCopy, rec, Z.FIELDS, planes, 4 * planes * dps, (q, p0, n) => {
    e.setAll(q, 0, [r.src + 4 * p0 * r.cs, r.cs, dst + 4 * p0 * dps, n]);
  });
}

/** y = conv(x, w) + bias, every element of y written. */
export function convGatherWasm(
  e: WasmEngine,
  g: ConvGeometry,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const m = convPlan(g);
  const Kd = m.cx * m.kVol;
  e.reset();
  const xp = e.copyIn(x);
  const wp = e.copyIn(w);
  const bp = bias ? e.copyIn(bias) : 0;
  const yp = e.alloc(y.length);
  const s = gemmScratch(e, m.cy, Kd, m.cy * Kd * m.yPlane);
  const rec = e.record(G.FIELDS);
  const cv = e.record(V.FIELDS);
  const zr = e.record(Z.FIELDS);
  const slice = (b: number, gr: number): SliceRecord => xSlice(m, xp, b, gr);
  // im2col reads a zero-padded copy of the x slice when any tap falls outside x
  const pad = padFor(slice(0, 0));
  const shape = pad.any ? paddedSlice(slice(0, 0), pad.before, pad.after, 0) : slice(0, 0);
  const xPad = pad.any ? e.alloc(m.cx * shape.cs) : 0;
  // y_bg (cy × yPlane) = W_g (cy × cx·kVol) · im2col(x_bg), bias per row
  e.setAll(rec, 0, [m.cy, m.yPlane, Kd, s.a, im2colKind(e, shape), cv, 0, 0, 0, m.yPlane]);
  e.setAll(rec, G.MODE, [bias ? MODE_BIAS : MODE_SET, 0, s.bPack, s.tile, 0]);
  for (let gr = 0; gr < m.G; gr++) {
    e.setAll(rec, G.ASRC, [wp + 4 * gr * m.cy * Kd, Kd, 1]);
    e.fns.packA(rec);
    e.set(rec, G.BIAS, bp + 4 * gr * m.cy);
    for (let b = 0; b < m.N; b++) {
      let r = slice(b, gr);
      if (pad.any) {
        padCopy(e, zr, r, m.cx, pad.before, pad.after, xPad);
        r = paddedSlice(r, pad.before, pad.after, xPad);
      }
      writeSlice(e, cv, r);
      e.set(rec, G.C, yp + 4 * (b * m.G + gr) * m.cy * m.yPlane);
      gemmRun(e, rec, s);
    }
  }
  e.copyOut(yp, y);
}

/** Fills x (in linear memory) with the bias per x channel, or zeros. */
function initX(e: WasmEngine, xp: number, g: ConvGeometry, bias: Float32Array | null, xPlane: number): void {
  const f = e.f32;
  const o = xp >> 2;
  if (!bias) {
    f.fill(0, o, o + g.batch * g.xChannels * xPlane);
    return;
  }
  for (let b = 0; b < g.batch; b++)
    for (let c = 0; c < g.xChannels; c++) {
      const at = o + (b * g.xChannels + c) * xPlane;
      f.fill(bias[c]!, at, at + xPlane);
    }
}

/** x = convᵀ(y, w) + bias by GEMM + col2im (any geometry), every element of x written. */
export function convScatterCol2imWasm(
  e: WasmEngine,
  g: ConvGeometry,
  y: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  x: Float32Array,
): void {
  const m = convPlan(g);
  const Kd = m.cx * m.kVol;
  e.reset();
  const yp = e.copyIn(y);
  const wp = e.copyIn(w);
  const xp = e.alloc(x.length);
  initX(e, xp, g, bias, m.xPlane);
  const cols = e.alloc(Kd * m.yPlane);
  const s = gemmScratch(e, Kd, m.cy, Kd * m.cy * m.yPlane);
  const rec = e.record(G.FIELDS);
  const cv = e.record(V.FIELDS);
  // cols (cx·kVol × yPlane) = W_gᵀ · y_bg, then x_bg += col2im(cols)
  e.setAll(rec, 0, [Kd, m.yPlane, m.cy, s.a, B_STRIDED, 0, m.yPlane, 1, cols, m.yPlane, MODE_SET]);
  e.setAll(rec, G.BPACK, [s.bPack, s.tile, 0]);
  for (let gr = 0; gr < m.G; gr++) {
    // A = W_gᵀ: element (m, k) at W_g[k·Kd + m]
    e.setAll(rec, G.ASRC, [wp + 4 * gr * m.cy * Kd, 1, Kd]);
    e.fns.packA(rec);
    for (let b = 0; b < m.N; b++) {
      e.set(rec, G.B, yp + 4 * (b * m.G + gr) * m.cy * m.yPlane);
      gemmRun(e, rec, s);
      const r = { ...xSlice(m, xp, b, gr), cols, ld: m.yPlane };
      writeSlice(e, cv, r);
      colsByChannel(e, FN.col2im, cv, r, m.kVol, 4 * m.cx * m.xPlane);
    }
  }
  e.copyOut(xp, x);
}

/**
 * packASubpixel of the class record `wr` (an M × K operand), split by MR-row panels across as many
 * threads as `taps` has tap-table scratch areas when it writes at least threadTuning.minBytes.
 */
function packSubpixelA(e: WasmEngine, wr: number, taps: number[], M: number, K: number): void {
  const panels = Math.ceil(M / e.MR);
  const T = 4 * M * K >= threadTuning.minBytes ? Math.min(taps.length, panels) : 1;
  e.setAll(wr, W.M0, [0, 0, taps[0]!]);
  if (T <= 1) {
    e.fns.packASubpixel(wr);
    return;
  }
  const top = e.alloc(0);
  const jobs: Job[] = [];
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(panels, T, t);
    const r = e.copyRecord(wr, W.FIELDS);
    e.setAll(r, W.M0, [u0 * e.MR, u1 * e.MR, taps[t]!]);
    jobs.push([FN.packASubpixel, r]);
  }
  parallel(e, jobs);
  e.release(top);
}

/** One dimension's phase: residue r, taps KR, first m, count Q, first output i0. */
interface Phase1 {
  r: number;
  kr: number;
  m0: number;
  q: number;
  i0: number;
}

/**
 * Output i = r − p + s·m takes y[m − j]·w[r + j·s] for j < KR = ⌈(K − r)/s⌉, m from
 * m0 = ⌈(p − r)/s⌉ to m1 = ⌊(X − 1 + p − r)/s⌋ (see asm/subpixel.ts). Residues without outputs
 * are left out.
 */
function phases1(X: number, K: number, s: number, p: number): Phase1[] {
  const out: Phase1[] = [];
  for (let r = 0; r < s; r++) {
    const kr = Math.max(0, Math.ceil((K - r) / s));
    const m0 = Math.ceil((p - r) / s);
    const m1 = Math.floor((X - 1 + p - r) / s);
    const q = m1 - m0 + 1;
    if (q > 0) out.push({ r, kr, m0, q, i0: r - p + m0 * s });
  }
  return out;
}

/** Phases with the same (KR, m0, Q) in one dimension share their stride-1 convolution's geometry. */
function classes1(ps: Phase1[]): Phase1[][] {
  const groups = new Map<string, Phase1[]>();
  for (const ph of ps) {
    const key = `${ph.kr},${ph.m0},${ph.q}`;
    const list = groups.get(key);
    if (list) list.push(ph);
    else groups.set(key, [ph]);
  }
  const classes = [...groups.values()];
  // each class is a run of consecutive residues (m0, KR and Q are monotone in r): asm/subpixel.ts
  // describes a class by its first residue and its length
  for (const c of classes)
    c.forEach((ph, i) => {
      if (ph.r !== c[0]!.r + i)
        throw new Error(`sub-pixel: residues ${c.map((q) => q.r).join(',')} are not consecutive`);
    });
  return classes;
}

/** Columns (batch elements × positions) of one sub-pixel class GEMM (see convScatterSubpixelWasm). */
const SUBPIXEL_COLUMNS = 4096;

/** The sub-pixel decomposition needs dilation 1 in every dimension. */
export function subpixelApplies(g: ConvGeometry): boolean {
  return g.dilation.every((d) => d === 1);
}

/**
 * x = convᵀ(y, w) + bias by sub-pixel decomposition (dilation 1), every element of x written.
 * Each class of phases (equal stride-1 geometry in every dimension) runs as one GEMM:
 * rows (phase, c), columns (b, q), K = (o, taps); then each phase's rows go to x[…, i0 + q·s].
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
  const per = [0, 1, 2].map((d) => classes1(phases1(m.X[d]!, m.K[d]!, m.S[d]!, m.P[d]!)));
  e.reset();
  const yp = e.copyIn(y);
  const wp = e.copyIn(w);
  const xp = e.alloc(x.length);
  const rec = e.record(G.FIELDS);
  const cv = e.record(V.FIELDS);
  const hs = e.record(H.FIELDS);
  // One zero-padded copy of y, padded for every class's stride-1 convolution: that convolution
  // pads by KR − 1 − m0 before (negative: a crop) and reads up to index Q − 1 + KR − 1 − (KR − 1 − m0).
  const before: Triple = [0, 0, 0];
  const after: Triple = [0, 0, 0];
  for (let d = 0; d < 3; d++)
    for (const cls of per[d]!) {
      const { kr, m0, q } = cls[0]!;
      before[d] = Math.max(before[d]!, kr - 1 - m0);
      after[d] = Math.max(after[d]!, q - 1 + m0 - (m.Y[d]! - 1));
    }
  const whole: SliceRecord = {
    c: m.N * m.G * m.cy,
    X: m.Y,
    Y: m.Y,
    K: ONE,
    S: ONE,
    D: ONE,
    P: [0, 0, 0],
    src: yp,
    cs: m.yPlane,
    bs: 0,
    nb: 1,
  };
  let yPadded = whole;
  if ([...before, ...after].some((v) => v > 0)) {
    const yPad = e.alloc(whole.c * paddedSlice(whole, before, after, 0).cs);
    padCopy(e, e.record(Z.FIELDS), whole, whole.c, before, after, yPad);
    yPadded = paddedSlice(whole, before, after, yPad);
  }
  const bp = bias ? e.copyIn(bias) : 0;
  const top = e.alloc(0);
  for (const cz of per[0]!)
    for (const cyy of per[1]!)
      for (const cxx of per[2]!) {
        const cls = [cz, cyy, cxx];
        const first = cls.map((c) => c[0]!);
        const KR = first.map((ph) => ph.kr) as Triple;
        const Q = first.map((ph) => ph.q) as Triple;
        const n = cls.map((c) => c.length) as Triple;
        const qVol = vol(Q);
        const nph = vol(n);
        const M = nph * m.cx;
        const Kc = m.cy * vol(KR);
        // Batch elements per GEMM: about SUBPIXEL_COLUMNS columns. Wide GEMMs stream the packed
        // weights fewer times and take fewer parallel steps (each wakes the workers); measured on
        // W1/b16 (16 × 256 columns) against 256 columns per GEMM: 1.2× faster on one thread,
        // 1.4-1.9× on two; 8192 was slower again (the 16 MB result no longer stays in cache).
        const nbc = Math.min(m.N, Math.max(1, Math.ceil(SUBPIXEL_COLUMNS / qVol)));
        // Runs of NR adjacent residues along x (large strides): the transposed GEMM, weights read
        // in place (see asm/subpixel.ts); otherwise rows (c, phase) with packed weights.
        const transposed = wasmConvTuning.transposedSubpixel && n[2] % e.NR === 0;
        // per-class scratch (released for the next class; the operands stay)
        e.release(top);
        const wr = e.record(W.FIELDS);
        const cols = transposed ? e.alloc(Kc * nbc * qVol) : 0;
        const work = M * Kc * nbc * qVol;
        const s = transposed ? gemmScratch(e, nbc * qVol, Kc, work) : gemmScratch(e, M, Kc, work);
        // packASubpixel's tap tables, one per thread that packs
        const taps = transposed ? [] : s.per.map(() => e.alloc(nph * (vol(KR) + 1)));
        const biasRows = bias && !transposed ? e.alloc(M) : 0;
        const cTmp = e.alloc(M * nbc * qVol);
        if (transposed) {
          // Cᵀ (b·q × (c, phase)) = im2colᵀ · Wᵀ, bias added by the store
          e.setAll(rec, 0, [0, M, Kc, s.a, B_WEIGHTS, wr, 0, 0, cTmp, M, MODE_SET, 0, s.bPack, s.tile, 0]);
        } else {
          const kind = im2colKind(e, { S: ONE, Y: Q, cs: yPadded.cs });
          e.setAll(rec, 0, [M, 0, Kc, s.a, kind, cv, 0, 0, cTmp, 0]);
          e.setAll(rec, G.MODE, [bias ? MODE_BIAS : MODE_SET, biasRows, s.bPack, s.tile, 0]);
        }
        // the stride-1 convolution's padding KR − 1 − m0, less what the padded copy has
        const P = first.map((ph, d) => ph.kr - 1 - ph.m0 - before[d]!) as Triple;
        const r0 = first.map((ph) => ph.r);
        const i0 = first.map((ph) => ph.i0);
        for (let gr = 0; gr < m.G; gr++) {
          const wg = wp + 4 * gr * m.cy * m.cx * m.kVol;
          e.setAll(wr, 0, [wg, m.cx, m.cy, ...m.K, ...m.S, ...KR, ...r0, ...n, s.a]);
          if (!transposed) {
            packSubpixelA(e, wr, taps, M, Kc);
            if (bias) {
              // rows (c, phase)
              const f = e.f32;
              for (let c = 0; c < m.cx; c++)
                f.fill(bias[gr * m.cx + c]!, (biasRows >> 2) + c * nph, (biasRows >> 2) + (c + 1) * nph);
            }
          }
          for (let b0 = 0; b0 < m.N; b0 += nbc) {
            const nb = Math.min(nbc, m.N - b0);
            const conv: SliceRecord = {
              c: m.cy,
              X: yPadded.X,
              Y: Q,
              K: KR,
              S: ONE,
              D: ONE,
              P,
              src: yPadded.src + 4 * (b0 * m.G + gr) * m.cy * yPadded.cs,
              cs: yPadded.cs,
              bs: m.G * m.cy * yPadded.cs,
              nb,
            };
            const xs = xp + 4 * (b0 * m.G + gr) * m.cx * m.xPlane;
            e.setAll(hs, 0, [m.cx, cTmp, 0, ...Q, ...m.X, ...i0, ...m.S, ...n]);
            e.setAll(hs, H.DST, [xs, m.xPlane, m.G * m.cx * m.xPlane, nb, bias ? bp + 4 * gr * m.cx : 0]);
            if (transposed) {
              // A = im2colᵀ (b·q × (o, taps)), from a plain im2col (rows (o, taps))
              const r = { ...conv, cols, ld: nb * qVol };
              writeSlice(e, cv, r);
              colsByChannel(e, FN.im2col, cv, r, vol(KR), 4 * Kc * nb * qVol);
              e.setAll(rec, 0, [nb * qVol]);
              e.setAll(rec, G.ASRC, [cols, 1, nb * qVol]);
              e.fns.packA(rec);
              gemmRun(e, rec, s);
              e.set(hs, H.LD, M);
              storeByChannel(e, FN.phaseStoreT, hs, m.cx, nph, 1, 4 * M * nb * qVol);
            } else {
              writeSlice(e, cv, conv);
              e.set(rec, G.N, nb * qVol);
              e.set(rec, G.LDC, nb * qVol);
              gemmRun(e, rec, s);
              e.set(hs, H.LD, nb * qVol);
              storeByChannel(e, FN.phaseStore, hs, m.cx, nph, nb * qVol, 4 * M * nb * qVol);
            }
          }
        }
      }
  e.copyOut(xp, x);
}

/** gw = Σ_b y_b · im2col(x_b)ᵀ per group, every element of gw written. */
export function convWeightWasm(
  e: WasmEngine,
  g: ConvGeometry,
  x: Float32Array,
  y: Float32Array,
  gw: Float32Array,
): void {
  const m = convPlan(g);
  const Kd = m.cx * m.kVol;
  e.reset();
  const xp = e.copyIn(x);
  const yp = e.copyIn(y);
  const gp = e.alloc(gw.length);
  const cols = e.alloc(Kd * m.yPlane);
  const s = gemmScratch(e, m.cy, m.yPlane, m.cy * Kd * m.yPlane);
  const rec = e.record(G.FIELDS);
  const cv = e.record(V.FIELDS);
  // gw_g (cy × Kd) (+)= y_bg (cy × yPlane) · colsᵀ, colsᵀ read with strides (1, yPlane)
  e.setAll(rec, 0, [m.cy, Kd, m.yPlane, s.a, B_STRIDED, cols, 1, m.yPlane, 0, Kd]);
  e.setAll(rec, G.BIAS, [0, s.bPack, s.tile, 0]);
  if (m.N === 0) e.f32.fill(0, gp >> 2, (gp >> 2) + gw.length);
  for (let gr = 0; gr < m.G; gr++) {
    e.set(rec, G.C, gp + 4 * gr * m.cy * Kd);
    for (let b = 0; b < m.N; b++) {
      const r = { ...xSlice(m, xp, b, gr), cols, ld: m.yPlane };
      writeSlice(e, cv, r);
      colsByChannel(e, FN.im2col, cv, r, m.kVol, 4 * Kd * m.yPlane);
      e.setAll(rec, G.ASRC, [yp + 4 * (b * m.G + gr) * m.cy * m.yPlane, m.yPlane, 1]);
      e.fns.packA(rec);
      e.set(rec, G.MODE, b === 0 ? MODE_SET : MODE_ADD);
      gemmRun(e, rec, s);
    }
  }
  e.copyOut(gp, gw);
}
