// `qts tap`: prints a Kafka topic's events as validated JSON lines, flags invalid ones, and never moves any group's offsets.
import { InvalidArgumentError, type Command } from 'commander';
import { describeFailure, MAX_EVENT_BYTES, type DomainEvent } from '@qts/schemas';
import type { RawMessage } from '@qts/core';
import { KafkaBus, busLogger, decodeMessage, kafkaBrokersFromEnv } from '@qts/adapters';

export interface TapFilter {
  readonly path: readonly string[];
  readonly value: string;
}

/** `data.instrument=BTC/USDT` → a dotted path into the event and the text its value must equal. */
export function parseFilter(text: string): TapFilter {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected field=value (e.g. type=BarClosed or data.instrument=BTC/USDT), got '${text}'`);
  return { path: text.slice(0, eq).split('.'), value: text.slice(eq + 1) };
}

function valueAt(event: DomainEvent, path: readonly string[]): unknown {
  let at: unknown = event;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** Every filter must hold; values compare as text, so numbers and booleans match their printed form. */
export function matches(event: DomainEvent, filters: readonly TapFilter[]): boolean {
  return filters.every((f) => {
    const v = valueAt(event, f.path);
    return v !== undefined && v !== null && typeof v !== 'object' && String(v) === f.value;
  });
}

const RAW_LIMIT = 16 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The line printed for a message that fails decoding: the reason and the bytes (text when they are UTF-8, else base64). */
export function invalidLine(message: RawMessage, reason: string, kind: string): Record<string, unknown> {
  const bytes = message.value ?? Buffer.alloc(0);
  const head = bytes.subarray(0, RAW_LIMIT);
  let raw: Record<string, unknown>;
  try {
    raw = { raw: utf8.decode(head) };
  } catch {
    raw = { rawBase64: head.toString('base64') };
  }
  return {
    invalid: true, kind, reason, ...raw, ...(bytes.byteLength > RAW_LIMIT ? { rawTruncatedFrom: bytes.byteLength } : {}),
    topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, headers: message.headers,
  };
}

interface TapFlags {
  fromBeginning?: boolean;
  follow?: boolean;
  filter: TapFilter[];
  brokers?: string;
}

export function registerTap(program: Command): void {
  program
    .command('tap')
    .description('print events of Kafka topics as JSON lines (invalid ones flagged); reads in a throwaway group, commits nothing')
    .argument('<topics...>', 'topics to read, e.g. market.bars dlq.market.bars')
    .option('--from-beginning', 'start at the oldest retained message instead of the end')
    .option('--follow', 'keep printing new events until interrupted (otherwise stop at the end of the topics)')
    .option('--filter <field=value>', 'only events whose field equals value; dotted paths into data (repeatable, all must hold)',
      (text: string, all: TapFilter[]) => [...all, parseFilter(text)], [] as TapFilter[])
    .option('--brokers <list>', 'Kafka brokers, comma-separated (default KAFKA_BROKERS or 127.0.0.1:19092)')
    .action(async (topics: string[], flags: TapFlags) => {
      process.exitCode = await tap(topics, flags);
    });
}

async function write(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await new Promise((r) => process.stdout.once('drain', r));
}

async function tap(topics: string[], flags: TapFlags): Promise<number> {
  const logger = busLogger('tap');
  logger.level = process.env.QTS_LOG_LEVEL ?? 'warn';
  const bus = new KafkaBus({ brokers: flags.brokers ? flags.brokers.split(',') : kafkaBrokersFromEnv(), logger, clientId: 'qts-tap' });
  const counts = { printed: 0, filtered: 0, invalid: 0 };
  try {
    const tail = await bus.tail({
      topics,
      fromBeginning: flags.fromBeginning ?? false,
      follow: flags.follow ?? false,
      onMessage: async (message) => {
        const decoded = decodeMessage(message.value, MAX_EVENT_BYTES);
        if (!decoded.ok) {
          counts.invalid++;
          await write(JSON.stringify(invalidLine(message, describeFailure(decoded.error), decoded.error.kind)));
        } else if (matches(decoded.event, flags.filter)) {
          counts.printed++;
          await write(JSON.stringify(decoded.event));
        } else counts.filtered++;
      },
    });
    const interrupt = () => { void tail.stop(); };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    await tail.done;
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    console.error(`tap: ${counts.printed} events printed, ${counts.filtered} filtered out, ${counts.invalid} invalid`);
    return 0;
  } catch (err) {
    console.error(`tap: ${(err as Error).message}${(err as Error).cause ? ` (${((err as Error).cause as Error).message})` : ''}`);
    return 1;
  } finally {
    await bus.close();
  }
}
