// Where a resting order would fill inside one bar, under a conservative intrabar assumption.
//
// A bar only tells us open, high, low and close, not the path between them. The rules below never
// assume a favourable path:
// - market orders fill at the bar's open, moved against the taker by the slippage;
// - a limit order fills only when the bar trades THROUGH its price (buy: low < limit; sell:
//   high > limit); merely touching it is not enough, because a touch may have filled the queue in
//   front of us. It then fills at the limit, as a maker. When the bar OPENS through the limit (the
//   order is marketable at the open: on arrival, or after a gap) it fills at the open as a taker,
//   slipped but never past the limit. So a fill price always lies inside the bar's range;
// - a stop triggers when the bar touches it (buy: high >= stop; sell: low <= stop) and fills as a
//   taker at the stop plus slippage, or at the open plus slippage when the bar gapped through it;
// - a stop-limit that triggers inside the bar only becomes a resting limit from the NEXT bar (we do
//   not know where price went after the trigger), unless the open itself triggered it;
// - when a stop-loss and a take-profit of the same position could both trigger in one bar, the
//   stop-loss is taken to have hit first (the venue evaluates stops before limits, and protective
//   siblings are one-cancels-other).
import type { Side } from '@qts/schemas';

/** The part of a bar (or tick, as a degenerate bar) the fill rules read. */
export interface BarPrices {
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface FillPrice {
  readonly price: number;
  readonly liquidity: 'maker' | 'taker';
}

/** Moves a price against the taker: buyers pay more, sellers receive less. */
export function slipped(price: number, side: Side, slippageBps: number): number {
  return side === 'buy' ? price * (1 + slippageBps / 10_000) : price * (1 - slippageBps / 10_000);
}

export function marketFill(bar: BarPrices, side: Side, slippageBps: number): FillPrice {
  return { price: slipped(bar.open, side, slippageBps), liquidity: 'taker' };
}

/** Null when the bar does not trade through the limit (see the rules above). */
export function limitFill(bar: BarPrices, side: Side, limit: number, slippageBps: number): FillPrice | null {
  if (side === 'buy') {
    if (bar.open <= limit) return { price: Math.min(slipped(bar.open, side, slippageBps), limit), liquidity: 'taker' };
    return bar.low < limit ? { price: limit, liquidity: 'maker' } : null;
  }
  if (bar.open >= limit) return { price: Math.max(slipped(bar.open, side, slippageBps), limit), liquidity: 'taker' };
  return bar.high > limit ? { price: limit, liquidity: 'maker' } : null;
}

export function stopTriggered(bar: BarPrices, side: Side, stop: number): boolean {
  return side === 'buy' ? bar.high >= stop : bar.low <= stop;
}

/** True when the bar opened beyond the stop: a gap, so the fill is at the open, not the stop. */
export function stopGapped(bar: BarPrices, side: Side, stop: number): boolean {
  return side === 'buy' ? bar.open >= stop : bar.open <= stop;
}

/** Null when the stop does not trigger in this bar. */
export function stopMarketFill(bar: BarPrices, side: Side, stop: number, slippageBps: number): FillPrice | null {
  if (!stopTriggered(bar, side, stop)) return null;
  const base = stopGapped(bar, side, stop) ? bar.open : stop;
  return { price: slipped(base, side, slippageBps), liquidity: 'taker' };
}
