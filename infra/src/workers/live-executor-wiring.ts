// Wires the live executor for the composition root: the ccxt venue from config and secrets, start-up reconciliation, then the consumers.
import { topics } from '@qts/schemas';
import { ValidationError, type Bus, type Clock, type Consumer, type EventStore } from '@qts/core';
import { CcxtVenue } from '@qts/adapters';
import type { RuntimeConfig, Secrets } from '../runtime/config.ts';
import type { Logger } from '../runtime/log.ts';
import { LiveExecutor } from './live-executor.ts';

type CcxtVenueConfig = Extract<RuntimeConfig['venue'], { kind: 'ccxt' }>;

export interface LiveWiringDeps {
  readonly bus: Bus;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Something the runtime stops with its consumers (in reverse start order). */
export function stopper(stop: () => Promise<void>): Consumer {
  return { assignment: () => [], stop };
}

/** What the runtime config asks for that a live spot account cannot do, as one error naming each. */
export function refuseUnsupportedLive(config: RuntimeConfig): void {
  const issues: { path: string; message: string }[] = [];
  if (config.executor.allowShort) issues.push({ path: 'executor.allowShort', message: 'spot accounts cannot sell short' });
  if (config.executor.stopLossPct !== undefined) issues.push({ path: 'executor.stopLossPct', message: 'protective orders are not managed on a live venue yet (no one-cancels-other)' });
  if (config.executor.takeProfitPct !== undefined) issues.push({ path: 'executor.takeProfitPct', message: 'protective orders are not managed on a live venue yet (no one-cancels-other)' });
  if (issues.length > 0) throw new ValidationError(`the live ccxt venue cannot run this configuration:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`, issues);
}

/**
 * Connects to the exchange (markets, trading rules), rebuilds and reconciles the executor, and only
 * then consumes signals, bars and operator events. The returned consumers stop the executor and close
 * the venue after the last handler has finished.
 */
export async function startLiveExecutor(config: RuntimeConfig, venueConfig: CcxtVenueConfig, secrets: Secrets, deps: LiveWiringDeps): Promise<{ executor: LiveExecutor; consumers: Consumer[] }> {
  refuseUnsupportedLive(config);
  if (!secrets.exchangeApiKey || !secrets.exchangeSecret) {
    throw new ValidationError('the live ccxt venue needs QTS_EXCHANGE_API_KEY and QTS_EXCHANGE_SECRET (or *_FILE) in the environment', [
      { path: 'QTS_EXCHANGE_API_KEY', message: secrets.exchangeApiKey ? 'set' : 'missing' },
      { path: 'QTS_EXCHANGE_SECRET', message: secrets.exchangeSecret ? 'set' : 'missing' },
    ]);
  }
  const { bus, clock, log } = deps;
  const venue = await CcxtVenue.connect({
    exchange: venueConfig.exchange,
    credentials: { apiKey: secrets.exchangeApiKey, secret: secrets.exchangeSecret },
    ...(venueConfig.baseUrl !== undefined ? { baseUrl: venueConfig.baseUrl } : {}),
    sandbox: venueConfig.sandbox,
    timeoutMs: venueConfig.timeoutMs,
    updates: venueConfig.updates,
    clock,
    log: log.child({ component: 'venue' }),
  });
  const instruments = [...new Set(config.strategies.map((s) => s.instrument))];
  const { sizing, allowShort } = config.executor;
  const executor = new LiveExecutor({
    account: config.account, cash: config.cash, instruments, maxSignalAgeMs: venueConfig.maxSignalAgeMs,
    desk: { executor: { sizing, allowShort }, limits: config.risk },
  }, { ...deps, venue });
  const consumers: Consumer[] = [stopper(async () => { await executor.stop(); await venue.close(); })];
  try {
    await warnOnBalance(venue, instruments, config.cash, log);
    const started = await executor.start();
    log.info({ venue: venue.name, ...started }, 'live executor reconciled with the exchange');
  } catch (e) {
    await consumers[0]!.stop();
    throw e;
  }
  consumers.push(await bus.consume({ groupId: 'executor.risk', topics: [topics.risk], fromBeginning: true, handler: async (e) => { if (e.type === 'TradingHalted' || e.type === 'TradingResumed') await executor.onRisk(e); } }));
  consumers.push(await bus.consume({ groupId: 'executor.bars', topics: [topics.bars], fromBeginning: true, handler: async (e) => { if (e.type === 'BarClosed') await executor.onBar(e); } }));
  consumers.push(await bus.consume({ groupId: 'executor.signals', topics: [topics.signals], fromBeginning: true, handler: async (e) => { if (e.type === 'SignalEmitted') await executor.onSignal(e); } }));
  return { executor, consumers };
}

/** The books' budgets should be in the account: say so at start rather than at the first refused order. */
async function warnOnBalance(venue: CcxtVenue, instruments: readonly string[], cashPerBook: number, log: Logger): Promise<void> {
  const balances = await venue.fetchBalance();
  const needed = new Map<string, number>();
  for (const i of instruments) {
    const quote = i.slice(i.indexOf('/') + 1);
    needed.set(quote, (needed.get(quote) ?? 0) + cashPerBook);
  }
  for (const [currency, amount] of needed) {
    const free = balances.find((b) => b.currency === currency)?.free ?? 0;
    if (free < amount) log.warn({ currency, free, budget: amount }, 'the exchange account holds less than the books may spend; orders beyond it will be refused by the exchange');
    else log.info({ currency, free, budget: amount }, 'exchange balance covers the books');
  }
}
