// Portfolio accounting from fills: cash, positions long and short, average price, realised and unrealised PnL.
import type { OrderFilled } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { Dec } from '../money/decimal.ts';
import { divUnits, fromUnits, mulUnits, toUnits, unitsToString } from '../money/fixed.ts';

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
 * One instrument's book. The exact amounts (BigInt units of 1e-18, see money/fixed.ts) are the truth;
 * quantity is mirrored as a number after each fill so per-bar reads are plain float arithmetic; the
 * average price, realised PnL and fees are converted when read.
 */
export class Position implements PositionView {
  quantity = 0;
  markPrice = Number.NaN;
  markTs = 0;
  qtyUnits = 0n;
  /** Cost basis of the open quantity (always positive); the average price is cost / |quantity|. */
  costUnits = 0n;
  realizedUnits = 0n;
  feesUnits = 0n;
  // Converting an exact amount to a number costs more than the arithmetic: done on first read only.
  private average = 0;
  private averageStale = false;
  constructor(readonly instrument: string) {}

  get averagePrice(): number {
    if (this.averageStale) {
      const held = this.qtyUnits < 0n ? -this.qtyUnits : this.qtyUnits;
      this.average = held === 0n ? 0 : fromUnits(divUnits(this.costUnits, held));
      this.averageStale = false;
    }
    return this.average;
  }

  get realizedPnl(): number {
    return fromUnits(this.realizedUnits);
  }

  get fees(): number {
    return fromUnits(this.feesUnits);
  }

  /** Called by applyFill after it moved the units. */
  touched(): void {
    this.quantity = fromUnits(this.qtyUnits);
    this.averageStale = true;
  }

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
 * exactly (fixed-point units of 1e-18) on fills, which are rare; marks and equity are float on the
 * per-bar path.
 */
export interface Portfolio {
  readonly currency: string;
  readonly startingCash: number;
  cash: number;
  readonly realizedPnl: number;
  readonly fees: number;
  cashUnits: bigint;
  realizedUnits: bigint;
  feesUnits: bigint;
  readonly positions: Map<string, Position>;
  /** The same positions as an array: iterating it allocates nothing. */
  readonly books: Position[];
  /** Fill ids already booked: a redelivered fill is not counted twice. */
  readonly fillIds: Set<string>;
  /** Realised PnL of the last applyFill (0 for a duplicate), for risk's cooldown after a loss. */
  readonly lastRealizedPnl: number;
  lastRealizedUnits: bigint;
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
  return new Ledger(currency, cash);
}

class Ledger implements Portfolio {
  readonly startingCash: number;
  cash: number;
  cashUnits: bigint;
  realizedUnits = 0n;
  feesUnits = 0n;
  readonly positions = new Map<string, Position>();
  readonly books: Position[] = [];
  readonly fillIds = new Set<string>();
  lastRealizedUnits = 0n;
  lastFillDuplicate = false;
  constructor(readonly currency: string, cash: number) {
    this.startingCash = cash;
    this.cashUnits = toUnits(cash);
    this.cash = fromUnits(this.cashUnits);
  }

  get realizedPnl(): number {
    return fromUnits(this.realizedUnits);
  }

  get fees(): number {
    return fromUnits(this.feesUnits);
  }

  get lastRealizedPnl(): number {
    return fromUnits(this.lastRealizedUnits);
  }
}

/**
 * Books a fill: cash moves by the traded value and the fee; the position grows at a weighted average
 * price, shrinks realising (price - average) * closed quantity with the average unchanged, and a fill
 * through zero closes the old side and opens the new at the fill price. Realised PnL is gross of fees;
 * fees are kept apart. A fee in the instrument's base asset is converted at the fill price. One
 * portfolio keeps one currency: a fill whose instrument is quoted in another is refused.
 */
export function applyFill(p: Portfolio, fill: OrderFilled): Portfolio {
  // Average-cost accounting: realised = proceeds - the closed share of the cost basis.
  if (p.fillIds.has(fill.fillId)) {
    p.lastRealizedUnits = 0n;
    p.lastFillDuplicate = true;
    return p;
  }
  const book = p.positions.get(fill.instrument) ?? openBook(p, fill.instrument);
  const price = toUnits(fill.price);
  const quantity = toUnits(fill.quantity);
  const fee = feeInQuote(p, fill, price);
  const buy = fill.side === 'buy';
  const traded = mulUnits(quantity, price);

  const before = book.qtyUnits;
  const after = buy ? before + quantity : before - quantity;
  let realized = 0n;
  if (before === 0n || (before < 0n) === !buy) {
    // Adding to the position (or opening it): the cost basis grows, the average is weighted.
    book.costUnits += traded;
  } else {
    const held = before < 0n ? -before : before;
    const closed = quantity < held ? quantity : held;
    // The closed share of the cost basis; all of it on a full close, so a round trip realises exactly
    // what was sold minus what was paid even when the average price has no finite decimal form.
    const removed = closed === held ? book.costUnits : roundedShare(book.costUnits, closed, held);
    const proceeds = closed === quantity ? traded : mulUnits(closed, price);
    realized = before < 0n ? removed - proceeds : proceeds - removed;
    book.costUnits -= removed;
    if (quantity > held) book.costUnits = mulUnits(quantity - held, price);
  }
  book.qtyUnits = after;
  book.realizedUnits += realized;
  book.feesUnits += fee;
  book.touched();
  if (fill.ts >= book.markTs) {
    book.markPrice = fill.price;
    book.markTs = fill.ts;
  }

  p.cashUnits += (buy ? -traded : traded) - fee;
  p.cash = fromUnits(p.cashUnits);
  p.realizedUnits += realized;
  p.feesUnits += fee;
  p.fillIds.add(fill.fillId);
  p.lastRealizedUnits = realized;
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
  let total = p.cashUnits;
  for (const book of p.books) {
    if (book.qtyUnits === 0n) continue;
    const mark = Number.isNaN(book.markPrice) ? divUnits(book.costUnits, book.qtyUnits < 0n ? -book.qtyUnits : book.qtyUnits) : toUnits(book.markPrice);
    total += mulUnits(book.qtyUnits, mark);
  }
  return new Dec(unitsToString(total));
}

/** An exact amount of the portfolio as a decimal string, e.g. amount(p.cashUnits) === '10013.394'. */
export function amount(units: bigint): string {
  return unitsToString(units);
}

/** cost * part / whole, rounded to the unit. */
function roundedShare(cost: bigint, part: bigint, whole: bigint): bigint {
  const n = cost * part;
  return (n + whole / 2n) / whole;
}

/** The first fill of an instrument: its cash legs must be in the portfolio's currency (one quote currency per portfolio). */
function openBook(p: Portfolio, instrument: string): Position {
  const slash = instrument.indexOf('/');
  if (slash >= 0 && instrument.slice(slash + 1) !== p.currency) {
    throw new ValidationError(`${instrument} settles in ${instrument.slice(slash + 1)}, but this portfolio keeps ${p.currency}`, [{ path: 'instrument', message: 'quote currency differs from the portfolio currency' }]);
  }
  return bookOf(p, instrument);
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

function feeInQuote(p: Portfolio, fill: OrderFilled, price: bigint): bigint {
  if (fill.fee === 0) return 0n;
  const slash = fill.instrument.indexOf('/');
  const quote = slash >= 0 ? fill.instrument.slice(slash + 1) : p.currency;
  if (fill.feeCurrency === '' || fill.feeCurrency === p.currency || fill.feeCurrency === quote) return toUnits(fill.fee);
  const base = slash >= 0 ? fill.instrument.slice(0, slash) : '';
  if (fill.feeCurrency === base) return mulUnits(toUnits(fill.fee), price);
  throw new ValidationError(`fee currency ${fill.feeCurrency} of fill ${fill.fillId} is neither ${quote} nor ${base}`, [{ path: 'feeCurrency', message: 'unsupported fee currency' }]);
}
