// Backfill's argument parsing and bar ids: what a user types, and why a re-run stores nothing twice.
import { describe, expect, it } from 'vitest';
import { barEventId, parseInstant } from './backfill.ts';

describe('backfill arguments', () => {
  const since = parseInstant('--since');
  it('reads dates as UTC, date-times with their offset, and epoch milliseconds', () => {
    expect(since('2023-01-02')).toBe(Date.UTC(2023, 0, 2));
    expect(since('2023-01-02T16:45:00Z')).toBe(Date.UTC(2023, 0, 2, 16, 45));
    expect(since('2023-01-02T16:45:00+01:00')).toBe(Date.UTC(2023, 0, 2, 15, 45));
    expect(since('1672677900000')).toBe(1672677900000);
  });
  it('names the flag and the accepted forms when the value is wrong', () => {
    expect(() => since('yesterday-ish')).toThrow(/--since must be an ISO date .* got 'yesterday-ish'/);
    expect(() => parseInstant('--until')('')).toThrow(/--until/);
  });
});

describe('backfilled bar ids', () => {
  const bar = { venue: 'binance', instrument: 'BTC/USDT', timeframe: '5m' as const, openTime: 1_675_000_000_000, closeTime: 1_675_000_300_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 };
  it('are the same for the same bar whatever its prices (a refetch), and differ per venue, instrument, timeframe and time', () => {
    expect(barEventId({ ...bar, close: 1.6 })).toBe(barEventId(bar));
    const others = [{ ...bar, venue: 'kraken' }, { ...bar, instrument: 'ETH/USDT' }, { ...bar, timeframe: '1m' as const }, { ...bar, openTime: bar.openTime + 300_000, closeTime: bar.closeTime + 300_000 }];
    expect(new Set([bar, ...others].map(barEventId)).size).toBe(5);
    expect(barEventId(bar)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });
});
