// What only the in-process bus has to say: its bounded memory (backpressure, retention) and its refusal of unknown topics.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { InfrastructureError } from '@qts/core';
import { tick } from '../testing/bus-contract.ts';
import { eventually } from '../testing/eventually.ts';
import { InProcessBus } from './in-process-bus.ts';
import { readTopics } from './tail.ts';

const logger = pino({ level: 'silent' });

describe('InProcessBus', () => {
  it('makes a publisher wait while a running consumer is maxLag behind, then lets it finish', async () => {
    const bus = new InProcessBus({ logger, maxLag: 5, retainPerPartition: 100 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const handled: number[] = [];
    await bus.consume({ groupId: 'slow', topics: ['t'], handler: async (e) => { await gate; handled.push((e.data as { price: number }).price); } });
    let done = false;
    const publishing = bus.publish('t', 'BTC/USDT', Array.from({ length: 20 }, (_, i) => tick('BTC/USDT', i))).then(() => { done = true; });
    await eventually(async () => expect(await readTopics(bus, ['t'])).toHaveLength(5));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(await readTopics(bus, ['t'])).toHaveLength(5);
    release();
    await publishing;
    await eventually(() => expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i)));
    await bus.close();
  });

  it('never blocks a handler that publishes to the partition it consumes (no deadlock)', async () => {
    const bus = new InProcessBus({ logger, maxLag: 2 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    const seen: number[] = [];
    await bus.consume({
      groupId: 'echo',
      topics: ['t'],
      fromBeginning: true,
      handler: async (e) => {
        const price = (e.data as { price: number }).price;
        seen.push(price);
        if (price < 110) await bus.publish('t', 'BTC/USDT', [tick('BTC/USDT', price - 100 + 10), tick('BTC/USDT', price - 100 + 20)]);
      },
    });
    await bus.publish('t', 'BTC/USDT', [tick('BTC/USDT', 0), tick('BTC/USDT', 1), tick('BTC/USDT', 2)]);
    await eventually(() => expect(seen).toHaveLength(3 + 6));
    await bus.close();
  });

  it('keeps retainPerPartition messages: a stopped group resumes at the oldest one still kept', async () => {
    const bus = new InProcessBus({ logger, retainPerPartition: 10 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    const seen: number[] = [];
    const handler = async (e: { data: unknown }) => { seen.push((e.data as { price: number }).price - 100); };
    const first = await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, handler });
    await bus.publish('t', 'BTC/USDT', Array.from({ length: 5 }, (_, i) => tick('BTC/USDT', i)));
    await eventually(() => expect(seen).toEqual([0, 1, 2, 3, 4]));
    await first.stop();
    await bus.publish('t', 'BTC/USDT', Array.from({ length: 30 }, (_, i) => tick('BTC/USDT', 5 + i)));
    seen.length = 0;
    await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, handler });
    await eventually(() => expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => 25 + i)));
    expect((await readTopics(bus, ['t'])).map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => String(25 + i)));
    await bus.close();
  });

  it('refuses topics that were never ensured, like a broker without auto-creation', async () => {
    const bus = new InProcessBus({ logger });
    await expect(bus.publish('nowhere', null, [tick('BTC/USDT', 1)])).rejects.toBeInstanceOf(InfrastructureError);
    await expect(bus.consume({ groupId: 'g', topics: ['nowhere'], handler: async () => undefined })).rejects.toBeInstanceOf(InfrastructureError);
    await bus.ensureTopics([{ topic: 'here', partitions: 2 }]);
    await expect(readTopics(bus, ['dlq.here'])).resolves.toEqual([]);
    await bus.close();
  });
});
