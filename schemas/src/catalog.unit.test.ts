// Every event type is mapped to a topic, a stream and a key, and exports a JSON Schema per version.
import { describe, expect, it } from 'vitest';
import { catalog, eventTypes } from './catalog.ts';
import { jsonSchemas } from './json-schema.ts';

describe('catalog', () => {
  it('covers market data, signals, the order lifecycle, risk and strategy control', () => {
    expect(eventTypes).toEqual(expect.arrayContaining([
      'TradeTick', 'QuoteUpdated', 'BarClosed', 'SignalEmitted', 'BarEvaluated', 'OrderRequested', 'OrderRejected', 'OrderSubmitted',
      'OrderAccepted', 'OrderFilled', 'OrderCancelRequested', 'OrderCancelled', 'OrderExpired', 'RiskLimitBreached',
      'TradingHalted', 'TradingResumed', 'StrategyStarted', 'StrategyStopped', 'StrategyParamsChanged', 'StrategyParamsRejected',
      'ModelTrained', 'ModelPromoted', 'ModelRetired', 'ExperimentStarted', 'ExperimentSignalRecorded', 'ExperimentConcluded',
    ]));
  });

  it('keeps all events of one order in one stream, keyed by instrument', () => {
    const d = { clientOrderId: 'o-1', instrument: 'ETH/USDT' } as never;
    const streams = new Set(['OrderRequested', 'OrderFilled', 'OrderCancelled'].map((t) => catalog[t as 'OrderFilled'].stream(d)));
    expect([...streams]).toEqual(['order-o-1']);
    expect(catalog.OrderFilled.key(d)).toBe('ETH/USDT');
  });

  it('writes a JSON Schema for every version of every type', () => {
    const schemas = jsonSchemas();
    for (const type of eventTypes) expect(schemas[`${type}.v${catalog[type].latest}.schema.json`]).toBeDefined();
    expect(schemas['BarClosed.v1.schema.json']).toMatchObject({ 'x-latest': false });
    expect(schemas['BarClosed.v2.schema.json']).toMatchObject({ 'x-latest': true, required: expect.arrayContaining(['venue', 'closeTime']) });
  });
});
