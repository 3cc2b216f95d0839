// Read-side benchmarks: projector throughput into Postgres, API p99 under 200 concurrent clients, WebSocket fan-out.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LiveFeedClient } from '@qts/adapters';
import type { Positioned } from '../src/projection.ts';
import { Projector } from '../src/projector.ts';
import { startReadSide } from '../src/stack.ts';
import { chunks, eventFactory, PG_URL, postgresTestDb } from '../src/testing.ts';

/** Same shape as infra/src/bench/main.ts's BenchRow (packages do not import infra). */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

/**
 * A trading day's mix: 1m bars on `instruments` instruments, and every 10th bar a signal that becomes an
 * order with its whole lifecycle and two fills, on two accounts and five strategies.
 */
export function benchHistory(events: number, instruments = 10, seed = 1): Positioned[] {
  const f = eventFactory(seed);
  const names = Array.from({ length: instruments }, (_, i) => `SYM${i}/USDT`);
  let i = 0;
  while (f.events.length < events) {
    const ot = f.start + i * 60_000;
    for (const [k, instrument] of names.entries()) {
      const px = 100 + k + Math.sin((i + k) / 9) * 5;
      f.add('BarClosed', { venue: 'binance', instrument, timeframe: '1m', openTime: ot, closeTime: ot + 60_000, open: px, high: px + 1, low: px - 1, close: px + 0.5, volume: 10 }, ot + 60_000);
      if ((i + k) % 10 === 0) {
        const ts = ot + 60_000;
        const strategyId = `s-${k % 5}`;
        const sig = f.add('SignalEmitted', { strategyId, instrument, direction: i % 20 === 0 ? 'long' : 'short', strength: 1, price: px, asOf: ts, reason: 'bench' }, ts);
        const clientOrderId = `o-${i}-${k}`;
        const side = i % 20 === 0 ? 'buy' : 'sell';
        f.add('OrderRequested', { clientOrderId, signalId: sig.id, strategyId, account: `acct-${k % 2}`, venue: 'binance', instrument, side, type: 'market', quantity: 2, timeInForce: 'GTC', reduceOnly: false, ts }, ts);
        f.add('OrderSubmitted', { clientOrderId, instrument, venue: 'binance', ts: ts + 1 }, ts + 1);
        f.add('OrderAccepted', { clientOrderId, instrument, venueOrderId: `v${clientOrderId}`, ts: ts + 2 }, ts + 2);
        f.add('OrderFilled', { clientOrderId, instrument, venueOrderId: `v${clientOrderId}`, fillId: `${clientOrderId}-1`, side, price: px, quantity: 1, fee: 0.01, feeCurrency: 'USDT', liquidity: 'taker', ts: ts + 3 }, ts + 3);
        f.add('OrderFilled', { clientOrderId, instrument, venueOrderId: `v${clientOrderId}`, fillId: `${clientOrderId}-2`, side, price: px + 0.1, quantity: 1, fee: 0.01, feeCurrency: 'USDT', liquidity: 'taker', ts: ts + 4 }, ts + 4);
      }
    }
    i++;
  }
  return f.events.slice(0, events);
}

const spread = (xs: number[]): string => `runs ${xs.map((x) => x.toFixed(x < 100 ? 2 : 0)).join(' / ')}`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Events per second through every projection into the Postgres server, batches of `batchSize`. */
async function projectorRun(history: Positioned[], batchSize: number, concurrency: number): Promise<number> {
  const t = await postgresTestDb('bench');
  try {
    const p = new Projector(t.db, { concurrency });
    await p.migrate();
    const started = performance.now();
    for (const b of chunks(history, batchSize)) await p.project(b);
    return history.length / ((performance.now() - started) / 1000);
  } finally {
    await t.close();
  }
}

/** CPU seconds of this process's waited-for children (Linux /proc: cutime + cstime, in clock ticks of 10 ms). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * autocannon in its own process, so the figures are the server's: latency percentiles, and this
 * process's CPU time per request (the API and its pg client), a figure that machine load does not inflate;
 * the load generator's own CPU per request says how much of the 2 cores it took.
 */
async function apiRun(url: string, path: string, encoding: string | null): Promise<{ p99: number; p50: number; rps: number; errors: number; cpuUsPerRequest: number; clientCpuUsPerRequest: number }> {
  const cli = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));
  const cpu0 = process.cpuUsage();
  const client0 = childrenCpuSeconds();
  const headers = encoding ? ['-H', `accept-encoding=${encoding}`] : [];
  const child = spawn(process.execPath, [cli, '-c', '200', '-d', '5', ...headers, '-j', `${url}${path}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r) => child.on('close', r));
  const cpu = process.cpuUsage(cpu0);
  const clientSeconds = childrenCpuSeconds() - client0;
  const r = JSON.parse(out) as { latency: { p99: number; p50: number }; requests: { average: number; total: number }; errors: number; non2xx: number };
  return { p99: r.latency.p99, p50: r.latency.p50, rps: r.requests.average, errors: r.errors + r.non2xx, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, r.requests.total), clientCpuUsPerRequest: (clientSeconds * 1e6) / Math.max(1, r.requests.total) };
}

async function fanOutRun(): Promise<{ delivered: number; gaps: number; missing: number; perSecond: number }> {
  const s = await startReadSide({ postgres: { url: PG_URL, schema: `bench_ws_${process.pid}_${Date.now()}` } });
  const clients: LiveFeedClient[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const c = await LiveFeedClient.connect(s.wsUrl, { token: s.token });
      c.subscribe('system');
      clients.push(c);
    }
    while (clients.some((c) => c.channels.get('system')!.snapshots === 0)) await new Promise((r) => setTimeout(r, 10));
    const seconds = 5;
    const total = 1000 * seconds;
    const started = performance.now();
    // 1,000 deltas a second, paced in 10 ms ticks of 10 messages.
    for (let sent = 0; sent < total;) {
      for (let k = 0; k < 10; k++, sent++) s.hub.publish('system', { kind: 'tick', n: sent, ts: Date.now() });
      const due = started + (sent / 1000) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && clients.some((c) => c.channels.get('system')!.deltas < total)) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (performance.now() - started) / 1000;
    const delivered = clients.reduce((a, c) => a + c.channels.get('system')!.deltas, 0);
    const gaps = clients.reduce((a, c) => a + c.channels.get('system')!.gaps, 0);
    return { delivered, gaps, missing: total * clients.length - delivered, perSecond: delivered / elapsed };
  } finally {
    for (const c of clients) c.close();
    await s.close();
  }
}

export async function benchProjector(parts: readonly ('projector' | 'api' | 'ws')[] = ['projector', 'api', 'ws']): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const history = parts.includes('projector') ? benchHistory(60_000) : [];
  for (const concurrency of parts.includes('projector') ? [1, 4] : []) {
    const rates: number[] = [];
    for (let run = 0; run < 3; run++) rates.push(await projectorRun(history, 5000, concurrency));
    rows.push({ name: `projector -> Postgres, 60k mixed events, batches of 5000, ${concurrency === 1 ? 'one transaction' : `${concurrency} projections at once`} (${spread(rates)})`, value: median(rates), unit: 'events/s', target: '>= 20000' });
  }

  if (parts.includes('api')) {
  const s = await startReadSide({ postgres: { url: PG_URL, schema: `bench_api_${process.pid}_${Date.now()}` }, api: { readAccess: 'open' } });
  try {
    await s.append(benchHistory(20_000, 10, 2).map((h) => h.event));
    let head = 0n;
    for await (const e of s.store.readAll()) head = e.position;
    while (!Object.values(await s.projector.checkpoints()).every((p) => p === head)) await new Promise((r) => setTimeout(r, 100));
    // As the dashboard's browser asks (accept-encoding: gzip, deflate, br), and as a client that takes no compression.
    for (const [label, path, encoding] of [
      ['positions', '/api/v1/positions?strategyId=all', 'gzip, deflate, br'], ['orders', '/api/v1/orders?limit=50', 'gzip, deflate, br'],
      ['positions (uncompressed)', '/api/v1/positions?strategyId=all', null], ['orders (uncompressed)', '/api/v1/orders?limit=50', null],
    ] as const) {
      const runs = [];
      for (let run = 0; run < 3; run++) runs.push(await apiRun(s.api.url, path, encoding));
      rows.push({ name: `GET ${label} p99, 200 connections (${spread(runs.map((r) => r.p99))} ms; ${Math.round(median(runs.map((r) => r.rps)))} req/s; errors ${runs.reduce((a, r) => a + r.errors, 0)}; load avg ${loadavg()[0]!.toFixed(1)})`, value: median(runs.map((r) => r.p99)), unit: 'ms', target: '< 20' });
      rows.push({ name: `GET ${label}: server CPU per request (${spread(runs.map((r) => r.cpuUsPerRequest))} us)`, value: median(runs.map((r) => r.cpuUsPerRequest)), unit: 'us/request' });
      rows.push({ name: `GET ${label}: load generator (autocannon) CPU per request (${spread(runs.map((r) => r.clientCpuUsPerRequest))} us)`, value: median(runs.map((r) => r.clientCpuUsPerRequest)), unit: 'us/request' });
    }
  } finally {
    await s.close();
  }
  }

  if (!parts.includes('ws')) return rows;
  const fan = [];
  for (let run = 0; run < 3; run++) fan.push(await fanOutRun());
  rows.push({ name: `ws fan-out 1000 msg/s x 100 clients, 5 s (${spread(fan.map((f) => f.perSecond))} msg/s delivered; gaps ${fan.map((f) => f.gaps).join('/')}; missing ${fan.map((f) => f.missing).join('/')})`, value: median(fan.map((f) => f.perSecond)), unit: 'msg/s', target: '100000, no gap' });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const parts = process.argv.slice(2) as ('projector' | 'api' | 'ws')[];
  console.table(await benchProjector(parts.length > 0 ? parts : undefined));
}
