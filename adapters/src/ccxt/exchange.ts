// Builds a ccxt exchange for our use: credentials from the caller, rate limiter on, spot only, no hidden retries, URLs overridable.
import ccxt, { type Exchange } from 'ccxt';
import { ValidationError } from '@qts/core';

export interface CcxtCredentials {
  readonly apiKey: string;
  readonly secret: string;
}

export interface CcxtExchangeOptions {
  /** ccxt exchange id, e.g. 'binance'. */
  readonly exchange: string;
  /** Passed in by the composition root, read from the environment; never logged. */
  readonly credentials?: CcxtCredentials;
  /**
   * Where the REST (and websocket) API lives, instead of the exchange's production host: the local
   * stand-in in tests, or e.g. https://testnet.binance.vision. Binance's path layout (/api/v3, /ws-api/v3).
   */
  readonly baseUrl?: string;
  /** Websocket base, default derived from baseUrl (http -> ws). */
  readonly wsBaseUrl?: string;
  /** ccxt's sandbox switch (the exchange's own testnet URLs). */
  readonly sandbox?: boolean;
  /** Per request, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Use ccxt.pro (websocket methods) when the exchange has them. Default true. */
  readonly pro?: boolean;
}

/** Binance's URL table keys that point at the spot REST and websocket APIs. */
function binanceUrls(base: string, wsBase: string): Record<string, unknown> {
  const rest = base.replace(/\/+$/, '');
  const ws = wsBase.replace(/\/+$/, '');
  return {
    public: `${rest}/api/v3`,
    private: `${rest}/api/v3`,
    v1: `${rest}/api/v1`,
    sapi: `${rest}/sapi/v1`,
    sapiV2: `${rest}/sapi/v2`,
    sapiV3: `${rest}/sapi/v3`,
    sapiV4: `${rest}/sapi/v4`,
    ws: {
      spot: `${ws}/ws`,
      margin: `${ws}/ws`,
      'ws-api': { spot: `${ws}/ws-api/v3` },
    },
  };
}

/** The exchange ids whose URL layout we know how to redirect. */
export const baseUrlExchanges: readonly string[] = ['binance'];

export function createCcxtExchange(options: CcxtExchangeOptions): Exchange {
  const usePro = options.pro ?? true;
  const proClasses = ccxt.pro as unknown as Record<string, new (config: object) => Exchange>;
  const restClasses = ccxt as unknown as Record<string, new (config: object) => Exchange>;
  const Cls = (usePro ? proClasses[options.exchange] : undefined) ?? restClasses[options.exchange];
  if (typeof Cls !== 'function' || !(ccxt.exchanges as string[]).includes(options.exchange)) {
    throw new ValidationError(`unknown ccxt exchange '${options.exchange}'`, [{ path: 'exchange', message: 'not a ccxt exchange id' }]);
  }
  const exchange = new Cls({
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 10_000,
    ...(options.credentials ? { apiKey: options.credentials.apiKey, secret: options.credentials.secret } : {}),
    options: {
      defaultType: 'spot',
      // Only spot markets: no futures or options exchangeInfo calls, no private currency listing at load.
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      warnOnFetchOpenOrdersWithoutSymbol: false,
      fetchOpenOrders: { warnWithoutSymbol: false },
      // Retrying a request whose outcome is unknown could place an order twice; retries are ours.
      maxRetriesOnFailure: 0,
      // Signed requests carry our timestamp; a skewed machine clock would have them refused (-1021).
      adjustForTimeDifference: true,
    },
  });
  if (options.sandbox) exchange.setSandboxMode(true);
  if (options.baseUrl !== undefined) {
    if (!baseUrlExchanges.includes(options.exchange)) {
      throw new ValidationError(`--base-url is supported for ${baseUrlExchanges.join(', ')}; use sandbox for '${options.exchange}'`, [{ path: 'baseUrl', message: 'unsupported for this exchange' }]);
    }
    const wsBase = options.wsBaseUrl ?? options.baseUrl.replace(/^http/, 'ws');
    const urls = exchange.urls as Record<string, unknown>;
    urls['api'] = { ...(urls['api'] as object), ...binanceUrls(options.baseUrl, wsBase) };
  }
  return exchange;
}

/**
 * Async set-up ccxt needs before the first call: plain ws:// URLs (a local stand-in) go through an
 * http agent that ccxt loads lazily and refuses to connect without.
 */
export async function prepareExchange(exchange: Exchange): Promise<void> {
  const ws = (exchange.urls['api'] as Record<string, unknown> | undefined)?.['ws'];
  if (JSON.stringify(ws ?? '').includes('"ws://')) {
    await (exchange as unknown as { loadHttpProxyAgent(): Promise<unknown> }).loadHttpProxyAgent();
  }
}
