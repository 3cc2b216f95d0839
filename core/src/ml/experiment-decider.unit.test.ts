// A live experiment's rules: started once per setup, every variant's signals recorded, concluded once (promote or reject) when the sample is complete.
import { describe, expect, it } from 'vitest';
import type { ExperimentSignalRecorded, ExperimentStarted } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { deciderSpec } from '../testing/decider.ts';
import { decideExperiment, experimentDecider, evolveExperiment, initialExperiment } from './experiment-decider.ts';
import type { ExperimentCommand, ExperimentEvent, ExperimentState } from './experiment-decider.ts';

const spec = deciderSpec<ExperimentCommand, ExperimentEvent, ExperimentState>(experimentDecider);
const family = 'xgboost-btcusdt-5m';
const champ = `${family}@1`;
const chall = `${family}@2`;
const started: ExperimentStarted = {
  experimentId: 'exp-1', family, mode: 'shadow', champion: champ,
  variants: [{ version: champ, share: 1 }, { version: chall, share: 0 }], ts: 1,
};
const start: ExperimentEvent = { type: 'ExperimentStarted', data: started };

function signal(version: string, direction: 'long' | 'flat', price: number, asOf: number): ExperimentEvent {
  const data: ExperimentSignalRecorded = { experimentId: 'exp-1', family, version, instrument: 'BTC/USDT', direction, probability: 0.6, price, asOf, traded: version === champ };
  return { type: 'ExperimentSignalRecorded', data };
}

/** n round trips per variant: the champion buys at 100 and sells at `champExit`, the challenger at `challExit` (± a little noise). */
function roundTrips(n: number, champExit: number, challExit: number): ExperimentEvent[] {
  const out: ExperimentEvent[] = [];
  for (let i = 0; i < n; i++) {
    const noise = ((i * 7) % 5) * 0.1;
    out.push(signal(champ, 'long', 100, i * 10), signal(chall, 'long', 100, i * 10));
    out.push(signal(champ, 'flat', champExit + noise, i * 10 + 5), signal(chall, 'flat', challExit + noise, i * 10 + 5));
  }
  return out;
}

const rule = { feeBps: 10, minTrades: 20, resamples: 500, seed: 3 };

describe('live experiment', () => {
  it('given nothing, when started, then ExperimentStarted; started again with the same setup, then nothing', () => {
    spec.given([]).when({ type: 'StartExperiment', data: started }).then([start]);
    spec.given([start]).when({ type: 'StartExperiment', data: { ...started, ts: 99 } }).thenNothing();
  });

  it('given a started experiment, when started with other variants under the same id, then it is refused', () => {
    spec.given([start]).when({ type: 'StartExperiment', data: { ...started, variants: [{ version: champ, share: 0.5 }, { version: chall, share: 0.5 }] } }).thenThrows(ValidationError);
  });

  it('refuses shares that do not sum to 1, a champion that is not a variant, and a signal of an unknown variant', () => {
    spec.given([]).when({ type: 'StartExperiment', data: { ...started, variants: [{ version: champ, share: 0.7 }, { version: chall, share: 0.7 }] } }).thenThrows(ValidationError);
    spec.given([]).when({ type: 'StartExperiment', data: { ...started, champion: `${family}@9` } }).thenThrows(ValidationError);
    const stray = signal(`${family}@9`, 'long', 100, 1);
    spec.given([start]).when({ type: 'RecordVariantSignal', data: stray.data as ExperimentSignalRecorded }).thenThrows(ValidationError);
  });

  it('given fewer closed trades than the rule asks for in a variant, when asked to conclude, then nothing yet', () => {
    spec.given([start, ...roundTrips(19, 99, 102)]).when({ type: 'ConcludeExperiment', rule, ts: 5 }).thenNothing();
  });

  it('given a challenger that beats the champion trade after trade, when the sample is complete, then promote the challenger', () => {
    const state = [start, ...roundTrips(20, 99, 102)].reduce(evolveExperiment, initialExperiment);
    const [concluded] = decideExperiment({ type: 'ConcludeExperiment', rule, ts: 5 }, state);
    expect(concluded).toMatchObject({ type: 'ExperimentConcluded', data: { experimentId: 'exp-1', decision: 'promote', winner: chall, ts: 5 } });
    const data = (concluded as Extract<ExperimentEvent, { type: 'ExperimentConcluded' }>).data;
    expect(data.pValue).toBeLessThan(0.05);
    expect(data.stats[chall]).toMatchObject({ trades: 20, hitRate: 1 });
    expect(data.stats[champ]).toMatchObject({ trades: 20, hitRate: 0 });
  });

  it('given a challenger that loses, when the sample is complete, then reject it and keep the champion', () => {
    const state = [start, ...roundTrips(20, 102, 99)].reduce(evolveExperiment, initialExperiment);
    expect(decideExperiment({ type: 'ConcludeExperiment', rule, ts: 5 }, state)[0]).toMatchObject({ data: { decision: 'reject', winner: champ } });
  });

  it('given a concluded experiment, then no more signals are recorded and it does not conclude twice', () => {
    const past = [start, ...roundTrips(20, 99, 102)];
    const state = past.reduce(evolveExperiment, initialExperiment);
    const concluded = decideExperiment({ type: 'ConcludeExperiment', rule, ts: 5 }, state)[0]!;
    spec.given([...past, concluded]).when({ type: 'ConcludeExperiment', rule, ts: 6 }).thenNothing();
    spec.given([...past, concluded]).when({ type: 'RecordVariantSignal', data: signal(chall, 'long', 100, 999).data as ExperimentSignalRecorded }).thenNothing();
  });
});
