// Field schemas shared by event types: finite prices, non-negative sizes, instrument symbols.
import { z } from 'zod';

export const Instrument = z.string().regex(/^[A-Z0-9._-]+\/[A-Z0-9._-]+$|^[A-Z0-9._-]+$/, 'an instrument like BTC/USDT or GOOG');
export const Venue = z.string().min(1).max(64);
export const Price = z.number().finite().positive();
export const Quantity = z.number().finite().nonnegative();
export const PositiveQuantity = z.number().finite().positive();
export const Money = z.number().finite();
export const EpochMs = z.number().int().nonnegative();
export const Side = z.enum(['buy', 'sell']);
export const Timeframe = z.enum(['1s', '1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w', 'tick']);
export type Side = z.infer<typeof Side>;
export type Timeframe = z.infer<typeof Timeframe>;
