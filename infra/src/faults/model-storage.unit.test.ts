// Model storage that cannot be written: `qts train` and the registry fail with a clear error and register nothing, leaving no partial file.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '@qts/core';
import { sharedDataDir } from '@qts/core/testing';
import { InMemoryEventStore, PostgresEventStore } from '@qts/adapters';
import type { DomainEvent } from '@qts/schemas';
import { runQts } from '../cli/spawn-qts.ts';

const data = join(sharedDataDir(), 'EURUSD-1h.csv');
const isRoot = process.getuid?.() === 0;

/**
 * Unwritable model directories that hold whoever runs the test: as root, permission bits do not stop a
 * write, but a path through a regular file does (ENOTDIR); as anyone else, a read-only directory too.
 */
function unwritableDirs(base: string): { label: string; dir: string }[] {
  writeFileSync(join(base, 'not-a-dir'), 'a file where the models directory should go');
  const out = [{ label: 'a path through a file', dir: join(base, 'not-a-dir', 'models') }];
  if (!isRoot) {
    const ro = join(base, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    out.push({ label: 'a read-only directory', dir: join(ro, 'models') });
  }
  return out;
}

async function storedEvents(store: { readAll(): AsyncIterable<{ event: DomainEvent }> }): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const { event } of store.readAll()) out.push(event);
  return out;
}

describe('unwritable model storage', () => {
  it('the registry refuses with an InfrastructureError naming the directory, and records no ModelTrained', async () => {
    const { FileModelStorage, ModelRegistry } = await import('@qts/adapters/ml');
    const base = mkdtempSync(join(tmpdir(), 'qts-models-ro-'));
    for (const { dir } of unwritableDirs(base)) {
      const store = new InMemoryEventStore();
      const registry = new ModelRegistry({ store, storage: new FileModelStorage(dir), ids: () => '0190a000-0000-7000-8000-000000000001', now: () => 1 });
      // The registry reads only these members of a trained model before it stores the artifact.
      const model = { kind: 'xgboost', params: {}, featureSpecHash: 'h', window: 8, version: null, toArtifact: async () => ({ format: 'x' }) };
      const err = await registry.register({
        model, instrument: 'EUR/USD', timeframe: '1h', metrics: {}, dataRange: { from: 0, to: 1 }, codeVersion: 'test', seed: 1,
      } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfrastructureError);
      expect((err as Error).message).toContain(`model storage ${dir} cannot store xgboost-eurusd-1h/1.json`);
      expect((await storedEvents(store)).filter((e) => e.type === 'ModelTrained')).toEqual([]);
    }
  });

  it('`qts train` exits 2 with the reason on stderr; the event store holds no version and no partial artifact is left', async () => {
    const base = mkdtempSync(join(tmpdir(), 'qts-train-ro-'));
    for (const { label, dir } of unwritableDirs(base)) {
      const dataDir = mkdtempSync(join(tmpdir(), 'qts-train-ro-data-'));
      const r = await runQts(['train', '--model', 'xgboost', '--data', data, '--instrument', 'EUR/USD', '--from', '2017-06-01', '--to', '2017-08-01', '--model-dir', dir],
        { QTS_DATA_DIR: dataDir, PG_URL: '', ESDB_URL: '', QTS_CONFIG: '' }, 120_000);
      expect(r.code, `${label}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`qts train: model storage ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot store xgboost-eurusd-1h/1\\.json: (ENOTDIR|EACCES)`));
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      const store = await PostgresEventStore.openPglite(join(dataDir, 'pglite'));
      try {
        expect((await storedEvents(store)).filter((e) => e.type === 'ModelTrained')).toEqual([]);
      } finally {
        await store.close();
      }
      if (existsSync(dir)) expect(readdirSync(dir, { recursive: true })).toEqual([]);
    }
  }, 150_000);
});
