// Technical indicators: streaming forms for the hot path and tulind batch forms that they are held equal to.
export type { StreamingIndicator, CloseIndicator, HlcIndicator, CloseVolumeIndicator } from './port.ts';
export { Sma } from './sma.ts';
export { Ema } from './ema.ts';
export { Wma } from './wma.ts';
export { Macd } from './macd.ts';
export type { MacdValue } from './macd.ts';
export { Rsi } from './rsi.ts';
export { BollingerBands } from './bollinger.ts';
export type { BollingerValue } from './bollinger.ts';
export { Atr } from './atr.ts';
export { Stochastic } from './stochastic.ts';
export type { StochasticValue } from './stochastic.ts';
export { Adx } from './adx.ts';
export { Obv } from './obv.ts';
export { trueRange } from './true-range.ts';
export {
  tulipVersion, tulindBatch, tulindLookback,
  smaBatch, emaBatch, wmaBatch, macdBatch, rsiBatch, bollingerBatch, atrBatch, stochasticBatch, adxBatch, obvBatch,
} from './batch.ts';
export type { Series, Aligned } from './batch.ts';
