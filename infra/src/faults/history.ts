// Test support: the events a real run produces (bars, signals, markers, orders, fills) from the bundled recorded bars.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { barAt, parseBarsCsv, type BarSeries, type Clock } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { allTopics, type DomainEvent } from '@qts/schemas';
import { createLogger } from '../runtime/log.ts';
import { PaperExecutor } from '../workers/paper-executor.ts';
import { barEvent } from '../workers/replay-ingest.ts';
import { StrategyRunner } from '../workers/strategy-worker.ts';

export const sampleCsv = resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv');

/** The first `bars` rows of the bundled BTC/USDT 5m sample, as CSV text and as a series. */
export function sampleBars(bars: number): { csv: string; series: BarSeries } {
  const csv = readFileSync(sampleCsv, 'utf8').split('\n').slice(0, bars + 1).join('\n');
  return { csv, series: parseBarsCsv(csv, { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series };
}

/**
 * What the store of an uninterrupted paper run on the sample holds, in store order: each bar, the SMA
 * strategy's signals and marker, and the executor's orders and fills.
 */
export async function paperRunHistory(bars: number, clock: Clock = { now: () => 0 }): Promise<DomainEvent[]> {
  const { series } = sampleBars(bars);
  const store = new InMemoryEventStore();
  const bus = new InProcessBus();
  await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
  const runner = new StrategyRunner({ id: 'sma-btc', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay', params: { fast: 10, slow: 30 } }, clock);
  const executor = new PaperExecutor({
    account: 'paper', cash: 10_000, desk: { executor: {} }, venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 }, strategiesByInstrument: { 'BTC/USDT': ['sma-btc'] },
  }, { store, bus, clock, log: createLogger('history', 'silent') });
  await executor.recover();
  for (let i = 0; i < bars; i++) {
    const bar = barEvent(barAt(series, i), clock.now());
    await executor.onBar(bar);
    for (const s of runner.evaluate(bar.data, bar)) await executor.onSignal(s as DomainEvent<'SignalEmitted' | 'BarEvaluated'>);
  }
  const out: DomainEvent[] = [];
  for await (const { event } of store.readAll()) out.push(event);
  await bus.close();
  await store.close();
  return out;
}
