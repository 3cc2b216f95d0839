// ccxt's errors into our taxonomy, with credentials and signed query strings scrubbed from every message.
import ccxt from 'ccxt';

export type CcxtFailure =
  /** The venue refused the order for lack of funds: an OrderRejected. */
  | { readonly kind: 'insufficient-funds'; readonly message: string }
  /** An order with this clientOrderId is already open at the venue: look it up instead. */
  | { readonly kind: 'duplicate-order'; readonly message: string }
  | { readonly kind: 'order-not-found'; readonly message: string }
  /** The venue refused the order itself (filters, price, size, symbol): an OrderRejected with this code. */
  | { readonly kind: 'order-rejected'; readonly code: string; readonly message: string }
  /** Slow down and try again: the request was not processed (429/418, -1003). */
  | { readonly kind: 'rate-limited'; readonly message: string }
  /** Our timestamp was outside the venue's receive window (-1021): resync the clock offset, then retry. */
  | { readonly kind: 'clock-skew'; readonly message: string }
  /** Timeout, broken connection, 5xx: the request may or may not have taken effect. */
  | { readonly kind: 'unknown-outcome'; readonly message: string }
  /** Credentials, permissions, signature: nothing will work until a human fixes it. */
  | { readonly kind: 'refused'; readonly code: string; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

/** Removes secrets and signed query strings from text that may reach a log, an event or an error. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  // Signed requests carry timestamp and signature in the query string; keep the path only.
  out = out.replace(/(https?:\/\/[^\s?]+)\?[^\s]*/g, '$1?[query]');
  out = out.replace(/signature=[0-9a-fA-F]+/g, 'signature=[redacted]');
  return out.length > 480 ? `${out.slice(0, 477)}...` : out;
}

/** The exchange's own error code in a ccxt message (Binance: `binance {"code":-2010,"msg":"..."}`). */
export function venueCode(message: string): string | null {
  const m = /"code"\s*:\s*(-?\d+)/.exec(message);
  return m ? m[1]! : null;
}

/** Binance's msg without ccxt's prefix, for rejection reasons a user reads. */
function venueMessage(message: string): string {
  const m = /"msg"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(message);
  // Without the JSON body ccxt prefixes the exchange id: "binance Account has insufficient balance ...".
  return m ? m[1]! : message.replace(/^[a-z0-9]+ /, '');
}

export function classifyCcxtError(error: unknown, secrets: readonly string[]): CcxtFailure {
  const raw = error instanceof Error ? error.message : String(error);
  const message = scrub(raw, secrets);
  const code = venueCode(raw);
  const e = ccxt;
  // Binance maps some codes differently per host (spot production vs others); its own codes decide first.
  if (code === '-1022' || code === '-2014' || code === '-2015') return { kind: 'refused', code: `AUTHENTICATION(${code})`, message };
  if (code === '-1021' || error instanceof e.InvalidNonce) return { kind: 'clock-skew', message };
  // Binance's "execution status unknown" codes; its spot host maps them to a plain ExchangeError.
  if (code === '-1006' || code === '-1007') return { kind: 'unknown-outcome', message };
  // -1015 "Too many new orders" is InvalidOrder on the spot host, but nothing was placed: wait and resend.
  if (code === '-1003' || code === '-1015' || error instanceof e.RateLimitExceeded || error instanceof e.DDoSProtection) return { kind: 'rate-limited', message };
  if (error instanceof e.OperationFailed) return { kind: 'unknown-outcome', message };
  if (error instanceof e.InsufficientFunds) return { kind: 'insufficient-funds', message: scrub(venueMessage(raw), secrets) };
  if (error instanceof e.DuplicateOrderId || /Duplicate order sent/i.test(raw)) return { kind: 'duplicate-order', message };
  // Binance's -2011 (cancel of an unknown order) is OperationRejected on its production host, OrderNotFound elsewhere.
  if (error instanceof e.OrderNotFound || code === '-2013' || (code === '-2011' && /Unknown order/i.test(raw))) return { kind: 'order-not-found', message };
  if (error instanceof e.AuthenticationError) return { kind: 'refused', code: code === null ? 'AUTHENTICATION' : `AUTHENTICATION(${code})`, message };
  if (error instanceof e.InvalidOrder || error instanceof e.BadRequest || error instanceof e.OperationRejected) {
    const name = error instanceof e.BadSymbol ? 'BAD_SYMBOL' : error instanceof e.OperationRejected ? 'OPERATION_REJECTED' : 'INVALID_ORDER';
    return { kind: 'order-rejected', code: code === null ? name : `${name}(${code})`, message: scrub(venueMessage(raw), secrets) };
  }
  return { kind: 'other', message };
}
