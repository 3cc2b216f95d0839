// Reads a backtest's bar data from disk (CSV; instrument and timeframe inferred from names like BTCUSDT-5m.csv).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { inferFromFileName, parseBarsCsv, ValidationError, type BadRow, type BarSeries, type OnBadRow } from '@qts/core';
import type { Timeframe } from '@qts/schemas';

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
 * `--data` is a CSV path. `stream:<name>` (bars read back from the event store) is a follow-up: it
 * needs the event store adapter wired in the composition root, so it is refused with that reason.
 */
export async function loadBars(data: string, options: LoadOptions = {}): Promise<LoadedBars> {
  if (data.startsWith('stream:')) {
    throw new ValidationError(`--data ${data}: reading bars from the event store is not available yet; export the stream to CSV and pass its path`, [{ path: 'data', message: 'stream input not available yet' }]);
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
