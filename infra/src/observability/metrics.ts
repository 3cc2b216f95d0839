// The process's Prometheus metrics: one registry per running system, every series the dashboards read.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.ts';

/** Handler and append latencies: 50 µs (an in-memory handler) up to 5 s (a stuck broker or store). */
const latencyBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every metric of the trading system. One instance per composed system (tests run several in one
 * process), each with its own registry; `defaultMetrics` adds process CPU, memory, event-loop lag, GC.
 */
export class SystemMetrics {
  readonly registry = new Registry();
  readonly published: FastCounter<'topic' | 'type'>;
  readonly publishSeconds: FastHistogram<'topic'>;
  readonly consumed: FastCounter<'group' | 'topic' | 'type'>;
  readonly handlerSeconds: FastHistogram<'group' | 'topic'>;
  readonly handlerErrors: FastCounter<'group' | 'topic' | 'type'>;
  readonly deadLetters: Counter<'group' | 'topic' | 'reason'>;
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly storeAppended: FastCounter<'type'>;
  readonly storeAppendSeconds: FastHistogram<never>;
  readonly storeConflicts: Counter<never>;
  readonly orders: Gauge<'account' | 'status'>;
  readonly fills: Counter<'account' | 'instrument' | 'side'>;
  readonly rejections: Counter<'reason'>;
  readonly equity: Gauge<'account'>;
  readonly cash: Gauge<'account'>;
  readonly realizedPnl: Gauge<'account'>;
  readonly unrealizedPnl: Gauge<'account'>;
  readonly fees: Gauge<'account'>;
  readonly halted: Gauge<'account'>;
  readonly notifications: Counter<'channel' | 'outcome'>;
  readonly incidents: Counter<'component'>;
  /** Probes run at each scrape (consumer lag); each one sets its gauges. */
  private readonly probes = new Set<() => Promise<void>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const registry = this.registry;
    this.published = new FastCounter({ name: 'qts_bus_events_published_total', help: 'events published to the bus', registry });
    this.publishSeconds = new FastHistogram({ name: 'qts_bus_publish_seconds', help: 'time a publish call waited for the bus (acks, backpressure)', buckets: latencyBuckets, registry });
    this.consumed = new FastCounter({ name: 'qts_bus_events_consumed_total', help: 'events a consumer group handled successfully', registry });
    this.handlerSeconds = new FastHistogram({ name: 'qts_bus_handler_seconds', help: 'handler latency per call (one event, or one batch for batch consumers)', buckets: latencyBuckets, registry });
    this.handlerErrors = new FastCounter({ name: 'qts_bus_handler_errors_total', help: 'handler rejections (the event is redelivered after a backoff)', registry });
    this.deadLetters = new Counter({ name: 'qts_bus_dead_letters_total', help: 'messages sent to the dead-letter topic, by decode failure', labelNames: ['group', 'topic', 'reason'], registers });
    this.consumerLag = new Gauge({
      name: 'qts_bus_consumer_lag', help: 'messages not yet handled by this process\'s consumer, per partition it owns',
      labelNames: ['group', 'topic', 'partition'], registers,
      collect: async () => { await Promise.all([...this.probes].map((p) => p())); },
    });
    this.storeAppended = new FastCounter({ name: 'qts_store_append_events_total', help: 'events in event-store append calls, by type; idempotent re-appends of stored events count too (the recorder re-appends what command handlers stored)', registry });
    this.storeAppendSeconds = new FastHistogram({ name: 'qts_store_append_seconds', help: 'event-store append latency', buckets: latencyBuckets, registry });
    this.storeConflicts = new Counter({ name: 'qts_store_append_conflicts_total', help: 'appends refused because the stream moved (retried by the command handler)', registers });
    this.orders = new Gauge({ name: 'qts_orders', help: 'orders by account and current status', labelNames: ['account', 'status'], registers });
    this.fills = new Counter({ name: 'qts_fills_total', help: 'fills booked', labelNames: ['account', 'instrument', 'side'], registers });
    this.rejections = new Counter({ name: 'qts_order_rejections_total', help: 'orders rejected, by reason', labelNames: ['reason'], registers });
    this.equity = new Gauge({ name: 'qts_equity', help: 'account equity: cash plus positions at their last mark', labelNames: ['account'], registers });
    this.cash = new Gauge({ name: 'qts_cash', help: 'account cash', labelNames: ['account'], registers });
    this.realizedPnl = new Gauge({ name: 'qts_realized_pnl', help: 'realised PnL, gross of fees', labelNames: ['account'], registers });
    this.unrealizedPnl = new Gauge({ name: 'qts_unrealized_pnl', help: 'unrealised PnL at the last marks', labelNames: ['account'], registers });
    this.fees = new Gauge({ name: 'qts_fees', help: 'fees paid', labelNames: ['account'], registers });
    this.halted = new Gauge({ name: 'qts_trading_halted', help: '1 while trading is halted for the account', labelNames: ['account'], registers });
    this.notifications = new Counter({ name: 'qts_notifications_total', help: 'notification deliveries by channel and outcome', labelNames: ['channel', 'outcome'], registers });
    this.incidents = new Counter({ name: 'qts_incidents_total', help: 'error log lines, handler failures and dead letters, by worker or consumer group', labelNames: ['component'], registers });
  }

  /** Adds a probe run at every scrape; returns its removal. */
  addProbe(probe: () => Promise<void>): () => void {
    this.probes.add(probe);
    return () => { this.probes.delete(probe); };
  }

  /** The text exposition format and its content type, as GET /metrics answers. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
