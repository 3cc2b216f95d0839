// The simulated venue for backtests and paper trading: order acceptance, fill rules, expiry, cancel.
export { SimulatedVenue, defaultVenueConfig, quoteCurrency } from './simulated-venue.ts';
export type { SimulatedVenueConfig, VenueEvent, OpenOrder } from './simulated-venue.ts';
export { limitFill, marketFill, stopMarketFill, stopTriggered, stopGapped, slipped } from './fill-rules.ts';
export type { BarPrices, FillPrice } from './fill-rules.ts';
