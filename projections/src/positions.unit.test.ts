// The positions read model books fills with core's Portfolio: the same fills and marks give the same amounts, to the last digit.
import { describe, expect, it } from 'vitest';
import { amount, applyFill, emptyPortfolio, markPrice } from '@qts/core';
import { Projector } from './projector.ts';
import { eventFactory, pgliteTestDb, tradingHistory } from './testing.ts';

describe('positions through core accounting', () => {
  it('each row equals core Portfolio replaying the distinct fills and marks, across batches that reload the rows', async () => {
    const history = tradingHistory();
    const f = eventFactory(3, Date.UTC(2026, 0, 5, 3, 0));
    // A fee paid in the base asset (core values it at the fill price) and a partial close, after the history.
    f.add('OrderRequested', { clientOrderId: 'late-1', signalId: null, strategyId: 'manual', account: 'paper', venue: 'binance', instrument: 'BTC/USDT', side: 'sell', type: 'market', quantity: 0.7, timeInForce: 'GTC', reduceOnly: false, ts: f.start }, f.start);
    f.add('OrderFilled', { clientOrderId: 'late-1', instrument: 'BTC/USDT', venueOrderId: 'v-late', fillId: 'late-1-1', side: 'sell', price: 101.37, quantity: 0.7, fee: 0.0007, feeCurrency: 'BTC', liquidity: 'taker', ts: f.start + 1 }, f.start + 1);
    f.add('BarClosed', { venue: 'binance', instrument: 'BTC/USDT', timeframe: '1m', openTime: f.start, closeTime: f.start + 60_000, open: 101.3, high: 102.9, low: 101.1, close: 102.53, volume: 4 }, f.start + 60_000);
    const all = [...history, ...f.events.map((x, i) => ({ event: x.event, position: history[history.length - 1]!.position + BigInt(i + 1) }))];

    const core = emptyPortfolio(0, 'USDT');
    const seen = new Set<string>();
    for (const { event: e } of all) {
      if (e.type === 'OrderFilled' && !seen.has(e.data.fillId)) { seen.add(e.data.fillId); applyFill(core, e.data); }
      if (e.type === 'BarClosed' && e.data.instrument === 'BTC/USDT') markPrice(core, 'BTC/USDT', e.data.close, e.data.closeTime);
      if (e.type === 'TradeTick' && e.data.instrument === 'BTC/USDT') markPrice(core, 'BTC/USDT', e.data.price, e.data.ts);
    }
    const book = core.positions.get('BTC/USDT')!;

    const t = await pgliteTestDb();
    try {
      const p = new Projector(t.db);
      await p.migrate();
      // Small batches: every batch loads the rows the last one stored, so the stored amounts must restore the books exactly.
      for (let i = 0; i < all.length; i += 23) await p.project(all.slice(i, i + 23));
      const rows = await t.db.selectFrom('positions').selectAll().where('instrument', '=', 'BTC/USDT').execute();
      expect(rows.map((r) => r.strategy_id).sort()).toEqual(['*', 'manual', 'sma-1']);
      for (const r of rows.filter((x) => x.strategy_id === '*')) {
        expect(String(r.quantity).replace(/\.?0+$/, '')).toBe(amount(book.qtyUnits));
        expect(String(r.realized_pnl).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')).toBe(amount(book.realizedUnits));
        expect(String(r.fees).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')).toBe(amount(book.feesUnits));
        expect(Number(r.average_price)).toBe(book.averagePrice);
        expect(Number(r.unrealized_pnl)).toBe(book.unrealizedPnl + 0);
        expect(Number(r.last_price)).toBe(book.markPrice);
      }
      expect(book.unrealizedPnl).not.toBe(0);
      // The base-asset fee was valued at the fill price: 0.0007 BTC at 101.37.
      expect(amount(book.feesUnits)).toBe(amount(core.feesUnits));
      expect(Number(rows.find((r) => r.strategy_id === '*')!.fees)).toBeCloseTo(0.01 * 3 + 0.02 * 3 + 0.0007 * 101.37, 12);
    } finally {
      await t.close();
    }
  });
});
