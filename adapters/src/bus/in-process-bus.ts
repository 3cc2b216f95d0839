// The in-process bus for the embedded mode: Kafka's semantics (partitions, groups, committed offsets) in one process's memory.
import { AsyncLocalStorage } from 'node:async_hooks';
import { encodeEvent, deadLetterTopic, MAX_EVENT_BYTES, type DomainEvent } from '@qts/schemas';
import { InfrastructureError, ValidationError } from '@qts/core';
import type { Bus, ConsumeOptions, Consumer, RawMessage, TopicPartitions, TopicSpec } from '@qts/core';
import { DeliveryPipeline } from './delivery.ts';
import { eventHeaders } from './headers.ts';
import { busLogger, type Logger } from './log.ts';
import { partitionFor } from './partitioner.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import type { Tail, TailOptions } from './tail.ts';

export interface InProcessBusOptions {
  readonly name?: string;
  /**
   * Messages kept per partition (default 100,000); older ones are dropped like Kafka's retention. Only a
   * stopped group or a reader from the beginning can miss them: running consumers are protected by `maxLag`.
   */
  readonly retainPerPartition?: number;
  /**
   * Backpressure (default 10,000): a publish waits while a running consumer of the partition is this many
   * messages behind. Publishes made from inside a handler of this bus never wait, so a handler that
   * publishes to the topic it consumes cannot deadlock. A handler stuck retrying therefore stalls the
   * producers of its partition instead of losing their messages.
   */
  readonly maxLag?: number;
  /** Larger payloads are dead-lettered on consume and refused on publish (default MAX_EVENT_BYTES). */
  readonly maxEventBytes?: number;
  /** Also copy type, version and correlation id into message headers (default off), as KafkaBus does. */
  readonly eventHeaders?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
}

interface StoredMessage {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** A reader parked at the end of a partition until something is appended (or it is told to stop). */
class Wakeup {
  private resume: (() => void) | null = null;
  waitOn(log: PartitionLog): Promise<void> {
    return new Promise((r) => {
      this.resume = r;
      log.sleepers.add(this);
    });
  }
  wake(): void {
    const r = this.resume;
    this.resume = null;
    r?.();
  }
}

/** One partition's ownership by one group member; it ends when the partition is revoked or the member stops. */
class Lease extends Wakeup {
  revoked = false;
  constructor(readonly member: Member, readonly log: PartitionLog) {
    super();
  }
}

class PartitionLog {
  private messages: StoredMessage[] = [];
  private head = 0;
  private base = 0;
  private roundRobin = 0;
  readonly sleepers = new Set<Wakeup>();
  /** Next offset of each running reader: the slowest one throttles publishers. */
  readonly readers = new Map<Lease, number>();
  private publishers: (() => void)[] = [];
  constructor(readonly topic: string, readonly partition: number) {}

  get start(): number { return this.base + this.head; }
  get end(): number { return this.base + this.messages.length; }
  at(offset: number): StoredMessage { return this.messages[offset - this.base]!; }
  nextRoundRobin(): number { return this.roundRobin++; }

  append(message: StoredMessage, retain: number): void {
    this.messages.push(message);
    const excess = this.end - this.start - retain;
    if (excess > 0) {
      this.head += excess;
      // Compact once the dropped prefix outweighs what is kept: amortised O(1) per message.
      if (this.head > 1024 && this.head * 2 > this.messages.length) {
        this.messages = this.messages.slice(this.head);
        this.base += this.head;
        this.head = 0;
      }
    }
    if (this.sleepers.size > 0) {
      for (const s of this.sleepers) s.wake();
      this.sleepers.clear();
    }
  }

  lag(): number {
    let slowest = this.end;
    for (const pos of this.readers.values()) if (pos < slowest) slowest = pos;
    return this.end - slowest;
  }

  waitForRoom(): Promise<void> {
    return new Promise((r) => this.publishers.push(r));
  }

  /** A reader moved or left (or the bus closed): let waiting publishers re-check the lag. */
  advanced(maxLag: number): void {
    if (this.publishers.length > 0 && this.lag() < maxLag) {
      const waiting = this.publishers;
      this.publishers = [];
      for (const r of waiting) r();
    }
  }
}

class Member {
  running = true;
  readonly leases = new Map<PartitionLog, Lease>();
  readonly loops = new Set<Promise<void>>();
  constructor(readonly options: ConsumeOptions, readonly pipeline: DeliveryPipeline) {}
}

class Group {
  /** Next offset to read, per partition: the committed position. */
  readonly committed = new Map<PartitionLog, number>();
  readonly members: Member[] = [];
  readonly owners = new Map<PartitionLog, Lease>();
  /** The latest loop per partition: a new owner starts only after the previous one finished its in-flight message. */
  readonly tails = new Map<PartitionLog, Promise<void>>();
}

export class InProcessBus implements Bus {
  readonly name: string;
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly consumers = new Set<Consumer>();
  private readonly context = new AsyncLocalStorage<InProcessBus>();
  private readonly retain: number;
  private readonly maxLag: number;
  private readonly maxEventBytes: number;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private closed = false;

  private readonly eventHeaders: boolean;

  constructor(options: InProcessBusOptions = {}) {
    this.name = options.name ?? 'in-process';
    this.retain = options.retainPerPartition ?? 100_000;
    this.maxLag = Math.min(options.maxLag ?? 10_000, this.retain);
    this.maxEventBytes = options.maxEventBytes ?? MAX_EVENT_BYTES;
    this.eventHeaders = options.eventHeaders ?? false;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.logger = options.logger ?? busLogger(this.name);
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new ValidationError(`topic ${spec.topic}: partitions must be a positive integer`, [{ path: 'partitions', message: `got ${spec.partitions}` }]);
      }
      for (const topic of [spec.topic, deadLetterTopic(spec.topic)]) {
        if (!this.topics.has(topic)) {
          this.topics.set(topic, Array.from({ length: spec.partitions }, (_, p) => new PartitionLog(topic, p)));
        }
      }
    }
  }

  async publish(topic: string, key: string | null, events: readonly DomainEvent[]): Promise<void> {
    const logs = this.logsOf(topic);
    const values = events.map((e) => {
      const value = encodeEvent(e);
      if (value.byteLength > this.maxEventBytes) {
        throw new ValidationError(`event ${e.id} (${e.type}) is ${value.byteLength} bytes, over the limit of ${this.maxEventBytes}`, [{ path: 'data', message: 'oversized' }]);
      }
      return value;
    });
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const k = key ?? event.key;
      await this.append(logs[partitionFor(k, logs.length)]!, { key: k, value: values[i]!, headers: this.eventHeaders ? eventHeaders(event) : {} });
    }
  }

  async publishRaw(topic: string, key: string | null, value: Buffer, headers: Readonly<Record<string, string>> = {}): Promise<void> {
    const logs = this.logsOf(topic);
    const log = key === null ? logs[logs[0]!.nextRoundRobin() % logs.length]! : logs[partitionFor(key, logs.length)]!;
    await this.append(log, { key, value: Buffer.from(value), headers: { ...headers } });
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw new InfrastructureError(`bus ${this.name} is closed`);
    for (const t of options.topics) this.logsOf(t);
    const group = this.groups.get(options.groupId) ?? new Group();
    this.groups.set(options.groupId, group);
    const member = new Member(options, new DeliveryPipeline(options, {
      publishRaw: (t, k, v, h) => this.publishRaw(t, k, v, h),
      maxEventBytes: this.maxEventBytes,
      retry: this.retry,
      logger: this.logger,
      around: (fn) => this.context.run(this, fn),
    }));
    group.members.push(member);
    this.rebalance(group);
    const consumer: Consumer = {
      assignment: () => assignmentOf(member),
      stop: async () => {
        if (!member.running) return;
        member.running = false;
        group.members.splice(group.members.indexOf(member), 1);
        for (const lease of member.leases.values()) lease.wake();
        this.rebalance(group);
        await Promise.all(member.loops);
        this.consumers.delete(consumer);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  /** Reads topics without a group or commits (audit tools); without `follow` it ends at the ends seen at its start. */
  async tail(options: TailOptions): Promise<Tail> {
    const logs = options.topics.flatMap((t) => this.logsOf(t));
    let stopping = false;
    const wakeups = new Set<Wakeup>();
    const readOne = async (log: PartitionLog): Promise<void> => {
      const end = log.end;
      let pos = options.fromBeginning ? log.start : log.end;
      while (!stopping && !this.closed && (options.follow || pos < end)) {
        if (pos < log.start) pos = log.start;
        if (pos >= log.end) {
          const wakeup = new Wakeup();
          wakeups.add(wakeup);
          await wakeup.waitOn(log);
          wakeups.delete(wakeup);
          continue;
        }
        const m = log.at(pos);
        await options.onMessage({ topic: log.topic, partition: log.partition, offset: String(pos), key: m.key, value: m.value, headers: m.headers });
        pos++;
      }
    };
    const done = Promise.all(logs.map(readOne)).then(() => undefined);
    return {
      done,
      stop: async () => {
        stopping = true;
        for (const w of wakeups) w.wake();
        await done;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const logs of this.topics.values()) {
      for (const log of logs) {
        log.advanced(Number.POSITIVE_INFINITY);
        for (const s of log.sleepers) s.wake();
      }
    }
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  private logsOf(topic: string): PartitionLog[] {
    if (this.closed) throw new InfrastructureError(`bus ${this.name} is closed`);
    const logs = this.topics.get(topic);
    if (!logs) throw new InfrastructureError(`topic '${topic}' does not exist on bus ${this.name}; call ensureTopics first`, { topic });
    return logs;
  }

  private async append(log: PartitionLog, message: StoredMessage): Promise<void> {
    if (this.context.getStore() !== this && log.lag() >= this.maxLag) {
      const since = Date.now();
      const warn = setTimeout(() => this.logger.warn({ topic: log.topic, partition: log.partition, lag: log.lag() }, 'publish is waiting for a slow consumer'), 5_000);
      try {
        while (log.lag() >= this.maxLag && !this.closed) await log.waitForRoom();
        if (this.closed) throw new InfrastructureError(`bus ${this.name} closed while a publish to ${log.topic} waited`);
      } finally {
        clearTimeout(warn);
        if (Date.now() - since > 5_000) this.logger.info({ topic: log.topic, partition: log.partition }, 'publish resumed');
      }
    }
    log.append(message, this.retain);
  }

  /** Round-robin of every subscribed partition over the members subscribed to its topic, in join order. */
  private rebalance(group: Group): void {
    const wanted = new Map<PartitionLog, Member | undefined>();
    const topics = new Set(group.members.flatMap((m) => m.options.topics));
    for (const topic of [...topics].sort()) {
      const eligible = group.members.filter((m) => m.options.topics.includes(topic));
      this.topics.get(topic)!.forEach((log, p) => wanted.set(log, eligible[p % eligible.length]));
    }
    for (const log of group.owners.keys()) if (!wanted.has(log)) wanted.set(log, undefined);
    for (const [log, owner] of wanted) {
      const current = group.owners.get(log);
      if (current?.member === owner) continue;
      if (current) {
        current.revoked = true;
        current.member.leases.delete(log);
        group.owners.delete(log);
        log.sleepers.delete(current);
        current.wake();
      }
      if (owner) this.grant(group, owner, log);
    }
  }

  private grant(group: Group, member: Member, log: PartitionLog): void {
    const lease = new Lease(member, log);
    group.owners.set(log, lease);
    member.leases.set(log, lease);
    const previous = group.tails.get(log) ?? Promise.resolve();
    const loop = previous.then(() => this.read(group, lease)).catch((err: unknown) => {
      this.logger.error({ err, topic: log.topic, partition: log.partition }, 'in-process consumer loop failed');
    });
    group.tails.set(log, loop);
    member.loops.add(loop);
    void loop.then(() => member.loops.delete(loop));
  }

  private async read(group: Group, lease: Lease): Promise<void> {
    const { log, member } = lease;
    const alive = () => member.running && !lease.revoked && !this.closed;
    if (!alive()) return;
    let pos = group.committed.get(log) ?? (member.options.fromBeginning ? log.start : log.end);
    // A new group's starting point is committed at once, so nothing published after consume() resolved is missed.
    group.committed.set(log, pos);
    log.readers.set(lease, pos);
    try {
      while (alive()) {
        if (pos < log.start) {
          this.logger.warn({ topic: log.topic, partition: log.partition, from: pos, to: log.start }, 'retention dropped messages this group had not read');
          pos = log.start;
        }
        if (pos >= log.end) {
          await lease.waitOn(log);
          continue;
        }
        const run = member.pipeline.nextRun((i) => rawAt(log, i), pos, log.end);
        if (!(await member.pipeline.deliver(run, alive))) break;
        pos += DeliveryPipeline.size(run);
        group.committed.set(log, pos);
        log.readers.set(lease, pos);
        log.advanced(this.maxLag);
      }
    } finally {
      log.readers.delete(lease);
      log.advanced(this.maxLag);
    }
  }
}

function rawAt(log: PartitionLog, offset: number): RawMessage {
  const m = log.at(offset);
  return { topic: log.topic, partition: log.partition, offset: String(offset), key: m.key, value: m.value, headers: m.headers };
}

function assignmentOf(member: Member): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const log of member.leases.keys()) {
    const list = byTopic.get(log.topic) ?? [];
    list.push(log.partition);
    byTopic.set(log.topic, list);
  }
  return [...byTopic].sort(([a], [b]) => a.localeCompare(b)).map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}
