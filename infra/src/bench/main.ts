// `npm run bench [name...]`: runs the benchmarks (all, or those whose name contains an argument) and prints one table.
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

type Bench = { readonly name: string; readonly load: () => Promise<() => Promise<BenchRow[]>> };

// Loaded lazily: a benchmark's module (and the servers it needs) is touched only when it runs.
const benches: Bench[] = [
  { name: 'indicators', load: async () => (await import('../../../core/bench/indicators.bench.ts')).benchIndicators },
  { name: 'strategies', load: async () => (await import('../../../core/bench/strategies.bench.ts')).benchStrategies },
  { name: 'trading', load: async () => (await import('../../../core/bench/trading.bench.ts')).benchTrading },
  { name: 'backtest', load: async () => (await import('../../../core/bench/backtest.bench.ts')).benchBacktest },
  { name: 'event-store', load: async () => (await import('../../../adapters/bench/event-store.bench.ts')).benchEventStore },
  { name: 'kafka', load: async () => (await import('../../../adapters/bench/kafka.bench.ts')).benchKafka },
  { name: 'projector', load: async () => (await import('../../../projections/bench/projector.bench.ts')).benchProjector },
  { name: 'ccxt-venue', load: async () => (await import('../../../adapters/bench/ccxt-venue.bench.ts')).benchCcxtVenue },
  { name: 'ml', load: async () => (await import('../../../adapters/bench/ml.bench.ts')).benchMl },
  { name: 'latency', load: async () => (await import('./latency.ts')).benchLatency },
  { name: 'observability', load: async () => (await import('./observability.bench.ts')).benchObservability },
];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const b of benches.filter((x) => only.length === 0 || only.some((o) => x.name.includes(o)))) {
  console.error(`bench: ${b.name} ...`);
  const run = await b.load();
  rows.push(...(await run()));
}
console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
process.exit(0);
