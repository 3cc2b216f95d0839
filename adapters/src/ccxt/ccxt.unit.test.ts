// ccxt errors into our taxonomy, scrubbing, normalisation at the trust boundary, and closing bars from candle snapshots.
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '@qts/core';
import type { BarClosed } from '@qts/schemas';
import { classifyCcxtError, scrub } from './errors.ts';
import { BarCloser } from './market-data.ts';
import { toVenueOrder, toVenueTrade } from './normalise.ts';

const secrets = ['KEY1234567890', 'SECRETabcdefghij'];

describe('classifyCcxtError', () => {
  const cases: [string, unknown, string][] = [
    ['insufficient funds', new ccxt.InsufficientFunds('binance Account has insufficient balance for requested action.'), 'insufficient-funds'],
    ['a duplicate clientOrderId', new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'), 'duplicate-order'],
    ['an unknown order on fetch', new ccxt.OrderNotFound('binance {"code":-2013,"msg":"Order does not exist."}'), 'order-not-found'],
    ['an unknown order on cancel at the production host', new ccxt.OperationRejected('binance {"code":-2011,"msg":"Unknown order sent."}'), 'order-not-found'],
    ['HTTP 429', new ccxt.DDoSProtection('binance 429 Too Many Requests {"code":-1003}'), 'rate-limited'],
    ['-1003 as RateLimitExceeded', new ccxt.RateLimitExceeded('binance {"code":-1003,"msg":"Too many requests"}'), 'rate-limited'],
    ['a stale timestamp', new ccxt.InvalidNonce('binance {"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'), 'clock-skew'],
    ['too many new orders on the spot host', new ccxt.InvalidOrder('binance {"code":-1015,"msg":"Too many new orders; current limit is 100 orders per 10 SECOND."}'), 'rate-limited'],
    ['execution status unknown on the spot host', new ccxt.ExchangeError('binance {"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}'), 'unknown-outcome'],
    ['a timeout', new ccxt.RequestTimeout('binance POST http://x/api/v3/order request timed out (1500 ms)'), 'unknown-outcome'],
    ['a broken connection', new ccxt.NetworkError('binance POST http://x/api/v3/order fetch failed'), 'unknown-outcome'],
    ['a 503', new ccxt.ExchangeNotAvailable('binance 503 Service Unavailable'), 'unknown-outcome'],
    ['a bad signature on a custom host', new ccxt.AuthenticationError('binance {"code":-1022,"msg":"Signature for this request is not valid."}'), 'refused'],
    ['a bad signature on the production host', new ccxt.BadRequest('binance {"code":-1022,"msg":"Signature for this request is not valid."}'), 'refused'],
    ['a filter failure', new ccxt.InvalidOrder('binance {"code":-1013,"msg":"Filter failure: NOTIONAL"}'), 'order-rejected'],
    ['a bad symbol', new ccxt.BadSymbol('binance does not have market symbol NOPE/USDT'), 'order-rejected'],
    ['anything else', new Error('boom'), 'other'],
  ];
  for (const [what, error, kind] of cases) {
    it(`maps ${what} to ${kind}`, () => {
      expect(classifyCcxtError(error, secrets).kind).toBe(kind);
    });
  }

  it('keeps the venue code and message on rejections', () => {
    expect(classifyCcxtError(new ccxt.InvalidOrder('binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), [])).toEqual({ kind: 'order-rejected', code: 'INVALID_ORDER(-1013)', message: 'Filter failure: LOT_SIZE' });
    expect(classifyCcxtError(new ccxt.InsufficientFunds('binance Account has insufficient balance for requested action.'), [])).toEqual({ kind: 'insufficient-funds', message: 'Account has insufficient balance for requested action.' });
  });
});

describe('scrub', () => {
  it('removes credentials, signed query strings and signatures', () => {
    const text = 'binance GET http://127.0.0.1:9/api/v3/account?timestamp=1&signature=abcdef0123 key=KEY1234567890 secret SECRETabcdefghij signature=00ff';
    const out = scrub(text, secrets);
    expect(out).toBe('binance GET http://127.0.0.1:9/api/v3/account?[query] key=[redacted] secret [redacted] signature=[redacted]');
  });
  it('caps the length so a huge body never floods a log line', () => {
    expect(scrub('x'.repeat(5_000), []).length).toBeLessThanOrEqual(480);
  });
});

describe('normalisation at the trust boundary', () => {
  const order = {
    id: '1001', clientOrderId: 'qe1', timestamp: 1_000, lastUpdateTimestamp: 2_000, symbol: 'BTC/USDT', type: 'limit', side: 'buy',
    price: 100, average: 100, amount: 2, filled: 1, status: 'open',
    trades: [{ id: '77', price: 100, amount: 1, fee: { cost: 0.001, currency: 'BTC' }, info: {} }], info: { orderId: 1001 },
  };
  it('fills what the order-embedded fills lack from their order', () => {
    const v = toVenueOrder(order);
    expect(v).toEqual(expect.objectContaining({ clientOrderId: 'qe1', venueOrderId: '1001', status: 'open', quantity: 2, filledQuantity: 1, limitPrice: 100, ts: 1_000, updatedAt: 2_000 }));
    expect(v.fills).toEqual([{ fillId: '77', venueOrderId: '1001', clientOrderId: 'qe1', instrument: 'BTC/USDT', side: 'buy', price: 100, quantity: 1, fee: 0.001, feeCurrency: 'BTC', liquidity: 'taker', ts: 2_000 }]);
  });
  it('never takes Binance\'s workingTime -1 (a stop not yet triggered) as the order time', () => {
    const v = toVenueOrder({ ...order, timestamp: -1, lastUpdateTimestamp: 5_000, trades: [] });
    expect([v.ts, v.updatedAt]).toEqual([5_000, 5_000]);
  });
  it('maps ccxt statuses to ours', () => {
    expect(toVenueOrder({ ...order, status: 'closed' }).status).toBe('filled');
    expect(toVenueOrder({ ...order, status: 'canceled' }).status).toBe('cancelled');
    expect(toVenueOrder({ ...order, status: 'expired' }).status).toBe('expired');
  });
  it('refuses what it cannot trust: NaN prices, unknown statuses, derivative symbols, trades without ids', () => {
    expect(() => toVenueOrder({ ...order, amount: Number.NaN })).toThrow(InfrastructureError);
    expect(() => toVenueOrder({ ...order, status: 'weird' })).toThrow(/unknown status 'weird'/);
    expect(() => toVenueOrder({ ...order, symbol: 'BTC/USDT:USDT' })).toThrow(/spot only/);
    expect(() => toVenueTrade({ price: 1, amount: 1, side: 'buy', order: '1', symbol: 'BTC/USDT', info: {} })).toThrow(/without an id/);
    expect(() => toVenueTrade({ id: '1', price: -1, amount: 1, side: 'buy', order: '1', symbol: 'BTC/USDT', info: {} })).toThrow(/malformed trade/);
  });
});

describe('BarCloser', () => {
  const bar = (minute: number, close: number): BarClosed => ({
    venue: 'binance', instrument: 'BTC/USDT', timeframe: '1m', openTime: minute * 60_000, closeTime: (minute + 1) * 60_000, open: 1, high: 2, low: 0.5, close, volume: 1,
  });
  it('emits a candle with its last values when the next one starts, never while it forms', () => {
    const c = new BarCloser();
    expect(c.push(bar(10, 1.1), 10 * 60_000 + 5)).toEqual([]);
    expect(c.push(bar(10, 1.2), 10 * 60_000 + 30_000)).toEqual([]);
    expect(c.push(bar(11, 1.3), 11 * 60_000 + 1)).toEqual([bar(10, 1.2)]);
  });
  it('emits a quiet market\'s candle once its close time passes, and never twice', () => {
    const c = new BarCloser();
    c.push(bar(10, 1.1), 10 * 60_000 + 5);
    expect(c.flush(11 * 60_000 - 1)).toEqual([]);
    expect(c.flush(11 * 60_000)).toEqual([bar(10, 1.1)]);
    expect(c.push(bar(10, 1.1), 11 * 60_000 + 5)).toEqual([]);
    expect(c.push(bar(11, 1.4), 11 * 60_000 + 5)).toEqual([]);
  });
  it('ignores a snapshot older than what it holds (polls overlap)', () => {
    const c = new BarCloser();
    c.push(bar(10, 1.1), 0);
    c.push(bar(11, 1.2), 0);
    expect(c.push(bar(10, 9.9), 0)).toEqual([]);
    expect(c.push(bar(12, 1.3), 0)).toEqual([bar(11, 1.2)]);
  });
});
