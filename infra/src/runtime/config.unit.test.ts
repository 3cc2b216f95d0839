// The config a user writes is validated once, with every wrong field named, and env overrides the file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@qts/core';
import { loadConfig } from './config.ts';

function withFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'qts-config-'));
  writeFileSync(join(dir, 'qts.config.json'), JSON.stringify(content));
  return dir;
}

describe('loadConfig', () => {
  it('runs on embedded defaults with no file and no environment', () => {
    const { config } = loadConfig({ env: {}, cwd: tmpdir() });
    expect(config).toMatchObject({ mode: 'embedded', bus: { kind: 'in-process' }, eventStore: { kind: 'pglite' }, venue: { kind: 'paper' } });
    expect(config.strategies[0]).toMatchObject({ kind: 'sma-cross', instrument: 'BTC/USDT' });
  });

  it('lets the environment point the same config at Kafka and Postgres', () => {
    const { config } = loadConfig({ env: { KAFKA_BROKERS: 'a:9092, b:9092', PG_URL: 'postgres://x/y', QTS_BARS_PER_SECOND: '100' }, cwd: tmpdir() });
    expect(config.bus).toEqual({ kind: 'kafka', brokers: ['a:9092', 'b:9092'], partitions: 3, sessionTimeoutMs: 10_000, eventHeaders: false });
    expect(config.eventStore).toEqual({ kind: 'postgres', url: 'postgres://x/y' });
    expect(config.market).toMatchObject({ kind: 'replay', barsPerSecond: 100 });
    // Record headers (type, version, correlation id) for header-filtering tools: off unless asked.
    expect(loadConfig({ env: { KAFKA_BROKERS: 'a:9092', QTS_KAFKA_EVENT_HEADERS: '1' }, cwd: tmpdir() }).config.bus).toMatchObject({ eventHeaders: true });
  });

  it('names every wrong field at once', () => {
    const cwd = withFile({ cash: -5, api: { port: 70000 }, strategies: [{ id: 'Bad Id', kind: 'sma-cross', instrument: 'btc', timeframe: '7m' }] });
    let error: unknown;
    try { loadConfig({ env: {}, cwd }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['cash', 'api.port', 'strategies.0.id', 'strategies.0.instrument', 'strategies.0.timeframe']));
  });

  it('reads secrets only from the environment or a secrets file, never from the config file', () => {
    const cwd = withFile({ apiToken: 'from-file' });
    writeFileSync(join(cwd, 'secret.txt'), 'k3y\n');
    const { config, secrets } = loadConfig({ env: { QTS_EXCHANGE_API_KEY_FILE: 'secret.txt', QTS_API_TOKEN: 't0ken' }, cwd });
    expect(secrets).toMatchObject({ exchangeApiKey: 'k3y', apiToken: 't0ken' });
    expect(JSON.stringify(config)).not.toContain('from-file');
  });
});
