/**
 * Convolution kernels on the WebAssembly GEMM (same signatures as kernels/ref/conv.ts, plus the
 * engine; float32 data only). Per call: the operands are copied into linear memory, the module's
 * building blocks run, the output is copied out.
 *
 *   gather   y = W · im2col(x)            conv forward / convT input-grad; im2col is packed straight
 *                                         into the GEMM's B panels, or read in place from a
 *                                         zero-padded copy of x, never stored whole
 *   scatter  x = col2im(Wᵀ · y)           any geometry (convScatterCol2imWasm)
 *            x = sub-pixel phases         dilation 1 (subpixel.ts)
 *   weight   gw = Σ_b y_b · im2col(x_b)ᵀ  both ops' weight gradient
 *
 * Records are written by field name (layout.ts); slices and padded copies come from slice.ts, the
 * thread split from split.ts. A weight marked with keepPacked() is packed once and kept (kept.ts).
 * Which kernel runs is decided in kernels/dispatch.ts. Reference:
 * K. Chellapilla et al., "High performance convolutional neural networks for document processing"
 * (2006) for im2col + GEMM.
 */
import { convPlan } from '../plan.js';
import type { ConvGeometry } from '../../geometry/conv.js';
import { GEMM, GEMM_B_KIND, GEMM_MODE, PAD, SLICE } from './layout.js';
import type { WasmEngine } from './loader.js';
import { colsByChannel, im2colKind, padCopy, padFor, paddedSlice, writeSlice, xSlice } from './slice.js';
import { gemmRun, gemmScratch, roundUp, tileRowsFor } from './split.js';
import { FN } from './threads.js';
import { keptBlock } from './kept.js';

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
  const { batch, groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy, yPlane } = m;
  const Kd = cx * m.kernelVolume;
  // packed W_g per group (cy × Kd), kept between calls when w is marked with keepPacked
  const tileRows = tileRowsFor(e, cy);
  const aFloats = roundUp(cy, tileRows) * Kd;
  const kept = keptBlock(e, w, `gather ${groups} ${cy} ${Kd} ${tileRows}`, groups * aFloats);
  e.reset();
  const xp = e.copyIn(x);
  const wp = e.copyIn(w);
  const bp = bias ? e.copyIn(bias) : 0;
  const yp = e.output(y);
  const s = gemmScratch(e, cy, Kd, cy * Kd * yPlane, tileRows);
  const cv = e.record(SLICE);
  const zr = e.record(PAD);
  // im2col reads a zero-padded copy of the x slice when any tap falls outside x
  const pad = padFor(xSlice(m, xp, 0, 0));
  const shape = pad.any ? paddedSlice(xSlice(m, xp, 0, 0), pad.before, pad.after, 0) : xSlice(m, xp, 0, 0);
  const xPad = pad.any ? e.alloc(cx * shape.channelStride) : 0;
  // y_bg (cy × yPlane) = W_g (cy × cx·kVol) · im2col(x_bg), bias per row
  const rec = e.record(GEMM, {
    m: cy,
    n: yPlane,
    k: Kd,
    packedA: s.packedA,
    bKind: im2colKind(e, shape),
    b: cv,
    cRowStride: yPlane,
    mode: bias ? GEMM_MODE.bias : GEMM_MODE.set,
    bPack: s.bPack,
    tile: s.tile,
    aRowStride: Kd,
    aColumnStride: 1,
    tileRows,
  });
  for (let gr = 0; gr < groups; gr++) {
    e.write(rec, GEMM, {
      aSource: wp + 4 * gr * cy * Kd,
      packedA: kept ? kept.at + 4 * gr * aFloats : s.packedA,
    });
    if (!kept?.ready) e.fns.packA(rec);
    e.write(rec, GEMM, { bias: bp + 4 * gr * cy });
    for (let b = 0; b < batch; b++) {
      let r = xSlice(m, xp, b, gr);
      if (pad.any) {
        padCopy(e, zr, r, cx, pad.before, pad.after, xPad);
        r = paddedSlice(r, pad.before, pad.after, xPad);
      }
      writeSlice(e, cv, r);
      e.write(rec, GEMM, { c: yp + 4 * (b * groups + gr) * cy * yPlane });
      gemmRun(e, rec, s);
    }
  }
  kept?.done();
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
  const { batch, groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy, yPlane } = m;
  const Kd = cx * m.kernelVolume;
  // packed W_gᵀ per group (Kd × cy), kept between calls when w is marked with keepPacked
  const tileRows = tileRowsFor(e, Kd);
  const aFloats = roundUp(Kd, tileRows) * cy;
  const kept = keptBlock(e, w, `col2im ${groups} ${cy} ${Kd} ${tileRows}`, groups * aFloats);
  e.reset();
  const yp = e.copyIn(y);
  const wp = e.copyIn(w);
  const xp = e.output(x);
  initX(e, xp, g, bias, m.xPlane);
  const cols = e.alloc(Kd * yPlane);
  const s = gemmScratch(e, Kd, cy, Kd * cy * yPlane, tileRows);
  const cv = e.record(SLICE);
  // cols (cx·kVol × yPlane) = W_gᵀ · y_bg, then x_bg += col2im(cols); A = W_gᵀ: (m, k) at W_g[k·Kd + m]
  const rec = e.record(GEMM, {
    m: Kd,
    n: yPlane,
    k: cy,
    packedA: s.packedA,
    bKind: GEMM_B_KIND.strided,
    bRowStride: yPlane,
    bColumnStride: 1,
    c: cols,
    cRowStride: yPlane,
    mode: GEMM_MODE.set,
    bPack: s.bPack,
    tile: s.tile,
    aRowStride: 1,
    aColumnStride: Kd,
    tileRows,
  });
  for (let gr = 0; gr < groups; gr++) {
    e.write(rec, GEMM, {
      aSource: wp + 4 * gr * cy * Kd,
      packedA: kept ? kept.at + 4 * gr * aFloats : s.packedA,
    });
    if (!kept?.ready) e.fns.packA(rec);
    for (let b = 0; b < batch; b++) {
      e.write(rec, GEMM, { b: yp + 4 * (b * groups + gr) * cy * yPlane });
      gemmRun(e, rec, s);
      const r = { ...xSlice(m, xp, b, gr), columns: cols, columnStride: yPlane };
      writeSlice(e, cv, r);
      colsByChannel(e, FN.col2im, cv, r, m.kernelVolume, 4 * cx * m.xPlane);
    }
  }
  kept?.done();
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
  const { batch, groups, xChannelsPerGroup: cx, yChannelsPerGroup: cy, yPlane } = m;
  const Kd = cx * m.kernelVolume;
  e.reset();
  const xp = e.copyIn(x);
  const yp = e.copyIn(y);
  const gp = e.output(gw);
  const cols = e.alloc(Kd * yPlane);
  const tileRows = tileRowsFor(e, cy);
  const s = gemmScratch(e, cy, yPlane, cy * Kd * yPlane, tileRows);
  const cv = e.record(SLICE);
  // gw_g (cy × Kd) (+)= y_bg (cy × yPlane) · colsᵀ, colsᵀ read with strides (1, yPlane)
  const rec = e.record(GEMM, {
    m: cy,
    n: Kd,
    k: yPlane,
    packedA: s.packedA,
    bKind: GEMM_B_KIND.strided,
    b: cols,
    bRowStride: 1,
    bColumnStride: yPlane,
    cRowStride: Kd,
    bPack: s.bPack,
    tile: s.tile,
    aRowStride: yPlane,
    aColumnStride: 1,
    tileRows,
  });
  if (batch === 0) e.f32.fill(0, gp >> 2, (gp >> 2) + gw.length);
  for (let gr = 0; gr < groups; gr++) {
    e.write(rec, GEMM, { c: gp + 4 * gr * cy * Kd });
    for (let b = 0; b < batch; b++) {
      const r = { ...xSlice(m, xp, b, gr), columns: cols, columnStride: yPlane };
      writeSlice(e, cv, r);
      colsByChannel(e, FN.im2col, cv, r, m.kernelVolume, 4 * Kd * yPlane);
      e.write(rec, GEMM, {
        aSource: yp + 4 * (b * groups + gr) * cy * yPlane,
        mode: b === 0 ? GEMM_MODE.set : GEMM_MODE.add,
      });
      e.fns.packA(rec);
      gemmRun(e, rec, s);
    }
  }
  e.copyOut(gp, gw);
}
