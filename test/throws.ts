/**
 * The test suite's one error assertion: `f` throws a DeconvError whose `argument` is `argument`
 * and whose message contains every string and matches every pattern in `expected`.
 */
import assert from 'node:assert/strict';
import { DeconvError } from '../src/errors.js';

/** A predicate for `assert.throws(f, deconvError(...))`. */
export function deconvError(argument: string, ...expected: (string | RegExp | undefined)[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DeconvError, `expected a DeconvError, got ${String(e)}`);
    assert.equal(e.argument, argument, e.message);
    for (const x of expected) {
      if (x === undefined) continue;
      if (typeof x === 'string')
        assert.ok(e.message.includes(x), `${JSON.stringify(x)} not in: ${e.message}`);
      else assert.match(e.message, x);
    }
    return true;
  };
}

export function throwsArg(
  f: () => unknown,
  argument: string,
  ...expected: (string | RegExp | undefined)[]
): void {
  assert.throws(f, deconvError(argument, ...expected));
}
