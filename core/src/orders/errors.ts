// Errors an order aggregate throws: a command its state cannot take, or a fill the order cannot absorb.
import { QtsError } from '../errors.ts';

/** A command that would move an order between states the lifecycle does not connect, e.g. filled -> submitted. */
export class IllegalOrderTransition extends QtsError {
  readonly kind = 'IllegalOrderTransition';
  readonly retryable = false;
  constructor(readonly clientOrderId: string, readonly from: string, readonly to: string, detail?: string) {
    super(`order '${clientOrderId}' cannot go from ${from} to ${to}${detail ? `: ${detail}` : ''}`, { clientOrderId, from, to });
  }
}

/** A fill that does not belong to the order or would take it past its quantity. */
export class FillRefused extends QtsError {
  readonly kind = 'FillRefused';
  readonly retryable = false;
  constructor(
    readonly clientOrderId: string,
    readonly reason: 'overfill' | 'side-mismatch' | 'order-mismatch',
    detail: string,
  ) {
    super(`fill refused for order '${clientOrderId}' (${reason}): ${detail}`, { clientOrderId, reason });
  }
}
