// Settings at the trust boundary: defaults a user expects, and a clear refusal of nonsense.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { parseExecutorConfig, parseRiskLimits, parseVenueRules } from './index.ts';

describe('executor settings', () => {
  it('defaults to long-only, all-in, market, GTC', () => {
    expect(parseExecutorConfig({})).toEqual({
      account: 'main', venue: 'sim', sizing: { kind: 'percent-equity', percent: 100 }, orderType: 'market', limitOffsetBps: 0,
      allowShort: false, timeInForce: 'GTC', scaleByStrength: false,
    });
    expect(parseExecutorConfig({ sizing: { kind: 'percent-equity' } }).sizing).toEqual({ kind: 'percent-equity', percent: 100 });
  });
  it('names every bad field', () => {
    try {
      parseExecutorConfig({ sizing: { kind: 'fixed-quantity', quantity: -1 }, stopLossPct: Number.NaN, orderType: 'iceberg', extra: 1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const paths = (e as ValidationError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['sizing.quantity', 'stopLossPct', 'orderType']));
      expect((e as ValidationError).message).toContain('sizing.quantity');
    }
  });
  it('checks venue rules and risk limits', () => {
    expect(parseVenueRules({ tickSize: 0.01, lotStep: 0.00001 })).toEqual({ tickSize: 0.01, lotStep: 0.00001, minQuantity: 0, minNotional: 0, makerFeeBps: 10, takerFeeBps: 10 });
    expect(() => parseVenueRules({ tickSize: 0, lotStep: 1 })).toThrow(/tickSize/);
    expect(parseRiskLimits(undefined)).toEqual({});
    expect(() => parseRiskLimits({ maxDrawdownPct: 150 })).toThrow(ValidationError);
    expect(() => parseRiskLimits({ maxOrdersPerMinute: 2.5 })).toThrow(/maxOrdersPerMinute/);
  });
});
