// Keeps a storm of notices from flooding a channel: a token bucket, and the overflow coalesced into one summary per kind.
import { pluralOf, type Notice, type NoticeKind } from './notice.ts';

export interface ThrottleOptions {
  /** Notices that may go out back to back. */
  readonly burst: number;
  /** Sustained rate once the burst is spent. */
  readonly perMinute: number;
  readonly now: () => number;
}

interface Held {
  count: number;
  since: number;
  latest: Notice;
}

/**
 * offer() says whether a notice goes out now; one that does not is counted, and drain() later turns
 * each kind's count into a single summary ("and 57 more fills in the last 1 min") as tokens come back.
 * Urgent notices (halts) always go out and still spend a token, so the bucket may run into debt.
 * Pure but for the injected clock: tests drive it with a fake one.
 */
export class Throttle {
  private tokens: number;
  private refilledAt: number;
  private readonly held = new Map<NoticeKind, Held>();

  constructor(private readonly options: ThrottleOptions) {
    this.tokens = options.burst;
    this.refilledAt = options.now();
  }

  /** True: send it now. False: it was held and will be summarised. */
  offer(notice: Notice): boolean {
    this.refill();
    if (notice.urgent) {
      this.tokens -= 1;
      return true;
    }
    // Once a kind is being held, later ones join the summary, so the order the human reads stays true.
    const held = this.held.get(notice.kind);
    if (!held && this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    if (held) {
      held.count++;
      held.latest = notice;
    } else this.held.set(notice.kind, { count: 1, since: this.options.now(), latest: notice });
    return false;
  }

  /** Summaries of held notices, one per kind, as far as the tokens allow; the rest stay held. */
  drain(): Notice[] {
    this.refill();
    const out: Notice[] = [];
    for (const [kind, h] of this.held) {
      if (this.tokens < 1) break;
      this.tokens -= 1;
      this.held.delete(kind);
      const window = describeSpan(this.options.now() - h.since);
      const text = h.count === 1 ? h.latest.text : `and ${h.count} more ${pluralOf(kind)} in the last ${window}; latest: ${h.latest.text}`;
      out.push({ ...h.latest, text, detail: { coalesced: h.count, latest: h.latest.detail ?? null } });
    }
    return out;
  }

  /** How many notices are held now (all kinds). */
  get pending(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.count;
    return n;
  }

  /** Milliseconds until the next token, 0 when one is there now. */
  nextTokenInMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.options.perMinute);
  }

  private refill(): void {
    const now = this.options.now();
    const elapsed = now - this.refilledAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed * this.options.perMinute) / 60_000);
    this.refilledAt = now;
  }
}

function describeSpan(ms: number): string {
  if (ms < 90_000) return ms < 60_500 ? 'minute' : `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
