// Params are refused with the field and its range named; paramSpace feeds forms and optimisers; signalData prices at the close.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { bollingerBreakout } from './bollinger-breakout.ts';
import { builtInStrategies, strategyCatalog } from './builtins.ts';
import { gate, unanimous } from './combinators.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { defaultParams, fmt, paramSpace, paramsFromPoint, parseStrategyParams, signalData } from './strategy.ts';
import type { AnyStrategy } from './strategy.ts';
import { barsFromCloses } from './testing.ts';

function issuesOf(strategy: AnyStrategy, input: unknown): readonly { path: string; message: string }[] {
  try {
    parseStrategyParams(strategy, input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('parseStrategyParams', () => {
  it('fills defaults for missing fields and for no input at all', () => {
    expect(parseStrategyParams(smaCross, undefined)).toEqual({ fast: 10, slow: 30 });
    expect(parseStrategyParams(smaCross, { slow: 50 })).toEqual({ fast: 10, slow: 50 });
    expect(defaultParams(macdCross)).toEqual({ fast: 12, slow: 26, signal: 9 });
    expect(defaultParams(rsiReversion)).toEqual({ period: 14, oversold: 30, overbought: 70 });
    expect(defaultParams(bollingerBreakout)).toEqual({ period: 20, stddev: 2 });
  });

  it('refuses out-of-range values naming the field, its range and the value', () => {
    expect(issuesOf(smaCross, { fast: 500 })).toEqual([{ path: 'fast', message: 'fast: must be between 2 and 200, got 500' }]);
    expect(issuesOf(rsiReversion, { period: 1, overbought: 120 })).toEqual([
      { path: 'period', message: 'period: must be between 2 and 100, got 1' },
      { path: 'overbought', message: 'overbought: must be between 51 and 99, got 120' },
    ]);
    expect(issuesOf(bollingerBreakout, { stddev: 0 })).toEqual([{ path: 'stddev', message: 'stddev: must be between 0.5 and 5, got 0' }]);
  });

  it('refuses fractions, strings and non-finite numbers for integer periods', () => {
    expect(issuesOf(smaCross, { fast: 10.5 })[0]!.message).toBe('fast: must be a whole number between 2 and 200, got 10.5');
    expect(issuesOf(smaCross, { fast: '10' })[0]!.message).toBe('fast: must be between 2 and 200, got "10"');
    expect(issuesOf(macdCross, { signal: Infinity })[0]!.message).toBe('signal: must be between 1 and 100, got Infinity');
  });

  it('refuses fast >= slow with a message naming both', () => {
    expect(issuesOf(smaCross, { fast: 40, slow: 30 })).toEqual([{ path: 'fast', message: 'fast: must be below slow (30), got 40' }]);
    expect(issuesOf(macdCross, { fast: 26 })).toEqual([{ path: 'fast', message: 'fast: must be below slow (26), got 26' }]);
  });

  it('refuses unknown names instead of silently using a default', () => {
    expect(issuesOf(smaCross, { fsat: 5 })).toEqual([{ path: 'fsat', message: 'fsat: unknown parameter; known: fast, slow' }]);
  });

  it('refuses a non-object', () => {
    expect(issuesOf(smaCross, 5)).toEqual([{ path: '', message: 'params: must be an object, got 5' }]);
  });

  it('puts every issue in the error message', () => {
    expect(() => parseStrategyParams(smaCross, { fast: 1, slow: 1000 })).toThrow(
      'invalid sma-cross parameters: fast: must be between 2 and 200, got 1; slow: must be between 3 and 500, got 1000',
    );
  });

  it('nests combinator params by child name, with each child defaulted and checked', () => {
    const both = unanimous([smaCross, rsiReversion]);
    expect(parseStrategyParams(both, { 'sma-cross': { fast: 5 } })).toEqual({
      'sma-cross': { fast: 5, slow: 30 }, 'rsi-reversion': { period: 14, oversold: 30, overbought: 70 },
    });
    expect(issuesOf(both, { 'sma-cross': { fast: 500 } })).toEqual([{ path: 'sma-cross.fast', message: 'sma-cross.fast: must be between 2 and 200, got 500' }]);
    expect(issuesOf(both, { 'sma-cros': {} })[0]!.message).toBe('sma-cros: unknown parameter; known: sma-cross, rsi-reversion');
    expect(issuesOf(both, { 'sma-cross': { fast: 40 } })).toEqual([{ path: 'sma-cross.fast', message: 'sma-cross.fast: must be below slow (30), got 40' }]);
    expect(issuesOf(both, { 'rsi-reversion': { period: 14, x: 1 } })).toEqual([{ path: 'rsi-reversion.x', message: 'rsi-reversion.x: unknown parameter; known: period, oversold, overbought' }]);
  });
});

describe('paramSpace', () => {
  it('describes each numeric parameter with default, range and step', () => {
    expect(paramSpace(smaCross)).toEqual([
      { path: 'fast', default: 10, min: 2, max: 200, step: 1, integer: true, description: 'fast SMA period (bars)' },
      { path: 'slow', default: 30, min: 3, max: 500, step: 1, integer: true, description: 'slow SMA period (bars)' },
    ]);
    expect(paramSpace(bollingerBreakout).find((s) => s.path === 'stddev')).toMatchObject({ default: 2, min: 0.5, max: 5, step: 0.1, integer: false });
    expect(paramSpace(rsiReversion).map((s) => [s.path, s.default, s.min, s.max])).toEqual([
      ['period', 14, 2, 100], ['oversold', 30, 1, 49], ['overbought', 70, 51, 99],
    ]);
  });

  it('every built-in default lies inside its range and parses', () => {
    for (const strategy of Object.values(builtInStrategies)) {
      const space = paramSpace(strategy);
      expect(space.length).toBeGreaterThan(0);
      for (const s of space) {
        expect(s.default).toBeGreaterThanOrEqual(s.min);
        expect(s.default).toBeLessThanOrEqual(s.max);
      }
      expect(paramsFromPoint(strategy, Object.fromEntries(space.map((s) => [s.path, s.default])))).toEqual(defaultParams(strategy));
    }
  });

  it('flattens nested combinators to dotted paths, and paramsFromPoint nests them back', () => {
    const g = gate(unanimous([smaCross, macdCross]), { name: 'trend', strategy: smaCross });
    expect(paramSpace(g).map((s) => s.path)).toEqual([
      'unanimous.sma-cross.fast', 'unanimous.sma-cross.slow', 'unanimous.macd-cross.fast', 'unanimous.macd-cross.slow', 'unanimous.macd-cross.signal',
      'trend.fast', 'trend.slow',
    ]);
    const p = paramsFromPoint(g, { 'unanimous.sma-cross.fast': 3, 'trend.slow': 100 }) as Record<string, Record<string, unknown>>;
    expect(p['unanimous']!['sma-cross']).toEqual({ fast: 3, slow: 30 });
    expect(p['trend']).toEqual({ fast: 10, slow: 100 });
  });
});

describe('builtInStrategies', () => {
  it('lists the four built-ins by kind', () => {
    expect(Object.keys(builtInStrategies).sort()).toEqual(['bollinger-breakout', 'macd-cross', 'rsi-reversion', 'sma-cross']);
    for (const [kind, s] of Object.entries(builtInStrategies)) expect(s.kind).toBe(kind);
  });
});

describe('strategyCatalog', () => {
  it('lists kind, description and parameter form of each strategy, as JSON', () => {
    const catalog = JSON.parse(JSON.stringify(strategyCatalog())) as ReturnType<typeof strategyCatalog>;
    expect(catalog.map((s) => s.kind)).toEqual(['sma-cross', 'macd-cross', 'rsi-reversion', 'bollinger-breakout']);
    expect(catalog[0]!.description).toMatch(/fast SMA/);
    expect(catalog[3]!.params).toEqual(paramSpace(bollingerBreakout));
  });
});

describe('signalData', () => {
  it('prices the signal at the close and dates it at the bar close time', () => {
    const [bar] = barsFromCloses([101.5], 'BTC/USDT');
    const data = signalData('sma-1', bar!, { direction: 'long', strength: 1, reason: 'cross' });
    expect(data).toEqual({ strategyId: 'sma-1', instrument: 'BTC/USDT', direction: 'long', strength: 1, price: 101.5, asOf: bar!.closeTime, reason: 'cross' });
  });

  it('keeps model details and trims an overlong reason to the event limit', () => {
    const [bar] = barsFromCloses([10]);
    const model = { version: 'lstm-3', probability: 0.61, confidence: 0.4 };
    const data = signalData('m', bar!, { direction: 'short', strength: 0.61, reason: 'x'.repeat(2000), model });
    expect(data.model).toEqual(model);
    expect(data.reason).toHaveLength(512);
  });
});

describe('fmt (numbers in reasons)', () => {
  it('gives 6 significant digits without float noise, at any magnitude', () => {
    expect([10.5, 1 / 3, 2 / 3, 87.5, 123456.5, 1234567, 0.000123456789, 20512.345678, -0.0523456789].map(fmt)).toEqual([
      '10.5', '0.333333', '0.666667', '87.5', '123457', '1234570', '0.000123457', '20512.3', '-0.0523457',
    ]);
    expect([0, NaN, Infinity, 1e-20, 1e25].map(fmt)).toEqual(['0', 'NaN', 'Infinity', '1e-20', '1e+25']);
  });
});
