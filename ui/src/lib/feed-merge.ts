// How a channel's deltas fold into its snapshot: rows are upserts by key, so a delta applied twice changes nothing.
import type { Bar } from './api.ts';

/** Whether a delta numbered `seq` follows the last one seen: apply it, ignore it (already in the snapshot), or resync. */
export function sequence(last: number, seq: number): 'apply' | 'stale' | 'gap' {
  if (seq === last + 1) return 'apply';
  return seq <= last ? 'stale' : 'gap';
}

/** Bars sorted by open time; a delta replaces the bars it repeats (the forming one) and appends the rest. */
export function mergeBars(current: readonly Bar[], delta: readonly Bar[]): Bar[] {
  const out = current.slice();
  for (const b of delta) {
    const last = out[out.length - 1];
    if (!last || b.openTime > last.openTime) { out.push(b); continue; }
    if (b.openTime === last.openTime) { out[out.length - 1] = b; continue; }
    let lo = 0;
    let hi = out.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (out[mid]!.openTime < b.openTime) lo = mid + 1; else hi = mid; }
    if (out[lo]?.openTime === b.openTime) out[lo] = b; else out.splice(lo, 0, b);
  }
  return out;
}

/** Newest first, one row per key; rows in the delta move to the top (`limit` keeps the list bounded). */
export function mergeNewestFirst<T>(current: readonly T[], delta: readonly T[], key: (row: T) => string, limit = 500): T[] {
  const fresh = new Map<string, T>();
  for (let i = delta.length - 1; i >= 0; i--) { const r = delta[i]!; if (!fresh.has(key(r))) fresh.set(key(r), r); }
  const out = [...fresh.values()];
  for (const r of current) if (!fresh.has(key(r))) out.push(r);
  return out.length > limit ? out.slice(0, limit) : out;
}

/** Replace rows by key in place of the old one; new keys go last. */
export function upsert<T>(current: readonly T[], delta: readonly T[], key: (row: T) => string): T[] {
  const byKey = new Map(delta.map((r) => [key(r), r]));
  const out = current.map((r) => { const k = key(r); const n = byKey.get(k); if (n) byKey.delete(k); return n ?? r; });
  out.push(...byKey.values());
  return out;
}

type Row = Record<string, unknown>;
const s = (r: unknown, f: string): string => String((r as Row)[f]);

/** The fold for each channel of the live feed. */
export function applyDelta(channel: string, current: unknown, delta: unknown): unknown {
  if (channel.startsWith('bars:')) return mergeBars((current as Bar[] | null) ?? [], delta as Bar[]);
  const rows = (current as Row[] | null) ?? [];
  switch (channel) {
    case 'orders': return mergeNewestFirst(rows, delta as Row[], (r) => s(r, 'clientOrderId'));
    case 'fills': return mergeNewestFirst(rows, delta as Row[], (r) => s(r, 'fillId'));
    case 'signals': return mergeNewestFirst(rows, delta as Row[], (r) => s(r, 'id'));
    case 'positions': return upsert(rows, delta as Row[], (r) => `${s(r, 'account')}|${s(r, 'strategyId')}|${s(r, 'instrument')}`);
    case 'pnl': return upsert(rows, delta as Row[], (r) => s(r, 'account'));
    case 'system': return { ...(current as Row | null), ...(delta as Row) };
    default: return delta;
  }
}

/** Two views of the same rows (the live feed, a fetch): per key, the row with the later `updatedAt`; order of `a` first. */
export function newestByKey<T extends { updatedAt: number }>(a: readonly T[], b: readonly T[], key: (row: T) => string): T[] {
  const out = new Map<string, T>();
  for (const r of a) out.set(key(r), r);
  for (const r of b) { const k = key(r); const cur = out.get(k); if (!cur || r.updatedAt > cur.updatedAt) out.set(k, r); }
  return [...out.values()];
}
