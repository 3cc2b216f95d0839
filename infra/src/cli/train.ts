// `qts train`: train an ML model on recorded bars, report out-of-sample accuracy/log loss/ROC AUC, backtest its signals against buy-and-hold, and register the version.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { featureSpecHash, mlStrategy, parseStrategyParams, QtsError, runBacktest, sliceSeries, ValidationError } from '@qts/core';
import type { BarSeries, EventStore, ModelKind } from '@qts/core';
import type { TrainProgress, TrainResult } from '@qts/adapters/ml';
import { Timeframe, uuidv7Ids } from '@qts/schemas';
import { loadBars } from '../backtest/load.ts';
import { loadConfig } from '../runtime/config.ts';
import { commandStore } from './models.ts';

interface TrainFlags {
  model: ModelKind;
  data: string;
  instrument?: string;
  timeframe?: string;
  from?: number;
  to?: number;
  horizon: number;
  window: number;
  epochs: number;
  batchSize: number;
  seed: number;
  labels: 'direction' | 'triple-barrier';
  deadZone: number;
  takeProfit: number;
  stopLoss: number;
  testFraction: number;
  embargo?: number;
  folds?: number;
  longAbove: number;
  shortBelow: number;
  cash: number;
  modelDir?: string;
  register: boolean;
  promote?: boolean;
  json?: boolean;
  progress: 'bar' | 'json';
  export?: string;
}

const num = (name: string, min: number, max: number, integer = false) => (raw: string): number => {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) throw new InvalidArgumentError(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}, got '${raw}'`);
  return v;
};
const isoTime = (name: string) => (raw: string): number => {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`${name} must be a date or ISO time like 2023-01-10, got '${raw}'`);
  return t;
};

export function registerTrain(program: Command): void {
  program.command('train')
    .description('train an ML model (LSTM, Transformer, XGBoost or their ensemble) on recorded bars, evaluate it out of sample, backtest its signals and register the version')
    .addOption(new Option('--model <kind>', 'model kind').choices(['lstm', 'transformer', 'xgboost', 'ensemble']).makeOptionMandatory())
    .requiredOption('--data <csv>', 'OHLCV CSV (time,open,high,low,close,volume) or stream:<name>')
    .option('--instrument <symbol>', 'e.g. BTC/USDT (default: from the file name)')
    .option('--timeframe <tf>', 'e.g. 1h (default: from the file name or the data)')
    .option('--from <time>', 'first bar (ISO date/time)', isoTime('--from'))
    .option('--to <time>', 'bars before this time', isoTime('--to'))
    .option('--horizon <bars>', 'label horizon in bars', num('--horizon', 1, 500, true), 4)
    .option('--window <bars>', 'bars per model input window', num('--window', 1, 512, true), 32)
    .option('--epochs <n>', 'training epochs (networks)', num('--epochs', 1, 1000, true), 10)
    .option('--batch-size <n>', 'mini-batch size', num('--batch-size', 1, 65536, true), 64)
    .option('--seed <n>', 'seed: the same seed and data give the same model', num('--seed', 0, 2 ** 31, true), 1)
    .addOption(new Option('--labels <kind>', 'labels: sign of the forward return, or triple barrier').choices(['direction', 'triple-barrier']).default('direction'))
    .option('--dead-zone <fraction>', 'forward returns within ±this are not labelled', num('--dead-zone', 0, 1), 0)
    .option('--take-profit <fraction>', 'triple barrier: take-profit distance', num('--take-profit', 1e-6, 10), 0.01)
    .option('--stop-loss <fraction>', 'triple barrier: stop-loss distance', num('--stop-loss', 1e-6, 10), 0.01)
    .option('--test-fraction <f>', 'share of bars held out at the end', num('--test-fraction', 0.05, 0.9), 0.25)
    .option('--embargo <bars>', 'extra gap after the purge (default: the window)', num('--embargo', 0, 100000, true))
    .option('--folds <n>', 'also evaluate walk-forward over n folds (a model per fold, trained only on bars before its test range)', num('--folds', 2, 50, true))
    .option('--long-above <p>', 'backtest: long when P(up) >= this', num('--long-above', 0.5, 1), 0.55)
    .option('--short-below <p>', 'backtest: short (flat when long-only) when P(up) <= this', num('--short-below', 0, 0.5), 0.45)
    .option('--cash <amount>', 'backtest starting cash', num('--cash', 1, 1e15), 10_000)
    .option('--model-dir <dir>', 'model storage directory (default QTS_MODEL_DIR or <dataDir>/models)')
    .option('--no-register', 'do not store the artifact nor append ModelTrained')
    .option('--promote', 'promote the new version to champion of its family')
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--progress <format>', 'progress on stderr: a bar, or one JSON line per epoch {"progress":{model,epoch,epochs,loss}} for a program to read').choices(['bar', 'json']).default('bar'))
    .option('--export <file>', 'also write the model artifact to this file (another process can register it)')
    .action(async (flags: TrainFlags) => {
      // Started over IPC by another process (the API's training jobs): stop when it goes away rather than train for nobody.
      if (process.channel) {
        process.channel.unref();
        process.once('disconnect', () => process.exit(130));
        if (!process.connected) process.exit(130);
      }
      process.exitCode = await train(flags);
    });
}

async function train(flags: TrainFlags): Promise<number> {
  let opened: { store: EventStore; close(): Promise<void> } | null = null;
  try {
    const tf = flags.timeframe === undefined ? undefined : Timeframe.safeParse(flags.timeframe);
    if (tf && !tf.success) throw new ValidationError(`--timeframe must be one of ${Timeframe.options.join(', ')}`, [{ path: 'timeframe', message: 'unknown' }]);
    const loaded = await loadBars(flags.data, { ...(flags.instrument ? { instrument: flags.instrument } : {}), ...(tf?.success ? { timeframe: tf.data } : {}) });
    const series = between(loaded.series, flags.from, flags.to);
    // Loaded here, not at the top: tfjs and the WASM modules cost every other command nothing.
    const { encodeArtifact, FileModelStorage, initTf, ModelRegistry, trainModel, walkForwardEvaluate } = await import('@qts/adapters/ml');
    const backend = await initTf((line) => process.stderr.write(`${line}\n`));
    const progress = flags.progress === 'json' ? progressLines : progressBar(flags.model);
    const started = performance.now();
    const options = {
      kind: flags.model, series, horizon: flags.horizon, window: flags.window, epochs: flags.epochs, batchSize: flags.batchSize, seed: flags.seed,
      labeling: flags.labels === 'direction' ? { kind: 'direction', deadZone: flags.deadZone } as const : { kind: 'triple-barrier', takeProfit: flags.takeProfit, stopLoss: flags.stopLoss } as const,
      testFraction: flags.testFraction, ...(flags.embargo !== undefined ? { embargo: flags.embargo } : {}), onProgress: progress,
    };
    const walkForward = flags.folds === undefined ? null : await walkForwardEvaluate({ ...options, folds: flags.folds });
    const result = await trainModel(options);
    if (flags.progress === 'bar') process.stderr.write('\n');
    const trainSeconds = (performance.now() - started) / 1000;
    const bt = backtestModel(series, result, flags);
    const metrics = {
      accuracy: result.metrics.accuracy, logLoss: result.metrics.logLoss, rocAuc: result.metrics.rocAuc, baseRate: result.metrics.baseRate,
      testSamples: result.metrics.samples, trainSamples: result.trainSamples, backtestReturn: bt.model.totalReturn, buyAndHoldReturn: bt.buyAndHold,
      backtestSharpe: bt.model.sharpe, backtestMaxDrawdown: bt.model.maxDrawdown, backtestTrades: bt.model.trades,
    };
    if (flags.export !== undefined) {
      await mkdir(dirname(resolve(flags.export)), { recursive: true });
      await writeFile(flags.export, encodeArtifact(await result.model.toArtifact()));
    }
    let version: string | null = null;
    if (flags.register) {
      const { config } = loadConfig();
      // On Kafka the registry's events are also published: a running `qts worker ml` swaps to a promoted version at once.
      opened = await commandStore(config);
      const registry = new ModelRegistry({
        store: opened.store, storage: new FileModelStorage(flags.modelDir ?? process.env['QTS_MODEL_DIR'] ?? resolve(config.dataDir, 'models')), ids: uuidv7Ids, now: () => Date.now(),
      });
      version = await registry.register({
        model: result.model, instrument: series.instrument, timeframe: series.timeframe, metrics,
        dataRange: result.dataRange, codeVersion: process.env['QTS_CODE_VERSION'] ?? 'dev', seed: flags.seed,
      });
      if (flags.promote) await registry.promote(version, 'promoted by qts train --promote', 'cli');
    }
    const report = {
      model: flags.model, version, backend, instrument: series.instrument, timeframe: series.timeframe, bars: series.length,
      featureSpecHash: featureSpecHash(result.model.featureSpec), features: result.featureNames,
      split: result.split, trainSamples: result.trainSamples, trainSeconds: Number(trainSeconds.toFixed(2)),
      outOfSample: result.metrics,
      ...(walkForward ? { walkForward } : {}),
      backtest: { ...bt.model, buyAndHoldReturn: bt.buyAndHold },
      // What the registry records for the version (or would, for an exported artifact).
      metrics, dataRange: result.dataRange,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      printReport(report, bt);
      for (const [i, f] of (walkForward?.folds ?? []).entries()) {
        process.stdout.write(`fold ${i + 1}         test bars [${f.split.test.from}, ${f.split.test.to}): accuracy ${pct(f.metrics.accuracy)}, log loss ${f.metrics.logLoss.toFixed(4)}, ROC AUC ${f.metrics.rocAuc?.toFixed(4) ?? '-'}\n`);
      }
      if (walkForward) process.stdout.write(`walk-forward   pooled ${walkForward.pooled.samples} samples: accuracy ${pct(walkForward.pooled.accuracy)}, log loss ${walkForward.pooled.logLoss.toFixed(4)}, ROC AUC ${walkForward.pooled.rocAuc?.toFixed(4) ?? '-'}\n`);
    }
    result.model.dispose();
    return 0;
  } catch (e) {
    if (e instanceof QtsError || e instanceof RangeError) {
      process.stderr.write(`qts train: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    await opened?.close();
  }
}

function between(s: BarSeries, from: number | undefined, to: number | undefined): BarSeries {
  let a = 0;
  while (a < s.length && from !== undefined && s.openTime[a]! < from) a++;
  let b = a;
  while (b < s.length && (to === undefined || s.openTime[b]! < to)) b++;
  if (b - a === 0) throw new ValidationError('no bars between --from and --to', [{ path: 'from', message: 'empty window' }]);
  return sliceSeries(s, a, b);
}

interface BacktestFigures {
  readonly model: { totalReturn: number; sharpe: number | null; maxDrawdown: number; trades: number; winRate: number | null; signals: number; exposure: number };
  readonly buyAndHold: number;
}

/**
 * The model's signals through the backtest engine on the test bars only (after a warm-up that is
 * not traded), against buying at the first test bar's close and holding to the last close.
 */
function backtestModel(series: BarSeries, r: TrainResult, flags: TrainFlags): BacktestFigures {
  const strategy = mlStrategy(r.model);
  const warm = Math.min(r.split.test.from, 200 + r.model.window);
  const bars = sliceSeries(series, r.split.test.from - warm, series.length);
  const res = runBacktest({
    bars, strategy, params: parseStrategyParams(strategy, { longAbove: flags.longAbove, shortBelow: flags.shortBelow }),
    tradeFrom: warm, cash: flags.cash, seed: flags.seed, strategyId: `ml-${flags.model}`,
  });
  const m = res.metrics;
  const first = series.close[r.split.test.from]!;
  const last = series.close[series.length - 1]!;
  return {
    model: { totalReturn: m.totalReturn, sharpe: m.sharpe, maxDrawdown: m.maxDrawdown, trades: m.trades, winRate: m.winRate, signals: res.signals, exposure: m.exposure },
    buyAndHold: last / first - 1,
  };
}

/** One JSON line per epoch on stderr; a loss that is not a number (trees) is null. */
function progressLines(p: TrainProgress): void {
  process.stderr.write(`${JSON.stringify({ progress: { model: p.model, epoch: p.epoch, epochs: p.epochs, loss: Number.isFinite(p.loss) ? p.loss : null } })}\n`);
}

/** Epochs and loss on one line (a TTY redraws it; a pipe gets one line per epoch). */
function progressBar(kind: ModelKind): (p: TrainProgress) => void {
  const tty = process.stderr.isTTY === true;
  return (p) => {
    const width = 24;
    const filled = Math.round((p.epoch / p.epochs) * width);
    const loss = Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-';
    const line = `${kind === p.model ? '' : `${kind}/`}${p.model} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] epoch ${p.epoch}/${p.epochs} loss ${loss}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);

function printReport(r: { model: string; version: string | null; backend: string; instrument: string; timeframe: string; bars: number; trainSamples: number; trainSeconds: number; outOfSample: TrainResult['metrics']; split: TrainResult['split'] }, bt: BacktestFigures): void {
  const m = r.outOfSample;
  const lines = [
    `model          ${r.model} ${r.version ? `registered as ${r.version}` : '(not registered)'}`,
    `backend        ${r.backend}`,
    `data           ${r.instrument} ${r.timeframe}, ${r.bars} bars; train bars [${r.split.train.from}, ${r.split.train.to}), test bars [${r.split.test.from}, ${r.split.test.to})`,
    `training       ${r.trainSamples} samples in ${r.trainSeconds} s`,
    `out of sample  ${m.samples} samples: accuracy ${pct(m.accuracy)} (base rate ${pct(Math.max(m.baseRate, 1 - m.baseRate))}), log loss ${m.logLoss.toFixed(4)}, ROC AUC ${m.rocAuc === null ? '-' : m.rocAuc.toFixed(4)}`,
    `backtest       return ${pct(bt.model.totalReturn)} vs buy-and-hold ${pct(bt.buyAndHold)}; sharpe ${bt.model.sharpe === null ? '-' : bt.model.sharpe.toFixed(2)}, max drawdown ${pct(bt.model.maxDrawdown)}, ${bt.model.trades} trades, win rate ${pct(bt.model.winRate)}, exposure ${pct(bt.model.exposure)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
