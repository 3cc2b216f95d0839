// The Kafka bus (kafkajs): idempotent acks=all producer, consumer groups committing only after the handler succeeded.
import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka } from 'kafkajs';
import type { Admin, Consumer as KafkaConsumer, EachBatchPayload, IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { deadLetterTopic, encodeEvent, MAX_EVENT_BYTES, type DomainEvent } from '@qts/schemas';
import { InfrastructureError, ValidationError } from '@qts/core';
import type { Bus, ConsumeOptions, Consumer, RawMessage, TopicPartitions, TopicSpec } from '@qts/core';
import { DeliveryPipeline } from './delivery.ts';
import { eventHeader } from './headers.ts';
import { kafkaCompatiblePartitioner } from './partitioner.ts';
import { busLogger, kafkaLogCreator, kafkaLogLevel, type Logger } from './log.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import type { Tail, TailOptions } from './tail.ts';

export interface KafkaBusOptions {
  /** Default: KAFKA_BROKERS (comma-separated), else 127.0.0.1:19092. */
  readonly brokers?: readonly string[];
  readonly clientId?: string;
  readonly name?: string;
  /** Larger payloads are refused on publish and dead-lettered on consume (default MAX_EVENT_BYTES). */
  readonly maxEventBytes?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
  /** Messages in flight over all publish calls before publish waits (default 100,000): publish is bounded. */
  readonly maxInFlightMessages?: number;
  /** Bytes per produce request (default 1,000,000, under the broker's default message.max.bytes); larger publishes become several requests, in order. */
  readonly maxRequestBytes?: number;
  /** Partitions of a dead-letter topic created on demand for a topic this bus did not create. */
  readonly deadLetterPartitions?: number;
  /**
   * Also copy type, version and correlation id into record headers (default off), for tools that filter
   * without parsing the value. kafkajs encodes each header on its own: three cost about a quarter of the
   * publisher's CPU per event (see `npm run bench -- kafka`).
   */
  readonly eventHeaders?: boolean;
  readonly consumer?: {
    /** Bytes one fetch may return (default 4 MiB): the consumer never holds more than this ahead of its handler. */
    readonly maxBytes?: number;
    readonly maxBytesPerPartition?: number;
    /** How long the broker holds an empty fetch (default 500 ms); a stop waits at most this long for it. */
    readonly maxWaitTimeInMs?: number;
    readonly sessionTimeoutMs?: number;
    readonly heartbeatIntervalMs?: number;
    /** Handled offsets are committed at the end of each batch and at least this often inside a long one (default 1000 ms). */
    readonly commitIntervalMs?: number;
  };
}

/** Topics this bus creates accept messages up to 4 MiB, so an oversized event can still reach its dead-letter topic. */
const TOPIC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Per-record framing on the wire beside key, value and headers, for request sizing. */
const RECORD_OVERHEAD = 64;

export function kafkaBrokersFromEnv(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((b) => b.trim()).filter(Boolean);
}

/** Waits when too many messages are in flight; FIFO so a large publish is not starved by small ones. */
export class InFlightBudget {
  private used = 0;
  private readonly waiting: { n: number; go: () => void }[] = [];
  constructor(private readonly max: number) {}
  async acquire(n: number): Promise<number> {
    const take = Math.min(n, this.max);
    if (this.waiting.length > 0 || this.used + take > this.max) await new Promise<void>((go) => this.waiting.push({ n: take, go }));
    else this.used += take;
    return take;
  }
  release(n: number): void {
    this.used -= n;
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.n <= this.max) {
      const next = this.waiting.shift()!;
      this.used += next.n;
      next.go();
    }
  }
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

/** A kafkajs message as our RawMessage; headers are decoded only when read (dead letters, taps), not per event. */
class KafkaRawMessage implements RawMessage {
  readonly key: string | null;
  readonly offset: string;
  readonly value: Buffer | null;
  private decodedHeaders: Record<string, string> | null = null;
  constructor(readonly topic: string, readonly partition: number, private readonly m: KafkaMessage) {
    this.key = m.key === null ? null : m.key.toString('utf8');
    this.offset = m.offset;
    this.value = m.value;
  }
  get headers(): Record<string, string> {
    this.decodedHeaders ??= headersToStrings(this.m.headers);
    return this.decodedHeaders;
  }
}

export function toRawMessage(topic: string, partition: number, m: KafkaMessage): RawMessage {
  return new KafkaRawMessage(topic, partition, m);
}

export class KafkaBus implements Bus {
  readonly name: string;
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly maxEventBytes: number;
  private readonly maxRequestBytes: number;
  private readonly retry: RetryPolicy;
  private readonly budget: InFlightBudget;
  private readonly consumers = new Set<Consumer>();
  private readonly knownTopics = new Set<string>();
  private readonly constants = new Map<string, Buffer>();
  private producerReady: Promise<Producer> | null = null;
  private adminReady: Promise<Admin> | null = null;

  constructor(private readonly options: KafkaBusOptions = {}) {
    this.name = options.name ?? 'kafka';
    this.logger = options.logger ?? busLogger(this.name);
    this.maxEventBytes = options.maxEventBytes ?? MAX_EVENT_BYTES;
    this.maxRequestBytes = options.maxRequestBytes ?? 1_000_000;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.budget = new InFlightBudget(options.maxInFlightMessages ?? 100_000);
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'qts',
      brokers: [...(options.brokers ?? kafkaBrokersFromEnv())],
      logLevel: kafkaLogLevel(this.logger.level),
      logCreator: kafkaLogCreator(this.logger),
    });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const wanted = new Map<string, number>();
    for (const spec of specs) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new ValidationError(`topic ${spec.topic}: partitions must be a positive integer`, [{ path: 'partitions', message: `got ${spec.partitions}` }]);
      }
      for (const topic of [spec.topic, deadLetterTopic(spec.topic)]) if (!existing.has(topic)) wanted.set(topic, spec.partitions);
      this.knownTopics.add(deadLetterTopic(spec.topic));
    }
    await this.warnOnPartitionMismatch(admin, specs.filter((s) => existing.has(s.topic)));
    if (wanted.size === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [...wanted].map(([topic, numPartitions]) => ({
          topic,
          numPartitions,
          configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
        })),
      });
    } catch (err) {
      // Another process may have created some of them between our list and our create: that is success.
      const now = new Set(await admin.listTopics().catch(() => [] as string[]));
      if ([...wanted.keys()].every((t) => now.has(t))) return;
      throw new InfrastructureError(`could not create topics ${[...wanted.keys()].join(', ')}: ${(err as Error).message}`, { topics: [...wanted.keys()] }, { cause: err });
    }
  }

  async publish(topic: string, key: string | null, events: readonly DomainEvent[]): Promise<void> {
    const messages: Message[] = new Array(events.length);
    const sizes: number[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const value = encodeEvent(event);
      if (value.byteLength > this.maxEventBytes) {
        throw new ValidationError(`event ${event.id} (${event.type}) is ${value.byteLength} bytes, over the limit of ${this.maxEventBytes}`, [{ path: 'data', message: 'oversized' }]);
      }
      const k = key ?? event.key;
      messages[i] = this.options.eventHeaders
        // Buffers, shared per type and version: kafkajs would otherwise encode each string header anew.
        ? { key: k, value, headers: { [eventHeader.type]: this.constant(event.type), [eventHeader.version]: this.constant(String(event.version)), [eventHeader.correlationId]: Buffer.from(event.correlationId) } }
        : { key: k, value };
      sizes[i] = value.byteLength + k.length + (this.options.eventHeaders ? 64 : 0) + RECORD_OVERHEAD;
    }
    await this.send(topic, messages, sizes);
  }

  async publishRaw(topic: string, key: string | null, value: Buffer, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    await this.send(topic, [{ key, value, headers: { ...headers } }], [value.byteLength + RECORD_OVERHEAD]);
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    const c = this.options.consumer ?? {};
    const commitIntervalMs = c.commitIntervalMs ?? 1000;
    const settings = {
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytes: c.maxBytes ?? 4 * 1024 * 1024,
      maxBytesPerPartition: c.maxBytesPerPartition ?? 1024 * 1024,
      maxWaitTimeInMs: c.maxWaitTimeInMs ?? 500,
      sessionTimeout: c.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: c.heartbeatIntervalMs ?? 1_000,
    };
    let assignment: TopicPartitions[] = [];
    let stopping = false;
    let consumer!: KafkaConsumer;
    let restarts = 0;
    let restartTimer: NodeJS.Timeout | null = null;
    const pipeline = new DeliveryPipeline(options, {
      publishRaw: async (t, k, v, h) => {
        await this.ensureDeadLetterTopic(t);
        await this.publishRaw(t, k, v, h);
      },
      maxEventBytes: this.maxEventBytes,
      retry: this.retry,
      logger: this.logger,
    });

    // A failed message pauses only its partition for the backoff and stays unresolved, so the next fetch after
    // the resume starts at it again; the group's other partitions keep flowing meanwhile.
    const failures = new Map<string, number>();
    const resumeTimers = new Set<NodeJS.Timeout>();
    const eachBatch = async (p: EachBatchPayload): Promise<void> => {
      const { topic, partition } = p.batch;
      const alive = () => !stopping && p.isRunning() && !p.isStale();
      let handled: string | null = null;
      let lastCommit = Date.now();
      const commit = async () => {
        if (handled === null) return;
        const offset = (BigInt(handled) + 1n).toString();
        await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
        handled = null;
        lastCommit = Date.now();
      };
      try {
        const messages = p.batch.messages;
        const at = (i: number) => toRawMessage(topic, partition, messages[i]!);
        for (let i = 0; i < messages.length && alive();) {
          const run = pipeline.nextRun(at, i, messages.length);
          const first = run.kind === 'events' ? run.items[0]!.delivery.offset : run.last.offset;
          const id = failures.size > 0 ? `${topic}\u0000${partition}\u0000${first}` : '';
          const attempt = (failures.get(id) ?? 0) + 1;
          if (!(await pipeline.attempt(run, attempt))) {
            failures.set(`${topic}\u0000${partition}\u0000${first}`, attempt);
            const resume = p.pause();
            const timer = setTimeout(() => { resumeTimers.delete(timer); resume(); }, pipeline.retryDelayMs(attempt));
            resumeTimers.add(timer);
            break;
          }
          if (attempt > 1) failures.delete(id);
          p.resolveOffset(run.last.offset);
          handled = run.last.offset;
          i += DeliveryPipeline.size(run);
          if (Date.now() - lastCommit >= commitIntervalMs) await commit();
          await p.heartbeat();
        }
      } catch (err) {
        // A rebalance cut the batch short: keep what was handled, then let kafkajs rejoin.
        await commit().catch(() => undefined);
        throw err;
      }
      await commit();
    };

    const open = async (): Promise<void> => {
      const next = this.kafka.consumer(settings);
      next.on(next.events.GROUP_JOIN, (e) => {
        assignment = Object.entries(e.payload.memberAssignment)
          .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
          .sort((a, b) => a.topic.localeCompare(b.topic));
      });
      next.on(next.events.REBALANCING, () => { assignment = []; });
      next.on(next.events.CRASH, (e) => {
        this.logger.error({ err: e.payload.error, groupId: options.groupId, restart: e.payload.restart }, 'kafka consumer crashed');
        // kafkajs gives up for good on errors it deems non-retriable (e.g. no group coordinator while the broker
        // is overloaded or restarting); a 24/7 worker must not idle on a dead consumer, so it starts a new one.
        if (!e.payload.restart && !stopping && next === consumer) reopen();
      });
      consumer = next;
      try {
        await next.connect();
        await next.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
        await next.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
      } catch (err) {
        await next.disconnect().catch(() => undefined);
        throw new InfrastructureError(`could not start consumer group ${options.groupId} on ${options.topics.join(', ')}`, { groupId: options.groupId }, { cause: err });
      }
    };
    const reopen = (): void => {
      if (restartTimer || stopping) return;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(restarts++, 5));
      this.logger.warn({ groupId: options.groupId, inMs: delay, restarts }, 'restarting the kafka consumer');
      assignment = [];
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (stopping) return;
        open().then(() => { restarts = 0; }, (err: unknown) => {
          this.logger.error({ err, groupId: options.groupId }, 'kafka consumer restart failed; trying again');
          reopen();
        });
      }, delay);
    };

    await open();
    let stopped: Promise<void> | null = null;
    const handle: Consumer = {
      assignment: () => assignment,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          if (restartTimer) clearTimeout(restartTimer);
          for (const t of resumeTimers) clearTimeout(t);
          await consumer.disconnect();
          this.consumers.delete(handle);
        })();
        return stopped;
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  /**
   * Reads topics without committing anything, in a throwaway group: for audit tools (`qts tap`) that must
   * never move a worker's offsets. Without `follow` it ends at the high watermarks seen at its start.
   */
  async tail(options: TailOptions): Promise<Tail> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = options.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new InfrastructureError(`no such topic: ${missing.join(', ')}`, { topics: missing });
    const remaining = new Map<string, bigint>();
    for (const topic of options.topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) {
        const high = BigInt(o.high);
        if (options.fromBeginning && high > BigInt(o.low)) remaining.set(`${topic}\u0000${o.partition}`, high);
      }
    }
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    if (!options.follow && remaining.size === 0) {
      finish();
      return { done, stop: async () => undefined };
    }
    const consumer = this.kafka.consumer({ groupId: `qts-tap-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    let stopping = false;
    let stopped: Promise<void> | null = null;
    const stop = () => {
      stopped ??= (async () => {
        stopping = true;
        await consumer.disconnect();
        finish();
      })();
      return stopped;
    };
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isRunning }) => {
        for (const m of batch.messages) {
          if (stopping || !isRunning()) return;
          await options.onMessage(toRawMessage(batch.topic, batch.partition, m));
          const id = `${batch.topic}\u0000${batch.partition}`;
          const end = remaining.get(id);
          if (end !== undefined && BigInt(m.offset) + 1n >= end) remaining.delete(id);
        }
        if (!options.follow && remaining.size === 0) void stop();
      },
    });
    return { done, stop };
  }

  /** High and low watermarks per partition: what a reader has to go through. */
  async watermarks(topic: string): Promise<{ partition: number; low: string; high: string }[]> {
    const admin = await this.admin();
    return (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    const producer = this.producerReady;
    const admin = this.adminReady;
    this.producerReady = null;
    this.adminReady = null;
    await Promise.all([
      producer?.then((p) => p.disconnect()).catch(() => undefined),
      admin?.then((a) => a.disconnect()).catch(() => undefined),
    ]);
  }

  private constant(text: string): Buffer {
    let b = this.constants.get(text);
    if (b === undefined) {
      b = Buffer.from(text);
      this.constants.set(text, b);
    }
    return b;
  }

  private async send(topic: string, messages: Message[], sizes: number[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.producer();
    let from = 0;
    while (from < messages.length) {
      let to = from;
      let bytes = 0;
      while (to < messages.length && (to === from || bytes + sizes[to]! <= this.maxRequestBytes)) bytes += sizes[to++]!;
      const taken = await this.budget.acquire(to - from);
      try {
        await producer.send({
          topic,
          acks: -1,
          compression: CompressionTypes.None,
          messages: from === 0 && to === messages.length ? messages : messages.slice(from, to),
        });
      } catch (err) {
        throw new InfrastructureError(`publish to ${topic} failed`, { topic, messages: to - from }, { cause: err });
      } finally {
        this.budget.release(taken);
      }
      from = to;
    }
  }

  /** An existing topic keeps its partition count: changing it would move keys to other partitions and break their order. */
  private async warnOnPartitionMismatch(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    for (const t of topics) {
      const want = specs.find((s) => s.topic === t.name)?.partitions;
      if (want !== undefined && t.partitions.length !== want) {
        this.logger.warn({ topic: t.name, partitions: t.partitions.length, requested: want }, 'topic exists with a different partition count; left as it is');
      }
    }
  }

  /** Dead-letter topics of topics created elsewhere (auto-created, other tools) are created on first use. */
  private async ensureDeadLetterTopic(topic: string): Promise<void> {
    if (this.knownTopics.has(topic)) return;
    const admin = await this.admin();
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: this.options.deadLetterPartitions ?? 1, configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }] }],
      });
    }
    this.knownTopics.add(topic);
  }

  private producer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: kafkaCompatiblePartitioner(),
      });
      try {
        await producer.connect();
      } catch (err) {
        this.producerReady = null;
        throw new InfrastructureError('kafka producer could not connect', { brokers: this.options.brokers }, { cause: err });
      }
      return producer;
    })();
    return this.producerReady;
  }

  private admin(): Promise<Admin> {
    this.adminReady ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        this.adminReady = null;
        throw new InfrastructureError('kafka admin could not connect', { brokers: this.options.brokers }, { cause: err });
      }
      return admin;
    })();
    return this.adminReady;
  }
}
