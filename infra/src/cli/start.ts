// `qts start`: the whole system in one process on embedded defaults.
import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program.command('start').description('run the whole system in one process on embedded defaults').action(() => {
    console.log('qts: embedded runtime not wired yet');
  });
}
