// The paper executor acknowledges an input only once the store holds it, so a crash while the recorder
// lags loses no bar and no signal: the restarted executor ends with the books of an uninterrupted backtest.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barAt, parseBarsCsv, runBacktest, smaCross, type Bus } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { allTopics, type DomainEvent } from '@qts/schemas';
import { createLogger } from '../runtime/log.ts';
import { PaperExecutor } from './paper-executor.ts';
import { StrategyRunner } from './strategy-worker.ts';
import { barEvent } from './replay-ingest.ts';

const bars = 600;
const csv = readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n').slice(0, bars + 1).join('\n');
const series = parseBarsCsv(csv, { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const clock = { now: () => 0 };
const venue = { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 };
const expected = runBacktest({ bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, venue });

/** What the bus delivers to the executor, bar by bar: the bar, then the strategy's signals and marker. */
function deliveries(): { bar: DomainEvent<'BarClosed'>; signals: DomainEvent<'SignalEmitted' | 'BarEvaluated'>[] }[] {
  const runner = new StrategyRunner({ id: 'sma-btc', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay', params: { fast: 10, slow: 30 } }, clock);
  const out = [];
  for (let i = 0; i < bars; i++) {
    const bar = barEvent(barAt(series, i), 0);
    out.push({ bar, signals: runner.evaluate(bar.data, bar) as DomainEvent<'SignalEmitted' | 'BarEvaluated'>[] });
  }
  return out;
}

function executor(store: InMemoryEventStore, bus: Bus): PaperExecutor {
  return new PaperExecutor({
    account: 'paper', cash: 10_000, desk: { executor: {} }, venue, strategiesByInstrument: { 'BTC/USDT': ['sma-btc'] },
  }, { store, bus, clock, log: createLogger('test', 'silent') });
}

function fillsIn(events: readonly DomainEvent[]): DomainEvent<'OrderFilled'>[] {
  return events.filter((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled');
}

describe('PaperExecutor', () => {
  it('keeps every input it acknowledged: restarted while the recorder lagged, it still trades like the backtest', async () => {
    // Nothing records the market or the signals but the executor itself: the recorder is down the whole time.
    const store = new InMemoryEventStore();
    const bus = new InProcessBus();
    await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
    const input = deliveries();
    const crashes = [97, 250, 251, 433];
    let ex = executor(store, bus);
    await ex.recover();
    for (let i = 0; i < bars; i++) {
      if (crashes.includes(i)) {
        // The consumer committed everything before bar i: a new process recovers from the store and goes on from there.
        ex = executor(store, bus);
        await ex.recover();
      }
      await ex.onBar(input[i]!.bar);
      for (const s of input[i]!.signals) await ex.onSignal(s);
    }
    const stored: DomainEvent[] = [];
    for await (const { event } of store.readAll()) stored.push(event);
    const fills = fillsIn(stored);
    expect(fills).toHaveLength(expected.fills);
    expect(new Set(fills.map((f) => f.data.fillId)).size).toBe(fills.length);
    expect(stored.filter((e) => e.type === 'OrderRequested')).toHaveLength(expected.orders);
    const book = ex.books()['BTC/USDT']!;
    expect(book.position).toBeCloseTo(expected.openPosition, 8);
    expect(book.cash + book.position * series.close[bars - 1]!).toBeCloseTo(expected.equityCurve.equity[bars - 1]!, 6);
    await bus.close();
  });
});
