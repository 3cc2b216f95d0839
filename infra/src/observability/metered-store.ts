// An EventStore decorator that counts appended events by type, times appends and counts version conflicts.
import type { EventStore } from '@qts/core';
import { WrongExpectedRevision } from '@qts/core';
import type { CounterCell, HistogramCell } from './fast-metrics.ts';
import type { SystemMetrics } from './metrics.ts';

export function meteredStore(inner: EventStore, metrics: SystemMetrics): EventStore {
  const byType = new Map<string, CounterCell>();
  const seconds: HistogramCell = metrics.storeAppendSeconds.series({});
  return {
    name: inner.name,
    async append(stream, events, expectedRevision) {
      const started = performance.now();
      let result;
      try {
        result = await inner.append(stream, events, expectedRevision);
      } catch (e) {
        if (e instanceof WrongExpectedRevision) metrics.storeConflicts.inc();
        throw e;
      }
      seconds.observe((performance.now() - started) / 1000);
      for (let i = 0; i < events.length; i++) {
        const type = events[i]!.type;
        let c = byType.get(type);
        if (!c) byType.set(type, c = metrics.storeAppended.series({ type }));
        c.value++;
      }
      return result;
    },
    readStream: (stream, options) => inner.readStream(stream, options),
    readAll: (options) => inner.readAll(options),
    subscribeToAll: (handler, options) => inner.subscribeToAll(handler, options),
    close: () => inner.close(),
  };
}
