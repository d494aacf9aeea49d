/** Limits shared by the value type and the geometry (which must not import tensor.ts). */

/** Largest element count of one tensor: beyond it an op refuses instead of crashing. */
export const MAX_ELEMENTS = 2 ** 31 - 1;
