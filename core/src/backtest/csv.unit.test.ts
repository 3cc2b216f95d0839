// CSV input: good files parse into columns; every kind of bad row is reported by its line number, then skipped or fatal.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { inferFromFileName, parseBarsCsv } from './csv.ts';

const header = 'time,open,high,low,close,volume';
const good = [
  header,
  '2023-01-02T16:45:00Z,10,11,9,10.5,100',
  '2023-01-02T16:50:00Z,10.5,12,10,11,50',
  '2023-01-02T16:55:00Z,11,11.5,10.5,11.2,0',
];

describe('parseBarsCsv', () => {
  it('parses rows into columns and infers the timeframe from the bar spacing', () => {
    const { series, badRows } = parseBarsCsv(good.join('\n') + '\n', { instrument: 'BTC/USDT' });
    expect(badRows).toEqual([]);
    expect(series.timeframe).toBe('5m');
    expect(series.length).toBe(3);
    expect([...series.close]).toEqual([10.5, 11, 11.2]);
    expect(series.openTime[0]).toBe(Date.UTC(2023, 0, 2, 16, 45));
  });

  it('finds columns by header name and reads epoch-second times', () => {
    const { series } = parseBarsCsv(['timestamp,volume,open,high,low,close', '1700000000,5,1,2,0.5,1.5', '1700000060,5,1.5,2,1,1.8'], { instrument: 'X' });
    expect(series.timeframe).toBe('1m');
    expect(series.openTime[1]).toBe(1_700_000_060_000);
    expect(series.high[0]).toBe(2);
  });

  const bad = [
    header,
    '2023-01-02T16:45:00Z,10,11,9,10.5,100', // 2 ok
    '2023-01-02T16:50:00Z,10,11,9', // 3 too few fields
    '2023-01-02T16:50:00Z,NaN,11,9,10,1', // 4 NaN
    '2023-01-02T16:50:00Z,-1,11,9,10,1', // 5 negative price
    '2023-01-02T16:50:00Z,10,9,11,10,1', // 6 high < low
    'yesterday,10,11,9,10,1', // 7 bad time
    '2023-01-02T16:50:00Z,10,11,9,10.2,1', // 8 ok
    '2023-01-02T16:50:00Z,10,11,9,10.2,1', // 9 duplicate
    '2023-01-02T16:40:00Z,10,11,9,10.2,1', // 10 out of order
    '2023-01-02T16:55:00Z,10,11,9,10.2,-3', // 11 negative volume
    '2023-01-02T16:55:00Z,10,10.1,9,10.2,3', // 12 high below close
    '2023-01-02T16:55:00Z,10,11,9,10.2,3', // 13 ok
  ];

  it('fails by default, naming the first bad lines and what is wrong with each', () => {
    let error: unknown;
    try { parseBarsCsv(bad.join('\n'), { instrument: 'X', timeframe: '5m' }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toMatch(/^9 bad row\(s\)/);
    expect(message).toContain('line 3: expected 6 fields, found 4');
    expect(message).toContain('line 4: open is not a finite number');
    expect(message).toContain('line 5: prices must be positive');
    expect(message).toContain('line 6: high 9 is below low 11');
    expect(message).toContain("line 7: unreadable time 'yesterday'");
    expect(message).toContain('line 9: duplicate time');
    expect(message).toContain('line 10: out of order');
    expect(message).toContain('line 11: negative volume');
    expect(message).toContain('line 12: high/low do not bracket open and close');
    expect(message).toContain('--on-bad-row skip');
  });

  it('skips bad rows when asked, keeping the good ones and reporting the skipped lines', () => {
    const { series, badRows } = parseBarsCsv(bad, { instrument: 'X', timeframe: '5m', onBadRow: 'skip' });
    expect(badRows.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 9, 10, 11, 12]);
    expect(series.length).toBe(3);
  });

  it('refuses a file without the OHLCV header', () => {
    expect(() => parseBarsCsv('a,b,c\n1,2,3', { instrument: 'X' })).toThrow(/lacks column\(s\) time, open, high, low, close, volume/);
  });
});

describe('inferFromFileName', () => {
  it('reads the instrument and timeframe from names like BTCUSDT-5m.csv', () => {
    expect(inferFromFileName('/data/BTCUSDT-5m.csv')).toEqual({ instrument: 'BTCUSDT', timeframe: '5m' });
    expect(inferFromFileName('BTC_USDT-1h.csv')).toEqual({ instrument: 'BTC/USDT', timeframe: '1h' });
    expect(inferFromFileName('prices.csv')).toEqual({ instrument: 'PRICES' });
  });
});
