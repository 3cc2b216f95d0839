// A live A/B experiment as an aggregate: started once, every variant's signals recorded, concluded once (promote or reject) when each variant has enough closed trades.
import type { ExperimentConcluded, ExperimentSignalRecorded, ExperimentStarted } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { checkShares, concludeExperiment, variantTradesFromSignals } from './experiment.ts';
import type { BootstrapOptions, VariantSignal, VariantTrade } from './experiment.ts';

export type ExperimentEvent =
  | { readonly type: 'ExperimentStarted'; readonly data: ExperimentStarted }
  | { readonly type: 'ExperimentSignalRecorded'; readonly data: ExperimentSignalRecorded }
  | { readonly type: 'ExperimentConcluded'; readonly data: ExperimentConcluded };

export interface ExperimentState {
  readonly started: ExperimentStarted | null;
  /** Every variant's recorded signals, in order: the attribution's input. */
  readonly signals: readonly VariantSignal[];
  readonly concluded: ExperimentConcluded | null;
}

/** When and how to conclude: a fixed sample (each variant's closed trades), looked at once it is complete. */
export interface ConclusionRule extends BootstrapOptions {
  /** Fee per side in basis points charged to every hypothetical trade. */
  readonly feeBps: number;
  /** Closed trades every variant needs before the test runs (then it runs once: no peeking). */
  readonly minTrades: number;
}

export type ExperimentCommand =
  | { readonly type: 'StartExperiment'; readonly data: ExperimentStarted }
  | { readonly type: 'RecordVariantSignal'; readonly data: ExperimentSignalRecorded }
  | { readonly type: 'ConcludeExperiment'; readonly rule: ConclusionRule; readonly ts: number };

export const initialExperiment: ExperimentState = { started: null, signals: [], concluded: null };

/**
 * @example decideExperiment({ type: 'ConcludeExperiment', rule: { feeBps: 10, minTrades: 30 }, ts }, state) // [] until every variant has 30 trades
 */
export function decideExperiment(command: ExperimentCommand, state: ExperimentState): ExperimentEvent[] {
  switch (command.type) {
    case 'StartExperiment': {
      const d = command.data;
      if (state.started) {
        if (sameSetup(state.started, d)) return [];
        throw new ValidationError(`experiment ${d.experimentId} was started with other variants (${describe(state.started)}); give the new setup another id`, [{ path: 'experiment.id', message: 'already used for another setup' }]);
      }
      if (!d.variants.some((v) => v.version === d.champion)) throw new ValidationError(`experiment ${d.experimentId}: the champion ${d.champion} is not a variant`, [{ path: 'experiment.variants', message: 'champion missing' }]);
      try {
        checkShares(d.variants);
      } catch (e) {
        throw new ValidationError(`experiment ${d.experimentId}: ${(e as Error).message}`, [{ path: 'experiment.variants', message: (e as Error).message }]);
      }
      return [{ type: 'ExperimentStarted', data: d }];
    }
    case 'RecordVariantSignal': {
      const started = requireStarted(state, command.data.experimentId);
      if (state.concluded) return [];
      if (!started.variants.some((v) => v.version === command.data.version)) {
        throw new ValidationError(`experiment ${started.experimentId} has no variant ${command.data.version}`, [{ path: 'version', message: 'not a variant' }]);
      }
      return [{ type: 'ExperimentSignalRecorded', data: command.data }];
    }
    case 'ConcludeExperiment': {
      const started = state.started;
      if (!started || state.concluded) return [];
      const trades = experimentTrades(state, command.rule.feeBps);
      for (const v of started.variants) if ((trades.get(v.version)?.length ?? 0) < command.rule.minTrades) return [];
      const verdict = concludeExperiment(started.champion, trades, { ...command.rule, minTrades: command.rule.minTrades });
      const test = verdict.test!;
      const stats: Record<string, Record<string, number | null>> = {};
      for (const [version, s] of verdict.stats) stats[version] = { trades: s.trades, pnl: s.pnl, hitRate: s.hitRate, maxDrawdown: s.maxDrawdown, meanReturn: s.meanReturn };
      const decision = test.decision === 'promote' ? 'promote' : 'reject';
      return [{
        type: 'ExperimentConcluded',
        data: {
          experimentId: started.experimentId, family: started.family, decision,
          winner: decision === 'promote' ? verdict.challenger! : started.champion,
          pValue: test.pValue, stats, ts: command.ts,
        },
      }];
    }
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

export function evolveExperiment(state: ExperimentState, event: ExperimentEvent): ExperimentState {
  switch (event.type) {
    case 'ExperimentStarted':
      return { ...state, started: event.data };
    case 'ExperimentSignalRecorded': {
      const d = event.data;
      return { ...state, signals: [...state.signals, { direction: d.direction, price: d.price, asOf: d.asOf, model: { version: d.version } }] };
    }
    case 'ExperimentConcluded':
      return { ...state, concluded: event.data };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export const experimentDecider = { initialState: (): ExperimentState => initialExperiment, decide: decideExperiment, evolve: evolveExperiment };

/** Each variant's hypothetical trades from its own recorded signals (every variant, both modes). */
export function experimentTrades(state: ExperimentState, feeBps: number): Map<string, VariantTrade[]> {
  const trades = variantTradesFromSignals(state.signals, feeBps);
  for (const v of state.started?.variants ?? []) if (!trades.has(v.version)) trades.set(v.version, []);
  return trades;
}

function requireStarted(state: ExperimentState, id: string): ExperimentStarted {
  if (!state.started) throw new ValidationError(`experiment ${id} has not started`, [{ path: 'experimentId', message: 'not started' }]);
  return state.started;
}

function sameSetup(a: ExperimentStarted, b: ExperimentStarted): boolean {
  return a.mode === b.mode && a.champion === b.champion && describe(a) === describe(b);
}

function describe(s: ExperimentStarted): string {
  return s.variants.map((v) => `${v.version}:${v.share}`).join(', ');
}
