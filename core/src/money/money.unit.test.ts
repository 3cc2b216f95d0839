// Rounding to venue grids and exact money sums: the numbers an order and a ledger are built from.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMoney, Dec, divUnits, fromUnits, mulMoney, mulUnits, roundPriceForSide, roundToLot, roundToTick, stepDecimals, subtractMoney, sumMoney, toUnits, unitsToString } from './index.ts';

describe('roundToLot', () => {
  it('keeps a quantity that already sits on the grid despite float noise', () => {
    expect(roundToLot(0.3, 0.1)).toBe(0.3);
    expect(roundToLot(0.7, 0.1)).toBe(0.7);
    expect(roundToLot(1.15, 0.05)).toBe(1.15);
    expect(roundToLot(0.00029, 0.00001)).toBe(0.00029);
  });
  it('floors anything between two steps, never sizing more than asked', () => {
    expect(roundToLot(0.39999, 0.1)).toBe(0.3);
    expect(roundToLot(1.23456789, 0.001)).toBe(1.234);
    expect(roundToLot(12.9, 5)).toBe(10);
    expect(roundToLot(0.00000999, 0.00001)).toBe(0);
  });
  it('handles exponent-notation steps such as 1e-8', () => {
    expect(roundToLot(0.123456789, 1e-8)).toBe(0.12345678);
    expect(stepDecimals(1e-8)).toBe(8);
    expect(stepDecimals(2.5e-7)).toBe(8);
    expect(stepDecimals(25)).toBe(0);
  });
  it('agrees with an exact decimal floor on random inputs', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(1, 0.1, 0.01, 0.001, 0.00001, 1e-8, 0.5, 0.25, 5),
      (units, step) => {
        const q = units / 1000;
        const exact = new Dec(q).div(step).floor().times(step).toNumber();
        expect(roundToLot(q, step)).toBe(exact);
      },
    ));
  });
  it('refuses NaN, infinite values and non-positive steps', () => {
    expect(() => roundToLot(Number.NaN, 0.1)).toThrow(RangeError);
    expect(() => roundToLot(1, 0)).toThrow(RangeError);
    expect(() => roundToTick(Infinity, 0.01)).toThrow(RangeError);
  });
});

describe('roundToTick', () => {
  it('rounds to the nearest tick, half away from zero, as the price prints', () => {
    expect(roundToTick(101.235, 0.01)).toBe(101.24);
    expect(roundToTick(101.234, 0.01)).toBe(101.23);
    expect(roundToTick(-1.005, 0.01)).toBe(-1.01);
    expect(roundToTick(27_123.45, 0.5)).toBe(27_123.5);
    expect(roundToTick(0.1 + 0.2, 0.1)).toBe(0.3);
  });
  it('rounds a buy price down and a sell price up so the order is never worse than computed', () => {
    expect(roundPriceForSide(99.987, 0.01, 'buy')).toBe(99.98);
    expect(roundPriceForSide(99.981, 0.01, 'sell')).toBe(99.99);
    expect(roundPriceForSide(99.98, 0.01, 'sell')).toBe(99.98);
    expect(roundToTick(100.01, 0.05, 'down')).toBe(100);
    expect(roundToTick(100.01, 0.05, 'up')).toBe(100.05);
  });
});

describe('exact money sums', () => {
  it('adds, subtracts and multiplies without float drift', () => {
    expect(addMoney(0.1, 0.2)).toBe(0.3);
    expect(subtractMoney(0.3, 0.1)).toBe(0.2);
    expect(mulMoney(0.1, 3)).toBe(0.3);
    expect(sumMoney(Array.from({ length: 10 }, () => 0.1))).toBe(1);
  });
});

describe('fixed-point units', () => {
  it('reads a number as it prints and converts back to the nearest double', () => {
    expect(toUnits(0.1) + toUnits(0.2)).toBe(toUnits(0.3));
    expect(unitsToString(toUnits(0.1) + toUnits(0.2))).toBe('0.3');
    expect(toUnits(1e-8)).toBe(10_000_000_000n);
    expect(toUnits(-2.5e-7)).toBe(-250_000_000_000n);
    expect(toUnits(1.5e21)).toBe(1_500_000_000_000_000_000_000n * 10n ** 18n);
    expect(fromUnits(toUnits(0.1) + toUnits(0.2))).toBe(0.3);
    expect(fromUnits(-toUnits(123.456))).toBe(-123.456);
    expect(unitsToString(mulUnits(toUnits(30_000.12), toUnits(0.12345)))).toBe('3703.514814');
    expect(unitsToString(divUnits(toUnits(1), toUnits(3)))).toBe('0.333333333333333333');
  });
  it('agrees with decimal.js on random amounts', () => {
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (a, b) => {
      const d = (x: number) => new Dec(x).toDecimalPlaces(18, Dec.ROUND_HALF_UP);
      expect(fromUnits(toUnits(a))).toBe(d(a).toNumber() + 0);
      expect(unitsToString(toUnits(a) + toUnits(b))).toBe(d(a).plus(d(b)).toFixed().replace(/^-0$/, '0'));
    }));
  });
});
