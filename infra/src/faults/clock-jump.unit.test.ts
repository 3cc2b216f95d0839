// A wall clock that jumps forward and back under the running pipeline changes no decision: ids, order, risk windows live in event time.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { allTopics, validateEvent, type DomainEvent } from '@qts/schemas';
import { RuntimeConfig } from '../runtime/config.ts';
import { startWorkers, type Infrastructure } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import { sampleBars } from './history.ts';

const bars = 600;
const dir = mkdtempSync(join(tmpdir(), 'qts-clock-'));
const csv = join(dir, 'BTCUSDT-5m.csv');
writeFileSync(csv, sampleBars(bars).csv);
// Tight event-time risk windows, so a window measured on the wall clock would decide differently.
const config = RuntimeConfig.parse({
  market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 0 },
  risk: { maxOrdersPerMinute: 1, cooldownAfterLossMs: 6 * 3_600_000 },
});

/** Forward a day, then back three hours, then forward again...: every 7th reading moves the clock. */
function jumpingClock(): Clock & { jumps: number } {
  let offset = 0;
  let reads = 0;
  const c = {
    jumps: 0,
    now: () => {
      if (++reads % 7 === 0) {
        offset += c.jumps % 2 === 0 ? 86_400_000 : -3 * 3_600_000 - 86_400_000;
        c.jumps++;
      }
      return Date.UTC(2026, 5, 1) + reads + offset;
    },
  };
  return c;
}

async function run(clock: Clock): Promise<DomainEvent[]> {
  const bus = new InProcessBus({ logger: createLogger('bus', 'silent') });
  const store = new InMemoryEventStore();
  await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 3 })));
  const infra: Infrastructure = { bus, store, embeddedDb: null, metrics: new SystemMetrics(), close: async () => { await bus.close(); await store.close(); } };
  const system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy', 'ingest'], createLogger('clock-test', 'silent'), clock);
  expect(await system.replayDone).toBe(bars);
  const all = async () => {
    const out: DomainEvent[] = [];
    for await (const { event } of store.readAll()) out.push(event);
    return out;
  };
  // Done when the executor has traded the last bar: its marker and every decision are stored.
  await eventually(async () => {
    const events = await all();
    expect(events.filter((e) => e.type === 'BarEvaluated')).toHaveLength(bars);
    expect(system.executor!.books()['BTC/USDT']!.tradedThrough).toBeGreaterThanOrEqual(events.filter((e) => e.type === 'BarClosed').at(-1)!.data.openTime as number);
  }, { timeoutMs: 60_000, intervalMs: 50 });
  await system.stop();
  const events = await all();
  await infra.close();
  return events;
}

/** What a user sees of a run: each decision by id with its data, without the wall-clock recordedAt. */
const decisions = (events: readonly DomainEvent[]) => events
  .filter((e) => ['BarClosed', 'SignalEmitted', 'OrderRequested', 'OrderRejected', 'OrderFilled'].includes(e.type))
  .map((e) => `${e.type} ${e.id} ${e.occurredAt} ${JSON.stringify(e.data)}`).sort();

describe('a wall clock that jumps', () => {
  it('leaves bars, signals, orders, rejections and fills equal to a run on a steady clock', { timeout: 120_000 }, async () => {
    let t = Date.UTC(2026, 5, 1);
    const steady = await run({ now: () => ++t });
    const clock = jumpingClock();
    const jumped = await run(clock);
    expect(clock.jumps).toBeGreaterThan(50);

    expect(decisions(jumped)).toEqual(decisions(steady));
    // The risk windows did act (in event time): the cooldown after a loss refused entries.
    const rejections = jumped.filter((e): e is DomainEvent<'OrderRejected'> => e.type === 'OrderRejected');
    expect(rejections.some((e) => e.data.reason.kind === 'CooldownAfterLoss')).toBe(true);
    // Every id once, every event valid at the trust boundary, each bar stream in event-time order.
    expect(new Set(jumped.map((e) => e.id)).size).toBe(jumped.length);
    for (const e of jumped) expect(validateEvent(JSON.parse(JSON.stringify(e))).ok).toBe(true);
    const opens = jumped.filter((e): e is DomainEvent<'BarClosed'> => e.type === 'BarClosed').map((e) => e.data.openTime);
    expect(opens).toEqual([...opens].sort((a, b) => a - b));
    expect(opens).toHaveLength(bars);
  });
});
