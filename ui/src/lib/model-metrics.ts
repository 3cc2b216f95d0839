// Which model metrics and experiment stats to show, in what order, and how each is formatted for the locale.
import type { I18n, MessageKey } from './i18n.svelte.ts';

type Format = 'pct' | 'ratio' | 'int' | 'num';
interface Known { readonly key: string; readonly label: MessageKey; readonly format: Format }

/** Out-of-sample classification figures first, then the backtest of the model's signals (as `qts train` registers them). */
const modelMetrics: readonly Known[] = [
  { key: 'accuracy', label: 'm_accuracy', format: 'pct' },
  { key: 'logLoss', label: 'm_logLoss', format: 'ratio' },
  { key: 'rocAuc', label: 'm_rocAuc', format: 'ratio' },
  { key: 'baseRate', label: 'm_baseRate', format: 'pct' },
  { key: 'backtestReturn', label: 'm_backtestReturn', format: 'pct' },
  { key: 'buyAndHoldReturn', label: 'm_buyAndHoldReturn', format: 'pct' },
  { key: 'backtestSharpe', label: 'm_backtestSharpe', format: 'ratio' },
  { key: 'backtestMaxDrawdown', label: 'm_backtestMaxDrawdown', format: 'pct' },
  { key: 'backtestTrades', label: 'm_backtestTrades', format: 'int' },
  { key: 'testSamples', label: 'm_testSamples', format: 'int' },
  { key: 'trainSamples', label: 'm_trainSamples', format: 'int' },
];

/** An experiment variant's figures (core's variantStats): pnl and drawdown are in quote currency per unit. */
const experimentStats: readonly Known[] = [
  { key: 'trades', label: 'trades', format: 'int' },
  { key: 'hitRate', label: 's_hitRate', format: 'pct' },
  { key: 'meanReturn', label: 's_meanReturn', format: 'pct' },
  { key: 'pnl', label: 'pnl', format: 'num' },
  { key: 'maxDrawdown', label: 'maxDrawdown', format: 'num' },
];

export interface Column { readonly key: string; readonly label: (i18n: I18n) => string; readonly format: (i18n: I18n, v: number | null | undefined) => string }

const formatters: Record<Format, (i18n: I18n, v: number | null | undefined) => string> = {
  pct: (i18n, v) => i18n.pct(v),
  ratio: (i18n, v) => i18n.num(v, 4),
  int: (i18n, v) => i18n.num(typeof v === 'number' ? Math.round(v) : v),
  num: (i18n, v) => i18n.num(v, 2),
};

/**
 * Columns for the figures present in any of `records`: the known ones in their order, then any other
 * key (a newer trainer's metric) by name with a plain number, so nothing the API sends is hidden.
 */
function columnsFor(known: readonly Known[], records: readonly (Record<string, number | null> | null)[]): Column[] {
  const present = new Set<string>();
  for (const r of records) for (const k of Object.keys(r ?? {})) present.add(k);
  const cols: Column[] = known.filter((k) => present.has(k.key)).map((k) => ({ key: k.key, label: (i) => i.t(k.label), format: formatters[k.format] }));
  const extra = [...present].filter((k) => !known.some((m) => m.key === k)).sort();
  return [...cols, ...extra.map((key): Column => ({ key, label: () => key, format: (i, v) => i.num(typeof v === 'number' ? Math.round(v * 10_000) / 10_000 : v) }))];
}

export const metricColumns = (metrics: readonly (Record<string, number | null> | null)[]): Column[] => columnsFor(modelMetrics, metrics);
export const statColumns = (stats: readonly (Record<string, number | null> | null)[]): Column[] => columnsFor(experimentStats, stats);
