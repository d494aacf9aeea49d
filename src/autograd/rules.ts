/**
 * The one table that pairs every op with its backward rule. Its type, `GradTable`, has a key for
 * every op any family declares in `OpSaved`, so an op without a rule does not compile.
 */
import type { GradTable } from './registry.js';
import { elementwiseRules } from '../ops/elementwise.js';
import { convRules } from '../ops/conv.js';

export const gradRules: GradTable = {
  ...elementwiseRules,
  ...convRules,
};
