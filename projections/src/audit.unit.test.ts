// Audit queries read indexes, never the whole table: EXPLAIN of each on 20,000 events; and "as of" answers only what was stored by then.
import { CompiledQuery, type Compilable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventsQuery } from '@qts/adapters';
import type { StoredEvent } from '@qts/core';
import { asOfQuery, auditEvents as auditPage, auditQuery, type EventsAt } from './audit-queries.ts';
import { Projector } from './projector.ts';
import { auditProjection } from './projections/audit.ts';
import { eventFactory, pgliteTestDb, type TestDb } from './testing.ts';

let t: TestDb;
const f = eventFactory(11);
const minute = 60_000;

beforeAll(async () => {
  for (let i = 0; f.events.length < 20_000; i++) {
    const ts = f.start + i * minute;
    for (let k = 0; k < 20; k++) {
      const px = 100 + k;
      f.add('BarClosed', { venue: 'binance', instrument: `SYM${k}/USDT`, timeframe: '1m', openTime: ts - minute, closeTime: ts, open: px, high: px + 1, low: px - 1, close: px, volume: 1 }, ts);
    }
    if (i % 5 === 0) {
      const sig = f.add('SignalEmitted', { strategyId: 's-1', instrument: `SYM${i % 20}/USDT`, direction: 'long', strength: 1, price: 100, asOf: ts, reason: 'x' }, ts);
      f.add('OrderRequested', { clientOrderId: `o-${i}`, signalId: sig.id, strategyId: 's-1', account: 'a', venue: 'binance', instrument: `SYM${i % 20}/USDT`, side: 'buy', type: 'market', quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts }, ts, sig.correlationId);
    }
  }
  t = await pgliteTestDb();
  const p = new Projector(t.db, { projections: [auditProjection] });
  await p.migrate();
  for (let i = 0; i < f.events.length; i += 4000) await p.project(f.events.slice(i, i + 4000));
  await t.db.executeQuery(CompiledQuery.raw('analyze audit_events'));
}, 60_000);
afterAll(async () => { await t?.close(); });

// The store's reads by position, as a map of the events projected (a stub of the store).
const byPosition: EventsAt = async (positions) => positions.map((p): StoredEvent => ({ event: f.events[Number(p) - 1]!.event, position: p, revision: 0 }));
const auditEvents = (db: TestDb['db'], q: EventsQuery) => auditPage(db, byPosition, q);

interface PlanNode { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: PlanNode[] }

async function plan(q: Compilable): Promise<PlanNode[]> {
  const c = q.compile();
  const r = await t.db.executeQuery<{ 'QUERY PLAN': unknown }>(CompiledQuery.raw(`explain (format json) ${c.sql}`, [...c.parameters]));
  const raw = r.rows[0]!['QUERY PLAN'];
  const root = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const out: PlanNode[] = [];
  const walk = (n: PlanNode): void => { out.push(n); for (const c2 of n.Plans ?? []) walk(c2); };
  walk(root[0]!.Plan);
  return out;
}

const query = (q: Partial<EventsQuery>): EventsQuery => ({ limit: 100, ...q }) as EventsQuery;

describe('audit queries', () => {
  const correlationOf = () => f.events.find((x) => x.event.type === 'OrderRequested')!.event.correlationId;
  const cases: [string, () => Compilable][] = [
    ['by type', () => auditQuery(t.db, query({ type: 'OrderRequested' }), null)],
    ['by instrument', () => auditQuery(t.db, query({ instrument: 'SYM3/USDT' }), null)],
    ['by correlation id', () => auditQuery(t.db, query({ correlationId: correlationOf() }), null)],
    ['by type, next page, as of a position', () => auditQuery(t.db, query({ type: 'SignalEmitted', cursor: '5000' }), 15_000n)],
    ['the position as of a time', () => asOfQuery(t.db, f.start + 300 * minute)],
  ];
  for (const [name, q] of cases) {
    it(`${name}: an index range read, no sequential scan`, async () => {
      const nodes = await plan(q());
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan'), JSON.stringify(nodes)).toEqual([]);
      expect(nodes.some((n) => /Index/.test(n['Node Type']) && (n['Index Name'] ?? '').startsWith('audit_')), JSON.stringify(nodes)).toBe(true);
    });
  }

  it('as of a time: only the events recorded by then, a correlation chain whole, in position order', async () => {
    const cut = f.start + 100 * minute;
    const page = await auditEvents(t.db, query({ type: 'OrderRequested', asOf: cut, limit: 1000 }));
    const expected = f.events.filter((x) => x.event.type === 'OrderRequested' && Date.parse(x.event.recordedAt) <= cut);
    expect(page.items.map((e) => e.id)).toEqual(expected.map((x) => x.event.id));
    expect(page.items.length).toBeGreaterThan(10);
    const chain = await auditEvents(t.db, query({ correlationId: correlationOf() }));
    expect(chain.items.map((e) => e.type)).toEqual(['SignalEmitted', 'OrderRequested']);
    expect(await auditEvents(t.db, query({ asOf: f.start - 1 }))).toEqual({ items: [], nextCursor: null });
    let cursor: string | undefined;
    const all: string[] = [];
    do {
      const p = await auditEvents(t.db, query({ instrument: 'SYM7/USDT', limit: 400, ...(cursor ? { cursor } : {}) }));
      all.push(...p.items.map((e) => e.position));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toEqual(f.events.filter((x) => (x.event.data as { instrument?: string }).instrument === 'SYM7/USDT').map((x) => x.position.toString()));
  });
});
