// The latency bench's strategy stage (a child process): trade ticks from Kafka through the flow-imbalance strategy, signals back to Kafka.
import { derivedId, makeEvent, topics, type DomainEvent } from '@qts/schemas';
import { flowImbalance, tickSignalData, type FlowImbalanceState } from '@qts/core';
import { benchBus, serveStage, STRATEGY_ID, STRATEGY_PARAMS, wallNow } from './latency-wire.ts';

const namespace = process.argv[2]!;
const bus = benchBus(namespace, 'strategy');
const states = new Map<string, FlowImbalanceState>();
const seen = new Set<string>();
let handled = 0;
let duplicates = 0;
let emitted = 0;

const consumer = await bus.consume({
  groupId: 'latency.strategy',
  topics: [topics.ticks],
  fromBeginning: true,
  maxBatch: 1_000,
  // A run of ticks is evaluated in full, then its signals go out in one publish: one broker round trip per run.
  batchHandler: async (items) => {
    const out: DomainEvent[] = [];
    const seenAt = wallNow();
    for (const { event } of items) {
      if (event.type !== 'TradeTick') continue;
      if (seen.has(event.id)) {
        duplicates++;
        continue;
      }
      seen.add(event.id);
      handled++;
      const tick = event.data;
      let state = states.get(tick.instrument);
      if (state === undefined) states.set(tick.instrument, (state = flowImbalance.init(STRATEGY_PARAMS)));
      const intents = flowImbalance.onTick(state, tick)[1];
      for (let n = 0; n < intents.length; n++) {
        out.push(makeEvent('SignalEmitted', tickSignalData(STRATEGY_ID, tick, intents[n]!), {
          id: derivedId(`signal${n}:${STRATEGY_ID}:${event.id}`, tick.ts),
          occurredAt: tick.ts, recordedAt: Date.now(), causationId: event.id, correlationId: event.correlationId,
          meta: { strategyKind: flowImbalance.kind, tickSeenAt: seenAt },
        }));
      }
    }
    if (out.length === 0) return;
    await bus.publish(topics.signals, null, out);
    emitted += out.length;
  },
});

serveStage(() => ({ handled, duplicates, emitted, rejected: 0, noOrder: 0, ticks: handled, fills: 0 }), async () => {
  await consumer.stop();
  await bus.close();
});
