/**
 * The DFT-domain pieces shared by convolutional sparse coding and the dictionary update.
 *
 * Both ADMM x-steps solve, at every frequency k, (a a^H + ρI) z = b with a_m = conj(A_m[k]):
 * a rank-one update of a scaled identity, solved by Sherman–Morrison,
 *     z = (b − a · (a^H b) / (ρ + a^H a)) / ρ,
 * in O(M) per frequency (Wohlberg, "Efficient algorithms for convolutional sparse
 * representations", IEEE TIP 25(1), 2016). Spectra are planes of half spectra (realFft2 layout):
 * `re[m·F + k]`, `im[m·F + k]` with F = h·(⌊w/2⌋+1).
 */

export interface Spectra {
  re: Float64Array;
  im: Float64Array;
}

export function spectra(n: number): Spectra {
  return { re: new Float64Array(n), im: new Float64Array(n) };
}

/** Σ_m |A_m[k]|² per frequency. */
export function sumSquares(A: Spectra, planes: number, F: number): Float64Array {
  const out = new Float64Array(F);
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    for (let k = 0; k < F; k++) {
      const r = A.re[o + k]!,
        i = A.im[o + k]!;
      out[k] += r * r + i * i;
    }
  }
  return out;
}

/** conj(A_m[k]) · S[k] for every plane m. */
export function conjTimes(A: Spectra, S: Spectra, planes: number, F: number): Spectra {
  const out = spectra(planes * F);
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    for (let k = 0; k < F; k++) {
      const ar = A.re[o + k]!,
        ai = -A.im[o + k]!,
        sr = S.re[k]!,
        si = S.im[k]!;
      out.re[o + k] = ar * sr - ai * si;
      out.im[o + k] = ar * si + ai * sr;
    }
  }
  return out;
}

/**
 * Sherman–Morrison solve in place: on entry `Z` holds the ADMM term (ŷ − û), on exit the solution
 * z of (a a^H + ρI) z = AhS + ρZ. `c` (length F, two arrays) receives Σ_m A_m z_m = (a^H z), the
 * model's spectrum at the solution.
 */
export function solveRankOne(
  A: Spectra,
  aa: Float64Array,
  AhS: Spectra,
  Z: Spectra,
  rho: number,
  planes: number,
  F: number,
  c: Spectra,
): void {
  c.re.fill(0);
  c.im.fill(0);
  const { re: zr, im: zi } = Z;
  // b = AhS + ρZ; c = Σ A_m b_m
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    for (let k = 0; k < F; k++) {
      const br = AhS.re[o + k]! + rho * zr[o + k]!,
        bi = AhS.im[o + k]! + rho * zi[o + k]!;
      zr[o + k] = br;
      zi[o + k] = bi;
      const ar = A.re[o + k]!,
        ai = A.im[o + k]!;
      c.re[k] += ar * br - ai * bi;
      c.im[k] += ar * bi + ai * br;
    }
  }
  // g = c / (ρ + aa); z_m = (b_m − conj(A_m) g) / ρ; and a^H z = c / (ρ + aa)
  const inv = 1 / rho;
  for (let k = 0; k < F; k++) {
    const s = 1 / (rho + aa[k]!);
    c.re[k] *= s;
    c.im[k] *= s;
  }
  for (let m = 0; m < planes; m++) {
    const o = m * F;
    for (let k = 0; k < F; k++) {
      const ar = A.re[o + k]!,
        ai = -A.im[o + k]!,
        gr = c.re[k]!,
        gi = c.im[k]!;
      zr[o + k] = (zr[o + k]! - (ar * gr - ai * gi)) * inv;
      zi[o + k] = (zi[o + k]! - (ar * gi + ai * gr)) * inv;
    }
  }
}

/**
 * ‖R‖² of a real plane from its half spectrum (h, kw) of a width-`w` plane, by Parseval:
 * the columns 1 … ⌈w/2⌉−1 stand for two, the DC column (and the Nyquist one for even w) for one.
 */
export function halfSpectrumEnergy(re: Float64Array, im: Float64Array, h: number, w: number): number {
  const kw = Math.floor(w / 2) + 1;
  let s = 0;
  for (let a = 0; a < h; a++) {
    for (let b = 0; b < kw; b++) {
      const v = re[a * kw + b]! ** 2 + im[a * kw + b]! ** 2;
      s += b === 0 || (w % 2 === 0 && b === kw - 1) ? v : 2 * v;
    }
  }
  return s / (h * w);
}
