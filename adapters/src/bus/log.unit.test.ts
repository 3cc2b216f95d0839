// kafkajs speaks through our pino logger: one JSON line per entry, its namespace kept, protocol noise demoted.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { logLevel } from 'kafkajs';
import { kafkaLogCreator, kafkaLogLevel } from './log.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  return { lines, logger: pino({ level }, sink) };
}

describe('kafkajs logging', () => {
  it('writes each kafkajs entry as a JSON line with its namespace and fields', () => {
    const { lines, logger } = capture('info');
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log({ namespace: 'ConsumerGroup', level: logLevel.WARN, label: 'WARN', log: { message: 'group is rebalancing', timestamp: 'x', logger: 'kafkajs', groupId: 'g1' } });
    log({ namespace: 'Producer', level: logLevel.ERROR, label: 'ERROR', log: { message: 'send failed', timestamp: 'x', logger: 'kafkajs' } });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, kafkajs: 'ConsumerGroup', groupId: 'g1', msg: 'group is rebalancing' });
    expect(lines[1]).toMatchObject({ level: 50, kafkajs: 'Producer', msg: 'send failed' });
    expect(lines[0]).not.toHaveProperty('timestamp');
  });

  it('demotes the Connection namespace (retried error responses) to debug', () => {
    const { lines, logger } = capture('info');
    kafkaLogCreator(logger)(logLevel.INFO)({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'Response Heartbeat', timestamp: 'x', logger: 'kafkajs' } });
    expect(lines).toEqual([]);
  });

  it('keeps kafkajs one step quieter than us: its chatty INFO only when we debug', () => {
    expect(kafkaLogLevel('info')).toBe(logLevel.WARN);
    expect(kafkaLogLevel('warn')).toBe(logLevel.WARN);
    expect(kafkaLogLevel(undefined)).toBe(logLevel.WARN);
    expect(kafkaLogLevel('debug')).toBe(logLevel.INFO);
    expect(kafkaLogLevel('trace')).toBe(logLevel.DEBUG);
    expect(kafkaLogLevel('silent')).toBe(logLevel.NOTHING);
  });
});
