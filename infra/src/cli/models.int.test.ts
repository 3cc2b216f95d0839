// `qts models` beside a distributed system: a promotion is stored and published on the models topic (ml workers swap without a restart); refusals name the version.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { KafkaBus, PostgresEventStore, readTopics } from '@qts/adapters';
import { decodeEvent, makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { runQts } from './spawn-qts.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const namespace = `mc${Date.now().toString(36)}${process.pid.toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'qts-models-cli-'));
const config = join(dir, 'qts.config.json');
writeFileSync(config, JSON.stringify({ mode: 'distributed' }));
const env = { PG_URL, QTS_NAMESPACE: namespace, QTS_CONFIG: config };
const family = 'xgboost-btcusdt-1h';
const at = Date.UTC(2026, 10, 1);

const trained = (n: number): DomainEvent<'ModelTrained'> => makeEvent('ModelTrained', {
  version: `${family}@${n}`, family, kind: 'xgboost', instrument: 'BTC/USDT', timeframe: '1h', metrics: { accuracy: 0.5 + n / 100, rocAuc: 0.55 },
  params: { rounds: 50 * n }, featureSpecHash: 'spec-a', dataRange: { from: at - 86_400_000 * 90, to: at, bars: 2160 },
  codeVersion: 'test', artifact: `${family}/${n}.json`, artifactHash: `hash-${n}`, seed: n, ts: at + n,
}, { id: uuidv7Ids(at + n), occurredAt: at + n, recordedAt: at + n });

let store: PostgresEventStore | null = null;
const bus = new KafkaBus({ logger: pino({ level: 'error' }, pino.destination(2)) });
afterAll(async () => {
  await store?.close();
  await bus.close();
});

describe('qts models', () => {
  it('promotes and retires versions as registry events, published for running ml workers, refuses what the registry forbids, and lists the families', async () => {
    store = await PostgresEventStore.openPostgres(PG_URL, { schema: `${namespace}_event_store` });
    await store.append(`model-${family}`, [trained(1), trained(2)], 'no_stream');

    const promoted = await runQts(['models', 'promote', `${family}@2`, '--reason', 'better ROC AUC out of sample'], env, 90_000);
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toContain(`${family}@2: promoted to champion`);
    const stream: DomainEvent[] = [];
    for await (const s of store.readStream(`model-${family}`)) stream.push(s.event);
    expect(stream.at(-1)).toMatchObject({ type: 'ModelPromoted', data: { version: `${family}@2`, reason: 'better ROC AUC out of sample', by: 'cli' } });
    // The same event on the bus: an ml worker consuming the models topic swaps at its next bar.
    const onBus = (await readTopics(bus, [`${namespace}.models`])).map((m) => decodeEvent(m.value!));
    expect(onBus.map((r) => (r.ok ? r.event.id : r))).toEqual([stream.at(-1)!.id]);

    const unknown = await runQts(['models', 'promote', `${family}@9`, '--reason', 'typo'], env, 90_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${family}@9`);

    expect((await runQts(['models', 'retire', `${family}@1`, '--reason', 'superseded'], env, 90_000)).code).toBe(0);
    const retired = await runQts(['models', 'promote', `${family}@1`, '--reason', 'rollback'], env, 90_000);
    expect(retired.code).toBe(2);
    expect(retired.stderr).toContain(`model ${family}@1 is retired and cannot be promoted`);

    // The list reads the models read model: here no projector runs, so it is rebuilt first.
    expect((await runQts(['projections', 'rebuild', 'models'], env, 90_000)).code).toBe(0);
    const listed = await runQts(['models', 'list', '--json'], env, 90_000);
    expect(listed.code).toBe(0);
    const families = JSON.parse(listed.stdout) as { family: string; champion: string | null; versions: { version: string; status: string }[] }[];
    expect(families).toEqual([expect.objectContaining({
      family, champion: `${family}@2`,
      versions: [expect.objectContaining({ version: `${family}@2`, status: 'champion' }), expect.objectContaining({ version: `${family}@1`, status: 'retired' })],
    })]);
  }, 240_000);
});
