// `qts backtest` run as a user runs it (a child process from the repo root): printed output and exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeEvent, seededIds } from '@qts/schemas';
import { PostgresEventStore, createPgliteDb } from '@qts/adapters';

const root = resolve(import.meta.dirname, '../../..');
const data = (name: string) => join(root, '..', 'shared', 'data', name);
const sample = join(root, 'infra', 'data', 'sample', 'BTCUSDT-5m.csv');
const btc = process.env['QTS_SHARED_DATA'] ? join(process.env['QTS_SHARED_DATA'], 'BTCUSDT-5m.csv') : data('BTCUSDT-5m.csv');

function qts(...args: (string | { env: NodeJS.ProcessEnv })[]): { code: number | null; stdout: string; stderr: string } {
  const options = args.find((a): a is { env: NodeJS.ProcessEnv } => typeof a !== 'string');
  const flags = args.filter((a): a is string => typeof a === 'string');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'backtest', ...flags], { cwd: root, encoding: 'utf8', timeout: 120_000, env: options?.env ?? process.env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Each test spawns the CLI (a fresh Node with tsx): generous timeouts for a machine shared with other work.
describe('qts backtest', { timeout: 240_000 }, () => {
  it('prints the metrics table and the event hash for one run, inferring instrument and timeframe from the file name', () => {
    const r = qts('--strategy', 'sma-cross', '--params', '{"fast":10,"slow":30}', '--data', btc);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sma-cross \{"fast":10,"slow":30\} on BTCUSDT 5m: 10999 bars/);
    for (const label of ['total return', 'CAGR', 'Sharpe (rf 0)', 'Sortino (rf 0)', 'max drawdown', 'Calmar', 'win rate', 'profit factor', 'exposure']) {
      expect(r.stdout).toContain(label);
    }
    expect(r.stdout).toMatch(/final equity\s+8,207\.32/);
    expect(r.stdout).toMatch(/event hash [0-9a-f]{64}/);
  });

  it('prints JSON with metrics, every trade, the equity curve and the event hash; the same run gives the same hash', () => {
    const run = () => JSON.parse(qts('--data', btc, '--params', '{"fast":10,"slow":30}', '--json', '--fee-bps', '5', '--slippage-bps', '2').stdout) as {
      metrics: { trades: number; finalEquity: number }; trades: unknown[]; equityCurve: { time: number; equity: number }[]; eventHash: string;
    };
    const a = run();
    expect(a.trades).toHaveLength(a.metrics.trades);
    expect(a.equityCurve).toHaveLength(10_999);
    expect(a.equityCurve.at(-1)!.equity).toBeCloseTo(a.metrics.finalEquity, 6);
    expect(run().eventHash).toBe(a.eventHash);
  });

  it('refuses parameters out of range, naming the field and the allowed range, with exit code 2', () => {
    const r = qts('--params', '{"fast":500,"slow":30}', '--data', btc);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fast: must be between 2 and 200, got 500');
    expect(r.stdout).toBe('');
  });

  it('replays only the bars between --from and --to', () => {
    const r = qts('--data', btc, '--from', '2023-01-10', '--to', '2023-01-20T00:00:00Z');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2880 bars, 2023-01-10 00:00 to 2023-01-19 23:55');
  });

  it('refuses a bad flag value with the allowed range', () => {
    const r = qts('--data', btc, '--fee-bps', '-3');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--fee-bps must be between 0 and 1000');
  });

  it('lists bad CSV rows by line and fails by default; --on-bad-row skip runs on the good rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-bt-'));
    const file = join(dir, 'TEST-1m.csv');
    const rows = ['time,open,high,low,close,volume'];
    for (let i = 0; i < 60; i++) {
      const t = new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString().replace('.000', '');
      const p = 100 + Math.sin(i / 5) * 5;
      rows.push(`${t},${p},${p + 1},${p - 1},${p + 0.5},10`);
    }
    rows[10] = rows[10]!.replace(/,10$/, ',-1');
    rows[20] = rows[19]!;
    writeFileSync(file, rows.join('\n'));
    const fail = qts('--data', file, '--params', '{"fast":3,"slow":8}');
    expect(fail.code).toBe(2);
    expect(fail.stderr).toContain('2 bad row(s)');
    expect(fail.stderr).toContain('line 11: negative volume');
    expect(fail.stderr).toContain('line 21: duplicate time');
    const skip = qts('--data', file, '--params', '{"fast":3,"slow":8}', '--on-bad-row', 'skip');
    expect(skip.code).toBe(0);
    expect(skip.stdout).toContain('on TEST 1m: 58 bars');
    expect(skip.stdout).toContain('skipped 2 bad row(s), first at line 11');
  });

  it('runs a grid on two workers, ranks it by the objective and reports the points the strategy refuses', () => {
    const r = qts('--data', btc, '--grid', '{"fast":[5,10,40],"slow":[20,200]}', '--objective', 'total-return');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('grid of 6 points on 2 worker(s), ranked by total-return');
    const rows = [...r.stdout.matchAll(/^\s+\d+\s+(\{.*?\})\s+(-?[\d.]+) %/gm)];
    const returns = rows.map((m) => Number(m[2]));
    expect(returns).toHaveLength(5);
    expect(returns).toEqual([...returns].sort((a, b) => b - a));
    expect(rows.map((m) => m[1])).not.toContain('{"fast":40,"slow":20}');
    expect(r.stdout).toContain('1 point(s) refused by the strategy, e.g. {"fast":40,"slow":20}: invalid sma-cross parameters: fast: must be below slow (20), got 40');
    // Each row's figures are those of a single run with its params (workers merge rows back in grid order).
    const single = JSON.parse(qts('--data', btc, '--params', rows[0]![1]!, '--json').stdout) as { metrics: { totalReturn: number } };
    expect((single.metrics.totalReturn * 100).toFixed(2)).toBe(rows[0]![2]);
  });

  it('runs walk-forward and reports the stitched out-of-sample result', () => {
    const r = qts('--data', sample, '--grid', '{"fast":[5,10],"slow":[20,40]}', '--walk-forward', '--train-bars', '400', '--test-bars', '200');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fold 1: test .* params \{"fast":\d+,"slow":\d+\}/);
    expect(r.stdout).toContain('stitched out-of-sample result:');
  });

  it('reads bars from a stored stream (--data stream:<name>) and gives the same result and hash as the same bars from CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-bt-store-'));
    const text = readFileSync(sample, 'utf8');
    const lines = text.trim().split('\n').slice(1, 601);
    const db = await createPgliteDb(join(dir, 'pglite'));
    const store = await PostgresEventStore.create(db);
    const ids = seededIds(42);
    const events = lines.map((line) => {
      const [time, open, high, low, close, volume] = line.split(',');
      const openTime = Date.parse(time!);
      const data = { instrument: 'BTCUSDT', venue: 'csv', timeframe: '5m' as const, openTime, closeTime: openTime + 300_000, open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume) };
      return makeEvent('BarClosed', data, { id: ids(openTime), occurredAt: data.closeTime, recordedAt: data.closeTime });
    });
    await store.append('bars-csv.BTCUSDT.5m', events, 'no_stream');
    await store.close();
    await db.close();
    const csv = join(dir, 'BTCUSDT-5m.csv');
    writeFileSync(csv, ['time,open,high,low,close,volume', ...lines].join('\n'));

    const env: NodeJS.ProcessEnv = { ...process.env, QTS_DATA_DIR: dir };
    for (const k of ['PG_URL', 'ESDB_URL', 'KAFKA_BROKERS', 'QTS_CONFIG', 'QTS_EVENT_STORE']) delete env[k];
    const fromStream = qts('--data', 'stream:bars-csv.BTCUSDT.5m', '--params', '{"fast":5,"slow":20}', '--json', { env });
    expect(fromStream.stderr).toBe('');
    const fromCsv = qts('--data', csv, '--params', '{"fast":5,"slow":20}', '--json');
    const a = JSON.parse(fromStream.stdout) as { eventHash: string; metrics: { bars: number; finalEquity: number } };
    const b = JSON.parse(fromCsv.stdout) as { eventHash: string; metrics: { bars: number; finalEquity: number } };
    expect(a.metrics.bars).toBe(600);
    expect(a.metrics.finalEquity).toBe(b.metrics.finalEquity);
    expect(a.eventHash).toBe(b.eventHash);

    const missing = qts('--data', 'stream:bars-csv.NOPE.5m', { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('stream bars-csv.NOPE.5m holds no BarClosed events');
  });
});
