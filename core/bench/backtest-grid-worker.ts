// Worker thread for the grid benchmark: runs its share of the grid points and reports how many it ran.
import { parentPort } from 'node:worker_threads';
import { evaluatePoints } from '../src/backtest/optimize.ts';
import type { BarSeries } from '../src/backtest/series.ts';
import type { GridPoint } from '../src/backtest/optimize.ts';
import { smaCross } from '../src/strategies/sma-cross.ts';

parentPort?.once('message', (job: { bars: BarSeries; points: GridPoint[] }) => {
  const out = evaluatePoints(smaCross, job.bars, job.points, { cash: 10_000 });
  parentPort?.postMessage(out.rows.length + out.refused.length);
});
