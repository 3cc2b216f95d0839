// Loads the recorded OHLCV CSVs (../shared/data beside the repo, or the in-repo sample) as columnar arrays for tests and benches.
// A testing helper: reading files here is the point (eslint lifts the core's no-I/O rule for core/src/testing).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One recorded series in columns; index i of every array is the same bar. */
export interface Bars {
  readonly name: string;
  readonly length: number;
  /** Bar open time in ms since the Unix epoch (UTC). */
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

const OHLCV_HEADER = 'time,open,high,low,close,volume';

const here = import.meta.dirname ?? dirname(fileURLToPath(import.meta.url));

/** The repo root: the nearest ancestor whose package.json declares workspaces (robust to this file moving). */
export function repoRoot(): string {
  let dir = here;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"workspaces"\s*:/.test(readFileSync(pkg, 'utf8'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no workspace root above ${here}`);
    dir = up;
  }
}

/** `../shared/data` beside the repo (CI clones the repo with shared/ next to it); QTS_SHARED_DATA overrides. */
export function sharedDataDir(): string {
  return process.env['QTS_SHARED_DATA'] ?? resolve(repoRoot(), '..', 'shared', 'data');
}

/** The small sample shipped in the repo so `npm start` works on a fresh clone. */
export function sampleDataDir(): string {
  return join(repoRoot(), 'infra', 'data', 'sample');
}

/**
 * Names (without `.csv`) of the OHLCV series in `dir`, sorted; files with another header
 * (e.g. trade ticks) are left out.
 * @example for (const name of dataFiles()) { const bars = loadBars(name); ... }
 */
export function dataFiles(dir: string = sharedDataDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv') && firstLine(join(dir, f)) === OHLCV_HEADER)
    .map((f) => f.slice(0, -'.csv'.length))
    .sort();
}

/**
 * Parses one OHLCV series. `name` is a series name from `dataFiles()` (with or without `.csv`),
 * looked up in `dir`, or a path to a CSV file. Throws on a malformed header, row, or number,
 * naming the file and line: a fixture that silently parses wrong would make every test lie.
 */
export function loadBars(name: string, dir: string = sharedDataDir()): Bars {
  const file = name.includes('/') || isAbsolute(name) ? resolve(name) : join(dir, name.endsWith('.csv') ? name : `${name}.csv`);
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[0]?.trim() !== OHLCV_HEADER) throw new Error(`${file}: header is not '${OHLCV_HEADER}'`);
  let n = lines.length - 1;
  while (n > 0 && lines[n]?.trim() === '') n--;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
  for (let i = 0; i < n; i++) {
    const line = lines[i + 1] ?? '';
    const f = line.trim().split(',');
    if (f.length !== 6) throw new Error(`${file}:${i + 2}: expected 6 fields, got ${f.length}`);
    const t = Date.parse(f[0] ?? '');
    if (!Number.isFinite(t)) throw new Error(`${file}:${i + 2}: bad time '${f[0]}'`);
    cols[0][i] = t;
    for (let c = 1; c < 6; c++) {
      const v = Number(f[c]);
      if (!Number.isFinite(v) || f[c] === '') throw new Error(`${file}:${i + 2}: bad number '${f[c]}'`);
      cols[c]![i] = v;
    }
  }
  const [time, open, high, low, close, volume] = cols;
  return { name: basename(file, '.csv'), length: n, time, open, high, low, close, volume };
}

function firstLine(file: string): string {
  const text = readFileSync(file, 'utf8');
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}
