// Feeds the WebSocket hub: snapshots from the read models, and after each committed batch the rows it changed.
import { timeframeToMs, type DomainEvent, type Timeframe } from '@qts/schemas';
import type { ReadModels } from '@qts/adapters';
import type { ReadDb } from './db.ts';
import type { Projector } from './projector.ts';
import type { Positioned } from './projection.ts';
import { orderView } from './read-models.ts';

/** What the feed needs from the hub (adapters' WsHub implements it). */
export interface Publisher {
  publish(channel: string, data: unknown): void;
  hasSubscribers(channel: string): boolean;
  activeChannels(): string[];
}

const n = (v: unknown): number => Number(v);
const SNAPSHOT_ROWS = 500;

function barRow(r: { venue: string; instrument: string; timeframe: string; open_time: unknown; close_time: unknown; open: unknown; high: unknown; low: unknown; close: unknown; volume: unknown; source: string }) {
  return {
    venue: r.venue, instrument: r.instrument, timeframe: r.timeframe, openTime: n(r.open_time), closeTime: n(r.close_time),
    open: n(r.open), high: n(r.high), low: n(r.low), close: n(r.close), volume: n(r.volume), source: r.source,
  };
}

function fillRow(f: { fill_id: string; client_order_id: string; instrument: string; side: string; price: unknown; quantity: unknown; fee: unknown; fee_currency: string; liquidity: string; ts: unknown }) {
  return { fillId: f.fill_id, clientOrderId: f.client_order_id, instrument: f.instrument, side: f.side, price: n(f.price), quantity: n(f.quantity), fee: n(f.fee), feeCurrency: f.fee_currency, liquidity: f.liquidity, ts: n(f.ts) };
}

function signalRow(e: DomainEvent<'SignalEmitted'>) {
  const d = e.data;
  return { id: e.id, strategyId: d.strategyId, instrument: d.instrument, direction: d.direction, strength: d.strength, price: d.price, asOf: d.asOf, reason: d.reason, correlationId: e.correlationId, model: d.model ?? null };
}

export interface LiveFeed {
  snapshot(channel: string): Promise<unknown>;
  /** Resolves when every delta computed so far has been published. */
  idle(): Promise<void>;
  stop(): void;
}

export function createLiveFeed(projector: Projector, db: ReadDb, read: ReadModels, hub: () => Publisher): LiveFeed {
  let chain: Promise<void> = Promise.resolve();

  const positionsFor = async (instruments: string[]) => {
    const all = await read.positions({ strategyId: 'all', openOnly: false, account: undefined });
    const set = new Set(instruments);
    return all.filter((p) => set.has(p.instrument));
  };

  async function deltas(batch: readonly Positioned[]): Promise<void> {
    const h = hub();
    const orderIds = new Set<string>();
    const fillIds: string[] = [];
    const signals: ReturnType<typeof signalRow>[] = [];
    const priced = new Map<string, number>();
    let system = false;
    for (const { event: e } of batch) {
      switch (e.type) {
        case 'SignalEmitted': signals.push(signalRow(e)); break;
        case 'OrderFilled': fillIds.push(e.data.fillId); orderIds.add(e.data.clientOrderId); priced.set(e.data.instrument, Math.min(priced.get(e.data.instrument) ?? Infinity, e.data.ts)); break;
        case 'BarClosed': priced.set(e.data.instrument, Math.min(priced.get(e.data.instrument) ?? Infinity, e.data.openTime)); break;
        case 'TradeTick': priced.set(e.data.instrument, Math.min(priced.get(e.data.instrument) ?? Infinity, e.data.ts)); break;
        case 'RiskLimitBreached': case 'TradingHalted': case 'TradingResumed':
        case 'StrategyStarted': case 'StrategyStopped': case 'StrategyParamsChanged': system = true; break;
        default:
          if (e.type.startsWith('Order')) orderIds.add((e.data as { clientOrderId: string }).clientOrderId);
      }
    }
    if (signals.length > 0) h.publish('signals', signals);
    if (orderIds.size > 0 && h.hasSubscribers('orders')) {
      const rows = await db.selectFrom('orders').selectAll().where('client_order_id', 'in', [...orderIds]).execute();
      h.publish('orders', rows.map(orderView));
    }
    if (fillIds.length > 0 && h.hasSubscribers('fills')) {
      const rows = await db.selectFrom('fills').selectAll().where('fill_id', 'in', fillIds).orderBy('ts').execute();
      h.publish('fills', rows.map(fillRow));
    }
    if (priced.size > 0 && (h.hasSubscribers('positions') || h.hasSubscribers('pnl'))) {
      const rows = await positionsFor([...priced.keys()]);
      if (rows.length > 0) {
        h.publish('positions', rows);
        h.publish('pnl', await read.equity());
      }
    }
    for (const channel of h.activeChannels()) {
      if (!channel.startsWith('bars:')) continue;
      const [, instrument, tf] = channel.split(':') as [string, string, Timeframe];
      const from = priced.get(instrument);
      if (from === undefined) continue;
      const ms = timeframeToMs(tf);
      const rows = await db.selectFrom('bars').selectAll().where('instrument', '=', instrument).where('timeframe', '=', tf)
        .where('open_time', '>=', from - (from % ms)).orderBy('open_time').orderBy('venue').limit(SNAPSHOT_ROWS).execute();
      if (rows.length > 0) h.publish(channel, rows.map(barRow));
    }
    if (system && h.hasSubscribers('system')) h.publish('system', { risk: await read.riskStates(), strategies: await read.strategies() });
  }

  const unsubscribe = projector.onCommitted((batch) => {
    chain = chain.then(() => deltas(batch)).catch(() => undefined);
  });

  return {
    async snapshot(channel) {
      if (channel.startsWith('bars:')) {
        const [, instrument, tf] = channel.split(':') as [string, string, string];
        const rows = await db.selectFrom('bars').selectAll().where('instrument', '=', instrument).where('timeframe', '=', tf)
          .orderBy('open_time', 'desc').orderBy('venue', 'desc').limit(SNAPSHOT_ROWS).execute();
        return rows.reverse().map(barRow);
      }
      switch (channel) {
        case 'signals': return (await read.signals({ limit: 100, cursor: undefined, strategyId: undefined, instrument: undefined })).items;
        case 'orders': return (await read.orders({ limit: 100, cursor: undefined, status: undefined, instrument: undefined, strategyId: undefined, account: undefined })).items;
        case 'fills': return (await db.selectFrom('fills').selectAll().orderBy('ts', 'desc').orderBy('fill_id', 'desc').limit(100).execute()).map(fillRow);
        case 'positions': return read.positions({ strategyId: 'all', openOnly: false, account: undefined });
        case 'pnl': return read.equity();
        case 'system': return { risk: await read.riskStates(), strategies: await read.strategies(), checkpoints: await read.checkpoints() };
        default: throw new Error(`no such channel '${channel}'`);
      }
    },
    idle: () => chain,
    stop: unsubscribe as () => void,
  };
}
