/**
 * Number and index formatting shared by the pictures, their captions and the CLI: integers as
 * they are, fractions with at most a few decimals, cell indices as `[r, c]`.
 */

/** A value for a caption or a table: integers exactly, other numbers with up to `digits` decimals. */
export function fmt(v: number, digits = 3): string {
  if (Number.isNaN(v)) return '';
  if (Number.isInteger(v)) return String(v);
  const s = v.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** A value for a small grid cell: like `fmt` with 2 decimals and no leading zero (`.75`). */
export function fmtCell(v: number): string {
  const s = fmt(v, 2);
  return s.replace(/^0\./, '.').replace(/^-0\./, '-.');
}

/** `[r, c]` of a flat row-major index in a grid of `cols` columns. */
export function cellName(index: number, cols: number): string {
  return `[${Math.floor(index / cols)}, ${index % cols}]`;
}

/** `a..b` or just `a` when the range holds one index. */
export function range(a: number, b: number): string {
  return a === b ? String(a) : `${a}..${b}`;
}

/** `7` when every entry is the same, else `7×9`. */
export function sizeText(values: readonly number[]): string {
  return values.every((v) => v === values[0]) ? String(values[0]) : values.join('×');
}

/** `7×9` always (grid sizes). */
export function dimsText(values: readonly number[]): string {
  return values.join('×');
}
