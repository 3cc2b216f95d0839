// `npm run bench -- latency`: tick published to order requested through real Kafka, strategy and executor in their own processes.
//
// The pipeline is the live one, cut down to the hot path: this process is the market feed and the order
// gateway; it publishes TradeTick events to <ns>.market.ticks at a fixed rate; a strategy process runs the
// flow-imbalance tick strategy and publishes SignalEmitted to <ns>.signals; an executor process runs the
// desk (sizing, risk checks, decideOrders) and a paper venue filled by the ticks, and publishes
// OrderRequested (with venue acknowledgements and fills) to <ns>.orders; this process consumes the orders.
// Latency of an order = its receipt here - the moment its tick was due (its place in the fixed-rate
// schedule, so a publisher running late counts against the figure), both on this process's monotonic
// clock; the tick is found by the correlation id every event of the chain carries. Loss: every tick
// handled by the strategy, every signal decided by the executor, every order received here.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { makeEvent, topics, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { Consumer } from '@qts/core';
import type { BenchRow } from './main.ts';
import { benchBus, INSTRUMENTS, wallNow, type ParentMessage, type StageMessage, type StageReport } from './latency-wire.ts';

export interface LatencyBenchOptions {
  /** Ticks per second of each measured phase. */
  readonly rates?: readonly number[];
  /** Length of each measured phase; default 30 s at up to 1,000 ticks/s (a p99 over ~1,200 orders, not ~300), 8 s above. */
  readonly seconds?: number;
  readonly partitions?: number;
}

interface Stage { readonly name: string; readonly child: ChildProcess; report(): Promise<StageReport> }

async function startStage(name: 'strategy' | 'executor', namespace: string): Promise<Stage> {
  const child = fork(fileURLToPath(new URL(`./latency-${name}-stage.ts`, import.meta.url)), [namespace], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: ((r: StageReport) => void)[] = [];
  await new Promise<void>((ready, failed) => {
    child.once('error', failed);
    child.once('exit', (code) => failed(new Error(`latency ${name} stage exited ${code} before it was ready`)));
    child.on('message', (m: StageMessage) => {
      if (m.kind === 'ready') ready();
      else waiting.shift()?.(m);
    });
  });
  return {
    name, child,
    report: () => new Promise<StageReport>((r) => {
      waiting.push(r);
      child.send({ kind: 'report' } satisfies ParentMessage);
    }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic pseudo-random tape: a 50/50 taker side and varied sizes, so the flow imbalance keeps changing sides. */
function tape(seed: number): () => { side: 'buy' | 'sell'; size: number; move: number } {
  let x = seed >>> 0 || 1;
  const next = () => ((x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
  return () => ({ side: next() < 0.5 ? 'buy' : 'sell', size: Math.round((0.1 + next() * 2) * 1e4) / 1e4, move: next() - 0.5 });
}

export async function benchLatency(options: LatencyBenchOptions = {}): Promise<BenchRow[]> {
  const rates = options.rates ?? [1_000, 10_000];
  const secondsAt = (rate: number): number => options.seconds ?? (rate <= 1_000 ? 30 : 8);
  const namespace = `bench_latency_${randomUUID().slice(0, 8)}`;
  const bus = benchBus(namespace, 'feed');
  // The distributed default (bus.partitions); fewer partitions mean fewer batches, so fewer publish and commit round trips per hop.
  const partitions = options.partitions ?? 3;
  await bus.ensureTopics([topics.ticks, topics.signals, topics.orders].map((topic) => ({ topic, partitions })));

  // Where each tick stood in the schedule, by correlation id (= the tick's id), on this process's monotonic clock.
  const dueAt = new Map<string, number>();
  const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let histogram = newHistogram();
  /** Per hop, in µs: tick due -> strategy has it, strategy -> executor has the signal, executor -> the order is here. */
  let hops = [newHistogram(), newHistogram(), newHistogram()] as const;
  const record = (h: hdr.Histogram, ms: number) => h.recordValue(Math.max(1, Math.round(ms * 1000)));
  let received = 0;
  let receivedRejected = 0;
  let unmatched = 0;
  const answered = new Set<string>();
  const clientOrderIds = new Set<string>();
  let duplicateOrders = 0;
  const sink: Consumer = await bus.consume({
    groupId: 'latency.gateway',
    topics: [topics.orders],
    fromBeginning: true,
    maxBatch: 1_000,
    batchHandler: async (items) => {
      const now = performance.now();
      const wall = wallNow();
      for (const { event } of items) {
        if (event.type === 'OrderRequested') {
          if (clientOrderIds.has(event.data.clientOrderId)) {
            duplicateOrders++;
            continue;
          }
          clientOrderIds.add(event.data.clientOrderId);
          received++;
          if (event.data.signalId !== null) answered.add(event.data.signalId);
          const due = dueAt.get(event.correlationId);
          if (due === undefined) unmatched++;
          else {
            record(histogram, now - due);
            const { tickSeenAt, signalSeenAt } = event.meta as { tickSeenAt?: number; signalSeenAt?: number };
            if (tickSeenAt !== undefined && signalSeenAt !== undefined) {
              record(hops[0], tickSeenAt - (performance.timeOrigin + due));
              record(hops[1], signalSeenAt - tickSeenAt);
              record(hops[2], wall - signalSeenAt);
            }
          }
        } else if (event.type === 'OrderRejected') {
          receivedRejected++;
          if (event.data.signalId !== null) answered.add(event.data.signalId);
        }
      }
    },
  });
  const stages = [await startStage('strategy', namespace), await startStage('executor', namespace)];
  const [strategy, executor] = stages as [Stage, Stage];

  const next = tape(42);
  const prices = new Map<string, number>(INSTRUMENTS.map((i, n) => [i, 100 * (n + 1)]));
  let published = 0;
  /** Publishes `rate` ticks a second for `secs` seconds; each call carries the ticks that fell due while the previous one was in flight. */
  async function feed(rate: number, secs: number): Promise<{ lateMs: number; calls: number }> {
    const total = Math.round(rate * secs);
    const start = performance.now() + 5;
    const interval = 1000 / rate;
    let sent = 0;
    let calls = 0;
    let lateMs = 0;
    while (sent < total) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      if (due <= sent) {
        await sleep(Math.max(0, start + sent * interval - now));
        continue;
      }
      const events: DomainEvent[] = new Array(due - sent);
      const wall = Date.now();
      for (let k = 0; k < events.length; k++) {
        const seq = published + sent + k;
        const instrument = INSTRUMENTS[seq % INSTRUMENTS.length]!;
        const t = next();
        const price = Math.max(1, Math.round(prices.get(instrument)! * (1 + t.move * 1e-4) * 100) / 100);
        prices.set(instrument, price);
        const id = uuidv7Ids(wall);
        events[k] = makeEvent('TradeTick', { venue: 'bench', instrument, tradeId: String(seq), price, size: t.size, aggressor: t.side, ts: wall }, { id, occurredAt: wall, recordedAt: wall });
        dueAt.set(id, start + (sent + k) * interval);
      }
      lateMs = Math.max(lateMs, now - (start + sent * interval));
      await bus.publish(topics.ticks, null, events);
      sent = due;
      calls++;
    }
    published += sent;
    return { lateMs, calls };
  }

  /** Waits until every tick, signal and order has gone through (or nothing moved for 20 s), then returns the stage counts. */
  async function drain(): Promise<{ s: StageReport; e: StageReport }> {
    let last = '';
    let since = performance.now();
    for (;;) {
      const [s, e] = await Promise.all([strategy.report(), executor.report()]);
      if (s.handled >= published && e.handled >= s.emitted && received >= e.emitted && e.ticks >= published) return { s, e };
      const now = `${s.handled}/${e.handled}/${received}/${e.ticks}`;
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (performance.now() - since > 20_000) return { s, e };
      await sleep(100);
    }
  }

  const rows: BenchRow[] = [];
  try {
    // Warm-up (JIT, connections, the strategies' windows), not measured.
    await feed(1_000, 2);
    await drain();
    for (const rate of rates) {
      histogram = newHistogram();
      hops = [newHistogram(), newHistogram(), newHistogram()];
      const before = { s: await strategy.report(), e: await executor.report(), received, rejected: receivedRejected, published };
      answered.clear();
      const load0 = loadavg()[0]!;
      const cpu0 = process.cpuUsage();
      const { lateMs, calls } = await feed(rate, secondsAt(rate));
      const { s, e } = await drain();
      const cpu = process.cpuUsage(cpu0);
      const ticks = published - before.published;
      const signals = s.emitted - before.s.emitted;
      const orders = received - before.received;
      const decided = e.handled - before.e.handled;
      const noOrder = e.noOrder - before.e.noOrder;
      const lost = (ticks - (s.handled - before.s.handled)) + (signals - decided) + ((e.emitted - before.e.emitted) - orders)
        + (decided - noOrder - answered.size);
      const tag = `${rate} ticks/s`;
      const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
      rows.push(
        { name: `latency ${tag}: tick due -> OrderRequested received, p50`, value: us(50), unit: 'ms' },
        { name: `latency ${tag}: p99`, value: us(99), unit: 'ms', ...(rate === 1_000 ? { target: '< 25' } : {}) },
        { name: `latency ${tag}: max`, value: histogram.maxValue / 1000, unit: 'ms' },
        ...hops.map((h, i) => ({
          name: `latency ${tag}: hop ${['feed -> strategy', 'strategy -> executor', 'executor -> gateway'][i]}, p50 / p99`, value: h.getValueAtPercentile(50) / 1000, unit: `ms / ${(h.getValueAtPercentile(99) / 1000).toFixed(1)}`,
        })),
        { name: `latency ${tag}: orders timed (of ${signals} signals from ${ticks} ticks)`, value: histogram.totalCount, unit: 'orders' },
        { name: `latency ${tag}: lost (ticks + signals + orders + signals unanswered)`, value: lost, unit: 'events', target: '0' },
        { name: `latency ${tag}: duplicates (ticks, signals, orders)`, value: (s.duplicates - before.s.duplicates) + (e.duplicates - before.e.duplicates) + duplicateOrders, unit: 'events', target: '0' },
        { name: `latency ${tag}: signals needing no order (target already held) / rejected by risk`, value: noOrder, unit: `/ ${receivedRejected - before.rejected}` },
        { name: `latency ${tag}: orders without their tick (unmatched)`, value: unmatched, unit: 'orders', target: '0' },
        { name: `latency ${tag}: publisher behind schedule, worst / publish calls`, value: lateMs, unit: `ms / ${calls}` },
        { name: `latency ${tag}: machine load average (1 min) before / after, on ${availableParallelism()} cores`, value: load0, unit: `/ ${loadavg()[0]!.toFixed(1)}` },
        { name: `latency ${tag}: CPU per tick: feed+gateway / strategy / executor`, value: (cpu.user + cpu.system) / ticks, unit: `µs / ${((s.cpuMicros - before.s.cpuMicros) / ticks).toFixed(1)} / ${((e.cpuMicros - before.e.cpuMicros) / ticks).toFixed(1)}` },
      );
      unmatched = 0;
      duplicateOrders = 0;
    }
  } finally {
    for (const st of stages) st.child.send({ kind: 'stop' } satisfies ParentMessage);
    await Promise.all(stages.map((st) => new Promise((r) => (st.child.exitCode !== null ? r(null) : st.child.once('exit', r)))));
    await sink.stop();
    await bus.close();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const rates = arg('rates')?.split(',').map(Number);
  const rows = await benchLatency({ ...(rates ? { rates } : {}), ...(arg('seconds') ? { seconds: Number(arg('seconds')) } : {}), ...(arg('partitions') ? { partitions: Number(arg('partitions')) } : {}) });
  console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
  process.exit(0);
}
