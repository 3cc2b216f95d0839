// Rounding prices to the venue's tick and quantities to its lot step, exactly, without float drift.

import { Dec } from './decimal.ts';

/** How a price is snapped to the tick grid. */
export type TickRounding = 'nearest' | 'down' | 'up';

/**
 * Rounds a price to a multiple of tickSize. 'nearest' rounds half away from zero.
 * For orders prefer roundPriceForSide: a buy limit rounds down and a sell limit rounds up, so the
 * order never pays more (or receives less) than the price it was computed from.
 *
 * roundToTick(101.235, 0.01) === 101.24; roundToTick(0.3, 0.1, 'down') === 0.3
 */
export function roundToTick(price: number, tickSize: number, mode: TickRounding = 'nearest'): number {
  return snap(price, tickSize, mode);
}

/**
 * Floors a quantity to the lot step: an order never asks for more than was sized.
 * Works on the step's decimal grid, so roundToLot(0.3, 0.1) === 0.3 (naive Math.floor(0.3 / 0.1) gives 0.2).
 */
export function roundToLot(quantity: number, lotStep: number): number {
  return snap(quantity, lotStep, 'down');
}

/**
 * Buy prices round down, sell prices round up: for limits that is never worse than intended; for stops
 * it triggers the protective order no later than intended (a long's sell stop moves toward the market).
 */
export function roundPriceForSide(price: number, tickSize: number, side: 'buy' | 'sell'): number {
  return snap(price, tickSize, side === 'buy' ? 'down' : 'up');
}

/** Number of decimals of a step such as 0.001, 5e-8 or 25 (no string round trip: this runs per order). */
export function stepDecimals(step: number): number {
  let d = 0;
  let scale = 1;
  while (d < 20 && Math.round(step * scale) / scale !== step) {
    d++;
    scale *= 10;
  }
  return d;
}

function snap(value: number, step: number, mode: TickRounding): number {
  if (!Number.isFinite(value)) throw new RangeError(`cannot round ${value}`);
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`step must be a positive number, got ${step}`);
  const steps = value / step;
  const nearest = Math.round(steps);
  // Division noise is a few ulps (0.3 / 0.1 = 2.9999999999999996): a value that close to the grid is on it.
  const tolerance = 1e-12 + Math.abs(steps) * 1e-14;
  if (Math.abs(steps - nearest) <= tolerance) return onGrid(nearest, step);
  let k: number;
  if (mode === 'down') k = Math.floor(steps);
  else if (mode === 'up') k = Math.ceil(steps);
  else {
    // A tie (101.235 / 0.01 = 10123.499999999998) is decided on the decimals the numbers print as.
    const fraction = Math.abs(steps - Math.trunc(steps));
    if (Math.abs(fraction - 0.5) <= tolerance || Math.abs(steps) > 1e15) return snapExact(value, step);
    k = Math.sign(steps) * Math.floor(Math.abs(steps) + 0.5);
  }
  return onGrid(k, step);
}

function snapExact(value: number, step: number): number {
  const k = new Dec(value).div(step).toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  return new Dec(k).times(step).toNumber() + 0;
}

/** k steps as the double nearest to the decimal k * step: integer units over a power of ten. */
function onGrid(k: number, step: number): number {
  const decimals = stepDecimals(step);
  const scale = 10 ** decimals;
  const units = Math.round(step * scale);
  if (decimals > 15 || Math.abs(k * units) > Number.MAX_SAFE_INTEGER) return new Dec(k).times(step).toNumber() + 0;
  return (k * units) / scale + 0;
}
