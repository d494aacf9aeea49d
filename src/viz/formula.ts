/**
 * Output-size formulas written out with the user's numbers filled in, for captions, the CLI's
 * `shape` command and the explorer. Display only: the values come from the per-dimension
 * arithmetic of geometry/arithmetic.ts, and the tests check that the value each
 * filled-in formula evaluates to is the library's size.
 *
 * Reference: V. Dumoulin, F. Visin, "A guide to convolution arithmetic for deep learning" (2016),
 * https://arxiv.org/abs/1603.07285, relationships 1–14.
 */
import { convOutputLengthSteps, scaledLength, transposedOutputLength } from '../geometry/arithmetic.js';

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

/** The output size of one dimension as a formula, with the numbers filled in. */
export function sizeFormula(a: FormulaArgs): Formula {
  const i = a.inputSize;
  const k = a.kernelSize ?? 1;
  const s = a.stride ?? 1;
  const pb = a.padding ?? 0;
  const pe = a.padEnd ?? pb;
  const d = a.dilation ?? 1;
  const out = a.outputPadding ?? 0;
  const pad = padTerm(pb, pe);
  const kSym = `d·(k ${M} 1) ${M} 1`;
  switch (a.op) {
    case 'conv':
    case 'pool': {
      const ceil = a.op === 'pool' && a.ceilMode === true;
      const [lo, hi] = ceil ? ['⌈', '⌉'] : ['⌊', '⌋'];
      const steps = convOutputLengthSteps({
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: d,
        ceilMode: ceil,
      });
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
      const value = transposedOutputLength({
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: d,
        outputPadding: out,
      });
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
      const value = transposedOutputLength({
        inputSize: i,
        kernelSize: k,
        stride: s,
        padBegin: pb,
        padEnd: pe,
        dilation: 1,
        outputPadding: 0,
      });
      return {
        symbolic: `o = s·(i ${M} 1) ${M} ${pad.sym} + k`,
        filled: `${s}·(${i} ${M} 1) ${M} ${pad.num} + ${k} = ${value}`,
        value,
        note: '',
      };
    }
    case 'interpolate': {
      const f = a.scale ?? 1;
      const value = scaledLength(i, f);
      return { symbolic: 'o = ⌊i·scale⌋', filled: `⌊${i}·${f}⌋ = ${value}`, value, note: '' };
    }
    case 'pixelShuffle': {
      const r = a.scale ?? 1;
      const value = i * r;
      return { symbolic: 'o = i·r (r² channels → 1)', filled: `${i}·${r} = ${value}`, value, note: '' };
    }
  }
}

/**
 * Formula lines for several dimensions: one line when every dimension has the same parameters,
 * else one per dimension, labelled with `names` (default H, W or D, H, W).
 */
export function sizeFormulaLines(perDim: readonly FormulaArgs[], names?: readonly string[]): string[] {
  const formulas = perDim.map(sizeFormula);
  const same = perDim.every((a) => JSON.stringify(a) === JSON.stringify(perDim[0]));
  const label = names ?? (perDim.length === 2 ? ['H', 'W'] : perDim.length === 3 ? ['D', 'H', 'W'] : ['L']);
  const line = (f: Formula, prefix: string): string =>
    `${prefix}${f.symbolic} = ${f.filled}${f.note ? ` (${f.note})` : ''}`;
  if (same || perDim.length === 1) return [line(formulas[0]!, '')];
  return formulas.map((f, n) => line(f, `${label[n] ?? `dim ${n}`}: `));
}
