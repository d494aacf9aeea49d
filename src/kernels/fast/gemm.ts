/**
 * Plain-JavaScript matrix products on row-major Float32/Float64 arrays, in the loop orders that keep
 * the innermost loop contiguous (V8 compiles these to tight scalar loops). The WebAssembly SIMD
 * kernels of the performance work replace these behind kernels/dispatch.ts.
 *
 * No zero operand is skipped: 0 · Inf and 0 · NaN must give NaN as in IEEE arithmetic, PyTorch and
 * the other kernel paths.
 */
import type { FloatData } from '../../tensor.js';

/** C[M×N] (+)= A[M×K] · B[K×N]; `accumulate` false overwrites C. Offsets select sub-matrices. */
export function gemmNN(
  M: number,
  N: number,
  K: number,
  A: FloatData,
  aOff: number,
  B: FloatData,
  bOff: number,
  C: FloatData,
  cOff: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * N;
    if (!accumulate) C.fill(0, ci, ci + N);
    const ai = aOff + i * K;
    for (let k = 0; k < K; k++) {
      const a = A[ai + k]!;
      const bk = bOff + k * N;
      for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j]!;
    }
  }
}

/** C[M×N] = Aᵀ · B with A stored [K×M], B [K×N]. */
export function gemmTN(
  M: number,
  N: number,
  K: number,
  A: FloatData,
  aOff: number,
  B: FloatData,
  bOff: number,
  C: FloatData,
  cOff: number,
): void {
  C.fill(0, cOff, cOff + M * N);
  for (let k = 0; k < K; k++) {
    const bk = bOff + k * N;
    for (let i = 0; i < M; i++) {
      const a = A[aOff + k * M + i]!;
      const ci = cOff + i * N;
      for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j]!;
    }
  }
}

/** C[M×N] (+)= A · Bᵀ with A [M×K], B stored [N×K]: rows dotted with rows. */
export function gemmNT(
  M: number,
  N: number,
  K: number,
  A: FloatData,
  aOff: number,
  B: FloatData,
  bOff: number,
  C: FloatData,
  cOff: number,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * K;
    for (let j = 0; j < N; j++) {
      const bj = bOff + j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[ai + k]! * B[bj + k]!;
      C[cOff + i * N + j] = accumulate ? C[cOff + i * N + j]! + s : s;
    }
  }
}
