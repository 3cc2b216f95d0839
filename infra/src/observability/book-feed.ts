// Feeds the book gauges from the event store, the system of record, so they are right again after any restart.
import type { EventStore, Subscription } from '@qts/core';
import type { Logger } from 'pino';
import { BookGauges, type BookGaugesOptions } from './book-gauges.ts';
import type { SystemMetrics } from './metrics.ts';

/**
 * Follows the store from its start (catching up on what is stored, then live). Catching up reads every
 * stored event once per process start: seconds for months of 5-minute bars, longer for years of ticks.
 */
export function followBooks(store: EventStore, metrics: SystemMetrics, options: BookGaugesOptions, log: Logger): Subscription {
  const gauges = new BookGauges(metrics, options);
  return store.subscribeToAll(async (stored) => { gauges.observe(stored.event); }, {
    onCaughtUp: () => log.debug('book gauges caught up with the event store'),
    onError: (e) => log.error({ err: e }, 'book gauges lost the event store subscription'),
  });
}
