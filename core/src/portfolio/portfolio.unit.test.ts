// Portfolio accounting against a hand-computed ledger and a decimal-only reference over random fills.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OrderFilled } from '@qts/schemas';
import { Dec } from '../money/decimal.ts';
import { toUnits } from '../money/fixed.ts';
import { ValidationError } from '../errors.ts';
import { amount, applyFill, emptyPortfolio, equity, equityExact, equityPoint, grossExposure, markPrice, positionOf } from './index.ts';

let n = 0;
const fill = (side: 'buy' | 'sell', quantity: number, price: number, fee: number, over: Partial<OrderFilled> = {}): OrderFilled => ({
  clientOrderId: 'o', instrument: 'BTC/USDT', venueOrderId: 'v', fillId: `f${++n}`, side, price, quantity, fee,
  feeCurrency: 'USDT', liquidity: 'taker', ts: 1_000 + n, ...over,
});

describe('portfolio: a hand-computed ledger with a flip from long to short', () => {
  const p = emptyPortfolio(10_000, 'USDT');
  const steps: [OrderFilled, { cash: number; qty: number; avg: number; realized: number }][] = [
    [fill('buy', 1, 100, 0.1), { cash: 9_899.9, qty: 1, avg: 100, realized: 0 }],
    [fill('buy', 1, 110, 0.11), { cash: 9_789.79, qty: 2, avg: 105, realized: 0 }],
    [fill('sell', 0.5, 120, 0.06), { cash: 9_849.73, qty: 1.5, avg: 105, realized: 7.5 }],
    // Sells 2.5 of a 1.5 long: closes at a loss of 7.5, opens a 1.0 short at 100.
    [fill('sell', 2.5, 100, 0.25), { cash: 10_099.48, qty: -1, avg: 100, realized: 0 }],
    [fill('buy', 0.4, 95, 0.038), { cash: 10_061.442, qty: -0.6, avg: 100, realized: 2 }],
    [fill('buy', 0.6, 80, 0.048), { cash: 10_013.394, qty: 0, avg: 0, realized: 14 }],
  ];
  it.each(steps.map((s, i) => [i + 1, ...s] as const))('fill %i books cash, quantity, average and realised PnL exactly', (i, f, want) => {
    applyFill(p, f);
    const pos = positionOf(p, 'BTC/USDT');
    expect({ cash: p.cash, qty: pos.quantity, avg: pos.averagePrice, realized: p.realizedPnl }).toEqual(want);
    if (i === 4) {
      markPrice(p, 'BTC/USDT', 90, 2_000);
      expect(positionOf(p, 'BTC/USDT').unrealizedPnl).toBe(10);
      expect(equity(p)).toBeCloseTo(10_009.48, 9);
      expect(grossExposure(p)).toBe(90);
    }
  });
  it('ends flat with cash = start + realised - fees', () => {
    expect(p.fees).toBe(0.606);
    expect(p.cash).toBe(10_013.394);
    expect(equity(p)).toBe(10_013.394);
    expect(positionOf(p, 'BTC/USDT').fees).toBe(0.606);
  });
});

describe('portfolio: the details a ledger must get right', () => {
  it('counts a redelivered fill once', () => {
    const p = emptyPortfolio(1_000);
    const f = fill('buy', 1, 100, 1);
    applyFill(p, f);
    applyFill(p, f);
    expect(p.lastFillDuplicate).toBe(true);
    expect(p.cash).toBe(899);
    expect(positionOf(p, 'BTC/USDT').quantity).toBe(1);
  });
  it('keeps 0.1 + 0.2 - 0.3 at exactly zero', () => {
    const p = emptyPortfolio(1_000);
    applyFill(p, fill('buy', 0.1, 10, 0));
    applyFill(p, fill('buy', 0.2, 10, 0));
    applyFill(p, fill('sell', 0.3, 10, 0));
    expect(positionOf(p, 'BTC/USDT').quantity).toBe(0);
    expect(p.cash).toBe(1_000);
  });
  it('reports the realised PnL of the last fill for the loss cooldown', () => {
    const p = emptyPortfolio(1_000);
    applyFill(p, fill('buy', 2, 100, 0));
    applyFill(p, fill('sell', 1, 90, 0));
    expect(p.lastRealizedPnl).toBe(-10);
  });
  it('converts a fee charged in the base asset at the fill price and refuses an unknown fee currency', () => {
    const p = emptyPortfolio(1_000);
    applyFill(p, fill('buy', 1, 100, 0.001, { feeCurrency: 'BTC' }));
    expect(p.fees).toBe(0.1);
    expect(p.cash).toBe(899.9);
    expect(() => applyFill(p, fill('buy', 1, 100, 1, { feeCurrency: 'BNB' }))).toThrow(ValidationError);
  });
  it('values a short as a liability and gives an equity-curve point', () => {
    const p = emptyPortfolio(1_000);
    applyFill(p, fill('sell', 2, 100, 0.2));
    markPrice(p, 'BTC/USDT', 110, 5_000);
    expect(p.cash).toBe(1_199.8);
    expect(equityPoint(p, 5_000)).toEqual({ ts: 5_000, equity: 979.8, cash: 1_199.8, grossExposure: 220, realizedPnl: 0, unrealizedPnl: -20, fees: 0.2 });
  });
  it('refuses a fill quoted in another currency than the portfolio keeps', () => {
    expect(() => applyFill(emptyPortfolio(1_000, 'EUR'), fill('buy', 1, 100, 0))).toThrow(/BTC\/USDT settles in USDT/);
    expect(emptyPortfolio(1_000, 'USD').currency).toBe('USD');
    expect(positionOf(applyFill(emptyPortfolio(1_000, 'USD'), fill('buy', 1, 100, 0, { instrument: 'GOOG', feeCurrency: 'USD' })), 'GOOG').quantity).toBe(1);
  });
  it('shows a flat view for an instrument it never traded', () => {
    expect(positionOf(emptyPortfolio(1), 'ETH/USDT')).toMatchObject({ quantity: 0, averagePrice: 0, unrealizedPnl: 0 });
  });
});

describe('portfolio: random fill sequences against a decimal-only reference', () => {
  const step = fc.record({
    buy: fc.boolean(),
    lots: fc.integer({ min: 1, max: 5_000 }), // 0.001 .. 5
    cents: fc.integer({ min: 1, max: 10_000_000 }), // 0.01 .. 100 000
    feeBps: fc.integer({ min: 0, max: 30 }),
    markCents: fc.integer({ min: 1, max: 10_000_000 }),
  });
  it('ends flat with cash = start + sum(realised) - sum(fees), and equity tracks the exact ledger', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
      const start = 100_000;
      const p = emptyPortfolio(start);
      let refCash = new Dec(start);
      let refQty = new Dec(0);
      let realizedSeen = new Dec(0);
      let feesSeen = new Dec(0);
      const book = (side: 'buy' | 'sell', q: number, price: number, fee: number, mark: number): void => {
        applyFill(p, fill(side, q, price, fee));
        realizedSeen = realizedSeen.plus(p.lastRealizedPnl);
        feesSeen = feesSeen.plus(fee);
        const signed = side === 'buy' ? new Dec(q) : new Dec(q).neg();
        refCash = refCash.minus(signed.times(price)).minus(fee);
        refQty = refQty.plus(signed);
        markPrice(p, 'BTC/USDT', mark, 0);
        const refEquity = refCash.plus(refQty.times(mark));
        expect(amount(p.cashUnits)).toBe(refCash.toFixed());
        expect(new Dec(positionOf(p, 'BTC/USDT').quantity).eq(refQty)).toBe(true);
        expect(equityExact(p).eq(refEquity)).toBe(true);
        expect(Math.abs(equity(p) - refEquity.toNumber())).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(refEquity.toNumber())));
      };
      for (const s of steps) {
        const q = s.lots / 1000;
        const price = s.cents / 100;
        book(s.buy ? 'buy' : 'sell', q, price, Number((q * price * s.feeBps / 10_000).toFixed(8)), s.markCents / 100);
      }
      const open = positionOf(p, 'BTC/USDT').quantity;
      if (open !== 0) book(open > 0 ? 'sell' : 'buy', Math.abs(open), 123.45, 0.5, 123.45);
      expect(positionOf(p, 'BTC/USDT').quantity).toBe(0);
      expect(p.cashUnits).toBe(toUnits(start) + p.realizedUnits - p.feesUnits);
      expect(Math.abs(new Dec(amount(p.realizedUnits)).minus(realizedSeen).toNumber())).toBeLessThan(1e-6);
      expect(amount(p.feesUnits)).toBe(feesSeen.toFixed());
    }), { numRuns: 500 });
  });
});
