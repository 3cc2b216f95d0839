// The live feed's wire protocol: what clients send (subscribe, unsubscribe, resync, auth) and what the server answers.
import { z } from 'zod';

/** bars:<instrument>:<timeframe>, signals, orders, fills, positions, pnl, system */
export const channelPattern = /^(bars:[A-Z0-9._-]+(\/[A-Z0-9._-]+)?:(1s|1m|5m|15m|30m|1h|4h|1d|1w)|signals|orders|fills|positions|pnl|system)$/;
export const Channel = z.string().max(160).regex(channelPattern, 'bars:<instrument>:<timeframe>, signals, orders, fills, positions, pnl or system');

export const ClientMessage = z.discriminatedUnion('op', [
  z.object({ op: z.literal('auth'), token: z.string().min(1).max(512) }).strict(),
  z.object({ op: z.literal('subscribe'), channel: Channel }).strict(),
  z.object({ op: z.literal('unsubscribe'), channel: Channel }).strict(),
  /** Asks for a fresh snapshot after a gap in sequence numbers. */
  z.object({ op: z.literal('resync'), channel: Channel }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/**
 * Server messages. `seq` counts deltas per channel: a snapshot carries the channel's sequence at the time
 * it was read, each delta the next number; a client that sees seq != last + 1 has missed one and resyncs.
 * Deltas carry whole rows (upserts by key), so one applied twice is harmless, one missed is not.
 */
export type ServerMessage =
  | { type: 'hello'; authenticated: boolean; heartbeatMs: number }
  | { type: 'authenticated' }
  | { type: 'snapshot'; channel: string; seq: number; data: unknown }
  | { type: 'delta'; channel: string; seq: number; data: unknown }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'error'; kind: string; message: string; channel?: string };
