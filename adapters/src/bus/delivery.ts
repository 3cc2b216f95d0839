// The delivery pipeline both buses share: decode at the trust boundary, dead-letter bad bytes, hand runs of events to the handler.
import { decodeEvent, deadLetterTopic, describeFailure, type DecodeFailure, type DecodeResult } from '@qts/schemas';
import { ValidationError } from '@qts/core';
import type { BatchItem, Bus, ConsumeOptions, RawMessage } from '@qts/core';
import { deadLetterHeader } from './headers.ts';
import { backoffMs, sleepWhile, type RetryPolicy } from './retry.ts';
import type { Logger } from './log.ts';

export interface PipelineDeps {
  readonly publishRaw: Bus['publishRaw'];
  readonly maxEventBytes: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** Wraps each handler call (the in-process bus marks handler context to exempt it from publish backpressure). */
  readonly around?: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * The unit that is handled, retried and committed as one: consecutive valid events of one partition
 * (just one in per-event mode), or a single invalid message bound for the dead letters.
 */
export type Run =
  | { readonly kind: 'events'; readonly items: readonly BatchItem[]; readonly last: RawMessage }
  | { readonly kind: 'invalid'; readonly failure: DecodeFailure; readonly last: RawMessage };

export function decodeMessage(value: Buffer | null, maxEventBytes: number): DecodeResult {
  if (value === null) return { ok: false, error: { kind: 'MalformedJson', message: 'empty message (null value)' } };
  return decodeEvent(value, maxEventBytes);
}

/** Headers of a dead letter: the original ones plus why it failed and where it came from. */
export function deadLetterHeaders(failure: DecodeFailure, message: RawMessage): Record<string, string> {
  return {
    ...message.headers,
    [deadLetterHeader.reason]: describeFailure(failure),
    [deadLetterHeader.kind]: failure.kind,
    [deadLetterHeader.sourceTopic]: message.topic,
    [deadLetterHeader.sourcePartition]: String(message.partition),
    [deadLetterHeader.sourceOffset]: message.offset,
  };
}

export class DeliveryPipeline {
  private readonly maxRun: number;

  constructor(private readonly options: ConsumeOptions, private readonly deps: PipelineDeps) {
    if (!options.handler === !options.batchHandler) {
      throw new ValidationError(`consumer ${options.groupId}: give exactly one of handler and batchHandler`, [{ path: 'handler', message: 'exactly one of handler, batchHandler' }]);
    }
    this.maxRun = options.batchHandler ? Math.max(1, options.maxBatch ?? 500) : 1;
  }

  /**
   * Cuts the next run from `count` messages read by `at(i)`, starting at `from`. Decoding happens here,
   * once per attempt, so a run never mixes bad bytes with events.
   */
  nextRun(at: (i: number) => RawMessage, from: number, count: number): Run {
    const first = at(from);
    const decoded = decodeMessage(first.value, this.deps.maxEventBytes);
    if (!decoded.ok) return { kind: 'invalid', failure: decoded.error, last: first };
    const items: BatchItem[] = [{ event: decoded.event, delivery: deliveryOf(first) }];
    let last = first;
    for (let i = from + 1; i < count && items.length < this.maxRun; i++) {
      const m = at(i);
      const d = decodeMessage(m.value, this.deps.maxEventBytes);
      if (!d.ok) break;
      items.push({ event: d.event, delivery: deliveryOf(m) });
      last = m;
    }
    return { kind: 'events', items, last };
  }

  /** Messages a run covers: what the caller advances by after it is done. */
  static size(run: Run): number {
    return run.kind === 'events' ? run.items.length : 1;
  }

  /**
   * Takes a run to its final outcome, retrying with backoff as long as `alive()` holds: blocks the caller's
   * partition, and only it, until the handler (or the dead-letter publish) succeeds. false: stopped first.
   */
  async deliver(run: Run, alive: () => boolean): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (!alive()) return false;
      if (await this.attempt(run, attempt)) return true;
      await sleepWhile(this.retryDelayMs(attempt), alive);
    }
  }

  /** One try; false (logged, with the wait before the next try) leaves the run to be redelivered. */
  async attempt(run: Run, attempt: number): Promise<boolean> {
    try {
      if (run.kind === 'invalid') await this.deadLetter(run.failure, run.last);
      else await this.handle(run.items);
      return true;
    } catch (err) {
      const m = run.kind === 'events' ? run.items[0]!.delivery : run.last;
      this.deps.logger.warn(
        { err, groupId: this.options.groupId, topic: m.topic, partition: m.partition, offset: m.offset, events: run.kind === 'events' ? run.items.length : 0, attempt, retryInMs: this.retryDelayMs(attempt) },
        run.kind === 'events' ? 'handler failed; the same events will be redelivered' : 'dead-letter publish failed; retrying',
      );
      return false;
    }
  }

  retryDelayMs(attempt: number): number {
    return backoffMs(this.deps.retry, attempt);
  }

  private handle(items: readonly BatchItem[]): Promise<void> {
    const call = this.options.batchHandler
      ? () => this.options.batchHandler!(items)
      : () => this.options.handler!(items[0]!.event, items[0]!.delivery);
    return this.deps.around ? this.deps.around(call) : call();
  }

  private async deadLetter(failure: DecodeFailure, message: RawMessage): Promise<void> {
    const value = message.value ?? Buffer.alloc(0);
    await this.deps.publishRaw(deadLetterTopic(message.topic), message.key, value, deadLetterHeaders(failure, message));
    this.deps.logger.warn(
      { groupId: this.options.groupId, topic: message.topic, partition: message.partition, offset: message.offset, kind: failure.kind },
      `dead-lettered: ${describeFailure(failure)}`,
    );
    try {
      this.options.onDeadLetter?.(failure, message);
    } catch (err) {
      this.deps.logger.error({ err }, 'onDeadLetter callback threw; ignored');
    }
  }
}

function deliveryOf(m: RawMessage) {
  return { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key };
}
