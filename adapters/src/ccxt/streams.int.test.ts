// Pushed updates through the real ccxt.pro client: the user-data stream (signed over the WebSocket API), market streams, and the polling fallbacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VenueUpdate } from '@qts/core';
import type { BarClosed, OrderRequested, TradeTick } from '@qts/schemas';
import { BinanceStandin, type StandinBar } from '../testing/exchange-standin/index.ts';
import { eventually } from '../testing/eventually.ts';
import { CcxtVenue } from './ccxt-venue.ts';
import { CcxtMarketData } from './market-data.ts';

const API_KEY = 'stream-test-key-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SECRET = 'stream-test-secret-f9e8d7c6b5a4938271605f4e3d2c1b0a';

let standin: BinanceStandin;
beforeAll(async () => {
  standin = await BinanceStandin.start({ apiKeys: { [API_KEY]: SECRET } });
  standin.setPrice('BTCUSDT', 20_000);
  standin.setBalance('USDT', 10_000);
});
afterAll(async () => {
  await standin?.close();
});

let seq = 0;
const limitBuy = (limitPrice: number): OrderRequested => ({
  clientOrderId: `qs${Date.now().toString(36)}${++seq}`, signalId: null, strategyId: 'manual', account: 'live', venue: 'binance',
  instrument: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.01, limitPrice, timeInForce: 'GTC', reduceOnly: false, ts: Date.now(),
});

describe('order updates', () => {
  for (const updates of ['stream', 'poll'] as const) {
    it(`${updates === 'stream' ? 'streams executionReports from the user-data stream' : 'polls fetchOrder when streaming is off'}: accepted, then the maker fill and the filled order`, async () => {
      const venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, updates, pollIntervalMs: 50 });
      const seen: VenueUpdate[] = [];
      const errors: unknown[] = [];
      const watch = await venue.watch((u) => seen.push(u), (e) => errors.push(e));
      try {
        expect(venue.streamsUpdates).toBe(updates === 'stream');
        if (updates === 'stream') await eventually(() => expect(standin.streams.subscribers.user).toBeGreaterThan(0));
        const o = limitBuy(19_000);
        await venue.submit(o);
        await eventually(() => expect(seen.some((u) => u.kind === 'order' && u.order.clientOrderId === o.clientOrderId && u.order.status === 'open')).toBe(true));
        standin.setPrice('BTCUSDT', 18_990);
        await eventually(() => {
          const fill = seen.find((u) => u.kind === 'trade' && u.trade.clientOrderId === o.clientOrderId);
          expect(fill?.kind === 'trade' && fill.trade).toEqual(expect.objectContaining({ price: 19_000, quantity: 0.01, side: 'buy', liquidity: 'maker', fee: 0.00001, feeCurrency: 'BTC' }));
          expect(seen.some((u) => u.kind === 'order' && u.order.clientOrderId === o.clientOrderId && u.order.status === 'filled' && u.order.filledQuantity === 0.01)).toBe(true);
        });
        const fillIds = seen.filter((u) => u.kind === 'trade' && u.trade.clientOrderId === o.clientOrderId).map((u) => (u.kind === 'trade' ? u.trade.fillId : ''));
        const trade = standin.engine.tradesOf(Number((await venue.fetchOrder(o.clientOrderId, 'BTC/USDT') as { order: { venueOrderId: string } }).order.venueOrderId))[0]!;
        expect(fillIds).toEqual([String(trade.id)]);
        expect(errors).toEqual([]);
      } finally {
        standin.setPrice('BTCUSDT', 20_000);
        await watch.close();
        await venue.close();
      }
    });
  }

  it('refuses a user-data subscription signed with the wrong secret (-1022 over the WebSocket API)', async () => {
    const venue = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: `${SECRET}-wrong` }, baseUrl: standin.url, updates: 'stream', pollIntervalMs: 50 });
    const errors: unknown[] = [];
    const watch = await venue.watch(() => {}, (e) => errors.push(e));
    try {
      await eventually(() => expect(errors.length).toBeGreaterThan(0));
      expect(String((errors[0] as Error).message)).toMatch(/-1022|Signature/);
      expect(String((errors[0] as Error).message)).not.toContain(SECRET);
      expect(standin.streams.subscribers.user).toBe(0);
    } finally {
      await watch.close();
      await venue.close();
    }
  });
});

describe('market data', () => {
  it('streams public trades as TradeTick data with the taker side', async () => {
    const md = CcxtMarketData.create({ exchange: 'binance', baseUrl: standin.url });
    const ticks: TradeTick[] = [];
    const w = await md.watchTrades('BTC/USDT', (t) => ticks.push(t));
    try {
      await eventually(() => expect(standin.streams.subscribers.public).toBeGreaterThan(0));
      const t0 = Date.now();
      const id1 = standin.publishTrade('BTCUSDT', 20_001.5, 0.25, 'buy', t0);
      const id2 = standin.publishTrade('BTCUSDT', 20_000.5, 0.5, 'sell', t0 + 1);
      await eventually(() => expect(ticks).toHaveLength(2));
      expect(ticks).toEqual([
        { venue: 'binance', instrument: 'BTC/USDT', tradeId: String(id1), price: 20_001.5, size: 0.25, aggressor: 'buy', ts: t0 },
        { venue: 'binance', instrument: 'BTC/USDT', tradeId: String(id2), price: 20_000.5, size: 0.5, aggressor: 'sell', ts: t0 + 1 },
      ]);
    } finally {
      await w.close();
      await md.close();
    }
  });

  it('polls public trades (aggTrades) when streaming is off, each trade once', async () => {
    const md = CcxtMarketData.create({ exchange: 'binance', baseUrl: standin.url, updates: 'poll', pollIntervalMs: 50 });
    const ticks: TradeTick[] = [];
    const w = await md.watchTrades('ETH/USDT', (t) => ticks.push(t));
    try {
      const t0 = Date.now() + 5;
      standin.publishTrade('ETHUSDT', 1_500.25, 2, 'sell', t0);
      standin.publishTrade('ETHUSDT', 1_500.5, 1, 'buy', t0 + 1);
      await eventually(() => expect(ticks.map((t) => [t.price, t.size, t.aggressor])).toEqual([[1_500.25, 2, 'sell'], [1_500.5, 1, 'buy']]));
      await new Promise((r) => setTimeout(r, 200));
      expect(ticks).toHaveLength(2);
    } finally {
      await w.close();
      await md.close();
    }
  });

  it('streams candles and emits a bar only once the next candle starts', async () => {
    const md = CcxtMarketData.create({ exchange: 'binance', baseUrl: standin.url });
    const bars: BarClosed[] = [];
    const w = await md.watchBars('BTC/USDT', '1m', (b) => bars.push(b));
    try {
      await eventually(() => expect(standin.streams.subscribers.public).toBeGreaterThan(0));
      const open = Math.floor(Date.now() / 60_000) * 60_000;
      const first: StandinBar = { openTime: open, open: 100, high: 101, low: 99, close: 100.5, volume: 3 };
      standin.publishKline('BTCUSDT', '1m', first, false);
      standin.publishKline('BTCUSDT', '1m', { ...first, high: 102, close: 101.5, volume: 4 }, false);
      const second: StandinBar = { openTime: open + 60_000, open: 101.5, high: 101.5, low: 101, close: 101.2, volume: 1 };
      // While the first candle forms nothing is emitted; the second one's start closes it with its last values.
      await new Promise((r) => setTimeout(r, 200));
      expect(bars).toEqual([]);
      standin.publishKline('BTCUSDT', '1m', second, false);
      await eventually(() => expect(bars).toHaveLength(1));
      expect(bars[0]).toEqual({ venue: 'binance', instrument: 'BTC/USDT', timeframe: '1m', openTime: open, closeTime: open + 60_000, open: 100, high: 102, low: 99, close: 101.5, volume: 4 });
    } finally {
      await w.close();
      await md.close();
    }
  });

  it('polls closed bars from klines when streaming is off', async () => {
    const now = Date.now();
    const open = Math.floor(now / 60_000) * 60_000;
    const candles: StandinBar[] = [-3, -2, -1, 0].map((k) => ({ openTime: open + k * 60_000, open: 10 + k, high: 11 + k, low: 9 + k, close: 10.5 + k, volume: 1 }));
    standin.loadBars('ETHUSDT', '1m', candles);
    const md = CcxtMarketData.create({ exchange: 'binance', baseUrl: standin.url, updates: 'poll', pollIntervalMs: 50 });
    const bars: BarClosed[] = [];
    const w = await md.watchBars('ETH/USDT', '1m', (b) => bars.push(b));
    try {
      // The poll window covers the last two candles: the closed one is emitted, the one still forming is not.
      await eventually(() => expect(bars.map((b) => b.openTime)).toContain(open - 60_000));
      expect(bars.map((b) => b.openTime)).not.toContain(open);
      expect(new Set(bars.map((b) => b.openTime)).size).toBe(bars.length);
    } finally {
      await w.close();
      await md.close();
    }
  });
});
