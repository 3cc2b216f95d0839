// The Live page's state: which chart is shown, the feed channels it reads, and the account's equity curve.
import { get, query, type Bar, type Equity, type EquityPoint, type Fill, type Instrument, type Order, type Position, type Signal } from './api.ts';
import type { Marker } from './charts.svelte.ts';
import { feed, type FeedChannel } from './feed.svelte.ts';
import { barTime, timeframeMs } from './indicators.ts';

export const timeframes = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
const openStatuses = new Set(['requested', 'submitted', 'accepted', 'partially-filled']);

export class LiveView {
  #instruments = $state.raw<Instrument[]>([]);
  #instrument = $state('');
  #timeframe = $state('5m');
  #smaPeriods = $state.raw<number[]>([20, 50]);
  #curve = $state.raw<EquityPoint[]>([]);
  #curveLoadedAt = -Infinity;
  #bars = $state.raw<FeedChannel<Bar[]> | null>(null);
  /** Bars older than the live snapshot, loaded page by page when the chart is scrolled to its left edge. */
  #history = $state.raw<Bar[]>([]);
  #historyDone = false;
  #loadingHistory: Promise<void> | null = null;
  #all = $derived.by(() => {
    const live = this.#bars?.data ?? [];
    if (this.#history.length === 0) return live;
    const last = this.#history[this.#history.length - 1]!.openTime;
    const from = live.findIndex((b) => b.openTime > last);
    return from === -1 ? this.#history : [...this.#history, ...live.slice(from)];
  });

  get instruments(): Instrument[] { return this.#instruments; }
  get instrument(): string { return this.#instrument; }
  set instrument(v: string) { this.#instrument = v; this.#pick(); }
  get timeframe(): string { return this.#timeframe; }
  set timeframe(v: string) { this.#timeframe = v; this.#pick(); }
  get smaPeriods(): number[] { return this.#smaPeriods; }
  set smaPeriods(v: number[]) { this.#smaPeriods = v.filter((p) => Number.isInteger(p) && p > 0 && p <= 1000); }

  get bars(): Bar[] { return this.#all; }

  /**
   * Loads up to `pageSize` bars before the first one shown (REST /bars, a time window ending at it);
   * stops asking once a window comes back empty.
   */
  loadOlder(pageSize = 1000): Promise<void> {
    const first = this.#all[0];
    if (!first || this.#historyDone || this.#loadingHistory) return this.#loadingHistory ?? Promise.resolve();
    const key = `${this.#instrument}:${this.#timeframe}`;
    const tf = timeframeMs(this.#timeframe);
    this.#loadingHistory = (async () => {
      try {
        const page = await get<{ items: Bar[] }>(`/bars${query({ instrument: this.#instrument, timeframe: this.#timeframe, venue: first.venue, from: Math.max(0, first.openTime - pageSize * tf), to: first.openTime, limit: pageSize })}`);
        if (key !== `${this.#instrument}:${this.#timeframe}`) return;
        if (page.items.length === 0) { this.#historyDone = true; return; }
        this.#history = [...page.items, ...this.#history];
      } finally {
        this.#loadingHistory = null;
      }
    })();
    return this.#loadingHistory;
  }

  /** Called from event handlers and async callbacks only, never while rendering (see LiveFeed's constructor). */
  #pick(): void {
    this.#bars = this.#instrument ? feed.channel<Bar[]>(`bars:${this.#instrument}:${this.#timeframe}`) : null;
    this.#history = [];
    this.#historyDone = false;
  }
  get signals(): Signal[] { return feed.channel<Signal[]>('signals').data ?? []; }
  get fills(): Fill[] { return feed.channel<Fill[]>('fills').data ?? []; }
  get orders(): Order[] { return feed.channel<Order[]>('orders').data ?? []; }
  get openOrders(): Order[] { return this.orders.filter((o) => openStatuses.has(o.status)); }
  /** Account-wide positions (strategyId '*'), open ones first. */
  get positions(): Position[] {
    return (feed.channel<Position[]>('positions').data ?? []).filter((p) => p.strategyId === '*').sort((a, b) => Math.abs(b.quantity) - Math.abs(a.quantity));
  }
  get pnl(): Equity[] { return feed.channel<Equity[]>('pnl').data ?? []; }
  get curve(): EquityPoint[] { return this.#curve; }

  /** Signals and fills of the shown instrument placed on the bar they belong to. */
  get markers(): Marker[] {
    const bars = this.bars;
    if (bars.length === 0) return [];
    const tf = timeframeMs(this.#timeframe);
    const first = bars[0]!.openTime;
    const out: Marker[] = [];
    for (const s of this.signals) {
      // asOf is the close of the bar that produced the signal.
      const t = barTime(s.asOf - 1, tf);
      if (s.instrument === this.#instrument && t >= first) out.push({ time: t, kind: s.direction, text: '' });
    }
    for (const f of this.fills) {
      const t = barTime(f.ts, tf);
      if (f.instrument === this.#instrument && t >= first) out.push({ time: t, kind: f.side, text: f.side === 'buy' ? 'B' : 'S' });
    }
    return out;
  }

  async loadInstruments(): Promise<void> {
    this.#instruments = await get<Instrument[]>('/instruments');
    if (!this.#instrument && this.#instruments[0]) this.instrument = this.#instruments[0].instrument;
  }

  /** Reloads the equity curve at most every two seconds (called when the account's PnL moves). */
  async refreshCurve(account: string, force = false): Promise<void> {
    const now = performance.now();
    if (!force && now - this.#curveLoadedAt < 2000) return;
    this.#curveLoadedAt = now;
    const points: EquityPoint[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: EquityPoint[]; nextCursor: string | null } = await get(`/equity/${encodeURIComponent(account)}${query({ limit: 1000, cursor })}`);
      points.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && points.length < 50_000);
    this.#curve = points;
  }
}

/** One for the app, so the chosen instrument, timeframe and overlays survive switching pages. */
export const liveView = new LiveView();
