// Test helpers for projections: databases on PGlite and on the Postgres server, and a realistic event history.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { makeEvent, seededIds, type DomainEvent, type EventData, type EventType } from '@qts/schemas';
import type { ReadDb } from './db.ts';
import type { Positioned } from './projection.ts';

export const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';

export interface TestDb { readonly db: ReadDb; close(): Promise<void> }

export async function pgliteTestDb(): Promise<TestDb> {
  const client = await PGlite.create('memory://');
  const db = new Kysely<never>({ dialect: new PGliteDialect(client) }) as unknown as ReadDb;
  return { db, close: () => db.destroy() };
}

/** A fresh schema on the shared server, dropped on close, so parallel test runs never meet. */
export async function postgresTestDb(prefix = 'proj'): Promise<TestDb> {
  const schema = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10, options: `-c search_path="${schema}"` });
  const db = new Kysely<never>({ dialect: new PostgresDialect({ pool }) }) as unknown as ReadDb;
  return {
    db,
    close: async () => {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db).catch(() => undefined);
      await db.destroy();
    },
  };
}

/** Builds events with reproducible ids and times, the way the system would have stored them. */
export function eventFactory(seed = 1, start = Date.UTC(2026, 0, 5, 0, 0)) {
  const ids = seededIds(seed);
  let position = 0n;
  const events: Positioned[] = [];
  const add = <T extends EventType>(type: T, data: EventData<T>, at: number, correlationId?: string): DomainEvent<T> => {
    const e = makeEvent(type, data, { id: ids(at), occurredAt: at, recordedAt: at + 1, ...(correlationId ? { correlationId } : {}) });
    position += 1n;
    events.push({ event: e as DomainEvent, position });
    return e;
  };
  return { add, events, start };
}

/**
 * A morning of trading on two instruments: bars, ticks and quotes, a strategy with signals, orders
 * through every outcome (partial and full fills, a fill reported twice, a cancel, a rejection, a flip
 * through zero), and a risk breach, halt and resume.
 */
export function tradingHistory(seed = 1): Positioned[] {
  const f = eventFactory(seed);
  const t0 = f.start;
  const min = 60_000;
  f.add('StrategyStarted', { strategyId: 'sma-1', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '1m', params: { fast: 10, slow: 30 }, by: 'test', ts: t0 }, t0);
  let px = 100;
  for (let i = 0; i < 120; i++) {
    const open = px;
    px = Math.round((px + Math.sin(i / 7) * 0.8 + (i % 5 === 0 ? -0.3 : 0.2)) * 100) / 100;
    const ot = t0 + i * min;
    for (const inst of ['BTC/USDT', 'ETH/USDT']) {
      const k = inst === 'BTC/USDT' ? 1 : 0.05;
      f.add('BarClosed', {
        venue: 'binance', instrument: inst, timeframe: '1m', openTime: ot, closeTime: ot + min,
        open: open * k, high: Math.max(open, px) * k + 0.5 * k, low: Math.min(open, px) * k - 0.5 * k, close: px * k, volume: 10 + (i % 7),
      }, ot + min);
    }
    if (i % 10 === 0) {
      f.add('TradeTick', { venue: 'kraken', instrument: 'BTC/USDT', price: px, size: 0.5, aggressor: 'buy', ts: ot + 1000 }, ot + 1000);
      f.add('TradeTick', { venue: 'kraken', instrument: 'BTC/USDT', price: px + 1, size: 0.25, aggressor: 'sell', ts: ot + 2000 }, ot + 2000);
      f.add('QuoteUpdated', { venue: 'kraken', instrument: 'BTC/USDT', bid: px - 0.1, bidSize: 2, ask: px + 0.1, askSize: 3, ts: ot + 2500 }, ot + 2500);
    }
    if (i === 20 || i === 50 || i === 80) {
      const ts = ot + min;
      const sig = f.add('SignalEmitted', { strategyId: 'sma-1', instrument: 'BTC/USDT', direction: i === 50 ? 'short' : 'long', strength: 0.8, price: px, asOf: ts, reason: `cross at bar ${i}` }, ts);
      const coid = `sig-${i}-entry`;
      const side = i === 50 ? 'sell' : 'buy';
      const qty = i === 50 ? 3 : 1.5;
      f.add('OrderRequested', { clientOrderId: coid, signalId: sig.id, strategyId: 'sma-1', account: 'paper', venue: 'binance', instrument: 'BTC/USDT', side, type: 'market', quantity: qty, timeInForce: 'GTC', reduceOnly: false, ts }, ts, sig.correlationId);
      f.add('OrderSubmitted', { clientOrderId: coid, instrument: 'BTC/USDT', venue: 'binance', ts: ts + 5 }, ts + 5, sig.correlationId);
      f.add('OrderAccepted', { clientOrderId: coid, instrument: 'BTC/USDT', venueOrderId: `v-${i}`, ts: ts + 10 }, ts + 10, sig.correlationId);
      const half = qty / 3;
      f.add('OrderFilled', { clientOrderId: coid, instrument: 'BTC/USDT', venueOrderId: `v-${i}`, fillId: `f-${i}-1`, side, price: px, quantity: half, fee: 0.01, feeCurrency: 'USDT', liquidity: 'taker', ts: ts + 20 }, ts + 20, sig.correlationId);
      // The venue reports the first fill again (reconnect): same fillId, new event.
      f.add('OrderFilled', { clientOrderId: coid, instrument: 'BTC/USDT', venueOrderId: `v-${i}`, fillId: `f-${i}-1`, side, price: px, quantity: half, fee: 0.01, feeCurrency: 'USDT', liquidity: 'taker', ts: ts + 20 }, ts + 25, sig.correlationId);
      f.add('OrderFilled', { clientOrderId: coid, instrument: 'BTC/USDT', venueOrderId: `v-${i}`, fillId: `f-${i}-2`, side, price: px + 0.1, quantity: qty - half, fee: 0.02, feeCurrency: 'USDT', liquidity: 'taker', ts: ts + 30 }, ts + 30, sig.correlationId);
    }
  }
  const late = t0 + 121 * min;
  f.add('OrderRequested', { clientOrderId: 'manual-1', signalId: null, strategyId: 'manual', account: 'paper', venue: 'binance', instrument: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 2, limitPrice: 4, timeInForce: 'GTC', reduceOnly: false, ts: late }, late);
  f.add('OrderAccepted', { clientOrderId: 'manual-1', instrument: 'ETH/USDT', venueOrderId: 'v-m1', ts: late + 10 }, late + 10);
  f.add('OrderCancelRequested', { clientOrderId: 'manual-1', instrument: 'ETH/USDT', reason: 'user', ts: late + 20 }, late + 20);
  f.add('OrderCancelled', { clientOrderId: 'manual-1', instrument: 'ETH/USDT', reason: 'user', ts: late + 30 }, late + 30);
  f.add('OrderRejected', { clientOrderId: 'sig-x-entry', signalId: null, strategyId: 'sma-1', instrument: 'BTC/USDT', reason: { kind: 'MaxOrderNotionalExceeded', limit: 1000, requested: 2500 }, ts: late + 40 }, late + 40);
  f.add('RiskLimitBreached', { account: 'paper', limit: 'maxDailyLoss', threshold: 100, actual: 120, ts: late + 50 }, late + 50);
  f.add('TradingHalted', { account: 'paper', reason: { kind: 'MaxDailyLoss', limit: 100, loss: 120 }, ts: late + 50 }, late + 50);
  f.add('TradingResumed', { account: 'paper', by: 'ops', note: 'reviewed', ts: late + 60 }, late + 60);
  f.add('StrategyParamsChanged', { strategyId: 'sma-1', params: { fast: 12, slow: 30 }, previous: { fast: 10, slow: 30 }, by: 'ops', ts: late + 70 }, late + 70);
  f.add('StrategyStopped', { strategyId: 'sma-1', reason: 'end of session', by: 'ops', ts: late + 80 }, late + 80);
  modelHistory(f, late + 100);
  return f.events;
}

/** The family of models in tradingHistory: @1 champion, then @2 after winning its A/B split, @3 retired. */
export const HISTORY_FAMILY = 'lstm-btcusdt-1m';

/**
 * A model family's life: three versions trained, @1 promoted, a split experiment @1 vs @2 with six
 * signals that @2 wins, @2 promoted, @3 retired, then a shadow experiment still running with two signals.
 */
export function modelHistory(f: ReturnType<typeof eventFactory>, at: number, family = HISTORY_FAMILY): void {
  const v = (n: number) => `${family}@${n}`;
  for (let n = 1; n <= 3; n++) {
    f.add('ModelTrained', {
      version: v(n), family, kind: 'lstm', instrument: 'BTC/USDT', timeframe: '1m', metrics: { accuracy: 0.5 + n / 100, logLoss: 0.7 - n / 100, rocAuc: n === 3 ? null : 0.55 },
      params: { units: 16 * n, lookback: 32 }, featureSpecHash: `spec-${family}`, dataRange: { from: at - 86_400_000, to: at, bars: 1440 },
      codeVersion: 'test', artifact: `${family}/${n}.json`, artifactHash: `hash-${n}`, seed: n, ts: at + n,
    }, at + n);
  }
  f.add('ModelPromoted', { version: v(1), family, reason: 'first model', by: 'ops', ts: at + 10 }, at + 10);
  const split = `ab-${family}-1`;
  f.add('ExperimentStarted', { experimentId: split, family, mode: 'split', champion: v(1), variants: [{ version: v(1), share: 0.5 }, { version: v(2), share: 0.5 }], ts: at + 20 }, at + 20);
  for (let i = 0; i < 6; i++) {
    f.add('ExperimentSignalRecorded', {
      experimentId: split, family, version: v(1 + (i % 2)), instrument: 'BTC/USDT', direction: i % 3 === 0 ? 'flat' : 'long', probability: 0.6, price: 100 + i, asOf: at + 30 + i, traded: i !== 4,
    }, at + 30 + i);
  }
  f.add('ExperimentConcluded', {
    experimentId: split, family, decision: 'promote', winner: v(2), pValue: 0.03,
    stats: { [v(1)]: { trades: 3, meanReturn: 0.001 }, [v(2)]: { trades: 2, meanReturn: 0.004, sharpe: null } }, ts: at + 40,
  }, at + 40);
  f.add('ModelPromoted', { version: v(2), family, previous: v(1), reason: `won ${split}`, by: 'experiment', ts: at + 50 }, at + 50);
  f.add('ModelRetired', { version: v(3), family, reason: 'worse log loss', by: 'ops', ts: at + 60 }, at + 60);
  const shadow = `ab-${family}-2`;
  f.add('ExperimentStarted', { experimentId: shadow, family, mode: 'shadow', champion: v(2), variants: [{ version: v(2), share: 1 }, { version: v(1), share: 0 }], ts: at + 70 }, at + 70);
  for (let i = 0; i < 2; i++) {
    f.add('ExperimentSignalRecorded', { experimentId: shadow, family, version: v(2 - i), instrument: 'BTC/USDT', direction: 'short', probability: 0.3, price: 99, asOf: at + 80, traded: i === 0 }, at + 80 + i);
  }
}

/** Splits a list into chunks of `size`: the batches a projector would see. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Polls until `check` stops throwing, for conditions reached asynchronously. */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try { await check(); return; } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
