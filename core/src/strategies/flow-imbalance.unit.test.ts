// The flow-imbalance tick strategy flips at the thresholds on a hand-computed tape, holds inside the band, and keeps exact window sums.
import { describe, expect, it } from 'vitest';
import { SignalEmittedV1, type TradeTick } from '@qts/schemas';
import { flowImbalance, FlowImbalanceParams, imbalanceOf } from './flow-imbalance.ts';
import { NO_SIGNALS } from './strategy.ts';
import { tickSignalData } from './tick-strategy.ts';

const t0 = 1_700_000_000_000;
const tape = (trades: readonly (readonly ['buy' | 'sell', number])[]): TradeTick[] =>
  trades.map(([aggressor, size], i) => ({ venue: 'test', instrument: 'BTC/USDT', price: 100 + i, size, aggressor, ts: t0 + i }));

function run(ticks: readonly TradeTick[], params: FlowImbalanceParams) {
  let s = flowImbalance.init(params);
  const calls: [number, string][] = [];
  const views: (string | null)[] = [];
  ticks.forEach((tick, i) => {
    const [next, intents] = flowImbalance.onTick(s, tick);
    s = next;
    for (const intent of intents) calls.push([i, intent.direction]);
    views.push(flowImbalance.opinion(s)?.direction ?? null);
  });
  return { calls, views, state: s };
}

describe('flow-imbalance', () => {
  it('turns long at +threshold and short at -threshold of the window volume, and holds inside the band', () => {
    // window 4, threshold 0.5: i=3 buys 3 / sells 1 = 0.5 long; i=5 -0.2 and i=6 -1/3 hold; i=7 1 vs 5 = -0.67 short;
    // i=8 -0.11 and i=9 0.45 hold; i=10 9 vs 1 = 0.8 long.
    const ticks = tape([['buy', 1], ['buy', 1], ['sell', 1], ['buy', 1], ['buy', 1], ['sell', 2], ['sell', 2], ['sell', 1], ['buy', 4], ['buy', 4], ['buy', 1]]);
    const { calls, views } = run(ticks, { window: 4, threshold: 0.5 });
    expect(calls).toEqual([[3, 'long'], [7, 'short'], [10, 'long']]);
    expect(views).toEqual([null, null, null, 'long', 'long', 'long', 'long', 'short', 'short', 'short', 'long']);
  });

  it('says nothing before its window is full and nothing while the view holds', () => {
    let s = flowImbalance.init({ window: 3, threshold: 0.3 });
    for (const tick of tape([['buy', 1], ['buy', 1]])) {
      const [next, intents] = flowImbalance.onTick(s, tick);
      s = next;
      expect(intents).toBe(NO_SIGNALS);
    }
    expect(flowImbalance.opinion(s)).toBeNull();
    const [, third] = flowImbalance.onTick(s, tape([['buy', 1]])[0]!);
    expect(third.map((i) => i.direction)).toEqual(['long']);
    const [, fourth] = flowImbalance.onTick(s, tape([['buy', 1]])[0]!);
    expect(fourth).toBe(NO_SIGNALS);
  });

  it('keeps the imbalance of exactly the last N trades over a long random tape', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const ticks = tape(Array.from({ length: 5_000 }, () => [random() < 0.5 ? 'buy' : 'sell', Math.round(random() * 1e6) / 1e4] as const));
    const window = 37;
    let s = flowImbalance.init({ window, threshold: 0.2 });
    ticks.forEach((tick, i) => {
      s = flowImbalance.onTick(s, tick)[0];
      if (i + 1 < window) return;
      let buy = 0;
      let sell = 0;
      for (const t of ticks.slice(i + 1 - window, i + 1)) {
        if (t.aggressor === 'buy') buy += t.size;
        else sell += t.size;
      }
      expect(imbalanceOf(s)).toBeCloseTo((buy - sell) / (buy + sell), 9);
    });
  });

  it('emits a valid SignalEmitted priced at the trade and as of its time', () => {
    const tick = tape([['sell', 2]])[0]!;
    const data = tickSignalData('flow-1', tick, { direction: 'short', strength: 1.5, reason: 'x'.repeat(600) });
    expect(SignalEmittedV1.parse(data)).toMatchObject({ strategyId: 'flow-1', instrument: 'BTC/USDT', price: tick.price, asOf: tick.ts, strength: 1 });
    expect(data.reason).toHaveLength(512);
  });

  it('refuses parameters out of range and fills defaults', () => {
    expect(FlowImbalanceParams.parse({})).toEqual({ window: 200, threshold: 0.3 });
    expect(FlowImbalanceParams.safeParse({ window: 1 }).success).toBe(false);
    expect(FlowImbalanceParams.safeParse({ threshold: 1.5 }).success).toBe(false);
    expect(FlowImbalanceParams.safeParse({ windw: 10 }).success).toBe(false);
  });
});
