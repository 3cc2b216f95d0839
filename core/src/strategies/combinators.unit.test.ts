// Combinators: truth tables of unanimous/majority/weighted, the gate passing only confirmed signals, nesting and params.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { loadBars } from '../testing/data.ts';
import { gate, majority, unanimous, weighted } from './combinators.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { NO_SIGNALS, parseStrategyParams } from './strategy.ts';
import type { AnyStrategy, Direction, Opinion, SignalIntent, Strategy } from './strategy.ts';
import { barsFromCloses, barsFromColumns, collectSignals } from './testing.ts';

type View = Direction | null | readonly [Direction, number];

/**
 * A hand-written stub: its opinion on bar i is script[i] (null = not warmed up, [direction, strength]
 * for a weak one), and like the built-ins it signals when the opinion changes after warm-up.
 */
function scripted(kind: string, script: readonly View[]): Strategy<Record<string, never>, { i: number; op: Opinion | null }> {
  const at = (i: number): Opinion | null => {
    const v = script[Math.min(i, script.length - 1)] ?? null;
    if (v === null) return null;
    return typeof v === 'string' ? { direction: v, strength: 1 } : { direction: v[0], strength: v[1] };
  };
  return {
    kind,
    description: `scripted ${kind}`,
    params: z.strictObject({}),
    init: () => ({ i: 0, op: null }),
    onBar(s) {
      const next = at(s.i++);
      const prev = s.op;
      s.op = next;
      const signals: readonly SignalIntent[] = prev !== null && next !== null && next.direction !== prev.direction
        ? [{ direction: next.direction, strength: next.strength, reason: `${kind} says ${next.direction}` }]
        : NO_SIGNALS;
      return [s, signals];
    },
    opinion: (s) => s.op,
  };
}

const bars = (n: number) => barsFromCloses(Array.from({ length: n }, () => 100));

/** The combined opinion after each bar, and the signals with their bar index. */
function trace(strategy: Strategy<unknown, unknown>, n: number, params: unknown = {}) {
  let s = strategy.init(parseStrategyParams(strategy, params));
  const views: (string | null)[] = [];
  const signals: [number, Direction][] = [];
  bars(n).forEach((bar, i) => {
    const [next, intents] = strategy.onBar(s, bar);
    s = next;
    const op = strategy.opinion(s);
    views.push(op === null ? null : op.strength === 1 ? op.direction : `${op.direction} ${op.strength}`);
    for (const intent of intents) signals.push([i, intent.direction]);
  });
  return { views, signals };
}

describe('unanimous', () => {
  it('is long or short only while every child agrees, flat otherwise', () => {
    const a = scripted('a', ['long', 'long', 'short', 'short', 'flat', 'flat']);
    const b = scripted('b', ['long', 'short', 'short', 'long', 'flat', 'long']);
    expect(trace(unanimous([a, b]), 6).views).toEqual(['long', 'flat', 'short', 'flat', 'flat', 'flat']);
  });

  it('has no opinion until every child has one, and signals only changes after that', () => {
    const a = scripted('a', [null, 'long', 'long', 'long', 'short']);
    const b = scripted('b', ['long', 'long', 'short', 'long', 'long']);
    expect(trace(unanimous([a, b]), 5)).toEqual({
      views: [null, 'long', 'flat', 'long', 'flat'],
      signals: [[2, 'flat'], [3, 'long'], [4, 'flat']],
    });
    // Reasons are formatted when read, here after the run: they still tell each bar's views.
    expect(collectSignals(unanimous([a, b]), bars(5)).map((x) => x.intent.reason)).toEqual([
      'unanimous flat: a long, b short', 'unanimous long: a long, b long', 'unanimous flat: a short, b long',
    ]);
  });

  it('takes the weakest child\'s strength', () => {
    const a = scripted('a', [['long', 0.6]]);
    const b = scripted('b', [['long', 0.9]]);
    expect(trace(unanimous([a, b]), 1).views).toEqual(['long 0.6']);
  });
});

describe('majority', () => {
  it('follows more than half of the children; flat without a majority', () => {
    const a = scripted('a', ['long', 'long', 'short', 'flat', 'long']);
    const b = scripted('b', ['long', 'short', 'short', 'flat', 'short']);
    const c = scripted('c', ['short', 'short', 'long', 'long', 'flat']);
    expect(trace(majority([a, b, c]), 5).views).toEqual(['long 0.6666666666666666', 'short 0.6666666666666666', 'short 0.6666666666666666', 'flat', 'flat']);
  });

  it('needs a strict majority: two against two is flat', () => {
    const kids = ['long', 'long', 'short', 'short'].map((d, i) => scripted(`k${i}`, [d as Direction]));
    expect(trace(majority(kids), 1).views).toEqual(['flat']);
  });
});

describe('weighted', () => {
  it('scores weight x strength x side over the total weight against the threshold', () => {
    const a = scripted('a', ['long', 'long', 'long', ['long', 0.5], 'flat']);
    const b = scripted('b', ['long', 'short', 'flat', 'short', 'short']);
    // weights 3 and 1, threshold 0.5: scores 1, 0.5, 0.75, (1.5-1)/4 = 0.125, -0.25
    expect(trace(weighted([{ strategy: a, weight: 3 }, { strategy: b, weight: 1 }], 0.5), 5)).toEqual({
      views: ['long', 'long 0.5', 'long 0.75', 'flat', 'flat'],
      signals: [[3, 'flat']],
    });
  });

  it('goes short at or below minus the threshold', () => {
    const a = scripted('a', ['short', 'short']);
    const b = scripted('b', ['flat', 'short']);
    expect(trace(weighted([{ strategy: a, weight: 1 }, { strategy: b, weight: 1 }], 0.5), 2)).toEqual({
      views: ['short 0.5', 'short'], signals: [],
    });
  });

  it('refuses a threshold outside (0, 1] and non-positive weights', () => {
    const a = scripted('a', ['long']);
    const b = scripted('b', ['long']);
    expect(() => weighted([{ strategy: a, weight: 1 }, { strategy: b, weight: 1 }], 0)).toThrow('threshold must be in (0, 1], got 0');
    expect(() => weighted([{ strategy: a, weight: -1 }, { strategy: b, weight: 1 }], 0.5)).toThrow('weight of a must be a positive number, got -1');
  });
});

describe('gate', () => {
  it('passes the primary\'s signal only while the confirmer holds the same direction strongly enough', () => {
    const primary = scripted('p', ['flat', 'long', 'flat', 'long', 'flat', 'long', 'flat']);
    const confirmer = scripted('ml', [['long', 0.9], ['long', 0.5], ['long', 0.5], ['long', 0.6], ['long', 0.6], ['short', 0.9], 'flat']);
    // bar 1: long but only 0.5 < 0.55 -> blocked; bar 3: long at 0.6 -> passes; bar 4: exit always passes;
    // bar 5: the confirmer now says short -> blocked.
    expect(trace(gate(primary, confirmer, { minStrength: 0.55 }), 7)).toEqual({
      views: ['flat', 'flat', 'flat', 'long', 'flat', 'flat', 'flat'],
      signals: [[3, 'long'], [4, 'flat']],
    });
  });

  it('closes a confirmed position when the primary turns against it, confirmed or not', () => {
    // A cross up confirmed opens a long; the cross down is not confirmed (model still long) but must exit.
    const primary = scripted('p', ['short', 'long', 'short', 'long']);
    const confirmer = scripted('ml', ['long', 'long', 'long', ['long', 0.3]]);
    const { signals, views } = trace(gate(primary, confirmer, { minStrength: 0.55 }), 4);
    expect(signals).toEqual([[1, 'long'], [2, 'flat']]);
    expect(views).toEqual(['flat', 'long', 'flat', 'flat']);
  });

  it('passes a confirmed reversal straight through', () => {
    const primary = scripted('p', ['flat', 'long', 'short']);
    const confirmer = scripted('c', ['long', 'long', 'short']);
    expect(trace(gate(primary, confirmer), 3).signals).toEqual([[1, 'long'], [2, 'short']]);
  });

  it('blocks entries while the confirmer has no opinion yet', () => {
    const primary = scripted('p', ['flat', 'long', 'flat', 'long']);
    const confirmer = scripted('c', [null, null, null, 'long']);
    expect(trace(gate(primary, confirmer), 4).signals).toEqual([[3, 'long']]);
  });

  it('with exitWhenUnconfirmed, closes the position on the bar the confirmer stops confirming it', () => {
    const primary = scripted('p', ['flat', 'long', 'long', 'long', 'flat', 'long', 'long']);
    const confirmer = scripted('ml', [['long', 0.9], ['long', 0.9], ['long', 0.6], ['long', 0.5], ['long', 0.9], ['long', 0.9], 'short']);
    const g = gate(primary, confirmer, { minStrength: 0.55, exitWhenUnconfirmed: true });
    expect(trace(g, 7)).toEqual({
      views: ['flat', 'long', 'long', 'flat', 'flat', 'long', 'flat'],
      signals: [[1, 'long'], [3, 'flat'], [5, 'long'], [6, 'flat']],
    });
    const reasons = collectSignals(g, bars(7)).map((x) => x.intent.reason);
    expect(reasons[1]).toBe('ml no longer confirms the long (long 0.5)');
    // Without the option the same script holds the long until the primary itself exits.
    expect(trace(gate(primary, confirmer, { minStrength: 0.55 }), 7).signals).toEqual([[1, 'long'], [4, 'flat'], [5, 'long']]);
  });

  it('says why a signal passed', () => {
    const g = gate(smaCross, { name: 'trend', strategy: smaCross });
    const signals = collectSignals(g, barsFromCloses([10, 11, 12, 11, 10, 9, 10, 11, 12, 13]), { 'sma-cross': { fast: 2, slow: 3 }, trend: { fast: 2, slow: 4 } });
    expect(signals.map((s) => s.intent.reason)).toEqual([
      'SMA(2) 10.5 crossed below SMA(3) 11; confirmed by trend (short 1)',
      'SMA(2) 10.5 crossed above SMA(3) 10; confirmed by trend (long 1)',
    ]);
    const exit = gate(scripted('p', ['short', 'long', 'short']), scripted('ml', ['long']));
    expect(collectSignals(exit, bars(3)).map((s) => s.intent.reason)).toEqual([
      'p says long; confirmed by ml (long 1)',
      'p says short; not confirmed by ml (long 1), so only the long is closed',
    ]);
  });
});

describe('combinators are strategies', () => {
  it('nest: a gate over a unanimous vote, with params nested by child name', () => {
    const inner = unanimous([smaCross, macdCross]);
    const g = gate(inner, rsiReversion);
    expect(g.kind).toBe('gate');
    const params = parseStrategyParams(g, { unanimous: { 'sma-cross': { fast: 5 } } }) as Record<string, Record<string, Record<string, number>>>;
    expect(params['unanimous']!['sma-cross']).toEqual({ fast: 5, slow: 30 });
    const real = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000);
    expect(collectSignals(g, real)).toEqual(collectSignals(g, real));
  });

  it('feed every bar to every child: a unanimous of one kind twice equals that kind alone', () => {
    const real = barsFromColumns(loadBars('GOOG-1d'), 86_400_000);
    const twice = unanimous([{ name: 'a', strategy: smaCross }, { name: 'b', strategy: smaCross }]);
    const alone = collectSignals(smaCross, real).map((s) => [s.at, s.intent.direction]);
    expect(alone.length).toBeGreaterThan(20);
    expect(collectSignals(twice, real).map((s) => [s.at, s.intent.direction])).toEqual(alone);
  });

  it('combine real strategies: unanimous only acts where both children agree', () => {
    const real = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000);
    const both = unanimous([smaCross, macdCross]);
    let s = both.init(parseStrategyParams(both, {}));
    let a = smaCross.init(parseStrategyParams(smaCross, {}));
    let b = macdCross.init(parseStrategyParams(macdCross, {}));
    let emitted = 0;
    for (const bar of real) {
      const [next, intents] = both.onBar(s, bar);
      s = next;
      a = smaCross.onBar(a, bar)[0];
      b = macdCross.onBar(b, bar)[0];
      const da = smaCross.opinion(a)?.direction;
      const db = macdCross.opinion(b)?.direction;
      for (const intent of intents) {
        emitted++;
        expect(intent.direction).toBe(da === db ? da : 'flat');
      }
    }
    expect(emitted).toBeGreaterThan(10);
  });

  it('reuse one step and the shared empty list on quiet bars, like the built-ins', () => {
    const real = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000).slice(0, 2000);
    const hybrids: AnyStrategy[] = [unanimous([smaCross, macdCross]), majority([smaCross, macdCross, rsiReversion]), gate(smaCross, rsiReversion)];
    for (const strategy of hybrids) {
      let s = strategy.init(parseStrategyParams(strategy, {}));
      const first = strategy.onBar(s, real[0]!);
      for (const bar of real.slice(1)) {
        const step = strategy.onBar(s, bar);
        expect(step).toBe(first);
        if (step[1].length === 0) expect(step[1]).toBe(NO_SIGNALS);
        s = step[0];
      }
    }
  });

  it('refuse two children with the same name', () => {
    expect(() => majority([smaCross, smaCross])).toThrow("two children named 'sma-cross'; pass { name, strategy } to tell them apart");
  });
});
