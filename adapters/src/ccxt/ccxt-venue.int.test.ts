// The ccxt venue over real HTTP against the Binance stand-in, with the real ccxt client signing every request.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UnknownOrderOutcome, VenueRateLimited, VenueRequestRefused, applyReports, evolveOrder, initialOrderState, reconcileWithVenue,
  resolveUnknownOutcome, type KnownOrder, type OrderState, type VenueReport,
} from '@qts/core';
import type { OrderRequested } from '@qts/schemas';
import { BinanceStandin, standinBarsFromCsv } from '../testing/exchange-standin/index.ts';
import { CcxtVenue, type VenueLog } from './ccxt-venue.ts';

const API_KEY = 'qts-test-key-7f3a9c1e5b2d4f60a8c7e9b1d3f5a7c9';
const SECRET = 'qts-test-secret-2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b';
const SAMPLE = resolve(import.meta.dirname, '../../../infra/data/sample/BTCUSDT-5m.csv');

/** A logger that keeps every line as the JSON a real one would write. */
function captureLog(): VenueLog & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg: string) => { lines.push(JSON.stringify({ level, msg, ...obj })); };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn') };
}

let seq = 0;
function order(over: Partial<OrderRequested> = {}): OrderRequested {
  seq++;
  return {
    clientOrderId: `qe${Date.now().toString(36)}${seq}`, signalId: `sig-${seq}`, strategyId: 'sma-btc', account: 'live', venue: 'binance',
    instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, timeInForce: 'GTC', reduceOnly: false, ts: Date.now(), ...over,
  };
}

const types = (reports: readonly VenueReport[]) => reports.map((r) => r.type);
const fast = { sleep: async () => {}, backoffMs: () => 1 };

describe('CcxtVenue against the Binance stand-in', () => {
  let standin: BinanceStandin;
  let venue: CcxtVenue;
  const log = captureLog();

  beforeAll(async () => {
    standin = await BinanceStandin.start({ apiKeys: { [API_KEY]: SECRET } });
    standin.loadBars('BTCUSDT', '5m', standinBarsFromCsv(SAMPLE));
    standin.setPrice('BTCUSDT', 20_000);
    standin.setBalance('USDT', 10_000);
    venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, log, ...fast });
  });
  afterAll(async () => {
    await venue?.close();
    await standin?.close();
  });

  it('loads spot markets only, with the tick and lot sizes of exchangeInfo', () => {
    const m = venue.exchange.markets?.['BTC/USDT'];
    if (m === undefined) throw new Error('BTC/USDT not loaded');
    expect(m.precision).toEqual(expect.objectContaining({ price: 0.01, amount: 0.00001 }));
    expect(m.limits.cost?.min).toBe(5);
    expect(standin.requests.filter((r) => r.path.startsWith('/api/v3/exchangeInfo'))).toHaveLength(1);
    expect(venue.rulesFor('BTC/USDT')).toEqual({ tickSize: 0.01, lotStep: 0.00001, minQuantity: 0.00001, minNotional: 5, makerFeeBps: 10, takerFeeBps: 10 });
    expect(() => venue.rulesFor('NOPE/USDT')).toThrow(/no market NOPE\/USDT/);
    expect(standin.requests.some((r) => r.path.includes('fapi') || r.path.includes('dapi') || r.path.includes('sapi'))).toBe(false);
  });

  it('places a market order with our clientOrderId and reports it filled at the venue price, fee in the asset received', async () => {
    const o = order();
    const reports = await venue.submit(o);
    expect(types(reports)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    const fill = reports[2]!;
    expect(fill.type === 'OrderFilled' && fill.data).toEqual(expect.objectContaining({
      clientOrderId: o.clientOrderId, side: 'buy', price: 20_000, quantity: 0.01, fee: 0.00001, feeCurrency: 'BTC', liquidity: 'taker',
    }));
    const placed = standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId);
    expect(placed).toHaveLength(1);
    expect(fill.type === 'OrderFilled' && fill.data.venueOrderId).toBe(String(placed[0]!.orderId));
    expect(fill.type === 'OrderFilled' && fill.data.fillId).toBe(String(standin.engine.tradesOf(placed[0]!.orderId)[0]!.id));
    // The raw venue report rides along for the audit trail.
    expect(reports[1]!.meta?.venueRaw).toEqual(expect.objectContaining({ clientOrderId: o.clientOrderId, status: 'FILLED' }));
    const balances = await venue.fetchBalance();
    expect(balances.find((b) => b.currency === 'USDT')?.free).toBeCloseTo(9_800, 6);
    expect(balances.find((b) => b.currency === 'BTC')?.free).toBeCloseTo(0.00999, 8);
  });

  it('drives the order decider from request to filled, and a replay of the same reports adds nothing', async () => {
    const o = order({ quantity: 0.02 });
    let state: OrderState = evolveOrder(initialOrderState, { type: 'OrderRequested', data: o });
    const reports = await venue.submit(o);
    const first = applyReports(state, reports);
    expect(first.events.map((e) => e.event.type)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(first.events[1]!.meta.venueRaw).toEqual(expect.objectContaining({ clientOrderId: o.clientOrderId }));
    state = first.state;
    // The follow-up query says the same things again: nothing new.
    const again = await resolveUnknownOutcome(venue, o, { sleep: async () => {}, now: () => Date.now() });
    expect(applyReports(state, [...reports, ...again]).events).toEqual([]);
    expect(state).toEqual(expect.objectContaining({ status: 'filled', filledQuantity: 0.02, averageFillPrice: 20_000, fees: 0.00002 }));
  });

  it('answers a redelivered, already filled order with what the venue has, never placing it twice', async () => {
    const o = order();
    const first = await venue.submit(o);
    const again = await venue.submit(o);
    expect(types(again)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(again.slice(1).map((r) => r.data)).toEqual(first.slice(1).map((r) => r.data));
    expect(standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
  });

  it('rests a limit order, finds it by clientOrderId and among open orders, cancels it, and says so once it is closed', async () => {
    const o = order({ type: 'limit', limitPrice: 18_000, quantity: 0.02 });
    expect(types(await venue.submit(o))).toEqual(['OrderSubmitted', 'OrderAccepted']);
    const found = await venue.fetchOrder(o.clientOrderId, 'BTC/USDT');
    expect(found.found && found.order).toEqual(expect.objectContaining({ clientOrderId: o.clientOrderId, status: 'open', limitPrice: 18_000, quantity: 0.02, filledQuantity: 0 }));
    expect((await venue.fetchOpenOrders('BTC/USDT')).map((x) => x.clientOrderId)).toContain(o.clientOrderId);
    expect((await venue.fetchOpenOrders()).map((x) => x.clientOrderId)).toContain(o.clientOrderId);
    const usdtLocked = (await venue.fetchBalance()).find((b) => b.currency === 'USDT')!.used;
    expect(usdtLocked).toBeCloseTo(360, 6);

    const cancelled = await venue.cancel(o.clientOrderId, 'BTC/USDT');
    expect(cancelled.outcome).toBe('cancelled');
    expect(cancelled.outcome === 'cancelled' && cancelled.report.data).toEqual(expect.objectContaining({ clientOrderId: o.clientOrderId, instrument: 'BTC/USDT' }));
    const after = await venue.fetchOrder(o.clientOrderId, 'BTC/USDT');
    expect(after.found && after.order.status).toBe('cancelled');
    expect((await venue.fetchOpenOrders('BTC/USDT')).map((x) => x.clientOrderId)).not.toContain(o.clientOrderId);
    const again = await venue.cancel(o.clientOrderId, 'BTC/USDT');
    expect(again.outcome).toBe('already-closed');
  });

  it('reports a resting limit order filled later with its maker trade, and lists the trades', async () => {
    const o = order({ type: 'limit', limitPrice: 19_500, quantity: 0.01 });
    await venue.submit(o);
    standin.setPrice('BTCUSDT', 19_400);
    const found = await venue.fetchOrder(o.clientOrderId, 'BTC/USDT');
    expect(found.found && found.order.status).toBe('filled');
    expect(found.found && found.order.fills).toEqual([expect.objectContaining({ price: 19_500, quantity: 0.01, liquidity: 'maker', clientOrderId: o.clientOrderId })]);
    const trades = await venue.fetchMyTrades('BTC/USDT', Date.now() - 60_000);
    expect(trades.map((t) => t.fillId)).toContain(found.found ? found.order.fills[0]!.fillId : 'none');
    standin.setPrice('BTCUSDT', 20_000);
  });

  it('fills a resting order in parts, each fill reported once, and cancels the rest', async () => {
    const o = order({ type: 'limit', limitPrice: 19_700, quantity: 0.03 });
    await venue.submit(o);
    // The store holds the request and the submit; the venue's acknowledgement was lost.
    const state = evolveOrder(evolveOrder(initialOrderState, { type: 'OrderRequested', data: o }), { type: 'OrderSubmitted', data: { clientOrderId: o.clientOrderId, instrument: 'BTC/USDT', venue: 'binance', ts: 1 } });
    standin.engine.makerFillLimit = 0.01;
    try {
      standin.setPrice('BTCUSDT', 19_690);
      standin.setPrice('BTCUSDT', 19_695);
      const part = await venue.fetchOrder(o.clientOrderId, 'BTC/USDT');
      expect(part.found && part.order).toEqual(expect.objectContaining({ status: 'open', filledQuantity: 0.02 }));
      expect(part.found && part.order.fills.map((f) => f.quantity)).toEqual([0.01, 0.01]);
      const step = applyReports(state, await resolveUnknownOutcome(venue, o, { sleep: async () => {}, now: () => Date.now(), known: { order: o, status: 'submitted', venueOrderId: null, filledQuantity: 0, fillIds: [] } }));
      expect(step.events.map((e) => e.event.type)).toEqual(['OrderAccepted', 'OrderFilled', 'OrderFilled']);
      expect(step.state).toEqual(expect.objectContaining({ status: 'partially-filled', filledQuantity: 0.02 }));
      const cancelled = await venue.cancel(o.clientOrderId, 'BTC/USDT');
      expect(cancelled.outcome === 'cancelled' && cancelled.order?.filledQuantity).toBe(0.02);
      expect((await venue.fetchBalance()).find((b) => b.currency === 'USDT')?.used).toBeCloseTo(0, 8);
    } finally {
      standin.engine.makerFillLimit = null;
      standin.setPrice('BTCUSDT', 20_000);
    }
  });

  it('expires an IOC limit that cannot trade at once', async () => {
    const o = order({ type: 'limit', limitPrice: 19_000, timeInForce: 'IOC' });
    expect(types(await venue.submit(o))).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderExpired']);
  });

  it('turns insufficient balance into OrderRejected with code INSUFFICIENT_FUNDS, and places nothing', async () => {
    const o = order({ quantity: 5 });
    const reports = await venue.submit(o);
    expect(types(reports)).toEqual(['OrderSubmitted', 'OrderRejected']);
    const rej = reports[1]!;
    expect(rej.type === 'OrderRejected' && rej.data.reason).toEqual({ kind: 'VenueRejected', code: 'INSUFFICIENT_FUNDS', message: 'Account has insufficient balance for requested action.' });
    expect(standin.engine.allOrders().some((x) => x.clientOrderId === o.clientOrderId)).toBe(false);
  });

  it('retries after HTTP 429 and ends with a single order', async () => {
    const before = standin.countOf('POST', '/api/v3/order');
    standin.rateLimitNext(2, { method: 'POST', path: '/api/v3/order' });
    const o = order();
    expect(types(await venue.submit(o))).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(standin.countOf('POST', '/api/v3/order') - before).toBe(3);
    expect(standin.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
    expect(standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
  });

  it('gives up with VenueRateLimited when the venue keeps refusing, having placed nothing', async () => {
    const limited = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, rateLimitRetries: 2, ...fast });
    standin.rateLimitNext(3, { method: 'POST', path: '/api/v3/order' });
    const o = order();
    await expect(limited.submit(o)).rejects.toBeInstanceOf(VenueRateLimited);
    expect(standin.engine.allOrders().some((x) => x.clientOrderId === o.clientOrderId)).toBe(false);
    await limited.close();
  });

  it('treats a timeout after the venue took the order as an unknown outcome; the follow-up finds it and nothing is doubled', async () => {
    const before = standin.countOf('POST', '/api/v3/order');
    // A client that waits 1.5 s; the venue takes the order and answers after 6 s.
    const impatient = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, timeoutMs: 1_500, ...fast });
    standin.holdNextResponse('POST', '/api/v3/order', 6_000);
    const o = order();
    const error = await impatient.submit(o).then(() => null, (e: unknown) => e);
    await impatient.close();
    expect(error).toBeInstanceOf(UnknownOrderOutcome);
    expect((error as UnknownOrderOutcome).retryable).toBe(true);
    expect((error as UnknownOrderOutcome).clientOrderId).toBe(o.clientOrderId);
    const reports = await resolveUnknownOutcome(venue, o, { sleep: async () => {}, now: () => Date.now() });
    expect(types(reports)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(standin.countOf('POST', '/api/v3/order') - before).toBe(1);
    expect(standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
  });

  it('answers an open order resent by another process (duplicate clientOrderId, -2010) with the order the venue already has', async () => {
    const o = order({ type: 'limit', limitPrice: 15_000, quantity: 0.001 });
    const first = await venue.submit(o);
    const restarted = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, ...fast });
    const before = standin.requests.length;
    const second = await restarted.submit(o);
    expect(types(second)).toEqual(['OrderSubmitted', 'OrderAccepted']);
    const id = (r: readonly VenueReport[]) => r.find((x) => x.type === 'OrderAccepted')!.data;
    expect(id(second)).toEqual(expect.objectContaining({ venueOrderId: (id(first) as { venueOrderId: string }).venueOrderId }));
    expect(standin.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.code ?? r.status}`)).toEqual(['POST /api/v3/order -2010', 'GET /api/v3/order 200']);
    expect(standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
    await venue.cancel(o.clientOrderId, 'BTC/USDT');
    await restarted.close();
  });

  it('returns a typed not-found for a cancel or fetch of an order the venue never had', async () => {
    expect(await venue.cancel('qe-never-placed', 'BTC/USDT')).toEqual({ outcome: 'not-found', clientOrderId: 'qe-never-placed', instrument: 'BTC/USDT' });
    expect(await venue.fetchOrder('qe-never-placed', 'BTC/USDT')).toEqual({ found: false, clientOrderId: 'qe-never-placed', instrument: 'BTC/USDT' });
    expect(standin.requests.some((r) => r.code === -2011)).toBe(true);
    expect(standin.requests.some((r) => r.code === -2013)).toBe(true);
  });

  it('rejects an order the venue refuses on its filters with the venue code', async () => {
    const reports = await venue.submit(order({ quantity: 0.0001 }));
    const rej = reports[1]!;
    expect(rej.type === 'OrderRejected' && rej.data.reason).toEqual(expect.objectContaining({ kind: 'VenueRejected', code: 'INVALID_ORDER(-1013)', message: 'Filter failure: NOTIONAL' }));
  });

  it('places protective stops: a stop-market sell waits untriggered, then fills at the market when the price falls through it', async () => {
    standin.setBalance('BTC', 1);
    standin.setBalance('USDT', 10_000);
    const stop = order({ side: 'sell', type: 'stop-market', stopPrice: 19_000, quantity: 0.005, reduceOnly: true });
    expect(types(await venue.submit(stop))).toEqual(['OrderSubmitted', 'OrderAccepted']);
    const waiting = await venue.fetchOrder(stop.clientOrderId, 'BTC/USDT');
    expect(waiting.found && waiting.order).toEqual(expect.objectContaining({ status: 'open', filledQuantity: 0, limitPrice: null }));
    expect(standin.engine.orderByClientId('BTCUSDT', stop.clientOrderId)).toEqual(expect.objectContaining({ type: 'STOP_LOSS', stopPrice: '19000.00000000' }));
    standin.setPrice('BTCUSDT', 19_200);
    expect((await venue.fetchOrder(stop.clientOrderId, 'BTC/USDT') as { order: { status: string } }).order.status).toBe('open');
    standin.setPrice('BTCUSDT', 18_950);
    const done = await venue.fetchOrder(stop.clientOrderId, 'BTC/USDT');
    expect(done.found && done.order.status).toBe('filled');
    expect(done.found && done.order.fills).toEqual([expect.objectContaining({ side: 'sell', price: 18_950, quantity: 0.005, liquidity: 'taker', feeCurrency: 'USDT' })]);
    standin.setPrice('BTCUSDT', 20_000);
  });

  it('places a stop-limit breakout buy that becomes a limit order once triggered', async () => {
    const o = order({ type: 'stop-limit', stopPrice: 21_000, limitPrice: 21_050, quantity: 0.002 });
    await venue.submit(o);
    expect(standin.engine.orderByClientId('BTCUSDT', o.clientOrderId)?.type).toBe('STOP_LOSS_LIMIT');
    standin.setPrice('BTCUSDT', 21_010);
    const done = await venue.fetchOrder(o.clientOrderId, 'BTC/USDT');
    expect(done.found && done.order.fills).toEqual([expect.objectContaining({ side: 'buy', price: 21_010, quantity: 0.002 })]);
    standin.setPrice('BTCUSDT', 20_000);
  });

  it('rejects a stop the market has already passed, with the venue message', async () => {
    const reports = await venue.submit(order({ side: 'sell', type: 'stop-market', stopPrice: 20_500, quantity: 0.001 }));
    const rej = reports[1]!;
    expect(rej.type === 'OrderRejected' && rej.data.reason).toEqual({ kind: 'VenueRejected', code: 'INVALID_ORDER', message: 'Stop price would trigger immediately.' });
  });

  it('is refused with Binance -1022 when the signature is wrong: the signing path is real', async () => {
    const forged = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: 'not-the-secret-000000000000000000' }, baseUrl: standin.url, ...fast });
    const error = await forged.fetchBalance().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(VenueRequestRefused);
    expect((error as VenueRequestRefused).code).toBe('AUTHENTICATION(-1022)');
    expect(standin.requests[standin.requests.length - 1]).toEqual(expect.objectContaining({ path: '/api/v3/account', status: 400, code: -1022 }));
    await forged.close();
  });

  it('reconciles on start: fills and cancels missed while down, orders never placed, and our orders the store never saw', async () => {
    const filledWhileDown = order({ type: 'limit', limitPrice: 19_900, quantity: 0.01 });
    const cancelledWhileDown = order({ type: 'limit', limitPrice: 17_000, quantity: 0.01 });
    const neverPlaced = order({ type: 'limit', limitPrice: 17_000, quantity: 0.01 });
    const accepted = (r: readonly VenueReport[]) => (r.find((x) => x.type === 'OrderAccepted')!.data as { venueOrderId: string }).venueOrderId;
    const a = accepted(await venue.submit(filledWhileDown));
    const b = accepted(await venue.submit(cancelledWhileDown));
    // While "down": the market trades through one order, a human cancels another on the website, and an
    // order with our prefix appears that the store never recorded (placed by a crashed process).
    standin.setPrice('BTCUSDT', 19_850);
    standin.engine.cancel(standin.engine.orderByClientId('BTCUSDT', cancelledWhileDown.clientOrderId)!, Date.now());
    standin.engine.place({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '16000', timeInForce: 'GTC', newClientOrderId: 'qe-orphan-1' }, Date.now());
    standin.setPrice('BTCUSDT', 20_000);

    const inFlight = (o: OrderRequested, venueOrderId: string | null): KnownOrder => ({ order: o, status: venueOrderId ? 'accepted' : 'submitted', venueOrderId, filledQuantity: 0, fillIds: [] });
    const result = await reconcileWithVenue(venue, [inFlight(filledWhileDown, a), inFlight(cancelledWhileDown, b), inFlight(neverPlaced, null)], { now: () => Date.now(), clientOrderIdPrefix: 'qe' });
    const summary = result.events.map((e) => `${e.data.clientOrderId}:${e.type}`);
    expect(summary).toEqual(expect.arrayContaining([
      `${filledWhileDown.clientOrderId}:OrderFilled`, `${cancelledWhileDown.clientOrderId}:OrderCancelled`, `${neverPlaced.clientOrderId}:OrderRejected`,
      'qe-orphan-1:OrderRequested', 'qe-orphan-1:OrderSubmitted', 'qe-orphan-1:OrderAccepted',
    ]));
    const fill = result.events.find((e) => e.type === 'OrderFilled' && e.data.clientOrderId === filledWhileDown.clientOrderId)!;
    expect(fill.type === 'OrderFilled' && fill.data).toEqual(expect.objectContaining({ price: 19_900, quantity: 0.01, liquidity: 'maker', venueOrderId: a }));
    expect(result.events.filter((e) => e.data.clientOrderId === 'qe-orphan-1').every((e) => e.meta?.reconciled === 'unknown-to-store')).toBe(true);
    const rejected = result.events.find((e) => e.data.clientOrderId === neverPlaced.clientOrderId)!;
    expect(rejected.type === 'OrderRejected' && rejected.data.reason).toEqual(expect.objectContaining({ code: 'UNKNOWN_ORDER' }));
    standin.engine.cancel(standin.engine.orderByClientId('BTCUSDT', 'qe-orphan-1')!, Date.now());
  });
});

describe('a skewed clock', () => {
  it('signs with the venue clock learnt at start, and relearns it when a request is refused for its timestamp (-1021)', async () => {
    let skew = -8_000;
    const standin = await BinanceStandin.start({ apiKeys: { [API_KEY]: SECRET }, now: () => Date.now() + skew });
    standin.setPrice('BTCUSDT', 20_000);
    standin.setBalance('USDT', 1_000);
    const venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, ...fast });
    try {
      expect((await venue.fetchBalance()).find((b) => b.currency === 'USDT')?.free).toBe(1_000);
      skew = 20_000;
      const o = order();
      expect(types(await venue.submit(o))).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
      const codes = standin.requests.map((r) => `${r.path}:${r.code ?? r.status}`);
      expect(codes.slice(-3)).toEqual(['/api/v3/order:-1021', '/api/v3/time:200', '/api/v3/order:200']);
      expect(standin.engine.allOrders().filter((x) => x.clientOrderId === o.clientOrderId)).toHaveLength(1);
    } finally {
      await venue.close();
      await standin.close();
    }
  });
});

describe('secrets never leave the composition root', () => {
  it('keeps the API key and secret out of every log line, event and error across the error paths', async () => {
    const key = 'PLANTEDKEY0123456789abcdefPLANTEDKEY';
    const secret = 'PLANTEDSECRET9876543210fedcbaPLANTEDSECRET';
    const standin = await BinanceStandin.start({ apiKeys: { [key]: secret } });
    standin.setPrice('BTCUSDT', 20_000);
    standin.setBalance('USDT', 100);
    const log = captureLog();
    const captured: unknown[] = [];
    const venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: key, secret }, baseUrl: standin.url, timeoutMs: 2_000, rateLimitRetries: 1, log, ...fast });
    const forged = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: key, secret: `${secret}X` }, baseUrl: standin.url, log, ...fast });
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        captured.push(await fn());
      } catch (e) {
        captured.push(e, (e as Error).message, (e as Error).stack, (e as { context?: unknown }).context, (e as Error).cause);
      }
    };
    try {
      await attempt(() => venue.submit(order({ quantity: 1 })));                     // insufficient funds
      standin.rateLimitNext(5, { method: 'POST' });
      await attempt(() => venue.submit(order({ quantity: 0.001 })));                 // rate limited to the end
      standin.holdNextResponse('POST', '/api/v3/order', 8_000);
      await attempt(() => venue.submit(order({ quantity: 0.001 })));                 // timeout: unknown outcome
      standin.holdNextResponse('GET', '/api/v3/order', 8_000);
      await attempt(() => venue.fetchOrder('qe-nothing', 'BTC/USDT'));               // timeout on a query
      await attempt(() => venue.cancel('qe-nothing', 'BTC/USDT'));                   // unknown order
      await attempt(() => forged.fetchBalance());                                    // bad signature
      await attempt(() => forged.submit(order({ quantity: 0.001 })));                // bad signature on an order
      await attempt(() => venue.submit(order({ instrument: 'NOPE/USDT' })));         // no such market
    } finally {
      await venue.close();
      await forged.close();
      await standin.close();
    }
    // The paths really ran: the key was accepted by the venue, and every failure kind showed up.
    expect(standin.requests.some((r) => r.path === '/api/v3/order' && r.code === -2010)).toBe(true);
    expect(standin.requests.some((r) => r.code === -1022)).toBe(true);
    expect(captured.some((c) => c instanceof UnknownOrderOutcome)).toBe(true);
    expect(captured.some((c) => c instanceof VenueRateLimited)).toBe(true);
    expect(log.lines.length).toBeGreaterThan(5);
    const everything = [...log.lines, ...captured.map((c) => (c instanceof Error ? `${c.name} ${c.message} ${c.stack} ${JSON.stringify(c)}` : JSON.stringify(c) ?? String(c)))].join('\n');
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('PLANTED');
  });
});
