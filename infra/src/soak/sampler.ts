// The soak's sampler thread: reads RSS and the main thread's heartbeat on its own event loop, so a stalled system still gets sampled.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/** Slots of the shared Float64Array the main thread keeps current. */
export const slot = { heartbeatMs: 0, heapMiB: 1, events: 2, bars: 3 } as const;

export interface SamplerRow { tS: number; rssMiB: number; heapMiB: number; eventsPerS: number; events: number; bars: number; stallS: number }

if (parentPort && workerData?.kind === 'qts-soak-sampler') {
  const { shared, everyS, minutes } = workerData as { shared: Float64Array; everyS: number; minutes: number };
  const t0 = Date.now();
  let lastEvents = shared[slot.events]!;
  let lastT = t0;
  const rows: SamplerRow[] = [];
  const timer = setInterval(() => {
    const now = Date.now();
    const events = shared[slot.events]!;
    const row: SamplerRow = {
      tS: (now - t0) / 1000, rssMiB: process.memoryUsage.rss() / 1024 / 1024, heapMiB: shared[slot.heapMiB]!,
      eventsPerS: (events - lastEvents) / ((now - lastT) / 1000), events, bars: shared[slot.bars]!, stallS: (now - shared[slot.heartbeatMs]!) / 1000,
    };
    lastEvents = events;
    lastT = now;
    rows.push(row);
    // Written straight to fd 1: console.log from a worker goes through the main thread, which may be the one stalled.
    writeSync(1, `${row.tS.toFixed(0).padStart(7)} ${row.rssMiB.toFixed(1).padStart(8)} ${row.heapMiB.toFixed(1).padStart(9)} ${String(events).padStart(10)} ${row.eventsPerS.toFixed(0).padStart(9)} ${String(row.bars).padStart(9)} ${row.stallS.toFixed(1).padStart(8)}\n`);
    if (now - t0 >= minutes * 60_000) {
      clearInterval(timer);
      parentPort!.postMessage(rows);
    }
  }, everyS * 1000);
}
