// Portfolio accounting from fills: cash, positions long and short, average price, realised and unrealised PnL.
import type { OrderFilled } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { Dec, ZERO } from '../money/decimal.ts';

/**
 * A partial close takes its share of the cost basis rounded to this many decimals: fixed places (not
 * significant digits) keep every later sum exact within decimal.js's 34 digits.
 */
const COST_DECIMALS = 18;

/** What a user reads about one instrument's position. */
export interface PositionView {
  readonly instrument: string;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
  /** Average entry price of the open quantity; 0 when flat. */
  readonly averagePrice: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** Fees paid on this instrument, in the portfolio's currency. */
  readonly fees: number;
  /** Last mark (or fill) price; NaN before the first. */
  readonly markPrice: number;
}

/**
 * One instrument's book. The exact decimals are the truth; the number fields mirror them after each
 * fill so per-bar reads are plain float arithmetic.
 */
export class Position implements PositionView {
  quantity = 0;
  averagePrice = 0;
  realizedPnl = 0;
  fees = 0;
  markPrice = Number.NaN;
  markTs = 0;
  qtyExact: Dec = ZERO;
  averageExact: Dec = ZERO;
  /** Cost basis of the open quantity (always positive); the average price is cost / |quantity|. */
  costExact: Dec = ZERO;
  realizedExact: Dec = ZERO;
  feesExact: Dec = ZERO;
  constructor(readonly instrument: string) {}

  get unrealizedPnl(): number {
    return this.quantity === 0 || Number.isNaN(this.markPrice) ? 0 : (this.markPrice - this.averagePrice) * this.quantity;
  }

  /** Signed market value: quantity * mark (a short is negative). */
  get value(): number {
    return this.quantity === 0 ? 0 : this.quantity * (Number.isNaN(this.markPrice) ? this.averagePrice : this.markPrice);
  }
}

/**
 * The account's books, updated in place by applyFill and markPrice (deterministic functions of their
 * inputs: the same fills and marks give the same portfolio). Cash, fees and realised PnL are summed
 * exactly (decimal.js) on fills, which are rare; marks and equity are float on the per-bar path.
 */
export interface Portfolio {
  readonly currency: string;
  readonly startingCash: number;
  cash: number;
  realizedPnl: number;
  fees: number;
  cashExact: Dec;
  realizedExact: Dec;
  feesExact: Dec;
  readonly positions: Map<string, Position>;
  /** The same positions as an array: iterating it allocates nothing. */
  readonly books: Position[];
  /** Fill ids already booked: a redelivered fill is not counted twice. */
  readonly fillIds: Set<string>;
  /** Realised PnL of the last applyFill (0 for a duplicate), for risk's cooldown after a loss. */
  lastRealizedPnl: number;
  /** Whether the last applyFill was a duplicate that changed nothing. */
  lastFillDuplicate: boolean;
}

export interface EquityPoint {
  readonly ts: number;
  readonly equity: number;
  readonly cash: number;
  readonly grossExposure: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
}

/** A portfolio holding only cash. emptyPortfolio(10_000, 'USDT') */
export function emptyPortfolio(cash: number, currency = 'USDT'): Portfolio {
  if (!Number.isFinite(cash)) throw new ValidationError(`starting cash must be a finite number, got ${cash}`, [{ path: 'cash', message: 'not finite' }]);
  const exact = new Dec(cash);
  return {
    currency, startingCash: cash, cash: exact.toNumber(), realizedPnl: 0, fees: 0,
    cashExact: exact, realizedExact: ZERO, feesExact: ZERO,
    positions: new Map(), books: [], fillIds: new Set(), lastRealizedPnl: 0, lastFillDuplicate: false,
  };
}

/**
 * Books a fill: cash moves by the traded value and the fee; the position grows at a weighted average
 * price, shrinks realising (price - average) * closed quantity with the average unchanged, and a fill
 * through zero closes the old side and opens the new at the fill price. Realised PnL is gross of fees;
 * fees are kept apart. A fee in the instrument's base asset is converted at the fill price.
 */
export function applyFill(p: Portfolio, fill: OrderFilled): Portfolio {
  // Cost-basis accounting: realised = proceeds - the closed share of the cost basis (average cost method).
  if (p.fillIds.has(fill.fillId)) {
    p.lastRealizedPnl = 0;
    p.lastFillDuplicate = true;
    return p;
  }
  const book = bookOf(p, fill.instrument);
  const price = new Dec(fill.price);
  const quantity = new Dec(fill.quantity);
  const fee = feeInQuote(p, fill);
  const signed = fill.side === 'buy' ? quantity : quantity.neg();

  const before = book.qtyExact;
  const after = before.plus(signed);
  let realized = ZERO;
  if (before.isZero() || before.isNeg() === signed.isNeg()) {
    // Adding to the position (or opening it): the cost basis grows, the average is weighted.
    book.costExact = book.costExact.plus(quantity.times(price));
  } else {
    const held = before.abs();
    const closed = Dec.min(held, quantity);
    // The closed share of the cost basis; all of it on a full close, so a round trip realises exactly
    // what was sold minus what was paid even when the average price has no finite decimal form.
    const removed = closed.eq(held) ? book.costExact : book.costExact.times(closed).div(held).toDecimalPlaces(COST_DECIMALS);
    const proceeds = closed.times(price);
    realized = before.isNeg() ? removed.minus(proceeds) : proceeds.minus(removed);
    book.costExact = book.costExact.minus(removed);
    if (quantity.gt(held)) book.costExact = quantity.minus(held).times(price);
  }
  book.averageExact = after.isZero() ? ZERO : book.costExact.div(after.abs());
  book.qtyExact = after;
  book.realizedExact = book.realizedExact.plus(realized);
  book.feesExact = book.feesExact.plus(fee);
  book.quantity = after.toNumber();
  book.averagePrice = book.averageExact.toNumber();
  book.realizedPnl = book.realizedExact.toNumber();
  book.fees = book.feesExact.toNumber();
  if (fill.ts >= book.markTs) {
    book.markPrice = fill.price;
    book.markTs = fill.ts;
  }

  p.cashExact = p.cashExact.minus(signed.times(price)).minus(fee);
  p.realizedExact = p.realizedExact.plus(realized);
  p.feesExact = p.feesExact.plus(fee);
  p.cash = p.cashExact.toNumber();
  p.realizedPnl = p.realizedExact.toNumber();
  p.fees = p.feesExact.toNumber();
  p.fillIds.add(fill.fillId);
  p.lastRealizedPnl = realized.toNumber();
  p.lastFillDuplicate = false;
  return p;
}

/** Marks an instrument at a price (a bar's close); allocation-free once the instrument has a book. */
export function markPrice(p: Portfolio, instrument: string, price: number, ts: number): Portfolio {
  const book = p.positions.get(instrument) ?? bookOf(p, instrument);
  book.markPrice = price;
  book.markTs = ts;
  return p;
}

/** cash + the signed market value of every position. */
export function equity(p: Portfolio): number {
  let total = p.cash;
  const books = p.books;
  for (let i = 0; i < books.length; i++) total += (books[i] as Position).value;
  return total;
}

/** Sum of |position| * mark over instruments. */
export function grossExposure(p: Portfolio): number {
  let total = 0;
  const books = p.books;
  for (let i = 0; i < books.length; i++) total += Math.abs((books[i] as Position).value);
  return total;
}

export function unrealizedPnl(p: Portfolio): number {
  let total = 0;
  const books = p.books;
  for (let i = 0; i < books.length; i++) total += (books[i] as Position).unrealizedPnl;
  return total;
}

/** The instrument's live position book (read it, do not write it), or a flat view when it never traded or was marked. */
export function positionOf(p: Portfolio, instrument: string): PositionView {
  return p.positions.get(instrument) ?? { instrument, quantity: 0, averagePrice: 0, realizedPnl: 0, unrealizedPnl: 0, fees: 0, markPrice: Number.NaN };
}

/** One point of the equity curve at ts (allocates the point; call it at the sampling rate you keep). */
export function equityPoint(p: Portfolio, ts: number): EquityPoint {
  return { ts, equity: equity(p), cash: p.cash, grossExposure: grossExposure(p), realizedPnl: p.realizedPnl, unrealizedPnl: unrealizedPnl(p), fees: p.fees };
}

/** Equity computed exactly in decimals from the books, for reports and reconciliation. */
export function equityExact(p: Portfolio): Dec {
  let total = p.cashExact;
  for (const book of p.books) {
    const mark = Number.isNaN(book.markPrice) ? book.averageExact : new Dec(book.markPrice);
    total = total.plus(book.qtyExact.times(mark));
  }
  return total;
}

function bookOf(p: Portfolio, instrument: string): Position {
  let book = p.positions.get(instrument);
  if (book === undefined) {
    book = new Position(instrument);
    p.positions.set(instrument, book);
    p.books.push(book);
  }
  return book;
}

function feeInQuote(p: Portfolio, fill: OrderFilled): Dec {
  const slash = fill.instrument.indexOf('/');
  const base = slash >= 0 ? fill.instrument.slice(0, slash) : '';
  const quote = slash >= 0 ? fill.instrument.slice(slash + 1) : p.currency;
  if (fill.fee === 0 || fill.feeCurrency === '' || fill.feeCurrency === p.currency || fill.feeCurrency === quote) return new Dec(fill.fee);
  if (fill.feeCurrency === base) return new Dec(fill.fee).times(fill.price);
  throw new ValidationError(`fee currency ${fill.feeCurrency} of fill ${fill.fillId} is neither ${quote} nor ${base}`, [{ path: 'feeCurrency', message: 'unsupported fee currency' }]);
}
