// The streaming indicator port: what every incremental indicator offers, so strategies can hold any of them.
import { ValidationError } from '../errors.ts';

/**
 * An incremental indicator fed one bar at a time. It allocates nothing per update, so it can sit on the
 * per-tick hot path. Its values equal tulind's batch output at the same input index (see parity.unit.test.ts).
 *
 * `update` returns the indicator itself, to be read through `value` or the named outputs:
 * `rsi.update(close).value`, `macd.update(close).histogram`. Returning a number instead would make V8 box
 * it in a fresh heap object whenever it does not inline `update` (large callers, big indicators such as ADX),
 * i.e. an allocation per tick; a reference and an inlined field read never allocate.
 *
 * Inputs are trusted numbers: like tulip, a NaN input poisons running sums until `reset()`, so prices
 * are validated where they enter the system (the event schemas), not once per tick here.
 */
export interface StreamingIndicator<Value> {
  /**
   * Inputs consumed before the first value, equal to tulind's `start(options)`: the indicator becomes
   * ready on update number `lookback + 1` (input index `lookback`).
   */
  readonly lookback: number;
  /** True once `value` holds a real value (NaN fields before that). */
  readonly isReady: boolean;
  /** The latest value; for multi-output indicators the indicator itself, read through its named outputs. */
  readonly value: Value;
  /** Back to the freshly constructed state, keeping the parameters and the preallocated buffers. */
  reset(): void;
}

/** Fed with closes (or any single series). */
export interface CloseIndicator<Value = number> extends StreamingIndicator<Value> {
  update(close: number): this;
}

/** Fed with high, low and close of each bar. */
export interface HlcIndicator<Value = number> extends StreamingIndicator<Value> {
  update(high: number, low: number, close: number): this;
}

/** Fed with close and volume of each bar. */
export interface CloseVolumeIndicator<Value = number> extends StreamingIndicator<Value> {
  update(close: number, volume: number): this;
}

/** Parameters are a trust boundary (config, API): reject what tulind would reject or silently truncate. */
export function requireInt(indicator: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    const message = `must be an integer >= ${min}, got ${value}`;
    throw new ValidationError(`${indicator}: ${name} ${message}`, [{ path: name, message }]);
  }
  return value;
}

export function requireFinite(indicator: string, name: string, value: number): number {
  if (!Number.isFinite(value)) {
    const message = `must be a finite number, got ${value}`;
    throw new ValidationError(`${indicator}: ${name} ${message}`, [{ path: name, message }]);
  }
  return value;
}
