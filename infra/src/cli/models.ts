// `qts models list|promote|retire`: the model registry from the command line; a promotion reaches running ml workers over the bus.
import type { Command } from 'commander';
import { ValidationError, type EventStore } from '@qts/core';
import type { ModelRegistry } from '@qts/adapters/ml';
import { createReadModels } from '@qts/projections';
import { uuidv7Ids } from '@qts/schemas';
import { loadConfig, type RuntimeConfig } from '../runtime/config.ts';
import { openInfrastructure } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';
import { publishingStore } from '../runtime/publishing-store.ts';
import { openReadSideStores } from './projections.ts';

/** The store a registry command writes to: on Kafka, its events are also published, so `qts worker ml` swaps at once. */
export async function commandStore(config: RuntimeConfig): Promise<{ store: EventStore; close(): Promise<void> }> {
  if (config.bus.kind === 'kafka') {
    const infra = await openInfrastructure(config, createLogger('models', process.env.QTS_LOG_LEVEL ?? 'warn'));
    return { store: publishingStore(infra.store, infra.bus), close: () => infra.close() };
  }
  // Embedded: the store is the system's own PGlite (stop `qts start` first); the ml worker reads the champion when it starts.
  const { store, close } = await openReadSideStores(config);
  return { store, close };
}

async function registryCommand(configPath: string | undefined, run: (registry: ModelRegistry) => Promise<void>): Promise<number> {
  const { config } = loadConfig(configPath ? { path: configPath } : {});
  // Loaded here: the ml package brings tfjs, which list and every other command do not need.
  const { ModelRegistry: Registry, InMemoryModelStorage } = await import('@qts/adapters/ml');
  const opened = await commandStore(config);
  try {
    // Promote and retire touch events only, never artifact bytes.
    await run(new Registry({ store: opened.store, storage: new InMemoryModelStorage(), ids: uuidv7Ids, now: () => Date.now() }));
    return 0;
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    console.error(`qts models: ${e.message}`);
    return 2;
  } finally {
    await opened.close();
  }
}

export function registerModels(program: Command): void {
  const cmd = program.command('models').description('the model registry: versions, champion, promote and retire');
  cmd.command('list')
    .option('-c, --config <path>', 'config file (default: QTS_CONFIG or ./qts.config.json)')
    .option('--json', 'print the families as JSON')
    .description('each model family with its champion and versions, from the models read model')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const { config } = loadConfig(opts.config ? { path: opts.config } : {});
      const stores = await openReadSideStores(config);
      try {
        const families = await createReadModels(stores.readDb).models();
        if (opts.json) { console.log(JSON.stringify(families, null, 2)); return; }
        if (families.length === 0) { console.log('no model families yet: `qts train ... ` registers one'); return; }
        console.table(families.flatMap((f) => f.versions.map((v) => ({
          version: v.version, status: v.status, kind: v.kind, instrument: v.instrument, timeframe: v.timeframe,
          accuracy: v.metrics['accuracy'] ?? null, rocAuc: v.metrics['rocAuc'] ?? null, trained: new Date(v.trainedAt).toISOString(),
        }))));
      } finally {
        await stores.close();
      }
    });
  for (const action of ['promote', 'retire'] as const) {
    cmd.command(action)
      .argument('<version>', 'e.g. lstm-btcusdt-1h@3')
      .requiredOption('--reason <text>', 'why: kept in the event with who did it')
      .option('-c, --config <path>', 'config file')
      .description(action === 'promote' ? 'make a version its family\'s champion (running ml workers swap at their next bar)' : 'retire a version: it is never served again')
      .action(async (version: string, opts: { reason: string; config?: string }) => {
        process.exitCode = await registryCommand(opts.config, async (registry) => {
          await (action === 'promote' ? registry.promote(version, opts.reason, 'cli') : registry.retire(version, opts.reason, 'cli'));
          console.log(`${version}: ${action === 'promote' ? 'promoted to champion' : 'retired'}`);
        });
      });
  }
}
