// The executor on a paper venue: signals become orders after risk; simulated fills come from the live bars.
//
// It runs the very code a backtest runs (Desk = executor + risk + portfolio, SimulatedVenue), in event
// time: per instrument a lane queues bars and signals and trades them in the backtest's order (bar,
// then the signals decided on its close, then the next bar), releasing a bar only when every strategy
// of the instrument has evaluated the bar before it (their BarEvaluated markers). Delivery timing, a
// slow strategy or a restart cannot change which bar an order fills on.
//
// Every event it makes has an id derived from what it answers and goes to the event store first
// (idempotent by id), then to the bus: a redelivered signal or bar, or a restart mid-way, repeats the
// same ids, so one order per signal and one fill per fill. On start it recovers by replay of the store.
import { catalog, derivedId, makeEvent, timeframeToMs, type DomainEvent, type EventData, type EventType } from '@qts/schemas';
import {
  openPaperBook,
  type Bus, type Clock, type Desk, type DeskOptions, type EventStore, type SimulatedVenue, type SimulatedVenueConfig, type VenueEvent,
} from '@qts/core';
import type { Logger } from '../runtime/log.ts';

export interface PaperExecutorConfig {
  readonly account: string;
  /** Starting cash per instrument book (one netting position per instrument). */
  readonly cash: number;
  readonly desk: Omit<DeskOptions, 'cash'>;
  readonly venue: Partial<SimulatedVenueConfig>;
  /** Strategy ids trading each instrument: the executor waits for their progress before trading a bar. */
  readonly strategiesByInstrument: Readonly<Record<string, readonly string[]>>;
}

export interface PaperExecutorDeps {
  readonly store: EventStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
}

type Bar = DomainEvent<'BarClosed'>;
type Signal = DomainEvent<'SignalEmitted'>;

/** One instrument's book and its event-time queues. */
class Lane {
  readonly bars: Bar[] = [];
  readonly signals: Signal[] = [];
  readonly progress = new Map<string, number>();
  /** Operator halts and resumes from the store, applied when event time reaches them. */
  readonly risk: DomainEvent<'TradingHalted' | 'TradingResumed'>[] = [];
  readonly appliedRisk = new Set<string>();
  lastOpenTime = -Infinity;
  /** Open time of the newest bar queued or traded: older deliveries are duplicates. */
  lastQueued = -Infinity;
  lastClose = Number.NaN;
  barMs = 0;
  readonly seenSignals = new Set<string>();

  constructor(readonly desk: Desk, readonly venue: SimulatedVenue, readonly strategies: readonly string[]) {
    for (const s of strategies) this.progress.set(s, -Infinity);
  }

  /** Every strategy of the instrument has evaluated bars closing up to this time. */
  get watermark(): number {
    let min = Infinity;
    for (const p of this.progress.values()) if (p < min) min = p;
    return min;
  }

  /** Close time of the last traded bar: signals up to it can be decided. */
  get tradedThrough(): number {
    return this.lastOpenTime + this.barMs;
  }

  enqueueSignal(s: Signal): void {
    if (this.seenSignals.has(s.id)) return;
    this.seenSignals.add(s.id);
    // Same asOf from several strategies: a fixed order (strategy, id) makes the decisions reproducible.
    let i = this.signals.length;
    while (i > 0 && compareSignals(this.signals[i - 1]!, s) > 0) i--;
    this.signals.splice(i, 0, s);
  }
}

function compareSignals(a: Signal, b: Signal): number {
  return a.data.asOf - b.data.asOf || (a.data.strategyId < b.data.strategyId ? -1 : a.data.strategyId > b.data.strategyId ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class PaperExecutor {
  private readonly lanes = new Map<string, Lane>();
  /** The OrderRequested event of each order still at the venue: the cause of its venue events. */
  private readonly causes = new Map<string, DomainEvent>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly manualRisk: DomainEvent<'TradingHalted' | 'TradingResumed'>[] = [];

  constructor(private readonly config: PaperExecutorConfig, private readonly deps: PaperExecutorDeps) {}

  /** One state change at a time: handlers of three consumers interleave on the event loop. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private lane(instrument: string): Lane {
    let lane = this.lanes.get(instrument);
    if (!lane) {
      // The very desk and venue wiring a backtest uses (lot-step fills, buys capped by cash).
      const { desk, venue } = openPaperBook(instrument, { venue: 'paper', ...this.config.venue }, {
        ...this.config.desk, cash: this.config.cash,
        executor: { ...this.config.desk.executor, account: this.config.account, venue: this.config.venue.venue ?? 'paper' },
      });
      lane = new Lane(desk, venue, this.config.strategiesByInstrument[instrument] ?? []);
      lane.risk.push(...this.manualRisk);
      this.lanes.set(instrument, lane);
    }
    return lane;
  }

  /** Position and cash per instrument book, for health checks and tests. */
  books(): Record<string, { position: number; cash: number; averagePrice: number; tradedThrough: number }> {
    const out: Record<string, { position: number; cash: number; averagePrice: number; tradedThrough: number }> = {};
    for (const [instrument, l] of this.lanes) out[instrument] = { position: l.desk.position, cash: l.desk.cash, averagePrice: l.desk.averagePrice, tradedThrough: l.tradedThrough };
    return out;
  }

  onBar(event: Bar): Promise<void> {
    return this.serial(async () => {
      const lane = this.lane(event.data.instrument);
      if (event.data.openTime <= lane.lastQueued) return; // redelivered or replayed: already queued or traded
      await this.keep(event);
      lane.lastQueued = event.data.openTime;
      lane.barMs = timeframeToMs(event.data.timeframe);
      lane.bars.push(event);
      await this.pump(lane);
    });
  }

  onSignal(event: DomainEvent<'SignalEmitted' | 'BarEvaluated'>): Promise<void> {
    return this.serial(async () => {
      const lane = this.lane(event.data.instrument);
      if (event.type === 'SignalEmitted') {
        if (lane.seenSignals.has(event.id)) return;
        await this.keep(event);
        lane.enqueueSignal(event);
      } else if (lane.progress.has(event.data.strategyId) && event.data.asOf > lane.progress.get(event.data.strategyId)!) {
        await this.keep(event);
        lane.progress.set(event.data.strategyId, event.data.asOf);
      }
      await this.pump(lane);
    });
  }

  /**
   * An input is in the store before the bus hears it was handled: the consumer commits its offset when
   * the handler returns, and a restart recovers from the store, so an input acknowledged but not yet
   * recorded (the recorder lags) would be lost to this executor: a bar skipped fills an order on the
   * wrong bar. Idempotent by id: the recorder's later append of the same event is a no-op.
   */
  private async keep(event: DomainEvent): Promise<void> {
    await this.deps.store.append(event.stream, [event], 'any');
  }

  /** Halts and resumes decided elsewhere (the API's kill switch) apply to every book at once. */
  onRisk(event: DomainEvent<'TradingHalted' | 'TradingResumed'>): Promise<void> {
    return this.serial(async () => {
      if (event.data.account !== this.config.account) return;
      for (const l of this.lanes.values()) this.applyRisk(l, event);
    });
  }

  private applyRisk(lane: Lane, event: DomainEvent<'TradingHalted' | 'TradingResumed'>): void {
    // A redelivered old halt must not undo a later resume: each operator event applies once per book.
    if (lane.appliedRisk.has(event.id)) return;
    lane.appliedRisk.add(event.id);
    lane.desk.onEvent(event);
  }

  /** Trades queued bars and decides queued signals in event time, as far as the strategies' progress allows. */
  private async pump(lane: Lane): Promise<void> {
    for (;;) {
      const watermark = lane.watermark;
      const signal = lane.signals[0];
      if (signal && signal.data.asOf <= lane.tradedThrough && signal.data.asOf <= watermark) {
        lane.signals.shift();
        await this.decide(lane, signal);
        continue;
      }
      const bar = lane.bars[0];
      if (bar && bar.data.openTime <= watermark && !(signal && signal.data.asOf <= bar.data.openTime)) {
        lane.bars.shift();
        while (lane.risk.length > 0 && lane.risk[0]!.data.ts <= bar.data.openTime) this.applyRisk(lane, lane.risk.shift()!);
        await this.trade(lane, bar);
        continue;
      }
      return;
    }
  }

  private async decide(lane: Lane, signal: Signal): Promise<void> {
    const s = signal.data;
    const price = Number.isNaN(lane.lastClose) ? s.price : lane.lastClose;
    const equity = lane.desk.cash + lane.desk.position * price;
    const decisions = lane.desk.decide(signal, price, equity, s.asOf);
    if (decisions.length === 0) return;
    const events = decisions.map((d) => this.event(d.type, d.data as never, `${d.type}:${d.data.clientOrderId}`, s.asOf, signal));
    await this.applyDecisions(lane, events, s.asOf);
  }

  private async applyDecisions(lane: Lane, events: readonly DomainEvent[], at: number): Promise<void> {
    await this.record(events);
    if (lane.venue.hasOpenOrders && events.some((e) => e.type === 'OrderRequested')) {
      // New orders replace whatever the previous signal left resting, as in a backtest.
      await this.recordVenue(lane, lane.venue.cancelAll(lane.desk.instrument, at, 'replaced by a new signal'), at);
    }
    for (const e of events) {
      lane.desk.onEvent(e);
      if (e.type === 'OrderRequested') {
        this.causes.set(e.data.clientOrderId, e);
        await this.recordVenue(lane, lane.venue.submit(e.data, at), at);
      }
    }
  }

  private async trade(lane: Lane, source: Bar): Promise<void> {
    const bar = source.data;
    lane.barMs = timeframeToMs(bar.timeframe);
    if (lane.venue.hasOpenOrders) await this.recordVenue(lane, lane.venue.onBar(bar), bar.openTime);
    const equity = lane.desk.cash + lane.desk.position * bar.close;
    if (lane.desk.marksEquity) {
      const halt = lane.desk.markEquity(equity, bar.closeTime);
      if (halt !== null) {
        const event = this.event('TradingHalted', halt, `halt:${halt.account}:${halt.ts}`, bar.closeTime, source);
        await this.record([event]);
        for (const l of this.lanes.values()) l.desk.onEvent(event);
      }
    }
    lane.desk.onBar(bar);
    lane.lastOpenTime = bar.openTime;
    lane.lastClose = bar.close;
  }

  private async recordVenue(lane: Lane, venueEvents: readonly VenueEvent[], at: number): Promise<void> {
    if (venueEvents.length === 0) return;
    const events = venueEvents.map((v) => this.event(
      v.type, v.data as never, v.type === 'OrderFilled' ? `fill:${v.data.fillId}` : `${v.type}:${v.data.clientOrderId}`,
      v.data.ts ?? at, this.causes.get(v.data.clientOrderId) ?? null,
    ));
    await this.record(events);
    for (const e of events) {
      lane.desk.onEvent(e); // the desk moves on fills only; the rest is for the audit trail and the read models
      if (e.type === 'OrderFilled') this.deps.log.info({ clientOrderId: e.data.clientOrderId, side: e.data.side, price: e.data.price, quantity: e.data.quantity, correlationId: e.correlationId }, 'fill');
      if (e.type === 'OrderCancelled' || e.type === 'OrderExpired' || e.type === 'OrderRejected') this.causes.delete(e.data.clientOrderId);
    }
  }

  private event<T extends EventType>(type: T, data: EventData<T>, key: string, at: number, cause: DomainEvent | null): DomainEvent<T> {
    return makeEvent(type, data, {
      id: derivedId(`${this.config.account}:${key}`, at),
      occurredAt: at,
      recordedAt: this.deps.clock.now(),
      causationId: cause?.id ?? null,
      ...(cause ? { correlationId: cause.correlationId } : {}),
    });
  }

  /** The store first (the system of record, idempotent by id), then the bus for everyone else. */
  private async record(events: readonly DomainEvent[]): Promise<void> {
    for (const e of events) await this.deps.store.append(e.stream, [e], 'any');
    for (const e of events) await this.deps.bus.publish(catalog[e.type].topic, e.key, [e]);
  }

  /**
   * Rebuilds every lane from the store by replay: the stored bars, signals and progress markers go
   * through the very scheduler live events go through, so each signal is decided again in event time
   * on the state it had (decisions are deterministic and their ids derive from the signal: what was
   * decided before the restart comes out identical and its appends are no-ops; what a crash cut off
   * is decided and appended now). Manual halts and resumes apply at their times.
   */
  async recover(): Promise<{ bars: number; signals: number }> {
    let bars = 0;
    let signals = 0;
    for await (const { event } of this.deps.store.readAll()) {
      switch (event.type) {
        case 'BarClosed': {
          if (!this.config.strategiesByInstrument[event.data.instrument]) break;
          const lane = this.lane(event.data.instrument);
          if (event.data.openTime <= lane.lastQueued) break;
          lane.lastQueued = event.data.openTime;
          lane.barMs = timeframeToMs(event.data.timeframe);
          lane.bars.push(event);
          bars++;
          break;
        }
        case 'SignalEmitted':
          this.lane(event.data.instrument).enqueueSignal(event);
          signals++;
          break;
        case 'BarEvaluated': {
          const progress = this.lane(event.data.instrument).progress;
          if (progress.has(event.data.strategyId)) progress.set(event.data.strategyId, Math.max(progress.get(event.data.strategyId)!, event.data.asOf));
          break;
        }
        case 'TradingHalted':
        case 'TradingResumed':
          // Halts the desk decided itself come back from the replay; only an operator's need replaying.
          if (event.data.account === this.config.account && (event.type === 'TradingResumed' || event.data.reason.kind === 'Manual')) {
            for (const lane of this.lanes.values()) lane.risk.push(event);
            this.manualRisk.push(event);
          }
          break;
        default:
          break;
      }
    }
    for (const lane of this.lanes.values()) await this.pump(lane);
    return { bars, signals };
  }
}
