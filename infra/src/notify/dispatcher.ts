// One channel's outbox: throttle and coalesce, then send in order, retrying 429/5xx with backoff; never blocks the caller.
import type { Logger } from 'pino';
import type { Channel, NotifyFailed } from './channels.ts';
import type { Notice } from './notice.ts';
import { Throttle } from './throttle.ts';

export interface DispatcherOptions {
  readonly burst: number;
  readonly perMinute: number;
  /** Attempts per notice, the first included. */
  readonly maxAttempts: number;
  /** First backoff; doubled per attempt (with jitter) up to maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Notices waiting to be sent beyond this are dropped, oldest first (urgent ones last). */
  readonly maxQueue: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Told about each outcome: sent, retried, failed, coalesced, dropped. */
  readonly onOutcome?: (channel: string, outcome: 'sent' | 'retried' | 'failed' | 'coalesced' | 'dropped') => void;
}

export const defaultDispatcherOptions: DispatcherOptions = { burst: 5, perMinute: 20, maxAttempts: 6, backoffMs: 500, maxBackoffMs: 60_000, maxQueue: 1000 };

/**
 * push() returns at once: the trading path only enqueues. A single loop per channel sends in order,
 * so a receiver's rate limit (Telegram: about one message a second per chat) holds the queue, not the caller.
 */
export class Dispatcher {
  private readonly throttle: Throttle;
  private readonly queue: Notice[] = [];
  private running: Promise<void> | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(readonly channel: Channel, private readonly options: DispatcherOptions, private readonly log: Logger) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.throttle = new Throttle({ burst: options.burst, perMinute: options.perMinute, now: this.now });
  }

  push(notice: Notice): void {
    if (this.abort.signal.aborted) return;
    if (!this.throttle.offer(notice)) {
      this.options.onOutcome?.(this.channel.name, 'coalesced');
      this.scheduleDrain();
      return;
    }
    this.enqueue(notice);
  }

  /** Waits until everything queued was sent or given up on (held summaries included), or the deadline. */
  async flush(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while ((this.queue.length > 0 || this.running || this.throttle.pending > 0) && Date.now() < until) {
      if (this.throttle.pending > 0 && !this.running) this.drainNow();
      // A send in flight may hang until its timeout: wait for it only as long as the deadline allows.
      const left = Math.max(1, until - Date.now());
      await (this.running ? Promise.race([this.running, sleep(left)]) : sleep(Math.min(50, left, this.throttle.nextTokenInMs() || 50)));
    }
  }

  /** Stops sending; what is still queued is dropped. */
  close(): void {
    this.abort.abort();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
  }

  private enqueue(notice: Notice): void {
    this.queue.push(notice);
    if (this.queue.length > this.options.maxQueue) {
      const i = this.queue.findIndex((n) => !n.urgent);
      this.queue.splice(i === -1 ? 0 : i, 1);
      this.options.onOutcome?.(this.channel.name, 'dropped');
    }
    this.running ??= this.run().finally(() => { this.running = null; });
  }

  private scheduleDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drainNow();
      if (this.throttle.pending > 0) this.scheduleDrain();
    }, Math.max(100, this.throttle.nextTokenInMs()));
    this.drainTimer.unref();
  }

  private drainNow(): void {
    for (const summary of this.throttle.drain()) this.enqueue(summary);
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const notice = this.queue.shift()!;
      await this.deliver(notice);
    }
  }

  private async deliver(notice: Notice): Promise<void> {
    const channel = this.channel.name;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.channel.send(notice, this.abort.signal);
        this.options.onOutcome?.(channel, 'sent');
        return;
      } catch (e) {
        const err = e as NotifyFailed;
        if (this.abort.signal.aborted) return;
        if (!err.retryable || attempt >= this.options.maxAttempts) {
          this.options.onOutcome?.(channel, 'failed');
          // component 'notify': the error hook does not turn this line into another notice (no loop).
          this.log.warn({ component: 'notify', channel, kind: notice.kind, attempt, status: err.status ?? null, error: err.message }, 'notice not delivered');
          return;
        }
        const backoff = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1)) * (0.5 + this.random() / 2);
        // The receiver's own retry_after wins over our backoff: asking earlier only earns another 429.
        const wait = err.retryAfterMs !== null ? Math.max(err.retryAfterMs, 0) : backoff;
        this.options.onOutcome?.(channel, 'retried');
        this.log.info({ component: 'notify', channel, attempt, status: err.status ?? null, waitMs: Math.round(wait) }, 'notice send failed; retrying');
        await sleep(wait, this.abort.signal);
      }
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
