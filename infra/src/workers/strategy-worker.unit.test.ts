// A stopped strategy stays warm and keeps reporting progress, but emits no signal until started again.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barAt, parseBarsCsv } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { allTopics, makeEvent, seededIds, topics, type DomainEvent } from '@qts/schemas';
import { createLogger } from '../runtime/log.ts';
import { StrategyRunner, startStrategyWorker } from './strategy-worker.ts';
import { barEvent } from './replay-ingest.ts';

const series = parseBarsCsv(readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const clock = { now: () => 0 };
const instance = { id: 'sma-btc', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '5m' as const, venue: 'replay', params: { fast: 10, slow: 30 } };

function run(runner: StrategyRunner, from: number, to: number): DomainEvent[] {
  const out: DomainEvent[] = [];
  for (let i = from; i < to; i++) {
    const e = barEvent(barAt(series, i), 0);
    out.push(...runner.evaluate(e.data, e));
  }
  return out;
}

describe('StrategyRunner', () => {
  it('marks every bar it evaluated after its signals, with ids that repeat on a second run', () => {
    const a = run(new StrategyRunner(instance, clock), 0, 400);
    const b = run(new StrategyRunner(instance, clock), 0, 400);
    expect(a.filter((e) => e.type === 'BarEvaluated')).toHaveLength(400);
    expect(a.filter((e) => e.type === 'SignalEmitted').length).toBeGreaterThan(2);
    expect(b.map((e) => e.id)).toEqual(a.map((e) => e.id));
    const firstSignal = a.findIndex((e) => e.type === 'SignalEmitted');
    expect(a[firstSignal + 1]).toMatchObject({ type: 'BarEvaluated', data: { signals: 1 } });
  });

  it('emits nothing while stopped, keeps its state warm, and trades again once started', () => {
    const ids = seededIds(3);
    const control = (type: 'StrategyStarted' | 'StrategyStopped') => makeEvent(type, type === 'StrategyStopped'
      ? { strategyId: 'sma-btc', reason: 'test', by: 'test', ts: 1 }
      : { strategyId: 'sma-btc', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '5m', params: {}, by: 'test', ts: 1 }, { id: ids(1), occurredAt: 1, recordedAt: 1 });
    const always = run(new StrategyRunner(instance, clock), 0, 800);
    const runner = new StrategyRunner(instance, clock);
    runner.onControl(control('StrategyStopped'));
    const stopped = run(runner, 0, 400);
    expect(stopped.filter((e) => e.type === 'SignalEmitted')).toHaveLength(0);
    expect(stopped.filter((e) => e.type === 'BarEvaluated')).toHaveLength(400);
    runner.onControl(control('StrategyStarted'));
    const resumed = run(runner, 400, 800).filter((e) => e.type === 'SignalEmitted').map((e) => e.id);
    // Warm all along: after the restart it signals exactly what an uninterrupted run signals.
    const expected = always.filter((e) => e.type === 'SignalEmitted' && e.data.asOf > series.openTime[400]!).map((e) => e.id);
    expect(resumed).toEqual(expected);
    expect(resumed.length).toBeGreaterThan(0);
  });

  it('records each bar before acknowledging it, so a restart while the recorder lags warms up on every bar', async () => {
    const always = run(new StrategyRunner(instance, clock), 0, 600).filter((e) => e.type === 'SignalEmitted');
    // Stop the first worker a few bars before a signal: a restart without those bars could not see the cross.
    const closeOf = (i: number) => barAt(series, i).closeTime;
    const crossing = always.find((e) => e.data.asOf > closeOf(200))!;
    let stopAt = 200;
    while (closeOf(stopAt) < crossing.data.asOf) stopAt++;
    stopAt -= 3;
    // No recorder runs: the store holds only what the worker recorded itself.
    const store = new InMemoryEventStore();
    const bus = new InProcessBus();
    await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
    const seen: DomainEvent[] = [];
    await bus.consume({ groupId: 'test', topics: [topics.signals], fromBeginning: true, handler: async (e) => { seen.push(e); } });
    const deps = { bus, store, clock, log: createLogger('test', 'silent') };
    const publishBars = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const e = barEvent(barAt(series, i), 0);
        await bus.publish(topics.bars, e.key, [e]);
      }
    };
    // A restart re-publishes what it cannot prove was recorded, under the same ids: count each id once.
    const unique = (type: string) => [...new Map(seen.filter((e) => e.type === type).map((e) => [e.id, e])).values()];
    const evaluated = () => unique('BarEvaluated').length;
    const first = await startStrategyWorker(instance, deps);
    await publishBars(0, stopAt);
    await eventually(async () => expect(evaluated()).toBe(stopAt));
    await first.stop();
    await publishBars(stopAt, 600);
    await startStrategyWorker(instance, deps);
    await eventually(async () => expect(evaluated()).toBe(600));
    expect(unique('SignalEmitted').map((e) => e.id)).toEqual(always.map((e) => e.id));
    await bus.close();
  });
});
