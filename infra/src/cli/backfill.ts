// `qts backfill`: historical candles from an exchange through ccxt, appended once as BarClosed events to the event store.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { QtsError, type Clock, type EventStore, type ExpectedRevision } from '@qts/core';
import { CcxtMarketData, EsdbEventStore, PostgresEventStore } from '@qts/adapters';
import { Instrument, Timeframe, definitionOf, derivedId, makeEvent, type BarClosed, type DomainEvent } from '@qts/schemas';
import { eventStoreSchema, loadConfig, type RuntimeConfig } from '../runtime/config.ts';

export interface BackfillRequest {
  readonly instrument: string;
  readonly timeframe: Timeframe;
  readonly since: number;
  readonly until?: number;
}

export interface BackfillReport {
  readonly stream: string;
  readonly fetched: number;
  readonly appended: number;
  /** Bars the stream already had (a re-run, or an overlapping window). */
  readonly alreadyStored: number;
  /** Missing bars older than the stream's last bar: not inserted, a stream is append-only. */
  readonly behindStreamEnd: number;
  readonly first: number | null;
  readonly last: number | null;
}

/** The id of a backfilled bar: the same bar fetched again gets the same id, so a store never holds it twice. */
export function barEventId(bar: BarClosed): string {
  return derivedId(`bar:${bar.venue}:${bar.instrument}:${bar.timeframe}:${bar.openTime}`, bar.closeTime);
}

/**
 * Fetches closed candles page by page and appends the ones the stream lacks, in time order, with an
 * expected revision (a concurrent writer makes this fail rather than interleave).
 */
export async function runBackfill(marketData: CcxtMarketData, store: EventStore, request: BackfillRequest, clock: Clock, progress: (line: string) => void = () => {}): Promise<BackfillReport> {
  const stream = definitionOf('BarClosed').stream({ venue: marketData.venue, instrument: request.instrument, timeframe: request.timeframe } as BarClosed);
  const stored = new Set<number>();
  let lastOpen = -Infinity;
  let expected: ExpectedRevision = 'no_stream';
  for await (const s of store.readStream(stream)) {
    const bar = s.event.data as BarClosed;
    stored.add(bar.openTime);
    lastOpen = Math.max(lastOpen, bar.openTime);
    expected = s.revision;
  }
  let fetched = 0, appended = 0, alreadyStored = 0, behindStreamEnd = 0;
  let first: number | null = null, last: number | null = null;
  for await (const page of marketData.backfillBars(request.instrument, request.timeframe, request.since, request.until)) {
    fetched += page.length;
    const fresh: DomainEvent<'BarClosed'>[] = [];
    for (const bar of page) {
      if (stored.has(bar.openTime)) { alreadyStored++; continue; }
      if (bar.openTime < lastOpen) { behindStreamEnd++; continue; }
      fresh.push(makeEvent('BarClosed', bar, { id: barEventId(bar), occurredAt: bar.closeTime, recordedAt: clock.now(), meta: { source: 'backfill' } }));
      stored.add(bar.openTime);
      lastOpen = bar.openTime;
    }
    if (fresh.length === 0) continue;
    const r = await store.append(stream, fresh, expected);
    expected = r.nextExpectedRevision;
    appended += fresh.length;
    first ??= fresh[0]!.data.openTime;
    last = fresh[fresh.length - 1]!.data.openTime;
    progress(`  ${appended} bars appended, up to ${new Date(last).toISOString()}`);
  }
  return { stream, fetched, appended, alreadyStored, behindStreamEnd, first, last };
}

/** ISO-8601 date or date-time (UTC unless it says otherwise), or epoch milliseconds. */
export function parseInstant(flag: string) {
  return (raw: string): number => {
    const ms = /^\d{10,}$/.test(raw) ? Number(raw) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
    if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentError(`${flag} must be an ISO date (2023-01-02 or 2023-01-02T16:45:00Z) or epoch ms, got '${raw}'`);
    return ms;
  };
}

async function openStore(config: RuntimeConfig): Promise<EventStore> {
  if (config.eventStore.kind === 'esdb') return EsdbEventStore.connect(config.eventStore.url);
  if (config.eventStore.kind === 'postgres') return PostgresEventStore.openPostgres(config.eventStore.url, { schema: eventStoreSchema(config) });
  const dir = resolve(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return PostgresEventStore.openPglite(dir);
}

interface BackfillFlags {
  exchange: string;
  symbol: string;
  timeframe: Timeframe;
  since: number;
  until?: number;
  baseUrl?: string;
  sandbox?: boolean;
  config?: string;
  json?: boolean;
}

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description('fetch historical candles from an exchange (ccxt) and append them as BarClosed events; a re-run appends only what is missing')
    .requiredOption('--exchange <id>', 'ccxt exchange id, e.g. binance')
    .requiredOption('--symbol <symbol>', 'instrument, e.g. BTC/USDT', (raw: string) => {
      if (!Instrument.safeParse(raw).success || !raw.includes('/')) throw new InvalidArgumentError(`--symbol must look like BTC/USDT, got '${raw}'`);
      return raw;
    })
    .addOption(new Option('--timeframe <tf>', 'candle timeframe').choices(Timeframe.options.filter((t) => t !== 'tick')).makeOptionMandatory())
    .requiredOption('--since <date>', 'first candle (ISO date or epoch ms)', parseInstant('--since'))
    .option('--until <date>', 'stop before this time (default: now)', parseInstant('--until'))
    .option('--base-url <url>', "the exchange API's base URL instead of production (a testnet, or a local stand-in)")
    .option('--sandbox', "use the exchange's testnet through ccxt's sandbox mode")
    .option('--config <path>', 'runtime config file (event store choice); env PG_URL / ESDB_URL / QTS_DATA_DIR also apply')
    .option('--json', 'print the report as JSON')
    .action(async (flags: BackfillFlags) => {
      let store: EventStore | null = null;
      let marketData: CcxtMarketData | null = null;
      try {
        if (flags.until !== undefined && flags.until <= flags.since) throw new InvalidArgumentError('--until must be after --since');
        const { config } = loadConfig(flags.config !== undefined ? { path: flags.config } : {});
        marketData = CcxtMarketData.create({
          exchange: flags.exchange, pro: false,
          ...(flags.baseUrl !== undefined ? { baseUrl: flags.baseUrl } : {}),
          ...(flags.sandbox ? { sandbox: true } : {}),
        });
        store = await openStore(config);
        const request: BackfillRequest = { instrument: flags.symbol, timeframe: flags.timeframe, since: flags.since, ...(flags.until !== undefined ? { until: flags.until } : {}) };
        if (!flags.json) console.log(`backfill ${flags.exchange} ${flags.symbol} ${flags.timeframe} from ${new Date(flags.since).toISOString()}${flags.until !== undefined ? ` to ${new Date(flags.until).toISOString()}` : ''} into ${store.name}`);
        const report = await runBackfill(marketData, store, request, { now: () => Date.now() }, flags.json ? () => {} : (l) => console.log(l));
        if (flags.json) {
          console.log(JSON.stringify(report));
        } else {
          console.log(`${report.stream}: fetched ${report.fetched}, appended ${report.appended}, already stored ${report.alreadyStored}${report.behindStreamEnd > 0 ? `, ${report.behindStreamEnd} older than the stream's last bar (not inserted)` : ''}`);
        }
      } catch (e) {
        if (e instanceof QtsError || e instanceof InvalidArgumentError) {
          console.error(`qts backfill: ${e.message}`);
          process.exitCode = e instanceof QtsError && e.kind !== 'ValidationError' ? 1 : 2;
          return;
        }
        throw e;
      } finally {
        await marketData?.close();
        await store?.close();
      }
    });
}
