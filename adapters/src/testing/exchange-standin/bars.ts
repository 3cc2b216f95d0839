// Reads recorded OHLCV CSV (time,open,high,low,close,volume) into the stand-in's candles: real prices to trade against.
import { readFileSync } from 'node:fs';
import type { StandinBar } from './binance-standin.ts';

export function standinBarsFromCsv(path: string): StandinBar[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== 'time,open,high,low,close,volume') throw new Error(`${path}: expected the header time,open,high,low,close,volume`);
  return lines.slice(1).map((line, i) => {
    const [time, open, high, low, close, volume] = line.split(',');
    const bar = { openTime: Date.parse(time!), open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume) };
    if (!Number.isFinite(bar.openTime) || !(bar.close > 0)) throw new Error(`${path}:${i + 2}: not a bar: ${line}`);
    return bar;
  });
}
