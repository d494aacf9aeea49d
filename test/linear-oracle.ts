/**
 * The closed form of 1-D linear interpolation that test/resample-chunks.test.ts and
 * scripts/verify-issue14.ts check long outputs against: PyTorch 1.13's rule (source index from a
 * float32 scale, clamped at 0 without alignCorners), evaluated in float64.
 */
export function linearAt(v: readonly number[], n: number, o: number, alignCorners: boolean): number {
  const last = v.length - 1;
  const x = alignCorners
    ? Math.fround(last / (n - 1)) * o
    : Math.max(Math.fround(v.length / n) * (o + 0.5) - 0.5, 0);
  const i = Math.min(Math.floor(x), last);
  const l = x - i;
  return v[i]! * (1 - l) + v[Math.min(i + 1, last)]! * l;
}
