// `qts worker <name>`: runs one worker of the distributed mode in this process until SIGINT/SIGTERM, then stops it gracefully.
import type { Command } from 'commander';
import type { Bus, EventStore } from '@qts/core';
import { startRecorder, RECORDER_GROUP } from '@qts/adapters';
import { loadConfig, type RuntimeConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, systemClock, type Infrastructure, type WorkerName } from '../runtime/compose.ts';
import { startHealthServer } from '../runtime/health.ts';
import type { Logger } from '../runtime/log.ts';
import { startReadSide } from '../runtime/read-side.ts';
import { workerLogger } from '../observability/logging.ts';
import { startNotifier, type RunningNotifier } from '../notify/notifier.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import { startWithRetry } from '../runtime/start-retry.ts';

export interface WorkerFlags {
  readonly group?: string;
  readonly topics?: string[];
  readonly healthPort?: string;
}

export interface WorkerContext {
  readonly infra: Infrastructure;
  readonly bus: Bus;
  readonly store: EventStore;
  readonly config: RuntimeConfig;
  readonly log: Logger;
  readonly flags: WorkerFlags;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** The workers `qts worker` can run; each one line here. */
export const workerRegistry: Readonly<Record<string, { readonly description: string; start(ctx: WorkerContext): Promise<RunningWorker> }>> = {
  recorder: {
    description: 'appends every event of the catalog topics to its event-store stream (own group, idempotent)',
    start: ({ bus, store, log, flags }) => startRecorder({ bus, store, logger: log, groupId: flags.group ?? RECORDER_GROUP, ...(flags.topics ? { topics: flags.topics } : {}) }),
  },
  ingest: { description: 'feeds the configured market data (replay of recorded bars, or an exchange\'s live candles through ccxt) onto market.bars', start: (ctx) => runtimeWorker(ctx, 'ingest') },
  strategy: { description: 'runs the configured strategies: bars in, signals out (scale out: more processes share the partitions)', start: (ctx) => runtimeWorker(ctx, 'strategy') },
  ml: { description: 'runs the configured model strategies (`models` in the config): the champion of each registry family, hot-swapped on promotion, and its A/B experiment', start: (ctx) => runtimeWorker(ctx, 'ml') },
  executor: { description: 'signals to orders after risk: on the paper venue in event time, or live through ccxt (reconciles with the exchange on start); recovers from the event store', start: (ctx) => runtimeWorker(ctx, 'executor') },
  projector: {
    description: 'projects the event store into the Postgres read models (checkpoint in the same transaction)',
    start: async ({ config, infra, log }) => {
      const read = await startReadSide(config, {}, infra, { projector: true, api: false }, log, systemClock);
      return { stop: () => read.close() };
    },
  },
  notifier: {
    description: 'fills, halts, rejections and errors to Telegram and/or a webhook, throttled (own consumer group)',
    start: async ({ bus, config, infra, log, flags }) => {
      const notifier = await startNotifier({ bus, config: config.notify, secrets: loadConfig().secrets, log, metrics: infra.metrics, ...(flags.group ? { groupId: flags.group } : {}) });
      if (!notifier) throw new Error('no notification channel configured: set notify.telegram or notify.webhook in qts.config.json (or QTS_TELEGRAM_CHAT_ID / QTS_WEBHOOK_URL)');
      return notifier;
    },
  },
  api: {
    description: 'REST API over the read models; commands append events',
    start: async ({ config, infra, log }) => {
      const { secrets } = loadConfig();
      const read = await startReadSide(config, secrets, infra, { projector: false, api: true }, log, systemClock);
      log.info({ url: read.api!.url }, 'API started');
      // The token goes to the terminal once, never into a log line.
      if (read.generatedToken) console.log(`API token (shown once, only its hash is kept): ${read.generatedToken}`);
      return { stop: () => read.close() };
    },
  },
};

async function runtimeWorker(ctx: WorkerContext, name: WorkerName): Promise<RunningWorker> {
  // Exchange keys come from the environment only (QTS_EXCHANGE_API_KEY/_SECRET or *_FILE), never from the config file.
  return startWorkers(ctx.config, ctx.infra, [name], ctx.log, systemClock, name === 'executor' ? loadConfig().secrets : {});
}

/** Opens the configured shared bus and store; a worker process needs a bus other processes can reach. */
export async function openShared(log: Logger, metrics?: SystemMetrics): Promise<{ config: RuntimeConfig; infra: Infrastructure }> {
  const { config } = loadConfig();
  if (config.bus.kind !== 'kafka') {
    throw new Error('this command needs the shared Kafka bus: set KAFKA_BROKERS (e.g. 127.0.0.1:19092) or bus.kind "kafka" in qts.config.json');
  }
  return { config, infra: await openInfrastructure(config, log, metrics) };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(`run one worker until interrupted: ${Object.keys(workerRegistry).join(', ')}`)
    .argument('<name>', 'which worker')
    .option('--group <id>', 'consumer group (default: the worker\'s own)')
    .option('--topics <topics...>', 'topics to consume instead of the worker\'s default')
    .option('--health-port <port>', 'serve GET /health and /ready on this port (0: any free port)', process.env.QTS_HEALTH_PORT)
    .action(async (name: string, flags: WorkerFlags) => {
      const worker = workerRegistry[name];
      if (!worker) {
        console.error(`qts worker: unknown worker '${name}'; known: ${Object.keys(workerRegistry).join(', ')}`);
        process.exitCode = 2;
        return;
      }
      const log = workerLogger(`worker.${name}`);
      // Asked to stop while still waiting for the infrastructure: give up the start and exit.
      const stopRequested = new AbortController();
      const requestStop = (): void => stopRequested.abort();
      process.once('SIGINT', requestStop);
      process.once('SIGTERM', requestStop);
      const metrics = new SystemMetrics();
      // Live (/health) while it waits for Kafka or Postgres; ready (/ready) once started.
      const health = flags.healthPort !== undefined ? await startHealthServer(Number(flags.healthPort), name, log, metrics) : null;
      let started: { infra: Infrastructure; running: RunningWorker; incidents: RunningNotifier | null };
      try {
        started = await startWithRetry(async () => {
          const { config, infra } = await openShared(log, metrics);
          let incidents: RunningNotifier | null = null;
          try {
            // Any worker tells the configured channels about its own errors; the notifier worker also about fills, halts, rejections.
            if (name !== 'notifier') incidents = await startNotifier({ bus: infra.bus, config: config.notify, secrets: loadConfig().secrets, log, metrics: infra.metrics, events: false });
            const running = await worker.start({ infra, bus: infra.bus, store: infra.store, config, log, flags });
            return { infra, running, incidents };
          } catch (err) {
            await incidents?.stop().catch(() => undefined);
            await infra.close().catch(() => undefined);
            throw err;
          }
        }, {
          signal: stopRequested.signal,
          onRetry: (err, attempt, delayMs) => log.error({ err, worker: name, attempt, retryInMs: delayMs }, 'worker could not start: the infrastructure is not reachable yet; retrying'),
        });
      } catch (err) {
        log.error({ err, worker: name }, 'worker failed to start');
        console.error(`qts worker ${name}: ${(err as Error).message}`);
        await health?.close();
        process.exitCode = 1;
        return;
      }
      const { infra, running, incidents } = started;
      health?.ready();
      log.info({ worker: name, group: flags.group, topics: flags.topics, health: health?.url }, 'worker started');
      if (!stopRequested.signal.aborted) await new Promise((resolve) => stopRequested.signal.addEventListener('abort', resolve, { once: true }));
      log.info({ worker: name }, 'stopping: finishing the in-flight event and committing');
      health?.notReady();
      const deadline = setTimeout(() => {
        log.error({ worker: name }, 'shutdown took over 10 s: exiting (uncommitted work is redone by the next worker)');
        process.exit(1);
      }, 10_000);
      deadline.unref();
      await running.stop();
      await incidents?.stop();
      await infra.close();
      await health?.close();
      log.info({ worker: name }, 'worker stopped');
    });
}
