// The composition root: the one place that reads the config and chooses adapters; workers get ports only.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allTopics, topics } from '@qts/schemas';
import type { Bus, Clock, Consumer, EventStore } from '@qts/core';
import { EsdbEventStore, InProcessBus, KafkaBus, PostgresEventStore, createPgliteDb, startRecorder, type PgDatabase } from '@qts/adapters';
import { eventStoreSchema, type RuntimeConfig, type Secrets } from './config.ts';
import { namespacedBus } from './namespaced-bus.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import { meteredBus } from '../observability/metered-bus.ts';
import { meteredStore } from '../observability/metered-store.ts';
import { onIncident } from '../observability/logging.ts';
import { kafkaCommittedOffsets } from '../observability/kafka-offsets.ts';
import type { Logger } from './log.ts';
import { PaperExecutor } from '../workers/paper-executor.ts';
import { startCcxtFeed } from '../workers/exchange-ingest.ts';
import { startLiveExecutor, stopper } from '../workers/live-executor-wiring.ts';
import type { LiveExecutor } from '../workers/live-executor.ts';
import { runReplayIngest } from '../workers/replay-ingest.ts';
import { startStrategyWorker } from '../workers/strategy-worker.ts';

/**
 * Messages the in-process bus keeps per partition: twice its backpressure limit (10,000), so a running
 * consumer never loses one, while a 24/7 embedded process holds a bounded window instead of growing
 * towards the bus default (100,000 a partition). The event store, not the bus, is the history.
 */
const EMBEDDED_RETAIN = 20_000;

export const workerNames = ['ingest', 'strategy', 'ml', 'executor', 'recorder', 'projector', 'api'] as const;
export type WorkerName = (typeof workerNames)[number];

export const systemClock: Clock = { now: () => Date.now() };

export interface Infrastructure {
  readonly bus: Bus;
  readonly store: EventStore;
  /** The embedded PGlite database shared by the event store and the read models, when embedded. */
  readonly embeddedDb: PgDatabase | null;
  /** This system's Prometheus metrics (the bus and store are metered into them). */
  readonly metrics: SystemMetrics;
  close(): Promise<void>;
}

/** Opens the bus and the event store the config names. */
export async function openInfrastructure(config: RuntimeConfig, log: Logger, metrics = new SystemMetrics()): Promise<Infrastructure> {
  const kafka = config.bus.kind === 'kafka'
    ? new KafkaBus({ brokers: config.bus.brokers, clientId: 'qts', logger: log.child({ component: 'kafka' }), eventHeaders: config.bus.eventHeaders, consumer: { sessionTimeoutMs: config.bus.sessionTimeoutMs } })
    : null;
  const ns = config.namespace;
  const offsets = config.bus.kind === 'kafka' ? kafkaCommittedOffsets(config.bus.brokers, ns) : null;
  const bus: Bus = meteredBus(namespacedBus(kafka ?? new InProcessBus({ logger: log.child({ component: 'bus' }), retainPerPartition: EMBEDDED_RETAIN }), ns), metrics, {
    namespace: ns,
    ...(kafka && offsets ? { watermarks: (topic: string) => kafka.watermarks(ns ? `${ns}.${topic}` : topic), committed: offsets.committed } : {}),
  });
  const stopCounting = onIncident((e) => metrics.incidents.inc({ component: e.component }));
  let embeddedDb: PgDatabase | null = null;
  let store: EventStore;
  if (config.eventStore.kind === 'esdb') store = EsdbEventStore.connect(config.eventStore.url);
  else if (config.eventStore.kind === 'postgres') {
    store = await PostgresEventStore.openPostgres(config.eventStore.url, { schema: eventStoreSchema(config) });
  }
  else {
    const dir = resolve(config.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    embeddedDb = await createPgliteDb(dir);
    store = await PostgresEventStore.create(embeddedDb);
  }
  store = meteredStore(store, metrics);
  const opened: Infrastructure = {
    bus, store, embeddedDb, metrics,
    async close() {
      stopCounting();
      await offsets?.close();
      await bus.close();
      await store.close();
      await embeddedDb?.close();
    },
  };
  try {
    await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: config.bus.kind === 'kafka' ? config.bus.partitions : 3 })));
  } catch (e) {
    // A worker retries its start: what this attempt opened must not linger (pools, sockets, timers).
    await opened.close().catch(() => undefined);
    throw e;
  }
  return opened;
}

export interface RunningSystem {
  readonly executor: PaperExecutor | null;
  /** The executor on a live exchange (venue.kind 'ccxt'), instead of the paper one. */
  readonly liveExecutor: LiveExecutor | null;
  /** Resolves when the replay feed has published every recorded bar (never for a live feed). */
  readonly replayDone: Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the chosen workers over the infrastructure, in the order that makes a restart exact: the
 * executor recovers from the store before it consumes, strategies warm up from stored bars, and the
 * replay feed starts last, after the last bar the store holds.
 */
export async function startWorkers(config: RuntimeConfig, infra: Infrastructure, workers: readonly WorkerName[], log: Logger, clock: Clock = systemClock, secrets: Secrets = {}): Promise<RunningSystem> {
  const { bus, store } = infra;
  const consumers: Consumer[] = [];
  const abort = new AbortController();
  const want = new Set(workers);
  let executor: PaperExecutor | null = null;
  let liveExecutor: LiveExecutor | null = null;

  if (want.has('recorder')) consumers.push(await startRecorder({ bus, store, logger: log.child({ worker: 'recorder' }) }));

  if (want.has('executor') && config.venue.kind === 'ccxt') {
    const live = await startLiveExecutor(config, config.venue, secrets, { bus, store, clock, log: log.child({ worker: 'executor' }) });
    liveExecutor = live.executor;
    consumers.push(...live.consumers);
  } else if (want.has('executor') && config.venue.kind === 'paper') {
    executor = new PaperExecutor({
      account: config.account,
      cash: config.cash,
      desk: { executor: executorOptions(config), limits: config.risk },
      venue: { slippageBps: config.venue.slippageBps, makerFeeBps: config.venue.makerFeeBps, takerFeeBps: config.venue.takerFeeBps },
      strategiesByInstrument: strategiesByInstrument(config),
    }, { store, bus, clock, log: log.child({ worker: 'executor' }) });
    const recovered = await executor.recover();
    log.info(recovered, 'executor recovered its books from the event store');
    const ex = executor;
    consumers.push(await bus.consume({ groupId: 'executor.bars', topics: [topics.bars], fromBeginning: true, handler: async (e) => { if (e.type === 'BarClosed') await ex.onBar(e); } }));
    consumers.push(await bus.consume({
      groupId: 'executor.signals', topics: [topics.signals], fromBeginning: true,
      handler: async (e) => { if (e.type === 'SignalEmitted' || e.type === 'BarEvaluated') await ex.onSignal(e); },
    }));
    consumers.push(await bus.consume({
      groupId: 'executor.risk', topics: [topics.risk], fromBeginning: true,
      handler: async (e) => { if (e.type === 'TradingHalted' || e.type === 'TradingResumed') await ex.onRisk(e); },
    }));
  }

  if (want.has('strategy')) {
    const venue = config.market.kind === 'replay' ? null : config.market.exchange;
    for (const s of config.strategies) {
      const feedVenue = venue ?? (config.market.kind === 'replay' ? config.market.files.find((f) => f.instrument === s.instrument)?.venue : undefined) ?? 'replay';
      consumers.push(await startStrategyWorker({ ...s, venue: feedVenue }, { bus, store, clock, log: log.child({ worker: 'strategy' }) }));
    }
  }

  if (want.has('ml') && config.models.length > 0) {
    // Loaded only when models are configured: tfjs and the WASM modules cost other workers nothing.
    const { openModelRegistry, startMlWorkers } = await import('../workers/ml-worker.ts');
    const mlLog = log.child({ worker: 'ml' });
    const registry = await openModelRegistry(config, { bus, store, clock, log: mlLog }, config.modelDir ?? process.env['QTS_MODEL_DIR'] ?? dataPath(config, 'models'));
    const feedVenue = (instrument: string) => (config.market.kind === 'replay' ? config.market.files.find((f) => f.instrument === instrument)?.venue ?? 'replay' : config.market.exchange);
    consumers.push(...await startMlWorkers(config.models, feedVenue, { bus, store, clock, log: mlLog, registry }));
  }

  let replayDone: Promise<number> = new Promise(() => undefined);
  /** What stop() waits for: the replay's end after the abort; a live feed stops with its consumer. */
  let ingestDone: Promise<unknown> = Promise.resolve();
  if (want.has('ingest')) {
    if (config.market.kind === 'ccxt') {
      const feed = await startCcxtFeed(config.market, { bus, store, clock, log: log.child({ worker: 'ingest' }) });
      consumers.push(stopper(() => feed.stop()));
    } else {
      const files = config.market.files.map((f) => ({ ...f, path: resolve(f.path) }));
      replayDone = runReplayIngest(files, config.market.barsPerSecond, { bus, store, clock, log: log.child({ worker: 'ingest' }) }, abort.signal);
      replayDone.catch((e: unknown) => log.error({ err: e }, 'replay ingest failed'));
      ingestDone = replayDone;
    }
  }

  return {
    executor,
    liveExecutor,
    replayDone,
    async stop() {
      abort.abort();
      await ingestDone.catch(() => 0);
      // Stop consuming in reverse start order; each stop finishes its in-flight event and commits.
      for (const c of consumers.reverse()) await c.stop();
    },
  };
}

function strategiesByInstrument(config: RuntimeConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of config.strategies) (out[s.instrument] ??= []).push(s.id);
  // Model strategies report progress like rule strategies: the executor waits for their markers too.
  for (const m of config.models) (out[m.instrument] ??= []).push(m.id);
  return out;
}

/** Only the options the user set: absent ones keep the desk's defaults (exactOptionalPropertyTypes-safe). */
function executorOptions(config: RuntimeConfig) {
  const { sizing, allowShort, stopLossPct, takeProfitPct } = config.executor;
  return { sizing, allowShort, ...(stopLossPct !== undefined ? { stopLossPct } : {}), ...(takeProfitPct !== undefined ? { takeProfitPct } : {}) };
}

export function dataPath(config: RuntimeConfig, ...parts: string[]): string {
  return join(resolve(config.dataDir), ...parts);
}
