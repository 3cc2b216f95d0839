// Graceful shutdown on SIGTERM/SIGINT: stop fetching, finish in-flight work, commit, close, within a deadline.
import type { Logger } from './log.ts';

/** Runs `stop` once on the first signal; a second signal, or the deadline, exits at once. */
export function onShutdown(log: Logger, stop: () => Promise<void>, deadlineMs = 10_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed: exiting with work in flight (it will be redone on restart)');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => { log.info('stopped cleanly'); process.exit(0); },
      (e: unknown) => { log.error({ err: e }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
