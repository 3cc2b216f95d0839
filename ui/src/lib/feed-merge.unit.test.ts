// The live feed's folding of deltas into snapshots: gaps are detected, repeats are harmless, lists stay ordered.
import { describe, expect, it } from 'vitest';
import type { Bar } from './api.ts';
import { applyDelta, mergeBars, mergeNewestFirst, newestByKey, sequence } from './feed-merge.ts';

const bar = (t: number, close = t): Bar => ({ venue: 'v', instrument: 'BTC/USDT', timeframe: '1m', openTime: t, closeTime: t + 60_000, open: close, high: close, low: close, close, volume: 1 });

describe('sequence', () => {
  it('applies the next delta, ignores one the snapshot already holds, and asks for a resync after a gap', () => {
    expect(sequence(4, 5)).toBe('apply');
    expect(sequence(4, 4)).toBe('stale');
    expect(sequence(4, 2)).toBe('stale');
    expect(sequence(4, 6)).toBe('gap');
    expect(sequence(-1, 0)).toBe('apply');
  });
});

describe('mergeBars', () => {
  it('replaces the forming bar, appends new ones and slots a late bar in time order', () => {
    const a = [bar(0), bar(60_000), bar(120_000)];
    const merged = mergeBars(a, [bar(120_000, 7), bar(180_000)]);
    expect(merged.map((b) => [b.openTime, b.close])).toEqual([[0, 0], [60_000, 60_000], [120_000, 7], [180_000, 180_000]]);
    expect(a).toHaveLength(3); // the snapshot array is not mutated: $state.raw needs a new one
    const late = mergeBars([bar(0), bar(120_000)], [bar(60_000)]);
    expect(late.map((b) => b.openTime)).toEqual([0, 60_000, 120_000]);
  });

  it('gives the same bars when a delta is applied twice', () => {
    const once = mergeBars([bar(0)], [bar(60_000), bar(120_000)]);
    expect(mergeBars(once, [bar(60_000), bar(120_000)])).toEqual(once);
  });
});

describe('mergeNewestFirst and applyDelta', () => {
  it('moves updated orders to the top once, keeping the rest', () => {
    const orders = [{ clientOrderId: 'b', status: 'accepted' }, { clientOrderId: 'a', status: 'filled' }];
    const next = applyDelta('orders', orders, [{ clientOrderId: 'c', status: 'requested' }, { clientOrderId: 'b', status: 'filled' }]) as typeof orders;
    expect(next).toEqual([{ clientOrderId: 'b', status: 'filled' }, { clientOrderId: 'c', status: 'requested' }, { clientOrderId: 'a', status: 'filled' }]);
  });

  it('bounds a list to its limit', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: String(i) }));
    expect(mergeNewestFirst(rows, [{ id: 'x' }], (r) => r.id, 5).map((r) => r.id)).toEqual(['x', '0', '1', '2', '3']);
  });

  it('upserts positions by account, strategy and instrument, and PnL by account', () => {
    const pos = [{ account: 'p', strategyId: '*', instrument: 'BTC/USDT', quantity: 1 }];
    expect(applyDelta('positions', pos, [{ account: 'p', strategyId: '*', instrument: 'BTC/USDT', quantity: 0 }, { account: 'p', strategyId: 's', instrument: 'BTC/USDT', quantity: 2 }]))
      .toEqual([{ account: 'p', strategyId: '*', instrument: 'BTC/USDT', quantity: 0 }, { account: 'p', strategyId: 's', instrument: 'BTC/USDT', quantity: 2 }]);
    expect(applyDelta('pnl', [{ account: 'p', equity: 1 }], [{ account: 'p', equity: 2 }])).toEqual([{ account: 'p', equity: 2 }]);
    expect(applyDelta('system', { risk: [], checkpoints: { a: 1 } }, { risk: [{ halted: true }] })).toEqual({ risk: [{ halted: true }], checkpoints: { a: 1 } });
  });
});

describe('newestByKey', () => {
  it('keeps, per key, the row changed last, whichever source it came from', () => {
    const feed = [{ account: 'a', halted: false, updatedAt: 5 }, { account: 'b', halted: false, updatedAt: 9 }];
    const fetched = [{ account: 'a', halted: true, updatedAt: 7 }, { account: 'b', halted: true, updatedAt: 3 }, { account: 'c', halted: false, updatedAt: 1 }];
    expect(newestByKey(feed, fetched, (r) => r.account)).toEqual([{ account: 'a', halted: true, updatedAt: 7 }, { account: 'b', halted: false, updatedAt: 9 }, { account: 'c', halted: false, updatedAt: 1 }]);
  });
});
