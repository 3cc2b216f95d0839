// The throttle on a fake clock: a burst goes out, a storm becomes one summary per kind, halts are never held.
import { describe, expect, it } from 'vitest';
import type { Notice, NoticeKind } from './notice.ts';
import { Throttle } from './throttle.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}
const notice = (kind: NoticeKind, n: number, urgent = false): Notice => ({ kind, text: `${kind} #${n}`, at: n, urgent });

describe('Throttle', () => {
  it('lets the burst through, then holds a storm and summarises it as one notice when a token is back', () => {
    const c = clock();
    const t = new Throttle({ burst: 3, perMinute: 20, now: c.now });
    const sent = Array.from({ length: 60 }, (_, i) => t.offer(notice('fill', i)));
    expect(sent.filter(Boolean)).toHaveLength(3);
    expect(sent.slice(0, 3)).toEqual([true, true, true]);
    expect(t.pending).toBe(57);
    // No token yet: nothing to say, nothing lost.
    expect(t.drain()).toEqual([]);
    expect(t.nextTokenInMs()).toBe(3_000);
    c.advance(3_000);
    const [summary, ...rest] = t.drain();
    expect(rest).toEqual([]);
    expect(summary!.kind).toBe('fill');
    expect(summary!.text).toBe('and 57 more fills in the last minute; latest: fill #59');
    expect(summary!.detail).toMatchObject({ coalesced: 57 });
    expect(t.pending).toBe(0);
  });

  it('names a longer window when the storm lasted longer', () => {
    const c = clock();
    const t = new Throttle({ burst: 1, perMinute: 0.5, now: c.now });
    t.offer(notice('fill', 0));
    for (let i = 1; i <= 10; i++) { c.advance(12_000); t.offer(notice('fill', i)); }
    c.advance(60_000);
    expect(t.drain()[0]!.text).toMatch(/^and 10 more fills in the last 3 min; latest: fill #10$/);
  });

  it('always lets an urgent notice (a halt) through, even with the bucket empty, and the debt delays the rest', () => {
    const c = clock();
    const t = new Throttle({ burst: 1, perMinute: 60, now: c.now });
    expect(t.offer(notice('fill', 1))).toBe(true);
    expect(t.offer(notice('halt', 2, true))).toBe(true);
    expect(t.offer(notice('halt', 3, true))).toBe(true);
    expect(t.offer(notice('fill', 4))).toBe(false);
    // Two tokens of debt plus one to spend: three seconds at one a second.
    expect(t.nextTokenInMs()).toBe(3_000);
    c.advance(2_999);
    expect(t.drain()).toEqual([]);
    c.advance(1);
    expect(t.drain().map((n) => n.text)).toEqual(['fill #4']);
  });

  it('keeps a held kind held, so a later notice does not jump ahead of its summary', () => {
    const c = clock();
    const t = new Throttle({ burst: 1, perMinute: 60, now: c.now });
    t.offer(notice('fill', 1));
    expect(t.offer(notice('fill', 2))).toBe(false);
    c.advance(1_000);
    // A token is back, but fills are being held: this one joins the summary.
    expect(t.offer(notice('fill', 3))).toBe(false);
    expect(t.drain().map((n) => n.text)).toEqual(['and 2 more fills in the last minute; latest: fill #3']);
    c.advance(1_000);
    expect(t.offer(notice('fill', 4))).toBe(true);
  });

  it('summarises each kind apart, as far as the tokens go, and keeps the rest for later', () => {
    const c = clock();
    const t = new Throttle({ burst: 2, perMinute: 60, now: c.now });
    expect([t.offer(notice('fill', 1)), t.offer(notice('fill', 2))]).toEqual([true, true]);
    t.offer(notice('rejection', 3));
    t.offer(notice('rejection', 4));
    t.offer(notice('error', 5));
    c.advance(1_000);
    expect(t.drain().map((n) => n.text)).toEqual(['and 2 more rejections in the last minute; latest: rejection #4']);
    expect(t.pending).toBe(1);
    c.advance(1_000);
    // A kind held once is told as itself, not as "1 more".
    expect(t.drain().map((n) => n.text)).toEqual(['error #5']);
  });

  it('refills no further than the burst after a quiet spell', () => {
    const c = clock();
    const t = new Throttle({ burst: 2, perMinute: 60, now: c.now });
    c.advance(3_600_000);
    const sent = [1, 2, 3].map((i) => t.offer(notice('fill', i)));
    expect(sent).toEqual([true, true, false]);
  });
});
