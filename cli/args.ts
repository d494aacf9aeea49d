/**
 * Parsing the CLI's option values: sizes `7` or `7x9` (one number per spatial dimension), plain
 * integers and numbers. A bad value throws a DeconvError naming the command and the option, so
 * the CLI prints it without a stack trace and exits with code 2.
 */
import { DeconvError } from './api.js';

/** Throws `deconv <command>: <option> = <value> <rule>`. */
export function cliFail(command: string, option: string, value: unknown, rule: string): never {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  throw new DeconvError(`deconv ${command}`, option, `${option} = ${shown} ${rule}`);
}

/** `7` → 7 (every dimension), `7x9` (or `7×9`, `7,9`) → [7, 9]; undefined stays undefined. */
export function parseSize(
  command: string,
  option: string,
  value: string | undefined,
  min = 1,
): number | number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(/[x×,]/);
  const nums = parts.map((p) => (/^\s*\d+\s*$/.test(p) ? Number(p) : NaN));
  if (nums.some((n) => !Number.isSafeInteger(n) || n < min) || parts.length > 3) {
    cliFail(
      command,
      option,
      value,
      `must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or one per dimension like 7x9`,
    );
  }
  return nums.length === 1 ? nums[0]! : nums;
}

/** A size required by the command. */
export function requireSize(
  command: string,
  option: string,
  value: string | undefined,
  min = 1,
): number | number[] {
  if (value === undefined) cliFail(command, option, value, 'is required');
  return parseSize(command, option, value, min)!;
}

export function parseInteger(
  command: string,
  option: string,
  value: string | undefined,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min)
    cliFail(command, option, value, `must be an integer of at least ${min}`);
  return n;
}

export function parseNumber(command: string, option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    cliFail(command, option, value, 'must be a positive number');
  return n;
}

/** The number of spatial dimensions the given sizes tell (1 when all are plain numbers). */
export function dimsOf(...sizes: (number | number[] | undefined)[]): number {
  return Math.max(1, ...sizes.map((s) => (Array.isArray(s) ? s.length : 1)));
}

/** A size as one number per dimension. */
export function perDim(size: number | number[] | undefined, d: number, fallback: number): number[] {
  if (size === undefined) return new Array<number>(d).fill(fallback);
  if (typeof size === 'number') return new Array<number>(d).fill(size);
  return size;
}

/** `7` when all dimensions agree, else `7×9`. */
export function sizeText(v: readonly number[]): string {
  return v.every((x) => x === v[0]) ? String(v[0]) : v.join('×');
}
