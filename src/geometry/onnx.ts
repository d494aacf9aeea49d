/**
 * ONNX's own shape rules on plain numbers, where they differ from PyTorch's (geometry/conv.ts,
 * geometry/pool.ts): `auto_pad` SAME_UPPER / SAME_LOWER, ConvTranspose's `output_shape` padding
 * split, and pooling's `ceil_mode` without PyTorch's "last window starts inside" correction.
 * https://github.com/onnx/onnx/blob/v1.12.0/docs/Operators.md (Conv, ConvTranspose, MaxPool)
 */

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Dilated kernel extent `(k − 1)·d + 1`. */
export function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/**
 * Conv / pooling 'SAME' padding: output `ceil(in / s)`, total padding
 * `max(0, (out − 1)·s + effective − in)`, the odd one at the end (SAME_UPPER) or at the begin
 * (SAME_LOWER).
 */
export function samePadding(
  inSize: number,
  stride: number,
  effective: number,
  upper: boolean,
): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + effective - inSize);
  const small = Math.floor(total / 2);
  return upper ? [small, total - small] : [total - small, small];
}

/** Conv / pooling output length for explicit pads: `⌊ or ⌈(in + pB + pE − effective) / s⌉ + 1`. */
export function windowOutputSize(
  inSize: number,
  padBegin: number,
  padEnd: number,
  effective: number,
  stride: number,
  ceilMode: boolean,
): number {
  const span = inSize + padBegin + padEnd - effective;
  return (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/**
 * ConvTranspose: the full (unpadded) output length `s·(in − 1) + effective`, and the window of it
 * the operator returns: `begin` (negative: zeros before) and `size`.
 * - explicit pads: size `full + outputPadding − pB − pE`, begin `pB`;
 * - `output_shape` or SAME_*: total padding `full + outputPadding − size` (size `in·s` for SAME),
 *   split as `total − ⌊total/2⌋` at the begin, except SAME_UPPER's `⌊total/2⌋` (the spec's rule,
 *   with Python's floor division for a negative total, as ONNX's reference).
 */
export function convTransposeWindow(args: {
  inSize: number;
  stride: number;
  effective: number;
  outputPadding: number;
  autoPad: AutoPad;
  pads: [number, number];
  outputShape: number | null;
}): { full: number; begin: number; size: number } {
  const full = args.stride * (args.inSize - 1) + args.effective;
  const same = args.autoPad === 'SAME_UPPER' || args.autoPad === 'SAME_LOWER';
  if (args.outputShape !== null || same) {
    const size = args.outputShape ?? args.inSize * args.stride;
    const total = full + args.outputPadding - size;
    const half = Math.floor(total / 2);
    return { full, begin: args.autoPad === 'SAME_UPPER' ? half : total - half, size };
  }
  const [pB, pE] = args.autoPad === 'VALID' ? [0, 0] : args.pads;
  return { full, begin: pB, size: full + args.outputPadding - pB - pE };
}
