// Model registry rules, A/B experiment rules and classification metrics.
import { describe, expect, it } from 'vitest';
import type { ModelTrained } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { deciderSpec } from '../testing/decider.ts';
import { assignVariant, bootstrapCompare, checkShares, concludeExperiment, tradingVariant, variantStats, variantTradesFromSignals } from './experiment.ts';
import { seededRandom } from './hash.ts';
import { classificationMetrics, rocAuc } from './metrics.ts';
import { modelDecider, modelFamily, parseModelVersion, retrainDue } from './registry.ts';
import type { ModelCommand, ModelEvent, ModelFamilyState } from './registry.ts';

const spec = deciderSpec<ModelCommand, ModelEvent, ModelFamilyState>(modelDecider);
const family = modelFamily('lstm', 'BTC/USDT', '1h');
const H = 3_600_000;

function trained(n: number, ts: number): ModelTrained {
  return {
    version: `${family}@${n}`, family, kind: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', metrics: { accuracy: 0.52 }, params: {},
    featureSpecHash: 'abc', dataRange: { from: 0, to: 1, bars: 2 }, codeVersion: 'test', artifact: `${family}/${n}.json`, artifactHash: 'h', seed: 1, ts,
  };
}
const { version: _v, ...registration } = trained(0, 10 * H);

describe('model registry', () => {
  it('numbers versions per family: lstm-btcusdt-1h@1, @2, ...', () => {
    expect(family).toBe('lstm-btcusdt-1h');
    spec.given([]).when({ type: 'RegisterModel', data: registration }).then([{ type: 'ModelTrained', data: { ...registration, version: 'lstm-btcusdt-1h@1' } }]);
    spec.given([{ type: 'ModelTrained', data: trained(1, 0) }, { type: 'ModelTrained', data: trained(2, 0) }])
      .when({ type: 'RegisterModel', data: registration }).then([{ type: 'ModelTrained', data: { ...registration, version: 'lstm-btcusdt-1h@3' } }]);
    expect(parseModelVersion('lstm-btcusdt-1h@3')).toEqual({ family: 'lstm-btcusdt-1h', number: 3 });
    expect(() => parseModelVersion('lstm@0')).toThrow(ValidationError);
  });

  it('promotes a candidate over the champion, names the previous one, and refuses retired or unknown versions', () => {
    const past: ModelEvent[] = [{ type: 'ModelTrained', data: trained(1, 0) }, { type: 'ModelTrained', data: trained(2, 0) }];
    const promote = (v: number): ModelCommand => ({ type: 'PromoteModel', version: `${family}@${v}`, reason: 'better AUC', by: 'alice', ts: 5 });
    const s = spec.given(past).when(promote(1)).then([{ type: 'ModelPromoted', data: { version: `${family}@1`, family, reason: 'better AUC', by: 'alice', ts: 5 } }]);
    expect(s.champion).toBe(`${family}@1`);
    const promoted1: ModelEvent = { type: 'ModelPromoted', data: { version: `${family}@1`, family, reason: 'x', by: 'a', ts: 5 } };
    spec.given([...past, promoted1]).when(promote(2)).then([{ type: 'ModelPromoted', data: { version: `${family}@2`, family, reason: 'better AUC', by: 'alice', ts: 5, previous: `${family}@1` } }]);
    spec.given([...past, promoted1]).when(promote(1)).thenNothing();
    spec.given([...past, { type: 'ModelRetired', data: { version: `${family}@2`, family, reason: 'bad', by: 'a', ts: 6 } }]).when(promote(2)).thenThrows(ValidationError, (e) => expect(e.message).toMatch(/retired/));
    spec.given(past).when(promote(9)).thenThrows(ValidationError, (e) => expect(e.message).toMatch(/unknown model version .*@9/));
  });

  it('expires versions older than the max age, the champion too, and retiring twice does nothing', () => {
    const past: ModelEvent[] = [{ type: 'ModelTrained', data: trained(1, 0) }, { type: 'ModelTrained', data: trained(2, 100 * H) },
      { type: 'ModelPromoted', data: { version: `${family}@1`, family, reason: 'x', by: 'a', ts: 1 } }];
    const s = spec.given(past).when({ type: 'ExpireModels', now: 101 * H, maxAgeMs: 48 * H, by: 'scheduler' })
      .then([{ type: 'ModelRetired', data: { version: `${family}@1`, family, reason: 'expired: trained 101 h ago, max age 48 h', by: 'scheduler', ts: 101 * H } }]);
    expect(s.champion).toBeNull();
    spec.given([...past, { type: 'ModelRetired', data: { version: `${family}@1`, family, reason: 'x', by: 'a', ts: 2 } }])
      .when({ type: 'RetireModel', version: `${family}@1`, reason: 'again', by: 'a', ts: 3 }).thenNothing();
  });

  it('schedules retraining every N bars', () => {
    expect(retrainDue(null, 0, 500)).toBe(true);
    expect(retrainDue(1000, 1499, 500)).toBe(false);
    expect(retrainDue(1000, 1500, 500)).toBe(true);
  });
});

describe('A/B experiments', () => {
  const variants = [{ version: 'm@1', share: 0.7 }, { version: 'm@2', share: 0.3 }];

  it('assigns each decision key to the same variant every time, in the configured shares', () => {
    checkShares(variants);
    expect(() => checkShares([{ version: 'm@1', share: 0.7 }, { version: 'm@2', share: 0.2 }])).toThrow(/sum to 1/);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `BTC/USDT|${i * 3_600_000}`;
      const v = assignVariant('exp-1', key, variants);
      expect(assignVariant('exp-1', key, variants)).toBe(v);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect(counts.get('m@1')! / 10_000).toBeCloseTo(0.7, 1);
    expect(Math.abs(counts.get('m@2')! / 10_000 - 0.3)).toBeLessThan(0.02);
    expect(tradingVariant('shadow', 'm@1', 'exp-1', 'any', variants)).toBe('m@1');
  });

  it('computes PnL, hit rate and drawdown per variant', () => {
    const s = variantStats([{ pnl: 10, ret: 0.01 }, { pnl: -30, ret: -0.03 }, { pnl: 5, ret: 0.005 }, { pnl: 40, ret: 0.04 }]);
    expect(s).toEqual({ trades: 4, pnl: 25, hitRate: 0.75, maxDrawdown: 30, meanReturn: expect.closeTo(0.00625, 10) });
  });

  it('the bootstrap promotes a clearly better challenger, rejects an equal one, and waits for enough trades', () => {
    const rnd = seededRandom(7);
    const noise = (n: number, mu: number): number[] => Array.from({ length: n }, () => mu + (rnd() - 0.5) * 0.02);
    const champion = noise(200, 0);
    expect(bootstrapCompare(champion, noise(200, 0.004), { seed: 3 }).decision).toBe('promote');
    const same = bootstrapCompare(champion, noise(200, 0), { seed: 3 });
    expect(same.decision).toBe('reject');
    expect(same.pValue).toBeGreaterThan(0.05);
    expect(bootstrapCompare(champion, noise(10, 0.01)).decision).toBe('inconclusive');
    const better = noise(200, 0.004);
    expect(bootstrapCompare(champion, better, { seed: 9 })).toEqual(bootstrapCompare(champion, better, { seed: 9 }));
  });
});

describe('experiment from signal events', () => {
  it('turns each variant\'s signals into its own trades, net of fees, and concludes', () => {
    const sig = (version: string | undefined, direction: 'long' | 'short' | 'flat', price: number, asOf: number) => ({ direction, price, asOf, ...(version ? { model: { version } } : {}) });
    const trades = variantTradesFromSignals([
      sig('m@1', 'long', 100, 1), sig('m@2', 'short', 100, 1), sig(undefined, 'long', 50, 1),
      sig('m@1', 'long', 101, 2), // restating a long changes nothing
      sig('m@1', 'flat', 110, 3), sig('m@2', 'long', 90, 3), sig('m@2', 'flat', 99, 4), sig('m@1', 'short', 100, 5),
    ], 10);
    expect(trades.get('m@1')!.map((t) => t.ret)).toEqual([expect.closeTo(0.1 - 0.002, 12)]);
    expect(trades.get('m@2')!.map((t) => t.ret)).toEqual([expect.closeTo(100 / 90 - 1 - 0.002, 12), expect.closeTo(0.1 - 0.002, 12)]);
    const verdict = concludeExperiment('m@1', trades, { minTrades: 1, resamples: 200 });
    expect(verdict.challenger).toBe('m@2');
    expect(verdict.stats.get('m@2')!.trades).toBe(2);
    expect(verdict.stats.get('m@2')!.hitRate).toBe(1);
    expect(['promote', 'reject']).toContain(verdict.test!.decision);
  });
});

describe('classification metrics', () => {
  it('accuracy, log loss and ROC AUC as defined', () => {
    const m = classificationMetrics([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 1]);
    expect(m.accuracy).toBe(0.5);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.4)) / 4, 10);
    expect(m.rocAuc).toBe(0.75);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNull();
  });
});
