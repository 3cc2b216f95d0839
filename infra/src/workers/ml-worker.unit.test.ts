// The ML worker end to end on the in-process bus and an in-memory store with small XGBoost models: champion served, signals carry its version, hot swap on promotion, an incompatible model refused while the worker stays up, hybrids, shadow experiments concluded from events.
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant, barAt, FeatureSpecSchema, mlStrategy, parseBarsCsv, sliceSeries, type Consumer } from '@qts/core';
import { InMemoryEventStore, InProcessBus, startRecorder } from '@qts/adapters';
import { InMemoryModelStorage, ModelRegistry, trainModel, type TrainedModel } from '@qts/adapters/ml';
import { eventually } from '@qts/adapters/testing';
import { allTopics, makeEvent, seededIds, topics, type DomainEvent } from '@qts/schemas';
import { publishingStore } from '../runtime/publishing-store.ts';
import { barEvent } from './replay-ingest.ts';
import { openModelRegistry, startModelStrategy, type ModelStrategyConfig } from './ml-worker.ts';
import { RuntimeConfig } from '../runtime/config.ts';

const series = parseBarsCsv(readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const family = 'xgboost-btcusdt-5m';
const clock = { now: () => Date.UTC(2026, 0, 1) };
let models: { a: TrainedModel; b: TrainedModel; otherSpec: TrainedModel };

beforeAll(async () => {
  const train = sliceSeries(series, 0, 1100);
  const xgb = (seed: number, extra: object = {}) => trainModel({ kind: 'xgboost', series: train, horizon: 4, window: 4, seed, xgboost: { iterations: 15, maxDepth: 2 }, ...extra });
  models = { a: (await xgb(1)).model, b: (await xgb(2, { horizon: 12 })).model, otherSpec: (await xgb(3, { featureSpec: FeatureSpecSchema.parse({ rsi: 7 }) })).model };
}, 60_000);

interface Rig {
  readonly bus: InProcessBus;
  readonly store: InMemoryEventStore;
  readonly registry: ModelRegistry;
  readonly lines: string[];
  readonly seen: DomainEvent[];
  start(cfg: Partial<ModelStrategyConfig> & { id: string }): Promise<Consumer>;
  publishBars(from: number, to: number): Promise<void>;
  signals(id: string): DomainEvent<'SignalEmitted'>[];
  evaluated(id: string): number;
  logged(text: string): boolean;
  stream(name: string): Promise<DomainEvent[]>;
}

const rigs: Rig[] = [];
afterEach(async () => { for (const r of rigs.splice(0)) await r.bus.close(); });

async function rig(): Promise<Rig> {
  const store = new InMemoryEventStore();
  const bus = new InProcessBus();
  await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
  const seen: DomainEvent[] = [];
  await bus.consume({ groupId: 'test', topics: [topics.signals], fromBeginning: true, handler: async (e) => { seen.push(e); } });
  const lines: string[] = [];
  // The recorder stores signals and progress markers, as in a running system: a restart resumes after the last stored marker.
  await startRecorder({ bus, store, logger: pino({ level: 'silent' }) });
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  let t = Date.UTC(2026, 0, 1);
  const registry = new ModelRegistry({ store: publishingStore(store, bus), storage: new InMemoryModelStorage(), ids: seededIds(7), now: () => (t += 1000) });
  // A re-evaluated bar repeats its ids; the first copy is the one an executor acts on.
  const unique = <T extends DomainEvent>(type: string): T[] => {
    const byId = new Map<string, DomainEvent>();
    for (const e of seen) if (e.type === type && !byId.has(e.id)) byId.set(e.id, e);
    return [...byId.values()] as T[];
  };
  const r: Rig = {
    bus, store, registry, lines, seen,
    async start(cfg) {
      const full = { family, instrument: 'BTC/USDT', timeframe: '5m', params: { longAbove: 0.5, shortBelow: 0.5 }, ...cfg } as ModelStrategyConfig;
      return startModelStrategy(full, 'replay', { bus, store, clock, log, registry, warmupBars: 600 });
    },
    async publishBars(from, to) {
      for (let i = from; i < to; i++) {
        const e = barEvent(barAt(series, i), 0);
        await bus.publish(topics.bars, e.key, [e]);
      }
    },
    signals: (id) => unique<DomainEvent<'SignalEmitted'>>('SignalEmitted').filter((e) => e.data.strategyId === id),
    evaluated: (id) => unique<DomainEvent<'BarEvaluated'>>('BarEvaluated').filter((e) => e.data.strategyId === id).length,
    logged: (text) => lines.some((l) => l.includes(text)),
    async stream(name) {
      const out: DomainEvent[] = [];
      for await (const s of store.readStream(name)) out.push(s.event);
      return out;
    },
  };
  rigs.push(r);
  return r;
}

const meta = { instrument: 'BTC/USDT', timeframe: '5m' as const, metrics: {}, dataRange: { from: 0, to: 1, bars: 1100 }, codeVersion: 'test', seed: 1 };

describe('ml worker', () => {
  it('serves the champion, signals carry its version and probability, swaps to a promoted version, and refuses an incompatible one while staying up', async () => {
    const r = await rig();
    const v1 = await r.registry.register({ model: models.a, ...meta });
    const v2 = await r.registry.register({ model: models.b, ...meta });
    const v3 = await r.registry.register({ model: models.otherSpec, ...meta });
    await r.registry.promote(v1, 'first', 'test');
    await r.start({ id: 'xgb-btc' });
    await r.publishBars(1100, 1400);
    await eventually(async () => expect(r.evaluated('xgb-btc')).toBe(300));
    const before = r.signals('xgb-btc');
    expect(before.length).toBeGreaterThan(3);
    for (const s of before) {
      expect(s.data.model?.version).toBe(v1);
      expect(s.data.model!.confidence).toBeCloseTo(Math.abs(2 * s.data.model!.probability - 1), 12);
      expect(s.data.direction === 'long' ? s.data.model!.probability >= 0.5 : s.data.model!.probability <= 0.5).toBe(true);
    }

    await r.registry.promote(v2, 'better', 'test');
    await eventually(async () => expect(r.logged(`"version":"${v2}"`) && r.logged('serving model')).toBe(true));
    await r.publishBars(1400, 1700);
    await eventually(async () => expect(r.evaluated('xgb-btc')).toBe(600));
    const swapped = r.signals('xgb-btc').slice(before.length);
    expect(swapped.length).toBeGreaterThan(3);
    expect(new Set(swapped.map((s) => s.data.model?.version))).toEqual(new Set([v2]));

    // v3 computes another feature spec: refused with both hashes named; v2 keeps trading, markers keep coming.
    await r.registry.promote(v3, 'oops', 'test');
    await eventually(async () => expect(r.logged(`model ${v3} refused`)).toBe(true));
    expect(r.lines.find((l) => l.includes(`model ${v3} refused`))).toMatch(/trained on feature spec \w+ but this worker computes \w+/);
    const count = r.signals('xgb-btc').length;
    await r.publishBars(1700, 1900);
    await eventually(async () => expect(r.evaluated('xgb-btc')).toBe(800));
    expect(r.signals('xgb-btc').slice(count).every((s) => s.data.model?.version === v2)).toBe(true);

    // A strategy starting while the champion is incompatible: silent, but its progress markers cover every bar.
    await r.start({ id: 'late' });
    await r.publishBars(1900, 1950);
    await eventually(async () => expect(r.evaluated('late')).toBe(850));
    expect(r.signals('late')).toHaveLength(0);
    expect(r.logged('this strategy emits no signal')).toBe(true);
  });

  it('after a swap, states the new model\'s view on the next bar when it differs from the last signal', async () => {
    const r = await rig();
    const v1 = await r.registry.register({ model: models.a, ...meta });
    const v2 = await r.registry.register({ model: models.b, ...meta });
    // Both models run from bar 1100 (the worker's first stored bar): find a bar after which their views differ.
    const views = async (version: string) => {
      const s = mlStrategy(await r.registry.load(version), { kind: 'model' });
      const st = s.init({ longAbove: 0.5, shortBelow: 0.5 });
      const out: (string | undefined)[] = [];
      for (let i = 1100; i < 1700; i++) { s.onBar(st, barAt(series, i)); out.push(s.opinion(st)?.direction); }
      return out;
    };
    const [a, b] = [await views(v1), await views(v2)];
    let k = 200;
    while (k < 600 && a[k - 1] === b[k - 1]) k++;
    expect(k).toBeLessThan(600);
    await r.registry.promote(v1, 'first', 'test');
    await r.start({ id: 'xgb-btc' });
    await r.publishBars(1100, 1100 + k);
    await eventually(async () => expect(r.evaluated('xgb-btc')).toBe(k));
    expect(r.signals('xgb-btc').at(-1)!.data.direction).toBe(a[k - 1]);
    await r.registry.promote(v2, 'better', 'test');
    await eventually(async () => expect(r.logged(`"version":"${v2}"`)).toBe(true));
    await r.publishBars(1100 + k, 1100 + k + 20);
    await eventually(async () => expect(r.evaluated('xgb-btc')).toBe(k + 20));
    const first = r.signals('xgb-btc').find((s) => s.data.model?.version === v2)!;
    expect(first.data).toMatchObject({ asOf: barAt(series, 1100 + k).closeTime, model: { version: v2 } });
    expect(first.data.reason).toMatch(/now served by .*@2: its view/);
  });

  it('recovers after a restart: the champion reloaded, params from the control stream, the bars missed while down evaluated, the same signals as an uninterrupted run', async () => {
    const signalsOf = (r: Rig) => r.signals('xgb-btc').map((s) => `${s.data.asOf}:${s.data.direction}:${s.data.model?.version}`);
    const setup = async () => {
      const r = await rig();
      const v1 = await r.registry.register({ model: models.a, ...meta });
      await r.registry.promote(v1, 'first', 'test');
      return r;
    };
    const changeThresholds = async (r: Rig) => {
      const e = makeEvent('StrategyParamsChanged', { strategyId: 'xgb-btc', params: { longAbove: 0.52, shortBelow: 0.48 }, previous: {}, by: 'api', ts: 1 }, { id: seededIds(9)(1), occurredAt: 1, recordedAt: 1 });
      await publishingStore(r.store, r.bus).append(e.stream, [e], 'any');
      await eventually(async () => expect(r.logged('strategy params changed')).toBe(true));
    };
    const whole = await setup();
    await whole.start({ id: 'xgb-btc' });
    await whole.publishBars(1100, 1300);
    await eventually(async () => expect(whole.evaluated('xgb-btc')).toBe(200));
    await changeThresholds(whole);
    await whole.publishBars(1300, 1600);
    await eventually(async () => expect(whole.evaluated('xgb-btc')).toBe(500));

    const cut = await setup();
    const first = await cut.start({ id: 'xgb-btc' });
    await cut.publishBars(1100, 1300);
    await eventually(async () => expect(cut.evaluated('xgb-btc')).toBe(200));
    await changeThresholds(cut);
    await cut.publishBars(1300, 1400);
    await eventually(async () => expect(cut.evaluated('xgb-btc')).toBe(300));
    await eventually(async () => expect((await cut.stream('signals-xgb-btc')).filter((e) => e.type === 'BarEvaluated')).toHaveLength(300));
    await first.stop();
    await cut.publishBars(1400, 1600);
    await cut.start({ id: 'xgb-btc' });
    await eventually(async () => expect(cut.evaluated('xgb-btc')).toBe(500));
    expect(signalsOf(cut)).toEqual(signalsOf(whole));
    expect(signalsOf(cut).filter((s) => Number(s.split(':')[0]) > barAt(series, 1400).closeTime).length).toBeGreaterThan(3);
    // The new thresholds took effect at the next bar: 0.5/0.5 leaves no flat zone, 0.52/0.48 does.
    const changedAt = barAt(series, 1299).closeTime;
    expect(signalsOf(cut).filter((s) => Number(s.split(':')[0]) <= changedAt).some((s) => s.includes(':flat:'))).toBe(false);
    expect(signalsOf(cut).filter((s) => Number(s.split(':')[0]) > changedAt).some((s) => s.includes(':flat:'))).toBe(true);
  });

  it('runs a hybrid from its spec: the model confirms a rule strategy, and the signals name the model', async () => {
    const r = await rig();
    const v1 = await r.registry.register({ model: models.a, ...meta });
    await r.registry.promote(v1, 'first', 'test');
    await r.start({ id: 'gated', spec: { kind: 'gate', primary: 'sma-cross', confirmer: 'model', minStrength: 0 }, params: { 'sma-cross': { fast: 5, slow: 20 }, model: { longAbove: 0.5, shortBelow: 0.5 } } });
    await r.publishBars(1100, 1600);
    await eventually(async () => expect(r.evaluated('gated')).toBe(500));
    const signals = r.signals('gated');
    expect(signals.length).toBeGreaterThan(0);
    for (const s of signals) expect(s.data.model?.version).toBe(v1);
    expect(signals.some((s) => /sma|cross/i.test(s.data.reason))).toBe(true);
  });

  it('runs a shadow experiment: only the champion trades, every variant is recorded apart, and the conclusion is an event that promotes the winner, which is then served', async () => {
    const r = await rig();
    const v1 = await r.registry.register({ model: models.a, ...meta });
    const v2 = await r.registry.register({ model: models.b, ...meta });
    await r.registry.promote(v1, 'first', 'test');
    await r.start({ id: 'xgb-exp', experiment: { id: 'exp-1', mode: 'shadow', challengers: [{ version: v2, share: 0 }], minTrades: 8, alpha: 0.45, feeBps: 0, resamples: 300, seed: 1, autoPromote: true } });
    await r.publishBars(1100, 1900);
    await eventually(async () => expect(r.evaluated('xgb-exp')).toBe(800));
    const exp = await r.stream('experiment-exp-1');
    expect(exp[0]).toMatchObject({ type: 'ExperimentStarted', data: { mode: 'shadow', champion: v1, variants: [{ version: v1, share: 1 }, { version: v2, share: 0 }] } });
    const recorded = exp.filter((e): e is DomainEvent<'ExperimentSignalRecorded'> => e.type === 'ExperimentSignalRecorded');
    expect(recorded.some((e) => e.data.version === v2 && !e.data.traded)).toBe(true);
    expect(recorded.filter((e) => e.data.version === v2).every((e) => !e.data.traded)).toBe(true);
    const concluded = exp.find((e): e is DomainEvent<'ExperimentConcluded'> => e.type === 'ExperimentConcluded');
    expect(concluded).toBeDefined();
    expect(concluded!.data.stats[v1]!.trades).toBeGreaterThanOrEqual(8);
    expect(concluded!.data.stats[v2]!.trades).toBeGreaterThanOrEqual(8);
    // Until the conclusion, nothing of the shadow challenger reached the signals topic.
    const tradedBefore = r.signals('xgb-exp').filter((s) => s.data.asOf <= concluded!.data.ts);
    expect(tradedBefore.length).toBeGreaterThan(0);
    expect(tradedBefore.every((s) => s.data.model?.version === v1)).toBe(true);
    const familyEvents = await r.stream(`model-${family}`);
    const promoted = familyEvents.filter((e) => e.type === 'ModelPromoted').map((e) => (e.data as { version: string }).version);
    // On these bars the challenger's mean trade beats the champion's (p about 0.34, under this lenient alpha): promoted, then served.
    expect(concluded!.data).toMatchObject({ decision: 'promote', winner: v2 });
    expect(concluded!.data.pValue).toBeLessThan(0.45);
    expect(promoted).toEqual([v1, v2]);
    const after = r.signals('xgb-exp').filter((s) => s.data.asOf > concluded!.data.ts);
    expect(after.length).toBeGreaterThan(3);
    expect(new Set(after.map((s) => s.data.model?.version))).toEqual(new Set([v2]));
    // Nothing is recorded for the experiment after its conclusion.
    expect(recorded.every((e) => e.data.asOf <= concluded!.data.ts)).toBe(true);
  });

  it('runs a split experiment: each bar\'s decision belongs to one variant by hash and share, and only the owner\'s signals go out', async () => {
    const r = await rig();
    const v1 = await r.registry.register({ model: models.a, ...meta });
    const v2 = await r.registry.register({ model: models.b, ...meta });
    await r.registry.promote(v1, 'first', 'test');
    await r.start({ id: 'xgb-split', experiment: { id: 'exp-split', mode: 'split', challengers: [{ version: v2, share: 0.3 }], minTrades: 1000, alpha: 0.05, feeBps: 0, resamples: 300, seed: 1, autoPromote: true } });
    await r.publishBars(1100, 1500);
    await eventually(async () => expect(r.evaluated('xgb-split')).toBe(400));
    const exp = await r.stream('experiment-exp-split');
    expect(exp[0]).toMatchObject({ type: 'ExperimentStarted', data: { mode: 'split', variants: [{ version: v1, share: 0.7 }, { version: v2, share: 0.3 }] } });
    expect(exp.some((e) => e.type === 'ExperimentConcluded')).toBe(false);
    const out = r.signals('xgb-split');
    expect(new Set(out.map((s) => s.data.model?.version))).toEqual(new Set([v1, v2]));
    // Each signal that went out came from the variant owning its bar, and a recorded signal is marked traded exactly when its variant owned the bar.
    const variants = [{ version: v1, share: 0.7 }, { version: v2, share: 0.3 }];
    const owner = (asOf: number) => assignVariant('exp-split', `BTC/USDT|${asOf}`, variants);
    for (const s of out) expect(s.data.model?.version).toBe(owner(s.data.asOf));
    const recorded = exp.filter((e): e is DomainEvent<'ExperimentSignalRecorded'> => e.type === 'ExperimentSignalRecorded');
    expect(recorded.length).toBeGreaterThan(10);
    for (const e of recorded) expect(e.data.traded).toBe(owner(e.data.asOf) === e.data.version);
  });

  it('reads its config: the README\'s model entries parse with their defaults, and an id shared with a strategy is refused', async () => {
    const config = RuntimeConfig.parse({
      strategies: [{ id: 'xgb-btc', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '5m' }],
      models: [
        { id: 'xgb-btc', family, instrument: 'BTC/USDT', timeframe: '5m', params: { longAbove: 0.55, shortBelow: 0.45 } },
        { id: 'xgb-ab', family, instrument: 'BTC/USDT', timeframe: '5m', experiment: { id: 'xgb-3-vs-4', mode: 'shadow', challengers: [{ version: `${family}@4` }] } },
      ],
    });
    expect(config.models[1]!.experiment).toMatchObject({ minTrades: 30, alpha: 0.05, feeBps: 10, autoPromote: true, challengers: [{ share: 0 }] });
    expect(RuntimeConfig.safeParse({ models: [{ id: 'x', family: 'Bad Family', instrument: 'BTC/USDT', timeframe: '5m' }] }).success).toBe(false);
    const r = await rig();
    await expect(openModelRegistry(config, { bus: r.bus, store: r.store, clock, log: pino({ level: 'silent' }) }, '/tmp')).rejects.toThrow(/model strategy id 'xgb-btc' is used twice/);
  });
});
