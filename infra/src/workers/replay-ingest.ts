// The replay ingest worker: feeds recorded bars from CSV onto the bars topic as a live market, resumably.
import { readFileSync } from 'node:fs';
import { catalog, derivedId, makeEvent, topics, type BarClosed, type Timeframe } from '@qts/schemas';
import { barAt, parseBarsCsv, type Bus, type Clock, type EventStore } from '@qts/core';
import type { Logger } from '../runtime/log.ts';
import { sleep } from './sleep.ts';

export interface ReplayFile {
  readonly path: string;
  readonly instrument: string;
  readonly timeframe: Timeframe;
  readonly venue: string;
}

export interface ReplayIngestDeps {
  readonly bus: Bus;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** A bar's event id depends only on where and when it is, so a bar fed twice is one fact, stored once. */
export function barEvent(bar: BarClosed, recordedAt: number) {
  const stream = catalog.BarClosed.stream(bar);
  return makeEvent('BarClosed', bar, { id: derivedId(`bar:${stream}:${bar.openTime}`, bar.closeTime), occurredAt: bar.closeTime, recordedAt });
}

/** The open time of the last bar this file's stream holds, or -Infinity: where a restarted replay resumes. */
async function lastRecordedOpenTime(store: EventStore, stream: string): Promise<number> {
  for await (const stored of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) {
    if (stored.event.type === 'BarClosed') return stored.event.data.openTime;
  }
  return -Infinity;
}

/**
 * Publishes each file's bars in time order at `barsPerSecond` (0 = no pacing), skipping the bars the
 * event store already holds. Resolves when every file is done or the signal aborts.
 */
export async function runReplayIngest(files: readonly ReplayFile[], barsPerSecond: number, deps: ReplayIngestDeps, signal: AbortSignal): Promise<number> {
  const { bus, store, clock, log } = deps;
  let published = 0;
  await Promise.all(files.map(async (file) => {
    const { series, badRows } = parseBarsCsv(readFileSync(file.path, 'utf8'), { instrument: file.instrument, timeframe: file.timeframe, venue: file.venue, onBadRow: 'skip' });
    for (const bad of badRows) log.warn({ file: file.path, line: bad.line, reason: bad.reason }, 'skipped a bad CSV row');
    const stream = catalog.BarClosed.stream({ venue: file.venue, instrument: file.instrument, timeframe: file.timeframe } as BarClosed);
    const after = await lastRecordedOpenTime(store, stream);
    let i = 0;
    while (i < series.length && series.openTime[i]! <= after) i++;
    log.info({ file: file.path, stream, bars: series.length, resumeAt: i }, i > 0 ? 'replay resumes after the last recorded bar' : 'replay starts');
    const pauseMs = barsPerSecond > 0 ? 1000 / barsPerSecond : 0;
    for (; i < series.length && !signal.aborted; i++) {
      const event = barEvent(barAt(series, i), clock.now());
      await bus.publish(topics.bars, event.key, [event]);
      published++;
      if (pauseMs > 0) await sleep(pauseMs, signal);
      // Unpaced, an in-process pipeline answers in microtasks only: yield now and then, or timers, the API
      // and the SIGTERM handler starve until the whole file is replayed.
      else if (published % 32 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    log.info({ file: file.path, published }, signal.aborted ? 'replay stopped' : 'replay finished: the recorded data is exhausted');
  }));
  return published;
}
