// Benchmark: strategy bars per second (onBar + opinion) for every built-in and two hybrids, on recorded bars replayed.
// Run alone with `node --import tsx core/bench/strategies.bench.ts`, or through `npm run bench`.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BarClosed } from '@qts/schemas';
import { builtInStrategies, gate, macdCross, parseStrategyParams, rsiReversion, smaCross, unanimous } from '../src/strategies/index.ts';
import type { AnyStrategy } from '../src/strategies/index.ts';
import { barsFromColumns } from '../src/strategies/testing.ts';
import { loadBars } from '../src/testing/data.ts';

export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const MIN_BARS = 5_000_000;
// The whole backtest path targets 1M bars/s; the strategy may take a small share of that microsecond.
const TARGET = '>= 10M bars/CPU-s';
const TRIALS = 5;

/** One replay of `bars` through a fresh state, `passes` times end to end; returns the signal count so nothing is dead code. */
function replay(strategy: AnyStrategy, params: unknown, bars: readonly BarClosed[], passes: number): number {
  let state = strategy.init(params);
  let signals = 0;
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < bars.length; i++) {
      const step = strategy.onBar(state, bars[i]!);
      state = step[0];
      signals += step[1].length;
    }
  }
  return signals;
}

export async function benchStrategies(): Promise<BenchRow[]> {
  // Real prices only: the longest recorded series, replayed as often as needed.
  const bars = barsFromColumns(loadBars('FUT-2006-1m'), 60_000);
  const passes = Math.ceil(MIN_BARS / bars.length);
  const strategies: [string, AnyStrategy][] = [
    ...Object.entries(builtInStrategies),
    ['unanimous(sma-cross, macd-cross)', unanimous([smaCross, macdCross])],
    ['gate(unanimous(sma, macd), rsi)', gate(unanimous([smaCross, macdCross]), rsiReversion)],
  ];
  const rows: BenchRow[] = [];
  for (const [name, strategy] of strategies) {
    const params = parseStrategyParams(strategy, undefined);
    replay(strategy, params, bars, 1); // warm-up: let V8 optimise before timing
    const rates: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      // CPU time of this single-threaded loop: equal to wall time on an idle machine, and not
      // inflated when other processes share the cores (as on the shared development machines).
      const start = process.cpuUsage();
      replay(strategy, params, bars, passes);
      const used = process.cpuUsage(start);
      rates.push((passes * bars.length) / ((used.user + used.system) / 1e6));
    }
    rates.sort((a, b) => a - b);
    rows.push({ name: `strategy ${name} (median of ${TRIALS}, min ${(rates[0]! / 1e6).toFixed(1)}M)`, value: rates[Math.floor(TRIALS / 2)]!, unit: 'bars/CPU-s', target: TARGET });
  }
  return rows;
}

if (resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1] ?? '')) {
  console.table((await benchStrategies()).map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target })));
}
