// The response cache: an answer lives until its route's version moves, within a count and byte budget; Accept-Encoding is honoured.
import { describe, expect, it } from 'vitest';
import { preferredEncoding, ResponseCache } from './response-cache.ts';

describe('response cache', () => {
  it('serves an answer only while its route version is the one it was filled under', () => {
    const versions = new Map<string, number>([['/positions', 1], ['/orders', 1]]);
    const cache = new ResponseCache((r) => versions.get(r) ?? 0);
    cache.fill('/api/v1/positions', '/positions', 1, 200, '[1]');
    cache.fill('/api/v1/orders', '/orders', 1, 200, '[2]');
    expect(cache.fresh('/api/v1/positions')?.body.toString()).toBe('[1]');
    versions.set('/positions', 2);
    expect(cache.fresh('/api/v1/positions')).toBeNull();
    expect(cache.fresh('/api/v1/orders')?.body.toString()).toBe('[2]');
    // Filed under the version read before its query: a commit that landed meanwhile leaves it stale at once.
    cache.fill('/api/v1/positions', '/positions', 1, 200, '[old]');
    expect(cache.fresh('/api/v1/positions')).toBeNull();
  });

  it('keeps within its byte budget, dropping the oldest answers first', () => {
    const cache = new ResponseCache(() => 0, 100, 1000);
    for (let i = 0; i < 3; i++) cache.fill(`/u${i}`, '/r', 0, 200, 'x'.repeat(400));
    expect(cache.fresh('/u0')).toBeNull();
    expect(cache.fresh('/u1')).not.toBeNull();
    expect(cache.fresh('/u2')).not.toBeNull();
    const counted = new ResponseCache(() => 0, 2);
    for (let i = 0; i < 3; i++) counted.fill(`/u${i}`, '/r', 0, 200, '{}');
    expect([0, 1, 2].map((i) => counted.fresh(`/u${i}`) !== null)).toEqual([false, true, true]);
  });

  it('prefers br, then gzip, among the codings a client accepts', () => {
    expect(preferredEncoding('gzip, deflate, br')).toBe('br');
    expect(preferredEncoding('gzip, br;q=0')).toBe('gzip');
    expect(preferredEncoding('identity')).toBe('identity');
    expect(preferredEncoding('*')).toBe('br');
    expect(preferredEncoding('*;q=0, gzip;q=0.5')).toBe('gzip');
    expect(preferredEncoding('deflate')).toBe('identity');
  });
});
