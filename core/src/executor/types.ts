// What the executor needs to turn a signal into orders: venue rules, sizing, its config and the context.
import type { OrderRejected, OrderRequested, OrderType } from '@qts/schemas';
import type { RiskLimits, RiskState } from '../risk/limits.ts';

/** The venue's increments and fees for one instrument. */
export interface VenueRules {
  readonly tickSize: number;
  readonly lotStep: number;
  readonly minQuantity: number;
  readonly minNotional: number;
  readonly makerFeeBps: number;
  readonly takerFeeBps: number;
}

export type Sizing =
  | { readonly kind: 'fixed-quantity'; readonly quantity: number }
  | { readonly kind: 'fixed-notional'; readonly notional: number }
  /** percent 100 = all-in (after the taker fee); capped by cash for buys. */
  | { readonly kind: 'percent-equity'; readonly percent: number }
  /** quantity = equity * riskPercent / 100 / (ATR * atrMultiple); capped by cash for buys. */
  | { readonly kind: 'volatility-target'; readonly riskPercent: number; readonly atrMultiple: number };

export interface ExecutorConfig {
  readonly account: string;
  readonly venue: string;
  readonly sizing: Sizing;
  readonly orderType: OrderType;
  /**
   * Distance of a limit or stop from the signal price in basis points. Limits sit on the passive side
   * (buy below, sell above; negative = marketable); stops on the breakout side (buy above, sell below).
   */
  readonly limitOffsetBps: number;
  /** Protective stop-loss this many percent from the entry price (reduce-only child order). */
  readonly stopLossPct?: number;
  /** Take-profit this many percent from the entry price (reduce-only child limit order). */
  readonly takeProfitPct?: number;
  /** false (default): long-only; a short target means flat. */
  readonly allowShort: boolean;
  readonly timeInForce: 'GTC' | 'IOC' | 'FOK' | 'DAY';
  /** Scale the size by the signal's strength (0..1). Default false. */
  readonly scaleByStrength?: boolean;
}

export interface ExecutionContext {
  /** This instrument's position: signed quantity, average entry price. */
  readonly position: { readonly quantity: number; readonly averagePrice: number };
  readonly equity: number;
  readonly cash: number;
  readonly lastPrice: number;
  /** Average true range, needed by volatility-target sizing only. */
  readonly atr?: number;
  /** Sum of |position| * price over all instruments; defaults to this instrument's alone. */
  readonly grossExposure?: number;
  readonly rules: VenueRules;
  readonly risk: RiskState;
  readonly limits: RiskLimits;
  /** Decision time (event time of the signal in a backtest); the orders' ts. */
  readonly now: number;
}

export type OrderDecision =
  | { readonly type: 'OrderRequested'; readonly data: OrderRequested }
  | { readonly type: 'OrderRejected'; readonly data: OrderRejected };

export type OrderLeg = 'entry' | 'exit' | 'stop-loss' | 'take-profit';
