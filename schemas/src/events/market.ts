// Market data events: trade ticks, top-of-book quotes and closed bars.
import { z } from 'zod';
import { EpochMs, Instrument, Price, Quantity, Side, Timeframe, Venue } from './common.ts';

export const TradeTickV1 = z.object({
  venue: Venue,
  instrument: Instrument,
  tradeId: z.string().max(128).optional(),
  price: Price,
  size: Quantity,
  /** The taker's side. */
  aggressor: Side,
  ts: EpochMs,
});

export const QuoteUpdatedV1 = z.object({
  venue: Venue,
  instrument: Instrument,
  bid: Price,
  bidSize: Quantity,
  ask: Price,
  askSize: Quantity,
  ts: EpochMs,
});

/** v1 was recorded before venues were named; it is read as v2 with venue 'unknown'. */
export const BarClosedV1 = z.object({
  instrument: Instrument,
  timeframe: Timeframe,
  openTime: EpochMs,
  open: Price,
  high: Price,
  low: Price,
  close: Price,
  volume: Quantity,
});

export const BarClosedV2 = BarClosedV1.extend({
  venue: Venue,
  /** The first millisecond after the bar: the earliest time anyone may act on it. */
  closeTime: EpochMs,
});

export type TradeTick = z.infer<typeof TradeTickV1>;
export type QuoteUpdated = z.infer<typeof QuoteUpdatedV1>;
export type BarClosed = z.infer<typeof BarClosedV2>;

const timeframeMs: Record<z.infer<typeof Timeframe>, number> = {
  tick: 0, '1s': 1_000, '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
  '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000, '1w': 604_800_000,
};

export function timeframeToMs(tf: z.infer<typeof Timeframe>): number {
  return timeframeMs[tf];
}

export function upcastBarClosedV1(v1: z.infer<typeof BarClosedV1>): BarClosed {
  return { ...v1, venue: 'unknown', closeTime: v1.openTime + timeframeMs[v1.timeframe] };
}
