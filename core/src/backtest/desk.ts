// The trading desk a replay drives: the live executor, risk and portfolio code, with the state they need between bars.
import type { BarClosed, DomainEvent, TradingHalted } from '@qts/schemas';
import type { LoggedEvent } from './event-log.ts';
import { Atr } from '../indicators/atr.ts';
import { decideOrders, type ExecutionContext, type ExecutorConfig, type OrderDecision, type VenueRules } from '../executor/index.ts';
import { applyFill, emptyPortfolio, equityExact, markPrice, positionOf, type Portfolio } from '../portfolio/index.ts';
import { evolveRisk, initialRiskState, markEquity, type RiskLimits, type RiskState } from '../risk/index.ts';
import { quoteCurrency, SimulatedVenue, defaultVenueConfig, type SimulatedVenueConfig } from '../venue/simulated-venue.ts';

export interface DeskOptions {
  /** Starting cash in the quote currency. Default 10,000. */
  readonly cash?: number;
  /** Defaults: long-only, all-in (percent-equity 100), market orders, GTC; what Freqtrade and backtesting.py users expect. */
  readonly executor?: Partial<ExecutorConfig>;
  /** The venue's grids; fees come from the venue config. Defaults: 1e-8 steps, no minimums. */
  readonly rules?: Partial<Omit<VenueRules, 'makerFeeBps' | 'takerFeeBps'>>;
  readonly limits?: RiskLimits;
}

export const defaultExecutorConfig: ExecutorConfig = {
  account: 'backtest', venue: 'sim', sizing: { kind: 'percent-equity', percent: 100 }, orderType: 'market',
  limitOffsetBps: 0, allowShort: false, timeInForce: 'GTC',
};

/** ATR period for volatility-target sizing (Wilder's usual 14). */
const ATR_PERIOD = 14;

export class Desk {
  readonly startingCash: number;
  readonly config: ExecutorConfig;
  readonly rules: VenueRules;
  readonly limits: RiskLimits;
  /** True when a daily-loss or drawdown limit needs the equity at every close. */
  readonly marksEquity: boolean;
  private portfolio: Portfolio;
  private risk: RiskState;
  private readonly atr: Atr | null;
  /** Float mirrors of the portfolio, refreshed on each fill, for the per-bar mark. */
  cash: number;
  position = 0;
  averagePrice = 0;
  totalFees = 0;

  constructor(readonly instrument: string, venue: SimulatedVenueConfig, options: DeskOptions) {
    this.startingCash = options.cash ?? 10_000;
    this.cash = this.startingCash;
    this.config = { ...defaultExecutorConfig, venue: venue.venue ?? 'sim', ...options.executor };
    this.rules = { tickSize: 1e-8, lotStep: 1e-8, minQuantity: 0, minNotional: 0, ...options.rules, makerFeeBps: venue.makerFeeBps, takerFeeBps: venue.takerFeeBps };
    this.limits = options.limits ?? {};
    this.marksEquity = this.limits.maxDailyLoss !== undefined || this.limits.maxDrawdownPct !== undefined;
    this.portfolio = emptyPortfolio(this.startingCash, quoteCurrency(instrument));
    this.risk = initialRiskState();
    this.atr = this.config.sizing.kind === 'volatility-target' ? new Atr(ATR_PERIOD) : null;
  }

  onBar(bar: BarClosed): void {
    this.atr?.update(bar.high, bar.low, bar.close);
  }

  /** Every recorded event passes here: fills move the portfolio; risk evolves on what it follows. */
  onEvent(event: LoggedEvent): void {
    switch (event.type) {
      case 'OrderFilled': {
        this.portfolio = applyFill(this.portfolio, event.data);
        const p = positionOf(this.portfolio, this.instrument);
        // Below half a lot is float dust the executor treats as flat; so does the per-bar mark.
        this.position = Math.abs(p.quantity) < this.rules.lotStep / 2 ? 0 : p.quantity;
        this.averagePrice = p.averagePrice;
        this.cash = this.portfolio.cash;
        this.totalFees = this.portfolio.fees;
        const realised = this.portfolio.lastRealizedPnl;
        if (realised !== 0) evolveRisk(this.risk, { type: 'PnlRealised', data: { instrument: this.instrument, pnl: realised, ts: event.data.ts } });
        return;
      }
      case 'OrderRequested':
        evolveRisk(this.risk, { type: 'OrderRequested', data: event.data });
        return;
      case 'TradingHalted':
      case 'TradingResumed':
        evolveRisk(this.risk, { type: event.type, data: event.data } as never);
        return;
      default:
        return;
    }
  }

  /** The per-bar kill-switch check; a halt to record, or null. */
  markEquity(equity: number, ts: number): TradingHalted | null {
    return markEquity(this.risk, this.config.account, equity, ts, this.limits);
  }

  decide(signal: DomainEvent<'SignalEmitted'>, lastPrice: number, equity: number, now: number): readonly OrderDecision[] {
    const ctx: ExecutionContext = {
      position: { quantity: this.position, averagePrice: this.averagePrice },
      equity, cash: this.cash, lastPrice, rules: this.rules, risk: this.risk, limits: this.limits, now,
      ...(this.atr?.isReady ? { atr: this.atr.value } : {}),
    };
    return decideOrders(signal, ctx, this.config);
  }

  /** Equity at the last close, from the portfolio's exact sums. */
  finalEquity(lastPrice: number, ts: number): number {
    if (lastPrice > 0) this.portfolio = markPrice(this.portfolio, this.instrument, lastPrice, ts);
    return equityExact(this.portfolio).toNumber();
  }
}

/**
 * A desk and the simulated venue it trades on, wired the one way a backtest and the live paper executor
 * both use: partial fills rounded to the desk's lot step, and buys capped by the desk's cash (a spot account).
 */
export function openPaperBook(instrument: string, venue: Partial<SimulatedVenueConfig>, options: DeskOptions): { desk: Desk; venue: SimulatedVenue; venueConfig: SimulatedVenueConfig } {
  const venueConfig: SimulatedVenueConfig = { ...defaultVenueConfig, lotStep: options.rules?.lotStep ?? 1e-8, ...venue };
  const desk = new Desk(instrument, venueConfig, options);
  return { desk, venue: new SimulatedVenue(venueConfig, () => desk.cash), venueConfig };
}
