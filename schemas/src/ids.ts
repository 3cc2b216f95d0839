// Event ids (UUIDv7): random at the edges, reproducible from a seed and a clock in backtests.
import { createHash } from 'node:crypto';
import { v7 } from 'uuid';

export type IdGenerator = (atMs: number) => string;

/** Real ids for live runs: time-ordered, random tail. */
export const uuidv7Ids: IdGenerator = (atMs) => v7({ msecs: atMs });

/**
 * Reproducible ids for replays: the same seed and the same sequence of times give the same ids,
 * so a backtest's event log hashes the same run after run.
 */
export function seededIds(seed: number): IdGenerator {
  let state = seed >>> 0 || 0x9e3779b9;
  let seq = 0;
  const random = new Uint8Array(16);
  return (atMs) => {
    for (let i = 0; i < 16; i++) {
      // xorshift32: tiny and deterministic; these bits only need to be unique, not secret.
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      random[i] = state & 0xff;
    }
    seq = (seq + 1) & 0xfff;
    return v7({ msecs: atMs, seq, random });
  };
}

/**
 * An id derived from what the event answers (say, a strategy and the bar it decided on), so doing the
 * same work twice after a crash or a redelivery produces the very same event id, which stores dedupe.
 * @example derivedId(`signal:${strategyId}:${barEventId}`, bar.closeTime)
 */
export function derivedId(name: string, atMs: number): string {
  const random = createHash('sha256').update(name).digest().subarray(0, 16);
  return v7({ msecs: atMs, seq: 0, random });
}
