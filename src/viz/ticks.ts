/** Axis labelling shared by the pictures (viz/matrix.ts) and the explorer's heat maps (web/matrix.ts). */
import { fail } from '../errors.js';

/**
 * The step between labelled indices along an axis of cells `cellSize` px wide: the smallest of
 * 1, 2, 5, 10, 20, 50, … for which labels lie at least `room` px apart, so that they do not touch.
 *
 * - `cellSize`: a positive finite number (px per index); `room`: a finite number ≥ 0 (px a label needs).
 * - returns a positive integer.
 *
 * @example
 *   import { axisLabelStep } from 'deconv';
 *   axisLabelStep(22, 18); // 1: every index
 *   axisLabelStep(3, 18);  // 10: 0, 10, 20, …
 */
export function axisLabelStep(cellSize: number, room: number): number {
  const fn = 'axisLabelStep';
  if (typeof cellSize !== 'number' || !Number.isFinite(cellSize) || cellSize <= 0)
    fail(fn, 'cellSize', cellSize, 'must be a positive finite number');
  if (typeof room !== 'number' || !Number.isFinite(room) || room < 0)
    fail(fn, 'room', room, 'must be a finite number ≥ 0');
  // terminates: k·p grows tenfold per round until k·p·cellSize ≥ room (both finite)
  for (let p = 1; ; p *= 10) for (const k of [1, 2, 5]) if (k * p * cellSize >= room) return k * p;
}
