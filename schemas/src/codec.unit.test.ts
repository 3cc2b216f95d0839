// The codec is the trust boundary: every kind of bad input gets a typed reason, good input is upcast.
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, describeFailure } from './codec.ts';
import { makeEvent } from './event.ts';
import { derivedId, seededIds } from './ids.ts';

const ids = seededIds(7);
const bar = makeEvent('BarClosed', {
  venue: 'binance', instrument: 'BTC/USDT', timeframe: '5m', openTime: 1_672_677_900_000, closeTime: 1_672_678_200_000,
  open: 16727.3, high: 16728.8, low: 16726, close: 16726.1, volume: 691.508,
}, { id: ids(1_672_678_200_000), occurredAt: 1_672_678_200_000, recordedAt: 1_672_678_200_005 });

function failureOf(input: Uint8Array | string, max?: number) {
  const r = decodeEvent(input, max);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

describe('decodeEvent', () => {
  it('round-trips an event through bytes unchanged', () => {
    const r = decodeEvent(encodeEvent(bar));
    expect(r).toEqual({ ok: true, event: bar });
  });

  it('derives stream and partition key from the catalog', () => {
    expect(bar.stream).toBe('bars-binance.BTC_USDT.5m');
    expect(bar.key).toBe('BTC/USDT');
    expect(bar.correlationId).toBe(bar.id);
  });

  it('reads a stored v1 BarClosed as v2', () => {
    const v1 = { ...bar, version: 1, data: { instrument: 'BTC/USDT', timeframe: '5m', openTime: 0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 } };
    const r = decodeEvent(JSON.stringify(v1));
    expect(r.ok && r.event).toMatchObject({ version: 2, data: { venue: 'unknown', closeTime: 300_000, close: 1.5 } });
  });

  it('names malformed JSON', () => {
    expect(failureOf('{"id": ').kind).toBe('MalformedJson');
    expect(failureOf(new Uint8Array([0xff, 0xfe, 0x00])).kind).toBe('MalformedJson');
  });

  it('names an unknown type', () => {
    expect(failureOf(JSON.stringify({ ...bar, type: 'BarOpened' }))).toEqual({ kind: 'UnknownType', type: 'BarOpened' });
  });

  it('names an unknown version', () => {
    expect(failureOf(JSON.stringify({ ...bar, version: 9 }))).toEqual({ kind: 'UnknownVersion', type: 'BarClosed', version: 9, latest: 2 });
  });

  it('names each missing or wrong field', () => {
    const { close: _c, ...data } = bar.data;
    const f = failureOf(JSON.stringify({ ...bar, data: { ...data, high: -1 } }));
    expect(f.kind).toBe('InvalidData');
    expect(describeFailure(f)).toMatch(/close/);
    expect(describeFailure(f)).toMatch(/high/);
    const e = failureOf(JSON.stringify({ ...bar, id: 'not-a-uuid', occurredAt: 'yesterday' }));
    expect(e.kind).toBe('InvalidEnvelope');
    expect(describeFailure(e)).toMatch(/id/);
    expect(describeFailure(e)).toMatch(/occurredAt/);
  });

  it('refuses NaN-like and infinite prices', () => {
    const f = failureOf(JSON.stringify({ ...bar, data: { ...bar.data, close: '1e400' } }));
    expect(f.kind).toBe('InvalidData');
    expect(failureOf(JSON.stringify({ ...bar, data: { ...bar.data, close: null } })).kind).toBe('InvalidData');
  });

  it('refuses oversized payloads before parsing them', () => {
    const big = JSON.stringify({ ...bar, meta: { pad: 'x'.repeat(2_000_000) } });
    expect(failureOf(big)).toMatchObject({ kind: 'Oversized', limit: 1024 * 1024 });
  });
});

describe('seededIds', () => {
  it('gives the same UUIDv7 sequence for the same seed and times', () => {
    const a = seededIds(42); const b = seededIds(42);
    const xs = [1, 2, 3].map((t) => a(t * 1000));
    expect([1, 2, 3].map((t) => b(t * 1000))).toEqual(xs);
    expect(new Set(xs).size).toBe(3);
    expect(xs[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('derivedId', () => {
  it('gives the same valid UUIDv7 for the same work, and different ids for different work', () => {
    const a = derivedId('signal:sma:bar-1', 1_700_000_000_000);
    expect(derivedId('signal:sma:bar-1', 1_700_000_000_000)).toBe(a);
    expect(derivedId('signal:sma:bar-2', 1_700_000_000_000)).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
