// `qts backtest`: replay a CSV through a strategy and the trading code; one run, a parameter grid on two workers, or walk-forward.
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  builtInStrategies, expandGrid, sliceSeries, objectives, objectiveValue, parseStrategyParams, rankRows, runBacktest, strategyFromSpec, walkForward, QtsError, ValidationError,
  type AnyStrategy, type BacktestResult, type StrategySpec, type GridRow, type GridSpec, type Metrics, type Objective, type OnBadRow, type SweepBase,
} from '@qts/core';
import { Timeframe } from '@qts/schemas';
import { loadBars, type LoadedBars } from '../backtest/load.ts';
import { GridPool } from '../backtest/grid-pool.ts';

interface BacktestFlags {
  strategy: string;
  params?: string;
  data: string;
  instrument?: string;
  timeframe?: string;
  cash: number;
  feeBps: number;
  makerFeeBps?: number;
  slippageBps: number;
  maxVolumeShare: number;
  latencyMs: number;
  sizing: string;
  allowShort?: boolean;
  stopLossPct?: number;
  takeProfitPct?: number;
  orderType: 'market' | 'limit' | 'stop-market';
  limitOffsetBps: number;
  tif: 'GTC' | 'IOC' | 'FOK' | 'DAY';
  onBadRow: OnBadRow;
  seed: number;
  periodsPerYear?: number;
  json?: boolean;
  grid?: string;
  objective: Objective;
  top: number;
  walkForward?: boolean;
  trainBars?: number;
  testBars?: number;
  workers: number;
  from?: number;
  to?: number;
}

const isoTime = (name: string) => (raw: string): number => {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`${name} must be a date or ISO time like 2023-01-10 or 2023-01-10T12:00:00Z, got '${raw}'`);
  return t;
};

/** Bars opening in [from, to). */
function window(loaded: LoadedBars, from: number | undefined, to: number | undefined): LoadedBars {
  if (from === undefined && to === undefined) return loaded;
  const s = loaded.series;
  let a = 0;
  while (a < s.length && from !== undefined && s.openTime[a]! < from) a++;
  let b = a;
  while (b < s.length && (to === undefined || s.openTime[b]! < to)) b++;
  if (b - a === 0) throw new ValidationError('no bars between --from and --to', [{ path: 'from', message: 'empty window' }]);
  return { ...loaded, series: sliceSeries(s, a, b) };
}

const number = (name: string, check: (v: number) => boolean, range: string) => (raw: string): number => {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new InvalidArgumentError(`${name} must be ${range}, got '${raw}'`);
  return v;
};

/** all-in | fixed-quantity:Q | fixed-notional:N | percent-equity:P | vol-target:R:M */
export function parseSizing(raw: string): NonNullable<SweepBase['executor']>['sizing'] {
  const [kind, a, b] = raw.split(':');
  const num = (s: string | undefined, what: string): number => {
    const v = Number(s);
    if (s === undefined || s === '' || !Number.isFinite(v) || v <= 0) throw new ValidationError(`--sizing ${raw}: ${what} must be a positive number`, [{ path: 'sizing', message: `${what} > 0` }]);
    return v;
  };
  switch (kind) {
    case 'all-in': return { kind: 'percent-equity', percent: 100 };
    case 'fixed-quantity': return { kind: 'fixed-quantity', quantity: num(a, 'quantity') };
    case 'fixed-notional': return { kind: 'fixed-notional', notional: num(a, 'notional') };
    case 'percent-equity': {
      const percent = num(a, 'percent');
      if (percent > 100) throw new ValidationError(`--sizing ${raw}: percent must be between 0 and 100`, [{ path: 'sizing', message: '0 < percent <= 100' }]);
      return { kind: 'percent-equity', percent };
    }
    case 'vol-target': return { kind: 'volatility-target', riskPercent: num(a, 'risk percent'), atrMultiple: num(b, 'ATR multiple') };
    default:
      throw new ValidationError(`--sizing ${raw}: expected all-in, fixed-quantity:Q, fixed-notional:N, percent-equity:P or vol-target:R:M`, [{ path: 'sizing', message: 'unknown sizing' }]);
  }
}

function parseJson(flag: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new ValidationError(`${flag} is not valid JSON: ${(e as Error).message}`, [{ path: flag, message: 'invalid JSON' }]);
  }
}

/** `--strategy` is a built-in kind or a JSON hybrid spec, e.g. '{"kind":"unanimous","of":["sma-cross","rsi-reversion"]}'. */
function specOf(raw: string): StrategySpec {
  const spec = raw.trim().startsWith('{') ? (parseJson('--strategy', raw) as StrategySpec) : raw;
  if (typeof spec === 'string' && builtInStrategies[spec] === undefined) {
    throw new ValidationError(`unknown strategy '${spec}'; built-in: ${Object.keys(builtInStrategies).join(', ')}, or a JSON hybrid spec`, [{ path: 'strategy', message: 'unknown' }]);
  }
  return spec;
}

function sweepBase(f: BacktestFlags, venue: string): SweepBase {
  return {
    cash: f.cash,
    seed: f.seed,
    venue: { venue, slippageBps: f.slippageBps, takerFeeBps: f.feeBps, makerFeeBps: f.makerFeeBps ?? f.feeBps, maxVolumeShare: f.maxVolumeShare, latencyMs: f.latencyMs },
    executor: {
      venue, sizing: parseSizing(f.sizing), orderType: f.orderType, limitOffsetBps: f.limitOffsetBps, allowShort: f.allowShort ?? false, timeInForce: f.tif,
      ...(f.stopLossPct !== undefined ? { stopLossPct: f.stopLossPct } : {}),
      ...(f.takeProfitPct !== undefined ? { takeProfitPct: f.takeProfitPct } : {}),
    },
    ...(f.periodsPerYear !== undefined ? { periodsPerYear: f.periodsPerYear } : {}),
  };
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)} %`);
const num2 = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
const money = (x: number | null): string => (x === null ? '-' : x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const day = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function metricsTable(m: Metrics): [string, string][] {
  return [
    ['start equity', money(m.startEquity)],
    ['final equity', money(m.finalEquity)],
    ['total return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['volatility (ann.)', pct(m.volatility)],
    ['Sharpe (rf 0)', num2(m.sharpe)],
    ['Sortino (rf 0)', num2(m.sortino)],
    ['max drawdown', pct(-m.maxDrawdown)],
    ['max drawdown duration', `${m.maxDrawdownBars} bars (${(m.maxDrawdownMs / 86_400_000).toFixed(1)} days)`],
    ['Calmar', num2(m.calmar)],
    ['trades', String(m.trades)],
    ['win rate', pct(m.winRate)],
    ['profit factor', num2(m.profitFactor)],
    ['average trade', `${money(m.averageTrade)} (${pct(m.averageTradeReturn)})`],
    ['exposure', pct(m.exposure)],
    ['fees paid', money(m.totalFees)],
    ['bars / periods per year', `${m.bars} / ${m.periodsPerYear.toFixed(1)}`],
  ];
}

function printRows(rows: [string, string][]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}

function header(strategy: AnyStrategy, loaded: LoadedBars, what: string): void {
  const s = loaded.series;
  console.log(`${strategy.kind} ${what} on ${s.instrument} ${s.timeframe}: ${s.length} bars, ${day(s.openTime[0]!)} to ${day(s.openTime[s.length - 1]!)} (${loaded.source})`);
  if (loaded.badRows.length > 0) console.log(`  skipped ${loaded.badRows.length} bad row(s), first at line ${loaded.badRows[0]!.line}: ${loaded.badRows[0]!.reason}`);
}

function resultJson(strategy: AnyStrategy, params: unknown, loaded: LoadedBars, r: BacktestResult): unknown {
  const { time, equity } = r.equityCurve;
  return {
    strategy: strategy.kind, params,
    data: { source: loaded.source, instrument: loaded.series.instrument, timeframe: loaded.series.timeframe, bars: loaded.series.length, badRows: loaded.badRows },
    metrics: r.metrics, trades: r.trades,
    equityCurve: Array.from(equity, (e, i) => ({ time: time[i]!, equity: e })),
    eventHash: r.eventHash, eventCount: r.eventCount, signals: r.signals, orders: r.orders, fills: r.fills, openPosition: r.openPosition,
  };
}

async function single(f: BacktestFlags, strategy: AnyStrategy, loaded: LoadedBars): Promise<void> {
  const params = parseStrategyParams(strategy, f.params === undefined ? undefined : parseJson('--params', f.params));
  const r = runBacktest({ ...sweepBase(f, loaded.series.venue), bars: loaded.series, strategy, params });
  if (f.json) {
    console.log(JSON.stringify(resultJson(strategy, params, loaded, r)));
    return;
  }
  header(strategy, loaded, JSON.stringify(params));
  printRows(metricsTable(r.metrics));
  console.log(`  signals ${r.signals}, orders ${r.orders}, fills ${r.fills}, open position ${r.openPosition}`);
  console.log(`  events ${r.eventCount}, event hash ${r.eventHash}`);
}

function gridRowsTable(rows: readonly GridRow[], objective: Objective, top: number): void {
  const extra = objective === 'sharpe' || objective === 'total-return' ? [] : [objective];
  const head = ['#', 'params', ...extra, 'return', 'Sharpe', 'max DD', 'trades', 'win rate'];
  const body = rows.slice(0, top).map((r, i) => [
    String(i + 1), JSON.stringify(r.params), ...extra.map(() => (objective === 'cagr' ? pct(objectiveValueOf(r, objective)) : num2(objectiveValueOf(r, objective)))),
    pct(r.metrics.totalReturn), num2(r.metrics.sharpe), pct(-r.metrics.maxDrawdown), String(r.metrics.trades), pct(r.metrics.winRate),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]) => console.log(`  ${cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`);
  line(head);
  body.forEach(line);
}

function objectiveValueOf(r: GridRow, o: Objective): number | null {
  return objectiveValue(r.metrics, o);
}

async function grid(f: BacktestFlags, spec: StrategySpec, strategy: AnyStrategy, loaded: LoadedBars): Promise<void> {
  const points = expandGrid(parseJson('--grid', f.grid!) as GridSpec);
  const base = sweepBase(f, loaded.series.venue);
  const pool = new GridPool(f.workers);
  const started = performance.now();
  try {
    if (f.walkForward) {
      if (f.trainBars === undefined || f.testBars === undefined) throw new ValidationError('--walk-forward needs --train-bars N and --test-bars M', [{ path: 'trainBars', message: 'required' }]);
      const wf = await walkForward({ series: loaded.series, points, trainBars: f.trainBars, testBars: f.testBars, objective: f.objective, base, strategy, evaluate: pool.evaluator(spec, base) });
      if (f.json) {
        console.log(JSON.stringify({
          strategy: strategy.kind, objective: f.objective, folds: wf.folds, metrics: wf.metrics, trades: wf.trades,
          equityCurve: Array.from(wf.equityCurve.equity, (e, i) => ({ time: wf.equityCurve.time[i]!, equity: e })),
        }));
        return;
      }
      header(strategy, loaded, `walk-forward (${points.length} points, train ${f.trainBars} bars, test ${f.testBars} bars, objective ${f.objective})`);
      for (const [i, fold] of wf.folds.entries()) {
        console.log(`  fold ${i + 1}: test ${day(loaded.series.openTime[fold.testFrom]!)} .. ${day(loaded.series.openTime[fold.testTo - 1]!)}  params ${JSON.stringify(fold.params)}  in-sample ${f.objective} ${num2(objectiveValueOf({ params: fold.params, metrics: fold.inSample, eventHash: '' }, f.objective))}  out-of-sample return ${pct(fold.outOfSample.totalReturn)}`);
      }
      console.log('stitched out-of-sample result:');
      printRows(metricsTable(wf.metrics));
      return;
    }
    const out = await pool.evaluator(spec, base)(loaded.series, points);
    const ranked = rankRows(out.rows, f.objective);
    const seconds = (performance.now() - started) / 1000;
    if (f.json) {
      console.log(JSON.stringify({ strategy: strategy.kind, objective: f.objective, rows: ranked, refused: out.refused, seconds }));
      return;
    }
    header(strategy, loaded, `grid of ${points.length} points on ${pool.size} worker(s), ranked by ${f.objective}`);
    gridRowsTable(ranked, f.objective, f.top);
    if (out.refused.length > 0) console.log(`  ${out.refused.length} point(s) refused by the strategy, e.g. ${JSON.stringify(out.refused[0]!.params)}: ${out.refused[0]!.reason}`);
    console.log(`  ${out.rows.length} backtests in ${seconds.toFixed(2)} s`);
  } finally {
    await pool.close();
  }
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay recorded bars through a strategy, the executor, risk and portfolio with a simulated venue')
    .addOption(new Option('--strategy <kind>', `built-in strategy (${Object.keys(builtInStrategies).join(', ')}) or a JSON hybrid spec`).default('sma-cross'))
    .option('--params <json>', 'strategy parameters as JSON, e.g. \'{"fast":10,"slow":30}\' (defaults for the rest)')
    .requiredOption('--data <csv>', 'OHLCV CSV (time,open,high,low,close,volume); stream:<name> is a follow-up')
    .option('--instrument <symbol>', 'instrument (default: from the file name, e.g. BTCUSDT-5m.csv)')
    .addOption(new Option('--timeframe <tf>', 'bar timeframe (default: from the file name, else the bar spacing)').choices(Timeframe.options.filter((t) => t !== 'tick')))
    .option('--cash <amount>', 'starting cash', number('--cash', (v) => v > 0, 'a positive number'), 10_000)
    .option('--fee-bps <bps>', 'taker fee in basis points of notional (maker too unless --maker-fee-bps)', number('--fee-bps', (v) => v >= 0 && v <= 1000, 'between 0 and 1000'), 10)
    .option('--maker-fee-bps <bps>', 'maker fee in basis points (may be negative: a rebate)', number('--maker-fee-bps', (v) => v >= -100 && v <= 1000, 'between -100 and 1000'))
    .option('--slippage-bps <bps>', 'slippage against the taker, basis points', number('--slippage-bps', (v) => v >= 0 && v <= 1000, 'between 0 and 1000'), 0)
    .option('--max-volume-share <share>', 'partial fills: at most this share of a bar\'s volume per bar (1 = no cap)', number('--max-volume-share', (v) => v > 0 && v <= 1, 'in (0, 1]'), 1)
    .option('--latency-ms <ms>', 'an order trades only on bars opening at or after submit + latency', number('--latency-ms', (v) => v >= 0, '>= 0'), 0)
    .option('--sizing <sizing>', 'all-in | fixed-quantity:Q | fixed-notional:N | percent-equity:P | vol-target:R:M', 'all-in')
    .option('--allow-short', 'let short signals open short positions (default: long-only)')
    .option('--stop-loss-pct <pct>', 'protective stop-loss percent from entry', number('--stop-loss-pct', (v) => v > 0 && v < 100, 'between 0 and 100'))
    .option('--take-profit-pct <pct>', 'take-profit percent from entry', number('--take-profit-pct', (v) => v > 0 && v <= 1000, 'between 0 and 1000'))
    .addOption(new Option('--order-type <type>', 'entry order type').choices(['market', 'limit', 'stop-market']).default('market'))
    .option('--limit-offset-bps <bps>', 'limit/stop distance from the signal price', number('--limit-offset-bps', (v) => Math.abs(v) <= 10_000, 'between -10000 and 10000'), 0)
    .addOption(new Option('--tif <tif>', 'time in force').choices(['GTC', 'IOC', 'FOK', 'DAY']).default('GTC'))
    .addOption(new Option('--on-bad-row <mode>', 'bad CSV rows: fail (list them) or skip them').choices(['skip', 'fail']).default('fail'))
    .option('--seed <n>', 'seed of the event ids (same seed, same event hash)', number('--seed', (v) => Number.isInteger(v) && v >= 0, 'a whole number >= 0'), 1)
    .option('--periods-per-year <n>', 'annualisation override (default: from the timeframe and the data)', number('--periods-per-year', (v) => v > 0, 'positive'))
    .option('--from <time>', 'first bar to replay (date or ISO time, UTC)', isoTime('--from'))
    .option('--to <time>', 'replay bars opening before this time', isoTime('--to'))
    .option('--json', 'print JSON: metrics, every trade, the equity curve, the event hash')
    .option('--grid <json>', 'parameter sweep, e.g. \'{"fast":[5,10,20],"slow":{"from":30,"to":100,"step":10}}\'')
    .addOption(new Option('--objective <metric>', 'ranking metric for --grid and --walk-forward').choices([...objectives]).default('sharpe'))
    .option('--top <n>', 'rows of the ranked grid table', number('--top', (v) => Number.isInteger(v) && v > 0, 'a positive whole number'), 20)
    .option('--walk-forward', 'optimise on --train-bars, test on the next --test-bars, roll; report the stitched out-of-sample result (needs --grid)')
    .option('--train-bars <n>', 'in-sample window', number('--train-bars', (v) => Number.isInteger(v) && v > 0, 'a positive whole number'))
    .option('--test-bars <n>', 'out-of-sample window', number('--test-bars', (v) => Number.isInteger(v) && v > 0, 'a positive whole number'))
    .option('--workers <n>', 'worker threads for --grid', number('--workers', (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'between 1 and 64'), 2)
    .action(async (flags: BacktestFlags) => {
      // Piped into `head`: a closed stdout ends the command quietly, not with an EPIPE stack trace.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      try {
        const spec = specOf(flags.strategy);
        const strategy = strategyFromSpec(spec);
        if (flags.walkForward && flags.grid === undefined) throw new ValidationError('--walk-forward needs --grid to optimise over', [{ path: 'grid', message: 'required' }]);
        // Refuse bad flags before reading any data: the user learns of every mistake in seconds.
        parseSizing(flags.sizing);
        if (flags.grid !== undefined) expandGrid(parseJson('--grid', flags.grid) as GridSpec);
        else parseStrategyParams(strategy, flags.params === undefined ? undefined : parseJson('--params', flags.params));
        const loaded = window(await loadBars(flags.data, {
          onBadRow: flags.onBadRow,
          ...(flags.instrument ? { instrument: flags.instrument } : {}),
          ...(flags.timeframe ? { timeframe: flags.timeframe as Timeframe } : {}),
        }), flags.from, flags.to);
        if (flags.grid !== undefined) await grid(flags, spec, strategy, loaded);
        else await single(flags, strategy, loaded);
      } catch (e) {
        if (e instanceof QtsError && e.kind === 'ValidationError') {
          console.error(`qts backtest: ${e.message}`);
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}
