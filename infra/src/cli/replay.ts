// `qts replay`: republishes stored events from the event store to a topic, in store order, with their catalog keys.
import { InvalidArgumentError, type Command } from 'commander';
import { isEventType, type DomainEvent } from '@qts/schemas';
import type { StoredEvent } from '@qts/core';
import { busLogger } from '@qts/adapters';
import { openShared } from './worker.ts';

interface ReplayFlags {
  all?: boolean;
  stream?: string;
  from?: bigint;
  to: string;
  type?: string[];
  batch: number;
  partitions?: number;
}

const integer = (name: string) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('republish stored events from the event store to a topic (--all in global order, or one --stream)')
    .option('--all', 'every stored event, in global order')
    .option('--stream <stream>', 'one stream, in revision order')
    .option('--from <n>', 'start at this global position (--all) or revision (--stream), inclusive', (t: string) => {
      if (!/^\d+$/.test(t)) throw new InvalidArgumentError('--from must be a non-negative integer');
      return BigInt(t);
    })
    .requiredOption('--to <topic>', 'topic to publish to')
    .option('--type <types...>', 'only these event types')
    .option('--batch <n>', 'events per publish call', integer('--batch'), 500)
    .option('--partitions <n>', 'partitions if the target topic does not exist yet (default: the configured count)', integer('--partitions'))
    .action(async (flags: ReplayFlags) => {
      process.exitCode = await replay(flags);
    });
}

async function replay(flags: ReplayFlags): Promise<number> {
  if (!flags.all === !flags.stream) {
    console.error('qts replay: give exactly one of --all or --stream <stream>');
    return 2;
  }
  const unknown = (flags.type ?? []).filter((t) => !isEventType(t));
  if (unknown.length > 0) {
    console.error(`qts replay: unknown event types: ${unknown.join(', ')}`);
    return 2;
  }
  const log = busLogger('replay');
  let opened: Awaited<ReturnType<typeof openShared>>;
  try {
    opened = await openShared(log);
  } catch (err) {
    console.error(`qts replay: ${(err as Error).message}`);
    return 1;
  }
  const { config, infra } = opened;
  const { bus, store } = infra;
  const types = flags.type ? new Set(flags.type) : null;
  let published = 0;
  let last: StoredEvent | null = null;
  try {
    const partitions = flags.partitions ?? (config.bus.kind === 'kafka' ? config.bus.partitions : 3);
    await bus.ensureTopics([{ topic: flags.to, partitions }]);
    const source: AsyncIterable<StoredEvent> = flags.stream
      ? store.readStream(flags.stream, { fromRevision: flags.from === undefined ? 0 : Number(flags.from) })
      : store.readAll(flags.from === undefined || flags.from === 0n ? {} : { after: flags.from - 1n });
    let batch: DomainEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      // null key: each event goes out under its own key, the one the catalog gave it (its instrument, account...).
      await bus.publish(flags.to, null, batch);
      published += batch.length;
      batch = [];
    };
    for await (const stored of source) {
      last = stored;
      if (types && !types.has(stored.event.type)) continue;
      batch.push(stored.event);
      if (batch.length >= flags.batch) await flush();
    }
    await flush();
    const where = flags.stream ? `stream ${flags.stream}` : 'all streams';
    const upTo = last ? (flags.stream ? ` up to revision ${last.revision}` : ` up to position ${last.position}`) : '';
    console.error(`replay: ${published} events from ${where}${upTo} published to ${flags.to}`);
    return 0;
  } catch (err) {
    console.error(`qts replay: failed after ${published} events: ${(err as Error).message}`);
    return 1;
  } finally {
    await infra.close();
  }
}
