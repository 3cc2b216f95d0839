// Strategies built from JSON: kinds resolve through the registry, hybrids nest, bad specs are refused at their path.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { loadBars } from '../testing/data.ts';
import { builtInStrategies } from './builtins.ts';
import { gate, unanimous } from './combinators.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { strategyFromSpec } from './spec.ts';
import { NO_SIGNALS, paramSpace } from './strategy.ts';
import type { AnyStrategy } from './strategy.ts';
import { barsFromColumns, collectSignals } from './testing.ts';

function refusal(spec: unknown, registry?: Readonly<Record<string, AnyStrategy>>): ValidationError {
  try {
    strategyFromSpec(spec, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be refused`);
}

describe('strategyFromSpec', () => {
  it('resolves a kind to the built-in itself', () => {
    for (const kind of Object.keys(builtInStrategies)) expect(strategyFromSpec(kind)).toBe(builtInStrategies[kind]);
  });

  it('builds nested hybrids that behave like the same hybrids built in code', () => {
    const spec = { kind: 'gate', primary: { kind: 'unanimous', of: ['sma-cross', 'macd-cross'] }, confirmer: { name: 'rsi', strategy: 'rsi-reversion' }, minStrength: 0.5 };
    const fromJson = strategyFromSpec(JSON.parse(JSON.stringify(spec)));
    const inCode = gate(unanimous([smaCross, macdCross]), { name: 'rsi', strategy: rsiReversion }, { minStrength: 0.5 });
    expect(paramSpace(fromJson)).toEqual(paramSpace(inCode));
    const bars = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000);
    const params = { unanimous: { 'sma-cross': { fast: 5, slow: 20 } } };
    expect(collectSignals(fromJson, bars, params)).toEqual(collectSignals(inCode, bars, params));
  });

  it('builds weighted votes with their weights and threshold', () => {
    const s = strategyFromSpec({ kind: 'weighted', of: [{ strategy: 'sma-cross', weight: 2 }, { strategy: 'bollinger-breakout', weight: 1 }], threshold: 0.6 });
    expect(s.kind).toBe('weighted');
    expect(s.description).toBe('Weighted vote of sma-cross×2, bollinger-breakout×1; long at score >= 0.6, short at <= -0.6.');
  });

  it('resolves kinds through a given registry (e.g. with model strategies added)', () => {
    const model: AnyStrategy = {
      kind: 'lstm', description: 'a model', params: z.strictObject({}),
      init: () => ({}), onBar: (s) => [s, NO_SIGNALS], opinion: () => ({ direction: 'long', strength: 0.7 }),
    };
    const s = strategyFromSpec({ kind: 'gate', primary: 'sma-cross', confirmer: 'lstm', minStrength: 0.55 }, { ...builtInStrategies, lstm: model });
    expect(s.description).toContain('lstm holds the same direction with strength >= 0.55');
  });

  it('refuses unknown kinds, listing the known ones, at their path', () => {
    expect(refusal({ kind: 'unanimous', of: ['sma-cross', 'sma-crosss'] }).issues).toEqual([
      { path: 'of.1', message: "unknown strategy 'sma-crosss'; known: sma-cross, macd-cross, rsi-reversion, bollinger-breakout" },
    ]);
    expect(refusal({ kind: 'smacross' }).issues[0]).toEqual({
      path: 'kind', message: 'must be unanimous, majority, weighted or gate; a single strategy is written as its kind, e.g. "sma-cross"',
    });
  });

  it('refuses malformed hybrids naming what to fix', () => {
    expect(refusal({ kind: 'gate', primary: 'sma-cross', confirmer: 'rsi-reversion', minStrength: 2 }).issues.map((i) => i.path)).toEqual(['minStrength']);
    expect(refusal({ kind: 'majority', of: ['sma-cross'] }).issues.map((i) => i.path)).toEqual(['of']);
    expect(refusal({ kind: 'weighted', of: [{ strategy: 'sma-cross', weight: 0 }, { strategy: 'rsi-reversion', weight: 1 }], threshold: 0.5 }).issues.map((i) => i.path)).toEqual(['of.0.weight']);
    expect(refusal({ kind: 'unanimous', of: ['sma-cross', { kind: 'gate', primary: 'sma-cross' }] }).issues.map((i) => i.path)).toEqual(['of.1.confirmer']);
    expect(refusal(42).message).toBe('invalid strategy spec: spec: must be a strategy kind or a combinator object { kind, ... }');
  });

  it('refuses two children that would share a params key', () => {
    expect(refusal({ kind: 'unanimous', of: ['sma-cross', 'sma-cross'] }).message).toBe(
      "invalid strategy spec: spec: unanimous: two children named 'sma-cross'; pass { name, strategy } to tell them apart",
    );
    expect(strategyFromSpec({ kind: 'unanimous', of: ['sma-cross', { name: 'slow-trend', strategy: 'sma-cross' }] }).kind).toBe('unanimous');
  });
});
