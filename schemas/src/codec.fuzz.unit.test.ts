// Fuzzing the event parser at the trust boundary: random bytes and mutated valid envelopes never throw, and nothing invalid is accepted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog, isEventType, type EventType } from './catalog.ts';
import { decodeEvent, encodeEvent, validateEvent, type DecodeResult } from './codec.ts';
import { EventEnvelope } from './envelope.ts';
import { makeEvent, type DomainEvent } from './event.ts';
import { seededIds } from './ids.ts';

const ids = seededIds(11);
const t = 1_767_225_600_000;
const ctx = (n: number) => ({ id: ids(t + n), occurredAt: t + n, recordedAt: t + n + 1 });
const valid: DomainEvent[] = [
  makeEvent('BarClosed', { venue: 'binance', instrument: 'BTC/USDT', timeframe: '5m', openTime: t - 300_000, closeTime: t, open: 100, high: 101, low: 99, close: 100.5, volume: 12.5 }, ctx(1)),
  makeEvent('SignalEmitted', { strategyId: 'sma-btc', instrument: 'BTC/USDT', direction: 'long', strength: 1, price: 100.5, asOf: t, reason: 'fast above slow' }, ctx(2)),
  makeEvent('BarEvaluated', { strategyId: 'sma-btc', instrument: 'BTC/USDT', asOf: t, signals: 1 }, ctx(3)),
  makeEvent('TradingHalted', { account: 'paper', reason: { kind: 'Manual', by: 'ops', note: 'lunch' }, ts: t }, ctx(4)),
  makeEvent('TradingResumed', { account: 'paper', by: 'ops', note: 'back', ts: t }, ctx(5)),
];
const failureKinds = new Set(['Oversized', 'MalformedJson', 'InvalidEnvelope', 'UnknownType', 'UnknownVersion', 'InvalidData']);

/** What "accepted" has to mean, checked apart from the codec: a known type at its latest version, envelope and data each valid. */
function acceptable(r: DecodeResult): void {
  if (!r.ok) {
    expect(failureKinds.has(r.error.kind)).toBe(true);
    return;
  }
  const e = r.event;
  expect(EventEnvelope.safeParse(e).success).toBe(true);
  expect(isEventType(e.type)).toBe(true);
  const def = catalog[e.type as EventType];
  expect(e.version).toBe(def.latest);
  expect((def.versions as Record<number, { safeParse(d: unknown): { success: boolean } }>)[def.latest]!.safeParse(e.data).success).toBe(true);
  // Accepted once, accepted again unchanged: decoding is a fixed point (of the JSON form: -0 travels as 0).
  expect(decodeEvent(encodeEvent(e))).toEqual({ ok: true, event: JSON.parse(JSON.stringify(e)) });
}

function decodeSafely(input: Uint8Array | string): DecodeResult {
  let r: DecodeResult | undefined;
  expect(() => { r = decodeEvent(input); }).not.toThrow();
  return r!;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const clone = (e: DomainEvent): Record<string, Json> => JSON.parse(JSON.stringify(e)) as Record<string, Json>;

/** Paths to every value of an event: envelope fields, data fields, nested ones. */
function paths(v: Json, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
  return [prefix, ...keys.flatMap((k) => paths((v as Record<string, Json>)[k]!, [...prefix, k]))];
}

function setAt(root: Record<string, Json>, path: string[], value: Json | undefined): void {
  let o = root as Record<string, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = value;
}

const weird = fc.constantFrom<Json>(null, '', 'NaN', 'Infinity', '1e400', -1, 0, 1e308, -0, true, [], {}, '__proto__', '\u0000', '\ud800', 'x'.repeat(600), 9_007_199_254_740_993, 1.5);
const mutation = fc.record({
  which: fc.nat(valid.length - 1),
  pick: fc.nat(),
  value: fc.option(fc.oneof(weird, fc.jsonValue() as fc.Arbitrary<Json>), { nil: undefined }),
});

describe('decodeEvent under fuzzing', () => {
  it('random bytes, strings and JSON never throw; every answer is a typed failure or a fully valid event', () => {
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.string({ unit: 'binary', maxLength: 512 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ id: fc.string(), type: fc.constantFrom('BarClosed', 'OrderFilled', 'x'), version: fc.integer(), data: fc.jsonValue() }).map((v) => JSON.stringify(v)),
    ), (input) => acceptable(decodeSafely(input))), { numRuns: 2_000 });
  });

  it('a valid envelope with one value replaced or removed anywhere is refused with a typed reason, or still fully valid', () => {
    fc.assert(fc.property(mutation, ({ which, pick, value }) => {
      const raw = clone(valid[which]!);
      const all = paths(raw).filter((p) => p.length > 0);
      setAt(raw, all[pick % all.length]!, value);
      acceptable(decodeSafely(JSON.stringify(raw)));
      let r: DecodeResult | undefined;
      expect(() => { r = validateEvent(raw); }).not.toThrow();
      acceptable(r!);
    }), { numRuns: 3_000 });
  });

  it('never accepts an envelope missing a required field, an unknown version, a bad id or a non-finite price', () => {
    const required = ['id', 'type', 'version', 'stream', 'key', 'occurredAt', 'recordedAt', 'correlationId', 'data', 'meta'];
    fc.assert(fc.property(fc.nat(valid.length - 1), fc.constantFrom(...required), fc.integer({ min: 3, max: 1_000 }), fc.string({ maxLength: 40 }), (which, field, version, id) => {
      const missing = clone(valid[which]!);
      delete missing[field];
      expect(decodeSafely(JSON.stringify(missing)).ok).toBe(false);
      expect(decodeSafely(JSON.stringify({ ...clone(valid[which]!), version })).ok).toBe(false);
      fc.pre(!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id));
      expect(decodeSafely(JSON.stringify({ ...clone(valid[which]!), id })).ok).toBe(false);
    }), { numRuns: 500 });
    for (const close of ['1e400', null, 'NaN', -5, '100']) {
      const bar = clone(valid[0]!);
      (bar.data as Record<string, Json>).close = close;
      expect(decodeSafely(JSON.stringify(bar)).ok).toBe(false);
    }
    // JSON cannot carry NaN or Infinity; a text that tries is malformed, never a number.
    expect(decodeSafely(encodeEvent(valid[0]!).toString().replace('"close":100.5', '"close":NaN')).ok).toBe(false);
  });

  it('bytes of a valid event with random bytes flipped never throw and never pollute prototypes', () => {
    fc.assert(fc.property(fc.nat(valid.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (which, flips) => {
      const bytes = new Uint8Array(encodeEvent(valid[which]!));
      for (const [at, b] of flips) bytes[at % bytes.length] = b;
      acceptable(decodeSafely(bytes));
    }), { numRuns: 3_000 });
    acceptable(decodeSafely(JSON.stringify({ ...clone(valid[0]!), meta: JSON.parse('{"__proto__":{"polluted":true}}') as Json })));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
