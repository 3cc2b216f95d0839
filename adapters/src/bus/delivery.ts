// The per-message pipeline both buses share: decode at the trust boundary, dead-letter bad bytes, retry a failing handler.
import { decodeEvent, deadLetterTopic, describeFailure, type DecodeFailure, type DecodeResult } from '@qts/schemas';
import type { Bus, ConsumeOptions, RawMessage } from '@qts/core';
import { deadLetterHeader } from './headers.ts';
import { backoffMs, sleepWhile, type RetryPolicy } from './retry.ts';
import type { Logger } from './log.ts';

/** 'stopped': the consumer stopped (or lost the partition) first; the message is not done and must not be committed. */
export type Outcome = 'handled' | 'dead-lettered' | 'stopped';

export interface PipelineDeps {
  readonly publishRaw: Bus['publishRaw'];
  readonly maxEventBytes: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** Wraps each handler call (the in-process bus marks handler context to exempt it from publish backpressure). */
  readonly around?: <T>(fn: () => Promise<T>) => Promise<T>;
}

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
  constructor(private readonly options: ConsumeOptions, private readonly deps: PipelineDeps) {}

  /**
   * Takes one message to a final outcome: the handler succeeded, or the bytes went to the dead letters.
   * A failing handler or dead-letter publish is retried with backoff for as long as `alive()` holds;
   * `beforeRetry` runs before each wait. This blocks the caller's partition, and only it, until success.
   */
  async deliver(message: RawMessage, alive: () => boolean, beforeRetry?: () => Promise<void>): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      if (!alive()) return 'stopped';
      const outcome = await this.attempt(message, attempt);
      if (outcome !== 'failed') return outcome;
      if (beforeRetry) await beforeRetry();
      await sleepWhile(this.retryDelayMs(attempt), alive);
    }
  }

  /** One try; 'failed' (logged, with the wait before the next try) leaves the message to be redelivered. */
  async attempt(message: RawMessage, attempt: number): Promise<Exclude<Outcome, 'stopped'> | 'failed'> {
    const decoded = decodeMessage(message.value, this.deps.maxEventBytes);
    try {
      if (decoded.ok) {
        await this.call(() => this.options.handler(decoded.event, { topic: message.topic, partition: message.partition, offset: message.offset, key: message.key }));
        return 'handled';
      }
      await this.deadLetter(decoded.error, message);
      return 'dead-lettered';
    } catch (err) {
      this.deps.logger.warn(
        { err, groupId: this.options.groupId, topic: message.topic, partition: message.partition, offset: message.offset, attempt, retryInMs: this.retryDelayMs(attempt) },
        decoded.ok ? 'handler failed; the same event will be redelivered' : 'dead-letter publish failed; retrying',
      );
      return 'failed';
    }
  }

  retryDelayMs(attempt: number): number {
    return backoffMs(this.deps.retry, attempt);
  }

  private call(fn: () => Promise<void>): Promise<void> {
    return this.deps.around ? this.deps.around(fn) : fn();
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
