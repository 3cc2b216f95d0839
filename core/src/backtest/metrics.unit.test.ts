// Metrics against values computed by hand on a tiny equity curve, and round trips built from fills.
import { describe, expect, it } from 'vitest';
import { computeMetrics, periodsPerYearFor, YEAR_MS } from './metrics.ts';
import { TradeBook, type RoundTrip } from './trades.ts';

const trade = (pnl: number, returnPct: number): RoundTrip => ({
  direction: 'long', instrument: 'X', entryTime: 0, exitTime: 1, entryPrice: 1, exitPrice: 1, quantity: 1, pnl, fees: 0, returnPct, fills: 2,
});

describe('computeMetrics', () => {
  // Start 100; closes 110, 99, 99, 118.8: returns +10%, -10%, 0, +20%; 4 bars a year.
  const m = computeMetrics({
    startEquity: 100, equity: [110, 99, 99, 118.8], trades: [trade(30, 0.3), trade(-10, -0.1), trade(-5, -0.05)],
    barsInMarket: 3, periodsPerYear: 4, barMs: 1000, totalFees: 1.5,
  });

  it('computes return, CAGR and volatility from per-bar returns', () => {
    expect(m.totalReturn).toBeCloseTo(0.188, 12);
    expect(m.cagr).toBeCloseTo(0.188, 12); // exactly one year of bars
    // mean 0.05; squared deviations sum 0.05; sample variance 0.05/3
    expect(m.volatility).toBeCloseTo(Math.sqrt(0.05 / 3) * 2, 12);
  });

  it('computes Sharpe and Sortino with a zero risk-free rate', () => {
    expect(m.sharpe).toBeCloseTo((0.05 / Math.sqrt(0.05 / 3)) * 2, 12);
    // downside deviation sqrt(0.01 / 4) = 0.05
    expect(m.sortino).toBeCloseTo((0.05 / 0.05) * 2, 12);
  });

  it('computes the max drawdown, its duration and Calmar', () => {
    expect(m.maxDrawdown).toBeCloseTo(0.1, 12);
    expect(m.maxDrawdownBars).toBe(2);
    expect(m.maxDrawdownMs).toBe(2000);
    expect(m.calmar).toBeCloseTo(1.88, 12);
  });

  it('computes trade statistics and exposure', () => {
    expect(m.trades).toBe(3);
    expect(m.winRate).toBeCloseTo(1 / 3, 12);
    expect(m.profitFactor).toBeCloseTo(2, 12);
    expect(m.averageTrade).toBeCloseTo(5, 12);
    expect(m.averageTradeReturn).toBeCloseTo(0.05, 12);
    expect(m.exposure).toBe(0.75);
  });

  it('reports undefined ratios as null rather than Infinity or NaN', () => {
    const flat = computeMetrics({ startEquity: 100, equity: [100, 100], trades: [], barsInMarket: 0, periodsPerYear: 252, barMs: 1, totalFees: 0 });
    expect([flat.sharpe, flat.sortino, flat.calmar, flat.winRate, flat.profitFactor, flat.averageTrade]).toEqual([null, null, null, null, null, null]);
    expect(flat.maxDrawdown).toBe(0);
  });

  it('counts a drawdown never recovered up to the last bar', () => {
    const d = computeMetrics({ startEquity: 100, equity: [90, 80, 95], trades: [], barsInMarket: 3, periodsPerYear: 3, barMs: 1, totalFees: 0 });
    expect(d.maxDrawdown).toBeCloseTo(0.2, 12);
    expect(d.maxDrawdownBars).toBe(3);
  });
});

describe('periodsPerYearFor', () => {
  it('uses the calendar for 24/7 bars and the observed rate for sessions with closed days', () => {
    const hour = 3_600_000;
    expect(periodsPerYearFor(hour, 24 * 365, YEAR_MS)).toBeCloseTo(YEAR_MS / hour, 6);
    // 252 daily bars over a calendar year: equities
    expect(periodsPerYearFor(86_400_000, 252, YEAR_MS)).toBeCloseTo(252, 6);
  });
});

describe('TradeBook', () => {
  it('builds a long round trip with fees, scaling in', () => {
    const b = new TradeBook('X');
    b.onFill('buy', 100, 1, 0.1, 1);
    b.onFill('buy', 110, 1, 0.11, 2);
    b.onFill('sell', 120, 2, 0.24, 3);
    expect(b.trades).toHaveLength(1);
    const t = b.trades[0]!;
    expect(t).toMatchObject({ direction: 'long', entryTime: 1, exitTime: 3, quantity: 2, fills: 3 });
    expect(t.entryPrice).toBeCloseTo(105, 12);
    expect(t.pnl).toBeCloseTo(30 - 0.45, 12);
    expect(t.returnPct).toBeCloseTo((30 - 0.45) / 210, 12);
  });

  it('splits a flip into a closed trade and a new one, sharing the fee by quantity', () => {
    const b = new TradeBook('X');
    b.onFill('buy', 100, 1, 0, 1);
    b.onFill('sell', 90, 3, 0.3, 2);
    expect(b.trades[0]!.pnl).toBeCloseTo(-10 - 0.1, 12);
    expect(b.openPosition).toBe(-2);
    b.onFill('buy', 80, 2, 0, 3);
    expect(b.trades[1]).toMatchObject({ direction: 'short', quantity: 2 });
    expect(b.trades[1]!.pnl).toBeCloseTo(20 - 0.2, 12);
  });
});
