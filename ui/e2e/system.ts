// Starts the embedded system as a user does (`qts start` on a replay) for the dashboard's end-to-end test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');

/** Polls `f` until it returns without throwing (or the time is up: the last error is thrown). */
export async function eventually<T>(f: () => T | Promise<T>, { timeoutMs = 30_000, intervalMs = 100 } = {}): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try { return await f(); } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

export interface RunningSystem {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  /** When the replay's last bar closes: the instrument's lastTs once everything is replayed. */
  readonly lastBarClose: number;
  stop(): Promise<number | null>;
}

/** `qts start` on the first `bars` bars of the BTCUSDT 5m sample, at `barsPerSecond`, on a free port and a fresh data dir. */
export async function startSystem(bars: number, barsPerSecond: number): Promise<RunningSystem> {
  const dir = mkdtempSync(join(tmpdir(), 'qts-ui-'));
  const csv = join(dir, 'BTCUSDT-5m.csv');
  const lines = readFileSync(join(repo, 'infra/data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n').slice(0, bars + 1);
  writeFileSync(csv, lines.join('\n'));
  const lastBarClose = Date.parse(lines[bars]!.split(',')[0]!) + 300_000;
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'var'), market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond } }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'start', '--config', config], {
    cwd: repo, env: { ...process.env, QTS_API_PORT: '0', QTS_LOG_LEVEL: 'warn', QTS_API_TOKEN: '', KAFKA_BROKERS: '', PG_URL: '', NODE_ENV: 'production' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const started = await eventually(() => {
    const url = /API\s+(http:\/\/\S+)\/api\/v1/.exec(out)?.[1];
    const token = /API token\s+(\S+)/.exec(out)?.[1];
    if (!url || !token) throw new Error(`not started yet:\n${out}`);
    return { url, token };
  }, { timeoutMs: 120_000, intervalMs: 100 });
  return {
    ...started, child, lastBarClose,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) { done(child.exitCode); return; }
      child.once('exit', (code) => done(code));
      child.kill('SIGTERM');
    }),
  };
}
