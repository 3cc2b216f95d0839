// Invariants of the simulated venue over random bars and orders: no overfill, prices inside the bar, latency, volume cap, cash, one ending per order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { OrderRequested } from '@qts/schemas';
import { SimulatedVenue, type VenueEvent } from './simulated-venue.ts';

const MIN = 60_000;

const barArb = fc.record({
  open: fc.double({ min: 50, max: 150, noNaN: true }),
  up: fc.double({ min: 0, max: 10, noNaN: true }),
  down: fc.double({ min: 0, max: 10, noNaN: true }),
  closeAt: fc.double({ min: 0, max: 1, noNaN: true }),
  volume: fc.double({ min: 0, max: 50, noNaN: true }),
});

const orderArb = fc.record({
  at: fc.nat({ max: 19 }),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('market' as const, 'limit' as const, 'stop-market' as const, 'stop-limit' as const),
  quantity: fc.double({ min: 0.01, max: 20, noNaN: true }),
  price: fc.double({ min: 50, max: 150, noNaN: true }),
  offset: fc.double({ min: 0, max: 5, noNaN: true }),
  tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'DAY' as const),
});

describe('SimulatedVenue invariants', () => {
  it('never overfills, fills inside the bar after the latency, within the volume cap and the cash, and ends each order once', () => {
    fc.assert(fc.property(
      fc.array(barArb, { minLength: 20, maxLength: 20 }), fc.array(orderArb, { maxLength: 12 }),
      fc.double({ min: 0.05, max: 1, noNaN: true }), fc.constantFrom(0, 30_000, 90_000), fc.double({ min: 0, max: 5_000, noNaN: true }),
      (rawBars, rawOrders, share, latencyMs, startCash) => {
        let cash = startCash;
        const venue = new SimulatedVenue({ slippageBps: 0, makerFeeBps: 1, takerFeeBps: 5, maxVolumeShare: share, latencyMs }, () => cash);
        const bars = rawBars.map((b, i) => {
          const high = b.open + b.up;
          const low = Math.max(1, b.open - b.down);
          return { instrument: 'X/USD', openTime: i * MIN, open: b.open, high, low, close: low + (high - low) * b.closeAt, volume: b.volume };
        });
        const orders = new Map<string, OrderRequested>();
        const events: VenueEvent[] = [];
        for (const [t, bar] of bars.entries()) {
          const fills = venue.onBar(bar);
          for (const e of fills) {
            events.push(e);
            if (e.type === 'OrderFilled') cash += (e.data.side === 'buy' ? -1 : 1) * e.data.price * e.data.quantity - e.data.fee;
          }
          // Orders submitted at this bar's close may trade from the next bar.
          rawOrders.filter((o) => o.at === t).forEach((o, k) => {
            const id = `o${t}-${k}`;
            const order: OrderRequested = {
              clientOrderId: id, signalId: null, strategyId: 's', account: 'a', venue: 'sim', instrument: 'X/USD', side: o.side, type: o.type,
              quantity: o.quantity, timeInForce: o.tif, reduceOnly: false, ts: bar.openTime + MIN,
              ...(o.type === 'limit' || o.type === 'stop-limit' ? { limitPrice: o.price + (o.type === 'stop-limit' ? (o.side === 'buy' ? o.offset : -o.offset) : 0) } : {}),
              ...(o.type === 'stop-market' || o.type === 'stop-limit' ? { stopPrice: o.price } : {}),
            };
            orders.set(id, order);
            events.push(...venue.submit(order, order.ts));
          });
        }
        const filled = new Map<string, number>();
        const ended = new Map<string, number>();
        const perBar = new Map<number, number>();
        for (const e of events) {
          const id = e.data.clientOrderId;
          const order = orders.get(id)!;
          if (e.type === 'OrderFilled') {
            expect(ended.has(id)).toBe(false);
            const bar = bars.find((b) => b.openTime === e.data.ts)!;
            expect(bar).toBeDefined();
            expect(e.data.ts).toBeGreaterThanOrEqual(order.ts + latencyMs);
            expect(e.data.price).toBeGreaterThanOrEqual(bar.low - 1e-9);
            expect(e.data.price).toBeLessThanOrEqual(bar.high + 1e-9);
            filled.set(id, (filled.get(id) ?? 0) + e.data.quantity);
            perBar.set(e.data.ts, (perBar.get(e.data.ts) ?? 0) + e.data.quantity);
            if (order.type === 'limit') expect(order.side === 'buy' ? e.data.price <= order.limitPrice! : e.data.price >= order.limitPrice!).toBe(true);
          }
          if (e.type === 'OrderCancelled' || e.type === 'OrderExpired' || e.type === 'OrderRejected') {
            expect(ended.has(id)).toBe(false);
            ended.set(id, 1);
          }
        }
        for (const [id, q] of filled) {
          expect(q).toBeLessThanOrEqual(orders.get(id)!.quantity * (1 + 1e-12));
          if (orders.get(id)!.timeInForce === 'FOK') expect(q).toBeCloseTo(orders.get(id)!.quantity, 9);
        }
        for (const [ts, q] of perBar) {
          const bar = bars.find((b) => b.openTime === ts)!;
          if (share < 1) expect(q).toBeLessThanOrEqual(share * bar.volume * (1 + 1e-9) + 1e-9);
        }
        // Buys are never leveraged: cash only goes negative through fees on sells of nothing, which cannot happen here.
        expect(cash).toBeGreaterThanOrEqual(-1e-6);
      },
    ), { numRuns: 300, seed: 20_261_125 });
  });
});
