// A catch-up subscription to $all over any store that can read a page after a position and signal appends.
import { QtsError, type StoredEvent, type SubscribeOptions, type Subscription } from '@qts/core';

/** What a store offers a catch-up subscription. */
export interface CatchUpSource {
  readonly isClosed: boolean;
  /** Events strictly after `after`, in position order, at most `limit`. */
  readPage(after: bigint, limit: number): Promise<StoredEvent[]>;
  /** Resolves once append signals are wired, so nothing appended after the first read goes unsignalled. */
  listening(): Promise<void>;
  /** Registers a wake-up called after appends commit; returns its removal. */
  onAppended(waker: () => void): () => void;
}

/**
 * Catch-up then live: pages through $all from the checkpoint, then waits for an append signal (NOTIFY on
 * Postgres) or the poll interval, and reads again. One event at a time, the handler awaited; a failing handler
 * or a corrupt event stops the subscription (reported to onError) so the consumer resumes from its own
 * checkpoint; a failing database is reported and retried.
 */
export class CatchUpSubscription implements Subscription {
  private closed = false;
  private inHandler = false;
  private wake: (() => void) | null = null;
  private pending = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: CatchUpSource,
    private readonly handler: (stored: StoredEvent) => Promise<void>,
    private readonly options: SubscribeOptions,
    private readonly pageSize: number,
    private readonly pollIntervalMs: number,
    private readonly onClosed: () => void,
  ) {}

  start(): void {
    const stopWaking = this.store.onAppended(() => this.notify());
    this.done = this.run().finally(() => {
      stopWaking();
      this.onClosed();
    });
  }

  private notify(): void {
    this.pending = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    // LISTEN first: an append that commits between a catch-up read and LISTEN would otherwise wait for a poll.
    await this.store.listening();
    let checkpoint = this.options.after ?? 0n;
    let caughtUp = false;
    let failures = 0;
    while (!this.closed) {
      this.pending = false;
      let page: StoredEvent[];
      try {
        page = await this.store.readPage(checkpoint, this.pageSize);
        failures = 0;
      } catch (e) {
        if (this.closed || this.store.isClosed) return;
        this.options.onError?.(e);
        if (!(e instanceof QtsError) || e.retryable) {
          await this.sleep(Math.min(this.pollIntervalMs * 2 ** failures++, 30_000));
          continue;
        }
        return;
      }
      for (const stored of page) {
        if (this.closed) return;
        try {
          this.inHandler = true;
          await this.handler(stored);
        } catch (e) {
          this.options.onError?.(e);
          this.closed = true;
          return;
        } finally {
          this.inHandler = false;
        }
        checkpoint = stored.position;
      }
      if (page.length < this.pageSize) {
        if (!caughtUp) {
          caughtUp = true;
          this.options.onCaughtUp?.();
        }
        if (!this.pending) await this.sleep(this.pollIntervalMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    // Closing from inside the handler must not wait for the handler to return.
    if (!this.inHandler) await this.done;
  }
}
