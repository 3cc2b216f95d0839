// The qts command line: one entry point; each command lives in its own module and registers itself.
import { Command } from 'commander';
import { registerStart } from './start.ts';

const program = new Command('qts').description('event-sourced quant trading system');
registerStart(program);
await program.parseAsync(process.argv);
