// `qts projections rebuild [name]` and `qts projections status`: drop and replay read models, show checkpoints.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { EventStore } from '@qts/core';
import { EsdbEventStore, PostgresEventStore, createPgliteDb, createPostgresDb, type PgDatabase } from '@qts/adapters';
import { Projector, notifyReadModels, type ReadDb } from '@qts/projections';
import { eventStoreSchema, loadConfig, readModelSchema, type RuntimeConfig } from '../runtime/config.ts';

export interface ReadSideStores {
  readonly store: EventStore;
  readonly readDb: ReadDb;
  close(): Promise<void>;
}

/** Opens the event store and the read-model database the config names (one PGlite for both when embedded). */
export async function openReadSideStores(config: RuntimeConfig): Promise<ReadSideStores> {
  const owned: PgDatabase[] = [];
  let embedded: PgDatabase | null = null;
  const pglite = async (): Promise<PgDatabase> => {
    if (!embedded) {
      const dir = resolve(config.dataDir, 'pglite');
      mkdirSync(dir, { recursive: true });
      embedded = await createPgliteDb(dir);
      owned.push(embedded);
    }
    return embedded;
  };
  let store: EventStore;
  if (config.eventStore.kind === 'esdb') store = EsdbEventStore.connect(config.eventStore.url);
  else if (config.eventStore.kind === 'postgres') store = await PostgresEventStore.openPostgres(config.eventStore.url, { schema: eventStoreSchema(config) });
  else store = await PostgresEventStore.create(await pglite());
  let readDb: ReadDb;
  if (config.readModels.kind === 'postgres') {
    // The schema the running API and projector use (namespace-aware): a rebuild elsewhere would change nothing they serve.
    const schema = readModelSchema(config);
    const db = await createPostgresDb(config.readModels.url, schema ? { schema } : {});
    owned.push(db);
    readDb = db.db as ReadDb;
  } else {
    readDb = (await pglite()).db as ReadDb;
  }
  return {
    store, readDb,
    async close() {
      await store.close();
      for (const db of owned.reverse()) await db.close();
    },
  };
}

export function registerProjections(program: Command): void {
  const cmd = program.command('projections').description('read models: rebuild from the event store, show checkpoints');
  cmd.command('rebuild')
    .argument('[name]', 'one projection (default: all)')
    .option('-c, --config <path>', 'config file (default: QTS_CONFIG or ./qts.config.json)')
    .description('drop a projection\'s tables and checkpoint and replay every stored event into it (stop `qts start` first when embedded: PGlite has one writer)')
    .action(async (name: string | undefined, opts: { config?: string }) => {
      const { config } = loadConfig(opts.config ? { path: opts.config } : {});
      const stores = await openReadSideStores(config);
      try {
        // On a server, an API in another process drops its cached answers at each commit of the rebuild.
        const shared = config.readModels.kind === 'postgres';
        const projector = new Projector(stores.readDb, { notify: shared });
        await projector.migrate();
        const names = name ? [projector.projection(name).name] : projector.projections.map((p) => p.name);
        for (const n of names) {
          const started = Date.now();
          const count = await projector.rebuild(n, stores.store);
          // Also when nothing was replayed: the tables were emptied.
          if (shared) await notifyReadModels(stores.readDb, [n]);
          const hashes = await projector.tableHashes(n);
          console.log(`${n}: replayed ${count} events in ${((Date.now() - started) / 1000).toFixed(1)} s; ${Object.entries(hashes).map(([t, h]) => `${t}=${h.split(':')[0]} rows`).join(', ')}`);
        }
      } finally {
        await stores.close();
      }
    });
  cmd.command('status')
    .option('-c, --config <path>', 'config file')
    .description('each projection\'s checkpoint against the last stored position')
    .action(async (opts: { config?: string }) => {
      const { config } = loadConfig(opts.config ? { path: opts.config } : {});
      const stores = await openReadSideStores(config);
      try {
        const projector = new Projector(stores.readDb);
        await projector.migrate();
        let head = -1n;
        for await (const e of stores.store.readAll()) head = e.position;
        const cps = await projector.checkpoints();
        console.table(Object.entries(cps).map(([projection, cp]) => ({ projection, checkpoint: cp.toString(), behind: head >= 0n ? (cp < 0n ? 'all' : (head - cp).toString()) : '0' })));
      } finally {
        await stores.close();
      }
    });
}
