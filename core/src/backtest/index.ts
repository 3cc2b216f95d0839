// Backtests by replay: the engine, its bar series, CSV input, metrics, round trips, sweeps and walk-forward.
export { runBacktest } from './engine.ts';
export type { BacktestInput, BacktestResult, EquityCurve } from './engine.ts';
export { Desk, defaultExecutorConfig, openPaperBook } from './desk.ts';
export type { DeskOptions } from './desk.ts';
export { EventLog, eventLine, hashEventLog } from './event-log.ts';
export type { LoggedEvent } from './event-log.ts';
export { emptySeries, seriesFromBars, sliceSeries, repeatSeries, barAt } from './series.ts';
export type { BarSeries } from './series.ts';
export { parseBarsCsv, inferTimeframe, inferFromFileName } from './csv.ts';
export type { BadRow, CsvOptions, OnBadRow, ParsedCsv } from './csv.ts';
export { computeMetrics, periodsPerYearFor, YEAR_MS } from './metrics.ts';
export type { Metrics, MetricsInput } from './metrics.ts';
export { TradeBook } from './trades.ts';
export type { RoundTrip } from './trades.ts';
export {
  expandGrid, evaluatePoints, rankRows, objectiveValue, walkForward, objectives, MAX_GRID_POINTS,
} from './optimize.ts';
export type {
  GridAxis, GridOutcome, GridPoint, GridRow, GridSpec, Objective, PointsEvaluator, SweepBase,
  WalkForwardFold, WalkForwardOptions, WalkForwardResult,
} from './optimize.ts';
