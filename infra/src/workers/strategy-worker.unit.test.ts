// A stopped strategy stays warm and keeps reporting progress, but emits no signal until started again; parameter changes apply from the next bar, survive a restart, and invalid ones are refused.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { barAt, parseBarsCsv } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { allTopics, makeEvent, seededIds, topics, type DomainEvent } from '@qts/schemas';
import { createLogger } from '../runtime/log.ts';
import { controlState, StrategyRunner, startStrategyWorker, strategyFor } from './strategy-worker.ts';
import { publishingStore } from '../runtime/publishing-store.ts';
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

const ids = seededIds(11);
const started = (params: Record<string, unknown>, by = 'config') => makeEvent('StrategyStarted', { strategyId: 'sma-btc', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '5m', params, by, ts: 1 }, { id: ids(1), occurredAt: 1, recordedAt: 1 });
const changed = (params: Record<string, unknown>, by = 'api') => makeEvent('StrategyParamsChanged', { strategyId: 'sma-btc', params, previous: {}, by, ts: 2 }, { id: ids(2), occurredAt: 2, recordedAt: 2 });
const sma = strategyFor('sma-cross');

describe('controlState (the params in force after a restart)', () => {
  it('given a change from the API, when the worker restarts with the same config, then the change stays in force', () => {
    const s = controlState([started({ fast: 10, slow: 30 }), changed({ fast: 5, slow: 20 })], instance, sma);
    expect(s).toMatchObject({ running: true, params: { fast: 5, slow: 20 }, configChanged: false, refused: [] });
  });

  it('given a change from the API, when the config file now says other params, then the file wins and is to be recorded', () => {
    const s = controlState([started({ fast: 10, slow: 30 }), changed({ fast: 5, slow: 20 })], { ...instance, params: { fast: 8, slow: 21 } }, sma);
    expect(s).toMatchObject({ params: { fast: 8, slow: 21 }, configChanged: true, streamParams: { fast: 5, slow: 20 } });
  });

  it('given a change outside the strategy\'s ranges, then it is refused with its issues and the earlier params stand', () => {
    const bad = changed({ fast: 500, slow: 20 });
    const s = controlState([started({ fast: 10, slow: 30 }), bad], instance, sma);
    expect(s.params).toMatchObject({ fast: 10, slow: 30 });
    expect(s.refused).toHaveLength(1);
    expect(s.refused[0]!.event.id).toBe(bad.id);
    expect(s.refused[0]!.issues[0]!.message).toMatch(/fast: must be between 2 and 200, got 500/);
  });

  it('given a stop after the start, then the strategy recovers stopped', () => {
    const stop = makeEvent('StrategyStopped', { strategyId: 'sma-btc', reason: 'x', by: 'api', ts: 3 }, { id: ids(3), occurredAt: 3, recordedAt: 3 });
    expect(controlState([started({ fast: 10, slow: 30 }), stop], instance, sma).running).toBe(false);
  });
});

describe('live parameter changes', () => {
  it('apply from the next bar (state rebuilt from stored bars), survive a restart, and an invalid change is refused with an event', async () => {
    const fresh = { ...instance, params: { fast: 5, slow: 20 } };
    const closeOf = (i: number) => barAt(series, i).closeTime;
    // What a strategy run with the new params from the first bar signals: the changed one must match it after the change.
    const after299 = (events: DomainEvent[]) => events.filter((e): e is DomainEvent<'SignalEmitted'> => e.type === 'SignalEmitted' && e.data.asOf > closeOf(299)).map((e) => `${e.data.asOf}:${e.data.direction}`);
    const expected = after299(run(new StrategyRunner(fresh, clock), 0, 900));
    // The test means something only if the old params would have signalled otherwise.
    expect(after299(run(new StrategyRunner(instance, clock), 0, 900))).not.toEqual(expected);
    const store = new InMemoryEventStore();
    const bus = new InProcessBus();
    await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
    const seen: DomainEvent[] = [];
    await bus.consume({ groupId: 'test', topics: [topics.signals], fromBeginning: true, handler: async (e) => { seen.push(e); } });
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const deps = { bus, store, clock, log };
    const publishBars = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const e = barEvent(barAt(series, i), 0);
        await bus.publish(topics.bars, e.key, [e]);
      }
    };
    const unique = (type: string) => [...new Map(seen.filter((e) => e.type === type).map((e) => [e.id, e])).values()] as DomainEvent<'SignalEmitted'>[];
    const evaluated = () => unique('BarEvaluated').length;
    const api = publishingStore(store, bus);
    const change = async (params: Record<string, unknown>) => {
      const e = makeEvent('StrategyParamsChanged', { strategyId: 'sma-btc', params, previous: {}, by: 'api', ts: 5 }, { id: ids(5), occurredAt: 5, recordedAt: 5 });
      await api.append(e.stream, [e], 'any');
      return e;
    };

    const first = await startStrategyWorker(instance, deps);
    await publishBars(0, 300);
    await eventually(async () => expect(evaluated()).toBe(300));
    await change({ fast: 5, slow: 20 });
    await eventually(async () => expect(lines.some((l) => l.includes('strategy params changed'))).toBe(true));
    const refused = await change({ fast: 500, slow: 20 });
    await eventually(async () => expect(lines.some((l) => l.includes('change refused'))).toBe(true));
    await publishBars(300, 600);
    await eventually(async () => expect(evaluated()).toBe(600));
    await first.stop();

    // Restart: the params come back from the control stream, not from the config's fast 10 / slow 30.
    await publishBars(600, 900);
    await startStrategyWorker(instance, deps);
    await eventually(async () => expect(evaluated()).toBe(900));
    const after = after299(unique('SignalEmitted'));
    expect(after).toEqual(expected);
    expect(after.length).toBeGreaterThan(3);

    const control: DomainEvent[] = [];
    for await (const s of store.readStream('strategy-sma-btc')) control.push(s.event);
    const rejection = control.find((e) => e.type === 'StrategyParamsRejected') as DomainEvent<'StrategyParamsRejected'> | undefined;
    expect(rejection?.data).toMatchObject({ changeId: refused.id, params: { fast: 500 } });
    expect(rejection?.data.issues[0]?.path).toBe('fast');
    // Recorded once, though the restart folded the refused change again.
    expect(control.filter((e) => e.type === 'StrategyParamsRejected')).toHaveLength(1);
    await bus.close();
  });
});
