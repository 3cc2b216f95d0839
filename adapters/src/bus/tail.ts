// Reading a topic's raw messages without a consumer group or commits: audits, taps and tests of dead letters.
import type { Bus, RawMessage } from '@qts/core';

export interface TailOptions {
  readonly topics: readonly string[];
  /** true: from the oldest retained message; false: only what is published after the tail started. */
  readonly fromBeginning: boolean;
  /** false: stop at the ends (high watermarks) seen when the tail started. */
  readonly follow: boolean;
  /** Called in order per partition; invalid bytes arrive too (nothing is decoded or dead-lettered here). */
  readonly onMessage: (message: RawMessage) => void | Promise<void>;
}

export interface Tail {
  /** Resolves when the tail reached the end (without follow) or was stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** A bus whose topics can also be read raw: both adapters are. */
export interface TailingBus extends Bus {
  tail(options: TailOptions): Promise<Tail>;
}

/** Every message of the topics as they are now, from the beginning. */
export async function readTopics(bus: TailingBus, topics: readonly string[]): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  const tail = await bus.tail({ topics, fromBeginning: true, follow: false, onMessage: (m) => { out.push(m); } });
  await tail.done;
  return out;
}
