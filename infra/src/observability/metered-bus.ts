// A Bus decorator that counts events in and out per topic and type, times handlers, counts dead letters and measures consumer lag.
import type { DecodeFailure, DomainEvent } from '@qts/schemas';
import type { Bus, ConsumeOptions, Consumer, Delivery, RawMessage, TopicSpec } from '@qts/core';
import type { TailingBus, TailOptions } from '@qts/adapters';
import type { CounterCell, HistogramCell } from './fast-metrics.ts';
import { withEvent } from './correlation.ts';
import { reportIncident } from './logging.ts';
import type { SystemMetrics } from './metrics.ts';

/** Where each partition of a topic ends (Kafka's high watermark); absent for the in-process bus. */
export type Watermarks = (topic: string) => Promise<readonly { partition: number; high: string; low?: string }[]>;

export interface MeteredBusOptions {
  /** Lag against the broker's high watermarks; without it, lag is what this process published minus what the group handled. */
  readonly watermarks?: Watermarks;
  /**
   * The group's committed offsets (Kafka admin), for owned partitions this process has not handled a
   * message of yet: their backlog shows as lag from the first scrape, not only after the first message.
   */
  readonly committed?: (group: string, topic: string) => Promise<readonly { partition: number; offset: string }[]>;
  /** The namespace of a namespaced inner bus: its consumers' assignments name outer topics, the labels use the inner ones. */
  readonly namespace?: string;
}

interface TypeSeries {
  readonly consumed: CounterCell;
  readonly errors: CounterCell;
}

/**
 * Label children are resolved once per (topic, type) and cached, so the per-event cost is two map
 * lookups, a clock read and two increments.
 */
export function meteredBus(inner: Bus, metrics: SystemMetrics, options: MeteredBusOptions = {}): Bus {
  const publishedByTopic = new Map<string, { total: number; byType: Map<string, CounterCell>; seconds: HistogramCell }>();
  const publishSeries = (topic: string) => {
    let s = publishedByTopic.get(topic);
    if (!s) publishedByTopic.set(topic, s = { total: 0, byType: new Map(), seconds: metrics.publishSeconds.series({ topic }) });
    return s;
  };
  const countPublished = (topic: string, events: readonly DomainEvent[]) => {
    const s = publishSeries(topic);
    s.total += events.length;
    for (let i = 0; i < events.length; i++) {
      const type = events[i]!.type;
      let c = s.byType.get(type);
      if (!c) s.byType.set(type, c = metrics.published.series({ topic, type }));
      c.value++;
    }
  };

  const prefix = options.namespace ? `${options.namespace}.` : '';
  /** Events handled per group and topic, over every member of the group in this process (count-based lag). */
  const handledByGroup = new Map<string, Map<string, number>>();

  return {
    name: inner.name,
    ensureTopics: (specs: readonly TopicSpec[]) => inner.ensureTopics(specs),
    async publish(topic, key, events) {
      const started = performance.now();
      await inner.publish(topic, key, events);
      publishSeries(topic).seconds.observe((performance.now() - started) / 1000);
      countPublished(topic, events);
    },
    publishRaw: (topic, key, value, headers) => inner.publishRaw(topic, key, value, headers),
    async consume(o: ConsumeOptions): Promise<Consumer> {
      const group = o.groupId;
      const series = new Map<string, Map<string, TypeSeries>>();
      const timers = new Map<string, HistogramCell>();
      /** Next offset to handle, per topic and partition (what a commit would store). */
      const next = new Map<string, Map<number, number>>();
      let handled = handledByGroup.get(group);
      if (!handled) handledByGroup.set(group, handled = new Map());
      const counts = handled;
      /** What was already published when the consumer started and will not be read (count-based lag). */
      const baseline = new Map<string, number>();
      for (const t of o.topics) baseline.set(t, o.fromBeginning ? 0 : publishedByTopic.get(t)?.total ?? 0);

      const of = (topic: string, type: string): TypeSeries => {
        let byType = series.get(topic);
        if (!byType) series.set(topic, byType = new Map());
        let s = byType.get(type);
        if (!s) byType.set(type, s = { consumed: metrics.consumed.series({ group, topic, type }), errors: metrics.handlerErrors.series({ group, topic, type }) });
        return s;
      };
      const timer = (topic: string) => {
        let h = timers.get(topic);
        if (!h) timers.set(topic, h = metrics.handlerSeconds.series({ group, topic }));
        return h;
      };
      const advance = (d: Delivery) => {
        let parts = next.get(d.topic);
        if (!parts) next.set(d.topic, parts = new Map());
        parts.set(d.partition, Number(d.offset) + 1);
        counts.set(d.topic, (counts.get(d.topic) ?? 0) + 1);
      };

      const { handler, batchHandler } = o;
      const wrapped: ConsumeOptions = {
        ...o,
        ...(handler ? {
          handler: async (event: DomainEvent, delivery: Delivery) => {
            const s = of(delivery.topic, event.type);
            const started = performance.now();
            try {
              await withEvent(event, handler, delivery);
            } catch (e) {
              s.errors.value++;
              reportIncident({ component: group, message: `handler failed on ${event.type} (redelivered after a backoff)`, error: (e as Error).message });
              throw e;
            }
            timer(delivery.topic).observe((performance.now() - started) / 1000);
            s.consumed.value++;
            advance(delivery);
          },
        } : {}),
        ...(batchHandler ? {
          batchHandler: async (items) => {
            const first = items[0];
            if (!first) return batchHandler(items);
            const started = performance.now();
            try {
              await batchHandler(items);
            } catch (e) {
              of(first.delivery.topic, first.event.type).errors.value++;
              reportIncident({ component: group, message: `batch handler failed on ${items.length} events (redelivered after a backoff)`, error: (e as Error).message });
              throw e;
            }
            timer(first.delivery.topic).observe((performance.now() - started) / 1000);
            for (const i of items) { of(i.delivery.topic, i.event.type).consumed.value++; advance(i.delivery); }
          },
        } : {}),
        onDeadLetter: (failure: DecodeFailure, message: RawMessage) => {
          metrics.deadLetters.inc({ group, topic: message.topic, reason: failure.kind });
          advance(message);
          reportIncident({ component: group, message: `dead-lettered a message on ${message.topic} (partition ${message.partition}, offset ${message.offset})`, error: failure.kind });
          o.onDeadLetter?.(failure, message);
        },
      };
      const consumer = await inner.consume(wrapped);

      const reported: { group: string; topic: string; partition: string }[] = [];
      const report = (topic: string, partition: string, lag: number) => {
        const labels = { group, topic, partition };
        if (!reported.some((r) => r.topic === topic && r.partition === partition)) reported.push(labels);
        metrics.consumerLag.set(labels, Math.max(0, lag));
      };
      const probe = async (): Promise<void> => {
        for (const owned of consumer.assignment()) {
          const { partitions } = owned;
          const topic = prefix && owned.topic.startsWith(prefix) ? owned.topic.slice(prefix.length) : owned.topic;
          if (options.watermarks) {
            const marks = await options.watermarks(topic).catch(() => []);
            const done = next.get(topic);
            let commits: readonly { partition: number; offset: string }[] | null = null;
            for (const m of marks) {
              if (!partitions.includes(m.partition)) continue;
              let at = done?.get(m.partition);
              if (at === undefined && options.committed) {
                commits ??= await options.committed(group, topic).catch(() => []);
                const c = commits.find((x) => x.partition === m.partition);
                // No commit yet (-1): the group starts at the oldest retained message or at the end; both leave
                // nothing older than the low watermark to read, so the retained backlog is the upper bound.
                if (c) at = Number(c.offset) >= 0 ? Number(c.offset) : o.fromBeginning ? Number(m.low ?? 0) : Number(m.high);
              }
              // Still unknown (no admin): report nothing rather than guess.
              if (at === undefined) continue;
              report(topic, String(m.partition), Number(m.high) - at);
            }
          } else {
            if (partitions.length === 0) continue;
            report(topic, 'all', (publishedByTopic.get(topic)?.total ?? 0) - (baseline.get(topic) ?? 0) - (counts.get(topic) ?? 0));
          }
        }
      };
      const removeProbe = metrics.addProbe(probe);
      return {
        assignment: () => consumer.assignment(),
        async stop() {
          removeProbe();
          await consumer.stop();
          for (const labels of reported) metrics.consumerLag.remove(labels);
        },
      };
    },
    // Raw reads (taps, the dead-letter feed) pass through unmetered when the inner bus has them.
    ...('tail' in inner ? { tail: (o: TailOptions) => (inner as TailingBus).tail(o) } : {}),
    close: () => inner.close(),
  };
}
