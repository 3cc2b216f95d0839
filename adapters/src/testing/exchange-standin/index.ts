// The exchange stand-in: a local server speaking Binance spot's REST API to the real ccxt client.
export { BinanceStandin, defaultStandinMarkets } from './binance-standin.ts';
export type { BinanceStandinOptions, RecordedRequest, StandinBar } from './binance-standin.ts';
export { standinBarsFromCsv } from './bars.ts';
export { StandinStreams } from './ws-streams.ts';
export { SpotEngine, BinanceError, INSUFFICIENT_BALANCE, DUPLICATE_ORDER } from './spot-engine.ts';
export type { BinanceOrder, BinanceTrade, StandinMarket } from './spot-engine.ts';
