/** Limits shared by the value type and the geometry (which must not import tensor.ts). */

/** Largest element count of one tensor: beyond it an op refuses instead of crashing. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Whether `n` is an element count one tensor can hold: a safe integer from 0 to `MAX_ELEMENTS`. */
export function fitsOneTensor(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_ELEMENTS;
}
