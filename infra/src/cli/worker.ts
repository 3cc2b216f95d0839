// `qts worker <name>`: runs one worker of the distributed mode in this process until SIGINT/SIGTERM, then stops it gracefully.
import type { Command } from 'commander';
import type { Bus, EventStore } from '@qts/core';
import { busLogger, startRecorder, RECORDER_GROUP } from '@qts/adapters';
import { loadConfig, type RuntimeConfig } from '../runtime/config.ts';
import { openInfrastructure, type Infrastructure } from '../runtime/compose.ts';
import type { Logger } from '../runtime/log.ts';

export interface WorkerFlags {
  readonly group?: string;
  readonly topics?: string[];
}

export interface WorkerContext {
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
};

/** Opens the configured shared bus and store; a worker process needs a bus other processes can reach. */
export async function openShared(log: Logger): Promise<{ config: RuntimeConfig; infra: Infrastructure }> {
  const { config } = loadConfig();
  if (config.bus.kind !== 'kafka') {
    throw new Error('this command needs the shared Kafka bus: set KAFKA_BROKERS (e.g. 127.0.0.1:19092) or bus.kind "kafka" in qts.config.json');
  }
  return { config, infra: await openInfrastructure(config, log) };
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(`run one worker until interrupted: ${Object.keys(workerRegistry).join(', ')}`)
    .argument('<name>', 'which worker')
    .option('--group <id>', 'consumer group (default: the worker\'s own)')
    .option('--topics <topics...>', 'topics to consume instead of the worker\'s default')
    .action(async (name: string, flags: WorkerFlags) => {
      const worker = workerRegistry[name];
      if (!worker) {
        console.error(`qts worker: unknown worker '${name}'; known: ${Object.keys(workerRegistry).join(', ')}`);
        process.exitCode = 2;
        return;
      }
      const log = busLogger(`worker.${name}`);
      let opened: { config: RuntimeConfig; infra: Infrastructure };
      try {
        opened = await openShared(log);
      } catch (err) {
        console.error(`qts worker ${name}: ${(err as Error).message}`);
        process.exitCode = 1;
        return;
      }
      const { config, infra } = opened;
      const running = await worker.start({ bus: infra.bus, store: infra.store, config, log, flags });
      log.info({ worker: name, group: flags.group, topics: flags.topics }, 'worker started');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      log.info({ worker: name }, 'stopping: finishing the in-flight event and committing');
      await running.stop();
      await infra.close();
      log.info({ worker: name }, 'worker stopped');
    });
}
