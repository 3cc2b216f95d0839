// Reads a backtest's bar data from disk (CSV; instrument and timeframe inferred from names like BTCUSDT-5m.csv).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { inferFromFileName, parseBarsCsv, ValidationError, type BadRow, type BarSeries, type OnBadRow } from '@qts/core';
import type { Timeframe } from '@qts/schemas';
import { loadStreamBars } from './stream.ts';

export interface LoadOptions {
  readonly instrument?: string;
  readonly timeframe?: Timeframe;
  readonly venue?: string;
  readonly onBadRow?: OnBadRow;
}

export interface LoadedBars {
  readonly series: BarSeries;
  readonly source: string;
  readonly badRows: readonly BadRow[];
}

/**
 * `--data` is a CSV path, or `stream:<name>`: the BarClosed events of a stored stream (e.g.
 * `stream:bars-binance.BTC_USDT.5m`) read from the configured event store.
 */
export async function loadBars(data: string, options: LoadOptions = {}): Promise<LoadedBars> {
  if (data.startsWith('stream:')) {
    const stream = data.slice('stream:'.length);
    if (stream === '') throw new ValidationError('--data stream: needs a stream name, e.g. stream:bars-binance.BTC_USDT.5m', [{ path: 'data', message: 'empty stream name' }]);
    const { series, badRows } = await loadStreamBars(stream, options.onBadRow ?? 'fail');
    return { series, source: data, badRows };
  }
  let text: string;
  try {
    text = await readFile(data, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(`--data ${data}: cannot read the file (${code ?? String(e)})`, [{ path: 'data', message: code ?? 'unreadable' }]);
  }
  const fromName = inferFromFileName(basename(data));
  const instrument = options.instrument ?? fromName.instrument;
  if (instrument === undefined) throw new ValidationError(`--data ${data}: cannot infer the instrument from the file name; pass --instrument`, [{ path: 'instrument', message: 'required' }]);
  const timeframe = options.timeframe ?? fromName.timeframe;
  const parsed = parseBarsCsv(text, {
    instrument, venue: options.venue ?? 'csv', onBadRow: options.onBadRow ?? 'fail', ...(timeframe ? { timeframe } : {}),
  });
  return { series: parsed.series, source: data, badRows: parsed.badRows };
}
