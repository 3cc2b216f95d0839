// The registry of built-in strategies by kind, for the CLI, the API and the optimiser.
import { bollingerBreakout } from './bollinger-breakout.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { paramSpace } from './strategy.ts';
import type { AnyStrategy, ParamSpec } from './strategy.ts';

export const builtInStrategies: Readonly<Record<string, AnyStrategy>> = Object.freeze({
  [smaCross.kind]: smaCross,
  [macdCross.kind]: macdCross,
  [rsiReversion.kind]: rsiReversion,
  [bollingerBreakout.kind]: bollingerBreakout,
});

/** What a UI or API lists for each strategy: its kind, what it does, and its parameter form. */
export interface StrategyInfo {
  readonly kind: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
}

/**
 * The strategies a user can pick, for `GET /strategies` and the CLI's help.
 * @example strategyCatalog().map((s) => s.kind) // ['sma-cross', 'macd-cross', 'rsi-reversion', 'bollinger-breakout']
 */
export function strategyCatalog(registry: Readonly<Record<string, AnyStrategy>> = builtInStrategies): StrategyInfo[] {
  return Object.values(registry).map((s) => ({ kind: s.kind, description: s.description, params: paramSpace(s) }));
}
