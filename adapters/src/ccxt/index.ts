// Live venues and market data through ccxt.
export { CcxtVenue } from './ccxt-venue.ts';
export type { CcxtVenueOptions, VenueLog } from './ccxt-venue.ts';
export { CcxtMarketData, BarCloser } from './market-data.ts';
export type { CcxtMarketDataOptions, MarketWatch } from './market-data.ts';
export { createCcxtExchange, baseUrlExchanges } from './exchange.ts';
export type { CcxtCredentials, CcxtExchangeOptions } from './exchange.ts';
export { classifyCcxtError, scrub } from './errors.ts';
export type { CcxtFailure } from './errors.ts';
