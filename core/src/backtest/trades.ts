// Round-trip trades from fills: a trade opens when a position leaves flat and closes when it returns to flat (a flip closes one and opens the next).
import type { Side } from '@qts/schemas';

export interface RoundTrip {
  readonly direction: 'long' | 'short';
  readonly instrument: string;
  readonly entryTime: number;
  readonly exitTime: number;
  /** Volume-weighted price of the fills that built the position. */
  readonly entryPrice: number;
  /** Volume-weighted price of the fills that closed it. */
  readonly exitPrice: number;
  /** Total quantity entered (scaling in adds to it). */
  readonly quantity: number;
  /** Net of the fees of its fills (a flip's fill splits its fee by quantity). */
  readonly pnl: number;
  readonly fees: number;
  /** pnl / entry notional. */
  readonly returnPct: number;
  readonly fills: number;
}

/** Builds round trips fill by fill; call `onFill` in fill order. */
export class TradeBook {
  readonly trades: RoundTrip[] = [];
  private position = 0;
  private avgCost = 0;
  private entryTime = 0;
  private entryQty = 0;
  private entryNotional = 0;
  private exitQty = 0;
  private exitNotional = 0;
  private gross = 0;
  private fees = 0;
  private fills = 0;

  constructor(readonly instrument: string) {}

  get openPosition(): number {
    return this.position;
  }

  onFill(side: Side, price: number, quantity: number, fee: number, ts: number): void {
    let q = side === 'buy' ? quantity : -quantity;
    let feeLeft = fee;
    if (this.position !== 0 && Math.sign(q) !== Math.sign(this.position)) {
      const closing = Math.min(Math.abs(q), Math.abs(this.position));
      const feePart = (fee * closing) / quantity;
      feeLeft -= feePart;
      this.gross += closing * (price - this.avgCost) * Math.sign(this.position);
      this.exitQty += closing;
      this.exitNotional += closing * price;
      this.fees += feePart;
      this.fills++;
      const sign = Math.sign(this.position);
      this.position -= sign * closing;
      q += sign * closing;
      // Float dust from partial fills is not a position.
      if (Math.abs(this.position) <= 1e-12 * Math.max(1, this.entryQty)) {
        this.position = 0;
        this.closeTrade(sign > 0 ? 'long' : 'short', ts);
      }
      if (Math.abs(q) <= 1e-12 * Math.max(1, quantity)) return;
    }
    if (this.position === 0) {
      this.entryTime = ts;
      this.avgCost = 0;
    }
    const size = Math.abs(q);
    this.avgCost = (Math.abs(this.position) * this.avgCost + size * price) / (Math.abs(this.position) + size);
    this.position += q;
    this.entryQty += size;
    this.entryNotional += size * price;
    this.fees += feeLeft;
    this.fills++;
  }

  private closeTrade(direction: 'long' | 'short', ts: number): void {
    const pnl = this.gross - this.fees;
    this.trades.push({
      direction, instrument: this.instrument, entryTime: this.entryTime, exitTime: ts,
      entryPrice: this.entryNotional / this.entryQty, exitPrice: this.exitNotional / this.exitQty,
      quantity: this.entryQty, pnl, fees: this.fees, returnPct: pnl / this.entryNotional, fills: this.fills,
    });
    this.entryQty = 0; this.entryNotional = 0; this.exitQty = 0; this.exitNotional = 0; this.gross = 0; this.fees = 0; this.fills = 0;
  }
}
