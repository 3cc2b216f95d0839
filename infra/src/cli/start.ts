// `qts start`: the whole system in one process (embedded defaults, or whatever the config names).
import type { Command } from 'commander';
import { QtsError } from '@qts/core';
import { loadConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, systemClock } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';
import { startReadSide } from '../runtime/read-side.ts';
import { onShutdown } from '../runtime/shutdown.ts';
import { startNotifier } from '../notify/notifier.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run ingest, strategies, executor (paper venue, or live through ccxt), recorder, projector and API in one process')
    .option('--config <path>', 'a JSON config file (default: ./qts.config.json when present, or QTS_CONFIG)')
    .action(async (opts: { config?: string }) => {
      const log = createLogger('qts');
      let loaded;
      try {
        loaded = loadConfig(opts.config ? { path: opts.config } : {});
      } catch (e) {
        // A bad config stops the start with every wrong field named.
        console.error(e instanceof QtsError ? e.message : String(e));
        process.exit(2);
      }
      const { config, secrets } = loaded;
      const infra = await openInfrastructure(config, log);
      const read = await startReadSide(config, secrets, infra, { projector: true, api: true }, log, systemClock);
      const system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy', 'ml', 'ingest'], log, systemClock, secrets);
      const notifier = await startNotifier({ bus: infra.bus, config: config.notify, secrets, log, metrics: infra.metrics });
      const url = read.api!.url;
      console.log(`\nqts is running (${config.mode}: ${config.bus.kind} bus, ${config.eventStore.kind} event store, ${config.venue.kind} venue)`);
      console.log(`  API        ${url}/api/v1   (OpenAPI: ${url}/api/v1/openapi.json)`);
      console.log(read.generatedToken
        ? `  API token  ${read.generatedToken}\n             shown once: only its hash is kept in ${config.dataDir}/api-token.sha256`
        : `  API token  ${secrets.apiToken ? 'from QTS_API_TOKEN' : `as printed on the first start (delete ${config.dataDir}/api-token.sha256 for a new one)`}`);
      console.log(`  market     ${config.market.kind === 'replay' ? `replaying ${config.market.files.map((f) => f.path).join(', ')} at ${config.market.barsPerSecond} bars/s` : config.market.exchange}`);
      console.log(`  metrics    ${url}/api/v1/metrics (Prometheus)${notifier ? `\n  notify     ${notifier.channels.join(', ')}` : ''}`);
      console.log('  Ctrl-C stops it; started again, it resumes where it was.\n');
      onShutdown(log, async () => {
        await system.stop();
        await notifier?.stop();
        await read.close();
        await infra.close();
      });
    });
}
