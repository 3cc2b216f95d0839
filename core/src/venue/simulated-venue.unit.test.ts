// The simulated venue's fill rules: each order type, slippage, fees, partial fills, latency, expiry and the intrabar assumption.
import { describe, expect, it } from 'vitest';
import type { OrderRequested } from '@qts/schemas';
import { SimulatedVenue, type SimulatedVenueConfig, type VenueEvent } from './simulated-venue.ts';

const MIN = 60_000;
const base: SimulatedVenueConfig = { slippageBps: 0, makerFeeBps: 2, takerFeeBps: 5, maxVolumeShare: 1, latencyMs: 0 };

function order(over: Partial<OrderRequested> & { clientOrderId: string }): OrderRequested {
  return {
    signalId: null, strategyId: 's', account: 'a', venue: 'sim', instrument: 'BTC/USDT', side: 'buy', type: 'market',
    quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts: 0, ...over,
  };
}

function bar(openTime: number, open: number, high: number, low: number, close: number, volume = 1000) {
  return { instrument: 'BTC/USDT', openTime, open, high, low, close, volume };
}

const fills = (events: readonly VenueEvent[]) => events.filter((e) => e.type === 'OrderFilled').map((e) => e.data as { clientOrderId: string; price: number; quantity: number; fee: number; liquidity: string; fillId: string; ts: number });
const types = (events: readonly VenueEvent[]) => events.map((e) => e.type);

describe('SimulatedVenue', () => {
  it('acknowledges an order with OrderSubmitted then OrderAccepted, and ignores a redelivered one', () => {
    const v = new SimulatedVenue(base);
    expect(types(v.submit(order({ clientOrderId: 'o1' }), 5))).toEqual(['OrderSubmitted', 'OrderAccepted']);
    expect(v.submit(order({ clientOrderId: 'o1' }), 6)).toEqual([]);
    expect(v.openOrders()).toHaveLength(1);
  });

  it('rejects a limit order without a limit price', () => {
    const v = new SimulatedVenue(base);
    const [e] = v.submit(order({ clientOrderId: 'o1', type: 'limit' }), 0);
    expect(e?.type).toBe('OrderRejected');
  });

  it('fills a market order at the next bar open, slipped against the buyer, with the taker fee on notional', () => {
    const v = new SimulatedVenue({ ...base, slippageBps: 10 });
    v.submit(order({ clientOrderId: 'o1', quantity: 2 }), MIN);
    const [f] = fills(v.onBar(bar(MIN, 100, 110, 90, 105)));
    expect(f?.price).toBeCloseTo(100.1, 10);
    expect(f?.quantity).toBe(2);
    expect(f?.fee).toBeCloseTo(100.1 * 2 * 5 / 10_000, 12);
    expect(f?.liquidity).toBe('taker');
    expect(f?.fillId).toBe('sim-o1-1');
    expect(v.hasOpenOrders).toBe(false);
  });

  it('slips a market sell down', () => {
    const v = new SimulatedVenue({ ...base, slippageBps: 100 });
    v.submit(order({ clientOrderId: 'o1', side: 'sell' }), 0);
    expect(fills(v.onBar(bar(0, 100, 101, 99, 100)))[0]?.price).toBeCloseTo(99, 10);
  });

  it('does not fill an order on a bar that opened before submit time + latency', () => {
    const v = new SimulatedVenue({ ...base, latencyMs: 30_000 });
    v.submit(order({ clientOrderId: 'o1' }), MIN);
    expect(fills(v.onBar(bar(MIN, 100, 100, 100, 100)))).toEqual([]);
    const [f] = fills(v.onBar(bar(2 * MIN, 101, 101, 101, 101)));
    expect(f?.price).toBe(101);
    expect(f?.ts).toBe(2 * MIN);
  });

  it('fills a buy limit only when the bar trades through it, at the limit, as a maker', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', type: 'limit', limitPrice: 95 }), 0);
    expect(fills(v.onBar(bar(0, 100, 101, 95, 100)))).toEqual([]); // touched, not through
    const [f] = fills(v.onBar(bar(MIN, 100, 101, 94.9, 100)));
    expect(f).toMatchObject({ price: 95, liquidity: 'maker' });
    expect(f?.fee).toBeCloseTo(95 * 2 / 10_000, 12);
  });

  it('fills a sell limit when the bar trades above it', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', side: 'sell', type: 'limit', limitPrice: 105 }), 0);
    expect(fills(v.onBar(bar(0, 100, 105, 99, 100)))).toEqual([]);
    expect(fills(v.onBar(bar(MIN, 100, 106, 99, 100)))[0]).toMatchObject({ price: 105, liquidity: 'maker' });
  });

  it('fills a limit that is marketable on arrival at the open, as a taker', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', type: 'limit', limitPrice: 105 }), 0);
    expect(fills(v.onBar(bar(0, 100, 101, 99, 100)))[0]).toMatchObject({ price: 100, liquidity: 'taker' });
  });

  it('fills a resting limit that the market gaps through at the open, as a taker, slipped but never past the limit', () => {
    const v = new SimulatedVenue({ ...base, slippageBps: 100 });
    v.submit(order({ clientOrderId: 'o1', type: 'limit', limitPrice: 95 }), 0);
    v.submit(order({ clientOrderId: 'o2', type: 'limit', limitPrice: 90.5 }), 0);
    v.onBar(bar(0, 100, 101, 99, 100));
    const f = fills(v.onBar(bar(MIN, 90, 92, 89, 91)));
    expect(f[0]).toMatchObject({ clientOrderId: 'o1', price: 90.9, liquidity: 'taker' });
    expect(f[1]).toMatchObject({ clientOrderId: 'o2', price: 90.5, liquidity: 'taker' });
  });

  it('triggers a sell stop on a touch and fills at the stop minus slippage', () => {
    const v = new SimulatedVenue({ ...base, slippageBps: 10 });
    v.submit(order({ clientOrderId: 'o1', side: 'sell', type: 'stop-market', stopPrice: 95 }), 0);
    expect(fills(v.onBar(bar(0, 100, 101, 95.01, 100)))).toEqual([]);
    expect(fills(v.onBar(bar(MIN, 100, 101, 95, 100)))[0]?.price).toBeCloseTo(95 * (1 - 0.001), 10);
  });

  it('fills a stop that the market gapped through at the open', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', side: 'sell', type: 'stop-market', stopPrice: 95 }), 0);
    expect(fills(v.onBar(bar(0, 90, 92, 88, 91)))[0]).toMatchObject({ price: 90, liquidity: 'taker' });
  });

  it('rests a stop-limit triggered inside a bar as a limit from the next bar', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', type: 'stop-limit', stopPrice: 105, limitPrice: 106 }), 0);
    expect(fills(v.onBar(bar(0, 100, 107, 99, 106)))).toEqual([]); // triggered at 105 intrabar
    expect(fills(v.onBar(bar(MIN, 107, 108, 105.5, 107)))[0]).toMatchObject({ price: 106, liquidity: 'maker' });
  });

  it('assumes the stop-loss hit first when stop-loss and take-profit both trigger in one bar, and cancels the take-profit', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'e', quantity: 1 }), 0);
    v.submit(order({ clientOrderId: 'tp', side: 'sell', type: 'limit', limitPrice: 110, reduceOnly: true, parentClientOrderId: 'e' }), 0);
    v.submit(order({ clientOrderId: 'sl', side: 'sell', type: 'stop-market', stopPrice: 90, reduceOnly: true, parentClientOrderId: 'e' }), 0);
    expect(fills(v.onBar(bar(0, 100, 100.5, 99.5, 100))).map((f) => f.clientOrderId)).toEqual(['e']);
    const events = v.onBar(bar(MIN, 100, 115, 85, 100));
    expect(fills(events)).toEqual([expect.objectContaining({ clientOrderId: 'sl', price: 90 })]);
    expect(events.find((e) => e.type === 'OrderCancelled')?.data).toMatchObject({ clientOrderId: 'tp' });
    expect(v.hasOpenOrders).toBe(false);
    expect(v.positionOf('BTC/USDT')).toBe(0);
  });

  it('holds protective children until the entry fills, and cancels them when the entry expires unfilled', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'e', type: 'limit', limitPrice: 50, timeInForce: 'IOC' }), 0);
    v.submit(order({ clientOrderId: 'sl', side: 'sell', type: 'stop-market', stopPrice: 200, reduceOnly: true, parentClientOrderId: 'e' }), 0);
    const events = v.onBar(bar(0, 100, 101, 99, 100));
    expect(fills(events)).toEqual([]);
    expect(types(events).sort()).toEqual(['OrderCancelled', 'OrderExpired']);
    expect(v.hasOpenOrders).toBe(false);
  });

  it('caps a fill at a share of the bar volume and carries the remainder to the next bars', () => {
    const v = new SimulatedVenue({ ...base, maxVolumeShare: 0.1 });
    v.submit(order({ clientOrderId: 'o1', quantity: 25 }), 0);
    const f1 = fills(v.onBar(bar(0, 100, 100, 100, 100, 100)));
    const f2 = fills(v.onBar(bar(MIN, 101, 101, 101, 101, 100)));
    const f3 = fills(v.onBar(bar(2 * MIN, 102, 102, 102, 102, 100)));
    expect([f1, f2, f3].map((f) => f.map((x) => [x.quantity, x.price, x.fillId]))).toEqual([
      [[10, 100, 'sim-o1-1']], [[10, 101, 'sim-o1-2']], [[5, 102, 'sim-o1-3']],
    ]);
    expect(v.hasOpenOrders).toBe(false);
  });

  it('fills an IOC order partially and expires the rest; a FOK order that cannot fill whole expires unfilled', () => {
    const v = new SimulatedVenue({ ...base, maxVolumeShare: 0.5 });
    v.submit(order({ clientOrderId: 'ioc', quantity: 10, timeInForce: 'IOC' }), 0);
    const e1 = v.onBar(bar(0, 100, 100, 100, 100, 8));
    expect(fills(e1).map((f) => f.quantity)).toEqual([4]);
    expect(types(e1)).toContain('OrderExpired');
    v.submit(order({ clientOrderId: 'fok', quantity: 10, timeInForce: 'FOK' }), MIN);
    const e2 = v.onBar(bar(MIN, 100, 100, 100, 100, 8));
    expect(fills(e2)).toEqual([]);
    expect(types(e2)).toEqual(['OrderExpired']);
  });

  it('expires a DAY order at the next UTC midnight', () => {
    const DAY = 86_400_000;
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'd', type: 'limit', limitPrice: 50, timeInForce: 'DAY' }), DAY + 10 * MIN);
    expect(v.onBar(bar(DAY + 20 * MIN, 100, 101, 99, 100))).toEqual([]);
    expect(types(v.onBar(bar(2 * DAY, 100, 101, 99, 100)))).toEqual(['OrderExpired']);
  });

  it('cancels a resting order once, and reports nothing for an unknown one', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', type: 'limit', limitPrice: 50 }), 0);
    expect(types(v.cancel('o1', 1))).toEqual(['OrderCancelled']);
    expect(v.cancel('o1', 2)).toEqual([]);
    expect(fills(v.onBar(bar(MIN, 40, 41, 39, 40)))).toEqual([]);
  });

  it('cancels a reduce-only order when there is no position left to reduce', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'x', side: 'sell', reduceOnly: true }), 0);
    const events = v.onBar(bar(0, 100, 100, 100, 100));
    expect(fills(events)).toEqual([]);
    expect(types(events)).toEqual(['OrderCancelled']);
  });

  it('fills on trade ticks with the same rules: a limit needs a trade through it', () => {
    const v = new SimulatedVenue(base);
    v.submit(order({ clientOrderId: 'o1', type: 'limit', limitPrice: 95 }), 0);
    const tick = (ts: number, price: number) => ({ venue: 'sim', instrument: 'BTC/USDT', price, size: 3, aggressor: 'sell' as const, ts });
    expect(fills(v.onTick(tick(1, 96)))).toEqual([]);
    expect(fills(v.onTick(tick(2, 95)))).toEqual([]);
    expect(fills(v.onTick(tick(3, 94.5)))[0]).toMatchObject({ price: 95, quantity: 1, ts: 3 });
  });

  it('never leverages a buy on a cash account: fills what the cash pays at the fill price, fee included, and cancels the rest', () => {
    let cash = 1_000;
    const v = new SimulatedVenue({ ...base, takerFeeBps: 10, lotStep: 0.001 }, () => cash);
    v.submit(order({ clientOrderId: 'o1', quantity: 10 }), 0); // sized at 100, the market opens at 125
    const events = v.onBar(bar(0, 125, 126, 124, 125));
    const [f] = fills(events);
    expect(f?.quantity).toBeCloseTo(7.992, 9); // floor(1000 / (125 * 1.001), 0.001)
    expect(f!.quantity * 125 + f!.fee).toBeLessThanOrEqual(1_000);
    expect(events.at(-1)).toMatchObject({ type: 'OrderCancelled' });
    cash = 0;
    v.submit(order({ clientOrderId: 'o2', quantity: 1 }), MIN);
    expect(types(v.onBar(bar(MIN, 125, 126, 124, 125)))).toEqual(['OrderCancelled']);
  });

  it('gives the same events for the same orders and bars', () => {
    const run = () => {
      const v = new SimulatedVenue({ ...base, maxVolumeShare: 0.3, slippageBps: 3 });
      const out: VenueEvent[] = [];
      out.push(...v.submit(order({ clientOrderId: 'a', quantity: 7 }), 0));
      out.push(...v.submit(order({ clientOrderId: 'b', side: 'sell', type: 'limit', limitPrice: 103, quantity: 2 }), 0));
      for (let i = 0; i < 5; i++) out.push(...v.onBar(bar(i * MIN, 100 + i, 104 + i, 99 + i, 101 + i, 10)));
      return JSON.stringify(out);
    };
    expect(run()).toBe(run());
  });
});
