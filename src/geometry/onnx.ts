/**
 * ONNX's own shape rules on plain numbers, where they differ from PyTorch's (the per-dimension
 * arithmetic in geometry/arithmetic.ts, which these call): `auto_pad` SAME_UPPER / SAME_LOWER (with
 * a stride), ConvTranspose's `output_shape` padding split, and pooling's `ceil_mode` without
 * PyTorch's "last window starts inside" correction.
 * https://github.com/onnx/onnx/blob/v1.12.0/docs/Operators.md (Conv, ConvTranspose, MaxPool)
 */
import { convOutputLengthSteps, effectiveKernel, transposedOutputLength } from './arithmetic.js';

export { effectiveKernel };

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/**
 * Conv / pooling 'SAME' padding: output `ceil(in / s)`, total padding
 * `max(0, (out − 1)·s + effective − in)`, the odd one at the end (SAME_UPPER) or at the begin
 * (SAME_LOWER).
 */
export function onnxSamePadding(
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

/**
 * Conv / pooling output length for explicit pads, `⌊ or ⌈(in + pB + pE − kE) / s⌉ + 1`: ONNX keeps
 * the rounded-up length where PyTorch drops a last window that starts in the end padding.
 */
export function windowOutputSize(a: {
  inputSize: number;
  kernelSize: number;
  stride: number;
  padBegin: number;
  padEnd: number;
  dilation: number;
  ceilMode: boolean;
}): number {
  return convOutputLengthSteps(a).rounded;
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
  kernelSize: number;
  dilation: number;
  outputPadding: number;
  autoPad: AutoPad;
  pads: [number, number];
  outputShape: number | null;
}): { full: number; begin: number; size: number } {
  const full = transposedOutputLength({
    inputSize: args.inSize,
    kernelSize: args.kernelSize,
    stride: args.stride,
    dilation: args.dilation,
    padBegin: 0,
    padEnd: 0,
    outputPadding: 0,
  });
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
