// Order ids derived from the signal: a redelivered signal yields the very same orders, never a second one.
import type { OrderLeg } from './types.ts';

const legCode: Record<OrderLeg, string> = { entry: 'e', exit: 'x', 'stop-loss': 's', 'take-profit': 't' };
const DASH = 45;

/**
 * clientOrderIdFor('0190a5b2-...-...', 'entry') === 'qe0190a5b2...' (34 characters). Short enough for every
 * venue we know (Binance allows 36) and made only of [a-z0-9]. A signal id that is not a UUID is hashed
 * to 128 bits first.
 */
export function clientOrderIdFor(signalId: string, leg: OrderLeg): string {
  return orderIdFromBody(orderIdBody(signalId), leg);
}

/** The leg-independent part of the ids of one signal's orders: 32 hex digits. */
export function orderIdBody(signalId: string): string {
  return isUuid(signalId)
    ? (signalId.slice(0, 8) + signalId.slice(9, 13) + signalId.slice(14, 18) + signalId.slice(19, 23) + signalId.slice(24)).toLowerCase()
    : hash128(signalId);
}

export function orderIdFromBody(body: string, leg: OrderLeg): string {
  return 'q' + legCode[leg] + body;
}

/** 8-4-4-4-12 hex digits; a loop rather than a regex because this runs per order leg on the backtest path. */
function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== DASH) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** cyrb128: a small, well-mixed, deterministic 128-bit string hash (not cryptographic; ids, not secrets). */
function hash128(text: string): string {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4; h2 ^= h1; h3 ^= h1; h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}
