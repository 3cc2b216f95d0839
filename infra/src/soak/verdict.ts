// The soak run's verdict: does RSS stay flat once warmed up (least-squares slope over the last 3/4 of the samples)?

export interface Sample {
  /** Seconds since the run started. */
  readonly tS: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
  readonly eventsPerS: number;
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function fitSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0; let sy = 0;
  for (const [x, y] of points) { sx += x; sy += y; }
  const mx = sx / n; const my = sy / n;
  let num = 0; let den = 0;
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

/**
 * The first quarter is warm-up (JIT, caches, PGlite's buffers filling) and is left out. RSS is flat when
 * the slope over the rest, extrapolated over that window, adds less than max(16 MiB, 5 % of its mean):
 * a leak of a few bytes per event shows as a steady climb well above that over 20 minutes.
 */
export function verdict(samples: readonly Sample[]): { flat: boolean; reason: string } {
  const tail = samples.slice(Math.floor(samples.length / 4));
  if (tail.length < 4) return { flat: false, reason: `too few samples (${samples.length}) to judge: run longer or sample more often` };
  const slope = fitSlope(tail.map((s) => [s.tS, s.rssMiB]));
  const window = tail[tail.length - 1]!.tS - tail[0]!.tS;
  const mean = tail.reduce((a, s) => a + s.rssMiB, 0) / tail.length;
  const growth = slope * window;
  const allowed = Math.max(16, 0.05 * mean);
  return {
    flat: growth < allowed,
    reason: `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB over the last ${(window / 60).toFixed(1)} min at mean ${mean.toFixed(0)} MiB; allowed < ${allowed.toFixed(1)} MiB`,
  };
}
