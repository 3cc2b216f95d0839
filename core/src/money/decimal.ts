// Exact decimal arithmetic for cash, fees and PnL: a private decimal.js clone so nobody's global config leaks in.
import { Decimal } from 'decimal.js';

/** 34 significant digits (decimal128); numbers enter through their shortest string, so 0.1 stays 0.1. */
export const Dec = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN });
export type Dec = InstanceType<typeof Dec>;

export const ZERO: Dec = new Dec(0);

/** a + b without float drift: addMoney(0.1, 0.2) === 0.3. */
export function addMoney(a: number, b: number): number {
  return new Dec(a).plus(b).toNumber();
}

/** a - b without float drift. */
export function subtractMoney(a: number, b: number): number {
  return new Dec(a).minus(b).toNumber();
}

/** a * b rounded once: mulMoney(0.1, 3) === 0.3. */
export function mulMoney(a: number, b: number): number {
  return new Dec(a).times(b).toNumber();
}

/** The exact sum of the values, rounded once to a number at the end. */
export function sumMoney(values: Iterable<number>): number {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total.toNumber();
}
