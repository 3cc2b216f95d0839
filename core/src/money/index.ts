// Money: exact sums for cash, fees and PnL; rounding to the venue's tick and lot grids.
export { Dec, ZERO, addMoney, subtractMoney, mulMoney, sumMoney } from './decimal.ts';
export { roundToTick, roundToLot, roundPriceForSide, stepDecimals } from './rounding.ts';
export type { TickRounding } from './rounding.ts';
export { UNIT_DECIMALS, ONE_UNIT, toUnits, fromUnits, mulUnits, divUnits, unitsToString } from './fixed.ts';
