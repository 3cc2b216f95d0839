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

/** Number of decimals of a step such as 0.001, 5e-8 or 25; steps come from venue metadata. */
export function stepDecimals(step: number): number {
  const s = String(step);
  const e = s.indexOf('e-');
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    const dot = mantissa.indexOf('.');
    return Number(s.slice(e + 2)) + (dot >= 0 ? mantissa.length - dot - 1 : 0);
  }
  const dot = s.indexOf('.');
  return dot >= 0 ? s.length - dot - 1 : 0;
}

function snap(value: number, step: number, mode: TickRounding): number {
  if (!Number.isFinite(value)) throw new RangeError(`cannot round ${value}`);
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`step must be a positive number, got ${step}`);
  const steps = value / step;
  const fraction = Math.abs(steps - Math.trunc(steps));
  // Near a rounding boundary float noise decides (0.3 / 0.1 = 2.9999999999999996, 101.235 / 0.01 =
  // 10123.499999999998): there the decimal values the numbers print as decide, exactly.
  const boundary = mode === 'nearest' ? Math.abs(fraction - 0.5) : Math.min(fraction, 1 - fraction);
  if (boundary < 1e-6 + Math.abs(steps) * 1e-14 || Math.abs(steps) > 1e12) return snapExact(value, step, mode);
  let k: number;
  if (mode === 'down') k = Math.floor(steps);
  else if (mode === 'up') k = Math.ceil(steps);
  else k = Math.round(steps);
  return onGrid(k, step);
}

function snapExact(value: number, step: number, mode: TickRounding): number {
  const rounding = mode === 'down' ? Dec.ROUND_FLOOR : mode === 'up' ? Dec.ROUND_CEIL : Dec.ROUND_HALF_UP;
  const k = new Dec(value).div(step).toDecimalPlaces(0, rounding);
  return new Dec(k).times(step).toNumber() + 0;
}

/** k steps as the double nearest to the decimal k * step: integer units over a power of ten. */
function onGrid(k: number, step: number): number {
  const decimals = stepDecimals(step);
  if (decimals > 15) return new Dec(k).times(step).toNumber() + 0;
  const scale = 10 ** decimals;
  return (k * Math.round(step * scale)) / scale + 0;
}
