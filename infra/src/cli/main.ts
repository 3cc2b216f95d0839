// The qts command line: one entry point for start, workers, backtests, taps and replays.
import { Command } from 'commander';

const program = new Command('qts').description('event-sourced quant trading system');
program.command('start').description('run the whole system in one process on embedded defaults').action(() => {
  console.log('qts: embedded runtime not wired yet');
});
await program.parseAsync(process.argv);
