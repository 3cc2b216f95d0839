// The qts command line: one entry point; each command lives in its own module and registers itself.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerStart } from './start.ts';
import { registerBacktest } from './backtest.ts';
import { registerProjections } from './projections.ts';
import { registerTap } from './tap.ts';
import { registerReplay } from './replay.ts';
import { registerWorker } from './worker.ts';
import { registerBackfill } from './backfill.ts';
import { registerTrain } from './train.ts';
import { registerModels } from './models.ts';

/** Every qts command on a fresh program; the deployment test parses docker-compose.yml's commands with it. */
export function qtsProgram(): Command {
  const program = new Command('qts').description('event-sourced quant trading system');
  registerStart(program);
  registerBacktest(program);
  registerProjections(program);
  registerTap(program);
  registerReplay(program);
  registerWorker(program);
  registerBackfill(program);
  registerTrain(program);
  registerModels(program);
  return program;
}

/** True when node was started with this file (node --import tsx infra/src/cli/main.ts), not when it is imported. */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await qtsProgram().parseAsync(process.argv);
