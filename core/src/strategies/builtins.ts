// The registry of built-in strategies by kind, for the CLI, the API and the optimiser.
import { bollingerBreakout } from './bollinger-breakout.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import type { AnyStrategy } from './strategy.ts';

export const builtInStrategies: Readonly<Record<string, AnyStrategy>> = Object.freeze({
  [smaCross.kind]: smaCross,
  [macdCross.kind]: macdCross,
  [rsiReversion.kind]: rsiReversion,
  [bollingerBreakout.kind]: bollingerBreakout,
});
