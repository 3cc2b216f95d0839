// Kafka publish is bounded: callers wait once too many messages are in flight, and are let through in arrival order.
import { describe, expect, it } from 'vitest';
import { InFlightBudget } from './kafka-bus.ts';

const settled = () => new Promise((r) => setTimeout(r, 0));

describe('InFlightBudget', () => {
  it('lets publishes through up to the limit, then makes the next wait for a release', async () => {
    const budget = new InFlightBudget(100);
    expect(await budget.acquire(60)).toBe(60);
    expect(await budget.acquire(40)).toBe(40);
    let third = false;
    const waiting = budget.acquire(10).then((n) => { third = true; return n; });
    await settled();
    expect(third).toBe(false);
    budget.release(40);
    expect(await waiting).toBe(10);
  });

  it('serves waiters first come, first served, so a large publish is not starved by small ones', async () => {
    const budget = new InFlightBudget(100);
    await budget.acquire(90);
    const order: string[] = [];
    const big = budget.acquire(80).then(() => order.push('big'));
    const small = budget.acquire(5).then(() => order.push('small'));
    await settled();
    expect(order).toEqual([]);
    budget.release(90);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('caps one oversized request at the whole budget instead of waiting forever', async () => {
    const budget = new InFlightBudget(100);
    expect(await budget.acquire(5_000)).toBe(100);
  });
});
