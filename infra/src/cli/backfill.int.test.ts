// `qts backfill` against the Binance stand-in over HTTP: bars land once in the event store, a re-run appends nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtMarketData, PostgresEventStore } from '@qts/adapters';
import { BinanceStandin, standinBarsFromCsv, type StandinBar } from '@qts/adapters/testing';
import type { BarClosed } from '@qts/schemas';
import { barEventId, runBackfill } from './backfill.ts';
import { runQts } from './spawn-qts.ts';

const SAMPLE = resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv');
let standin: BinanceStandin;
let bars: StandinBar[];
const dirs: string[] = [];

beforeAll(async () => {
  standin = await BinanceStandin.start({ apiKeys: {} });
  bars = standinBarsFromCsv(SAMPLE);
  standin.loadBars('BTCUSDT', '5m', bars);
});
afterAll(async () => {
  await standin?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function storedBars(dataDir: string): Promise<BarClosed[]> {
  const store = await PostgresEventStore.openPglite(join(dataDir, 'pglite'));
  const out: BarClosed[] = [];
  try {
    for await (const s of store.readStream('bars-binance.BTC_USDT.5m')) out.push(s.event.data as BarClosed);
  } finally {
    await store.close();
  }
  return out;
}

describe('qts backfill', () => {
  it('writes every closed candle of the window once, across pages; a second run appends nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'qts-backfill-'));
    dirs.push(dataDir);
    const since = new Date(bars[0]!.openTime).toISOString();
    const until = String(bars[1500]!.openTime);
    const args = ['backfill', '--exchange', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '5m', '--since', since, '--until', until, '--base-url', standin.url, '--json'];
    const env = { QTS_DATA_DIR: dataDir, QTS_EVENT_STORE: 'pglite', PG_URL: '', ESDB_URL: '' };
    const klinesBefore = standin.countOf('GET', '/api/v3/klines');
    const first = await runQts(args, env, 120_000);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trim())).toEqual(expect.objectContaining({ stream: 'bars-binance.BTC_USDT.5m', fetched: 1500, appended: 1500, alreadyStored: 0 }));
    expect(standin.countOf('GET', '/api/v3/klines') - klinesBefore).toBe(2);

    const stored = await storedBars(dataDir);
    expect(stored).toHaveLength(1500);
    expect(stored[0]).toEqual({
      venue: 'binance', instrument: 'BTC/USDT', timeframe: '5m', openTime: bars[0]!.openTime, closeTime: bars[0]!.openTime + 300_000,
      open: bars[0]!.open, high: bars[0]!.high, low: bars[0]!.low, close: bars[0]!.close, volume: bars[0]!.volume,
    });
    expect(stored.every((b, i) => i === 0 || b.openTime === stored[i - 1]!.openTime + 300_000)).toBe(true);

    const second = await runQts(args, env, 120_000);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout.trim())).toEqual(expect.objectContaining({ fetched: 1500, appended: 0, alreadyStored: 1500 }));
    expect(await storedBars(dataDir)).toHaveLength(1500);
  }, 180_000);

  it('refuses a bad symbol with the reason before touching the network', async () => {
    const r = await runQts(['backfill', '--exchange', 'binance', '--symbol', 'BTCUSDT', '--timeframe', '5m', '--since', '2023-01-01'], {}, 60_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--symbol must look like BTC\/USDT/);
  }, 120_000);

  it('extends a stream: a wider window appends only the bars after what is stored, with ids derived from the bar', async () => {
    const store = await PostgresEventStore.openPglite('memory://');
    const md = CcxtMarketData.create({ exchange: 'binance', baseUrl: standin.url, pro: false });
    const clock = { now: () => Date.now() };
    try {
      const a = await runBackfill(md, store, { instrument: 'BTC/USDT', timeframe: '5m', since: bars[100]!.openTime, until: bars[300]!.openTime }, clock);
      expect(a).toEqual(expect.objectContaining({ appended: 200, first: bars[100]!.openTime, last: bars[299]!.openTime }));
      const b = await runBackfill(md, store, { instrument: 'BTC/USDT', timeframe: '5m', since: bars[0]!.openTime, until: bars[400]!.openTime }, clock);
      // Bars 0..99 are older than the stream's end: an append-only stream cannot take them; they are reported, not inserted.
      expect(b).toEqual(expect.objectContaining({ fetched: 400, appended: 100, alreadyStored: 200, behindStreamEnd: 100, first: bars[300]!.openTime }));
      const events = [];
      for await (const s of store.readStream('bars-binance.BTC_USDT.5m')) events.push(s.event);
      expect(events).toHaveLength(300);
      expect(events[0]!.id).toBe(barEventId(events[0]!.data as BarClosed));
    } finally {
      await md.close();
      await store.close();
    }
  }, 60_000);
});
