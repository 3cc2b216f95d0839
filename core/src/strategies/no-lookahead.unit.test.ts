// No look-ahead: changing every bar after a cut time T never changes a signal at or before T, for every built-in.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import type { BarClosed } from '@qts/schemas';
import { loadBars } from '../testing/data.ts';
import { builtInStrategies } from './builtins.ts';
import { gate, unanimous } from './combinators.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { NO_SIGNALS } from './strategy.ts';
import type { AnyStrategy, Strategy } from './strategy.ts';
import { barsFromColumns, collectSignals } from './testing.ts';
import type { EmittedSignal } from './testing.ts';

/** Ways to rewrite the future: each keeps bar times and OHLC consistency, and changes prices. */
const futures: Record<string, (after: readonly BarClosed[]) => BarClosed[]> = {
  'prices x1.37': (after) => after.map((b) => scale(b, 1.37)),
  'prices x0.6': (after) => after.map((b) => scale(b, 0.6)),
  'scrambled': (after) => {
    // Deterministic shuffle of the price rows; times stay in order.
    let seed = 12345;
    const order = after.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return after.map((b, i) => {
      const src = after[order[i]!]!;
      return { ...b, open: src.open, high: src.high, low: src.low, close: src.close, volume: src.volume };
    });
  },
  'crash then rally': (after) => after.map((b, i) => scale(b, i < after.length / 2 ? 0.5 : 2)),
};

function scale(b: BarClosed, k: number): BarClosed {
  return { ...b, open: b.open * k, high: b.high * k, low: b.low * k, close: b.close * k };
}

const upTo = (signals: readonly EmittedSignal[], cut: number) => signals.filter((s) => s.at <= cut);

/**
 * Runs a strategy on the original bars and on bars rewritten after each cut. Returns the cuts and
 * rewrites where a signal at or before the cut differs (look-ahead), and how many reruns changed
 * signals after the cut (so a caller can check the rewrites mattered at all). `make` builds the
 * strategy for a given series, so that a cheat capturing its series can be tested too.
 */
function lookahead(make: (bars: readonly BarClosed[]) => AnyStrategy, bars: readonly BarClosed[]): { violations: string[]; changedAfter: number } {
  const original = collectSignals(make(bars), bars);
  const violations: string[] = [];
  let changedAfter = 0;
  for (const fraction of [0.1, 0.33, 0.5, 0.77, 0.95]) {
    const cut = Math.floor(bars.length * fraction);
    const before = JSON.stringify(upTo(original, cut));
    const after = JSON.stringify(original.slice(upTo(original, cut).length));
    for (const [name, rewrite] of Object.entries(futures)) {
      const altered = [...bars.slice(0, cut + 1), ...rewrite(bars.slice(cut + 1))];
      const rerun = collectSignals(make(altered), altered);
      if (JSON.stringify(upTo(rerun, cut)) !== before) violations.push(`cut at bar ${cut}, future ${name}`);
      if (JSON.stringify(rerun.slice(upTo(rerun, cut).length)) !== after) changedAfter++;
    }
  }
  return { violations, changedAfter };
}

const series = {
  'BTCUSDT-5m': barsFromColumns(loadBars('BTCUSDT-5m'), 300_000),
  'NVDA-1d': barsFromColumns(loadBars('NVDA-1d'), 86_400_000),
};

describe('no look-ahead in signals', () => {
  for (const [seriesName, bars] of Object.entries(series)) {
    describe(seriesName, () => {
      it.each(Object.keys(builtInStrategies))('%s', (kind) => {
        const strategy = builtInStrategies[kind]!;
        expect(collectSignals(strategy, bars).length).toBeGreaterThan(5);
        const { violations, changedAfter } = lookahead(() => strategy, bars);
        expect(violations).toEqual([]);
        expect(changedAfter).toBeGreaterThan(0);
      });

      it('a gate over a unanimous vote', () => {
        const hybrid = gate(unanimous([smaCross, macdCross]), rsiReversion);
        const { violations, changedAfter } = lookahead(() => hybrid, bars);
        expect(violations).toEqual([]);
        expect(changedAfter).toBeGreaterThan(0);
      });
    });
  }

  it('the check catches a strategy that peeks at the next bar', () => {
    // A cheat: closes over its series and holds long while the next close is higher.
    const peeker = (bars: readonly BarClosed[]): Strategy<Record<string, never>, { i: number; up: boolean | null }> => ({
      kind: 'peeker',
      description: 'looks one bar ahead',
      params: z.strictObject({}),
      init: () => ({ i: 0, up: null }),
      onBar(s) {
        const next = bars[s.i + 1];
        const up = next === undefined ? s.up : next.close > bars[s.i]!.close;
        s.i++;
        const changed = s.up !== null && up !== s.up;
        s.up = up;
        return [s, changed ? [{ direction: up ? 'long' : 'short', strength: 1, reason: 'peeked' }] : NO_SIGNALS];
      },
      opinion: (s) => (s.up === null ? null : { direction: s.up ? 'long' : 'short', strength: 1 }),
    });
    expect(lookahead(peeker, series['BTCUSDT-5m']).violations.length).toBeGreaterThan(0);
  });
});
