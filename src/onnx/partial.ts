/**
 * Shape values known in part at import: a model exported with a symbolic batch computes its
 * Reshape targets and Resize sizes at run time (Shape → Gather → Concat …), and only the batch is
 * unknown. This pass follows such small integer vectors with unknown entries (null) through the
 * operators that build them, so shape inference still knows the spatial sizes.
 */
import type { NodeContext } from './attributes.js';
import type { Dims, Info } from './operators.js';

/** The known-in-part value of a small int vector (rank 0 or 1), or null. */
export function partialOf(info: Info | undefined): Dims | null {
  if (!info || info.dtype !== 'int32') return null;
  if (info.partial) return info.partial;
  if (info.value && info.value.shape.length <= 1 && info.value.size <= 16) return Array.from(info.value.data);
  return null;
}

const ints = (info: Info | undefined): number[] | null => (info?.value ? Array.from(info.value.data) : null);

/** The partial value of the node's first output, or null. */
export function propagatePartial(ctx: NodeContext, inputs: (Info | undefined)[]): Dims | null {
  const p = inputs.map(partialOf);
  switch (ctx.op) {
    case 'Shape': {
      const shape = inputs[0]?.shape;
      if (!shape) return null;
      const rank = shape.length;
      const clampIndex = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      const start = ctx.opset >= 15 ? clampIndex(ctx.int('start', 0)) : 0;
      const end = ctx.opset >= 15 && ctx.has('end') ? clampIndex(ctx.int('end', rank)) : rank;
      return shape.slice(start, end);
    }
    case 'Identity':
    case 'Cast':
    case 'Squeeze':
    case 'Unsqueeze':
      return p[0] ?? null;
    case 'Gather': {
      const idx = ints(inputs[1]);
      if (!p[0] || !idx || ctx.int('axis', 0) !== 0) return null;
      return idx.map((i) => p[0]![i < 0 ? i + p[0]!.length : i] ?? null);
    }
    case 'Concat':
      return p.every((v) => v) ? p.flatMap((v) => v!) : null;
    case 'Slice': {
      const [starts, ends] = [ints(inputs[1]), ints(inputs[2])];
      const steps = inputs[4] ? ints(inputs[4]) : [1];
      if (!p[0] || !starts || !ends || starts.length !== 1 || steps?.[0] !== 1) return null;
      const n = p[0].length;
      const c = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      return p[0].slice(c(starts[0]!), c(ends[0]!));
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      if (!p[0] || !p[1]) return null;
      const n = Math.max(p[0].length, p[1].length);
      const at = (v: Dims, i: number): number | null => (v.length === 1 ? v[0]! : (v[i] ?? null));
      const f = {
        Add: (a: number, b: number) => a + b,
        Sub: (a: number, b: number) => a - b,
        Mul: (a: number, b: number) => a * b,
        Div: (a: number, b: number) => Math.trunc(a / b),
      }[ctx.op];
      return Array.from({ length: n }, (_, i) => {
        const a = at(p[0]!, i);
        const b = at(p[1]!, i);
        return a === null || b === null ? null : f(a, b);
      });
    }
    default:
      return null;
  }
}
