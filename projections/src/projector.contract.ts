// One suite for the projector and every projection, run on PGlite (unit tier) and on the Postgres server (int tier).
import { describe, expect, it } from 'vitest';
import type { ReadDb } from './db.ts';
import { Projector } from './projector.ts';
import { recordDeadLetters } from './projections/dead-letters.ts';
import { modelsProjection } from './projections/models.ts';
import { chunks, eventFactory, HISTORY_FAMILY, tradingHistory, type TestDb } from './testing.ts';

export function projectorContract(name: string, open: () => Promise<TestDb>): void {
  describe(`projections on ${name}`, () => {
    const withProjector = async (fn: (p: Projector, db: ReadDb) => Promise<void>): Promise<void> => {
      const t = await open();
      try {
        const p = new Projector(t.db);
        await p.migrate();
        await fn(p, t.db);
      } finally {
        await t.close();
      }
    };

    it('a redelivered history changes no row, whatever the batch boundaries', async () => {
      await withProjector(async (p) => {
        const history = tradingHistory();
        for (const b of chunks(history, 37)) await p.project(b);
        const once = await p.tableHashes();
        for (const b of chunks(history, 50)) await p.project(b);
        // Overlapping redelivery: half of the last batches again, then everything once more in one go.
        await p.project(history.slice(history.length / 2));
        await p.project(history);
        expect(await p.tableHashes()).toEqual(once);
        expect(Object.values(once).every((h) => !h.startsWith('0:'))).toBe(true);
      });
    });

    it('the same history gives the same rows in batches of 1 and of 1000', async () => {
      const history = tradingHistory();
      let small: Record<string, string> = {};
      await withProjector(async (p) => { for (const b of chunks(history, 1)) await p.project(b); small = await p.tableHashes(); });
      await withProjector(async (p) => {
        await p.project(history);
        expect(await p.tableHashes()).toEqual(small);
      });
      // Some 300 one-event transactions through every projection: on a loaded 2-core machine this passes 60 s.
    }, 120_000);

    it('orders carry status, filled quantity, average fill price and the time of each step', async () => {
      await withProjector(async (p, db) => {
        await p.project(tradingHistory());
        const entry = await db.selectFrom('orders').selectAll().where('client_order_id', '=', 'sig-20-entry').executeTakeFirstOrThrow();
        expect(entry.status).toBe('filled');
        expect(Number(entry.filled_quantity)).toBeCloseTo(1.5, 12);
        const fills = await db.selectFrom('fills').selectAll().where('client_order_id', '=', 'sig-20-entry').orderBy('ts').execute();
        expect(fills.map((f) => f.fill_id)).toEqual(['f-20-1', 'f-20-2']);
        const vwap = fills.reduce((s, f) => s + Number(f.price) * Number(f.quantity), 0) / 1.5;
        expect(Number(entry.average_fill_price)).toBeCloseTo(vwap, 9);
        expect(Number(entry.submitted_at)).toBeLessThan(Number(entry.accepted_at));
        expect(Number(entry.first_fill_at)).toBeLessThan(Number(entry.filled_at));
        const manual = await db.selectFrom('orders').selectAll().where('client_order_id', '=', 'manual-1').executeTakeFirstOrThrow();
        expect(manual).toMatchObject({ status: 'cancelled', cancel_reason: 'user', side: 'buy', type: 'limit' });
        expect(manual.cancel_requested_at).not.toBeNull();
        const rejected = await db.selectFrom('orders').selectAll().where('client_order_id', '=', 'sig-x-entry').executeTakeFirstOrThrow();
        expect(rejected.status).toBe('rejected');
        expect(rejected.reject_reason).toEqual({ kind: 'MaxOrderNotionalExceeded', limit: 1000, requested: 2500 });
      });
    });

    it('positions count a fill reported twice once, realise PnL through a flip, and mark to the last bar', async () => {
      await withProjector(async (p, db) => {
        const history = tradingHistory();
        await p.project(history);
        // Independent reference: replay the distinct fills by hand.
        const seen = new Set<string>();
        let qty = 0; let avg = 0; let realized = 0; let fees = 0;
        for (const { event: e } of history) {
          if (e.type !== 'OrderFilled' || seen.has(e.data.fillId)) continue;
          seen.add(e.data.fillId);
          const s = e.data.side === 'buy' ? e.data.quantity : -e.data.quantity;
          if (qty === 0 || Math.sign(qty) === Math.sign(s)) { avg = (Math.abs(qty) * avg + e.data.quantity * e.data.price) / (Math.abs(qty) + e.data.quantity); }
          else {
            const closed = Math.min(Math.abs(qty), e.data.quantity);
            realized += closed * (e.data.price - avg) * Math.sign(qty);
            if (e.data.quantity > Math.abs(qty)) avg = e.data.price;
          }
          qty += s; fees += e.data.fee;
          if (Math.abs(qty) < 1e-12) { qty = 0; avg = 0; }
        }
        const rows = await db.selectFrom('positions').selectAll().where('instrument', '=', 'BTC/USDT').orderBy('strategy_id').execute();
        expect(rows.map((r) => r.strategy_id)).toEqual(['*', 'sma-1']);
        for (const r of rows) {
          expect(Number(r.quantity)).toBeCloseTo(qty, 9);
          expect(Number(r.realized_pnl)).toBeCloseTo(realized, 9);
          expect(Number(r.fees)).toBeCloseTo(fees, 12);
        }
        expect(realized).not.toBe(0);
        const lastBar = [...history].reverse().find((x) => x.event.type === 'BarClosed' && (x.event.data as { instrument: string }).instrument === 'BTC/USDT')!;
        expect(Number(rows[0]!.last_price)).toBe((lastBar.event.data as { close: number }).close);
        const eq = await db.selectFrom('equity').selectAll().where('account', '=', 'paper').executeTakeFirstOrThrow();
        expect(Number(eq.equity)).toBeCloseTo(realized + Number(rows[0]!.unrealized_pnl) - fees, 9);
        const curve = await db.selectFrom('equity_history').select(['ts']).where('account', '=', 'paper').execute();
        expect(curve.length).toBeGreaterThan(60);
      });
    });

    it('bars roll 1m bars up into 5m, 1h and 1d, and trades into 1m bars', async () => {
      await withProjector(async (p, db) => {
        const history = tradingHistory();
        await p.project(history);
        const ones = await db.selectFrom('bars').selectAll().where('instrument', '=', 'BTC/USDT').where('venue', '=', 'binance').where('timeframe', '=', '1m').orderBy('open_time').execute();
        expect(ones).toHaveLength(120);
        const five = await db.selectFrom('bars').selectAll().where('instrument', '=', 'BTC/USDT').where('venue', '=', 'binance').where('timeframe', '=', '5m').orderBy('open_time').execute();
        expect(five).toHaveLength(24);
        const first5 = ones.slice(0, 5);
        expect(Number(five[0]!.open)).toBe(Number(first5[0]!.open));
        expect(Number(five[0]!.close)).toBe(Number(first5[4]!.close));
        expect(Number(five[0]!.high)).toBe(Math.max(...first5.map((b) => Number(b.high))));
        expect(Number(five[0]!.low)).toBe(Math.min(...first5.map((b) => Number(b.low))));
        expect(Number(five[0]!.volume)).toBe(first5.reduce((s, b) => s + Number(b.volume), 0));
        expect(five[0]!.source).toBe('rollup:1m');
        const hours = await db.selectFrom('bars').select(['open_time', 'volume']).where('instrument', '=', 'BTC/USDT').where('venue', '=', 'binance').where('timeframe', '=', '1h').execute();
        expect(hours).toHaveLength(2);
        const days = await db.selectFrom('bars').select(['volume']).where('instrument', '=', 'BTC/USDT').where('venue', '=', 'binance').where('timeframe', '=', '1d').execute();
        expect(Number(days[0]!.volume)).toBe(ones.reduce((s, b) => s + Number(b.volume), 0));
        const fromTicks = await db.selectFrom('bars').selectAll().where('venue', '=', 'kraken').where('timeframe', '=', '1m').orderBy('open_time').execute();
        expect(fromTicks).toHaveLength(12);
        expect(fromTicks[0]).toMatchObject({ source: 'ticks' });
        expect(Number(fromTicks[0]!.volume)).toBe(0.75);
        expect(Number(fromTicks[0]!.close)).toBe(Number(fromTicks[0]!.open) + 1);
        const inst = await db.selectFrom('instruments').selectAll().where('venue', '=', 'kraken').executeTakeFirstOrThrow();
        expect(Number(inst.ask) - Number(inst.bid)).toBeCloseTo(0.2, 9);
      });
    });

    it('strategies, signals and risk state follow their events', async () => {
      await withProjector(async (p, db) => {
        await p.project(tradingHistory());
        const s = await db.selectFrom('strategies').selectAll().executeTakeFirstOrThrow();
        expect(s).toMatchObject({ strategy_id: 'sma-1', kind: 'sma-cross', status: 'stopped', stop_reason: 'end of session', params: { fast: 12, slow: 30 } });
        expect(Number(s.signal_count)).toBe(3);
        expect(await db.selectFrom('signals').select('direction').orderBy('as_of').execute()).toEqual([{ direction: 'long' }, { direction: 'short' }, { direction: 'long' }]);
        const r = await db.selectFrom('risk_state').selectAll().executeTakeFirstOrThrow();
        expect(r).toMatchObject({ account: 'paper', halted: false, resumed_by: 'ops', last_breach: { limit: 'maxDailyLoss', threshold: 100, actual: 120 } });
        expect(Number(r.breach_count)).toBe(1);
      });
    });

    it('models keep each version, the champion in force and per-variant experiment counters, whatever the batch boundaries', async () => {
      await withProjector(async (p, db) => {
        const models = tradingHistory().filter((x) => modelsProjection.handles.has(x.event.type));
        for (const b of chunks(models, 3)) await p.project(b);
        expect(await db.selectFrom('model_families').select(['family', 'champion', 'instrument']).execute())
          .toEqual([{ family: HISTORY_FAMILY, champion: `${HISTORY_FAMILY}@2`, instrument: 'BTC/USDT' }]);
        const versions = await db.selectFrom('models').select(['version', 'retire_reason']).orderBy('number').execute();
        expect(versions.map((v) => v.retire_reason)).toEqual([null, null, 'worse log loss']);
        const variants = await db.selectFrom('experiment_variants').select(['experiment_id', 'version', 'signals', 'traded']).orderBy('experiment_id').orderBy('ordinal').execute();
        expect(variants.map((v) => [v.experiment_id.slice(-1), v.version.slice(-1), Number(v.signals), Number(v.traded)])).toEqual([['1', '1', 3, 2], ['1', '2', 3, 3], ['2', '2', 1, 1], ['2', '1', 1, 0]]);
        const split = await db.selectFrom('experiments').selectAll().where('experiment_id', '=', `ab-${HISTORY_FAMILY}-1`).executeTakeFirstOrThrow();
        expect(split).toMatchObject({ status: 'concluded', decision: 'promote', winner: `${HISTORY_FAMILY}@2`, p_value: 0.03 });
      });
    });

    it('models: signals recorded before their experiment start still count, and a promotion of a family never trained still names its champion', async () => {
      await withProjector(async (p, db) => {
        const f = eventFactory(9);
        const at = f.start;
        const sig = (version: string, traded: boolean) => f.add('ExperimentSignalRecorded', { experimentId: 'late', family: 'fam', version, instrument: 'BTC/USDT', direction: 'long', probability: 0.7, price: 1, asOf: at, traded }, at);
        sig('fam@2', false);
        f.add('ModelPromoted', { version: 'fam@2', family: 'fam', reason: 'r', by: 'ops', ts: at + 1 }, at + 1);
        f.add('ExperimentStarted', { experimentId: 'late', family: 'fam', mode: 'split', champion: 'fam@1', variants: [{ version: 'fam@1', share: 0.3 }, { version: 'fam@2', share: 0.7 }], ts: at + 2 }, at + 2);
        sig('fam@2', true);
        await p.project(f.events);
        expect(await db.selectFrom('experiment_variants').select(['version', 'role', 'share']).orderBy('ordinal').execute())
          .toEqual([{ version: 'fam@1', role: 'champion', share: 0.3 }, { version: 'fam@2', role: 'challenger', share: 0.7 }]);
        const counts = await db.selectFrom('experiment_variants').select(['signals', 'traded']).where('version', '=', 'fam@2').executeTakeFirstOrThrow();
        expect([Number(counts.signals), Number(counts.traded)]).toEqual([2, 1]);
        expect(await db.selectFrom('model_families').select(['family', 'champion']).execute()).toEqual([{ family: 'fam', champion: 'fam@2' }]);
        expect(await db.selectFrom('models').select('version').execute()).toEqual([]);
      });
    });

    it('a params change its worker refused is undone, and the refusal shown until the next accepted change', async () => {
      await withProjector(async (p, db) => {
        const f = eventFactory(7);
        const at = f.start;
        f.add('StrategyStarted', { strategyId: 'xgb-1', kind: 'ml:xgboost', instruments: ['BTC/USDT'], timeframe: '5m', params: { longAbove: 0.55 }, by: 'config', ts: at }, at);
        const change = f.add('StrategyParamsChanged', { strategyId: 'xgb-1', params: { longAbove: 7 }, previous: { longAbove: 0.55 }, by: 'ops', ts: at + 1 }, at + 1);
        f.add('StrategyParamsRejected', { strategyId: 'xgb-1', params: { longAbove: 7 }, changeId: change.id, issues: [{ path: 'longAbove', message: 'at most 1' }], ts: at + 2 }, at + 2);
        await p.project(f.events);
        const rejected = await db.selectFrom('strategies').selectAll().where('strategy_id', '=', 'xgb-1').executeTakeFirstOrThrow();
        expect(rejected).toMatchObject({ params: { longAbove: 0.55 }, params_rejection: { params: { longAbove: 7 }, issues: [{ path: 'longAbove', message: 'at most 1' }] } });
        f.add('StrategyParamsChanged', { strategyId: 'xgb-1', params: { longAbove: 0.6 }, previous: { longAbove: 0.55 }, by: 'ops', ts: at + 3 }, at + 3);
        await p.project(f.events.slice(-1));
        expect(await db.selectFrom('strategies').select(['params', 'params_rejection']).where('strategy_id', '=', 'xgb-1').executeTakeFirstOrThrow())
          .toEqual({ params: { longAbove: 0.6 }, params_rejection: null });
      });
    });

    it('a dead letter is stored once per source offset, with its reason and its raw bytes', async () => {
      await withProjector(async (_p, db) => {
        const bad = { topic: 'orders', partition: 2, offset: '41', value: Buffer.from('{"type":'), failure: { kind: 'MalformedJson' as const, message: 'Unexpected end' }, receivedAt: 1 };
        const binary = { ...bad, offset: '42', value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) };
        await recordDeadLetters(db, [bad, binary]);
        await recordDeadLetters(db, [bad]);
        const rows = await db.selectFrom('dead_letters').selectAll().orderBy('offset').execute();
        expect(rows).toHaveLength(2);
        expect(rows[0]).toMatchObject({ raw_text: '{"type":', reason: 'not valid JSON: Unexpected end' });
        expect(rows[1]!.raw_text).toBeNull();
        expect(Buffer.from(rows[1]!.raw_base64, 'base64')).toEqual(binary.value);
      });
    });
  });
}
