// OHLCV CSV to a bar series: the trust boundary for recorded data, every bad row reported by its line number.
import { Instrument, Timeframe, timeframeToMs } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { emptySeries, type BarSeries } from './series.ts';

export type OnBadRow = 'skip' | 'fail';

export interface BadRow {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface CsvOptions {
  readonly instrument: string;
  /** Omitted: inferred from the most common gap between bar open times. */
  readonly timeframe?: Timeframe;
  readonly venue?: string;
  /** 'fail' (default) throws a ValidationError listing the first bad lines; 'skip' drops them and reports them. */
  readonly onBadRow?: OnBadRow;
}

export interface ParsedCsv {
  readonly series: BarSeries;
  readonly badRows: readonly BadRow[];
}

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;
const TIME_ALIASES = ['time', 'timestamp', 'date', 'datetime', 'open_time', 'opentime'];
const SHOWN = 10;

function splitLines(input: string | Iterable<string>): Iterable<string> {
  return typeof input === 'string' ? input.split(/\r?\n/) : input;
}

/** Epoch ms from ISO-8601 (a zone is required; a bare date is UTC midnight) or epoch seconds/milliseconds. */
function parseTime(raw: string): number {
  const t = raw.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return Date.parse(`${t}T00:00:00Z`);
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(t)) return NaN;
  return Date.parse(t);
}

function describe(rows: readonly BadRow[], total: number): string {
  const shown = rows.slice(0, SHOWN).map((r) => `  line ${r.line}: ${r.reason}: ${JSON.stringify(r.text.slice(0, 120))}`);
  const more = total > SHOWN ? `\n  ... and ${total - SHOWN} more` : '';
  return `${total} bad row(s) in the CSV (use --on-bad-row skip to drop them):\n${shown.join('\n')}${more}`;
}

/**
 * Parses `time,open,high,low,close,volume` (columns found by header name, any order, extra columns
 * ignored). A row is bad when it has missing or non-numeric fields, a time that does not parse, a
 * non-positive price, a negative volume, high below low or not bracketing open and close, or a time
 * equal to (duplicate) or before (out of order) the last good row.
 */
export function parseBarsCsv(input: string | Iterable<string>, options: CsvOptions): ParsedCsv {
  const instrument = Instrument.safeParse(options.instrument);
  if (!instrument.success) throw new ValidationError(`bad instrument '${options.instrument}'`, [{ path: 'instrument', message: 'an instrument like BTC/USDT or GOOG' }]);
  const onBad = options.onBadRow ?? 'fail';
  const bad: BadRow[] = [];
  const cols = { t: [] as number[], o: [] as number[], h: [] as number[], l: [] as number[], c: [] as number[], v: [] as number[] };
  let index: number[] | null = null;
  let width = 0;
  let lineNo = 0;
  let last = -Infinity;
  for (const rawLine of splitLines(input)) {
    lineNo++;
    const line = rawLine.trim();
    if (line === '') continue;
    const fields = line.split(',');
    if (index === null) {
      const names = fields.map((f) => f.trim().toLowerCase().replace(/^"|"$/g, ''));
      const timeAt = names.findIndex((n) => TIME_ALIASES.includes(n));
      index = [timeAt, ...COLUMNS.slice(1).map((c) => names.indexOf(c))];
      const missing = COLUMNS.filter((_, i) => index![i]! < 0);
      if (missing.length > 0) {
        throw new ValidationError(`CSV header on line ${lineNo} lacks column(s) ${missing.join(', ')}; expected ${COLUMNS.join(',')}`, missing.map((m) => ({ path: m, message: 'missing column' })));
      }
      width = names.length;
      continue;
    }
    const reject = (reason: string): void => {
      bad.push({ line: lineNo, reason, text: rawLine });
    };
    if (fields.length < width) { reject(`expected ${width} fields, found ${fields.length}`); continue; }
    const t = parseTime(fields[index[0]!]!);
    if (!Number.isFinite(t)) { reject(`unreadable time '${fields[index[0]!]!.trim()}'`); continue; }
    const o = Number(fields[index[1]!]); const h = Number(fields[index[2]!]); const l = Number(fields[index[3]!]);
    const c = Number(fields[index[4]!]); const v = Number(fields[index[5]!]);
    const empty = [1, 2, 3, 4, 5].find((k) => fields[index![k]!]!.trim() === '');
    if (empty !== undefined) { reject(`empty ${COLUMNS[empty]}`); continue; }
    const nonFinite = [o, h, l, c, v].findIndex((x) => !Number.isFinite(x));
    if (nonFinite >= 0) { reject(`${COLUMNS[nonFinite + 1]} is not a finite number`); continue; }
    if (!(o > 0 && h > 0 && l > 0 && c > 0)) { reject('prices must be positive'); continue; }
    if (v < 0) { reject('negative volume'); continue; }
    if (h < l) { reject(`high ${h} is below low ${l}`); continue; }
    if (h < Math.max(o, c) || l > Math.min(o, c)) { reject('high/low do not bracket open and close'); continue; }
    if (t === last) { reject('duplicate time'); continue; }
    if (t < last) { reject('out of order (time before the previous row)'); continue; }
    last = t;
    cols.t.push(t); cols.o.push(o); cols.h.push(h); cols.l.push(l); cols.c.push(c); cols.v.push(v);
  }
  if (index === null) throw new ValidationError('the CSV is empty (no header)', [{ path: 'header', message: 'missing' }]);
  if (bad.length > 0 && onBad === 'fail') {
    throw new ValidationError(describe(bad, bad.length), bad.slice(0, SHOWN).map((r) => ({ path: `line ${r.line}`, message: r.reason })));
  }
  if (cols.t.length === 0) throw new ValidationError('the CSV has no usable bars', [{ path: 'rows', message: 'none' }]);
  const timeframe = options.timeframe ?? inferTimeframe(cols.t);
  const s = emptySeries(instrument.data, timeframe, options.venue ?? 'csv', cols.t.length);
  s.openTime.set(cols.t); s.open.set(cols.o); s.high.set(cols.h); s.low.set(cols.l); s.close.set(cols.c); s.volume.set(cols.v);
  return { series: s, badRows: bad };
}

/** The timeframe whose length is the most common gap between consecutive bars. */
export function inferTimeframe(times: ArrayLike<number>): Timeframe {
  const counts = new Map<number, number>();
  for (let i = 1; i < Math.min(times.length, 2000); i++) {
    const d = times[i]! - times[i - 1]!;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [d, n] of counts) if (n > bestCount) { best = d; bestCount = n; }
  const match = Timeframe.options.find((tf) => tf !== 'tick' && timeframeToMs(tf) === best);
  if (match === undefined) {
    throw new ValidationError(`cannot infer the timeframe: the most common bar gap is ${best} ms; pass --timeframe`, [{ path: 'timeframe', message: 'not inferable' }]);
  }
  return match;
}

/** `BTCUSDT-5m.csv` -> instrument BTCUSDT, timeframe 5m; `BTC_USDT-1h.csv` -> BTC/USDT. Either may be absent. */
export function inferFromFileName(fileName: string): { instrument?: string; timeframe?: Timeframe } {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.(csv|txt)$/i, '');
  const m = /^(.+?)[-_.](\d+[smhdw])$/i.exec(base);
  const tf = m ? Timeframe.safeParse(m[2]!.toLowerCase()) : null;
  const name = (m && tf?.success ? m[1]! : base).toUpperCase().replace(/_/g, '/');
  const inst = Instrument.safeParse(name);
  return { ...(inst.success ? { instrument: inst.data } : {}), ...(tf?.success ? { timeframe: tf.data } : {}) };
}
