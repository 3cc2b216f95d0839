// The executor on a live venue (an exchange through ccxt): signals become orders after risk, the venue's reports become events once each.
//
// The decisions are the very Desk code a backtest and the paper executor run (executor + risk +
// portfolio), but in live time: a signal is decided when it arrives, on the desk as it is now, and a
// signal older than `maxSignalAgeMs` is not traded (a restart, a lagging consumer or a new consumer
// group reading history must not send yesterday's orders). Each event id derives from what it answers
// (the order id from the signal, a fill id from the exchange's trade id), and every event goes to the
// store first, then the bus: a redelivered signal or report appends nothing new and sends nothing twice.
//
// An order whose outcome is unknown (timeout, broken connection) is looked up by its clientOrderId
// (resolveUnknownOutcome) and, while the exchange stays unreachable, again on every follow-up round;
// it is never sent a second time. On start the desk is rebuilt from the store, then reconciled with the
// exchange (reconcileWithVenue): fills, cancels and orders either side missed while down become events.
import { catalog, derivedId, makeEvent, type DomainEvent, type EventData, type EventType, type OrderFilled, type OrderRequested, type RejectionReason } from '@qts/schemas';
import {
  Desk, UnknownOrderOutcome, VenueRateLimited, VenueRequestRefused, applyReports, defaultVenueConfig, evolveOrder, initialOrderState,
  knownOrderOf, reconcileOrder, reconcileWithVenue, reportsForUpdate, resolveUnknownOutcome, roundToLot, terminalStatuses,
  type Bus, type Clock, type DeskOptions, type EventStore, type OrderDecision, type OrderEvent, type OrderState, type OrderStatus,
  type Venue, type VenueReport, type VenueReportMeta, type VenueRules, type VenueUpdate, type VenueWatch,
} from '@qts/core';
import type { Logger } from '../runtime/log.ts';

/** A live venue that also publishes its trading rules (CcxtVenue is one). */
export interface LiveVenue extends Venue {
  rulesFor(instrument: string): VenueRules;
}

export interface LiveExecutorConfig {
  readonly account: string;
  /** The quote-currency budget of each instrument's book (the exchange account may hold more). */
  readonly cash: number;
  readonly desk: Omit<DeskOptions, 'cash' | 'rules'>;
  /** Instruments this executor trades; signals for others are ignored. */
  readonly instruments: readonly string[];
  /** A signal older than this (now - asOf) is not traded. */
  readonly maxSignalAgeMs: number;
  /** How often in-flight orders are asked about (unknown outcomes, missed pushes). Default 5 000 ms. */
  readonly followUpIntervalMs?: number;
  /** Fills before this are not compared on start. Default 24 h before now. */
  readonly reconcileSinceMs?: number;
}

export interface LiveExecutorDeps {
  readonly store: EventStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly venue: LiveVenue;
  readonly sleep?: (ms: number) => Promise<void>;
}

type Signal = DomainEvent<'SignalEmitted'>;
type RiskEvent = DomainEvent<'TradingHalted' | 'TradingResumed'>;

/** One instrument's desk and what the account holds for it. */
class Book {
  /** Base asset the account holds for this book: fills minus fees charged in the base asset (Binance charges a buy's fee in what it bought). */
  baseHeld = 0;
  lastClose = Number.NaN;
  lastBarOpen = -Infinity;
  /** asOf of the newest signal decided: an older one arriving later is not traded. */
  newestDecided = -Infinity;
  constructor(readonly desk: Desk, readonly base: string) {}
}

interface TrackedOrder {
  state: OrderState;
  /** The OrderRequested event: cause and correlation of what the venue reports. */
  readonly cause: DomainEvent | null;
}

const IN_FLIGHT: ReadonlySet<OrderStatus | 'none'> = new Set(['requested', 'submitted']);
const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveExecutor {
  private readonly books = new Map<string, Book>();
  private readonly orders = new Map<string, TrackedOrder>();
  private readonly byVenueOrderId = new Map<string, string>();
  private readonly seenSignals = new Set<string>();
  private readonly appliedRisk = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private watch: (VenueWatch & { track?: (clientOrderId: string, instrument: string) => void }) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly config: LiveExecutorConfig, private readonly deps: LiveExecutorDeps) {
    this.sleep = deps.sleep ?? realSleep;
    for (const instrument of config.instruments) {
      const rules = deps.venue.rulesFor(instrument);
      const venueConfig = { ...defaultVenueConfig, venue: deps.venue.name, makerFeeBps: rules.makerFeeBps, takerFeeBps: rules.takerFeeBps, lotStep: rules.lotStep };
      const desk = new Desk(instrument, venueConfig, {
        ...config.desk, cash: config.cash,
        rules: { tickSize: rules.tickSize, lotStep: rules.lotStep, minQuantity: rules.minQuantity, minNotional: rules.minNotional },
        executor: { ...config.desk.executor, account: config.account, venue: deps.venue.name },
      });
      this.books.set(instrument, new Book(desk, instrument.slice(0, Math.max(0, instrument.indexOf('/')))));
    }
  }

  /** One state change at a time: signals, bars, operator events and venue pushes interleave on the event loop. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Resolves once everything queued so far is done (tests, shutdown). */
  settled(): Promise<void> {
    return this.serial(async () => undefined);
  }

  /** Position, cash and base asset held per instrument book, for health checks and tests. */
  positions(): Record<string, { position: number; cash: number; averagePrice: number; baseHeld: number }> {
    const out: Record<string, { position: number; cash: number; averagePrice: number; baseHeld: number }> = {};
    for (const [instrument, b] of this.books) out[instrument] = { position: b.desk.position, cash: b.desk.cash, averagePrice: b.desk.averagePrice, baseHeld: b.baseHeld };
    return out;
  }

  /** Orders not yet closed at the venue, by clientOrderId. */
  openOrders(): string[] {
    return [...this.orders].filter(([, o]) => !terminalStatuses.has(o.state.status as OrderStatus)).map(([cid]) => cid);
  }

  /**
   * Rebuilds the books from the store, subscribes to the venue's order updates, reconciles with the
   * venue, then decides the fresh signals a crash left undecided. Call before consuming signals.
   */
  async start(): Promise<{ orders: number; reconciled: number; anomalies: number; decided: number }> {
    const pending = await this.serial(() => this.recover());
    if (this.deps.venue.watch) {
      this.watch = await this.deps.venue.watch(
        (update) => { void this.serial(() => this.onVenueUpdate(update)).catch((e: unknown) => this.deps.log.error({ err: e }, 'venue update not applied')); },
        (e) => this.deps.log.warn({ err: e }, 'venue update stream failed; reconnecting'),
      );
    }
    const { reconciled, anomalies } = await this.serial(() => this.reconcile());
    let decided = 0;
    await this.serial(async () => {
      for (const signal of pending) if (await this.decideIfFresh(signal)) decided++;
    });
    for (const cid of this.openOrders()) this.watch?.track?.(cid, this.orders.get(cid)!.state.order!.instrument);
    this.scheduleFollowUp();
    this.deps.log.info({ orders: this.orders.size, open: this.openOrders().length, reconciled, anomalies, decided }, 'live executor started');
    return { orders: this.orders.size, reconciled, anomalies, decided };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.settled();
    await this.watch?.close();
  }

  onSignal(event: Signal): Promise<void> {
    return this.serial(async () => {
      if (this.seenSignals.has(event.id)) return;
      if (!this.books.has(event.data.instrument)) return;
      // The store holds the signal before the bus hears it was handled: the order's cause is never missing from the audit trail.
      await this.deps.store.append(event.stream, [event], 'any');
      await this.decideIfFresh(event);
    });
  }

  /** Bars keep the desk's last price, ATR and equity marks current (the daily-loss and drawdown limits). */
  onBar(event: DomainEvent<'BarClosed'>): Promise<void> {
    return this.serial(async () => {
      const book = this.books.get(event.data.instrument);
      if (!book || event.data.openTime <= book.lastBarOpen) return;
      const bar = event.data;
      book.lastBarOpen = bar.openTime;
      book.lastClose = bar.close;
      book.desk.onBar(bar);
      if (!book.desk.marksEquity) return;
      const halt = book.desk.markEquity(book.desk.cash + book.desk.position * bar.close, bar.closeTime);
      if (halt === null) return;
      const e = this.event('TradingHalted', halt, `halt:${halt.account}:${halt.ts}`, bar.closeTime, event);
      await this.record([e]);
      this.applyRisk(e);
    });
  }

  /** Operator halts and resumes (the API's kill switch) apply to every book at once. */
  onRisk(event: RiskEvent): Promise<void> {
    return this.serial(async () => {
      if (event.data.account === this.config.account) this.applyRisk(event);
    });
  }

  private applyRisk(event: RiskEvent): void {
    // A redelivered old halt must not undo a later resume: each applies once.
    if (this.appliedRisk.has(event.id)) return;
    this.appliedRisk.add(event.id);
    for (const b of this.books.values()) b.desk.onEvent(event);
    this.deps.log.warn({ type: event.type, reason: event.type === 'TradingHalted' ? event.data.reason : undefined }, event.type === 'TradingHalted' ? 'trading halted' : 'trading resumed');
  }

  private async decideIfFresh(signal: Signal): Promise<boolean> {
    this.seenSignals.add(signal.id);
    const book = this.books.get(signal.data.instrument);
    if (!book) return false;
    const s = signal.data;
    const now = this.deps.clock.now();
    const age = now - s.asOf;
    if (age > this.config.maxSignalAgeMs) {
      this.deps.log.info({ signalId: signal.id, strategyId: s.strategyId, instrument: s.instrument, ageMs: age, maxSignalAgeMs: this.config.maxSignalAgeMs }, 'signal too old to trade live; skipped');
      return false;
    }
    if (s.asOf < book.newestDecided) {
      this.deps.log.info({ signalId: signal.id, asOf: s.asOf, newestDecided: book.newestDecided }, 'signal older than one already decided; skipped');
      return false;
    }
    book.newestDecided = s.asOf;
    const price = Number.isNaN(book.lastClose) ? s.price : book.lastClose;
    const equity = book.desk.cash + book.desk.position * price;
    const decisions = fitSellsToHoldings(book.desk.decide(signal, price, equity, now), book.baseHeld, book.desk.rules, price);
    if (decisions.length === 0) return true;
    // Ids from the signal alone (its time, the order's id): deciding it again after a crash repeats them, never adds a second order.
    const events = decisions.map((d) => this.event(d.type, d.data as never, `${d.type}:${d.data.clientOrderId}`, s.asOf, signal, {}, now));
    await this.record(events);
    for (const e of events) {
      book.desk.onEvent(e);
      if (e.type === 'OrderRequested') this.orders.set(e.data.clientOrderId, { state: evolveOrder(initialOrderState, e), cause: e });
      else if (e.type === 'OrderRejected') this.deps.log.warn({ clientOrderId: e.data.clientOrderId, reason: e.data.reason, correlationId: e.correlationId }, 'order refused by risk');
    }
    for (const e of events) if (e.type === 'OrderRequested') await this.submit(e.data);
    return true;
  }

  private async submit(order: OrderRequested): Promise<void> {
    const log = this.deps.log.child({ clientOrderId: order.clientOrderId, instrument: order.instrument });
    log.info({ side: order.side, type: order.type, quantity: order.quantity, limitPrice: order.limitPrice }, 'submitting order');
    let reports: readonly VenueReport[];
    try {
      reports = await this.deps.venue.submit(order);
    } catch (e) {
      if (e instanceof UnknownOrderOutcome) {
        log.warn({ err: e }, 'order outcome unknown; asking the venue by clientOrderId');
        reports = await this.followUp(order);
      } else if (e instanceof VenueRateLimited || e instanceof VenueRequestRefused) {
        // Refused before it was processed: nothing was placed, and the order stays refused (the signal's moment has passed).
        log.error({ err: e }, 'the venue refused the request; the order was not placed');
        reports = [{ type: 'OrderRejected', data: rejectionOf(order, e instanceof VenueRateLimited ? 'RATE_LIMITED' : e.code, e.message, this.deps.clock.now()) }];
      } else {
        log.error({ err: e }, 'order submission failed; the follow-up asks the venue about it');
        reports = [];
      }
    }
    await this.apply(order.clientOrderId, reports);
    const state = this.orders.get(order.clientOrderId)!.state;
    if (!terminalStatuses.has(state.status as OrderStatus)) this.watch?.track?.(order.clientOrderId, order.instrument);
  }

  /** resolveUnknownOutcome, but an unreachable venue leaves the order in flight for the next follow-up round instead of throwing. */
  private async followUp(order: OrderRequested): Promise<readonly VenueReport[]> {
    const known = knownOrderOf(this.orders.get(order.clientOrderId)!.state) ?? undefined;
    try {
      return await resolveUnknownOutcome(this.deps.venue, order, { sleep: this.sleep, now: () => this.deps.clock.now(), ...(known ? { known } : {}) });
    } catch (e) {
      this.deps.log.warn({ clientOrderId: order.clientOrderId, err: e }, 'venue still unreachable about the order; asking again on the next follow-up');
      return [];
    }
  }

  private async onVenueUpdate(update: VenueUpdate): Promise<void> {
    const cid = update.kind === 'order' ? update.order.clientOrderId : update.trade.clientOrderId ?? this.byVenueOrderId.get(update.trade.venueOrderId);
    const tracked = cid === undefined ? undefined : this.orders.get(cid);
    if (cid === undefined || tracked === undefined) return; // not an order of this executor
    const known = knownOrderOf(tracked.state);
    if (known === null) return;
    await this.apply(cid, reportsForUpdate(known, update, this.deps.clock.now()));
  }

  /** Folds venue reports into the order through the order decider and records what is new, once. */
  private async apply(clientOrderId: string, reports: readonly VenueReport[]): Promise<number> {
    const tracked = this.orders.get(clientOrderId);
    if (!tracked || reports.length === 0) return 0;
    const { events } = applyReports(tracked.state, reports);
    if (events.length === 0) return 0;
    const now = this.deps.clock.now();
    const domain = events.map(({ event, meta }) => this.venueEvent(event, meta, tracked.cause, now));
    await this.record(domain);
    for (let i = 0; i < events.length; i++) this.track(events[i]!.event, domain[i]!);
    return events.length;
  }

  /** Moves the order's state, the desk and the holdings by one recorded order event. */
  private track(event: OrderEvent, recorded: DomainEvent): void {
    const cid = event.data.clientOrderId;
    const tracked = this.orders.get(cid);
    if (!tracked) return;
    tracked.state = evolveOrder(tracked.state, event);
    const book = this.books.get(tracked.state.order?.instrument ?? '');
    switch (event.type) {
      case 'OrderAccepted':
        this.byVenueOrderId.set(event.data.venueOrderId, cid);
        break;
      case 'OrderFilled': {
        const f = event.data;
        this.byVenueOrderId.set(f.venueOrderId, cid);
        if (book) this.book(book, recorded as DomainEvent<'OrderFilled'>);
        this.deps.log.info({ clientOrderId: cid, fillId: f.fillId, side: f.side, price: f.price, quantity: f.quantity, fee: f.fee, feeCurrency: f.feeCurrency, correlationId: recorded.correlationId }, 'fill');
        break;
      }
      case 'OrderRejected':
        this.deps.log.warn({ clientOrderId: cid, reason: event.data.reason, correlationId: recorded.correlationId }, 'order rejected');
        break;
      default:
        break;
    }
  }

  /** Asks the venue about every order still in flight or open: unknown outcomes and pushes lost to a dropped connection. */
  private async followUpRound(): Promise<void> {
    for (const [cid, tracked] of [...this.orders]) {
      if (this.stopped) return;
      const s = tracked.state;
      if (s.order === null || terminalStatuses.has(s.status as OrderStatus)) continue;
      if (IN_FLIGHT.has(s.status)) {
        await this.apply(cid, await this.followUp(s.order));
        continue;
      }
      try {
        const r = await this.deps.venue.fetchOrder(cid, s.order.instrument);
        const known = knownOrderOf(s);
        if (r.found && known) await this.apply(cid, reconcileOrder(known, r.order, [], this.deps.clock.now(), 'missed-while-down').events as readonly VenueReport[]);
      } catch (e) {
        this.deps.log.warn({ clientOrderId: cid, err: e }, 'could not ask the venue about an open order; asking again on the next round');
      }
    }
  }

  private scheduleFollowUp(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.serial(() => this.followUpRound())
        .catch((e: unknown) => this.deps.log.error({ err: e }, 'order follow-up failed'))
        .finally(() => this.scheduleFollowUp());
    }, this.config.followUpIntervalMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * The books from the store: this account's orders and their events (fills move the desk), operator
   * halts and resumes, the bars' last prices; returns the fresh signals no decision answers yet.
   */
  private async recover(): Promise<Signal[]> {
    const decidedSignals = new Set<string>();
    const signals: Signal[] = [];
    for await (const { event } of this.deps.store.readAll()) {
      switch (event.type) {
        case 'OrderRequested':
          if (event.data.account !== this.config.account) break;
          this.orders.set(event.data.clientOrderId, { state: evolveOrder(initialOrderState, event), cause: event });
          this.books.get(event.data.instrument)?.desk.onEvent(event);
          if (event.data.signalId !== null) decidedSignals.add(event.data.signalId);
          break;
        case 'OrderRejected':
          if (event.data.signalId !== null) decidedSignals.add(event.data.signalId);
          if (this.orders.has(event.data.clientOrderId)) this.trackQuietly(event);
          break;
        case 'OrderSubmitted':
        case 'OrderAccepted':
        case 'OrderFilled':
        case 'OrderCancelRequested':
        case 'OrderCancelled':
        case 'OrderExpired':
          if (this.orders.has(event.data.clientOrderId)) this.trackQuietly(event);
          break;
        case 'SignalEmitted':
          if (this.books.has(event.data.instrument)) signals.push(event);
          break;
        case 'TradingHalted':
        case 'TradingResumed':
          if (event.data.account === this.config.account) {
            this.appliedRisk.add(event.id);
            for (const b of this.books.values()) b.desk.onEvent(event);
          }
          break;
        case 'BarClosed': {
          const book = this.books.get(event.data.instrument);
          if (book && event.data.openTime > book.lastBarOpen) {
            book.lastBarOpen = event.data.openTime;
            book.lastClose = event.data.close;
            book.desk.onBar(event.data);
          }
          break;
        }
        default:
          break;
      }
    }
    const pending: Signal[] = [];
    const freshFrom = this.deps.clock.now() - this.config.maxSignalAgeMs;
    for (const s of signals) {
      const book = this.books.get(s.data.instrument)!;
      if (decidedSignals.has(s.id)) book.newestDecided = Math.max(book.newestDecided, s.data.asOf);
    }
    for (const s of signals) {
      // Recorded but never decided (a crash between the two) and still fresh: decided now; the rest are history.
      if (!decidedSignals.has(s.id) && s.data.asOf >= freshFrom && s.data.asOf >= this.books.get(s.data.instrument)!.newestDecided) pending.push(s);
      else this.seenSignals.add(s.id);
    }
    pending.sort((a, b) => a.data.asOf - b.data.asOf);
    return pending;
  }

  /** Recovery replays stored events: the same bookkeeping as live, without the log lines. */
  private trackQuietly(event: DomainEvent<'OrderSubmitted' | 'OrderAccepted' | 'OrderFilled' | 'OrderCancelRequested' | 'OrderCancelled' | 'OrderExpired' | 'OrderRejected'>): void {
    const tracked = this.orders.get(event.data.clientOrderId)!;
    const e = { type: event.type, data: event.data } as OrderEvent;
    if (event.type !== 'OrderFilled') {
      tracked.state = evolveOrder(tracked.state, e);
      if (event.type === 'OrderAccepted') this.byVenueOrderId.set(event.data.venueOrderId, event.data.clientOrderId);
      return;
    }
    if (tracked.state.fillIds.includes(event.data.fillId)) return;
    tracked.state = evolveOrder(tracked.state, e);
    this.byVenueOrderId.set(event.data.venueOrderId, event.data.clientOrderId);
    const book = this.books.get(event.data.instrument);
    if (book) this.book(book, event);
  }

  /** A fill into the desk as the account holds it, and into the base-asset holdings. */
  private book(book: Book, fill: DomainEvent<'OrderFilled'>): void {
    book.desk.onEvent({ ...fill, data: asHeld(fill.data, book.base) });
    const f = fill.data;
    book.baseHeld = round12(book.baseHeld + (f.side === 'buy' ? f.quantity : -f.quantity) - (f.feeCurrency === book.base ? f.fee : 0));
  }

  /** Closes the gap with the venue: what it did while we were down, orders it never got, orders of ours the store never saw. */
  private async reconcile(): Promise<{ reconciled: number; anomalies: number }> {
    const now = this.deps.clock.now();
    const states = [...this.orders.values()].map((o) => o.state);
    const instruments = [...new Set([...this.config.instruments, ...states.filter((s) => s.order && !terminalStatuses.has(s.status as OrderStatus)).map((s) => s.order!.instrument)])];
    const result = await reconcileWithVenue(this.deps.venue, states, {
      now: () => this.deps.clock.now(), instruments, account: this.config.account,
      since: this.config.reconcileSinceMs ?? now - 86_400_000,
    });
    for (const a of result.anomalies) this.deps.log.warn(a, 'the venue and the store disagree about an order (needs a human)');
    let reconciled = 0;
    for (const r of result.events) {
      if (r.type === 'OrderRequested') {
        const data: OrderRequested = { ...r.data, account: this.config.account, venue: this.deps.venue.name };
        const e = this.event('OrderRequested', data, `OrderRequested:${data.clientOrderId}`, data.ts, null, r.meta);
        await this.record([e]);
        this.orders.set(data.clientOrderId, { state: evolveOrder(initialOrderState, e), cause: e });
        this.books.get(data.instrument)?.desk.onEvent(e);
        this.deps.log.warn({ clientOrderId: data.clientOrderId, instrument: data.instrument }, 'the venue has an order of ours the store never recorded; recorded it now');
        reconciled++;
        continue;
      }
      reconciled += await this.apply(r.data.clientOrderId, [r]);
    }
    return { reconciled, anomalies: result.anomalies.length };
  }

  private venueEvent(event: OrderEvent, meta: VenueReportMeta, cause: DomainEvent | null, now: number): DomainEvent {
    const cid = event.data.clientOrderId;
    // Ids must not depend on which path reported the fact (submit's answer, a push, a follow-up): fills by the exchange's trade id, the rest once per order.
    const key = event.type === 'OrderFilled' ? `fill:${this.deps.venue.name}:${event.data.instrument}:${event.data.fillId}` : `${event.type}:${cid}`;
    const at = event.type === 'OrderFilled' ? event.data.ts : cause ? Date.parse(cause.occurredAt) : now;
    const occurred = 'ts' in event.data ? event.data.ts : now;
    return this.event(event.type, event.data as never, key, at, cause, meta, occurred);
  }

  private event<T extends EventType>(
    type: T, data: EventData<T>, key: string, at: number, cause: DomainEvent | null, meta: Readonly<Record<string, unknown>> = {}, occurredAt = at,
  ): DomainEvent<T> {
    return makeEvent(type, data, {
      id: derivedId(`${this.config.account}:${key}`, at),
      occurredAt,
      recordedAt: this.deps.clock.now(),
      causationId: cause?.id ?? null,
      ...(cause ? { correlationId: cause.correlationId } : {}),
      meta,
    });
  }

  /** The store first (the system of record, idempotent by id), then the bus for everyone else. */
  private async record(events: readonly DomainEvent[]): Promise<void> {
    for (const e of events) await this.deps.store.append(e.stream, [e], 'any');
    for (const e of events) await this.deps.bus.publish(catalog[e.type].topic, e.key, [e]);
  }
}

function rejectionOf(order: OrderRequested, code: string, message: string, ts: number) {
  const reason: RejectionReason = { kind: 'VenueRejected', code: code.slice(0, 64), message: message.slice(0, 512) };
  return { clientOrderId: order.clientOrderId, signalId: order.signalId, strategyId: order.strategyId, instrument: order.instrument, reason, ts };
}

const round12 = (x: number): number => Math.round(x * 1e12) / 1e12;

/**
 * A fill as the account holds it. A fee charged in the base asset (Binance charges a buy's fee in what
 * it bought) leaves the account with less of it than was traded; booked as a quote-currency fee, the
 * desk would count the whole quantity and never see itself flat after selling all it holds. So the
 * desk books the quantity net of that fee, at the price that keeps the cash paid or received exact.
 * The event keeps the exchange's own numbers.
 */
export function asHeld(fill: OrderFilled, base: string): OrderFilled {
  if (fill.feeCurrency !== base || fill.fee === 0) return fill;
  const net = fill.side === 'buy' ? fill.quantity - fill.fee : fill.quantity + fill.fee;
  if (!(net > 0)) return fill;
  return { ...fill, quantity: net, price: (fill.price * fill.quantity) / net, fee: 0 };
}

/**
 * A spot account can sell only what it holds. The desk books a fee charged in the base asset as cash,
 * so after a buy it counts the whole quantity while the account holds it less the fee: a sell of the
 * desk's position would be refused for lack of balance. Sells are cut to the holdings (rounded down to
 * the lot step); one that cannot be cut to a tradeable size becomes a rejection the audit trail explains.
 */
export function fitSellsToHoldings(decisions: readonly OrderDecision[], held: number, rules: VenueRules, price: number): readonly OrderDecision[] {
  let available = Math.max(0, held);
  return decisions.map((d) => {
    if (d.type !== 'OrderRequested' || d.data.side !== 'sell' || !d.data.reduceOnly) return d;
    if (d.data.quantity <= available * (1 + 1e-12)) {
      available -= d.data.quantity;
      return d;
    }
    const quantity = roundToLot(available, rules.lotStep);
    if (quantity > 0 && quantity >= rules.minQuantity && quantity * price >= rules.minNotional) {
      available -= quantity;
      return { ...d, data: { ...d.data, quantity } };
    }
    const reason: RejectionReason = { kind: 'InsufficientFunds', available: quantity * price, required: d.data.quantity * price };
    const o = d.data;
    return { type: 'OrderRejected', data: { clientOrderId: o.clientOrderId, signalId: o.signalId, strategyId: o.strategyId, instrument: o.instrument, reason, ts: o.ts } } as OrderDecision;
  });
}
