/**
 * Output-size formulas written out with the user's numbers filled in, for captions, the CLI's
 * `shape` command and the explorer. Display only: the values come from the per-dimension
 * arithmetic of geometry/arithmetic.ts, and the tests check that the value each
 * filled-in formula evaluates to is the library's size.
 *
 * Reference: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285, relationships 1–14.
 */
import { fail, show } from '../errors.js';
import { checkInt, NON_NEGATIVE, POSITIVE, type IntRule } from '../geometry/args.js';
import {
  checkedConvOutputLength,
  checkedEffectiveKernel,
  checkedTransposedOutputLength,
  convOutputLengthSteps,
  largestOutputPadding,
  MAX_EXACT_SIZE,
  scaledLength,
} from '../geometry/arithmetic.js';

export type FormulaOp = 'conv' | 'convTranspose' | 'pool' | 'maxUnpool' | 'interpolate' | 'pixelShuffle';

/** One spatial dimension's parameters. */
export interface FormulaArgs {
  op: FormulaOp;
  inputSize: number;
  kernelSize?: number;
  stride?: number;
  /** padding before; `padEnd` defaults to it */
  padding?: number;
  padEnd?: number;
  outputPadding?: number;
  dilation?: number;
  /** pool only: round up, and drop a last window that would start in the end padding */
  ceilMode?: boolean;
  /** interpolate and pixelShuffle: the scale factor */
  scale?: number;
}

export interface Formula {
  /** the formula with symbols, e.g. `o = s·(i − 1) − 2p + k + a` */
  symbolic: string;
  /** the same with the numbers in place and the result, e.g. `2·(7 − 1) − 2·1 + 4 + 0 = 14` */
  filled: string;
  /** the value the filled-in formula evaluates to */
  value: number;
  /** a remark on a special case (ceil mode's last window), or '' */
  note: string;
}

const M = '−'; // the minus sign of the formulas

function padTerm(pb: number, pe: number): { sym: string; num: string; total: number } {
  if (pb === pe) return { sym: '2p', num: `2·${pb}`, total: 2 * pb };
  return { sym: '(pb + pe)', num: `(${pb} + ${pe})`, total: pb + pe };
}

const FORMULA_OPS: readonly FormulaOp[] = [
  'conv',
  'convTranspose',
  'pool',
  'maxUnpool',
  'interpolate',
  'pixelShuffle',
];

type Parameter = Exclude<keyof FormulaArgs, 'op' | 'inputSize'>;

/** The parameters each op's formula reads, after `op` and `inputSize`. */
const PARAMETERS: Record<FormulaOp, readonly Parameter[]> = {
  conv: ['kernelSize', 'stride', 'padding', 'padEnd', 'dilation'],
  pool: ['kernelSize', 'stride', 'padding', 'padEnd', 'dilation', 'ceilMode'],
  convTranspose: ['kernelSize', 'stride', 'padding', 'padEnd', 'outputPadding', 'dilation'],
  maxUnpool: ['kernelSize', 'stride', 'padding', 'padEnd'],
  interpolate: ['scale'],
  pixelShuffle: ['scale'],
};

const KEYS: readonly string[] = [
  'op',
  'inputSize',
  'kernelSize',
  'stride',
  'padding',
  'padEnd',
  'outputPadding',
  'dilation',
  'ceilMode',
  'scale',
];

/** `prefix` + `key` as a path, `args['…']` (or `perDim[n]['…']`) for a key that is not a name. */
function keyPath(prefix: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `${prefix}${key}`;
  return `${prefix ? prefix.slice(0, -1) : 'args'}[${show(key)}]`;
}

/**
 * One dimension's record checked and its formula written. `prefix` is how the record is reached
 * in `fn`'s arguments: '' for sizeFormula (whose fields are its arguments, as convOutputSize's
 * are), `perDim[n].` for sizeFormulaLines.
 */
function formulaOf(fn: string, prefix: string, args: unknown): Formula {
  const p = (name: string): string => `${prefix}${name}`;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    fail(fn, prefix ? prefix.slice(0, -1) : 'args', args, 'must be an object { op, inputSize, … }');
  }
  const r = args as Record<string, unknown>;
  for (const [key, v] of Object.entries(r)) {
    if (v !== undefined && !KEYS.includes(key))
      fail(fn, keyPath(prefix, key), v, `is not a formula parameter (they are: ${KEYS.join(', ')})`);
  }
  const op = r.op as FormulaOp;
  if (!FORMULA_OPS.includes(op)) fail(fn, p('op'), r.op, `must be one of ${FORMULA_OPS.join(', ')}`);
  const windowed = op === 'conv' || op === 'pool';
  // a convolution or pooling may have an empty input that its padding fills (convOutputSize's rule)
  const inputRule = windowed ? NON_NEGATIVE : POSITIVE;
  if (r.inputSize === undefined) fail(fn, p('inputSize'), r.inputSize, `is required: ${inputRule.words}`);
  const i = checkInt(fn, p('inputSize'), r.inputSize, inputRule);
  const int = (name: Parameter, rule: IntRule, fallback: number): number =>
    r[name] === undefined ? fallback : checkInt(fn, p(name), r[name], rule);
  const k = int('kernelSize', POSITIVE, 1);
  const s = int('stride', POSITIVE, 1);
  const pb = int('padding', NON_NEGATIVE, 0);
  const pe = int('padEnd', NON_NEGATIVE, pb);
  const out = int('outputPadding', NON_NEGATIVE, 0);
  const d = int('dilation', POSITIVE, 1);
  if (r.ceilMode !== undefined && typeof r.ceilMode !== 'boolean')
    fail(fn, p('ceilMode'), r.ceilMode, 'must be true or false');
  const ceilMode = r.ceilMode === true;
  let scale = 1;
  if (r.scale !== undefined) {
    scale =
      op === 'pixelShuffle'
        ? checkInt(fn, p('scale'), r.scale, POSITIVE)
        : typeof r.scale === 'number' && Number.isFinite(r.scale) && r.scale > 0
          ? r.scale
          : fail(fn, p('scale'), r.scale, 'must be a positive finite number');
  }
  // a parameter the op's formula does not read may only be at its default (one record shape
  // serves every op), else the formula would silently leave it out
  const given: Record<Parameter, unknown> = {
    kernelSize: k,
    stride: s,
    padding: pb,
    padEnd: pe,
    outputPadding: out,
    dilation: d,
    ceilMode,
    scale,
  };
  const defaults: Record<Parameter, unknown> = {
    kernelSize: 1,
    stride: 1,
    padding: 0,
    padEnd: pb,
    outputPadding: 0,
    dilation: 1,
    ceilMode: false,
    scale: 1,
  };
  for (const name of Object.keys(given) as Parameter[]) {
    if (!PARAMETERS[op].includes(name) && given[name] !== defaults[name]) {
      fail(
        fn,
        p(name),
        r[name],
        `is not a parameter of op '${op}' (its parameters: inputSize, ${PARAMETERS[op].join(', ')})`,
      );
    }
  }
  const pad = padTerm(pb, pe);
  const tooMuchPadding = (value: number): never =>
    fail(
      fn,
      p('padding'),
      pb,
      `${pe !== pb ? `with padEnd ${pe} ` : ''}is too large: the output size would be ${value} (it must be at least 1)`,
    );
  const kSym = `d·(k ${M} 1) ${M} 1`;
  switch (op) {
    case 'conv':
    case 'pool': {
      const ceil = op === 'pool' && ceilMode;
      const [lo, hi] = ceil ? ['⌈', '⌉'] : ['⌊', '⌋'];
      const dim = {
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: d,
        ceilMode: ceil,
      };
      checkedEffectiveKernel(fn, p('dilation'), k, d);
      checkedConvOutputLength(fn, p('inputSize'), dim);
      const steps = convOutputLengthSteps(dim);
      const value = steps.length;
      const note = steps.droppedLastWindow
        ? `the last window would start in the end padding, so it is dropped: ${steps.rounded} ${M} 1 = ${value}`
        : '';
      const kNum = d === 1 ? `${k}` : `${d}·(${k} ${M} 1) ${M} 1`;
      const inner = `i + ${pad.sym} ${M} ${d === 1 ? 'k' : kSym}`;
      return {
        symbolic: `o = ${lo}(${inner}) / s${hi} + 1`,
        filled: `${lo}(${i} + ${pad.num} ${M} ${kNum}) / ${s}${hi} + 1 = ${steps.rounded}`,
        value,
        note,
      };
    }
    case 'convTranspose': {
      if (out > largestOutputPadding(s, d))
        fail(fn, p('outputPadding'), out, `must be smaller than stride = ${s} or dilation = ${d}`);
      const value = checkedTransposedOutputLength(fn, p('stride'), p('dilation'), {
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: d,
        outputPadding: out,
      });
      if (value < 1) tooMuchPadding(value);
      const kPart = d === 1 ? 'k' : `d·(k ${M} 1) + 1`;
      const kNum = d === 1 ? `${k}` : `${d}·(${k} ${M} 1) + 1`;
      return {
        symbolic: `o = s·(i ${M} 1) ${M} ${pad.sym} + ${kPart} + a`,
        filled: `${s}·(${i} ${M} 1) ${M} ${pad.num} + ${kNum} + ${out} = ${value}`,
        value,
        note: '',
      };
    }
    case 'maxUnpool': {
      const value = checkedTransposedOutputLength(fn, p('stride'), p('kernelSize'), {
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: 1,
        outputPadding: 0,
      });
      if (value < 1) tooMuchPadding(value);
      return {
        symbolic: `o = s·(i ${M} 1) ${M} ${pad.sym} + k`,
        filled: `${s}·(${i} ${M} 1) ${M} ${pad.num} + ${k} = ${value}`,
        value,
        note: '',
      };
    }
    case 'interpolate': {
      const value = scaledLength(i, scale);
      if (!(value <= MAX_EXACT_SIZE))
        fail(
          fn,
          p('scale'),
          scale,
          `gives an output size ⌊${i}·${scale}⌋ beyond 2^53 − 1, where sizes are no longer exact`,
        );
      if (value < 1)
        fail(
          fn,
          p('scale'),
          scale,
          `gives the output size ⌊${i}·${scale}⌋ = ${value}; it must be at least 1`,
        );
      return { symbolic: 'o = ⌊i·scale⌋', filled: `⌊${i}·${scale}⌋ = ${value}`, value, note: '' };
    }
    case 'pixelShuffle': {
      const value = i * scale;
      if (!(value <= MAX_EXACT_SIZE))
        fail(
          fn,
          p('scale'),
          scale,
          `gives an output size ${i}·${scale} beyond 2^53 − 1, where sizes are no longer exact`,
        );
      return { symbolic: 'o = i·r (r² channels → 1)', filled: `${i}·${scale} = ${value}`, value, note: '' };
    }
  }
}

/**
 * The output size of one dimension as a formula, with the numbers filled in.
 *
 * Every field is checked, as `convOutputSize` checks its arguments: `op` one of 'conv',
 * 'convTranspose', 'pool', 'maxUnpool', 'interpolate', 'pixelShuffle'; `inputSize` an integer
 * (from 0 for conv and pool, else from 1); `kernelSize`, `stride`, `dilation` integers from 1,
 * `padding`, `padEnd`, `outputPadding` from 0, all at most 2³¹ − 1; `ceilMode` a boolean; `scale` a
 * positive number (a positive integer for pixelShuffle). A parameter the op does not read must be
 * absent or at its default, unknown keys are refused, and so is a configuration without an output
 * (an output size below 1 or beyond 2⁵³ − 1, `outputPadding` not below max(stride, dilation)), each
 * with a `DeconvError` naming the field.
 *
 * @example
 *   import { sizeFormula } from 'deconv';
 *   sizeFormula({ op: 'convTranspose', inputSize: 7, kernelSize: 4, stride: 2, padding: 1 }).filled;
 *   // '2·(7 − 1) − 2·1 + 4 + 0 = 14'
 */
export function sizeFormula(args: FormulaArgs): Formula {
  return formulaOf('sizeFormula', '', args);
}

/**
 * Formula lines for several dimensions: one line when every dimension has the same parameters,
 * else one per dimension, labelled with `names` (default H, W or D, H, W). `perDim` is a non-empty
 * array of records checked as {@link sizeFormula} checks its one (a refusal names `perDim[n]` and
 * the field); `names`, when given, one string per dimension.
 *
 * @example
 *   import { sizeFormulaLines } from 'deconv';
 *   sizeFormulaLines([{ op: 'conv', inputSize: 5, kernelSize: 3 }, { op: 'conv', inputSize: 7, kernelSize: 3 }]);
 *   // ['H: o = ⌊(i + 2p − k) / s⌋ + 1 = ⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3',
 *   //  'W: o = ⌊(i + 2p − k) / s⌋ + 1 = ⌊(7 + 2·0 − 3) / 1⌋ + 1 = 5']
 */
export function sizeFormulaLines(perDim: readonly FormulaArgs[], names?: readonly string[]): string[] {
  const fn = 'sizeFormulaLines';
  if (!Array.isArray(perDim) || perDim.length === 0)
    fail(fn, 'perDim', perDim, 'must be a non-empty array of formula parameters, one per dimension');
  if (
    names !== undefined &&
    (!Array.isArray(names) || names.length !== perDim.length || names.some((n) => typeof n !== 'string'))
  )
    fail(fn, 'names', names, `must be an array of ${perDim.length} strings, one per dimension`);
  const formulas = perDim.map((a, n) => formulaOf(fn, `perDim[${n}].`, a));
  const same = perDim.every((a) => JSON.stringify(a) === JSON.stringify(perDim[0]));
  const label = names ?? (perDim.length === 2 ? ['H', 'W'] : perDim.length === 3 ? ['D', 'H', 'W'] : ['L']);
  const line = (f: Formula, prefix: string): string =>
    `${prefix}${f.symbolic} = ${f.filled}${f.note ? ` (${f.note})` : ''}`;
  if (same || perDim.length === 1) return [line(formulas[0]!, '')];
  return formulas.map((f, n) => line(f, `${label[n] ?? `dim ${n}`}: `));
}
