/**
 * Scans of a tensor's values that decide how a kernel may compute (src/kernels/wasm/subpixel.ts):
 * whether every value is finite.
 */

/**
 * 1 when the `count` floats at `src` are all finite, else 0 (an Inf or a NaN among them). v − v is
 * +0 for a finite v and NaN for ±Inf and NaN, and a sum of those is 0 exactly when every term is.
 */
export function allFinite(src: usize, count: i32): i32 {
  let i = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0),
      a1 = f32x4.splat(0);
    for (; i + 8 <= count; i += 8) {
      const p = src + ((<usize>i) << 2);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      a0 = f32x4.add(a0, f32x4.sub(v0, v0));
      a1 = f32x4.add(a1, f32x4.sub(v1, v1));
    }
    const a = f32x4.add(a0, a1);
    s =
      f32x4.extract_lane(a, 0) +
      f32x4.extract_lane(a, 1) +
      f32x4.extract_lane(a, 2) +
      f32x4.extract_lane(a, 3);
  }
  for (; i < count; i++) {
    const v = load<f32>(src + ((<usize>i) << 2));
    s += v - v;
  }
  return s == 0 ? 1 : 0;
}
