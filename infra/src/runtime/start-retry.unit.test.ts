import { describe, expect, it } from 'vitest';
import { InfrastructureError, ValidationError } from '@qts/core';
import { isTransient, startWithRetry } from './start-retry.ts';

const kafkaDown = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19092'), { name: 'KafkaJSConnectionError' });
const pgStarting = Object.assign(new Error('the database system is starting up'), { code: '57P03' });

describe('isTransient', () => {
  it('waits out an unreachable broker or database, a still-starting server, and our infrastructure errors', () => {
    expect(isTransient(kafkaDown)).toBe(true);
    expect(isTransient(pgStarting)).toBe(true);
    expect(isTransient(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(new InfrastructureError('no such topic: dlq.orders'))).toBe(true);
    expect(isTransient(new Error('could not start', { cause: new Error('wrapped', { cause: kafkaDown }) }))).toBe(true);
  });

  it('fails at once on a wrong config or a bug: no retry can mend those', () => {
    expect(isTransient(new Error('this command needs the shared Kafka bus: set KAFKA_BROKERS'))).toBe(false);
    expect(isTransient(new ValidationError('config: strategies[0].fast must be a positive integer', [{ path: 'strategies.0.fast', message: 'too small' }]))).toBe(false);
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isTransient(Object.assign(new Error('password authentication failed for user "qts"'), { code: '28P01' }))).toBe(false);
  });
});

describe('startWithRetry', () => {
  const fastSleep = async () => undefined;

  it('retries transient failures with doubling waits capped at 30 s, then returns what the start gave', async () => {
    const waits: number[] = [];
    let calls = 0;
    const got = await startWithRetry(async () => {
      if (++calls < 8) throw kafkaDown;
      return 'running';
    }, { signal: new AbortController().signal, sleep: fastSleep, onRetry: (_e, _n, ms) => waits.push(ms) });
    expect(got).toBe('running');
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('gives up on the first non-transient error without waiting', async () => {
    const waits: number[] = [];
    const bad = new Error('no strategies configured');
    await expect(startWithRetry(async () => { throw bad; }, { signal: new AbortController().signal, sleep: fastSleep, onRetry: (_e, _n, ms) => waits.push(ms) })).rejects.toBe(bad);
    expect(waits).toEqual([]);
  });

  it('stops retrying when asked to stop (SIGTERM while the broker is down) and reports the last error', async () => {
    const stop = new AbortController();
    let calls = 0;
    const started = startWithRetry(async () => { calls++; throw kafkaDown; }, {
      signal: stop.signal,
      onRetry: () => { setTimeout(() => stop.abort(), 20); },
      firstDelayMs: 60_000, // the real sleep: only the abort can end it within the test's time
      maxDelayMs: 60_000,
    });
    await expect(started).rejects.toBe(kafkaDown);
    expect(calls).toBe(1);
  });
});
