/**
 * The one error class of deconv. Every invalid argument of every public function throws a
 * `DeconvError` before any work is done. Its message names the function, the argument (as the
 * API contract spells it, with an index for per-dimension values), the value and the rule:
 *
 *     convTranspose2d: outputPadding[1] = 2 must be smaller than stride[1] = 2 or dilation[1] = 1
 */
export class DeconvError extends Error {
  /** The argument's name as written in the API contract, e.g. `outputPadding`. */
  readonly argument: string;
  /** The function that refused it, e.g. `convTranspose2d`. */
  readonly fn: string;

  constructor(fn: string, argument: string, message: string) {
    super(`${fn}: ${message}`);
    this.name = 'DeconvError';
    this.fn = fn;
    this.argument = argument;
  }
}

/** Shows a value the way a user wrote it: arrays in brackets, strings quoted. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (value !== null && typeof value === 'object') {
    if ('shape' in value && Array.isArray((value as { shape: unknown }).shape)) {
      return `Tensor of shape ${show((value as { shape: unknown }).shape)}`;
    }
    try {
      return JSON.stringify(value);
    } catch {
      // (a BigInt or a cycle inside; an object without a prototype has no toString either)
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

/**
 * Throws `fn: path = value rule`. `path` is the argument with an optional index
 * (`stride[1]`); the `argument` property is the part before the first bracket or dot.
 */
export function fail(fn: string, path: string, value: unknown, rule: string): never {
  const argument = path.split(/[[.]/)[0]!;
  throw new DeconvError(fn, argument, `${path} = ${show(value)} ${rule}`);
}

/**
 * How an option key appears in a message: as itself when it is a name (`stride`), else as
 * `options['…']`, so that an empty or odd key still names an argument (`options`).
 */
export function optionPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `options[${show(key)}]`;
}
