// deciderSpec itself: it must fail loudly when a decider does something other than the spec says.
import { describe, expect, it } from 'vitest';
import { deciderSpec } from './decider.ts';

class TooMuch extends Error {}
type Cmd = { type: 'Add'; n: number };
type Ev = { type: 'Added'; n: number };
const counter = {
  initialState: () => 0,
  decide: (c: Cmd, s: number): Ev[] => {
    if (s + c.n > 10) throw new TooMuch(`over 10`);
    return c.n === 0 ? [] : [{ type: 'Added', n: c.n }];
  },
  evolve: (s: number, e: Ev) => s + e.n,
};
const spec = deciderSpec(counter);

describe('deciderSpec', () => {
  it('passes and returns the state after the new events', () => {
    expect(spec.given([{ type: 'Added', n: 4 }]).when({ type: 'Add', n: 3 }).then([{ type: 'Added', n: 3 }])).toBe(7);
  });
  it('fails on other events, on unexpected events and on a missing throw', () => {
    expect(() => spec.given([]).when({ type: 'Add', n: 3 }).then([{ type: 'Added', n: 4 }])).toThrow(/other events/);
    expect(() => spec.given([]).when({ type: 'Add', n: 3 }).thenNothing()).toThrow(/none were expected/);
    expect(() => spec.given([]).when({ type: 'Add', n: 3 }).thenThrows(TooMuch)).toThrow(/expected TooMuch/);
  });
  it('checks the error class and lets the caller inspect the error', () => {
    const e = spec.given([{ type: 'Added', n: 9 }]).when({ type: 'Add', n: 3 }).thenThrows(TooMuch, (err) => expect(err.message).toBe('over 10'));
    expect(e).toBeInstanceOf(TooMuch);
    expect(() => spec.given([{ type: 'Added', n: 9 }]).when({ type: 'Add', n: 3 }).thenThrows(RangeError)).toThrow(/expected RangeError but TooMuch/);
  });
  it('uses a passed-in assert such as vitest expect', () => {
    const calls: unknown[] = [];
    deciderSpec(counter, { assert: (a, e) => { calls.push([a, e]); expect(a).toEqual(e); } })
      .given([]).when({ type: 'Add', n: 0 }).thenNothing();
    expect(calls).toEqual([[[], []]]);
  });
});
