// The qts command line: one entry point; each command lives in its own module and registers itself.
import { Command } from 'commander';
import { registerStart } from './start.ts';
import { registerBacktest } from './backtest.ts';
import { registerProjections } from './projections.ts';
import { registerTap } from './tap.ts';
import { registerReplay } from './replay.ts';
import { registerWorker } from './worker.ts';
import { registerBackfill } from './backfill.ts';
import { registerTrain } from './train.ts';

const program = new Command('qts').description('event-sourced quant trading system');
registerStart(program);
registerBacktest(program);
registerProjections(program);
registerTap(program);
registerReplay(program);
registerWorker(program);
registerBackfill(program);
registerTrain(program);
await program.parseAsync(process.argv);
