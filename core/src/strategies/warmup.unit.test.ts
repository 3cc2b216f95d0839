// A live worker that replays warmupBars before a time T agrees with a run from the start of the data from T on.
import { describe, expect, it } from 'vitest';
import type { BarClosed } from '@qts/schemas';
import { loadBars } from '../testing/data.ts';
import { builtInStrategies } from './builtins.ts';
import { gate, unanimous } from './combinators.ts';
import { bollingerBreakout } from './bollinger-breakout.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { decayBars, defaultParams, warmupBarsOf } from './strategy.ts';
import type { AnyStrategy, Direction } from './strategy.ts';
import { barsFromColumns } from './testing.ts';

/** Opinion and whether a signal was emitted, per bar from `from`, for a run whose state starts at bar `start`. */
function run(strategy: AnyStrategy, bars: readonly BarClosed[], start: number, from: number) {
  let s = strategy.init(defaultParams(strategy));
  const views: (Direction | null)[] = [];
  const emitted: boolean[] = [];
  for (let i = start; i < bars.length; i++) {
    const [next, intents] = strategy.onBar(s, bars[i]!);
    s = next;
    if (i < from) continue;
    views.push(strategy.opinion(s)?.direction ?? null);
    emitted.push(intents.length > 0);
  }
  return { views, emitted };
}

const bars = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000);

describe('warmupBars', () => {
  it('is the window for window indicators and the 1e-9 decay for exponential ones', () => {
    expect(decayBars(0.5)).toBe(30); // 0.5^30 = 9.3e-10
    expect(warmupBarsOf(smaCross, { fast: 10, slow: 30 })).toBe(30);
    expect(warmupBarsOf(bollingerBreakout, { period: 20, stddev: 2 })).toBe(20);
    expect(warmupBarsOf(rsiReversion, { period: 14, oversold: 30, overbought: 70 })).toBe(15 + decayBars(1 / 14));
    expect(warmupBarsOf(macdCross, { fast: 12, slow: 26, signal: 9 })).toBe(26 + decayBars(0.075) + decayBars(0.2));
  });

  it('combinators need what their slowest child needs', () => {
    const hybrid = gate(unanimous([smaCross, macdCross]), rsiReversion);
    const params = defaultParams(hybrid);
    expect(warmupBarsOf(hybrid, params)).toBe(Math.max(
      warmupBarsOf(smaCross, defaultParams(smaCross)), warmupBarsOf(macdCross, defaultParams(macdCross)), warmupBarsOf(rsiReversion, defaultParams(rsiReversion)),
    ));
  });

  describe.each(Object.keys(builtInStrategies))('%s restarted with warmupBars before T', (kind) => {
    const strategy: AnyStrategy = builtInStrategies[kind]!;
    const warmup = warmupBarsOf(strategy, defaultParams(strategy));

    it('holds the same view as a run from the start, at once or from its first signal after T', () => {
      for (const t of [2000, 5000, 9000]) {
        const full = run(strategy, bars, 0, t);
        const live = run(strategy, bars, t - warmup, t);
        // Crossovers' views are functions of the indicators: equal at once. Reversion and breakout views
        // remember the last crossing, which a restart may not have seen: equal from the first signal on.
        const first = kind === 'sma-cross' || kind === 'macd-cross' ? 0 : live.emitted.findIndex((e, i) => e || full.emitted[i]);
        expect(first).toBeGreaterThanOrEqual(0);
        expect(live.views.slice(first), `${kind} from bar ${t + first}`).toEqual(full.views.slice(first));
      }
    });
  });
});
