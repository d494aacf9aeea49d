/**
 * Transposed convolution by sub-pixel decomposition on the WebAssembly GEMM (dilation 1): s^d
 * stride-1 convolutions of y with the kernel's phase slices, phases of equal geometry stacked into
 * one GEMM (transposed when a class has many phases over few positions), each phase's rows then
 * stored to x[…, firstOutput + q·stride]. The per-dimension phase arithmetic is here; asm/subpixel.ts
 * packs the weights and stores the phases. Reference: W. Shi et al., arXiv:1609.07009 (2016).
 */
import { convPlan, map3, volume, type Triple } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import { GEMM, GEMM_B_KIND, GEMM_MODE, PAD, PHASE, SLICE, WPACK } from './layout.js';
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
import { gemmRun, gemmScratch, packThreads, part, runByUnits, splitRecord } from './split.js';
import { FN, parallel, type Job } from './threads.js';
import { keptBlock } from './kept.js';

const ONE: Triple = [1, 1, 1];

/** The sub-pixel decomposition needs dilation 1 in every dimension. */
export function subpixelApplies(g: ConvGeometry): boolean {
  return g.dilation.every((d) => d === 1);
}

/** One dimension's phase: residue r, taps, first position m0, positions q, first output i0. */
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
 */
function phases1(X: number, K: number, s: number, p: number): Phase1[] {
  const out: Phase1[] = [];
  for (let r = 0; r < s; r++) {
    const taps = Math.max(0, Math.ceil((K - r) / s));
    const m0 = Math.ceil((p - r) / s);
    const m1 = Math.floor((X - 1 + p - r) / s);
    const q = m1 - m0 + 1;
    if (q > 0) out.push({ r, taps, m0, q, i0: r - p + m0 * s });
  }
  return out;
}

/** Phases with the same (taps, m0, q) in one dimension share their stride-1 convolution's geometry. */
function classes1(ps: Phase1[]): Phase1[][] {
  const groups = new Map<string, Phase1[]>();
  for (const ph of ps) {
    const key = `${ph.taps},${ph.m0},${ph.q}`;
    const list = groups.get(key);
    if (list) list.push(ph);
    else groups.set(key, [ph]);
  }
  const classes = [...groups.values()];
  // each class is a run of consecutive residues (m0, taps and q are monotone in r): asm/subpixel.ts
  // describes a class by its first residue and its length
  for (const c of classes)
    c.forEach((ph, i) => {
      if (ph.r !== c[0]!.r + i)
        throw new Error(`sub-pixel: residues ${c.map((q) => q.r).join(',')} are not consecutive`);
    });
  return classes;
}

/** Columns (batch elements × positions) of one sub-pixel class GEMM. */
const SUBPIXEL_COLUMNS = 4096;

/**
 * packASubpixel of the class record `wr` (an M × K operand), split by MR-row panels across as many
 * threads as packThreads allows, each with its own tap table from `taps`.
 */
function packSubpixelA(e: WasmEngine, wr: number, taps: number[], M: number, K: number): void {
  const T = packThreads(e, M, K, taps.length);
  e.write(wr, WPACK, { rowBegin: 0, rowEnd: 0, scratch: taps[0]! });
  if (T <= 1) {
    e.fns.packASubpixel(wr);
    return;
  }
  const panels = Math.ceil(M / e.MR);
  const top = e.alloc(0);
  const jobs: Job[] = [];
  for (let t = 0; t < T; t++) {
    const [u0, u1] = part(panels, T, t);
    const r = e.copyRecord(wr, WPACK, { rowBegin: u0 * e.MR, rowEnd: u1 * e.MR, scratch: taps[t]! });
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
 * phaseStore / phaseStoreT (`fn`) of the store record at `hs`, split by x channels across threads:
 * channel c's part of the GEMM result starts `c · nph · step` floats in (phaseStore: rows (c, phase),
 * step = the row stride; phaseStoreT: columns (c, phase), step 1), its x plane c · channelStride in.
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
  const src = e.read(hs, PHASE, 'src');
  const dst = e.read(hs, PHASE, 'dst');
  const cs = e.read(hs, PHASE, 'channelStride');
  const bias = e.read(hs, PHASE, 'bias');
  splitRecord(e, fn, PHASE, hs, channels, bytes, (c0, n) => ({
    channels: n,
    src: src + 4 * c0 * nph * step,
    dst: dst + 4 * c0 * cs,
    bias: bias ? bias + 4 * c0 : 0,
  }));
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
  const { batch, groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy, xPlane } = m;
  const per = [0, 1, 2].map((d) =>
    classes1(phases1(m.xSize[d]!, m.kernelSize[d]!, m.stride[d]!, m.padBegin[d]!)),
  );
  // Each class's GEMM: rows (c, phase) or, transposed, columns; the weights packed per class and
  // group as A (packASubpixel) or, transposed, as B whole (packB) when they are kept between calls.
  const plans: ClassPlan[] = [];
  for (const cz of per[0]!)
    for (const cyy of per[1]!) for (const cxx of per[2]!) plans.push(classPlan(e, [cz, cyy, cxx], cx, cy));
  const packedFloats = (c: ClassPlan): number =>
    c.transposed ? Math.ceil(c.M / e.NR) * e.NR * c.Kc : Math.ceil(c.M / e.MR) * e.MR * c.Kc;
  const key = `subpixel ${groups} ${cx} ${cy} ${m.kernelSize} ${m.stride} ${plans
    .map((c) => `${c.firstResidue}+${c.phaseCount}x${c.taps}${c.transposed ? 'T' : ''}`)
    .join(' ')}`;
  const kept = keptBlock(e, w, key, groups * plans.reduce((a, c) => a + packedFloats(c), 0));
  let keptAt = kept?.at ?? 0;
  e.reset();
  const yp = e.copyIn(y);
  const wp = e.copyIn(w);
  const xp = e.output(x);
  const rec = e.record(GEMM);
  const cv = e.record(SLICE);
  const hs = e.record(PHASE);
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
  const top = e.alloc(0);
  for (const plan of plans) {
    const { first, taps, positions, phaseCount, qVol, nph, M, Kc, transposed } = plan;
    // Batch elements per GEMM: about SUBPIXEL_COLUMNS columns. Wide GEMMs stream the packed
    // weights fewer times and take fewer parallel steps (each wakes the workers); much wider
    // ones no longer keep their result in cache (bench/RESULTS.md).
    const nbc = Math.min(batch, Math.max(1, Math.ceil(SUBPIXEL_COLUMNS / qVol)));
    // per-class scratch (released for the next class; the operands stay)
    e.release(top);
    const wr = e.record(WPACK);
    const cols = transposed ? e.alloc(Kc * nbc * qVol) : 0;
    const work = M * Kc * nbc * qVol;
    const s = transposed ? gemmScratch(e, nbc * qVol, Kc, work) : gemmScratch(e, M, Kc, work);
    // packASubpixel's tap tables, one per thread that packs
    const tapTables = transposed ? [] : s.per.map(() => e.alloc(nph * (volume(taps) + 1)));
    const biasRows = bias && !transposed ? e.alloc(M) : 0;
    const cTmp = e.alloc(M * nbc * qVol);
    if (transposed) {
      // Cᵀ (b·q × (c, phase)) = im2colᵀ · Wᵀ, bias added by the store
      e.write(rec, GEMM, {
        m: 0,
        n: M,
        k: Kc,
        packedA: s.packedA,
        bKind: GEMM_B_KIND.weights,
        b: wr,
        c: cTmp,
        cRowStride: M,
        mode: GEMM_MODE.set,
        bias: 0,
        bPack: s.bPack,
        tile: s.tile,
      });
    } else {
      e.write(rec, GEMM, {
        m: M,
        k: Kc,
        packedA: s.packedA,
        bKind: im2colKind(e, { stride: ONE, ySize: positions, channelStride: yPadded.channelStride }),
        b: cv,
        c: cTmp,
        mode: bias ? GEMM_MODE.bias : GEMM_MODE.set,
        bias: biasRows,
        bPack: s.bPack,
        tile: s.tile,
      });
    }
    // the stride-1 convolution's padding taps − 1 − m0, less what the padded copy has
    const padBegin = map3(taps, (t, d) => t - 1 - first[d]!.m0 - before[d]!);
    const { firstResidue } = plan;
    const firstOutput: Triple = [first[0].i0, first[1].i0, first[2].i0];
    for (let gr = 0; gr < groups; gr++) {
      // this class and group's kept packing, or the per-call scratch
      const packed = kept ? keptAt : s.packedA;
      keptAt += 4 * packedFloats(plan);
      e.write(wr, WPACK, {
        weights: wp + 4 * gr * cy * cx * m.kernelVolume,
        xChannels: cx,
        yChannels: cy,
        kernelSize: m.kernelSize,
        stride: m.stride,
        taps,
        firstResidue,
        phaseCount,
        dst: transposed ? s.packedA : packed,
      });
      if (transposed && kept) {
        // B packed whole once, then read in place by every GEMM of this group
        e.write(rec, GEMM, { bKind: GEMM_B_KIND.weights, b: wr });
        if (!kept.ready) packWholeB(e, rec, M, Kc, packed);
        e.write(rec, GEMM, { bKind: GEMM_B_KIND.packed, b: packed });
      }
      if (!transposed) {
        e.write(rec, GEMM, { packedA: packed });
        if (!kept?.ready) packSubpixelA(e, wr, tapTables, M, Kc);
        if (bias) {
          // rows (c, phase)
          const f = e.f32;
          for (let c = 0; c < cx; c++)
            f.fill(bias[gr * cx + c]!, (biasRows >> 2) + c * nph, (biasRows >> 2) + (c + 1) * nph);
        }
      }
      for (let b0 = 0; b0 < batch; b0 += nbc) {
        const nb = Math.min(nbc, batch - b0);
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
        e.write(hs, PHASE, {
          channels: cx,
          src: cTmp,
          positions,
          xSize: m.xSize,
          firstOutput,
          stride: m.stride,
          phaseCount,
          dst: xp + 4 * (b0 * groups + gr) * cx * xPlane,
          channelStride: xPlane,
          batchStride: groups * cx * xPlane,
          batchCount: nb,
          bias: bias ? bp + 4 * gr * cx : 0,
        });
        if (transposed) {
          // A = im2colᵀ (b·q × (o, taps)), from a plain im2col (rows (o, taps))
          const r = { ...conv, columns: cols, columnStride: nb * qVol };
          writeSlice(e, cv, r);
          colsByChannel(e, FN.im2col, cv, r, volume(taps), 4 * Kc * nb * qVol);
          e.write(rec, GEMM, { m: nb * qVol, aSource: cols, aRowStride: 1, aColumnStride: nb * qVol });
          e.fns.packA(rec);
          gemmRun(e, rec, s);
          e.write(hs, PHASE, { srcStride: M });
          storeByChannel(e, FN.phaseStoreT, hs, cx, nph, 1, 4 * M * nb * qVol);
        } else {
          writeSlice(e, cv, conv);
          e.write(rec, GEMM, { n: nb * qVol, cRowStride: nb * qVol });
          gemmRun(e, rec, s);
          e.write(hs, PHASE, { srcStride: nb * qVol });
          storeByChannel(e, FN.phaseStore, hs, cx, nph, nb * qVol, 4 * M * nb * qVol);
        }
      }
    }
  }
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
    transposed: wasmConvTuning.transposedSubpixel && phaseCount[2] % e.NR === 0,
  };
}
