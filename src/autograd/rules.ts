/**
 * The one table that pairs every op with its backward rule. Its type, `GradTable`, has a key for
 * every op any family declares in `OpSaved`, so an op without a rule does not compile.
 */
import type { GradTable } from './registry.js';
import { elementwiseRules, trainingRules } from '../ops/elementwise.js';
import { poolRules } from '../ops/pool.js';
import { convRules } from '../ops/conv.js';
import { foldRules } from '../ops/fold.js';
import { interpolateRules } from '../ops/interpolate.js';
import { shuffleRules } from '../ops/shuffle.js';
import { concatRules } from '../ops/concat.js';

export const gradRules: GradTable = {
  ...elementwiseRules,
  ...trainingRules,
  ...poolRules,
  ...convRules,
  ...foldRules,
  ...interpolateRules,
  ...shuffleRules,
  ...concatRules,
};
