// @vitest-environment happy-dom
// The Live chart's history: older bars are fetched in time windows before the first one shown and put in front of the live ones.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bar } from './api.ts';
import { feed } from './feed.svelte.ts';
import { LiveView } from './live.svelte.ts';

const tf = 300_000;
const bar = (i: number): Bar => ({ venue: 'replay', instrument: 'BTC/USDT', timeframe: '5m', openTime: i * tf, closeTime: (i + 1) * tf, open: i, high: i, low: i, close: i, volume: 1 });

afterEach(() => vi.unstubAllGlobals());

describe('LiveView history', () => {
  it('loads the window before the first bar, keeps live bars after it, and stops when a window is empty', async () => {
    const view = new LiveView();
    view.instrument = 'BTC/USDT';
    view.timeframe = '5m';
    feed.channel<Bar[]>('bars:BTC/USDT:5m').snapshot(1, [bar(100), bar(101), bar(102)]);
    const asked: URLSearchParams[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      const q = new URL(url, 'http://x').searchParams;
      asked.push(q);
      const items = Number(q.get('to')) === 100 * tf ? [bar(98), bar(99)] : [];
      return new Response(JSON.stringify({ items, nextCursor: null }));
    }));

    await view.loadOlder(10);
    expect(view.bars.map((b) => b.openTime / tf)).toEqual([98, 99, 100, 101, 102]);
    expect([asked[0]!.get('from'), asked[0]!.get('to'), asked[0]!.get('venue')]).toEqual([String(90 * tf), String(100 * tf), 'replay']);

    feed.channel<Bar[]>('bars:BTC/USDT:5m').delta(2, [bar(103)]);
    expect(view.bars.map((b) => b.openTime / tf)).toEqual([98, 99, 100, 101, 102, 103]);

    await view.loadOlder(10); // nothing before bar 98
    await view.loadOlder(10); // not asked again
    expect(asked).toHaveLength(2);
    expect(view.bars).toHaveLength(6);
  });
});
