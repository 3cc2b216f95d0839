// Notices read as a trader would write them, and only the events a human needs become one.
import { describe, expect, it } from 'vitest';
import { makeEvent, uuidv7Ids } from '@qts/schemas';
import { noticeOf } from './notice.ts';

const ctx = (ts: number) => ({ id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts, correlationId: 'corr-1' });
const ts = Date.UTC(2026, 3, 1);

describe('noticeOf', () => {
  it('describes a fill with side, size, price, fee and order, carrying its correlation id', () => {
    const e = makeEvent('OrderFilled', {
      clientOrderId: 'o-1', instrument: 'BTC/USDT', venueOrderId: 'v1', fillId: 'f1', side: 'buy', price: 42_000.5, quantity: 0.015,
      fee: 0.63, feeCurrency: 'USDT', liquidity: 'taker', ts,
    }, ctx(ts));
    const n = noticeOf(e)!;
    expect(n).toMatchObject({ kind: 'fill', urgent: false, at: ts, correlationId: 'corr-1' });
    expect(n.text).toBe('Filled BUY 0.015 BTC/USDT @ 42000.5 (fee 0.63 USDT, taker) order o-1');
  });

  it('names a rejection\'s reason and numbers, and skips the reasons the config ignores', () => {
    const e = makeEvent('OrderRejected', {
      clientOrderId: 'o-2', signalId: 's', strategyId: 'sma-btc', instrument: 'ETH/USDT', reason: { kind: 'MaxOrderNotionalExceeded', limit: 1000, requested: 2500 }, ts,
    }, ctx(ts));
    expect(noticeOf(e)!.text).toBe('Rejected ETH/USDT order o-2 (strategy sma-btc): MaxOrderNotionalExceeded (limit 1000, requested 2500)');
    const idle = makeEvent('OrderRejected', { ...e.data, reason: { kind: 'NothingToDo', detail: 'flat' } }, ctx(ts + 1));
    expect(noticeOf(idle, new Set(['NothingToDo']))).toBeNull();
    expect(noticeOf(idle)!.kind).toBe('rejection');
  });

  it('makes halts and resumes urgent', () => {
    const halted = makeEvent('TradingHalted', { account: 'paper', reason: { kind: 'MaxDailyLoss', limit: 500, loss: 612.25 }, ts }, ctx(ts));
    expect(noticeOf(halted)).toMatchObject({ kind: 'halt', urgent: true, text: 'TRADING HALTED on account paper: MaxDailyLoss, daily loss 612.25 over the limit 500' });
    const resumed = makeEvent('TradingResumed', { account: 'paper', by: 'alice', note: 'reviewed', ts }, ctx(ts + 1));
    expect(noticeOf(resumed)).toMatchObject({ kind: 'halt', urgent: true, text: 'Trading resumed on account paper by alice: reviewed' });
  });

  it('says nothing about market data or signals', () => {
    const tick = makeEvent('TradeTick', { venue: 'x', instrument: 'BTC/USDT', price: 1, size: 1, aggressor: 'buy', ts }, ctx(ts));
    expect(noticeOf(tick)).toBeNull();
  });
});
