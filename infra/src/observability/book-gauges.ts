// Gauges of the books fed from events: orders by status from the order lifecycle, equity and PnL from fills and bar marks, halts.
import type { DomainEvent } from '@qts/schemas';
import { applyFill, emptyPortfolio, equity, markPrice, unrealizedPnl, type Portfolio } from '@qts/core';
import type { Gauge } from 'prom-client';
import type { SystemMetrics } from './metrics.ts';

type Status = 'requested' | 'submitted' | 'accepted' | 'partially-filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';

interface LiveOrder {
  readonly account: string;
  status: Status;
  readonly quantity: number;
  filled: number;
}

/** How many finished order ids are remembered, so a redelivered lifecycle event does not count twice. */
const RECENT_TERMINAL = 10_000;

export interface BookGaugesOptions {
  /** Starting cash per account, as the executor's books start. */
  readonly startingCash: Readonly<Record<string, number>>;
  /** The account of an order whose request this process never saw (a rejection before any request). */
  readonly defaultAccount: string;
}

/**
 * Folds order, fill, bar and risk events into gauges. Idempotent under redelivery: a fill id is booked
 * once; a lifecycle event of a finished order (within the last 10 000) changes nothing.
 */
export class BookGauges {
  private readonly live = new Map<string, LiveOrder>();
  private readonly finished = new Set<string>();
  private readonly books = new Map<string, Portfolio>();
  private readonly statusGauges = new Map<string, Gauge.Internal<'account' | 'status'>>();

  constructor(private readonly metrics: SystemMetrics, private readonly options: BookGaugesOptions) {
    for (const account of Object.keys(options.startingCash)) this.publishBook(account, this.book(account));
  }

  observe(e: DomainEvent): void {
    switch (e.type) {
      case 'BarClosed': {
        for (const [account, p] of this.books) {
          if (!p.positions.has(e.data.instrument)) continue;
          markPrice(p, e.data.instrument, e.data.close, e.data.closeTime);
          this.publishBook(account, p);
        }
        return;
      }
      case 'OrderRequested': {
        const id = e.data.clientOrderId;
        if (this.live.has(id) || this.finished.has(id)) return;
        this.live.set(id, { account: e.data.account, status: 'requested', quantity: e.data.quantity, filled: 0 });
        this.status(e.data.account, 'requested').inc();
        return;
      }
      case 'OrderSubmitted': return this.move(e.data.clientOrderId, 'submitted');
      case 'OrderAccepted': return this.move(e.data.clientOrderId, 'accepted');
      case 'OrderCancelled': return this.move(e.data.clientOrderId, 'cancelled');
      case 'OrderExpired': return this.move(e.data.clientOrderId, 'expired');
      case 'OrderRejected': {
        const id = e.data.clientOrderId;
        if (this.finished.has(id)) return;
        this.metrics.rejections.inc({ reason: e.data.reason.kind });
        if (this.live.has(id)) return this.move(id, 'rejected');
        // Refused before it was requested (risk or sizing said no): it exists only as a rejection.
        this.status(this.options.defaultAccount, 'rejected').inc();
        this.finish(id);
        return;
      }
      case 'OrderFilled': {
        const order = this.live.get(e.data.clientOrderId);
        const account = order?.account ?? this.options.defaultAccount;
        const p = this.book(account);
        applyFill(p, e.data);
        if (p.lastFillDuplicate) return;
        this.metrics.fills.inc({ account, instrument: e.data.instrument, side: e.data.side });
        this.publishBook(account, p);
        if (order) {
          order.filled += e.data.quantity;
          // A float tolerance: the quantities were rounded to the venue's step, their sum may differ in the last bit.
          this.move(e.data.clientOrderId, order.filled >= order.quantity * (1 - 1e-9) ? 'filled' : 'partially-filled');
        }
        return;
      }
      case 'TradingHalted': this.metrics.halted.set({ account: e.data.account }, 1); return;
      case 'TradingResumed': this.metrics.halted.set({ account: e.data.account }, 0); return;
      default: return;
    }
  }

  private move(id: string, to: Status): void {
    const order = this.live.get(id);
    if (!order || order.status === to) return;
    this.status(order.account, order.status).dec();
    this.status(order.account, to).inc();
    order.status = to;
    if (to === 'filled' || to === 'cancelled' || to === 'rejected' || to === 'expired') {
      this.live.delete(id);
      this.finish(id);
    }
  }

  private finish(id: string): void {
    this.finished.add(id);
    if (this.finished.size > RECENT_TERMINAL) this.finished.delete(this.finished.values().next().value!);
  }

  private status(account: string, status: Status): Gauge.Internal<'account' | 'status'> {
    const key = `${account}\u0000${status}`;
    let g = this.statusGauges.get(key);
    if (!g) this.statusGauges.set(key, g = this.metrics.orders.labels({ account, status }));
    return g;
  }

  private book(account: string): Portfolio {
    let p = this.books.get(account);
    if (!p) this.books.set(account, p = emptyPortfolio(this.options.startingCash[account] ?? 0));
    return p;
  }

  private publishBook(account: string, p: Portfolio): void {
    const m = this.metrics;
    m.equity.set({ account }, equity(p));
    m.cash.set({ account }, p.cash);
    m.realizedPnl.set({ account }, p.realizedPnl);
    m.unrealizedPnl.set({ account }, unrealizedPnl(p));
    m.fees.set({ account }, p.fees);
  }
}
