// Live venue costs: an order's round trip through the real ccxt client to the Binance stand-in, and reconciliation of many orders.
import { pathToFileURL } from 'node:url';
import { reconcile, type KnownOrder, type VenueOrder, type VenueTrade } from '@qts/core';
import type { OrderRequested } from '@qts/schemas';
import { CcxtVenue } from '../src/ccxt/ccxt-venue.ts';
import { BinanceStandin } from '../src/testing/exchange-standin/binance-standin.ts';

/** Same shape as infra/src/bench/main.ts's BenchRow (not imported: infra depends on us, not the reverse). */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const ORDERS = 300;
const RECONCILE_ORDERS = 20_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function roundTrips(): Promise<BenchRow[]> {
  const standin = await BinanceStandin.start({ apiKeys: { k: 's' } });
  standin.setPrice('BTCUSDT', 20_000);
  standin.setBalance('USDT', 1e9);
  // ccxt's own rate limiter is on in production; it is what paces a burst, so measure with it on and off.
  const rows: BenchRow[] = [];
  for (const limited of [false, true]) {
    const venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: 'k', secret: 's' }, baseUrl: standin.url });
    venue.exchange.enableRateLimit = limited;
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < ORDERS; i++) {
      const order: OrderRequested = {
        clientOrderId: `qb${limited ? 'l' : 'u'}${i}`, signalId: null, strategyId: 'bench', account: 'bench', venue: 'binance',
        instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.001, timeInForce: 'GTC', reduceOnly: false, ts: Date.now(),
      };
      const t0 = performance.now();
      const reports = await venue.submit(order);
      latencies.push(performance.now() - t0);
      if (reports.length !== 3) throw new Error(`order ${i}: expected submitted, accepted, filled; got ${reports.map((r) => r.type).join(', ')}`);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const tag = limited ? 'ccxt rate limiter on' : 'rate limiter off';
    rows.push(
      { name: `ccxt venue: market order round trip p50 (${tag})`, value: percentile(latencies, 50), unit: 'ms', target: limited ? '' : '< 5 ms on loopback' },
      { name: `ccxt venue: market order round trip p99 (${tag})`, value: percentile(latencies, 99), unit: 'ms' },
      { name: `ccxt venue: sequential orders (${tag})`, value: ORDERS / seconds, unit: 'orders/s' },
    );
    await venue.close();
  }
  await standin.close();
  return rows;
}

function reconcileRun(): BenchRow {
  const known: KnownOrder[] = [];
  const openOrders: VenueOrder[] = [];
  const trades: VenueTrade[] = [];
  for (let i = 0; i < RECONCILE_ORDERS; i++) {
    const cid = `qe${i}`;
    const venueOrderId = String(100_000 + i);
    known.push({ order: { clientOrderId: cid, signalId: null, strategyId: 's', instrument: 'BTC/USDT', venue: 'binance', side: 'buy', quantity: 1 }, status: 'accepted', venueOrderId, filledQuantity: 0, fillIds: [] });
    openOrders.push({
      clientOrderId: cid, venueOrderId, instrument: 'BTC/USDT', side: 'buy', type: 'limit', status: 'open', quantity: 1, filledQuantity: 0.5,
      averagePrice: 100, limitPrice: 100, ts: i, updatedAt: i, fills: [], raw: null,
    });
    trades.push({ fillId: `t${i}`, venueOrderId, instrument: 'BTC/USDT', side: 'buy', price: 100, quantity: 0.5, fee: 0, feeCurrency: 'BTC', liquidity: 'maker', ts: i });
  }
  const t0 = performance.now();
  const r = reconcile(known, { openOrders, fetched: new Map(), trades }, { now: 0 });
  const ms = performance.now() - t0;
  if (r.events.length !== RECONCILE_ORDERS) throw new Error(`expected one fill per order, got ${r.events.length}`);
  return { name: `reconcile: ${RECONCILE_ORDERS} open orders with a missed fill each`, value: ms, unit: 'ms', target: '< 1000 ms' };
}

export async function benchCcxtVenue(): Promise<BenchRow[]> {
  return [...(await roundTrips()), reconcileRun()];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchCcxtVenue());
}
