// Properties over random params from paramSpace and random price walks: valid events, no repeated direction, determinism.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalEmittedV1 } from '@qts/schemas';
import { builtInStrategies } from './builtins.ts';
import { gate, majority, unanimous, weighted } from './combinators.ts';
import { bollingerBreakout } from './bollinger-breakout.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { paramSpace, paramsFromPoint, signalData } from './strategy.ts';
import type { AnyStrategy } from './strategy.ts';
import { barsFromCloses, collectSignals } from './testing.ts';

/** A grid point anywhere in the strategy's space (fast/slow-style constraints may still refuse it). */
function pointIn(strategy: AnyStrategy): fc.Arbitrary<Record<string, number>> {
  const axes = Object.fromEntries(paramSpace(strategy).map((s) => {
    const steps = Math.round((s.max - s.min) / s.step);
    return [s.path, fc.integer({ min: 0, max: steps }).map((k) => Number((s.min + k * s.step).toPrecision(12)))];
  }));
  return fc.record(axes);
}

/** Closes of a random walk: flat stretches (ties, zero variance) included on purpose. */
const walk = fc.array(fc.oneof(fc.constant(0), fc.double({ min: -0.05, max: 0.05, noNaN: true })), { minLength: 1000, maxLength: 2000, size: 'max' })
  .map((moves) => {
    let price = 100;
    return moves.map((m) => (price = Math.max(0.01, price * (1 + m))));
  });

const hybrids: [string, AnyStrategy][] = [
  ['unanimous', unanimous([smaCross, rsiReversion])],
  ['majority', majority([smaCross, macdCross, bollingerBreakout])],
  ['weighted', weighted([{ strategy: smaCross, weight: 2 }, { strategy: bollingerBreakout, weight: 1 }], 0.5)],
  ['gate', gate(macdCross, smaCross, { exitWhenUnconfirmed: true })],
];

describe.each([...Object.entries(builtInStrategies), ...hybrids])('%s on random walks with random params', (_kind, strategy) => {
  it('emits valid SignalEmitted data, never the same direction twice in a row, the same on every run', () => {
    let emitted = 0;
    fc.assert(fc.property(pointIn(strategy), walk, (point, closes) => {
      let params: unknown;
      try {
        params = paramsFromPoint(strategy, point);
      } catch {
        return; // a constraint between fields (fast < slow) refused the point: nothing to run
      }
      const bars = barsFromCloses(closes, 'BTC/USDT');
      const signals = collectSignals(strategy, bars, params);
      emitted += signals.length;
      for (let i = 0; i < signals.length; i++) {
        const { at, intent } = signals[i]!;
        expect(SignalEmittedV1.safeParse(signalData('prop', bars[at]!, intent)).success).toBe(true);
        expect(intent.reason).not.toMatch(/NaN|undefined/);
        if (i > 0) expect(intent.direction).not.toBe(signals[i - 1]!.intent.direction);
      }
      expect(collectSignals(strategy, bars, params)).toEqual(signals);
    }), { numRuns: 60, seed: 20261125 });
    expect(emitted).toBeGreaterThan(100);
  });
});
