// What a human is told: a notice per fill, halt, rejection or worker error, rendered from events.
import type { DomainEvent } from '@qts/schemas';

export const noticeKinds = ['fill', 'halt', 'rejection', 'error'] as const;
export type NoticeKind = (typeof noticeKinds)[number];

export interface Notice {
  readonly kind: NoticeKind;
  /** One line, plain text (Telegram and chat webhooks show it as is). */
  readonly text: string;
  /** Epoch ms when it happened. */
  readonly at: number;
  /** Never coalesced nor held back by the rate limit: a halt must reach a human at once. */
  readonly urgent: boolean;
  /** Correlation id of the event behind it, for the audit trail. */
  readonly correlationId?: string;
  /** The event or error behind it, for webhook receivers that want fields. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

const plural: Record<NoticeKind, string> = { fill: 'fills', halt: 'halts', rejection: 'rejections', error: 'errors' };
export const pluralOf = (kind: NoticeKind): string => plural[kind];

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(10)));
}

/** The notice for an event, or null when the event is not one a human is told about (or `ignoreRejections` names its reason). */
export function noticeOf(e: DomainEvent, ignoreRejections: ReadonlySet<string> = new Set()): Notice | null {
  const base = { correlationId: e.correlationId };
  switch (e.type) {
    case 'OrderFilled': {
      const d = e.data;
      return {
        ...base, kind: 'fill', urgent: false, at: d.ts, detail: { ...d },
        text: `Filled ${d.side.toUpperCase()} ${num(d.quantity)} ${d.instrument} @ ${num(d.price)} (fee ${num(d.fee)} ${d.feeCurrency}, ${d.liquidity}) order ${d.clientOrderId}`,
      };
    }
    case 'OrderRejected': {
      const d = e.data;
      if (ignoreRejections.has(d.reason.kind)) return null;
      const { kind, ...numbers } = d.reason;
      const why = Object.entries(numbers).map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : String(v)}`).join(', ');
      return {
        ...base, kind: 'rejection', urgent: false, at: d.ts, detail: { ...d },
        text: `Rejected ${d.instrument} order ${d.clientOrderId} (strategy ${d.strategyId}): ${kind}${why ? ` (${why})` : ''}`,
      };
    }
    case 'TradingHalted': {
      const d = e.data;
      const r = d.reason;
      const why = r.kind === 'MaxDailyLoss' ? `daily loss ${num(r.loss)} over the limit ${num(r.limit)}`
        : r.kind === 'MaxDrawdown' ? `drawdown ${num(r.drawdown)} over the limit ${num(r.limit)}`
        : `by ${r.by}${r.note ? `: ${r.note}` : ''}`;
      return { ...base, kind: 'halt', urgent: true, at: d.ts, detail: { ...d }, text: `TRADING HALTED on account ${d.account}: ${r.kind}, ${why}` };
    }
    case 'TradingResumed': {
      const d = e.data;
      return { ...base, kind: 'halt', urgent: true, at: d.ts, detail: { ...d }, text: `Trading resumed on account ${d.account} by ${d.by}${d.note ? `: ${d.note}` : ''}` };
    }
    default:
      return null;
  }
}

/** The notice for an error a worker logged. */
export function errorNotice(component: string, message: string, at: number, error?: string): Notice {
  return { kind: 'error', urgent: false, at, text: `Error in ${component}: ${message}${error ? ` (${error})` : ''}`, detail: { component, message, ...(error ? { error } : {}) } };
}
