// runBacktest: a replay of recorded bars through the live strategy, executor, risk and portfolio code with the simulated venue and a virtual clock.
//
// Per bar, in this order (the same order the live system sees the facts):
//   1. the venue trades the resting orders on this bar (market orders at its open, see venue/fill-rules.ts);
//   2. the portfolio applies the fills, risk evolves on them;
//   3. the position is marked at the close; risk is told the equity (only when a loss/drawdown limit is set);
//   4. the strategy sees the closed bar; its intents become SignalEmitted events at the bar's close time;
//   5. the executor turns each signal into orders (after its risk checks), which go to the venue and
//      can fill from the next bar on: a signal at a close trades at the next open, never at that close.
// The hot path allocates nothing per bar: bars stay in Float64Arrays, and the strategy is fed one
// reused mutable BarClosed-shaped object. Strategies must not keep a reference to the bar they get.
import type { BarClosed, DomainEvent } from '@qts/schemas';
import { timeframeToMs } from '@qts/schemas';
import { VirtualClock } from '../ports/clock.ts';
import { signalData, type Strategy } from '../strategies/strategy.ts';
import type { SimulatedVenueConfig, VenueEvent } from '../venue/simulated-venue.ts';
import { openPaperBook, type DeskOptions } from './desk.ts';
import { EventLog, type LoggedEvent } from './event-log.ts';
import { computeMetrics, periodsPerYearFor, type Metrics } from './metrics.ts';
import { seriesFromBars, type BarSeries } from './series.ts';
import { TradeBook, type RoundTrip } from './trades.ts';

export interface BacktestInput<P, S> extends DeskOptions {
  readonly bars: BarSeries | Iterable<BarClosed>;
  readonly strategy: Strategy<P, S>;
  /** Already validated (parseStrategyParams). */
  readonly params: P;
  /** Names the strategy instance in signals and orders; default `<kind>`. */
  readonly strategyId?: string;
  readonly venue?: Partial<SimulatedVenueConfig>;
  /** Seeds the event ids: the same input and seed give the same event hash. Default 1. */
  readonly seed?: number;
  /** Keep the event objects in the result (the hash is always computed). Default false. */
  readonly keepEvents?: boolean;
  /** Bars before this index only warm the strategy up: their signals are not traded (walk-forward). */
  readonly tradeFrom?: number;
  /** Overrides the annualisation (see metrics.ts). */
  readonly periodsPerYear?: number;
}

export interface EquityCurve {
  /** Bar close times (epoch ms). */
  readonly time: Float64Array;
  readonly equity: Float64Array;
}

export interface BacktestResult {
  readonly metrics: Metrics;
  readonly trades: readonly RoundTrip[];
  readonly equityCurve: EquityCurve;
  readonly events: readonly DomainEvent[] | null;
  readonly eventHash: string;
  readonly eventCount: number;
  readonly signals: number;
  readonly orders: number;
  readonly fills: number;
  /** The position still open after the last bar (marked at its close, not force-closed). */
  readonly openPosition: number;
}

/**
 * Replays `bars` through `strategy` and the trading code.
 * @example
 * const r = runBacktest({ bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000 });
 * r.metrics.sharpe; r.eventHash;
 */
export function runBacktest<P, S>(input: BacktestInput<P, S>): BacktestResult {
  const series = isSeries(input.bars) ? input.bars : seriesFromBars(input.bars);
  const n = series.length;
  const barMs = timeframeToMs(series.timeframe);
  const strategyId = input.strategyId ?? input.strategy.kind;
  const seed = input.seed ?? 1;
  const tradeFrom = input.tradeFrom ?? 0;
  const log = new EventLog(seed, input.keepEvents ?? false);
  const clock = new VirtualClock(n > 0 ? series.openTime[0]! : 0);
  const { desk, venue } = openPaperBook(series.instrument, input.venue ?? {}, input);
  const book = new TradeBook(series.instrument);
  const causes = new Map<string, LoggedEvent>();

  const { openTime, open, high, low, close, volume } = series;
  const equityOut = new Float64Array(n);
  const timeOut = new Float64Array(n);
  // The one bar object the strategy and the venue read; refilled in place for every bar.
  const bar: { -readonly [K in keyof BarClosed]: BarClosed[K] } = {
    instrument: series.instrument, venue: series.venue, timeframe: series.timeframe,
    openTime: 0, closeTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0,
  };
  let state = input.strategy.init(input.params);
  let barsInMarket = 0;
  let signals = 0;
  let orders = 0;
  let fills = 0;

  const recordVenue = (events: readonly VenueEvent[], at: number): void => {
    for (const e of events) {
      const cause = causes.get(e.data.clientOrderId);
      const event = log.record(e.type, e.data as never, e.data.ts, at, cause);
      if (e.type === 'OrderFilled') {
        fills++;
        const f = e.data;
        book.onFill(f.side, f.price, f.quantity, f.fee, f.ts);
      }
      desk.onEvent(event);
      if (e.type !== 'OrderSubmitted' && e.type !== 'OrderAccepted' && e.type !== 'OrderFilled') causes.delete(e.data.clientOrderId);
    }
  };

  for (let i = 0; i < n; i++) {
    const t = openTime[i]!;
    bar.openTime = t;
    bar.closeTime = t + barMs;
    bar.open = open[i]!;
    bar.high = high[i]!;
    bar.low = low[i]!;
    bar.close = close[i]!;
    bar.volume = volume[i]!;
    clock.advanceTo(t);
    if (venue.hasOpenOrders) recordVenue(venue.onBar(bar), t);

    clock.advanceTo(bar.closeTime);
    const equity = desk.cash + desk.position * bar.close;
    equityOut[i] = equity;
    timeOut[i] = bar.closeTime;
    if (desk.position !== 0) barsInMarket++;
    if (desk.marksEquity) {
      const halt = desk.markEquity(equity, bar.closeTime);
      if (halt !== null) desk.onEvent(log.record('TradingHalted', halt, bar.closeTime, bar.closeTime));
    }
    desk.onBar(bar);

    const step = input.strategy.onBar(state, bar);
    state = step[0];
    const intents = step[1];
    if (intents.length === 0 || i < tradeFrom) continue;
    for (const intent of intents) {
      signals++;
      const signal = log.recordEnvelope('SignalEmitted', signalData(strategyId, bar, intent), bar.closeTime, clock.now());
      const decisions = desk.decide(signal, bar.close, equity, clock.now());
      // New orders replace whatever the previous signal left resting (stale brackets, unfilled limits).
      if (venue.hasOpenOrders && decisions.some((d) => d.type === 'OrderRequested')) {
        recordVenue(venue.cancelAll(series.instrument, clock.now(), 'replaced by a new signal'), clock.now());
      }
      for (const d of decisions) {
        const event = log.record(d.type, d.data as never, bar.closeTime, clock.now(), signal);
        desk.onEvent(event);
        if (d.type === 'OrderRequested') {
          orders++;
          causes.set(d.data.clientOrderId, event);
          recordVenue(venue.submit(d.data, clock.now()), clock.now());
        }
      }
    }
  }

  const lastClose = n > 0 ? close[n - 1]! : 0;
  const finalEquity = desk.finalEquity(lastClose, n > 0 ? timeOut[n - 1]! : 0);
  if (n > 0) equityOut[n - 1] = finalEquity;
  const cash = desk.startingCash;
  const span = n > 0 ? timeOut[n - 1]! - openTime[0]! : 0;
  const metrics = computeMetrics({
    startEquity: cash, equity: equityOut, trades: book.trades, barsInMarket,
    periodsPerYear: input.periodsPerYear ?? periodsPerYearFor(barMs, n, span), barMs, totalFees: desk.totalFees,
  });
  return {
    metrics, trades: book.trades, equityCurve: { time: timeOut, equity: equityOut },
    events: log.events, eventHash: log.digest(), eventCount: log.count, signals, orders, fills, openPosition: desk.position,
  };
}

function isSeries(bars: BarSeries | Iterable<BarClosed>): bars is BarSeries {
  return (bars as BarSeries).close instanceof Float64Array;
}
