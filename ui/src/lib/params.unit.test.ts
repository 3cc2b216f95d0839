// Strategy parameter forms: the catalog comes from core's paramSpace; checks and nesting match what the API expects.
import { describe, expect, it } from 'vitest';
import { ApiError, fieldOf } from './api.ts';
import { checkParam, nest, specsOf, strategyKinds } from './params.svelte.ts';

describe('strategy parameters', () => {
  it('lists the built-in strategies with a default inside each range', () => {
    expect(strategyKinds.map((s) => s.kind)).toEqual(expect.arrayContaining(['sma-cross', 'macd-cross', 'rsi-reversion', 'bollinger-breakout']));
    for (const s of strategyKinds) for (const p of s.params) expect(checkParam(p, String(p.default))).toBeNull();
  });

  it('refuses blanks, non-numbers, fractions for integers and values out of range', () => {
    const fast = specsOf('sma-cross').find((p) => p.path === 'fast')!;
    expect(checkParam(fast, '')).toBe('required');
    expect(checkParam(fast, 'abc')).toBe('not a number');
    expect(checkParam(fast, '2.5')).toBe('must be a whole number');
    expect(checkParam(fast, '1')).toBe('must be between 2 and 200');
  });

  it('nests dotted paths of combinators and maps API issue paths to form fields', () => {
    expect(nest({ 'sma-cross.fast': 5, 'sma-cross.slow': 20, threshold: 1 })).toEqual({ 'sma-cross': { fast: 5, slow: 20 }, threshold: 1 });
    expect(fieldOf('body.params.fast')).toBe('fast');
    expect(fieldOf('body.instrument')).toBe('instrument');
    const e = new ApiError(400, 'ValidationError', 'bad', [{ path: 'body.params.slow', message: 'must be between 3 and 500, got 1' }]);
    expect(e.fieldErrors).toEqual({ slow: 'must be between 3 and 500, got 1' });
  });
});
