/**
 * Probes of the machine's limits for the bench (src/kernels/wasm/probe.ts): copy bandwidth
 * (memory.copy, one region per thread) and the peak of 128-bit fused multiply-adds (8 independent
 * f32x4 accumulator chains, enough to cover the FMA latency on two pipes).
 */
import { PROBE_SRC, PROBE_DST, PROBE_BYTES, PROBE_ITERATIONS, PROBE_RESULT } from './params';

function f(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

export function probeCopy(r: usize): void {
  const src = <usize>f(r, PROBE_SRC);
  const dst = <usize>f(r, PROBE_DST);
  const bytes = <usize>f(r, PROBE_BYTES);
  const n = f(r, PROBE_ITERATIONS);
  for (let i = 0; i < n; i++) memory.copy(dst, src, bytes);
}

function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

export function probeFma(r: usize): void {
  const n = f(r, PROBE_ITERATIONS);
  if (ASC_FEATURE_SIMD) {
    const m = f32x4.splat(0.999);
    const k = f32x4.splat(0.001);
    let a0 = f32x4.splat(1),
      a1 = f32x4.splat(2),
      a2 = f32x4.splat(3),
      a3 = f32x4.splat(4);
    let a4 = f32x4.splat(5),
      a5 = f32x4.splat(6),
      a6 = f32x4.splat(7),
      a7 = f32x4.splat(8);
    for (let i = 0; i < n; i++) {
      a0 = madd(a0, m, k);
      a1 = madd(a1, m, k);
      a2 = madd(a2, m, k);
      a3 = madd(a3, m, k);
      a4 = madd(a4, m, k);
      a5 = madd(a5, m, k);
      a6 = madd(a6, m, k);
      a7 = madd(a7, m, k);
    }
    const s = f32x4.add(
      f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
      f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
    );
    v128.store(<usize>f(r, PROBE_RESULT), s);
  }
}
